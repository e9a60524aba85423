#!/usr/bin/env bash
# Benchmark: how long one full diagnosis of a real registry takes (release build).
# Starts Debian's docker-registry with TLS on 127.0.0.1, then times
# `regdoctor 127.0.0.1:PORT --ca ca.crt` (hyperfine when installed). Nothing is asserted.
# Needs docker-registry, openssl, python3 and cargo.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v docker-registry >/dev/null || { echo "needs docker-registry (apt-get install -y docker-registry)"; exit 1; }
cargo build --release --quiet
bin="$PWD/target/release/regdoctor"
work="$(mktemp -d)"; pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cd "$work"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -keyout ca.key -out ca.crt -subj "/CN=Bench CA" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout r.key -subj "/CN=r" -out r.csr 2>/dev/null
openssl x509 -req -in r.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 -extfile <(printf "subjectAltName=IP:127.0.0.1") -out r.crt 2>/dev/null
mkdir storage
printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s/storage\nhttp:\n  addr: 127.0.0.1:%s\n  tls:\n    certificate: %s/r.crt\n    key: %s/r.key\n' "$work" "$port" "$work" "$work" > config.yml
docker-registry serve config.yml >/dev/null 2>&1 & pid=$!
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
cmd="$bin 127.0.0.1:$port --ca ca.crt --no-node-defaults --format json"
if command -v hyperfine >/dev/null 2>&1; then
  hyperfine --warmup 2 --runs 20 -i "$cmd"
else
  python3 - "$cmd" <<'PY'
import subprocess, sys, time
cmd = sys.argv[1].split()
runs = []
for _ in range(20):
    t = time.perf_counter(); subprocess.run(cmd, stdout=subprocess.DEVNULL); runs.append(time.perf_counter() - t)
runs.sort()
print(f"20 runs: median {runs[10]*1000:.1f} ms, min {runs[0]*1000:.1f} ms, max {runs[-1]*1000:.1f} ms")
PY
fi
