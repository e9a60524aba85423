//! Shared helpers for the integration tests.

pub mod pki;
pub mod registry;
pub mod server;

use serde_json::Value;

/// The current time, unix seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Runs regdoctor in-process with `--format json --color never` and returns the exit
/// status, the parsed report (Null when stdout was not JSON) and stderr.
pub fn diagnose(args: &[&str]) -> (u8, Value, String) {
    diagnose_with_stdin(args, "")
}

/// [`diagnose`] with standard input (for --password-stdin).
pub fn diagnose_with_stdin(args: &[&str], stdin: &str) -> (u8, Value, String) {
    let mut argv = vec!["regdoctor"];
    argv.extend_from_slice(args);
    argv.extend_from_slice(&["--format", "json", "--color", "never", "--no-node-defaults"]);
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = regdoctor::cli::run_full(argv, &mut stdin.as_bytes(), &mut out, &mut err, false);
    let json = serde_json::from_slice(&out).unwrap_or(Value::Null);
    (code, json, String::from_utf8_lossy(&err).into_owned())
}

/// Every error and warning code in the report, in order (info notes left out).
pub fn codes(report: &Value) -> Vec<String> {
    report["checks"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|c| c["findings"].as_array().into_iter().flatten())
        .filter(|f| f["severity"] != "info")
        .map(|f| f["code"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// The first finding with this code; panics with the report when absent.
pub fn finding<'a>(report: &'a Value, code: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|c| c["findings"].as_array().into_iter().flatten())
        .find(|f| f["code"] == code)
        .unwrap_or_else(|| panic!("no finding {code} in {report:#}"))
}

/// The status of a check.
pub fn status<'a>(report: &'a Value, id: &str) -> &'a str {
    report["checks"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["id"] == id)
        .and_then(|c| c["status"].as_str())
        .unwrap_or("absent")
}

/// Writes a file into `dir` and returns its path as a string.
pub fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> String {
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    p.to_string_lossy().into_owned()
}

/// A TLS server presenting a chain, and a --ca file with a trusted PEM.
pub struct Scenario {
    /// The server.
    pub server: server::Server,
    /// The --ca file.
    pub ca_path: String,
    _dir: tempfile::TempDir,
}

/// Starts a TLS server on 127.0.0.1 presenting `chain` (leaf first, with the leaf's key)
/// and writes `trusted_pem` as the --ca file.
pub fn scenario(trusted_pem: &str, chain: &[Vec<u8>], key_der: &[u8]) -> Scenario {
    let dir = tempfile::tempdir().unwrap();
    let ca_path = write(&dir, "ca.crt", trusted_pem.as_bytes());
    let server = server::start(
        "127.0.0.1:0",
        server::Behaviour::Tls(server::tls_config(chain, key_der)),
    );
    Scenario {
        server,
        ca_path,
        _dir: dir,
    }
}

impl Scenario {
    /// `127.0.0.1:port`.
    pub fn target(&self) -> String {
        self.server.target()
    }

    /// A temporary directory that lives as long as the scenario (for HOME, say).
    pub fn dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    /// Diagnoses the server with the --ca file.
    pub fn run(&self) -> (u8, Value, String) {
        diagnose(&[&self.target(), "--ca", &self.ca_path])
    }
}
