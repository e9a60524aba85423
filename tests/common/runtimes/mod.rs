//! The real registry clients, started per test inside the test's network namespace:
//! a private dockerd (driven by the docker CLI), a private containerd (driven by ctr),
//! and skopeo (containers/image, the library CRI-O and podman use).
//!
//! Each handle owns a temporary directory with everything the client reads, so the
//! machine's own /etc/docker, /etc/containerd, /etc/containers and ~/.docker are never
//! read nor written: dockerd and skopeo run in a private mount namespace where those
//! directories are bind mounts of the handle's copies. Dropping a handle stops its
//! processes by PID (SIGTERM, then SIGKILL) and removes the directory.
//!
//! A pull gives a [`PullResult`]: whether it worked, everything the client printed, and
//! the exact line it printed last on stderr (the error a user would paste).

use std::fs::File;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::netns::Netns;

mod containerd;
mod dockerd;
mod skopeo;

pub use containerd::Containerd;
pub use dockerd::Dockerd;
pub use skopeo::Skopeo;

/// What a pull did.
#[derive(Debug)]
pub struct PullResult {
    /// The client exited 0.
    pub ok: bool,
    /// stdout, then stderr.
    pub output: String,
    /// The last non-empty stderr line, verbatim (None when stderr was empty).
    pub error: Option<String>,
}

impl PullResult {
    fn from_run(ok: bool, stdout: &str, stderr: &str) -> PullResult {
        let error = stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .map(str::to_string);
        PullResult {
            ok,
            output: format!("{stdout}{stderr}"),
            error,
        }
    }

    /// The error text: the last stderr line, with skopeo's logrus wrapping
    /// (`time=".." level=fatal msg="..."`) taken off and its escapes undone.
    pub fn message(&self) -> String {
        // Go's HTTP transport races the TLS 1.3 alert a server sends after the handshake
        // (mutual TLS without a client certificate) against its first read: the same
        // failure is printed with or without `readLoopPeekFailLocked: ` (observed with
        // skopeo 1.9 under load). The message is taken without it.
        let line = self
            .error
            .clone()
            .unwrap_or_default()
            .replace("readLoopPeekFailLocked: ", "");
        match line.split_once(" msg=\"") {
            Some((head, rest)) if head.starts_with("time=") => {
                let body = rest.strip_suffix('"').unwrap_or(rest);
                body.replace("\\\"", "\"")
                    .replace("\\n", "\n")
                    .replace("\\\\", "\\")
            }
            _ => line,
        }
    }

    /// Asserts the outcome and that the error contains `part` (when failing), and prints
    /// one `OBSERVED` line (client, scenario, outcome, exact error) for
    /// docs/runtime-observations.md.
    pub fn expect(&self, client: &str, scenario: &str, works: bool, part: Option<&str>) {
        self.expect_timed(client, scenario, works, part, None);
    }

    /// [`PullResult::expect`], the `OBSERVED` line also saying how long the client took.
    pub fn expect_timed(
        &self,
        client: &str,
        scenario: &str,
        works: bool,
        part: Option<&str>,
        elapsed: Option<Duration>,
    ) {
        let took = elapsed
            .map(|e| format!("{:.1} s | ", e.as_secs_f64()))
            .unwrap_or_default();
        eprintln!(
            "OBSERVED | {client} | {scenario} | {} | {took}{}",
            if self.ok { "works" } else { "fails" },
            self.error.as_deref().filter(|_| !self.ok).unwrap_or("")
        );
        assert_eq!(
            self.ok,
            works,
            "{client}: {scenario}: expected it to {}:\n{}",
            if works { "work" } else { "fail" },
            self.output
        );
        if let Some(part) = part {
            assert!(
                self.message().contains(part),
                "{client}: {scenario}: expected {part:?} in the error, got:\n{}",
                self.output
            );
        }
    }
}

/// Runs `cmd` with no stdin, its output in files (no pipe to fill up), killing it after
/// `timeout`. Returns (exited 0, stdout, stderr).
pub fn run_bounded(cmd: &mut Command, timeout: Duration) -> (bool, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let (out, err) = (dir.path().join("out"), dir.path().join("err"));
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(File::create(&out).unwrap())
        .stderr(File::create(&err).unwrap())
        .spawn()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let start = Instant::now();
    let ok = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.success();
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            break false;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let read = |p: &Path| String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned();
    (ok, read(&out), read(&err))
}

/// A client command gets this long; every failure in these tests is immediate.
const PULL_TIMEOUT: Duration = Duration::from_secs(60);

