//! Differential tests against the real clients: Docker Engine 20.10 (dockerd + docker
//! CLI), containerd 1.6 (ctr) and skopeo 1.9 (containers/image, as CRI-O), each pulling
//! a tiny image from the real CNCF registry inside the test's own network namespace.
//!
//! Each scenario asserts what the real client did (works or fails, and the error line it
//! printed, as recorded in docs/runtime-observations.md), runs regdoctor on the same node
//! files, and compares the two with [`assert_agrees`]. Scenarios that share a daemon
//! configuration share one test (one dockerd start), so the whole file runs in well under
//! the time of a dockerd start per scenario.
//!
//! Needs root, network namespaces and the Debian packages installed by .ci/run; without
//! them each test prints SKIPPED (and fails under CI). This file holds the fixtures (the
//! registries with the test image, certificates, regdoctor runs); the scenarios are in
//! one module per client.

mod containerd;
mod docker;
mod proxy;
mod pull;
mod skopeo;

use std::path::Path;

use serde_json::Value;

use crate::common::image::{PushAuth, push};
use crate::common::netns::Netns;
use crate::common::pki::*;
use crate::common::registry::{Auth, Registry, Spec};
use crate::common::*;

const USER: &str = "alice";
const PASSWORD: &str = "correct-horse-battery";

/// A registry CA and server certificates for the namespace's address.
struct Certs {
    ca: Ca,
    ip: String,
}

impl Certs {
    fn new(ns: &Netns) -> Certs {
        Certs {
            ca: ca("Registry CA", now()),
            ip: ns.addr().to_string(),
        }
    }

    /// Valid for a year, IP SAN of the namespace address.
    fn good(&self) -> Leaf {
        leaf(&self.ca, &[&self.ip], now())
    }

    /// Only a DNS SAN, dialled by IP.
    fn no_ip_san(&self) -> Leaf {
        leaf(&self.ca, &["registry.local"], now())
    }

    /// Expired yesterday.
    fn expired(&self) -> Leaf {
        leaf_with(
            &self.ca,
            params("registry", &[&self.ip], now() - 30 * DAY, now() - DAY),
        )
    }
}

/// A client CA and a client certificate (clientAuth) it signed.
struct ClientPair {
    ca: Ca,
    cert: Leaf,
}

fn client_pair() -> ClientPair {
    let ca = ca("Client CA", now());
    let mut p = params("puller", &[], now() - DAY, now() + 365 * DAY);
    p.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let cert = leaf_with(&ca, p);
    ClientPair { ca, cert }
}

/// A registry in the namespace with the test image pushed to it.
struct Served {
    reg: Registry,
    image: String,
}

impl Served {
    fn target(&self) -> String {
        self.reg.target()
    }
}

fn serve(ns: &Netns, spec: Spec, push_auth: PushAuth) -> Option<Served> {
    let reg = spec.start()?;
    let image = push(ns, &reg.target(), "test/hello:v1", push_auth)?;
    Some(Served { reg, image })
}

fn tls_registry(ns: &Netns, l: &Leaf) -> Option<Served> {
    let spec = Spec {
        tls: Some((&l.pem, &l.key_pem)),
        netns: Some(ns),
        ..Spec::default()
    };
    serve(ns, spec, PushAuth::default())
}

fn plain_registry(ns: &Netns) -> Option<Served> {
    let spec = Spec {
        netns: Some(ns),
        ..Spec::default()
    };
    serve(ns, spec, PushAuth::default())
}

fn basic_registry(ns: &Netns, l: &Leaf) -> Option<Served> {
    let spec = Spec {
        tls: Some((&l.pem, &l.key_pem)),
        auth: Auth::Htpasswd {
            user: USER.into(),
            password: PASSWORD.into(),
        },
        netns: Some(ns),
        ..Spec::default()
    };
    let creds = PushAuth {
        creds: Some((USER, PASSWORD)),
        ..PushAuth::default()
    };
    serve(ns, spec, creds)
}

fn mtls_registry(ns: &Netns, l: &Leaf, client: &ClientPair) -> Option<Served> {
    let pair = tempfile::tempdir().unwrap();
    write_pair(pair.path(), client, "client.cert", "client.key");
    let spec = Spec {
        tls: Some((&l.pem, &l.key_pem)),
        client_ca_pem: Some(&client.ca.pem),
        netns: Some(ns),
        ..Spec::default()
    };
    let auth = PushAuth {
        cert_dir: Some(pair.path()),
        ..PushAuth::default()
    };
    serve(ns, spec, auth)
}

fn put(dir: &Path, name: &str, text: &str) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join(name), text).unwrap();
}

fn write_pair(dir: &Path, client: &ClientPair, cert: &str, key: &str) {
    put(dir, cert, &client.cert.pem);
    put(dir, key, &client.cert.key_pem);
}

/// Empties a directory (keeps it).
fn clear(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
}

/// regdoctor on `target` with a runtime's node flags and `extra`.
fn regdoctor(ns: &Netns, node: &[String], target: &str, extra: &[&str]) -> Value {
    let mut args: Vec<&str> = vec![target];
    args.extend(node.iter().map(String::as_str));
    args.extend_from_slice(extra);
    regdoctor_in(ns, &args).1
}

fn regdoctor_stdin(
    ns: &Netns,
    node: &[String],
    target: &str,
    extra: &[&str],
    stdin: &str,
) -> Value {
    let mut args: Vec<&str> = vec![target];
    args.extend(node.iter().map(String::as_str));
    args.extend_from_slice(extra);
    regdoctor_in_with_stdin(ns, &args, stdin).1
}

/// regdoctor given the test user's password the way `docker login` takes it.
fn regdoctor_with_login(ns: &Netns, node: &[String], target: &str) -> Value {
    regdoctor_stdin(
        ns,
        node,
        target,
        &["--user", USER, "--password-stdin"],
        PASSWORD,
    )
}

/// A Docker config directory whose config.json holds `user:password` for `target`.
fn docker_config(target: &str, password: &str) -> tempfile::TempDir {
    use base64::Engine;
    let dir = tempfile::tempdir().unwrap();
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{password}"));
    let json = serde_json::json!({"auths": {target: {"auth": auth}}});
    put(dir.path(), "config.json", &json.to_string());
    dir
}

const UNKNOWN_AUTHORITY: &str = "x509: certificate signed by unknown authority";
const BAD_CERTIFICATE: &str = "remote error: tls: bad certificate";
const HTTP_TO_HTTPS: &str = "http: server gave HTTP response to HTTPS client";

/// regdoctor reads the Go version of a runtime's binary as `go version FILE` does (the
/// wording of the runtimes' errors depends on it).
#[test]
fn go_version_of_the_runtime_binaries_matches_the_go_tool() {
    let Some(go) = tool("go") else { return };
    for program in ["dockerd", "containerd", "skopeo"] {
        let Some(path) = tool(program) else { continue };
        let out = std::process::Command::new(&go)
            .arg("version")
            .arg(&path)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        // "/usr/sbin/dockerd: go1.19.8"
        let expected = text.trim().rsplit(": go").next().unwrap().to_string();
        assert_eq!(
            regdoctor::local::gobuild::go_version(&path).as_deref(),
            Some(expected.as_str()),
            "{program}: {text}"
        );
    }
}
