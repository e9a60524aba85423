//! Watch mode for real: `regdoctor watch` serves metrics that `promtool check metrics`
//! accepts, the alert rules pass `promtool check rules`, and a real Prometheus (Debian's
//! `prometheus`) on loopback scrapes watch mode and answers a query with its values.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::pki::*;
use crate::common::server::{self, Behaviour};
use crate::common::*;

/// A child process stopped by its PID when dropped.
struct Stop(Child);

impl Drop for Stop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `GET path` on a plain-HTTP server; the body.
fn get(addr: &str, path: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    text.split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn prometheus_scrapes_watch_mode() {
    let Some(promtool) = tool("promtool") else {
        return;
    };
    let Some(prometheus) = tool("prometheus") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let root = ca("Registry CA", now());
    let l = leaf(&root, &["127.0.0.1"], now());
    let tls = server::start(
        "127.0.0.1:0",
        Behaviour::Tls(server::tls_config(std::slice::from_ref(&l.der), &l.key_der)),
    );
    let ca_path = write(&dir, "ca.crt", root.pem.as_bytes());
    let closed = server::closed_port().to_string();
    let mut watch = Stop(
        Command::new(assert_cmd::cargo::cargo_bin!("regdoctor"))
            .args(["watch", &tls.target(), &closed, "--ca", &ca_path])
            .args(["--no-node-defaults", "--interval", "1s", "--timeout", "1"])
            .args(["--listen", "127.0.0.1:0"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    BufReader::new(watch.0.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    // "regdoctor watch: serving http://127.0.0.1:PORT/metrics, …"
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    // The first round is done once /healthz says so.
    let started = Instant::now();
    while get(&addr, "/healthz") != "ok\n" {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "watch never became healthy"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let metrics = get(&addr, "/metrics");
    assert!(
        metrics.contains(&format!(
            "regdoctor_pull_works{{registry=\"{closed}\",runtime=\"any\"}} 0"
        )),
        "{metrics}"
    );
    assert!(
        metrics.contains(&format!(
            "regdoctor_pull_works{{registry=\"{}\",runtime=\"any\"}} 1",
            tls.target()
        )),
        "{metrics}"
    );
    assert!(
        metrics.contains("regdoctor_certificate_not_after_timestamp_seconds{"),
        "{metrics}"
    );
    // promtool accepts the exposition and the alert rules.
    let mut check = Command::new(&promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    check
        .stdin
        .take()
        .unwrap()
        .write_all(metrics.as_bytes())
        .unwrap();
    let out = check.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let rules = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/deploy/prometheus/regdoctor-alerts.yaml"
    );
    let out = Command::new(&promtool)
        .args(["check", "rules", rules])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A real Prometheus scrapes it and answers a query.
    let prom_port = free_port();
    let config = write(
        &dir,
        "prometheus.yml",
        format!(
            "global:\n  scrape_interval: 1s\nrule_files:\n  - {rules}\nscrape_configs:\n  - job_name: regdoctor\n    static_configs:\n      - targets: ['{addr}']\n"
        )
        .as_bytes(),
    );
    let _prom = Stop(
        Command::new(prometheus)
            .arg(format!("--config.file={config}"))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("tsdb").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{prom_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let query = format!(
        "/api/v1/query?query=regdoctor_pull_works%7Bregistry%3D%22{}%22%7D",
        closed.replace(':', "%3A")
    );
    let prom = format!("127.0.0.1:{prom_port}");
    let started = Instant::now();
    let value = loop {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "Prometheus never had the value"
        );
        std::thread::sleep(Duration::from_millis(500));
        let Ok(_) = TcpStream::connect(&prom) else {
            continue;
        };
        let body = get(&prom, &query);
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&body) else {
            continue;
        };
        if let Some(value) = v["data"]["result"][0]["value"][1].as_str() {
            break value.to_string();
        }
    };
    assert_eq!(value, "0", "a pull from the closed port does not work");
}

/// The DaemonSet's stream: with `--format json-lines` each round prints one JSON report
/// per registry on stdout (what `kubectl logs` collects), and `regdoctor summarize` reads
/// those lines back into the fleet table.
#[test]
fn watch_streams_json_lines_that_summarize_reads() {
    let dir = tempfile::tempdir().unwrap();
    let root = ca("Registry CA", now());
    let l = leaf(&root, &["127.0.0.1"], now());
    let tls = server::start(
        "127.0.0.1:0",
        Behaviour::Tls(server::tls_config(std::slice::from_ref(&l.der), &l.key_der)),
    );
    let ca_path = write(&dir, "ca.crt", root.pem.as_bytes());
    let closed = server::closed_port().to_string();
    let mut watch = Stop(
        Command::new(assert_cmd::cargo::cargo_bin!("regdoctor"))
            .args(["watch", &tls.target(), &closed, "--ca", &ca_path])
            .args(["--no-node-defaults", "--interval", "1s", "--timeout", "1"])
            .args(["--listen", "127.0.0.1:0", "--format", "json-lines"])
            .args(["--node-name", "node-a"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    // Two rounds: four lines, each a whole report.
    let mut stdout = BufReader::new(watch.0.stdout.take().unwrap());
    let mut lines = Vec::new();
    for _ in 0..4 {
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let v: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
        assert_eq!(v["node"], "node-a", "{line}");
        lines.push(line);
    }
    drop(watch);
    let targets: Vec<_> = lines
        .iter()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["target"]["input"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let (a, b) = (tls.target(), closed.clone());
    assert_eq!(
        targets,
        [a.clone(), b.clone(), a, b],
        "two rounds, targets in the order given"
    );
    let summarized = assert_cmd::Command::new(assert_cmd::cargo::cargo_bin!("regdoctor"))
        .args(["summarize", "-", "--format", "json"])
        .write_stdin(lines.concat())
        .output()
        .unwrap();
    assert_eq!(summarized.status.code(), Some(1), "the closed port fails");
    let s: serde_json::Value = serde_json::from_slice(&summarized.stdout).unwrap();
    let text = s.to_string();
    assert!(text.contains(&closed), "{text}");
    assert!(text.contains("node-a"), "{text}");
}

#[test]
fn watch_refuses_markdown() {
    let out = assert_cmd::Command::new(assert_cmd::cargo::cargo_bin!("regdoctor"))
        .args([
            "watch",
            "127.0.0.1:1",
            "--format",
            "markdown",
            "--no-node-defaults",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("json-lines"));
}
