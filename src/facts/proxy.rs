//! What the probe saw through a proxy: the `CONNECT` answer, then TLS and HTTP over the
//! tunnel as for a direct connection.

use std::net::SocketAddr;

use serde::Serialize;

use super::{ConnectAttempt, HttpFacts, TlsFacts};
use crate::formats::httpproxy::ProxyUrl;

/// Why no tunnel opened through a proxy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "failure")]
pub enum ProxyFailure {
    /// regdoctor does not speak to this kind of proxy (`https://`, `socks5://`).
    Unsupported {
        /// The proxy URL's scheme.
        scheme: String,
    },
    /// The proxy's name does not resolve.
    Resolve {
        /// The name.
        host: String,
        /// The resolver's message.
        detail: String,
        /// No answer before the deadline.
        timed_out: bool,
    },
    /// The TCP connection to the proxy failed (the last address tried).
    Connect(ConnectAttempt),
    /// The proxy answered `CONNECT` with another status than 200.
    Status {
        /// The status code.
        status: u16,
        /// The reason phrase, as sent (Go prints only this).
        #[serde(serialize_with = "crate::text::ser_clipped")]
        reason: String,
        /// `Proxy-Authenticate`, for a 407.
        #[serde(
            skip_serializing_if = "Option::is_none",
            serialize_with = "crate::text::ser_clipped_opt"
        )]
        proxy_authenticate: Option<String>,
        /// `Server`, to name the proxy software.
        #[serde(
            skip_serializing_if = "Option::is_none",
            serialize_with = "crate::text::ser_clipped_opt"
        )]
        server: Option<String>,
    },
    /// No usable answer to `CONNECT`: the connection closed, the answer is not HTTP or too
    /// long, or the deadline came first.
    NoAnswer {
        /// What happened.
        detail: String,
        /// What Go returns for it (`unexpected EOF`, `malformed HTTP response "…"`); None
        /// when the deadline came first.
        #[serde(skip_serializing_if = "Option::is_none")]
        go_error: Option<String>,
    },
}

impl ProxyFailure {
    /// What Go's transport returns for it, the text after `Get "https://…/v2/": ` (None
    /// when Go would behave otherwise than regdoctor can tell: a proxy it does not speak
    /// to, a deadline).
    pub fn go_text(&self) -> Option<String> {
        match self {
            ProxyFailure::Unsupported { .. } => None,
            ProxyFailure::Resolve {
                host, timed_out, ..
            } => Some(format!(
                "proxyconnect tcp: dial tcp: lookup {host}: {}",
                if *timed_out {
                    "i/o timeout"
                } else {
                    "no such host"
                }
            )),
            ProxyFailure::Connect(a) => a.go_text().map(|t| format!("proxyconnect tcp: {t}")),
            // net/http: `_, text, ok := strings.Cut(resp.Status, " ")`.
            ProxyFailure::Status { reason, .. } if reason.is_empty() => {
                Some("unknown status code".into())
            }
            ProxyFailure::Status { reason, .. } => Some(reason.clone()),
            ProxyFailure::NoAnswer { go_error, .. } => go_error.clone(),
        }
    }
}

/// What happened through one proxy.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case", tag = "result")]
pub enum ProxyOutcome {
    /// No tunnel.
    Failed(ProxyFailure),
    /// The tunnel opened (`CONNECT` answered 200).
    Tunnel {
        /// The proxy's address that answered.
        proxy_addr: SocketAddr,
        /// The TLS handshake with the registry through the tunnel.
        tls: Option<TlsFacts>,
        /// `GET /v2/` (and the catalog) through the tunnel.
        http: Option<HttpFacts>,
    },
    /// Not probed: a plain-HTTP registry (Go sends absolute-URL requests to the proxy, no
    /// `CONNECT`).
    NotProbed {
        /// Why.
        why: String,
    },
}

/// The registry, probed through one proxy that a judged runtime uses for it.
#[derive(Debug, Clone, Serialize)]
pub struct ProxiedProbe {
    /// The proxy (user and password masked when shown).
    pub proxy: ProxyUrl,
    /// What happened.
    pub outcome: ProxyOutcome,
}

impl ProxiedProbe {
    /// The TLS facts through the tunnel, when it opened and a handshake was made.
    pub fn tls(&self) -> Option<&TlsFacts> {
        match &self.outcome {
            ProxyOutcome::Tunnel { tls, .. } => tls.as_ref(),
            _ => None,
        }
    }
}

/// When the direct probe reached no TLS or HTTP answer and every judged runtime goes
/// through the proxy `facts.proxied[via]`, the registry's TLS and HTTP facts are the ones
/// seen through that proxy's tunnel (`registry_via` says so): that is what the runtimes see.
pub fn observe_through(facts: &mut super::Facts, via: usize) {
    if facts.tls.is_some() || facts.http.is_some() {
        return;
    }
    let Some(probe) = facts.proxied.get(via) else {
        return;
    };
    if let ProxyOutcome::Tunnel { tls, http, .. } = &probe.outcome {
        let (tls, http, proxy) = (tls.clone(), http.clone(), probe.proxy.clone());
        facts.tls = tls;
        facts.http = http;
        facts.registry_via = Some(proxy);
    }
}
