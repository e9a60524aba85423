//! Shared helpers for the integration tests.

pub mod craft;
pub mod goclient;
pub mod h2flood;
pub mod image;
pub mod netns;
pub mod nginx;
pub mod pki;
pub mod proxy;
pub mod pull;
pub mod registry;
pub mod runtimes;
pub mod server;

use serde_json::Value;

/// The current time, unix seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Says loudly that a test cannot run on this machine; under `CI` fails instead, so a
/// CI run never passes by skipping.
pub fn skip(why: &str) {
    assert!(std::env::var_os("CI").is_none(), "{why}");
    eprintln!("SKIPPED: {why}");
}

/// Where a system binary is, under the rule of [`skip`]: None (after a loud
/// SKIPPED line) when absent, a failed test under `CI`. The distribution's directories
/// come before /usr/local, so the Debian packages .ci/run installs are the ones tested.
pub fn tool(name: &str) -> Option<std::path::PathBuf> {
    let found = [
        "/usr/sbin",
        "/usr/bin",
        "/sbin",
        "/bin",
        "/usr/local/sbin",
        "/usr/local/bin",
    ]
    .iter()
    .map(|d| std::path::Path::new(d).join(name))
    .find(|p| p.exists());
    if found.is_none() {
        skip(&format!(
            "{name} is not installed (.ci/run installs the Debian packages the tests need)"
        ));
    }
    found
}

/// Runs the regdoctor binary inside `ns` (where the registry is) with `--format json
/// --color never --no-node-defaults` after `args`, hermetically (private HOME; no
/// DOCKER_CONFIG, NO_COLOR, SSL_CERT_FILE/DIR), and returns its exit status and report.
/// Panics on exit 2 (bad usage) and on output that is not JSON.
pub fn regdoctor_in(ns: &netns::Netns, args: &[&str]) -> (i32, Value) {
    regdoctor_in_with_stdin(ns, args, "")
}

/// [`regdoctor_in`] with standard input (for --password-stdin).
pub fn regdoctor_in_with_stdin(ns: &netns::Netns, args: &[&str], stdin: &str) -> (i32, Value) {
    regdoctor_in_env(ns, args, stdin, &[])
}

/// The proxy variables Go reads, removed from regdoctor's environment in the tests unless
/// a test sets them.
/// (Written out here, not taken from the code under test: what Go reads is fixed by Go.)
pub const PROXY_VARIABLES: &[&str] = &[
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "NO_PROXY",
    "no_proxy",
    "REQUEST_METHOD",
];

/// [`regdoctor_in_with_stdin`] with these variables in regdoctor's own environment (the
/// shell it would run in).
pub fn regdoctor_in_env(
    ns: &netns::Netns,
    args: &[&str],
    stdin: &str,
    env: &[(&str, &str)],
) -> (i32, Value) {
    use std::io::Write;
    let home = tempfile::tempdir().unwrap();
    let mut cmd = ns.command(env!("CARGO_BIN_EXE_regdoctor"));
    for v in PROXY_VARIABLES {
        cmd.env_remove(v);
    }
    cmd.envs(env.iter().copied());
    let mut child = cmd
        .args(args)
        .args(["--format", "json", "--color", "never"])
        .args(if args.contains(&"--host-root") {
            &[][..]
        } else {
            &["--no-node-defaults"][..]
        })
        .env("HOME", home.path())
        .env_remove("DOCKER_CONFIG")
        .env_remove("NO_COLOR")
        .env_remove("SSL_CERT_FILE")
        .env_remove("SSL_CERT_DIR")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let code = out.status.code().unwrap_or(-1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        code == 0 || code == 1,
        "regdoctor {args:?} in {} exited {code}: {stderr}",
        ns.name()
    );
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("regdoctor {args:?} printed no JSON ({e}): {stderr}"));
    (code, report)
}

