//! The container image, really built (offline, `scripts/build-image.sh` with buildah,
//! from the test build of the binary) and run with podman against a registry on this
//! machine, judging a fixture node root mounted read-only at /host.

use std::path::Path;
use std::process::Command;

use crate::common::pki::*;
use crate::common::server::{self, Behaviour};
use crate::common::*;

fn put(root: &Path, path: &str, bytes: &[u8]) {
    let p = root.join(path.trim_start_matches('/'));
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, bytes).unwrap();
}

#[test]
fn the_image_judges_the_host_root_mounted_at_host() {
    if tool("buildah").is_none() || tool("podman").is_none() {
        return;
    }
    let store = tempfile::tempdir().unwrap();
    let (root, run) = (store.path().join("root"), store.path().join("run"));
    let image = "localhost/regdoctor:test";
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/build-image.sh");
    let built = Command::new("bash")
        .arg(script)
        .arg(image)
        .env("REGDOCTOR_BIN", env!("CARGO_BIN_EXE_regdoctor"))
        .env(
            "BUILDAH_ARGS",
            format!("--root {} --runroot {}", root.display(), run.display()),
        )
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "build-image.sh: {}{}",
        String::from_utf8_lossy(&built.stdout),
        String::from_utf8_lossy(&built.stderr)
    );
    // A registry with a private CA, and a node whose containerd trusts it through a
    // hosts.toml `ca` path written as on the node (/etc/pki/…), read under /host.
    let ca = ca("Registry CA", now());
    let l = leaf(&ca, &["127.0.0.1"], now());
    let s = server::start(
        "127.0.0.1:0",
        Behaviour::Tls(server::tls_config(std::slice::from_ref(&l.der), &l.key_der)),
    );
    let t = s.target();
    let node = tempfile::tempdir().unwrap();
    let n = node.path();
    put(
        n,
        "/etc/containerd/config.toml",
        b"version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".registry]\n  config_path = \"/etc/containerd/certs.d\"\n",
    );
    put(
        n,
        &format!("/etc/containerd/certs.d/{t}/hosts.toml"),
        format!("server = \"https://{t}\"\n[host.\"https://{t}\"]\n  ca = \"/etc/pki/registry-ca.crt\"\n").as_bytes(),
    );
    put(n, "/etc/pki/registry-ca.crt", ca.pem.as_bytes());
    put(n, "/etc/hostname", b"node-7\n");
    // The node's files must be readable by the image's non-root user.
    let _ = Command::new("chmod").args(["-R", "a+rX"]).arg(n).status();
    let out = Command::new("podman")
        .arg("--root")
        .arg(&root)
        .arg("--runroot")
        .arg(&run)
        .args([
            "--storage-driver",
            "vfs",
            "run",
            "--rm",
            "--network",
            "host",
        ])
        .args([
            "--ulimit",
            "nofile=1024:1024",
            "--ulimit",
            "nproc=1024:1024",
        ])
        .arg("-v")
        .arg(format!("{}:/host:ro", n.display()))
        .args([image, &t, "--host-root", "/host", "--format", "json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "podman run: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert_eq!(report["node"], "node-7", "{report:#}");
    let containerd = runtimes_entry(&report, "containerd");
    assert_eq!(containerd["verdict"], "pass", "{report:#}");
    assert!(
        containerd["trust"]
            .as_str()
            .unwrap()
            .ends_with("+ /etc/pki/registry-ca.crt"),
        "{containerd:#}"
    );
    assert_eq!(out.status.code(), Some(0));
}

/// The Kubernetes manifests in deploy/ are valid objects of their API versions
/// (kubernetes-validate, from PyPI, with the schemas it carries: offline, strict, so an
/// unknown or misspelt field fails).
#[test]
fn the_kubernetes_manifests_validate() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/kubernetes");
    let files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    assert!(files.len() >= 2, "{files:?}");
    let out = match Command::new("kubernetes-validate")
        .args(["--strict", "--kubernetes-version", "1.29"])
        .args(&files)
        .output()
    {
        Ok(out) => out,
        Err(e) => {
            skip(&format!(
                "kubernetes-validate: {e} (pip install kubernetes-validate)"
            ));
            return;
        }
    };
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    for f in &files {
        assert!(text.contains(&format!("{} passed", f.display())), "{text}");
    }
    assert!(!text.contains("WARN") && !text.contains("ERROR"), "{text}");
}
