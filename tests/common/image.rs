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

/// A blob as an OCI descriptor names it.
#[derive(Clone, Debug)]
pub struct Descriptor {
    /// Media type.
    pub media_type: String,
    /// `sha256:<hex>`.
    pub digest: String,
    /// Bytes.
    pub size: usize,
}

impl Descriptor {
    /// The hex part of the digest.
    pub fn hex(&self) -> &str {
        self.digest.trim_start_matches("sha256:")
    }

    /// Where distribution's filesystem driver keeps the blob below its root directory,
    /// which is also the path of the storage middleware `redirect`'s URL:
    /// `/docker/registry/v2/blobs/sha256/<first two hex digits>/<hex>/data`
    /// (distribution 2.8 `registry/storage/paths.go`, `blobDataPathSpec`).
    pub fn storage_path(&self) -> String {
        format!(
            "/docker/registry/v2/blobs/sha256/{}/{}/data",
            &self.hex()[..2],
            self.hex()
        )
    }

    fn json(&self) -> serde_json::Value {
        serde_json::json!({"mediaType": self.media_type, "digest": self.digest, "size": self.size})
    }
}

/// One image built into a [`Layout`]: its manifest and the blobs it names.
#[derive(Clone, Debug)]
pub struct Built {
    /// The image manifest (OCI).
    pub manifest: Descriptor,
    /// The config blob.
    pub config: Descriptor,
    /// The only layer (gzip'd tar).
    pub layer: Descriptor,
}

/// An image platform as an index entry states it.
#[derive(Clone, Debug)]
pub struct Platform {
    /// `linux`.
    pub os: &'static str,
    /// `amd64`, `s390x`, `386`...
    pub architecture: &'static str,
    /// `v1`, `v2`, ... or None.
    pub variant: Option<&'static str>,
}

impl Platform {
    fn json(&self) -> serde_json::Value {
        let mut p = serde_json::json!({"architecture": self.architecture, "os": self.os});
        if let Some(v) = self.variant {
            p["variant"] = v.into();
        }
        p
    }
}

/// An OCI layout directory built blob by blob: images (one layer each), indexes over
/// them, artifacts, and tags in `index.json` for `skopeo copy oci:DIR:TAG`.
pub struct Layout {
    /// The layout directory.
    pub dir: std::path::PathBuf,
    tags: Vec<serde_json::Value>,
}

impl Layout {
    /// An empty layout in `dir` (created).
    pub fn new(dir: &Path) -> Layout {
        std::fs::create_dir_all(dir.join("blobs/sha256")).unwrap();
        std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
        Layout {
            dir: dir.to_path_buf(),
            tags: Vec::new(),
        }
    }

    /// Stores a blob and returns its descriptor.
    pub fn blob(&mut self, media_type: &str, bytes: &[u8]) -> Descriptor {
        let (digest, size) = put_blob(&self.dir, bytes);
        Descriptor {
            media_type: media_type.to_string(),
            digest,
            size,
        }
    }

    /// The bytes of a stored blob.
    pub fn read(&self, d: &Descriptor) -> Vec<u8> {
        std::fs::read(self.dir.join("blobs/sha256").join(d.hex())).unwrap()
    }

    /// An image whose only file, `/hello.txt`, holds `text`, with a config for `platform`
    /// (architecture, os and variant as the index states them).
    pub fn image(&mut self, text: &str, platform: &Platform) -> Built {
        let work = tempfile::tempdir().unwrap();
        std::fs::write(work.path().join("hello.txt"), format!("{text}\n")).unwrap();
        let tar = run(Command::new("tar").arg("-C").arg(work.path()).args([
            "--mtime=@0",
            "--owner=0",
            "--group=0",
            "--numeric-owner",
            "-cf",
            "-",
            "hello.txt",
        ]));
        let tar_path = work.path().join("layer.tar");
        std::fs::write(&tar_path, &tar).unwrap();
        let gz = run(Command::new("gzip").args(["-n", "-c"]).arg(&tar_path));
        let layer = self.blob("application/vnd.oci.image.layer.v1.tar+gzip", &gz);
        let mut config = serde_json::json!({
            "architecture": platform.architecture,
            "os": platform.os,
            "config": {"Cmd": ["/hello.txt"]},
            "rootfs": {"type": "layers", "diff_ids": [sha256(&tar)]},
        });
        if let Some(v) = platform.variant {
            config["variant"] = v.into();
        }
        let config = self.blob(
            "application/vnd.oci.image.config.v1+json",
            config.to_string().as_bytes(),
        );
        let manifest = self.manifest(&config, &layer);
        Built {
            manifest,
            config,
            layer,
        }
    }

    /// An OCI image manifest over a config and one layer (any media types: an artifact
    /// such as a Helm chart is a manifest whose config and layer are not an image's).
    pub fn manifest(&mut self, config: &Descriptor, layer: &Descriptor) -> Descriptor {
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": config.json(),
            "layers": [layer.json()],
        });
        self.blob(
            "application/vnd.oci.image.manifest.v1+json",
            manifest.to_string().as_bytes(),
        )
    }

    /// An OCI image index over `entries` (a manifest and the platform its entry states;
    /// None: an entry without a `platform` field).
    pub fn index(&mut self, entries: &[(&Descriptor, Option<&Platform>)]) -> Descriptor {
        let manifests: Vec<serde_json::Value> = entries
            .iter()
            .map(|(d, p)| {
                let mut e = d.json();
                if let Some(p) = p {
                    e["platform"] = p.json();
                }
                e
            })
            .collect();
        let index = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": manifests,
        });
        self.blob(
            "application/vnd.oci.image.index.v1+json",
            index.to_string().as_bytes(),
        )
    }

    /// Names `d` as `tag` in the layout's index.json (written at once).
    pub fn tag(&mut self, tag: &str, d: &Descriptor) {
        let mut e = d.json();
        e["annotations"] = serde_json::json!({"org.opencontainers.image.ref.name": tag});
        self.tags.push(e);
        let index = serde_json::json!({"schemaVersion": 2, "manifests": self.tags});
        std::fs::write(self.dir.join("index.json"), index.to_string()).unwrap();
    }

    /// Pushes the layout's `tag` to `target/name:tag` from inside `ns` with `skopeo copy
    /// --all` (an index with every instance, unchanged), without verifying the registry.
    /// Returns the image reference. None (after a SKIPPED line) without skopeo.
    pub fn push(&self, ns: &Netns, target: &str, name: &str, tag: &str) -> Option<String> {
        let skopeo = tool("skopeo")?;
        let home = tempfile::tempdir().unwrap();
        let reference = format!("{target}/{name}:{tag}");
        let mut cmd = ns.command(skopeo);
        cmd.env("HOME", home.path())
            .env("XDG_RUNTIME_DIR", home.path())
            .args([
                "--insecure-policy",
                "copy",
                "-q",
                "--all",
                "--dest-tls-verify=false",
            ])
            .arg(format!("oci:{}:{tag}", self.dir.display()))
            .arg(format!("docker://{reference}"));
        run(&mut cmd);
        Some(reference)
    }
}
