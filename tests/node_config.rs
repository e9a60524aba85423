//! Node configuration: daemon.json offline through the binary, and containerd hosts.toml
//! and containers certs.d trees built in temporary directories, judged against real
//! in-process TLS servers on loopback. Docker's certs.d is not tested here: dockerd treats
//! 127.0.0.0/8 as insecure and never reads certs.d for it, so those scenarios run against
//! a real dockerd on a non-loopback address in tests/runtimes/docker.rs.

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

use crate::common::pki::*;
use crate::common::server::{self, Behaviour};
use crate::common::*;

fn fixture(name: &str) -> String {
    format!(
        "{}/tests/fixtures/daemon-json/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// Files of one directory: (name, bytes).
type Files<'a> = &'a [(&'a str, &'a [u8])];

/// Builds `<dir>/<root>/<host dir>/<file>` trees; returns the root path.
fn tree(dir: &Path, root: &str, hosts: &[(&str, Files<'_>)]) -> String {
    let r = dir.join(root);
    std::fs::create_dir_all(&r).unwrap();
    for (host, files) in hosts {
        let d = r.join(host);
        std::fs::create_dir_all(&d).unwrap();
        for (name, bytes) in *files {
            std::fs::write(d.join(name), bytes).unwrap();
        }
    }
    r.to_string_lossy().into_owned()
}

struct Setup {
    dir: tempfile::TempDir,
    server: server::Server,
    ca: Ca,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let ca = ca("Registry CA", now());
    let l = leaf(&ca, &["127.0.0.1"], now());
    let server = server::start(
        "127.0.0.1:0",
        Behaviour::Tls(server::tls_config(std::slice::from_ref(&l.der), &l.key_der)),
    );
    Setup { dir, server, ca }
}

fn node_codes(r: &serde_json::Value, id: &str) -> Vec<String> {
    r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

fn hosts(s: &Setup, toml: &str, extra: &[(&str, &[u8])]) -> serde_json::Value {
    let mut files: Vec<(&str, &[u8])> = vec![("hosts.toml", toml.as_bytes())];
    files.extend_from_slice(extra);
    let root = tree(
        s.dir.path(),
        "containerd-certs.d",
        &[(s.server.target().as_str(), &files)],
    );
    let (_, r, err) = diagnose(&[&s.server.target(), "--containerd-certs-d", &root]);
    assert!(err.is_empty(), "{err}");
    r
}

#[test]
fn hosts_toml_with_the_right_ca_passes() {
    let s = setup();
    let t = s.server.target();
    let r = hosts(
        &s,
        &format!("server = \"https://{t}\"\n[host.\"https://{t}\"]\n  ca = \"ca.crt\"\n"),
        &[("ca.crt", s.ca.pem.as_bytes())],
    );
    assert_eq!(status(&r, "containerd-hosts"), "pass", "{r:#}");
}

#[test]
fn hosts_toml_with_a_bad_ca_path() {
    let s = setup();
    let t = s.server.target();
    let r = hosts(
        &s,
        &format!("[host.\"https://{t}\"]\n  ca = \"/nonexistent/ca.crt\"\n"),
        &[],
    );
    assert_eq!(
        node_codes(&r, "containerd-hosts"),
        ["hosts_toml_ca_unreadable", "hosts_toml_ca_mismatch"]
    );
    assert!(
        finding(&r, "hosts_toml_ca_unreadable")["client_error"]
            .as_str()
            .unwrap()
            .contains(": unable to read CA cert \"/nonexistent/ca.crt\"")
    );
}

#[test]
fn hosts_toml_with_skip_verify() {
    let s = setup();
    let t = s.server.target();
    let r = hosts(
        &s,
        &format!("[host.\"https://{t}\"]\n  skip_verify = true\n"),
        &[],
    );
    assert_eq!(
        node_codes(&r, "containerd-hosts"),
        ["hosts_toml_skip_verify"]
    );
    assert_eq!(status(&r, "containerd-hosts"), "warn");
}

#[test]
fn hosts_toml_with_a_syntax_error() {
    let s = setup();
    let t = s.server.target();
    let r = hosts(
        &s,
        &format!("[host.\"https://{t}\"]\n  ca = ca.crt\n"),
        &[("ca.crt", s.ca.pem.as_bytes())],
    );
    assert_eq!(node_codes(&r, "containerd-hosts"), ["hosts_toml_syntax"]);
    let f = finding(&r, "hosts_toml_syntax");
    assert_eq!(f["evidence"]["line"], 2, "{f:#}");
}

#[test]
fn loopback_plain_http_registry_is_insecure_by_default_for_docker() {
    let dir = tempfile::tempdir().unwrap();
    let s = server::start("127.0.0.1:0", Behaviour::PlainHttp);
    // 127.0.0.0/8 is insecure by default in Docker, so a plain-HTTP registry on loopback
    // needs no entry (the non-loopback case is unit-tested with fixture facts).
    let dj = write(
        &dir,
        "daemon.json",
        br#"{"insecure-registries": ["10.9.9.9:5000"]}"#,
    );
    let (_, r, _) = diagnose(&[&s.target(), "--daemon-json", &dj]);
    assert_eq!(
        status(&r, "daemon-json"),
        "pass",
        "loopback is insecure by default: {r:#}"
    );
}

#[test]
fn offline_daemon_json_lint_through_the_binary() {
    Command::new(assert_cmd::cargo::cargo_bin!("regdoctor"))
        .args([
            "--daemon-json",
            &fixture("seed.json"),
            "--no-node-defaults",
            "--color",
            "never",
        ])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("error[daemon_json_syntax]"))
        .stdout(predicate::str::contains(
            "line 11, column 1: unexpected end of JSON input",
        ))
        .stdout(predicate::str::contains(
            "warning[daemon_json_deprecated_key]: \"graph\"",
        ));
    let out = Command::new(assert_cmd::cargo::cargo_bin!("regdoctor"))
        .args([
            "--daemon-json",
            &fixture("seed.json"),
            "--docker-version",
            "24.0.7",
            "--no-node-defaults",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        node_codes(&r, "daemon-json"),
        [
            "daemon_json_syntax",
            "daemon_json_removed_key",
            "daemon_json_deprecated_key"
        ]
    );
    assert_eq!(status(&r, "target"), "skip");
    Command::new(assert_cmd::cargo::cargo_bin!("regdoctor"))
        .args([
            "--daemon-json",
            &fixture("valid.json"),
            "--no-node-defaults",
        ])
        .assert()
        .code(0);
    Command::new(assert_cmd::cargo::cargo_bin!("regdoctor"))
        .args(["--daemon-json", "/nonexistent/daemon.json"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with(
            "error: --daemon-json /nonexistent/daemon.json: no such file or directory",
        ));
}

#[test]
fn containers_certs_d_first_existing_directory_hides_the_right_ca() {
    let s = setup();
    let t = s.server.target();
    let early = tree(s.dir.path(), "user-certs.d", &[(t.as_str(), &[])]);
    let late = tree(
        s.dir.path(),
        "etc-certs.d",
        &[(t.as_str(), &[("ca.crt", s.ca.pem.as_bytes())])],
    );
    let (_, r, _) = diagnose(&[
        &t,
        "--containers-certs-d",
        &early,
        "--containers-certs-d",
        &late,
    ]);
    assert_eq!(
        node_codes(&r, "containers-registries"),
        ["containers_certs_d_shadowed"]
    );
    let (_, r, _) = diagnose(&[&t, "--containers-certs-d", &late]);
    assert_eq!(status(&r, "containers-registries"), "pass", "{r:#}");
}

#[test]
fn registries_conf_must_mark_a_plain_http_registry_insecure() {
    let dir = tempfile::tempdir().unwrap();
    let s = server::start("127.0.0.1:0", Behaviour::PlainHttp);
    let t = s.target();
    let bad = write(
        &dir,
        "bad.conf",
        b"[[registry]]\nlocation = \"10.9.9.9:5000\"\ninsecure = true\n",
    );
    let (_, r, _) = diagnose(&[&t, "--registries-conf", &bad]);
    assert_eq!(
        node_codes(&r, "containers-registries"),
        ["registries_conf_not_insecure"]
    );
    let good = write(
        &dir,
        "good.conf",
        format!("[[registry]]\nlocation = \"{t}\"\ninsecure = true\n").as_bytes(),
    );
    let (_, r, _) = diagnose(&[&t, "--registries-conf", &good]);
    assert_eq!(status(&r, "containers-registries"), "pass", "{r:#}");
}
