//! The real CNCF registry (Debian package `docker-registry`, distribution 2.8) as a child
//! process with a temporary config and storage: on a free loopback port ([`start`]), or
//! inside a test's network namespace on its 10.x address ([`Spec::start`]), with TLS,
//! htpasswd, token auth or client certificates (`http.tls.clientcas`). Dropping the
//! handle kills it, whether the test passed or failed.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};

use super::netns::Netns;

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
    /// `ip:port` where it listens (127.0.0.1, or the namespace address).
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

/// The registry binary (Debian package docker-registry), under the rule of [`super::skip`].
pub fn binary() -> Option<PathBuf> {
    super::tool("docker-registry")
}

/// `htpasswd` from apache2-utils, under the same rule as [`binary`].
pub fn htpasswd_line(user: &str, password: &str) -> Option<String> {
    let out = Command::new("htpasswd")
        .args(["-Bbn", user, password])
        .output();
    match out {
        Ok(o) if o.status.success() => Some(String::from_utf8_lossy(&o.stdout).trim().to_string()),
        _ => {
            super::skip("htpasswd is not installed (.ci/run installs apache2-utils)");
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

/// Starts a registry on a free 127.0.0.1 port. `tls` is (certificate PEM chain, key
/// PEM); None serves plain HTTP.
pub fn start(tls: Option<(&str, &str)>, auth: Auth) -> Option<Registry> {
    Spec {
        tls,
        auth,
        ..Spec::default()
    }
    .start()
}

/// What to start: [`start`] covers the common case; build this for the rest.
pub struct Spec<'a> {
    /// (certificate PEM chain, key PEM); None serves plain HTTP.
    pub tls: Option<(&'a str, &'a str)>,
    /// CA certificates (PEM) the registry demands a client certificate from
    /// (`http.tls.clientcas`: mutual TLS). Needs `tls`.
    pub client_ca_pem: Option<&'a str>,
    /// How it authenticates.
    pub auth: Auth,
    /// Run inside this namespace, on its address; None: 127.0.0.1 of this process.
    pub netns: Option<&'a Netns>,
    /// Serve this storage root directory (another registry's `storage`, so several
    /// registries serve the same pushed images); None: a fresh one.
    pub storage: Option<&'a Path>,
    /// distribution's storage middleware `redirect` with this `baseurl`: every blob `GET`
    /// and `HEAD` is answered `307` to baseurl's scheme and host + the blob's storage path
    /// (2.8 ignores baseurl's path).
    pub redirect: Option<&'a str>,
}

impl Default for Spec<'_> {
    fn default() -> Self {
        Spec {
            tls: None,
            client_ca_pem: None,
            auth: Auth::None,
            netns: None,
            storage: None,
            redirect: None,
        }
    }
}

/// Ports for registries inside namespaces: a fresh namespace has every port free, and
/// one counter for the process keeps several registries in one namespace apart.
static NEXT_NS_PORT: AtomicU16 = AtomicU16::new(15000);

/// A port no other server of this process uses in a namespace (for servers started next
/// to the registries, such as an nginx in the same namespace).
pub fn next_ns_port() -> u16 {
    NEXT_NS_PORT.fetch_add(1, Ordering::Relaxed)
}

impl Spec<'_> {
    /// Starts the registry and waits until it listens.
    pub fn start(self) -> Option<Registry> {
        let bin = binary()?;
        let dir = tempfile::tempdir().unwrap();
        let storage = match self.storage {
            Some(s) => s.to_path_buf(),
            None => dir.path().join("storage"),
        };
        std::fs::create_dir_all(&storage).unwrap();
        let addr: SocketAddr = match self.netns {
            None => SocketAddr::from(([127, 0, 0, 1], free_port())),
            Some(ns) => SocketAddr::from((ns.addr(), next_ns_port())),
        };
        let cfg = self.config(dir.path(), &storage, addr)?;
        let cfg_path = write(dir.path(), "config.yml", &cfg);
        let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
        let mut cmd = match self.netns {
            None => Command::new(bin),
            Some(ns) => ns.command(bin),
        };
        let child = cmd
            .args(["serve", &cfg_path])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut reg = Registry {
            child,
            addr,
            storage,
            dir,
        };
        reg.wait_listening(self.netns.is_some());
        Some(reg)
    }

    fn config(&self, dir: &Path, storage: &Path, addr: SocketAddr) -> Option<String> {
        let mut cfg = format!(
            "version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: {addr}\n",
            storage.display()
        );
        if let Some((cert, key)) = self.tls {
            let c = write(dir, "cert.pem", cert);
            let k = write(dir, "key.pem", key);
            cfg.push_str(&format!("  tls:\n    certificate: {c}\n    key: {k}\n"));
            if let Some(cas) = self.client_ca_pem {
                let p = write(dir, "client-ca.pem", cas);
                cfg.push_str(&format!("    clientcas:\n      - {p}\n"));
            }
        } else {
            assert!(self.client_ca_pem.is_none(), "client certificates need TLS");
        }
        if let Some(url) = self.redirect {
            cfg.push_str(&format!(
                "middleware:\n  storage:\n    - name: redirect\n      options:\n        baseurl: {url}\n"
            ));
        }
        match &self.auth {
            Auth::None => {}
            Auth::Htpasswd { user, password } => {
                let line = htpasswd_line(user, password)?;
                let p = write(dir, "htpasswd", &format!("{line}\n"));
                cfg.push_str(&format!(
                    "auth:\n  htpasswd:\n    realm: Registry Realm\n    path: {p}\n"
                ));
            }
            Auth::Token {
                realm,
                service,
                signing_ca_pem,
            } => {
                let p = write(dir, "token-ca.pem", signing_ca_pem);
                cfg.push_str(&format!(
                    "auth:\n  token:\n    realm: {realm}\n    service: {service}\n    issuer: regdoctor-test\n    rootcertbundle: {p}\n"
                ));
            }
        }
        Some(cfg)
    }
}

impl Registry {
    /// Waits until the registry listens. In a namespace this process cannot connect, so
    /// it reads the registry's own socket table (/proc/PID/net/tcp shows the sockets of
    /// the namespace the process is in).
    fn wait_listening(&mut self, in_netns: bool) {
        let start = Instant::now();
        loop {
            let up = if in_netns {
                listening_in(self.child.id(), self.addr.port())
            } else {
                std::net::TcpStream::connect_timeout(&self.addr, Duration::from_millis(200)).is_ok()
            };
            if up {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("docker-registry exited with {status}:\n{}", self.log());
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "docker-registry did not start:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Whether process `pid` sees a TCP socket listening on `port` (state 0A in
/// /proc/PID/net/tcp, where the local address is `HEXIP:HEXPORT`).
pub fn listening_in(pid: u32, port: u16) -> bool {
    let table = std::fs::read_to_string(format!("/proc/{pid}/net/tcp")).unwrap_or_default();
    let want = format!(":{port:04X}");
    table.lines().skip(1).any(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        f.len() > 3 && f[1].ends_with(&want) && f[3] == "0A"
    })
}
