#!/usr/bin/env bash
# Benchmark: triage a generated 50 MB journal-style log with a release build.
# Usage: scripts/bench-triage.sh [SIZE_MB]   (prints MB/s; nothing is asserted)
# Needs python3 (to generate the log) and cargo.
set -euo pipefail
cd "$(dirname "$0")/.."
size_mb="${1:-50}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
log="$work/big.log"

python3 - "$log" "$size_mb" <<'PY'
import random, sys
path, size = sys.argv[1], int(sys.argv[2]) * 1024 * 1024
rnd = random.Random(42)
benign = [
    'Nov 25 09:14:03 node-{n} dockerd[812]: time="2026-11-25T09:14:03.{ms:03d}Z" level=info msg="Container {h} health status changed" container={h}',
    'Nov 25 09:14:04 node-{n} kubelet[2201]: I1125 09:14:04.{ms:03d} 2201 kubelet.go:2419] "SyncLoop (PLEG): event for pod" pod="default/web-{h}" event=ContainerStarted',
    'Nov 25 09:14:05 node-{n} containerd[640]: time="2026-11-25T09:14:05.{ms:03d}Z" level=info msg="ImageCreate event name:\\"10.0.0.{n}:5000/app@sha256:{h}{h}\\""',
]
bad = [
    'Nov 25 09:20:11 node-{n} dockerd[812]: level=error msg="Handler for POST /v1.43/images/create returned error: Get \\"https://10.0.0.{n}:5000/v2/\\": tls: failed to verify certificate: x509: certificate signed by unknown authority"',
    'Nov 25 09:31:40 node-{n} dockerd[812]: level=error msg="Get \\"https://10.0.1.{n}:5000/v2/\\": http: server gave HTTP response to HTTPS client"',
]
written = 0
with open(path, "w") as f:
    while written < size:
        tpl = rnd.choice(bad) if rnd.random() < 0.001 else rnd.choice(benign)
        line = tpl.format(n=rnd.randint(1, 9), ms=rnd.randint(0, 999), h="%08x" % rnd.getrandbits(32)) + "\n"
        f.write(line)
        written += len(line)
PY

cargo build --release --quiet
bin=target/release/regdoctor
bytes=$(stat -c %s "$log")
lines=$(wc -l < "$log")
echo "log: $((bytes / 1024 / 1024)) MiB, $lines lines"
if command -v hyperfine >/dev/null 2>&1; then
  hyperfine --warmup 1 --runs 5 -i "$bin triage $log --format json"
else
  for i in 1 2 3; do
    start=$(date +%s.%N)
    "$bin" triage "$log" --format json > /dev/null || true
    end=$(date +%s.%N)
    python3 -c "import sys; s=float(sys.argv[2])-float(sys.argv[1]); print(f'run {sys.argv[3]}: {s:.3f} s, {int(sys.argv[4])/s/1048576:.0f} MiB/s')" "$start" "$end" "$i" "$bytes"
  done
fi
"$bin" triage "$log" | head -3
