//! The probe: the only network code. It resolves, connects, shakes hands and makes the
//! HTTP requests, all under one deadline, and returns facts. It judges nothing: a refused
//! port or a rejected chain is a fact like any other.

pub mod http;
pub mod recording_verifier;
pub mod tcp;
pub mod tls;

use std::net::SocketAddr;
use std::time::Duration;

use tokio::time::Instant;

use crate::facts::{DnsFacts, HttpFacts, TcpFacts, TlsFacts, TlsOutcome};
use crate::target::{Scheme, Target};

/// The paths requested, in order: the runtimes' ping, then the catalog.
pub const PATHS: &[&str] = &["/v2/", "/v2/_catalog?n=100"];

/// What the probe needs besides the target.
#[derive(Debug, Clone)]
pub struct ProbeOptions {
    /// The deadline for the whole probe.
    pub timeout: Duration,
    /// CA certificates (DER) from --ca, for the rustls-webpki side verdict only.
    pub ca_roots: Vec<Vec<u8>>,
}

/// What the probe observed.
#[derive(Debug, Clone, Default)]
pub struct ProbeFacts {
    /// Resolution.
    pub dns: Option<DnsFacts>,
    /// Connection.
    pub tcp: Option<TcpFacts>,
    /// Handshake.
    pub tls: Option<TlsFacts>,
    /// HTTP.
    pub http: Option<HttpFacts>,
}

/// Runs the probe on a fresh single-threaded runtime.
pub fn run(target: &Target, opts: &ProbeOptions) -> std::io::Result<ProbeFacts> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    Ok(rt.block_on(probe(target, opts)))
}

/// The probe itself.
pub async fn probe(target: &Target, opts: &ProbeOptions) -> ProbeFacts {
    let deadline = Instant::now() + opts.timeout;
    let mut facts = ProbeFacts::default();
    let dns = tcp::resolve(target, deadline).await;
    let addrs: Vec<SocketAddr> = dns
        .addresses
        .iter()
        .map(|ip| SocketAddr::new(*ip, target.port))
        .collect();
    facts.dns = Some(dns);
    if addrs.is_empty() {
        return facts;
    }
    let (tcp_facts, stream) = tcp::connect(&addrs, deadline).await;
    let connected = tcp_facts.connected;
    facts.tcp = Some(tcp_facts);
    let (Some(stream), Some(addr)) = (stream, connected) else {
        return facts;
    };
    let authority = target.registry_name();
    if target.scheme == Scheme::Http {
        facts.http = Some(plain_http(stream, &authority, deadline).await);
        return facts;
    }
    let (mut tls_facts, tls_stream) =
        tls::handshake(stream, target, &opts.ca_roots, deadline).await;
    match tls_stream {
        Some(tls) => {
            let h2 = matches!(&tls_facts.outcome, TlsOutcome::Established { alpn: Some(a), .. } if a == "h2");
            let ex = http::get_all(tls, h2, "https", &authority, PATHS, deadline).await;
            tls_facts.post_handshake_alert = ex.alert;
            facts.http = Some(HttpFacts {
                scheme: "https",
                version: if h2 { "HTTP/2" } else { "HTTP/1.1" },
                exchanges: ex.exchanges,
            });
        }
        None if matches!(tls_facts.outcome, TlsOutcome::PlainHttp { .. }) => {
            // Confirm with a real plaintext request on a new connection.
            if let Some(s) = tcp::reconnect(addr, deadline).await {
                facts.http = Some(plain_http(s, &authority, deadline).await);
            }
        }
        None => {}
    }
    facts.tls = Some(tls_facts);
    facts
}

async fn plain_http(
    stream: tokio::net::TcpStream,
    authority: &str,
    deadline: Instant,
) -> HttpFacts {
    let ex = http::get_all(stream, false, "http", authority, PATHS, deadline).await;
    HttpFacts {
        scheme: "http",
        version: "HTTP/1.1",
        exchanges: ex.exchanges,
    }
}
