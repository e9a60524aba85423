//! A tiny valid image, built here (no download), and pushed with skopeo so the real
//! runtimes have something to pull.
//!
//! The image is an OCI layout directory: one gzip'd tar layer holding `/hello.txt`, an
//! image config whose `rootfs.diff_ids` names the uncompressed layer, and an OCI image
//! manifest with the right digests and sizes. Docker 20.10, containerd 1.6 and skopeo 1.9
//! all pull OCI media types (observed), so no Docker schema2 conversion is needed.

use std::path::Path;
use std::process::{Command, Stdio};

use sha2::{Digest, Sha256};

use super::netns::Netns;
use super::tool;

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}

/// Writes a blob into the layout and returns its descriptor fields (digest, size).
fn put_blob(layout: &Path, bytes: &[u8]) -> (String, usize) {
    let digest = sha256(bytes);
    let hex = digest.trim_start_matches("sha256:");
    std::fs::write(layout.join("blobs/sha256").join(hex), bytes).unwrap();
    (digest, bytes.len())
}

fn run(cmd: &mut Command) -> Vec<u8> {
    let out = cmd.stdin(Stdio::null()).output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Builds an OCI layout in `layout` holding one image tagged `tag` whose only file,
/// `/hello.txt`, contains `text`.
pub fn build_oci_layout(layout: &Path, tag: &str, text: &str) {
    std::fs::create_dir_all(layout.join("blobs/sha256")).unwrap();
    let rootfs = layout.join("rootfs");
    std::fs::create_dir_all(&rootfs).unwrap();
    std::fs::write(rootfs.join("hello.txt"), format!("{text}\n")).unwrap();
    let tar = run(Command::new("tar").arg("-C").arg(&rootfs).args([
        "--mtime=@0",
        "--owner=0",
        "--group=0",
        "--numeric-owner",
        "-cf",
        "-",
        "hello.txt",
    ]));
    std::fs::remove_dir_all(&rootfs).unwrap();
    let tar_path = layout.join("layer.tar");
    std::fs::write(&tar_path, &tar).unwrap();
    let gz = run(Command::new("gzip").args(["-n", "-c"]).arg(&tar_path));
    std::fs::remove_file(&tar_path).unwrap();

    let (layer_digest, layer_size) = put_blob(layout, &gz);
    let config = serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {"Cmd": ["/hello.txt"]},
        "rootfs": {"type": "layers", "diff_ids": [sha256(&tar)]},
    });
    let (config_digest, config_size) = put_blob(layout, config.to_string().as_bytes());
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": config_digest,
            "size": config_size,
        },
        "layers": [{
            "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
            "digest": layer_digest,
            "size": layer_size,
        }],
    });
    let (manifest_digest, manifest_size) = put_blob(layout, manifest.to_string().as_bytes());
    let index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": manifest_digest,
            "size": manifest_size,
            "annotations": {"org.opencontainers.image.ref.name": tag},
        }],
    });
    std::fs::write(layout.join("index.json"), index.to_string()).unwrap();
    std::fs::write(
        layout.join("oci-layout"),
        r#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
}

/// How to reach the registry for the push.
#[derive(Default)]
pub struct PushAuth<'a> {
    /// `--dest-creds user:password` for an htpasswd registry.
    pub creds: Option<(&'a str, &'a str)>,
    /// `--dest-cert-dir`: a directory with `client.cert` + `client.key` for mutual TLS.
    pub cert_dir: Option<&'a Path>,
}

/// Builds the image and pushes it as `target/name:tag` from inside `ns`, without
/// verifying the registry's certificate (`--dest-tls-verify=false` also allows plain
/// HTTP). Returns the image reference. None (after a SKIPPED line) without skopeo.
pub fn push(ns: &Netns, target: &str, name_tag: &str, auth: PushAuth) -> Option<String> {
    let skopeo = tool("skopeo")?;
    tool("tar")?;
    tool("gzip")?;
    let (name, tag) = name_tag.rsplit_once(':').expect("NAME:TAG");
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("oci");
    build_oci_layout(&layout, tag, name_tag);
    let reference = format!("{target}/{name}:{tag}");
    let mut cmd = ns.command(skopeo);
    // A private HOME and runtime dir: no credentials or certs.d of this machine's user.
    cmd.env("HOME", dir.path())
        .env("XDG_RUNTIME_DIR", dir.path())
        .args(["--insecure-policy", "copy", "-q", "--dest-tls-verify=false"]);
    if let Some((u, p)) = auth.creds {
        cmd.arg("--dest-creds").arg(format!("{u}:{p}"));
    }
    if let Some(d) = auth.cert_dir {
        cmd.arg("--dest-cert-dir").arg(d);
    }
    cmd.arg(format!("oci:{}:{tag}", layout.display()))
        .arg(format!("docker://{reference}"));
    run(&mut cmd);
    Some(reference)
}
