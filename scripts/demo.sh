#!/usr/bin/env bash
# First run: watch regdoctor diagnose a real registry, then the fix, then a clean run.
#
# Installs Debian's docker-registry if missing (needs root or sudo), makes a CA and a
# server certificate WITHOUT an IP SAN (the failure of the seed knowledge-base article),
# starts the registry on 127.0.0.1, runs regdoctor against it, runs the command of the fix
# regdoctor printed for san_ip_missing (a new key, CSR and certificate with the IP in its
# SAN), restarts the registry with them as the fix says, runs regdoctor again, and stops.
# Everything happens in a temporary directory on loopback; nothing else is changed.
# REGDOCTOR=path/to/regdoctor uses that binary (else the one on PATH, else a release build).
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
missing=()
command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> installing ${missing[*]} (Debian/Ubuntu packages)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [ -n "${REGDOCTOR:-}" ]; then
  REGDOCTOR="$(realpath "$REGDOCTOR")"
elif command -v regdoctor >/dev/null 2>&1; then
  REGDOCTOR="$(command -v regdoctor)"
else
  echo "==> building regdoctor"
  cargo build --release --quiet
  REGDOCTOR="$PWD/target/release/regdoctor"
fi

work="$(mktemp -d)"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
# A free loopback port: one nothing answers on.
port=""
for _ in $(seq 50); do
  p=$((20000 + RANDOM % 30000))
  if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then port=$p; break; fi
done
[ -n "$port" ] || { echo "no free port found on 127.0.0.1"; exit 1; }
cd "$work"

echo "==> a CA, and a server certificate for DNS:registry.example.internal only (no IP SAN)"
openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 90 -keyout ca.key -out ca.crt -subj "/CN=Demo Registry CA" 2>/dev/null
openssl req -new -newkey rsa:2048 -nodes -keyout registry.key -subj "/CN=registry.example.internal" -out registry.csr 2>/dev/null
openssl x509 -req -in registry.csr -CA ca.crt -CAkey ca.key -CAcreateserial -sha256 -days 90 \
  -extfile <(printf "subjectAltName=DNS:registry.example.internal") -out registry.crt 2>/dev/null

start_registry() {
  mkdir -p storage
  cat > config.yml <<YML
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $work/storage
http:
  addr: 127.0.0.1:$port
  tls:
    certificate: $work/registry.crt
    key: $work/registry.key
YML
  docker-registry serve config.yml >registry.log 2>&1 &
  pid=$!
  for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && return 0; sleep 0.1; done
  echo "the registry did not start:"; cat registry.log; exit 1
}

start_registry
echo
echo "==> regdoctor 127.0.0.1:$port --ca ca.crt"
# Unwrapped (no COLUMNS), so the fix's command is whole on its line.
report="$(env -u COLUMNS "$REGDOCTOR" "127.0.0.1:$port" --ca ca.crt --no-node-defaults --color never)" && status=0 || status=$?
printf '%s\n' "$report"
[ "$status" = 1 ] || { echo "expected regdoctor to fail (exit 1), got $status"; exit 1; }

# The fix regdoctor printed for san_ip_missing: the command in the first `...` of its line.
fix="$(printf '%s\n' "$report" \
  | sed -n '/error\[san_ip_missing\]/,/^ *fix: /{s/^ *fix: [^`]*`\([^`]*\)`.*/\1/p}' | head -n 1)"
[ -n "$fix" ] || { echo "regdoctor printed no fix command for san_ip_missing"; exit 1; }
echo
echo "==> applying the fix regdoctor printed:"
echo "    $fix"
bash -c "$fix" 2>/dev/null
echo "==> and, as it says, restarting the registry with registry.crt and registry.key"
kill "$pid"; wait "$pid" 2>/dev/null || true
start_registry
echo
echo "==> regdoctor 127.0.0.1:$port --ca ca.crt (again)"
"$REGDOCTOR" "127.0.0.1:$port" --ca ca.crt --no-node-defaults
