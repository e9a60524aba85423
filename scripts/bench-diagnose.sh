#!/usr/bin/env bash
# Benchmark (nothing is asserted; the README quotes what it prints):
#
# 1. One full diagnosis of a healthy TLS registry (Debian's docker-registry on 127.0.0.1),
#    side by side with one `curl` request to the same registry's /v2/, alternating, 30
#    pairs: the median of the pairwise ratios regdoctor/curl.
# 2. Following an image's pull (an image pushed with skopeo): regdoctor with the image
#    reference against the manual procedure it replaces, four curl requests (HEAD and GET
#    of the manifest, GET of the config blob, a ranged GET of the layer's first byte),
#    alternating, 30 pairs: the median of the pairwise ratios.
# 3. 200 targets at once at --timeout 2: 20 that accept and never answer (stalled), 180
#    refused, against one stalled target alone: wall time, the ratio, and peak RSS.
#
# Needs docker-registry, curl, openssl, python3, skopeo and cargo (release build).
set -euo pipefail
cd "$(dirname "$0")/.."
for c in docker-registry curl openssl python3 skopeo; do
  command -v "$c" >/dev/null || { echo "needs $c"; exit 1; }
done
cargo build --release --quiet
bin="$PWD/target/release/regdoctor"
work="$(mktemp -d)"; pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$work"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
cd "$work"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -keyout ca.key -out ca.crt -subj "/CN=Bench CA" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout r.key -subj "/CN=r" -out r.csr 2>/dev/null
openssl x509 -req -in r.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 -extfile <(printf "subjectAltName=IP:127.0.0.1") -out r.crt 2>/dev/null
mkdir storage
printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s/storage\nhttp:\n  addr: 127.0.0.1:%s\n  tls:\n    certificate: %s/r.crt\n    key: %s/r.key\n' "$work" "$port" "$work" "$work" > config.yml
docker-registry serve config.yml >/dev/null 2>&1 & pids+=($!)
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.1; done

echo "== one diagnosis vs one curl request (healthy TLS registry on loopback)"
python3 - "$bin" "$port" <<'PY'
import subprocess, sys, time, statistics
bin, port = sys.argv[1], sys.argv[2]
regdoctor = [bin, f"127.0.0.1:{port}", "--ca", "ca.crt", "--no-node-defaults", "--format", "json"]
curl = ["curl", "-s", "-o", "/dev/null", "--cacert", "ca.crt", f"https://127.0.0.1:{port}/v2/"]
def run(cmd):
    t = time.perf_counter(); subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); return time.perf_counter() - t
for _ in range(3): run(regdoctor); run(curl)
pairs = []
for _ in range(30):
    r = run(regdoctor); c = run(curl); pairs.append((r, c))
ratios = [r / c for r, c in pairs]
print(f"regdoctor median {statistics.median(r for r, _ in pairs)*1000:.1f} ms, curl median {statistics.median(c for _, c in pairs)*1000:.1f} ms")
print(f"median of pairwise ratios regdoctor/curl: {statistics.median(ratios):.2f} (30 pairs)")
PY

echo "== following an image's pull vs the manual procedure (four curl requests)"
python3 - <<'PY'
import gzip, hashlib, io, json, os, tarfile
L = "img"; os.makedirs(L + "/blobs/sha256", exist_ok=True)
def put(b):
    d = hashlib.sha256(b).hexdigest(); open(f"{L}/blobs/sha256/{d}", "wb").write(b); return "sha256:" + d, len(b)
bio = io.BytesIO(); t = tarfile.open(fileobj=bio, mode="w"); data = b"hello\n"
ti = tarfile.TarInfo("hello.txt"); ti.size = len(data); t.addfile(ti, io.BytesIO(data)); t.close()
tar = bio.getvalue(); layer, lsize = put(gzip.compress(tar, mtime=0))
cfg = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(tar).hexdigest()]}}).encode()
config, csize = put(cfg)
man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                  "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": csize},
                  "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer, "size": lsize}]}).encode()