/// Asserts that regdoctor's answer for `runtime` agrees with the real client: the pull
/// works exactly when regdoctor's verdict is pass or warn, and the root cause is
/// `cause` (None when it works).
pub fn assert_agrees(report: &Value, runtime: &str, real_ok: bool, cause: Option<&str>) {
    let entry = runtime_entry(report, runtime);
    let verdict = entry["verdict"].as_str().unwrap_or_default();
    let predicted_ok = matches!(verdict, "pass" | "warn");
    assert_eq!(
        predicted_ok,
        real_ok,
        "{runtime}: the real client {} but regdoctor says {verdict}: {entry:#}",
        if real_ok { "pulled" } else { "failed" }
    );
    assert_eq!(
        entry["cause"].as_str(),
        cause,
        "{runtime}: root cause: {entry:#}"
    );
}

/// `text` with the timestamp after each "current time " cut out.
fn without_current_time(text: &str) -> String {
    const MARK: &str = "current time ";
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(MARK) {
        out.push_str(&rest[..i + MARK.len()]);
        rest = &rest[i + MARK.len()..];
        rest = rest.trim_start_matches(|c: char| c.is_ascii_alphanumeric() || c == '-' || c == ':');
    }
    out.push_str(rest);
    out
}

/// [`assert_agrees`], and the line regdoctor predicts is the one the client printed
/// (regdoctor's `IMAGE`/`TAG` placeholders stand for the test image `test/hello:v1`).
pub fn assert_agrees_line(
    report: &Value,
    runtime: &str,
    real_ok: bool,
    cause: Option<&str>,
    real_line: &str,
) {
    assert_agrees(report, runtime, real_ok, cause);
    if real_ok {
        return;
    }
    let entry = runtime_entry(report, runtime);
    let predicted = entry["error"]
        .as_str()
        .unwrap_or_else(|| panic!("{runtime}: no error line: {entry:#}"))
        .replace("IMAGE", "test/hello")
        .replace("[manifests TAG]", "[manifests v1]")
        .replace(":TAG", ":v1")
        .replace("/TAG", "/v1")
        .replace("manifest TAG", "manifest v1");
    // Go prints the time of the check ("current time 2026-…Z is after …"): the client's
    // and regdoctor's may be a second apart.
    let (real_line, predicted) = (
        without_current_time(real_line),
        without_current_time(&predicted),
    );
    assert!(
        real_line.contains(&predicted),
        "{runtime}: the client printed\n  {real_line}\nregdoctor predicted\n  {predicted}"
    );
}

/// The `runtimes` entry of a judged runtime.
pub fn runtimes_entry<'a>(report: &'a Value, runtime: &str) -> &'a Value {
    runtime_entry(report, runtime)
}

fn runtime_entry<'a>(report: &'a Value, runtime: &str) -> &'a Value {
    report["runtimes"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["runtime"] == runtime && r["judged"] == true)
        .unwrap_or_else(|| panic!("no judged runtimes entry for {runtime}: {report:#}"))
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

/// Makes a real named pipe (`mkfifo`) in `dir` and returns its path as a string.
pub fn fifo(dir: &tempfile::TempDir, name: &str) -> String {
    let p = dir.path().join(name);
    mkfifo(&p);
    p.to_string_lossy().into_owned()
}

/// Runs `f` on its own thread and fails the test if it has not returned within `limit`
/// (for in-process runs on FIFOs and devices: a regression blocks instead of failing).
pub fn within<T: Send + 'static>(
    limit: std::time::Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(limit)
        .unwrap_or_else(|_| panic!("still running after {limit:?} (blocked on a file?)"))
}

/// [`diagnose`] under [`within`] 30 s: for runs on FIFOs and devices.
pub fn diagnose_within(args: &[&str]) -> (u8, Value, String) {
    let owned: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    within(std::time::Duration::from_secs(30), move || {
        let args: Vec<&str> = owned.iter().map(String::as_str).collect();
        diagnose(&args)
    })
}

/// Makes a real named pipe (`mkfifo`) at `path`.
pub fn mkfifo(path: &std::path::Path) {
    let made = std::process::Command::new("mkfifo").arg(path).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo {}", path.display());
}

/// Prints what a client did when a file it reads was a FIFO (`OBSERVED | client | …`):
/// whether it ended by itself, and its last line.
pub fn observe_hang(client: &str, scenario: &str, ended: bool, output: &str) {
    let last = output
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    let how = if ended {
        "ended"
    } else {
        "still running after 10 s, killed"
    };
    eprintln!(
        "OBSERVED | {client} | {scenario} | {how} | last line {:?}",
        last.trim()
    );
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
