//! Huge outside data gives a bounded report (issue 12 item 2): a 300 KB realm from a real
//! server, a certificate with 10,000 IP SANs, daemon.json, hosts.toml and registries.conf
//! with 100,000 entries, all generated here and run through the binary. Sizes are
//! asserted; speed is measured by scripts/bench-inputs.sh, not here.

use std::process::Command;

use crate::common::pki::{ca, leaf_with, params};
use crate::common::server::{self, Behaviour};
use crate::common::{now, write};

/// The most a human report may take, whatever the input.
const HUMAN_MAX: usize = 64 * 1024;
/// The most a JSON report may take.
const JSON_MAX: usize = 256 * 1024;

/// Runs the binary; returns the exit status and standard output (human, then JSON).
fn run(args: &[&str]) -> (i32, String, String) {
    let bin = assert_cmd::cargo::cargo_bin!("regdoctor");
    let go = |extra: &[&str]| {
        let out = Command::new(bin)
            .args(args)
            .args(["--no-node-defaults", "--color", "never", "--timeout", "5"])
            .args(extra)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, human) = go(&[]);
    let (_, json) = go(&["--format", "json"]);
    (code, human, json)
}

fn assert_bounded(what: &str, human: &str, json: &str) {
    let mut lines: Vec<&str> = human.lines().collect();
    lines.sort_by_key(|l| std::cmp::Reverse(l.len()));
    let longest: Vec<String> = lines
        .iter()
        .take(3)
        .map(|l| {
            format!(
                "{} bytes: {}",
                l.len(),
                l.chars().take(300).collect::<String>()
            )
        })
        .collect();
    assert!(
        human.len() < HUMAN_MAX,
        "{what}: human report of {} bytes; its longest lines:\n{}",
        human.len(),
        longest.join("\n")
    );
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    let mut strings = Vec::new();
    longest_strings(&v, "", &mut strings);
    strings.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    assert!(
        json.len() < JSON_MAX,
        "{what}: JSON report of {} bytes; its longest strings: {:?}",
        json.len(),
        &strings[..strings.len().min(5)]
    );
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    for c in v["checks"].as_array().unwrap() {
        for f in c["findings"].as_array().unwrap() {
            for field in ["message", "hint", "client_error"] {
                let n = f[field].as_str().unwrap_or("").chars().count();
                assert!(n <= 2100, "{what}: {field} of {n} characters: {f:#}");
            }
        }
    }
}

/// Every string in a JSON value with its path and length.
fn longest_strings(v: &serde_json::Value, path: &str, out: &mut Vec<(String, usize)>) {
    match v {
        serde_json::Value::String(s) => out.push((path.to_string(), s.len())),
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                longest_strings(x, &format!("{path}[{i}]"), out);
            }
        }
        serde_json::Value::Object(o) => {
            for (k, x) in o {
                longest_strings(x, &format!("{path}.{k}"), out);
            }
        }
        _ => {}
    }
}

/// A 401 whose challenge has a 300 KB realm: quoted cut in messages and evidence.
#[test]
fn a_300_kb_realm_is_quoted_cut() {
    let realm = format!("https://127.0.0.1:1/{}", "a".repeat(300_000));
    let (s, _dir, ca_path) = static_server(format!(
        "HTTP/1.1 401 Unauthorized\r\nDocker-Distribution-Api-Version: registry/2.0\r\nWWW-Authenticate: Bearer realm=\"{realm}\",service=\"registry\"\r\nContent-Length: 0\r\n\r\n"
    ));
    let (_, human, json) = run(&[&s.target(), "--ca", &ca_path]);
    assert!(human.contains("auth_required"), "{human}");
    assert!(human.contains("more characters)"), "{human}");
    assert_bounded("300 KB realm", &human, &json);
}

