//! Node configuration: daemon.json offline through the binary, and Docker certs.d /
//! containerd hosts.toml trees built in temporary directories, judged against real
//! in-process TLS servers.

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
    other: Ca,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let ca = ca("Registry CA", now());
    let other = crate::common::pki::ca("Other CA", now());
    let l = leaf(&ca, &["127.0.0.1"], now());
    let server = server::start(
        "127.0.0.1:0",
        Behaviour::Tls(server::tls_config(std::slice::from_ref(&l.der), &l.key_der)),
    );
    Setup {
        dir,
        server,
        ca,
        other,
    }
}

fn certs_d(s: &Setup, files: &[(&str, &[u8])], dir_name: Option<&str>) -> (u8, serde_json::Value) {
    let name = dir_name
        .map(str::to_string)
        .unwrap_or_else(|| s.server.target());
    let root = tree(s.dir.path(), "docker-certs.d", &[(name.as_str(), files)]);
    let (code, r, err) = diagnose(&[&s.server.target(), "--docker-certs-d", &root]);
    assert!(err.is_empty(), "{err}");
    (code, r)
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

#[test]
fn certs_d_with_the_right_ca_passes() {
    let s = setup();
    let (_, r) = certs_d(&s, &[("ca.crt", s.ca.pem.as_bytes())], None);
    assert_eq!(status(&r, "certs-d"), "pass", "{r:#}");
}

#[test]
fn certs_d_ca_saved_as_pem_is_a_wrong_extension() {
    let s = setup();
    let (code, r) = certs_d(&s, &[("ca.pem", s.ca.pem.as_bytes())], None);
    assert_eq!(node_codes(&r, "certs-d"), ["certs_d_wrong_extension"]);
    assert!(
        finding(&r, "certs_d_wrong_extension")["hint"]
            .as_str()
            .unwrap()
            .contains("/ca.crt'")
    );
    assert_eq!(code, 1);
}

#[test]
fn certs_d_with_another_authority_is_a_mismatch() {
    let s = setup();
    let (_, r) = certs_d(&s, &[("ca.crt", s.other.pem.as_bytes())], None);
    assert_eq!(node_codes(&r, "certs-d"), ["certs_d_ca_mismatch"]);
    let m = finding(&r, "certs_d_ca_mismatch")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        m.contains("CN=Other CA") && m.contains("CN=Registry CA"),
        "{m}"
    );
}

#[test]
fn certs_d_directory_without_the_port_is_missing() {
    let s = setup();
    let (_, r) = certs_d(&s, &[("ca.crt", s.ca.pem.as_bytes())], Some("127.0.0.1"));
    assert_eq!(node_codes(&r, "certs-d"), ["certs_d_missing"]);
    let f = finding(&r, "certs_d_missing");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("docker-certs.d/127.0.0.1/"),
        "{f:#}"
    );
    assert!(f["hint"].as_str().unwrap().starts_with("`mv "), "{f:#}");
}

#[test]
fn certs_d_cert_without_key_fails_like_docker() {
    let s = setup();
    let (_, r) = certs_d(
        &s,
        &[
            ("ca.crt", s.ca.pem.as_bytes()),
            ("client.cert", s.other.pem.as_bytes()),
        ],
        None,
    );
    assert_eq!(node_codes(&r, "certs-d"), ["certs_d_client_pair"]);
    assert_eq!(
        finding(&r, "certs_d_client_pair")["client_error"],
        "Error response from daemon: missing key client.key for client certificate client.cert. CA certificates must use the extension .crt"
    );
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
            .starts_with("unable to read CA cert \"/nonexistent/ca.crt\"")
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
            "error: cannot read /nonexistent/daemon.json",
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

#[test]
fn certs_d_client_key_of_another_certificate() {
    let s = setup();
    let mine = leaf(&s.ca, &["client"], now());
    let other = leaf(&s.ca, &["other"], now());
    let (_, r) = certs_d(
        &s,
        &[
            ("ca.crt", s.ca.pem.as_bytes()),
            ("client.cert", mine.pem.as_bytes()),
            ("client.key", other.key_pem.as_bytes()),
        ],
        None,
    );
    assert_eq!(node_codes(&r, "certs-d"), ["certs_d_client_pair"]);
    assert_eq!(
        finding(&r, "certs_d_client_pair")["client_error"],
        "Error response from daemon: tls: private key does not match public key"
    );
}
