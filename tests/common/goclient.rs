//! Real Go clients for the fidelity tests: a tiny `crypto/tls` client compiled once per
//! test run with the installed `go`, and skopeo (containers/image). Both dial only the
//! loopback servers of the tests.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use super::runtimes::{PullResult, run_bounded};
use super::{skip, tool};

/// The Go client: dials `ADDR` with `crypto/tls`, trusting only the PEM file `CA` (or,
/// for `CA` = `system`, Go's system roots: `SSL_CERT_FILE` and `SSL_CERT_DIR`), and
/// prints "ok" or the handshake's error (the text a Go program would print) on stderr.
const GO_CLIENT: &str = r#"package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"runtime"
)

func main() {
	addr, caFile := os.Args[1], os.Args[2]
	var pool *x509.CertPool
	if caFile != "system" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		pool = x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
	}
	conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool})
	fmt.Println(runtime.Version())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	conn.Close()
	fmt.Fprintln(os.Stderr, "ok")
}
"#;

/// What a Go client said.
#[derive(Debug, Clone)]
pub struct GoOutcome {
    /// The handshake (or inspect) worked.
    pub ok: bool,
    /// The error it printed, verbatim ("ok" when it worked).
    pub line: String,
    /// The client: "go1.19.8 crypto/tls" or "skopeo 1.9.3 (go1.19.8)".
    pub client: String,
}

impl GoOutcome {
    /// The `x509: ...` part of the error: Go ≥ 1.20 wraps verification errors in
    /// `tls: failed to verify certificate: `, Go 1.19 does not; parse errors keep
    /// `tls: failed to parse certificate from server: ` in every version.
    pub fn x509_part(&self) -> String {
        let line = &self.line;
        if let Some(i) = line.find("tls: failed to parse certificate from server: ") {
            return line[i..].to_string();
        }
        match line.find("x509: ") {
            Some(i) => line[i..].to_string(),
            None => line.clone(),
        }
    }
}

/// The compiled Go client, built once per test run (None after a loud SKIPPED line when
/// `go` is missing; a failed test under CI).
pub fn go_client() -> Option<&'static Path> {
    static BUILT: OnceLock<Option<PathBuf>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            build_go(
                "fidelity-goclient",
                "goclient",
                GO_CLIENT,
                "the fidelity client",
            )
        })
        .as_deref()
}

/// Builds one Go file (`source`, standard library only, offline) into
/// `CARGO_TARGET_TMPDIR/<dir>/<bin>`; None after a SKIPPED line without `go`.
pub fn build_go(dir: &str, bin: &str, source: &str, what: &str) -> Option<PathBuf> {
    let go = tool("go")?;
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(dir);
    std::fs::create_dir_all(dir.join("cache")).unwrap();
    std::fs::create_dir_all(dir.join("home")).unwrap();
    std::fs::write(dir.join("main.go"), source).unwrap();
    let bin = dir.join(bin);
    let out = Command::new(go)
        .current_dir(&dir)
        .args(["build", "-o"])
        .arg(&bin)
        .arg("main.go")
        .env("HOME", dir.join("home"))
        .env("GOCACHE", dir.join("cache"))
        .env("GOPATH", dir.join("home/go"))
        .env("GO111MODULE", "off")
        .env("GOFLAGS", "")
        .env("CGO_ENABLED", "0")
        .env("GOPROXY", "off")
        .env("GOTOOLCHAIN", "local")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "go build of {what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(bin)
}

/// Dials `addr` (`127.0.0.1:PORT`) with the Go client, trusting the PEM file `ca`.
pub fn go_dial(addr: &str, ca: &str) -> Option<GoOutcome> {
    go_dial_env(addr, ca, &[])
}

/// [`go_dial`] with environment variables (`ca` = `system` and `SSL_CERT_FILE` /
/// `SSL_CERT_DIR`: Go's own system roots from those).
pub fn go_dial_env(addr: &str, ca: &str, env: &[(&str, &str)]) -> Option<GoOutcome> {
    let bin = go_client()?;
    let mut cmd = Command::new(bin);
    cmd.args([addr, ca]).envs(env.iter().copied());
    let (ok, stdout, stderr) = run_bounded(&mut cmd, Duration::from_secs(30));
    let line = last_line(&stderr).unwrap_or_default();
    Some(GoOutcome {
        ok,
        line,
        client: format!("{} crypto/tls", stdout.trim()),
    })
}

/// `skopeo inspect --tls-verify=true --cert-dir DIR docker://ADDR/x:y` with `ca` as
/// `DIR/ca.crt` and a private HOME (None after a SKIPPED line when skopeo is missing).
/// skopeo reaches the server, so an inspect that gets past TLS fails later on the
/// test server's empty manifest answer: `ok` means "TLS was accepted".
pub fn skopeo_inspect(addr: &str, ca: &str) -> Option<GoOutcome> {
    let skopeo = tool("skopeo")?;
    let dir = tempfile::tempdir().unwrap();
    let certs = dir.path().join("certs");
    let home = dir.path().join("home");
    std::fs::create_dir_all(&certs).unwrap();
    std::fs::create_dir_all(&home).unwrap();
    std::fs::copy(ca, certs.join("ca.crt")).unwrap();
    let (ok, stdout, stderr) = run_bounded(
        Command::new(&skopeo)
            .args(["inspect", "--tls-verify=true", "--cert-dir"])
            .arg(&certs)
            .arg(format!("docker://{addr}/x:y"))
            .env("HOME", &home)
            .env("XDG_RUNTIME_DIR", &home)
            .env_remove("REGISTRY_AUTH_FILE")
            .env_remove("SSL_CERT_FILE")
            .env_remove("SSL_CERT_DIR"),
        Duration::from_secs(60),
    );
    let result = PullResult {
        ok,
        output: format!("{stdout}{stderr}"),
        error: last_line(&stderr),
    };
    let line = result.message();
    // Past TLS, the test server answers `{}` to everything, so skopeo fails on the
    // manifest: TLS itself was accepted.
    let tls_ok = ok || !(line.contains("x509: ") || line.contains("tls: "));
    let version = Command::new(&skopeo)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    Some(GoOutcome {
        ok: tls_ok,
        line: if tls_ok { "ok".into() } else { line },
        client: version,
    })
}

/// Both real Go clients: the crypto/tls client and skopeo (each None when missing).
pub fn real_go_clients(addr: &str, ca: &str) -> Vec<GoOutcome> {
    let clients: Vec<GoOutcome> = [go_dial(addr, ca), skopeo_inspect(addr, ca)]
        .into_iter()
        .flatten()
        .collect();
    if clients.is_empty() {
        skip("neither go nor skopeo is installed: no real Go client to compare with");
    }
    clients
}

fn last_line(text: &str) -> Option<String> {
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map(str::to_string)
}
