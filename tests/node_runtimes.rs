//! Which runtimes are judged on a node, with no flags but `--host-root`: a fixture node
//! root with the runtimes' configuration files, binaries and sockets, judged as it would
//! be on that node — the runtimes present, the ones not judged and why, and paths written
//! inside files (a hosts.toml `ca`) read under the root.

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

use crate::common::pki::*;
use crate::common::server::{self, Behaviour};
use crate::common::*;

fn put(root: &Path, path: &str, bytes: &[u8]) {
    let p = root.join(path.trim_start_matches('/'));
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, bytes).unwrap();
}

/// The real binary, or an empty stand-in when this machine has none.
fn binary(root: &Path, node_path: &str, real: &str) {
    let p = root.join(node_path.trim_start_matches('/'));
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    if Path::new(real).exists() {
        std::os::unix::fs::symlink(real, &p).unwrap();
    } else {
        std::fs::write(&p, b"").unwrap();
    }
}

/// regdoctor with the node's defaults read under `root` (as in a container with the
/// host's / mounted there).
fn judge(root: &Path, args: &[&str]) -> (i32, Value) {
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(assert_cmd::cargo::cargo_bin!("regdoctor"))
        .args(args)
        .arg("--host-root")
        .arg(root)
        .args(["--format", "json", "--color", "never"])
        .env("HOME", home.path())
        .env_remove("DOCKER_CONFIG")
        .env_remove("SSL_CERT_FILE")
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap_or(-1), report)
}

fn entry<'a>(r: &'a Value, runtime: &str) -> &'a Value {
    r["runtimes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["runtime"] == runtime)
        .unwrap_or_else(|| panic!("no {runtime} in {r:#}"))
}

#[test]
fn a_docker_node_judges_docker_and_says_why_not_the_others() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    put(r, "/etc/docker/daemon.json", b"{}");
    binary(r, "/usr/sbin/dockerd", "/usr/sbin/dockerd");
    // Docker CE ships containerd with the CRI plugin disabled.
    put(
        r,
        "/etc/containerd/config.toml",
        b"disabled_plugins = [\"cri\"]\n",
    );
    binary(r, "/usr/bin/containerd", "/usr/bin/containerd");
    let plain = server::start("127.0.0.1:0", Behaviour::PlainHttp);
    let (code, report) = judge(r, &[&plain.target()]);

    let docker = entry(&report, "docker");
    assert_eq!(docker["judged"], true, "{docker:#}");
    let why = docker["why"].as_str().unwrap();
    assert!(
        why.contains("/etc/docker/daemon.json exists") && why.contains("/usr/sbin/dockerd exists"),
        "{why}"
    );
    // Docker's built-in insecure range covers loopback: plain HTTP works, with a warning.
    assert_eq!(docker["verdict"], "warn", "{docker:#}");
    assert_eq!(
        docker["transport"]["origin"],
        "Docker's built-in insecure range 127.0.0.0/8"
    );
    if Path::new("/usr/sbin/dockerd").exists() {
        assert_eq!(
            docker["go_version"].as_str(),
            regdoctor::local::gobuild::go_version(Path::new("/usr/sbin/dockerd")).as_deref()
        );
    }
    let containerd = entry(&report, "containerd");
    assert_eq!(containerd["judged"], false);
    assert!(
        containerd["why"]
            .as_str()
            .unwrap()
            .contains("disables the CRI plugin"),
        "{containerd:#}"
    );
    let crio = entry(&report, "cri-o");
    assert_eq!(crio["judged"], false);
    assert!(
        crio["why"].as_str().unwrap().contains("were not found"),
        "{crio:#}"
    );
    // The node's containers files are not checked for a runtime that is not there.
    assert_eq!(status(&report, "containers-registries"), "skip");
    assert_eq!(code, 0);
}