#[test]
fn ten_thousand_ip_sans_are_listed_cut() {
    let dir = tempfile::tempdir().unwrap();
    let root = ca("Registry CA", now());
    let ips: Vec<String> = (0..10_000)
        .map(|i| format!("10.{}.{}.{}", i >> 16 & 255, i >> 8 & 255, i & 255))
        .collect();
    let refs: Vec<&str> = ips.iter().map(String::as_str).collect();
    let l = leaf_with(&root, params("r", &refs, now() - 86_400, now() + 86_400));
    let ca_path = write(&dir, "ca.crt", root.pem.as_bytes());
    let s = server::start(
        "127.0.0.1:0",
        Behaviour::Tls(server::tls_config(&[l.der], &l.key_der)),
    );
    let (code, human, json) = run(&[&s.target(), "--ca", &ca_path]);
    assert_eq!(code, 1, "{human}");
    assert!(human.contains("san_mismatch"), "{human}");
    assert!(human.contains("10.0.0.0, 10.0.0.1"), "{human}");
    assert!(human.contains("more)"), "{human}");
    assert_bounded("10,000 IP SANs", &human, &json);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let f = crate::common::finding(&v, "san_mismatch");
    assert_eq!(f["evidence"]["sans_total"], 10_000, "{:#}", f["evidence"]);
    assert_eq!(f["evidence"]["ip_sans"].as_array().unwrap().len(), 200);
}

/// daemon.json with 100,000 unknown keys, duplicate keys, or insecure-registries entries
/// with a scheme: a few findings one by one, the rest in one finding per code.
#[test]
fn daemon_json_with_100_000_entries() {
    let dir = tempfile::tempdir().unwrap();
    let n = 100_000;
    let unknown = format!(
        "{{\n{}\n}}\n",
        (0..n)
            .map(|i| format!("  \"unknown-key-{i}\": {i}"))
            .collect::<Vec<_>>()
            .join(",\n")
    );
    let duplicate = format!("{{\n{}\n}}\n", vec!["  \"debug\": true"; n].join(",\n"));
    let insecure = format!(
        "{{\"insecure-registries\": [{}]}}",
        (0..n)
            .map(|i| format!(
                "\"http://10.{}.{}.{}:5000\"",
                i >> 16 & 255,
                i >> 8 & 255,
                i & 255
            ))
            .collect::<Vec<_>>()
            .join(", ")
    );
    // Unknown keys: one finding names them all, as dockerd's line does.
    let path = write(&dir, "unknown.json", unknown.as_bytes());
    let (_, human, json) = run(&["--daemon-json", &path]);
    assert_bounded("unknown.json", &human, &json);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let of_code = findings_of(&v, "daemon_json_unknown_key");
    assert_eq!(of_code.len(), 1, "{human}");
    let message = of_code[0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("100000 keys in ")
            && message.contains(
                "are not dockerd options: \"unknown-key-0\" (line 2), \"unknown-key-1\" (line 3)"
            ),
        "{message}"
    );
    assert_eq!(of_code[0]["evidence"]["others_total"], n);
    assert_eq!(
        of_code[0]["evidence"]["others"].as_array().unwrap().len(),
        200
    );
    // Duplicates and entries: ten one by one, then one that stands for the rest.
    for (name, text, code, last, rest) in [
        (
            "duplicate.json",
            duplicate,
            "daemon_json_duplicate_key",
            "\"debug\"",
            n - 11,
        ),
        (
            "insecure.json",
            insecure,
            "daemon_json_insecure_registry_scheme",
            "\"http://10.0.0.10:5000\"",
            n - 10,
        ),
    ] {
        let path = write(&dir, name, text.as_bytes());
        let (_, human, json) = run(&["--daemon-json", &path]);
        assert_bounded(name, &human, &json);
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        let of_code = findings_of(&v, code);
        assert_eq!(of_code.len(), 11, "{name}: {human}");
        let summary = of_code[10];
        let message = summary["message"].as_str().unwrap();
        assert!(
            message.starts_with(&format!("and {rest} more {code} findings")),
            "{name}: {summary:#}"
        );
        assert!(message.contains(last), "{name}: {summary:#}");
        assert!(
            message.ends_with("more)") && !message.contains("(189 more)"),
            "{name}: {message}"
        );
        assert_eq!(summary["evidence"]["others_total"], rest, "{name}");
        assert_eq!(
            summary["evidence"]["others"].as_array().unwrap().len(),
            200,
            "{name}"
        );
    }
}

/// Every finding of a code.
fn findings_of<'a>(v: &'a serde_json::Value, code: &str) -> Vec<&'a serde_json::Value> {
    v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["findings"].as_array().unwrap())
        .filter(|f| f["code"] == code)
        .collect()
}

