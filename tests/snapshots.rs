//! Reviewed snapshots of what users see: human (no colour), JSON and Markdown, for a
//! passing registry, a SAN failure, plain HTTP and authentication required. Ports, dates,
//! serials, fingerprints and temporary paths are replaced by placeholders.

use crate::common::pki::*;
use crate::common::server::{self, Behaviour};
use crate::common::*;

fn run(args: &[&str], format: &str) -> String {
    let mut argv = vec!["regdoctor"];
    argv.extend_from_slice(args);
    argv.extend_from_slice(&["--format", format, "--color", "never", "--no-node-defaults"]);
    let mut out = Vec::new();
    let mut err = Vec::new();
    regdoctor::cli::run_full(argv, &mut &b""[..], &mut out, &mut err, false);
    String::from_utf8(out).unwrap()
}

fn filters() -> Vec<(&'static str, &'static str)> {
    vec![
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
        (r#""port": \d+"#, r#""port": "[PORT]""#),
        (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "[DATE]"),
        (r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", "[DATE]"),
        (r#""duration_ms": \d+"#, r#""duration_ms": "[MS]""#),
        (r"· \d+ ms", "· [MS] ms"),
        (r"([0-9A-Fa-f]{2}:){4,}[0-9A-Fa-f]{2}…?", "[HEX]"),
        (r"/tmp/\.tmp\w+", "[TMP]"),
        (
            r"the system roots \([^)]*\)",
            "the system roots ([SYSTEM ROOTS])",
        ),
    ]
}

fn snapshot_all(name: &str, args: &[&str]) {
    let mut settings = insta::Settings::clone_current();
    for (re, with) in filters() {
        settings.add_filter(re, with);
    }
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        insta::assert_snapshot!(format!("{name}_human"), run(args, "human"));
        insta::assert_snapshot!(format!("{name}_json"), run(args, "json"));
        insta::assert_snapshot!(format!("{name}_markdown"), run(args, "markdown"));
    });
}

fn tls_server(
    behaviour: fn(std::sync::Arc<rustls::ServerConfig>) -> Behaviour,
    sans: &[&str],
) -> (server::Server, tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let root = ca("Snapshot Registry CA", now());
    let l = leaf(&root, sans, now());
    let s = server::start(
        "127.0.0.1:0",
        behaviour(server::tls_config(std::slice::from_ref(&l.der), &l.key_der)),
    );
    let ca_path = write(&dir, "ca.crt", root.pem.as_bytes());
    (s, dir, ca_path)
}

#[test]
fn passing_registry() {
    let (s, _d, ca) = tls_server(Behaviour::Tls, &["127.0.0.1"]);
    snapshot_all("passing_registry", &[&s.target(), "--ca", &ca]);
}

#[test]
fn san_failure() {
    let (s, _d, ca) = tls_server(Behaviour::Tls, &["registry.example.internal"]);
    snapshot_all("san_failure", &[&s.target(), "--ca", &ca]);
}

#[test]
fn plain_http() {
    let s = server::start("127.0.0.1:0", Behaviour::PlainHttp);
    snapshot_all("plain_http", &[&s.target()]);
}

#[test]
fn auth_required() {
    let (s, _d, ca) = tls_server(Behaviour::TlsBasicAuth, &["127.0.0.1"]);
    snapshot_all("auth_required", &[&s.target(), "--ca", &ca]);
}
