//! A network namespace per test, so the real runtimes, the registry and regdoctor talk
//! over the namespace's own `lo` and nothing leaves the machine.
//!
//! The namespace gets one address, 10.a.b.c/32 on `lo`: dockerd treats 127.0.0.0/8 as an
//! insecure registry, so TLS trust can only be tested on a non-loopback address. Programs
//! enter it with `nsenter --net=/run/netns/NAME` (plain `ip netns exec` remounts /sys,
//! and dockerd then fails with "Devices cgroup isn't mounted"). Dropping the handle
//! deletes the namespace, also when the test panicked.

use std::net::Ipv4Addr;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A network namespace with `lo` up and one 10.x.y.z/32 address on it.
pub struct Netns {
    name: String,
    addr: Ipv4Addr,
}

fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("ip {}: {e}", args.join(" ")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

impl Netns {
    /// Creates a namespace named after this process and a counter (tests run as threads
    /// of one process). None, after a SKIPPED line, where namespaces cannot be made
    /// (not root, no `ip`/`nsenter`); under `CI` that fails the test instead.
    pub fn new() -> Option<Netns> {
        super::tool("ip")?;
        super::tool("nsenter")?;
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let pid = std::process::id();
        let name = format!("rdt{pid}n{n}");
        // The address only has to be unique on this machine's namespaces: 10.<pid>.<n>.
        let addr = Ipv4Addr::new(10, (pid >> 8) as u8, pid as u8, (n % 250 + 1) as u8);
        if let Err(e) = ip(&["netns", "add", &name]) {
            super::skip(&format!(
                "cannot create a network namespace (run as root): {e}"
            ));
            return None;
        }
        // From here on Drop removes the namespace, whatever fails next.
        let ns = Netns { name, addr };
        let setup =
            ip(&["netns", "exec", &ns.name, "ip", "link", "set", "lo", "up"]).and_then(|()| {
                ip(&[
                    "netns",
                    "exec",
                    &ns.name,
                    "ip",
                    "addr",
                    "add",
                    &format!("{addr}/32"),
                    "dev",
                    "lo",
                ])
            });
        if let Err(e) = setup {
            panic!("cannot set up namespace {}: {e}", ns.name);
        }
        Some(ns)
    }

    /// The namespace's 10.x.y.z address.
    pub fn addr(&self) -> Ipv4Addr {
        self.addr
    }

    /// Its name under /run/netns.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `/run/netns/NAME`, for nsenter.
    pub fn path(&self) -> String {
        format!("/run/netns/{}", self.name)
    }

    /// A command that runs `program` inside the namespace.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new("nsenter");
        c.arg(format!("--net={}", self.path()))
            .arg("--")
            .arg(program);
        c
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        if let Err(e) = ip(&["netns", "delete", &self.name]) {
            eprintln!("warning: {e}");
        }
    }
}
