//! Test-only fixture builders: facts for a target, with TCP/TLS outcomes and chains.

#[path = "../../tests/common/pki.rs"]
pub mod pki;

use std::net::SocketAddr;

use crate::checks::{Check, Outcome};
use crate::facts::{
    CaFileFacts, ConnectAttempt, ConnectOutcome, DnsFacts, Facts, KeyPossession, TcpFacts,
    TlsFacts, TlsOutcome,
};
use crate::finding::Finding;

/// The fixed "now" of every unit test: 2027-01-15T08:00:00Z.
pub const NOW: i64 = 1_800_000_000;

/// Facts for a parsed target, resolved to itself when it is an IP.
pub fn facts_for(target: &str) -> Facts {
    let t = crate::target::parse(target).unwrap();
    let mut f = Facts::new(Ok(t.clone()), NOW);
    if let crate::target::Host::Ip(ip) = t.host {
        f.dns = Some(DnsFacts {
            addresses: vec![ip],
            error: None,
        });
    }
    f
}

/// Adds TCP attempts, one per outcome, to consecutive ports of the target's address.
pub fn with_tcp(mut f: Facts, outcomes: &[ConnectOutcome]) -> Facts {
    let t = f.target.clone().unwrap();
    let ip = match t.host {
        crate::target::Host::Ip(ip) => ip,
        crate::target::Host::Name(_) => "10.0.0.5".parse().unwrap(),
    };
    let attempts: Vec<ConnectAttempt> = outcomes
        .iter()
        .enumerate()
        .map(|(i, o)| ConnectAttempt {
            addr: SocketAddr::new(
                if i == 0 {
                    ip
                } else {
                    format!("10.0.0.{}", 100 + i).parse().unwrap()
                },
                t.port,
            ),
            outcome: o.clone(),
            elapsed_ms: 3,
        })
        .collect();
    let connected = attempts
        .iter()
        .find(|a| a.outcome == ConnectOutcome::Connected)
        .map(|a| a.addr);
    f.tcp = Some(TcpFacts {
        attempts,
        connected,
    });
    f
}

/// Adds an established TLS 1.3 handshake that presented `chain`.
pub fn with_chain(f: Facts, chain: Vec<Vec<u8>>) -> Facts {
    let mut f = with_tcp(f, &[ConnectOutcome::Connected]);
    f.tls = Some(established(chain));
    f
}

/// An established TLS 1.3 handshake that presented `chain`.
pub fn established(chain: Vec<Vec<u8>>) -> TlsFacts {
    TlsFacts {
        outcome: TlsOutcome::Established {
            version: "TLSv1.3".into(),
            cipher: "TLS13_AES_128_GCM_SHA256".into(),
            alpn: Some("h2".into()),
        },
        chain,
        client_cert_requested: false,
        client_cert_sent: false,
        post_handshake_alert: None,
        key_possession: KeyPossession::Proven,
        webpki: None,
    }
}

/// Adds a TLS outcome with no chain.
pub fn with_tls_outcome(f: Facts, outcome: TlsOutcome) -> Facts {
    let mut f = with_chain(f, vec![]);
    if let Some(t) = f.tls.as_mut() {
        t.outcome = outcome;
    }
    f
}

/// Adds a --ca file.
pub fn with_ca(mut f: Facts, bytes: &[u8]) -> Facts {
    f.ca_file = Some(CaFileFacts {
        path: "ca.pem".into(),
        bytes: bytes.to_vec(),
    });
    f
}

/// Runs one check and returns its findings (empty for a skip).
pub fn findings_of(check: &dyn Check, f: &Facts) -> Vec<Finding> {
    match check.run(&crate::checks::Basis::new(f)) {
        Outcome::Findings(v) => v,
        Outcome::SkipNoted(f) => vec![f],
        Outcome::Skip(_) => vec![],
    }
}

/// An HTTP exchange with a status, headers and body.
pub fn ex(
    path: &str,
    status: u16,
    headers: &[(&str, &str)],
    body: &str,
) -> crate::facts::HttpExchange {
    crate::facts::HttpExchange {
        method: "GET".into(),
        path: path.into(),
        status: Some(status),
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body: body.into(),
        ..Default::default()
    }
}

/// The API-version header of a registry.
pub const API: (&str, &str) = ("docker-distribution-api-version", "registry/2.0");

/// Adds HTTPS exchanges (over an established TLS session).
pub fn with_http(f: Facts, exchanges: Vec<crate::facts::HttpExchange>) -> Facts {
    let mut f = if f.tls.is_some() {
        f
    } else {
        with_chain(f, vec![])
    };
    f.http = Some(crate::facts::HttpFacts {
        scheme: "https",
        version: "HTTP/2",
        exchanges,
    });
    f
}

/// Adds a daemon.json with this text (path /etc/docker/daemon.json).
pub fn with_daemon_json(mut f: Facts, text: &str) -> Facts {
    f.node.daemon_json = crate::facts::node::Source::Read(crate::facts::node::TextFile {
        path: "/etc/docker/daemon.json".into(),
        text: text.into(),
    });
    f
}

/// A fixture file's text from tests/fixtures.
pub fn fixture_text(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Facts with no target (offline node linting).
pub fn offline() -> Facts {
    let mut f = Facts::new(Err("no target".into()), NOW);
    f.offline = true;
    f
}

/// Host directories in memory: (directory name, [(file name, bytes)]).
pub type Dirs<'a> = Vec<(&'a str, Vec<(&'a str, Vec<u8>)>)>;

/// Marks a file of an in-memory certs.d root as not read, with `why` (as the loader does
/// for a pipe, a device or a file over 1 MiB).
pub fn unreadable(
    root: &mut crate::facts::node::Source<crate::facts::node::CertsRoot>,
    file: &str,
    why: &str,
) {
    if let crate::facts::node::Source::Read(r) = root {
        for f in r.dirs.iter_mut().flat_map(|d| d.files.iter_mut()) {
            if f.name == file {
                f.bytes.clear();
                f.error = Some(why.into());
            }
        }
    }
}

/// A certs.d root in memory: directories with (file name, bytes).
pub fn certs_root(
    root: &str,
    dirs: Dirs<'_>,
) -> crate::facts::node::Source<crate::facts::node::CertsRoot> {
    use crate::facts::node::{CertsRoot, HostDir, NodeFile, Source};
    Source::Read(CertsRoot {
        root: root.into(),
        unread: 0,
        dirs: dirs
            .into_iter()
            .map(|(name, files)| {
                let files: Vec<NodeFile> = files
                    .into_iter()
                    .map(|(n, bytes)| NodeFile {
                        name: n.into(),
                        bytes,
                        is_dir: false,
                        error: None,
                    })
                    .collect();
                HostDir {
                    name: name.into(),
                    // What local/ computes when it reads the directory.
                    mismatched_pairs: crate::local::node::mismatched_pairs(&files),
                    files,
                }
            })
            .collect(),
        referenced: Default::default(),
    })
}

/// Marks a runtime as installed on the node (what local/ finds from its binaries).
pub fn present(mut f: Facts, runtime: crate::facts::Runtime) -> Facts {
    use crate::facts::Runtime;
    let install = match runtime {
        Runtime::Docker | Runtime::Karbon => &mut f.node.installs.docker,
        Runtime::Containerd => &mut f.node.installs.containerd,
        Runtime::CriO => &mut f.node.installs.containers,
        Runtime::Any => return f,
    };
    install.evidence.push("a test says so".into());
    f
}
