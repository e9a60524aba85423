#!/usr/bin/env bash
# Benchmark `regdoctor triage` with a release build on two generated logs (nothing is
# asserted; README.md and docs/guide/triaging-a-log.md quote what it prints):
#
# 1. a SIZE_MB journal-style log, one line in a thousand a known error (few distinct ones);
# 2. a SIZE_MB log of about 300,000 *different* errors (every line a known error, each
#    naming its own registry: the grouping by signature and host is what is measured),
#    and the same at 1/2/4/8 MiB, to show the time grows linearly.
#
# Usage: scripts/bench-triage.sh [SIZE_MB]   (default 50). Needs python3 and cargo.
set -euo pipefail
cd "$(dirname "$0")/.."
size_mb="${1:-50}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python3 - "$work/big.log" "$size_mb" <<'PY'
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

# Every line a known error naming its own registry (10.a.b.c:port): about 175 bytes a
# line, so 50 MiB is about 300,000 different errors.
gen_distinct() {
  python3 - "$1" "$2" <<'PY'
import sys
path, size = sys.argv[1], int(float(sys.argv[2]) * 1024 * 1024)
bad = [
    'Nov 25 09:20:11 node-1 dockerd[812]: level=error msg="Get \\"https://{h}/v2/\\": tls: failed to verify certificate: x509: certificate signed by unknown authority"',
    'Nov 25 09:31:40 node-2 dockerd[812]: level=error msg="Get \\"https://{h}/v2/\\": http: server gave HTTP response to HTTPS client"',
    'Nov 25 09:33:02 node-3 containerd[640]: level=error msg="PullImage failed" error="failed to do request: Head \\"https://{h}/v2/app/manifests/1\\": dial tcp {h}: connect: connection refused"',
    'Nov 25 09:35:17 node-4 kubelet[2201]: E1125 Failed to pull image "{h}/app:1": rpc error: code = Unknown desc = x509: certificate has expired or is not yet valid',
]
written, i = 0, 0
with open(path, "w") as f:
    while written < size:
        h = "10.%d.%d.%d:%d" % (i >> 16 & 255, i >> 8 & 255, i & 255, 5000 + i % 1000)
        line = bad[i % len(bad)].format(h=h) + "\n"
        f.write(line)
        written += len(line)
        i += 1
PY
}

cargo build --release --quiet
bin=target/release/regdoctor

timeit() { # LOG LABEL: the best of three runs
  python3 - "$bin" "$1" "$2" <<'PY'
import os, subprocess, sys, time
bin, log, label = sys.argv[1:]
size = os.path.getsize(log)
lines = sum(1 for _ in open(log, "rb"))
best = None
for _ in range(3):
    t = time.perf_counter()
    out = subprocess.run([bin, "triage", log, "--format", "json"], capture_output=True).stdout
    s = time.perf_counter() - t
    best = s if best is None or s < best else best
human = subprocess.run([bin, "triage", log], capture_output=True).stdout
print(f"{label}: {size / 1048576:5.1f} MiB, {lines:,} lines: {best:.3f} s ({size / best / 1048576:.0f} MiB/s), JSON {len(out):,} B, human {len(human):,} B")
PY
}

echo "== journal, one line in a thousand a known error"
timeit "$work/big.log" "journal"
echo "== every line a different known error (its own registry)"
for mb in 1 2 4 8 "$size_mb"; do
  gen_distinct "$work/distinct.log" "$mb"
  timeit "$work/distinct.log" "distinct errors"
done
"$bin" triage "$work/distinct.log" | head -3
