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

/// 1,001 other host folders that sort before the target's: the target's own folder is
/// still found (looked up by name, as containerd does), and when it is absent the message
/// says how many entries were not listed instead of pretending the listing was whole.
#[test]
fn many_host_folders_do_not_hide_the_targets_own() {
    let s = setup();
    let t = s.server.target();
    let root = s.dir.path().join("containerd-certs.d");
    for i in 0..1001 {
        std::fs::create_dir_all(root.join(format!("0-{i:04}.example"))).unwrap();
    }
    let root = root.to_string_lossy().into_owned();
    let (_, r, err) = diagnose(&[&t, "--containerd-certs-d", &root]);
    assert!(err.is_empty(), "{err}");
    assert_eq!(node_codes(&r, "containerd-hosts"), ["hosts_toml_missing"]);
    let message = finding(&r, "hosts_toml_missing")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.contains("501 other entries were not read"),
        "{message}"
    );
    let hosts_toml =
        format!("server = \"https://{t}\"\n[host.\"https://{t}\"]\n  ca = \"ca.crt\"\n");
    tree(
        s.dir.path(),
        "containerd-certs.d",
        &[(
            t.as_str(),
            &[
                ("hosts.toml", hosts_toml.as_bytes()),
                ("ca.crt", s.ca.pem.as_bytes()),
            ],
        )],
    );
    let (_, r, err) = diagnose(&[&t, "--containerd-certs-d", &root]);
    assert!(err.is_empty(), "{err}");
    assert_eq!(status(&r, "containerd-hosts"), "pass", "{r:#}");
}

/// A hosts.toml that is a FIFO, a CA named in one that is a link to /dev/zero, and one over
/// 1 MiB: each is a finding saying what containerd's os.ReadFile would do, the run ends
/// (nothing is opened in blocking mode, nothing is read without a cap), never "does not exist".
#[test]
fn hosts_toml_and_its_ca_as_pipe_device_or_huge_are_findings() {
    let s = setup();
    let t = s.server.target();
    let root = s.dir.path().join("containerd-certs.d");
    let dir = root.join(&t);
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = dir.join("hosts.toml");
    mkfifo(&fifo);
    let root_s = root.to_string_lossy().into_owned();
    let (_, r, err) = diagnose_within(&[&t, "--containerd-certs-d", &root_s]);
    assert!(err.is_empty(), "{err}");
    assert_eq!(
        node_codes(&r, "containerd-hosts"),
        ["hosts_toml_unreadable"]
    );
    let m = finding(&r, "hosts_toml_unreadable")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        m.contains("not a regular file") && m.contains("os.ReadFile"),
        "{m}"
    );

    std::fs::remove_file(&fifo).unwrap();
    std::os::unix::fs::symlink("/dev/zero", dir.join("zero.crt")).unwrap();
    let big = dir.join("big.crt");
    std::fs::write(&big, vec![b'A'; 1024 * 1024 + 1]).unwrap();
    std::fs::write(
        &fifo,
        format!(
            "[host.\"https://{t}\"]\n  ca = [\"zero.crt\", \"{}\"]\n",
            big.display()
        ),
    )
    .unwrap();
    let (_, r, err) = diagnose_within(&[&t, "--containerd-certs-d", &root_s]);
    assert!(err.is_empty(), "{err}");
    let messages: Vec<String> = r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["id"] == "containerd-hosts")
        .flat_map(|c| c["findings"].as_array().unwrap().iter())
        .filter(|f| f["code"] == "hosts_toml_ca_unreadable")
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(messages.len(), 2, "{r:#}");
    assert!(
        messages[0].contains("zero.crt") && messages[0].contains("not a regular file"),
        "{}",
        messages[0]
    );
    assert!(messages[1].contains("larger than 1 MiB"), "{}", messages[1]);
    assert!(messages.iter().all(|m| !m.contains("does not exist")));
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

/// Node files found by default (under --host-root) that are a FIFO, a link to /dev/zero or
/// a file where a directory belongs: each is a finding and the report runs (exit 1), where
/// the same paths named on the command line are exit 2.
#[test]
fn unreadable_default_node_files_are_findings_not_exit_2() {
    let s = setup();
    let t = s.server.target();
    let root = s.dir.path().join("host");
    for d in ["etc/docker", "etc/containerd", "etc/containers"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    let fifo = |p: &str| mkfifo(&root.join(p));
    fifo("etc/docker/daemon.json");
    fifo("etc/containerd/config.toml");
    std::os::unix::fs::symlink("/dev/zero", root.join("etc/containers/registries.conf")).unwrap();
    std::fs::write(root.join("etc/docker/certs.d"), b"not a directory").unwrap();
    std::fs::create_dir_all(root.join("etc/containers/registries.conf.d")).unwrap();
    fifo("etc/containers/registries.conf.d/50-mirror.conf");
    let root_s = root.to_string_lossy().into_owned();
    // Not `diagnose`: it adds --no-node-defaults, and the defaults are the point here.
    let argv: Vec<String> = ["regdoctor", &t, "--host-root", &root_s, "--format", "json"]
        .iter()
        .map(|a| a.to_string())
        .collect();
    let (code, out, err) = within(std::time::Duration::from_secs(30), move || {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = regdoctor::cli::run_full(argv, &mut &b""[..], &mut out, &mut err, false);
        (code, out, err)
    });
    let r: serde_json::Value = serde_json::from_slice(&out).unwrap_or_default();
    let err = String::from_utf8_lossy(&err);
    assert!(err.is_empty(), "{err}");
    assert_eq!(code, 1, "{r:#}");
    for (check, code, path) in [
        (
            "daemon-json",
            "daemon_json_unreadable",
            "/etc/docker/daemon.json",
        ),
        (
            "containerd-hosts",
            "containerd_config_unreadable",
            "/etc/containerd/config.toml",
        ),
        (
            "containers-registries",
            "registries_conf_unreadable",
            "/etc/containers/registries.conf",
        ),
    ] {
        assert!(
            node_codes(&r, check).contains(&code.to_string()),
            "{check}: {r:#}"
        );
        let m = finding(&r, code)["message"].as_str().unwrap().to_string();
        assert!(m.contains(path) && m.contains("not a regular file"), "{m}");
    }
    // A file where /etc/docker/certs.d belongs: Docker's check and CRI-O's (which reads
    // that directory too) say it could not be listed.
    for code in ["certs_d_file_unreadable", "containers_certs_d_unreadable"] {
        let m = finding(&r, code)["message"].as_str().unwrap().to_string();
        assert!(
            m.contains("could not list /etc/docker/certs.d: it is not a directory"),
            "{code}: {m}"
        );
    }
    // A drop-in beside registries.conf that is a FIFO is one more finding, not a silent skip.
    let drop_ins: Vec<&str> = r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["findings"].as_array().unwrap().iter())
        .filter(|f| f["code"] == "registries_conf_unreadable")
        .filter_map(|f| f["message"].as_str())
        .filter(|m| m.contains("registries.conf.d/50-mirror.conf"))
        .collect();
    assert_eq!(drop_ins.len(), 1, "{r:#}");
    // Named on the command line, the same FIFO is bad usage.
    let named = root
        .join("etc/docker/daemon.json")
        .to_string_lossy()
        .into_owned();
    let out = assert_cmd::Command::cargo_bin("regdoctor")
        .unwrap()
        .args([&t, "--daemon-json", &named])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
