//! A real nginx (Debian's nginx-light) on a free loopback port, as the TLS front end of a
//! registry: its own config, prefix, pid file and logs in a temporary directory. Dropping
//! the handle stops it by its PID.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running nginx.
pub struct Nginx {
    child: Child,
    /// `127.0.0.1:port`.
    pub target: String,
    _dir: tempfile::TempDir,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// Starts nginx serving TLS with `cert_pem`/`key_pem` and these extra `server` directives
/// (e.g. `ssl_verify_client on;`), answering every request as a registry's `/v2/` would.
/// None (after a SKIPPED line; a failure under CI) without nginx.
pub fn start(cert_pem: &str, key_pem: &str, extra: &str) -> Option<Nginx> {
    let nginx: PathBuf = super::tool("nginx")?;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let put = |name: &str, text: &str| -> String {
        let p = d.join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    };
    let cert = put("server.crt", cert_pem);
    let key = put("server.key", key_pem);
    let port = free_port();
    let conf = format!(
        "daemon off;\nmaster_process off;\npid {pid};\nerror_log {err} info;\nevents {{ worker_connections 64; }}\nhttp {{\n  access_log off;\n  client_body_temp_path {tmp};\n  server {{\n    listen 127.0.0.1:{port} ssl;\n    ssl_certificate {cert};\n    ssl_certificate_key {key};\n    {extra}\n    location / {{\n      add_header Docker-Distribution-Api-Version registry/2.0 always;\n      default_type application/json;\n      return 200 '{{}}';\n    }}\n  }}\n}}\n",
        pid = d.join("nginx.pid").display(),
        err = d.join("error.log").display(),
        tmp = d.display(),
    );
    let conf_path = put("nginx.conf", &conf);
    let child = Command::new(nginx)
        .args(["-p", &d.display().to_string(), "-c", &conf_path])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let target = format!("127.0.0.1:{port}");
    let started = Instant::now();
    while std::net::TcpStream::connect(&target).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "nginx did not listen: {}",
            std::fs::read_to_string(Path::new(&d).join("error.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    Some(Nginx {
        child,
        target,
        _dir: dir,
    })
}

/// Starts nginx inside `ns` with `servers` as the body of its `http` block (one or more
/// `server` blocks listening on `ports` of the namespace address) and waits until it
/// listens on every port. Requests are logged to [`Nginx::access_log`], one line each:
/// `PORT "REQUEST LINE" STATUS "Accept" "Range" "User-Agent"`. None (after a SKIPPED
/// line; a failure under CI) without nginx.
pub fn start_in(ns: &super::netns::Netns, servers: &str, ports: &[u16]) -> Option<Nginx> {
    let nginx: PathBuf = super::tool("nginx")?;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let temp = |name: &str| format!("{name}_temp_path {};", d.display());
    let conf = format!(
        "daemon off;\nmaster_process off;\npid {pid};\nerror_log {err} info;\nevents {{ worker_connections 256; }}\nhttp {{\n  log_format probe '$server_port \"$request\" $status \"$http_accept\" \"$http_range\" \"$http_user_agent\"';\n  access_log {access} probe;\n  {} {} {} {} {}\n  default_type application/octet-stream;\n{servers}\n}}\n",
        temp("client_body"),
        temp("proxy"),
        temp("fastcgi"),
        temp("uwsgi"),
        temp("scgi"),
        pid = d.join("nginx.pid").display(),
        err = d.join("error.log").display(),
        access = d.join("access.log").display(),
    );
    let conf_path = d.join("nginx.conf");
    std::fs::write(&conf_path, conf).unwrap();
    let mut child = ns
        .command(nginx)
        .args(["-p", &d.display().to_string(), "-c"])
        .arg(&conf_path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !ports
        .iter()
        .all(|p| super::registry::listening_in(child.id(), *p))
    {
        let log = || std::fs::read_to_string(d.join("error.log")).unwrap_or_default();
        if let Ok(Some(status)) = child.try_wait() {
            panic!("nginx exited with {status}:\n{}", log());
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "nginx did not listen:\n{}",
            log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    Some(Nginx {
        child,
        target: format!("{}:{}", ns.addr(), ports.first().copied().unwrap_or(0)),
        _dir: dir,
    })
}

impl Nginx {
    /// The access log so far (see [`start_in`] for its format; empty for [`start`]).
    pub fn access_log(&self) -> String {
        std::fs::read_to_string(self._dir.path().join("access.log")).unwrap_or_default()
    }
}