#[test]
fn a_ca_path_inside_hosts_toml_is_read_under_the_host_root() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    let ca = ca("Registry CA", now());
    let l = leaf(&ca, &["127.0.0.1"], now());
    let s = server::start(
        "127.0.0.1:0",
        Behaviour::Tls(server::tls_config(std::slice::from_ref(&l.der), &l.key_der)),
    );
    let t = s.target();
    put(
        r,
        "/etc/containerd/config.toml",
        b"version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".registry]\n  config_path = \"/etc/containerd/certs.d\"\n",
    );
    put(
        r,
        &format!("/etc/containerd/certs.d/{t}/hosts.toml"),
        format!("server = \"https://{t}\"\n[host.\"https://{t}\"]\n  ca = \"/etc/pki/registry-ca.crt\"\n")
            .as_bytes(),
    );
    put(r, "/etc/pki/registry-ca.crt", ca.pem.as_bytes());
    let (code, report) = judge(r, &[&t, "--runtime", "containerd"]);
    let containerd = entry(&report, "containerd");
    assert_eq!(containerd["verdict"], "pass", "{report:#}");
    assert!(
        containerd["trust"]
            .as_str()
            .unwrap()
            .ends_with(" + /etc/pki/registry-ca.crt"),
        "{containerd:#}"
    );
    assert_eq!(code, 0);

    // Without the file under the root, containerd cannot read its CA: every pull fails.
    std::fs::remove_file(r.join("etc/pki/registry-ca.crt")).unwrap();
    let (code, report) = judge(r, &[&t, "--runtime", "containerd"]);
    let containerd = entry(&report, "containerd");
    assert_eq!(
        containerd["cause"], "hosts_toml_ca_unreadable",
        "{report:#}"
    );
    assert!(
        containerd["error"]
            .as_str()
            .unwrap()
            .contains("unable to read CA cert \"/etc/pki/registry-ca.crt\""),
        "{containerd:#}"
    );
    assert_eq!(code, 1);
}

#[test]
fn from_node_gathers_every_registry_the_runtimes_are_configured_for() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    // Ports where nothing listens: each target is a quick tcp_refused.
    let p: Vec<String> = (0..5)
        .map(|_| server::closed_port().port().to_string())
        .collect();
    put(
        r,
        "/etc/docker/daemon.json",
        format!(
            "{{\"insecure-registries\": [\"127.0.0.1:{}\", \"10.0.0.0/8\"], \"registry-mirrors\": [\"https://127.0.0.1:{}\"]}}",
            p[0], p[1]
        )
        .as_bytes(),
    );
    put(
        r,
        &format!("/etc/docker/certs.d/127.0.0.1:{}/ca.crt", p[2]),
        b"",
    );
    put(
        r,
        &format!("/etc/containerd/certs.d/127.0.0.1_{}_/hosts.toml", p[3]),
        b"",
    );
    put(
        r,
        "/etc/containers/registries.conf",
        format!(
            "[[registry]]\nlocation = \"127.0.0.1:{}/team\"\n[[registry]]\nlocation = \"127.0.0.1:{}\"\n",
            p[4], p[0]
        )
        .as_bytes(),
    );
    let (code, report) = judge(r, &["--from-node", "--timeout", "2"]);
    assert_eq!(code, 1);
    let reports = report["reports"].as_array().unwrap();
    let targets: Vec<&str> = reports
        .iter()
        .map(|r| r["target"]["input"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = vec![
        format!("127.0.0.1:{}", p[0]),
        format!("127.0.0.1:{}", p[1]),
        format!("127.0.0.1:{}", p[2]),
        format!("127.0.0.1:{}", p[3]),
        format!("127.0.0.1:{}", p[4]),
    ];
    assert_eq!(targets, expected, "{report:#}");
    // The first is named by Docker and by CRI-O, each with where.
    let note = reports[0]["notes"][0].as_str().unwrap();
    assert!(
        note.starts_with("named by Docker and CRI-O on this node")
            && note.contains("/etc/docker/daemon.json:1 insecure-registries")
            && note.contains("/etc/containers/registries.conf [[registry]]"),
        "{note}"
    );
    assert!(
        reports[3]["notes"][0]
            .as_str()
            .unwrap()
            .contains(&format!("/etc/containerd/certs.d/127.0.0.1_{}_/", p[3])),
        "{:#}",
        reports[3]
    );
}
