//! Forward proxies for the proxy tests, run inside a test's network namespace (Go never
//! proxies loopback, so the runtimes, the proxy and the registry meet on the namespace's
//! 10.x address): Debian's tinyproxy with a configuration per scenario, and a small
//! TLS-intercepting proxy written in Go (compiled once per run with the installed `go`)
//! that answers `CONNECT` with 200 and terminates TLS with a certificate of its own CA,
//! then relays to the real registry. Each handle stops its process by PID when dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::OnceLock;

use super::goclient::build_go;
use super::netns::Netns;
use super::runtimes::{stop, wait_ready};
use super::tool;

/// A tinyproxy in a namespace.
pub struct Tinyproxy {
    child: Child,
    _dir: tempfile::TempDir,
}

impl Tinyproxy {
    /// Starts tinyproxy on `ns.addr():port` with these extra configuration lines
    /// (`ConnectPort 15000`, `BasicAuth alice s3cret`) and waits until it accepts
    /// connections. None (after a SKIPPED line) without tinyproxy.
    pub fn start(ns: &Netns, port: u16, lines: &[&str]) -> Option<Tinyproxy> {
        let bin = tool("tinyproxy")?;
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("tinyproxy.log");
        let conf = format!(
            "Port {port}\nListen {}\nTimeout 30\nMaxClients 20\nLogLevel Info\nLogFile \"{}\"\nPidFile \"{}\"\nAllow 10.0.0.0/8\nAllow 127.0.0.1\n{}\n",
            ns.addr(),
            log.display(),
            dir.path().join("tinyproxy.pid").display(),
            lines.join("\n")
        );
        let conf_path = dir.path().join("tinyproxy.conf");
        std::fs::write(&conf_path, conf).unwrap();
        let mut child = ns
            .command(bin)
            .arg("-d")
            .arg("-c")
            .arg(&conf_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        if let Err(last) = wait_ready(&mut child, &log, "Accepting connections", "tinyproxy") {
            stop(&mut child);
            panic!("tinyproxy exited: {last}");
        }
        Some(Tinyproxy { child, _dir: dir })
    }

    /// What tinyproxy logged (CONNECT lines show what the runtime asked for).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self._dir.path().join("tinyproxy.log")).unwrap_or_default()
    }
}

impl Drop for Tinyproxy {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// The intercepting proxy: `CONNECT` answered with 200, TLS terminated with the given
/// certificate (HTTP/1.1 only), the bytes relayed to the target over TLS without
/// verification — what a corporate TLS-inspecting proxy does.
const MITM: &str = r#"package main

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
)

type bufConn struct {
	net.Conn
	r *bufio.Reader
}

func (b bufConn) Read(p []byte) (int, error) { return b.r.Read(p) }

func main() {
	addr, certFile, keyFile := os.Args[1], os.Args[2], os.Args[3]
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Println("listening on", addr)
	for {
		c, err := ln.Accept()
		if err != nil {
			continue
		}
		go serve(c, cert)
	}
}

func serve(c net.Conn, cert tls.Certificate) {
	defer c.Close()
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err != nil || req.Method != "CONNECT" {
		io.WriteString(c, "HTTP/1.1 405 Method Not Allowed\r\n\r\n")
		return
	}
	io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
	srv := tls.Server(bufConn{c, br}, &tls.Config{
		Certificates: []tls.Certificate{cert},
		NextProtos:   []string{"http/1.1"},
	})
	if err := srv.Handshake(); err != nil {
		fmt.Println("CONNECT", req.Host, "client refused the certificate:", err)
		return
	}
	up, err := tls.Dial("tcp", req.Host, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}})
	if err != nil {
		fmt.Println("CONNECT", req.Host, "upstream:", err)
		return
	}
	defer up.Close()
	fmt.Println("CONNECT", req.Host, "relayed")
	go io.Copy(up, srv)
	io.Copy(srv, up)
}
"#;

/// The compiled intercepting proxy, once per run (None after a SKIPPED line without go).
fn mitm_binary() -> Option<&'static Path> {
    static BUILT: OnceLock<Option<PathBuf>> = OnceLock::new();
    BUILT
        .get_or_init(|| build_go("proxy-mitm", "mitm", MITM, "the intercepting proxy"))
        .as_deref()
}

/// The intercepting proxy in a namespace.
pub struct Mitm {
    child: Child,
    dir: tempfile::TempDir,
}

impl Mitm {
    /// Starts it on `ns.addr():port`, presenting `cert_pem` (the chain) with `key_pem`.
    pub fn start(ns: &Netns, port: u16, cert_pem: &str, key_pem: &str) -> Option<Mitm> {
        let bin = mitm_binary()?;
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
        std::fs::write(&cert, cert_pem).unwrap();
        std::fs::write(&key, key_pem).unwrap();
        let log = dir.path().join("mitm.log");
        let out = std::fs::File::create(&log).unwrap();
        let mut child = ns
            .command(bin)
            .arg(format!("{}:{port}", ns.addr()))
            .arg(&cert)
            .arg(&key)
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap();
        if let Err(last) = wait_ready(&mut child, &log, "listening on", "the intercepting proxy") {
            stop(&mut child);
            panic!("the intercepting proxy exited: {last}");
        }
        Some(Mitm { child, dir })
    }

    /// What it logged: one line per CONNECT.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("mitm.log")).unwrap_or_default()
    }
}

impl Drop for Mitm {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}
