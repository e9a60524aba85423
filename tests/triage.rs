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
                "regdoctor 10.20.30.40:5001 --ca ca.crt --runtime karbon".into()
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
    crate::common::mkfifo(&fifo);
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

/// A real log file with escape sequences in its lines and hosts: shown as `\x1b`, never
/// sent, in the human text (with `--color never`) and in Markdown; JSON keeps them.
#[test]
fn escape_sequences_in_a_log_are_shown_not_sent() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("evil.log");
    std::fs::write(
        &log,
        "Nov 25 dockerd: Get \"https://reg\x1b]0;pwned\x07:5000/v2/\": x509: certificate signed by unknown authority \x1b[2J\x1b[31mred\u{9b}1m\n",
    )
    .unwrap();
    for format in ["human", "markdown"] {
        let out = Command::new(assert_cmd::cargo::cargo_bin!("regdoctor"))
            .args([
                "triage",
                log.to_str().unwrap(),
                "--color",
                "never",
                "--format",
                format,
            ])
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        assert_eq!(out.status.code(), Some(1), "{format}: {text}");
        assert!(
            !text.contains('\x1b') && !text.contains('\x07'),
            "{format}: {text:?}"
        );
        assert!(!text.contains('\u{9b}'), "{format}: {text:?}");
        assert!(
            text.contains("\\x1b[2J\\x1b[31mred\\x9b1m"),
            "{format}: {text}"
        );
        assert!(
            text.contains("reg\\x1b]0;pwned\\x07:5000"),
            "{format}: {text}"
        );
    }
    let (_, v) = {
        let out = Command::new(assert_cmd::cargo::cargo_bin!("regdoctor"))
            .args(["triage", log.to_str().unwrap(), "--format", "json"])
            .output()
            .unwrap();
        (
            out.status.code(),
            serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap(),
        )
    };
    assert!(
        v["matches"][0]["line"]
            .as_str()
            .unwrap()
            .contains("\x1b[2J")
    );
}

/// `triage --format markdown`: a table and each signature with its line fenced.
#[test]
fn markdown_for_a_ticket() {
    let out = Command::new(assert_cmd::cargo::cargo_bin!("regdoctor"))
        .args(["triage", &logs("karbon_core.out"), "--format", "markdown"])
        .output()
        .unwrap();
    let md = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(md.starts_with("## regdoctor triage: `"), "{md}");
    assert!(
        md.contains("| 1 | `san_ip_missing` | `10.20.30.40:5001` | 1 | 5 |"),
        "{md}"
    );
    assert!(
        md.contains("\n```\n2020-09-27T15:03:10.849Z registry.go:79"),
        "{md}"
    );
    assert!(
        md.contains("**Next:** `regdoctor 10.20.30.40:5001 --ca ca.crt --runtime karbon`"),
        "{md}"
    );
    assert!(md.contains("`karbonctl registry add --cert-file`"), "{md}");
}

/// A log of many different errors (each line its own registry): each signature lists
/// twenty hosts and gathers the others in one match; counts add up.
#[test]
fn many_different_errors_are_grouped() {
    let mut log = String::new();
    let n = 30_000;
    for i in 0..n {
        log.push_str(&format!(
            "level=error msg=\"Get \\\"https://10.{}.{}.{}:5000/v2/\\\": http: server gave HTTP response to HTTPS client\"\n",
            i >> 16 & 255,
            i >> 8 & 255,
            i & 255
        ));
        log.push_str(&format!(
            "Failed to pull image \"10.{}.{}.{}:5000/app:1\": x509: certificate signed by unknown authority\n",
            i >> 16 & 255,
            i >> 8 & 255,
            i & 255
        ));
    }
    let out = Command::new(assert_cmd::cargo::cargo_bin!("regdoctor"))
        .args(["triage", "-", "--format", "json"])
        .write_stdin(log)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let matches = v["matches"].as_array().unwrap();
    assert_eq!(matches.len(), 2 * 21, "{v:#}");
    for sig in ["plain_http", "unknown_authority"] {
        let of: Vec<&serde_json::Value> =
            matches.iter().filter(|m| m["signature"] == sig).collect();
        assert_eq!(of.len(), 21, "{sig}");
        let others = of.iter().find(|m| m["host"].is_null()).unwrap();
        assert_eq!(others["other_hosts"], n - 20, "{others:#}");
        assert_eq!(others["count"], n - 20);
        assert!(
            others["command"].as_str().unwrap().contains("HOST:PORT"),
            "{others:#}"
        );
        let total: u64 = of.iter().map(|m| m["count"].as_u64().unwrap()).sum();
        assert_eq!(total, n);
    }
    let human = Command::new(assert_cmd::cargo::cargo_bin!("regdoctor"))
        .args(["triage", "-"])
        .write_stdin(
            (0..100)
                .map(|i| format!("dial tcp 10.0.0.{i}:5000: connect: connection refused\n"))
                .collect::<String>(),
        )
        .output()
        .unwrap();
    let text = String::from_utf8(human.stdout).unwrap();
    assert!(
        text.contains("· and 80 other hosts (the first 20 are listed apart) · 80×"),
        "{text}"
    );
}

/// On a locale that is not UTF-8, triage's human output is ASCII like the report's.
#[test]
fn triage_is_ascii_on_a_non_utf8_locale() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("docker.log");
    std::fs::write(
        &log,
        "Get \"https://10.0.0.5:5000/v2/\": x509: certificate signed by unknown authority\n",
    )
    .unwrap();
    let run = |lang: &str| {
        let out = Command::new(assert_cmd::cargo::cargo_bin!("regdoctor"))
            .arg("triage")
            .arg(&log)
            .env_remove("LC_ALL")
            .env_remove("LC_CTYPE")
            .env("LANG", lang)
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let utf8 = run("C.UTF-8");
    assert!(!utf8.is_ascii(), "{utf8}");
    let ascii = run("C");
    assert!(ascii.is_ascii(), "{ascii}");
    assert!(ascii.contains("unknown_authority"), "{ascii}");
}