/// hosts.toml with 100,000 keys containerd does not know (in one table, so that the file
/// stays under the 1 MiB a certs.d file may have): ten findings one by one and one for the
/// rest.
#[test]
fn hosts_toml_with_100_000_unknown_keys() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("certs.d/127.0.0.1:1");
    std::fs::create_dir_all(&d).unwrap();
    let mut text = String::from(
        "server = \"https://127.0.0.1:1\"\n\n[host.\"https://127.0.0.1:1\"]\n  capabilities = [\"pull\"]\n",
    );
    for i in 0..100_000 {
        text.push_str(&format!("k{i}=1\n"));
    }
    assert!(text.len() < 1 << 20);
    std::fs::write(d.join("hosts.toml"), text).unwrap();
    let root = dir.path().join("certs.d");
    let (_, human, json) = run(&[
        "127.0.0.1:1",
        "--runtime",
        "containerd",
        "--containerd-certs-d",
        root.to_str().unwrap(),
    ]);
    assert_bounded("hosts.toml", &human, &json);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let unknown = findings_of(&v, "hosts_toml_unknown_key");
    assert_eq!(unknown.len(), 11, "{human}");
    assert!(
        unknown[10]["message"]
            .as_str()
            .unwrap()
            .contains("and 99990 more keys"),
        "{:#}",
        unknown[10]
    );
}

/// A TOML error in a huge file is quoted cut, not with the whole line.
#[test]
fn a_toml_error_on_a_huge_line_is_quoted_cut() {
    let dir = tempfile::tempdir().unwrap();
    let conf = format!(
        "unqualified-search-registries = [{}, oops]\n",
        vec!["\"docker.io\""; 50_000].join(", ")
    );
    let path = write(&dir, "registries.conf", conf.as_bytes());
    let (_, human, json) = run(&[
        "127.0.0.1:1",
        "--runtime",
        "cri-o",
        "--registries-conf",
        &path,
    ]);
    assert!(human.contains("registries_conf_syntax"), "{human}");
    assert_bounded("registries.conf", &human, &json);
}

/// A TLS server answering every request with this response, and a --ca file for it.
fn static_server(response: String) -> (server::Server, tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let root = ca("Registry CA", now());
    let l = leaf_with(
        &root,
        params("r", &["127.0.0.1"], now() - 86_400, now() + 86_400),
    );
    let ca_path = write(&dir, "ca.crt", root.pem.as_bytes());
    let response: &'static str = Box::leak(response.into_boxed_str());
    let s = server::start(
        "127.0.0.1:0",
        Behaviour::TlsStatic(server::tls_config(&[l.der], &l.key_der), response),
    );
    (s, dir, ca_path)
}

/// A registry error whose message is 300 KB: quoted cut in the finding and the runtime lines.
#[test]
fn a_300_kb_registry_error_message_is_quoted_cut() {
    let body = format!(
        "{{\"errors\": [{{\"code\": \"UNKNOWN\", \"message\": \"{}\"}}]}}",
        "m".repeat(300_000)
    );
    let (s, _dir, ca_path) = static_server(format!(
        "HTTP/1.1 500 Internal Server Error\r\nDocker-Distribution-Api-Version: registry/2.0\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    ));
    let (code, human, json) = run(&[&s.target(), "--ca", &ca_path]);
    assert_eq!(code, 1, "{human}");
    assert!(human.contains("http_error"), "{human}");
    assert!(human.contains("unknown: mmmm"), "{human}");
    assert_bounded("300 KB registry error", &human, &json);
}

/// A catalog of 10,000 repositories with long names: the message names as many as fit.
#[test]
fn a_catalog_of_10_000_repositories_is_named_cut() {
    let names: Vec<String> = (0..10_000)
        .map(|i| format!("\"team-{i}/{}\"", "n".repeat(50)))
        .collect();
    let body = format!("{{\"repositories\": [{}]}}", names.join(","));
    let (s, _dir, ca_path) = static_server(format!(
        "HTTP/1.1 200 OK\r\nDocker-Distribution-Api-Version: registry/2.0\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    ));
    let (_, human, json) = run(&[&s.target(), "--ca", &ca_path]);
    assert!(human.contains("10000 repositories: team-0/"), "{human}");
    assert!(human.contains("more)"), "{human}");
    assert_bounded("10,000 repositories", &human, &json);
}