m, msize = put(man)
json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": m, "size": msize,
           "annotations": {"org.opencontainers.image.ref.name": "1.4"}}]}, open(L + "/index.json", "w"))
open(L + "/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
open("digests", "w").write(f"{config} {layer}")
PY
skopeo copy -q --dest-cert-dir "$work/none" --dest-tls-verify=false oci:img:1.4 "docker://127.0.0.1:$port/team/app:1.4" >/dev/null
python3 - "$bin" "$port" <<'PY'
import subprocess, sys, time, statistics
bin, port = sys.argv[1], sys.argv[2]
config, layer = open("digests").read().split()
base = f"https://127.0.0.1:{port}/v2/team/app"
accept = "application/vnd.oci.image.manifest.v1+json"
regdoctor = [bin, f"127.0.0.1:{port}/team/app:1.4", "--ca", "ca.crt", "--no-node-defaults", "--format", "json"]
curl = [["curl", "-s", "-o", "/dev/null", "--cacert", "ca.crt", "-I", "-H", f"Accept: {accept}", f"{base}/manifests/1.4"],
        ["curl", "-s", "-o", "/dev/null", "--cacert", "ca.crt", "-H", f"Accept: {accept}", f"{base}/manifests/1.4"],
        ["curl", "-s", "-o", "/dev/null", "--cacert", "ca.crt", "-L", f"{base}/blobs/{config}"],
        ["curl", "-s", "-o", "/dev/null", "--cacert", "ca.crt", "-L", "-r", "0-0", f"{base}/blobs/{layer}"]]
def run(cmds):
    t = time.perf_counter()
    for c in cmds: subprocess.run(c, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t
out = subprocess.run(regdoctor, capture_output=True, text=True).stdout
assert '"pull_ok"' in out, "the pull did not pass: " + out[:2000]
for _ in range(3): run([regdoctor]); run(curl)
pairs = [(run([regdoctor]), run(curl)) for _ in range(30)]
ratios = [r / c for r, c in pairs]
print(f"regdoctor median {statistics.median(r for r, _ in pairs)*1000:.1f} ms, four curls median {statistics.median(c for _, c in pairs)*1000:.1f} ms")
print(f"median of pairwise ratios regdoctor/manual: {statistics.median(ratios):.2f} (30 pairs)")
PY

echo "== 200 targets at --timeout 2 (20 stalled, 180 refused) vs one stalled target"
stall_ports=$(python3 - <<'PY'
import socket
ports = []
for _ in range(20):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); ports.append(s.getsockname()[1]); s.close()
print(" ".join(map(str, ports)))
PY
)
python3 - $stall_ports <<'PY' & pids+=($!)
import socket, sys, time, select
socks = []
for p in sys.argv[1:]:
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", int(p))); s.listen(64); socks.append(s)
held = []
while True:
    r, _, _ = select.select(socks, [], [], 1)
    for s in r:
        c, _ = s.accept(); held.append(c)  # accept and never answer
PY
sleep 0.5
targets="$work/targets.txt"
: > "$targets"
for p in $stall_ports; do echo "127.0.0.1:$p" >> "$targets"; done
for i in $(seq 2 181); do echo "127.0.0.$i:$port" >> "$targets"; done
first_stalled="127.0.0.1:$(echo $stall_ports | cut -d' ' -f1)"
python3 - "$bin" "$targets" "$first_stalled" <<'PY'
import subprocess, sys, time, resource
bin, targets, one = sys.argv[1:4]
def timed(args):
    t = time.perf_counter()
    subprocess.run([bin, *args, "--timeout", "2", "--no-node-defaults", "--quiet"], stdout=subprocess.DEVNULL)
    return time.perf_counter() - t
single = timed([one])
before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
many = timed(["--targets-file", targets])
peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(f"one stalled target: {single:.2f} s; 200 targets: {many:.2f} s ({many/single:.2f}x); peak RSS {peak_kb/1024:.1f} MB")
PY
