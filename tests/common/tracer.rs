//! A tracing TLS front for a registry: a small Go reverse proxy (compiled once per test
//! run with the installed `go`) that runs inside a test's namespace, forwards every
//! request to the registry behind it and writes one JSON line per request with what the
//! client sent (method, path, every `Accept` value in order, `Range`, the
//! `Authorization` scheme, `User-Agent`) and what the registry answered (status,
//! `Location`). nginx logs only the first of several `Accept` headers (Go clients send
//! one header line per media type), hence Go. Dropping the handle stops it by its PID.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::netns::Netns;
use super::tool;

const TRACER: &str = r#"package main

import (
	"crypto/tls"
	"encoding/json"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
)

// tracer LISTEN BACKEND CERT KEY LOG
func main() {
	listen, backend, cert, key, logPath := os.Args[1], os.Args[2], os.Args[3], os.Args[4], os.Args[5]
	u, err := url.Parse(backend)
	if err != nil {
		panic(err)
	}
	f, err := os.OpenFile(logPath, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		panic(err)
	}
	var mu sync.Mutex
	p := httputil.NewSingleHostReverseProxy(u)
	p.Transport = &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	p.ModifyResponse = func(r *http.Response) error {
		q := r.Request
		auth := q.Header.Get("Authorization")
		if i := strings.IndexByte(auth, ' '); i > 0 {
			auth = auth[:i]
		}
		line, _ := json.Marshal(map[string]interface{}{
			"method":     q.Method,
			"path":       q.URL.RequestURI(),
			"accept":     q.Header.Values("Accept"),
			"range":      q.Header.Get("Range"),
			"auth":       auth,
			"user_agent": q.Header.Get("User-Agent"),
			"status":     r.StatusCode,
			"location":   r.Header.Get("Location"),
		})
		mu.Lock()
		f.Write(append(line, '\n'))
		mu.Unlock()
		return nil
	}
	srv := &http.Server{Addr: listen, Handler: p}
	if err := srv.ListenAndServeTLS(cert, key); err != nil {
		panic(err)
	}
}
"#;

/// The compiled tracer, built once per test run (None after a loud SKIPPED line when
/// `go` is missing; a failed test under CI).
fn binary() -> Option<&'static Path> {
    static BUILT: OnceLock<Option<PathBuf>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let go = tool("go")?;
            let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pull-tracer");
            std::fs::create_dir_all(dir.join("cache")).unwrap();
            std::fs::create_dir_all(dir.join("home")).unwrap();
            std::fs::write(dir.join("main.go"), TRACER).unwrap();
            let bin = dir.join("tracer");
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
                "go build of the tracer failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            Some(bin)
        })
        .as_deref()
}

/// A running tracer.
pub struct Tracer {
    child: Child,
    /// `ip:port` where it listens.
    pub target: String,
    dir: tempfile::TempDir,
}

/// One request the tracer forwarded.
#[derive(Debug, Clone)]
pub struct Traced {
    /// `GET`, `HEAD`.
    pub method: String,
    /// Path and query.
    pub path: String,
    /// Every `Accept` value, in the order sent.
    pub accept: Vec<String>,
    /// `Range` (empty when absent).
    pub range: String,
    /// The `Authorization` scheme (`Bearer`, `Basic`; empty when absent).
    pub auth: String,
    /// `User-Agent`.
    pub user_agent: String,
    /// The registry's status.
    pub status: u16,
    /// The registry's `Location` (empty when absent).
    pub location: String,
}

impl Tracer {
    /// Starts a tracer on `port` of the namespace address, presenting `cert_pem`/`key_pem`
    /// and forwarding to `backend` (`https://ip:port`, not verified).
    pub fn start(
        ns: &Netns,
        port: u16,
        backend: &str,
        cert_pem: &str,
        key_pem: &str,
    ) -> Option<Tracer> {
        let bin = binary()?;
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("cert.pem"), cert_pem).unwrap();
        std::fs::write(d.join("key.pem"), key_pem).unwrap();
        let err = std::fs::File::create(d.join("stderr")).unwrap();
        let target = format!("{}:{port}", ns.addr());
        let mut child = ns
            .command(bin)
            .arg(&target)
            .arg(backend)
            .arg(d.join("cert.pem"))
            .arg(d.join("key.pem"))
            .arg(d.join("trace.jsonl"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(err)
            .spawn()
            .unwrap();
        let started = Instant::now();
        while !super::registry::listening_in(child.id(), port) {
            let log = || std::fs::read_to_string(d.join("stderr")).unwrap_or_default();
            if let Ok(Some(status)) = child.try_wait() {
                panic!("tracer exited with {status}:\n{}", log());
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "tracer did not listen:\n{}",
                log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(Tracer { child, target, dir })
    }

    /// Every request forwarded so far, in order.
    pub fn requests(&self) -> Vec<Traced> {
        let text =
            std::fs::read_to_string(self.dir.path().join("trace.jsonl")).unwrap_or_default();
        let s = |v: &Value, k: &str| v[k].as_str().unwrap_or_default().to_string();
        text.lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .map(|v| Traced {
                method: s(&v, "method"),
                path: s(&v, "path"),
                accept: v["accept"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|a| a.as_str().map(str::to_string))
                    .collect(),
                range: s(&v, "range"),
                auth: s(&v, "auth"),
                user_agent: s(&v, "user_agent"),
                status: v["status"].as_u64().unwrap_or_default() as u16,
                location: s(&v, "location"),
            })
            .collect()
    }

    /// Forgets the requests so far (the next [`Tracer::requests`] starts after them).
    pub fn clear(&self) {
        std::fs::write(self.dir.path().join("trace.jsonl"), "").unwrap();
    }
}

impl Drop for Tracer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