/// Stops a child by its PID: SIGTERM, up to 15 s to exit, then SIGKILL; always reaped.
pub fn stop(child: &mut Child) {
    if child.try_wait().ok().flatten().is_some() {
        return;
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(15) {
        if child.try_wait().ok().flatten().is_some() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Kills the process whose PID is in `pidfile` if it is still alive and its command
/// line mentions `marker` (so a reused PID is never hit).
fn kill_leftover(pidfile: &Path, marker: &str) {
    let Some(pid) = std::fs::read_to_string(pidfile)
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok())
    else {
        return;
    };
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    if String::from_utf8_lossy(&cmdline).contains(marker) {
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
    }
}

/// Waits for `ready` to appear in the log at `log` while `child` runs. Err(the log's
/// last line) when the process exits first.
pub fn wait_ready(child: &mut Child, log: &Path, ready: &str, what: &str) -> Result<(), String> {
    let start = Instant::now();
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if text.contains(ready) {
            return Ok(());
        }
        if child.try_wait().unwrap().is_some() {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            let last = text.lines().rev().find(|l| !l.trim().is_empty());
            return Err(last.unwrap_or("").to_string());
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{what} did not become ready:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A directory that must exist on this machine to be bind-mounted over.
fn mount_point(dir: &str) -> Option<()> {
    if Path::new(dir).is_dir() {
        Some(())
    } else {
        super::skip(&format!(
            "{dir} does not exist (the Debian package that owns it is not installed)"
        ));
        None
    }
}

/// A command that runs `program` inside `ns` and in a private mount namespace where each
/// (source, target) pair is bind-mounted first, so nothing the program mounts, and none
/// of these mounts, shows on the machine. The paths reach `sh` as positional parameters,
/// never through word splitting; `program` ends up with the spawned child's PID (unshare
/// and sh both exec).
fn in_private_mounts(ns: &Netns, mounts: &[(&Path, &str)], program: &Path) -> Command {
    let mut script = String::new();
    for _ in mounts {
        script.push_str("mount --bind \"$1\" \"$2\" && shift 2 && ");
    }
    script.push_str("exec \"$@\"");
    let mut c = ns.command("unshare");
    c.args(["--mount", "--propagation", "private", "sh", "-c"])
        .arg(script)
        .arg("sh");
    for (source, target) in mounts {
        c.arg(source).arg(target);
    }
    c.arg(program);
    c
}

/// Writes (or, for an empty environment, removes) the drop-in
/// `/etc/systemd/system/<unit>.d/http-proxy.conf` under a node root: the variables a
/// test gives a client's process, as a node's service would get them.
pub fn write_env_drop_in(host: &Path, unit: &str, env: &[(String, String)]) {
    let dir = host.join(format!("etc/systemd/system/{unit}.d"));
    let file = dir.join("http-proxy.conf");
    if env.is_empty() {
        let _ = std::fs::remove_file(&file);
        return;
    }
    std::fs::create_dir_all(&dir).unwrap();
    let lines: String = env
        .iter()
        .map(|(k, v)| format!("Environment=\"{k}={v}\"\n"))
        .collect();
    std::fs::write(file, format!("[Service]\n{lines}")).unwrap();
}

/// The Go version a client binary was built with, read by regdoctor's own reader (the
/// tests compare it with `go version FILE` where Go is installed).
pub fn go_version_of(program: &str) -> String {
    let path = crate::common::tool(program).unwrap_or_default();
    regdoctor::local::gobuild::go_version(&path)
        .unwrap_or_else(|| panic!("no Go build information in {}", path.display()))
}

/// skopeo (a real Go 1.19 registry client, containers/image) against a registry on
/// loopback, trusting the `*.crt` files of `cert_dir`: `skopeo inspect`, whose first
/// request is the `/v2/` ping. containers/image has no loopback exception, so TLS is
/// judged on 127.0.0.1 as anywhere. None (after a SKIPPED line) without skopeo.
pub fn skopeo_inspect_loopback(image: &str, cert_dir: &std::path::Path) -> Option<PullResult> {
    let skopeo = crate::common::tool("skopeo")?;
    let home = tempfile::tempdir().unwrap();
    let mut c = Command::new(skopeo);
    c.env("HOME", home.path())
        .env("XDG_RUNTIME_DIR", home.path())
        .env_remove("REGISTRY_AUTH_FILE")
        .args(["inspect", "--raw", "--cert-dir"])
        .arg(cert_dir)
        .arg(format!("docker://{image}"));
    let (ok, out, err) = run_bounded(&mut c, PULL_TIMEOUT);
    Some(PullResult::from_run(ok, &out, &err))
}
