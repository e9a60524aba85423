#!/usr/bin/env bash
# Benchmark: node files with 100,000 entries (generated here), each checked by the release
# and the debug build: wall time and the size of the human and JSON reports. Nothing is
# asserted; README.md (Speed) quotes what it printed.
#
#   daemon.json      100,000 unknown keys · 100,000 duplicate keys · 100,000
#                    insecure-registries entries written with a scheme (one finding each
#                    before capping)
#   hosts.toml       one [host."…"] table of 100,000 keys containerd does not know, in
#                    the target's folder (a certs.d file may have 1 MiB)
#   config.toml      100,000 CRI registry mirrors
#   registries.conf  100,000 [[registry]] tables
#
# Usage: scripts/bench-inputs.sh [N]   (default N = 100000). Needs python3 and cargo.
# BASE=/path/to/an/older/regdoctor also times that binary (each run cut at 60 s).
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-100000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python3 - "$work" "$n" <<'PY'
import os, sys
work, n = sys.argv[1], int(sys.argv[2])
def write(name, text):
    with open(os.path.join(work, name), "w") as f:
        f.write(text)
write("unknown.json", "{\n" + ",\n".join(f'  "unknown-key-{i}": {i}' for i in range(n)) + "\n}\n")
write("duplicate.json", "{\n" + ",\n".join('  "debug": true' for _ in range(n)) + "\n}\n")
write("insecure.json", '{\n  "insecure-registries": [\n' + ",\n".join(f'    "http://10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}:5000"' for i in range(n)) + "\n  ]\n}\n")
d = os.path.join(work, "certs.d", "127.0.0.1:1")
os.makedirs(d)
# One table of n keys containerd does not know: a certs.d file may have 1 MiB at most.
write("certs.d/127.0.0.1:1/hosts.toml", 'server = "https://127.0.0.1:1"\n\n[host."https://127.0.0.1:1"]\n  capabilities = ["pull"]\n' + "".join(f"k{i}=1\n" for i in range(n)))
write("config.toml", 'version = 2\n\n' + "".join(f'[plugins."io.containerd.grpc.v1.cri".registry.mirrors."reg-{i}.example:5000"]\n  endpoint = ["https://reg-{i}.example:5000"]\n' for i in range(n)))
write("registries.conf", 'unqualified-search-registries = ["docker.io"]\n\n' + "".join(f'[[registry]]\nlocation = "reg-{i}.example:5000"\ninsecure = true\n\n' for i in range(n)))
PY

cargo build --release --quiet
cargo build --quiet
cases=(
  "daemon.json, $n unknown keys|--daemon-json $work/unknown.json"
  "daemon.json, $n duplicate keys|--daemon-json $work/duplicate.json"
  "daemon.json, $n insecure-registries entries|--daemon-json $work/insecure.json"
  "hosts.toml, $n unknown keys|127.0.0.1:1 --runtime containerd --containerd-certs-d $work/certs.d"
  "config.toml, $n mirrors|127.0.0.1:1 --runtime containerd --containerd-config $work/config.toml"
  "registries.conf, $n registries|127.0.0.1:1 --runtime cri-o --registries-conf $work/registries.conf"
)
builds=(release debug)
[ -n "${BASE:-}" ] && builds+=(base)
for build in "${builds[@]}"; do
  bin="target/$build/regdoctor"
  [ "$build" = base ] && bin="$BASE"
  for c in "${cases[@]}"; do
    what="${c%%|*}"; args="${c#*|}"
    # shellcheck disable=SC2086
    python3 - "$bin" "$build" "$what" $args <<'PY'
import subprocess, sys, time
bin, build, what, args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
base = [bin, *args, "--no-node-defaults", "--timeout", "2", "--color", "never"]
def run(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, timeout=60).stdout
    except subprocess.TimeoutExpired:
        return None
t = time.perf_counter()
human = run(base)
took = time.perf_counter() - t
if human is None:
    print(f"{build:7} {what:48}  > 60 s (stopped)")
    sys.exit(0)
js = run(base + ["--format", "json"]) or b""
print(f"{build:7} {what:48} {took:7.3f} s   human {len(human):>9,} B   json {len(js):>9,} B")
PY
  done
done
