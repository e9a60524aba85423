#!/usr/bin/env bash
# Builds the regdoctor container image offline, with buildah, from scratch: the release
# binary, the shared libraries it links (and the dynamic loader), a CA bundle, /etc/passwd
# with a non-root user, the binary as the entrypoint. No base image is downloaded.
#
#   scripts/build-image.sh [IMAGE]              # default regdoctor:<version>
#   BUILDAH_ARGS="--root DIR --runroot DIR" scripts/build-image.sh IMAGE   # another store
#   REGDOCTOR_BIN=target/debug/regdoctor scripts/build-image.sh IMAGE      # that binary
#
# Needs root (or rootless buildah), buildah and cargo. With a registry at hand, the
# conventional `Containerfile` at the top of the repository builds the same image.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v buildah >/dev/null || { echo "needs buildah (apt-get install -y buildah)"; exit 1; }
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
image="${1:-regdoctor:$version}"
# shellcheck disable=SC2206
store=(--storage-driver vfs ${BUILDAH_ARGS:-})
if [ -n "${REGDOCTOR_BIN:-}" ]; then
  bin="$REGDOCTOR_BIN"
else
  cargo build --release --locked --quiet
  bin="$PWD/target/release/regdoctor"
fi

ctr=$(buildah "${store[@]}" from scratch)
trap 'buildah "${store[@]}" rm "$ctr" >/dev/null 2>&1 || true' EXIT
mnt=$(buildah "${store[@]}" mount "$ctr")
install -D -m 0755 "$bin" "$mnt/regdoctor"
# The shared libraries the binary links, and the loader, at the same paths.
for lib in $(ldd "$bin" | awk '/=>/ {print $3} /^[[:space:]]*\// {print $1}'); do
  install -D -m 0755 "$lib" "$mnt$lib"
done
install -D -m 0644 /etc/ssl/certs/ca-certificates.crt "$mnt/etc/ssl/certs/ca-certificates.crt"
mkdir -p "$mnt/tmp" && chmod 1777 "$mnt/tmp"
printf 'root:x:0:0:root:/:/sbin/nologin\nregdoctor:x:65532:65532:regdoctor:/:/sbin/nologin\n' > "$mnt/etc/passwd"
printf 'root:x:0:\nregdoctor:x:65532:\n' > "$mnt/etc/group"
buildah "${store[@]}" umount "$ctr" >/dev/null
buildah "${store[@]}" config \
  --entrypoint '["/regdoctor"]' \
  --cmd '["--help"]' \
  --user 65532:65532 \
  --env HOME=/tmp \
  --label org.opencontainers.image.title=regdoctor \
  --label "org.opencontainers.image.version=$version" \
  --label org.opencontainers.image.description="Why a container runtime cannot pull from a registry, per runtime, on this node" \
  "$ctr"
buildah "${store[@]}" commit --quiet "$ctr" "$image" >/dev/null
echo "built $image"
