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
