//! The real CNCF registry (Debian package `docker-registry`, distribution 2.8) as a child
//! process on a free loopback port, with a temporary config and storage. Dropping the
//! handle kills it, whether the test passed or failed.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How the registry authenticates.
pub enum Auth {
    /// Anonymous.
    None,
    /// htpasswd (bcrypt) with one user.
    Htpasswd { user: String, password: String },
    /// Token auth: emits Bearer challenges for this realm and service.
    Token {
        realm: String,
        service: String,
        signing_ca_pem: String,
    },
}

/// A running registry.
pub struct Registry {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its storage root.
    pub storage: PathBuf,
    dir: tempfile::TempDir,
}

impl Registry {
    /// `127.0.0.1:port`.
    pub fn target(&self) -> String {
        self.addr.to_string()
    }

    /// Creates a repository in storage, as a push would leave it for the catalog.
    pub fn create_repository(&self, name: &str) {
        let p = self
            .storage
            .join("docker/registry/v2/repositories")
            .join(name)
            .join("_layers");
        std::fs::create_dir_all(p).unwrap();
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The registry binary; in CI its absence fails the test, elsewhere it skips with a reason.
pub fn binary() -> Option<PathBuf> {
    let found = ["/usr/bin/docker-registry", "/usr/local/bin/docker-registry"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists());
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "docker-registry is not installed: .ci/run installs it with `apt-get install -y docker-registry`"
        );
        eprintln!("SKIPPED: docker-registry is not installed (apt-get install -y docker-registry)");
    }
    found
}

/// `htpasswd` from apache2-utils, under the same rule as [`binary`].
pub fn htpasswd_line(user: &str, password: &str) -> Option<String> {
    let out = Command::new("htpasswd")
        .args(["-Bbn", user, password])
        .output();
    match out {
        Ok(o) if o.status.success() => Some(String::from_utf8_lossy(&o.stdout).trim().to_string()),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "htpasswd is not installed: .ci/run installs apache2-utils"
            );
            eprintln!("SKIPPED: htpasswd is not installed (apt-get install -y apache2-utils)");
            None
        }
    }
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

/// Starts a registry. `tls` is (certificate PEM chain, key PEM); None serves plain HTTP.
pub fn start(tls: Option<(&str, &str)>, auth: Auth) -> Option<Registry> {
    let bin = binary()?;
    let dir = tempfile::tempdir().unwrap();
    let storage = dir.path().join("storage");
    std::fs::create_dir_all(&storage).unwrap();
    let port = free_port();
    let mut cfg = format!(
        "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n",
        storage.display()
    );
    if let Some((cert, key)) = tls {
        let c = write(dir.path(), "cert.pem", cert);
        let k = write(dir.path(), "key.pem", key);
        cfg.push_str(&format!("  tls:\n    certificate: {c}\n    key: {k}\n"));
    }
    match auth {
        Auth::None => {}
        Auth::Htpasswd { user, password } => {
            let line = htpasswd_line(&user, &password)?;
            let p = write(dir.path(), "htpasswd", &format!("{line}\n"));
            cfg.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: Registry Realm\n    path: {p}\n"
            ));
        }
        Auth::Token {
            realm,
            service,
            signing_ca_pem,
        } => {
            let p = write(dir.path(), "token-ca.pem", &signing_ca_pem);
            cfg.push_str(&format!(
                "auth:\n  token:\n    realm: {realm}\n    service: {service}\n    issuer: regdoctor-test\n    rootcertbundle: {p}\n"
            ));
        }
    }
    let cfg_path = write(dir.path(), "config.yml", &cfg);
    let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
    let child = Command::new(bin)
        .args(["serve", &cfg_path])
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut reg = Registry {
        child,
        addr,
        storage,
        dir,
    };
    let start = Instant::now();
    while std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        if let Ok(Some(status)) = reg.child.try_wait() {
            panic!("docker-registry exited with {status}:\n{}", reg.log());
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "docker-registry did not start:\n{}",
            reg.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(reg)
}
