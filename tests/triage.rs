//! `regdoctor triage` on realistic logs: the seed's karbon_core.out, a Docker journal, and
//! kubectl events — codes, hosts and the suggested next commands.

use assert_cmd::Command;
use predicates::prelude::*;

fn logs(name: &str) -> String {
    format!("{}/tests/fixtures/logs/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn triage_json(name: &str) -> (i32, serde_json::Value) {
    let out = Command::new(assert_cmd::cargo::cargo_bin!("regdoctor"))
        .args(["triage", &logs(name), "--format", "json"])
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        serde_json::from_slice(&out.stdout).unwrap(),
    )
}

fn summary(v: &serde_json::Value) -> Vec<(String, String, String)> {
    v["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["signature"].as_str().unwrap().to_string(),
                m["host"].as_str().unwrap_or("-").to_string(),
                m["command"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn karbon_core_out() {
    let (code, v) = triage_json("karbon_core.out");
    assert_eq!(code, 1);
    assert_eq!(
        summary(&v),
        [
            (
                "san_ip_missing".into(),
                "10.20.30.40:5001".into(),
                "regdoctor 10.20.30.40:5001 --ca ca.crt".into()
            ),
            (
                "karbon_precheck".into(),
                "10.20.30.40:5001".into(),
                "regdoctor 10.20.30.40:5001 --ca cacert.pem --runtime karbon".into()
            ),
            (
                "plain_http".into(),
                "10.20.30.41:5000".into(),
                "regdoctor 10.20.30.41:5000 --daemon-json /etc/docker/daemon.json".into()
            ),
        ]
    );
}

#[test]
fn the_seed_articles_truncated_line_is_still_recognised() {
    let (_, v) = triage_json("karbon_core_seed.out");
    assert_eq!(v["matches"][0]["code"], "san_ip_missing", "{v:#}");
}

#[test]
fn docker_journal() {
    let (_, v) = triage_json("docker-journal.log");
    let s = summary(&v);
    assert_eq!(s[0].0, "unknown_authority");
    assert_eq!(s[0].1, "registry.corp.example:5000");
    assert_eq!(v["matches"][0]["count"], 3);
    assert_eq!(
        s[1],
        (
            "plain_http".into(),
            "10.0.0.5:5000".into(),
            "regdoctor 10.0.0.5:5000 --daemon-json /etc/docker/daemon.json".into()
        )
    );
    assert_eq!(s[2].0, "daemon_json_syntax");
    assert_eq!(s[2].2, "regdoctor --daemon-json /etc/docker/daemon.json");
    assert_eq!(s.len(), 3);
}

#[test]
fn kubectl_events() {
    let (_, v) = triage_json("kubectl-events.txt");
    let s = summary(&v);
    assert_eq!(
        s[0],
        (
            "san_mismatch".into(),
            "10.0.0.5:5000".into(),
            "regdoctor 10.0.0.5:5000 --ca ca.crt".into()
        )
    );
    assert_eq!(
        s[1],
        (
            "insufficient_scope".into(),
            "harbor.corp.example".into(),
            "regdoctor harbor.corp.example --user USER --password-stdin".into()
        )
    );
    assert_eq!(s.len(), 2);
}

#[test]
fn stdin_and_nothing_found() {
    Command::new(assert_cmd::cargo::cargo_bin!("regdoctor"))
        .args(["triage", "-"])
        .write_stdin("all is well\nnothing to see\n")
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "0 known registry errors in 2 lines",
        ))
        .stdout(predicate::str::contains(
            "no known registry error signature was found",
        ));
    Command::new(assert_cmd::cargo::cargo_bin!("regdoctor"))
        .args(["triage", "/nonexistent/log"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with(
            "error: cannot read /nonexistent/log",
        ));
}

#[test]
fn binary_and_invalid_utf8_input_does_not_break_it() {
    let mut input = vec![0xff, 0xfe, 0x00, b'\n'];
    input.extend_from_slice(
        b"Get \"https://r:1/v2/\": http: server gave HTTP response to HTTPS client\n",
    );
    Command::new(assert_cmd::cargo::cargo_bin!("regdoctor"))
        .args(["triage"])
        .write_stdin(input)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("plain_http · r:1"));
}

/// One line is "1 line", not "1 lines".
#[test]
fn one_line_is_counted_in_the_singular() {
    Command::new(assert_cmd::cargo::cargo_bin!("regdoctor"))
        .args(["triage", "-"])
        .write_stdin("x509: certificate signed by unknown authority\n")
        .assert()
        .stdout(predicate::str::contains(
            "1 known registry error in 1 line\n",
        ));
}

/// A FIFO or a device given to triage is refused at once with exit 2 (opening a FIFO
/// used to block forever).
#[test]
fn a_fifo_or_a_device_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("log.fifo");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    for path in [fifo.as_path(), std::path::Path::new("/dev/zero")] {
        Command::new(assert_cmd::cargo::cargo_bin!("regdoctor"))
            .arg("triage")
            .arg(path)
            .timeout(std::time::Duration::from_secs(10))
            .assert()
            .code(2)
            .stderr(predicate::str::contains("not a regular file"));
    }
}
