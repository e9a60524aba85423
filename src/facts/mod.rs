//! Facts: plain data gathered by the probe and the file readers. They are the evidence in
//! the report and the only input of the checks. No I/O and no clock here: `now` is a field.

pub mod node;
pub mod proxy;
pub mod pull;

use std::net::{IpAddr, SocketAddr};

use serde::Serialize;

use crate::pki::Cert;
use crate::target::Target;

/// The container runtime whose fixes the hints describe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Runtime {
    /// Docker Engine (/etc/docker).
    Docker,
    /// containerd (/etc/containerd), e.g. kubelet with the CRI plugin.
    Containerd,
    /// CRI-O, podman, skopeo (/etc/containers).
    #[value(name = "cri-o")]
    CriO,
    /// Nutanix Karbon (Docker nodes managed with karbonctl).
    Karbon,
    /// No runtime found on the node: any Go registry client with the system roots.
    #[value(skip)]
    Any,
}

impl Runtime {
    /// The name people use.
    pub fn display_name(self) -> &'static str {
        match self {
            Runtime::Docker => "Docker",
            Runtime::Containerd => "containerd",
            Runtime::CriO => "CRI-O",
            Runtime::Karbon => "Nutanix Karbon",
            Runtime::Any => "any runtime",
        }
    }
}

/// Which runtime was used for the hints, and how it was chosen.
#[derive(Debug, Clone, Serialize)]
pub struct RuntimeChoice {
    /// The runtime.
    pub name: Runtime,
    /// "--runtime", or what it was guessed from.
    pub how: String,
}

impl RuntimeChoice {
    /// A choice.
    pub fn new(runtime: Runtime, how: impl Into<String>) -> RuntimeChoice {
        RuntimeChoice {
            name: runtime,
            how: how.into(),
        }
    }
}

/// Everything the checks may look at.
#[derive(Debug, Clone, Serialize)]
pub struct Facts {
    /// The time of the run, unix seconds (captured once by the CLI).
    pub now: i64,
    /// The parsed target, or why it did not parse.
    pub target: Result<Target, String>,
    /// Name resolution.
    pub dns: Option<DnsFacts>,
    /// TCP connection attempts.
    pub tcp: Option<TcpFacts>,
    /// The TLS handshake.
    pub tls: Option<TlsFacts>,
    /// HTTP exchanges.
    pub http: Option<HttpFacts>,
    /// Credentials, when given.
    pub credentials: Option<CredentialFacts>,
    /// The pull path, when the target is an image reference.
    pub pull: Option<pull::PullFacts>,
    /// The `--ca` file, when one was given.
    pub ca_file: Option<CaFileFacts>,
    /// The system trust store the runtimes would use when no CA is configured.
    pub system_roots: Option<SystemRoots>,
    /// This node's runtime configuration.
    pub node: node::NodeFacts,
    /// The run's deadline.
    pub timeout_ms: u64,
    /// No target: only node files are linted.
    pub offline: bool,
    /// The runtime the hints are written for.
    pub runtime: RuntimeChoice,
    /// `--runtime`: judge only this runtime.
    pub only_runtime: Option<Runtime>,
    /// `--cert`/`--key`: the client certificate you would give the runtime.
    pub client_cert: Option<ClientPair>,
    /// `--go-version`: the Go version the runtimes were built with (else read from their binaries).
    pub go_version: Option<String>,
    /// The node's name, for fleet summaries.
    pub node_name: Option<String>,
    /// The registry probed through each distinct proxy a judged runtime uses for it.
    pub proxied: Vec<proxy::ProxiedProbe>,
    /// The proxy through which `tls` and `http` were observed: the direct connection
    /// failed, and every judged runtime reaches the registry through this proxy.
    pub registry_via: Option<crate::formats::httpproxy::ProxyUrl>,
}

/// A client certificate and key a runtime presents when the server asks.
#[derive(Debug, Clone, Serialize)]
pub struct ClientPair {
    /// The certificate file.
    pub cert: String,
    /// The key file.
    pub key: String,
    /// The certificate, PEM.
    #[serde(skip)]
    pub cert_pem: Vec<u8>,
    /// The key, PEM (never serialised).
    #[serde(skip)]
    pub key_pem: Vec<u8>,
}

impl ClientPair {
    /// Whether two pairs hold the same certificate and key.
    pub fn same(&self, other: &ClientPair) -> bool {
        self.cert_pem == other.cert_pem && self.key_pem == other.key_pem
    }
}

/// Name resolution.
#[derive(Debug, Clone, Serialize)]
pub struct DnsFacts {
    /// Every address the name resolved to (the IP itself for an IP target).
    pub addresses: Vec<IpAddr>,
    /// Why resolution failed.
    pub error: Option<DnsError>,
}

/// A resolution failure.
#[derive(Debug, Clone, Serialize)]
pub struct DnsError {
    /// Timed out (rather than answered with an error).
    pub timed_out: bool,
    /// The resolver's message.
    pub detail: String,
}

/// TCP.
#[derive(Debug, Clone, Serialize)]
pub struct TcpFacts {
    /// One entry per address tried, in order.
    pub attempts: Vec<ConnectAttempt>,
    /// The address that connected.
    pub connected: Option<SocketAddr>,
}

/// One connection attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectAttempt {
    /// Where.
    pub addr: SocketAddr,
    /// What happened.
    pub outcome: ConnectOutcome,
    /// How long it took.
    pub elapsed_ms: u64,
}

impl ConnectAttempt {
    /// Go's text for a failed dial (`dial tcp 10.0.0.5:5000: connect: connection refused`);
    /// None when it connected.
    pub fn go_text(&self) -> Option<String> {
        let addr = self.addr;
        match &self.outcome {
            ConnectOutcome::Connected => None,
            ConnectOutcome::Refused => {
                Some(format!("dial tcp {addr}: connect: connection refused"))
            }
            ConnectOutcome::TimedOut => Some(format!("dial tcp {addr}: i/o timeout")),
            ConnectOutcome::Unreachable(why) | ConnectOutcome::Other(why) => {
                Some(format!("dial tcp {addr}: connect: {why}"))
            }
        }
    }
}

/// The result of a connect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "result", content = "detail")]
pub enum ConnectOutcome {
    /// Connected.
    Connected,
    /// RST: nothing listens.
    Refused,
    /// No answer before the deadline.
    TimedOut,
    /// Network or host unreachable.
    Unreachable(String),
    /// Any other error.
    Other(String),
}

/// How the TLS handshake ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "result")]
pub enum TlsOutcome {
    /// The handshake completed.
    Established {
        /// "TLSv1.3" / "TLSv1.2".
        version: String,
        /// IANA cipher suite name.
        cipher: String,
        /// The negotiated ALPN protocol.
        alpn: Option<String>,
    },
    /// The server answered the ClientHello with plaintext HTTP.
    PlainHttp {
        /// The first bytes it sent, printable.
        first_bytes: String,
    },
    /// The server answered with bytes that are neither TLS nor HTTP.
    NotTls {
        /// The first bytes it sent, printable.
        first_bytes: String,
    },
    /// The server sent a TLS alert during the handshake.
    Alert(Alert),
    /// The server only speaks TLS older than 1.2.
    ProtocolTooOld {
        /// What was observed.
        detail: String,
    },
    /// No handshake before the deadline.
    Timeout {
        /// After how long.
        after_ms: u64,
    },
    /// The connection closed during the handshake, without an alert.
    Closed {
        /// The I/O error.
        detail: String,
    },
    /// Anything else.
    Failed {
        /// rustls's description.
        detail: String,
    },
}

impl TlsOutcome {
    /// The handshake completed and ALPN chose HTTP/2.
    pub fn is_h2(&self) -> bool {
        matches!(self, TlsOutcome::Established { alpn: Some(a), .. } if a == "h2")
    }
}

/// A TLS alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alert {
    /// The alert number (RFC 8446 §6).
    pub code: u8,
    /// Go's text for it, e.g. "bad certificate".
    pub go_name: String,
}

/// Whether the server proved possession of its certificate's key (handshake signature).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "result", content = "detail")]
pub enum KeyPossession {
    /// The handshake signature verified.
    Proven,
    /// It could not be checked or did not verify.
    NotProven(String),
    /// No handshake signature was seen.
    Unknown,
}

/// TLS.
#[derive(Debug, Clone, Serialize)]
pub struct TlsFacts {
    /// How the handshake ended.
    pub outcome: TlsOutcome,
    /// The presented chain, DER, leaf first (recorded even when it would not verify).
    #[serde(skip)]
    pub chain: Vec<Vec<u8>>,
    /// The server sent a CertificateRequest.
    pub client_cert_requested: bool,
    /// A client certificate was sent in answer.
    pub client_cert_sent: bool,
    /// An alert that arrived after the handshake, on the first read (TLS 1.3 client auth).
    pub post_handshake_alert: Option<Alert>,
    /// The handshake-signature check.
    pub key_possession: KeyPossession,
    /// What rustls-webpki would decide against the --ca roots (None: not evaluated).
    pub webpki: Option<WebpkiVerdict>,
}

/// The verdict of rustls-webpki, for comparison with Go's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "result", content = "detail")]
pub enum WebpkiVerdict {
    /// Accepted.
    Ok,
    /// A CA certificate is used as the server's certificate.
    CaUsedAsEndEntity,
    /// Any other rejection, by its rustls name.
    Rejected(String),
}

/// HTTP.
#[derive(Debug, Clone, Serialize)]
pub struct HttpFacts {
    /// "https" or "http".
    pub scheme: &'static str,
    /// "HTTP/2" or "HTTP/1.1".
    pub version: &'static str,
    /// The requests made, in order.
    pub exchanges: Vec<HttpExchange>,
}

impl HttpFacts {
    /// The exchanges made over a TLS connection (HTTP/2 when ALPN chose it).
    pub fn https(h2: bool, exchanges: Vec<HttpExchange>) -> HttpFacts {
        HttpFacts {
            scheme: "https",
            version: if h2 { "HTTP/2" } else { "HTTP/1.1" },
            exchanges,
        }
    }
}

/// One request and its response.
#[derive(Debug, Clone, Default, Serialize)]
pub struct HttpExchange {
    /// GET, HEAD.
    pub method: String,
    /// Path and query.
    #[serde(serialize_with = "crate::text::ser_clipped")]
    pub path: String,
    /// Which credentials were sent ("basic", "bearer"); never their value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth: Option<&'static str>,
    /// The status, when a response arrived.
    pub status: Option<u16>,
    /// Selected response headers (lower-case names; each cut in the report).
    #[serde(serialize_with = "crate::text::ser_clipped_pairs")]
    pub headers: Vec<(String, String)>,
    /// The start of the body, as text.
    pub body: String,
    /// Whether the body was not read to its end (the cap, the deadline, or a failure:
    /// then `error` says which).
    pub truncated: bool,
    /// Why no response arrived, or (with `truncated`) why its body ended early.
    #[serde(serialize_with = "crate::text::ser_clipped_opt")]
    pub error: Option<String>,
    /// Redirects followed on the same host before this answer (status, Location).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub redirects: Vec<(u16, String)>,
}

impl HttpExchange {
    /// What the body is, for a message saying it is not what was expected: cut at the
    /// size cap (with the announced length), or its size, type and (with `quote`; never for
    /// an answer that may hold secrets, such as a token service's) first characters.
    pub fn body_description(&self, quote: bool) -> String {
        let len = self.body.len();
        let announced = self
            .header("content-length")
            .map(|l| format!(" of the {l} announced"))
            .unwrap_or_default();
        if let (true, Some(why)) = (self.truncated, &self.error) {
            return format!("its body was cut after {len} bytes{announced}: {why}");
        }
        if self.truncated {
            return format!(
                "its body was cut after {len} bytes{announced}, where regdoctor stops reading one answer (its size cap, or the deadline)"
            );
        }
        if len == 0 {
            return "its body is empty".into();
        }
        let media = match self.media_type() {
            m if m.is_empty() => String::new(),
            m => format!(" {m}"),
        };
        if !quote {
            return format!("its body is {len} bytes{}", media.replacen(' ', " of ", 1));
        }
        let start: String = self.body.chars().take(60).collect();
        let more = if self.body.chars().nth(60).is_some() {
            "…"
        } else {
            ""
        };
        format!("its {len}-byte{media} body is not the expected JSON: {start:?}{more}")
    }

    /// The media type of the answer: `Content-Type` without parameters, lower-cased.
    pub fn media_type(&self) -> String {
        self.header("content-type")
            .unwrap_or_default()
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    }
    /// Every challenge in the exchange's WWW-Authenticate headers.
    pub fn challenges(&self) -> Vec<crate::challenge::Challenge> {
        self.headers_named("www-authenticate")
            .flat_map(crate::challenge::parse)
            .collect()
    }

    /// Every value of a header (name compared case-insensitively).
    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The registry error codes and messages of a JSON error body
    /// (`{"errors":[{"code":"UNAUTHORIZED","message":"..."}]}`).
    pub fn registry_errors(&self) -> Vec<(String, String)> {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&self.body) else {
            return vec![];
        };
        v.get("errors")
            .and_then(|e| e.as_array())
            .into_iter()
            .flatten()
            .map(|e| {
                let s = |k: &str| {
                    e.get(k)
                        .and_then(|x| x.as_str())
                        .unwrap_or_default()
                        .to_string()
                };
                (s("code"), s("message"))
            })
            .collect()
    }

    /// How Docker's distribution client renders the error body: `code lower-cased: message`
    /// (`unauthorized: authentication required`), for the first error.
    pub fn docker_error_text(&self) -> Option<String> {
        self.docker_error_texts().into_iter().next()
    }

    /// [`HttpExchange::docker_error_text`] for each error of the body (the first
    /// `text::EVIDENCE_ITEMS`), each part cut at `text::QUOTE_CHARS`: the server's text is
    /// quoted in messages and runtime lines.
    pub fn docker_error_texts(&self) -> Vec<String> {
        let errs = self.registry_errors();
        crate::text::bounded(errs.iter().map(|(code, message)| {
            format!(
                "{}: {}",
                crate::text::clip(&code.to_ascii_lowercase().replace('_', " ")),
                crate::text::clip(message)
            )
        }))
        .0
    }

    /// The first value of a header (name compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The --ca file as read.
#[derive(Debug, Clone, Serialize)]
pub struct CaFileFacts {
    /// The path given.
    pub path: String,
    /// Its bytes.
    #[serde(skip)]
    pub bytes: Vec<u8>,
}

/// The system trust store: the bundle's bytes, PEM-decoded and parsed only when first
/// needed (on another thread while the network is busy), once per run — every target's
/// facts share it.
#[derive(Debug, Clone, Serialize)]
pub struct SystemRoots {
    /// Where it was read from.
    pub source: String,
    #[serde(skip)]
    lazy: std::sync::Arc<LazyRoots>,
}

#[derive(Debug, Default)]
struct LazyRoots {
    pem: Vec<u8>,
    der: std::sync::OnceLock<std::sync::Arc<Vec<Vec<u8>>>>,
    /// Each certificate's raw subject, for lookup by name as Go's `CertPool` does.
    subjects: std::sync::OnceLock<Vec<Option<Vec<u8>>>>,
    /// Each certificate parsed, when first needed (None: Go refuses it).
    parsed: std::sync::OnceLock<Vec<std::sync::OnceLock<Option<Cert>>>>,
}

impl SystemRoots {
    /// A bundle file's bytes (PEM; anything between the certificates is ignored, as Go's
    /// `AppendCertsFromPEM` does).
    pub fn from_pem(source: impl Into<String>, pem: Vec<u8>) -> SystemRoots {
        SystemRoots {
            source: source.into(),
            lazy: std::sync::Arc::new(LazyRoots {
                pem,
                ..LazyRoots::default()
            }),
        }
    }

    /// Certificates already DER.
    pub fn from_der(source: impl Into<String>, der: Vec<Vec<u8>>) -> SystemRoots {
        let lazy = LazyRoots::default();
        let _ = lazy.der.set(std::sync::Arc::new(der));
        SystemRoots {
            source: source.into(),
            lazy: std::sync::Arc::new(lazy),
        }
    }

    /// The certificates, DER.
    pub fn der(&self) -> std::sync::Arc<Vec<Vec<u8>>> {
        self.lazy
            .der
            .get_or_init(|| {
                use rustls_pki_types::CertificateDer;
                use rustls_pki_types::pem::PemObject;
                std::sync::Arc::new(
                    CertificateDer::pem_slice_iter(&self.lazy.pem)
                        .filter_map(Result::ok)
                        .map(|c| c.as_ref().to_vec())
                        .collect(),
                )
            })
            .clone()
    }

    /// How many certificates the bundle holds.
    pub fn len(&self) -> usize {
        self.der().len()
    }

    /// Whether the bundle holds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Decodes the bundle and indexes it by subject (cheap: nothing else is parsed), so
    /// later lookups do not wait; done on another thread while the network is busy.
    pub fn prepare(&self) {
        self.subjects();
    }

    fn subjects(&self) -> &[Option<Vec<u8>>] {
        self.lazy.subjects.get_or_init(|| {
            self.der()
                .iter()
                .map(|d| crate::pki::goparse::raw_subject(d).map(<[u8]>::to_vec))
                .collect()
        })
    }

    fn parsed_at(&self, i: usize) -> Option<Cert> {
        let slots = self.lazy.parsed.get_or_init(|| {
            (0..self.len())
                .map(|_| std::sync::OnceLock::new())
                .collect()
        });
        slots
            .get(i)?
            .get_or_init(|| Cert::parse(&self.der()[i]).ok())
            .clone()
    }

    /// The roots Go's chain building can reach from this presented chain, parsed (each
    /// once per run), in the bundle's order: Go's `CertPool` finds a parent only by name
    /// (`byName[RawIssuer]`), and a leaf among the roots only by its exact bytes, so a root
    /// whose subject is no presented certificate's issuer, and that is not itself
    /// presented, can change nothing. Those Go cannot parse are left out, as
    /// `AppendCertsFromPEM` leaves them out.
    pub fn candidates(&self, presented: &[Cert]) -> Vec<Cert> {
        let der = self.der();
        self.subjects()
            .iter()
            .enumerate()
            .filter(|(i, subject)| {
                subject.as_ref().is_some_and(|s| {
                    presented
                        .iter()
                        .any(|p| p.issuer_raw == *s || p.der == der[*i])
                })
            })
            .filter_map(|(i, _)| self.parsed_at(i))
            .collect()
    }
}

/// Parses DER certificates, dropping those Go would not load.
pub fn parse_all(ders: &[Vec<u8>]) -> Vec<Cert> {
    ders.iter().filter_map(|d| Cert::parse(d).ok()).collect()
}

impl Facts {
    /// Facts with nothing observed, for a target (tests build on this).
    pub fn new(target: Result<Target, String>, now: i64) -> Facts {
        Facts {
            now,
            target,
            dns: None,
            tcp: None,
            tls: None,
            http: None,
            credentials: None,
            pull: None,
            ca_file: None,
            system_roots: None,
            node: node::NodeFacts::default(),
            timeout_ms: 5000,
            offline: false,
            runtime: RuntimeChoice::new(Runtime::Docker, "default"),
            only_runtime: None,
            client_cert: None,
            go_version: None,
            node_name: None,
            proxied: Vec::new(),
            registry_via: None,
        }
    }

    /// Whether the node's default files (and the Docker config.json) were looked at.
    pub fn node_defaults_read(&self) -> bool {
        !matches!(self.node.daemon_json, node::Source::NotRead)
            || !self.node.containers_certs_d.is_empty()
    }

    /// The presented chain, parsed. Empty when any certificate fails to parse: Go refuses
    /// the whole handshake then (`tls: failed to parse certificate from server`).
    pub fn presented_chain(&self) -> Vec<Cert> {
        let raw: &[Vec<u8>] = self.tls.as_ref().map(|t| t.chain.as_slice()).unwrap_or(&[]);
        raw.iter()
            .map(|der| Cert::parse(der))
            .collect::<Result<Vec<_>, _>>()
            .unwrap_or_default()
    }

    /// Every address the target's name resolved to.
    pub fn resolved_addresses(&self) -> Vec<IpAddr> {
        self.dns
            .as_ref()
            .map(|d| d.addresses.clone())
            .unwrap_or_default()
    }

    /// Why there is no chain to judge, for a skip reason.
    pub fn no_chain_reason(&self) -> String {
        match &self.tls {
            Some(t) if !t.chain.is_empty() => {
                "a certificate the server sent cannot be parsed (see cert-validity)".into()
            }
            Some(t) if !matches!(t.outcome, TlsOutcome::Established { .. }) => {
                "the TLS handshake ended before the server sent a certificate (see tls-handshake)"
                    .into()
            }
            None => "no TLS handshake took place".into(),
            Some(_) => "the server presented no certificate".into(),
        }
    }
}

/// Where credentials came from (never their value, nor the user name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum CredentialSource {
    /// `--user` with `--password-stdin`.
    Flag,
    /// An `auths` entry of a Docker config.json.
    DockerConfig {
        /// The file.
        path: String,
        /// The `auths` key that matched.
        key: String,
    },
    /// A credential helper, which regdoctor does not run.
    Helper {
        /// The file.
        path: String,
        /// `docker-credential-<helper>`.
        helper: String,
    },
}

/// What happened with the credentials.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case", tag = "result")]
pub enum CredentialOutcome {
    /// A credential helper holds them; not read.
    HelperNotRead,
    /// The Docker config.json found by default cannot be used, and why (a named one is
    /// exit 2).
    ConfigInvalid {
        /// Why, with the file's name (and line and column for a syntax error).
        reason: String,
    },
    /// `/v2/` did not ask for authentication.
    NotNeeded {
        /// The anonymous `/v2/` status.
        status: Option<u16>,
    },
    /// Not sent, and why (plain HTTP, an unverified TLS connection).
    Withheld {
        /// Why.
        reason: String,
    },
    /// The challenge's scheme is neither Basic nor Bearer.
    UnsupportedScheme {
        /// The scheme.
        scheme: String,
    },
    /// Basic authentication was tried.
    Basic {
        /// `GET /v2/` with the credentials.
        v2: Box<HttpExchange>,
        /// `GET /v2/_catalog` with the credentials.
        catalog: Option<HttpExchange>,
    },
    /// The Bearer token flow was tried.
    Bearer(Box<BearerFlow>),
}

/// The Bearer token flow.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BearerFlow {
    /// The challenge's realm (token endpoint URL).
    #[serde(serialize_with = "crate::text::ser_clipped")]
    pub realm: String,
    /// The challenge's service.
    #[serde(serialize_with = "crate::text::ser_clipped_opt")]
    pub service: Option<String>,
    /// The token request URL (no credentials in it).
    #[serde(serialize_with = "crate::text::ser_clipped")]
    pub token_url: String,
    /// The TLS handshake with the realm, when it is another host or port.
    pub realm_tls: Option<TlsFacts>,
    /// Why the token endpoint could not be used (connection, TLS, verification).
    #[serde(serialize_with = "crate::text::ser_clipped_opt")]
    pub realm_error: Option<String>,
    /// The token request; its body (which holds the token) is never kept.
    pub token: Option<HttpExchange>,
    /// Which field held the token: "token" or "access_token".
    pub token_field: Option<&'static str>,
    /// `GET /v2/` with the token.
    pub v2: Option<HttpExchange>,
    /// `GET /v2/_catalog` with the token.
    pub catalog: Option<HttpExchange>,
}

/// Credentials: their source and what came of them.
#[derive(Debug, Clone, Serialize)]
pub struct CredentialFacts {
    /// Where they came from.
    pub source: CredentialSource,
    /// What happened.
    pub outcome: CredentialOutcome,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::examples::NOW;
    use crate::checks::examples::pki::*;
    use crate::pki::{verify, verify_chain};
    use crate::target::Host;

    fn cert(der: &[u8]) -> Cert {
        Cert::parse(der).unwrap()
    }

    /// Only the roots a chain can reach are parsed, and Go's verdict with them is its
    /// verdict with the whole bundle: success, the "possibly because of" hint from a root
    /// of the same name with another key, and a self-signed leaf that is itself a root.
    #[test]
    fn the_candidate_roots_give_the_whole_bundle_s_verdict() {
        let other = ca("Other CA", NOW);
        let impostor = ca("Registry CA", NOW);
        let root = ca("Registry CA", NOW);
        let inter = intermediate(&root, "Registry Intermediate", NOW);
        let good = leaf(&inter, &["10.0.0.5"], NOW);
        let lone = self_signed_ca_leaf("registry", &["10.0.0.5"], NOW);
        let stranger = leaf(&ca("Stranger CA", NOW), &["10.0.0.5"], NOW);
        let namesake = leaf(&ca("Registry CA", NOW), &["10.0.0.5"], NOW);
        let bundle = [&other.pem, &impostor.pem, &root.pem, &lone.pem]
            .map(|p| p.as_str())
            .join("junk between\n");
        let roots = SystemRoots::from_pem("bundle", bundle.into_bytes());
        assert_eq!(roots.len(), 4);
        let all: Vec<Cert> = [&other.der, &impostor.der, &root.der, &lone.der]
            .into_iter()
            .map(|d| cert(d))
            .collect();
        let host = Host::Ip("10.0.0.5".parse().unwrap());
        let chains = [
            vec![cert(&good.der), cert(&inter.der)],
            vec![cert(&good.der)],
            vec![cert(&lone.der)],
            vec![cert(&stranger.der)],
            vec![cert(&inter.der)],
            vec![cert(&namesake.der)],
        ];
        for chain in &chains {
            let some = roots.candidates(chain);
            assert!(some.len() < all.len(), "{}", chain[0].subject);
            let (a, b) = (
                verify(chain, &all, Some(&host), NOW),
                verify(chain, &some, Some(&host), NOW),
            );
            assert_eq!(
                a.error.as_ref().map(|e| e.go_text()),
                b.error.as_ref().map(|e| e.go_text()),
                "{}",
                chain[0].subject
            );
            assert_eq!(a.chains.len(), b.chains.len());
            let (a, b) = (
                verify_chain(chain, &all, NOW),
                verify_chain(chain, &some, NOW),
            );
            assert_eq!(a.leaf_in_roots, b.leaf_in_roots);
        }
        // The good chain reaches both "Registry CA"s, not "Other CA".
        let names: Vec<_> = roots
            .candidates(&chains[0])
            .iter()
            .map(|c| c.der.clone())
            .collect();
        assert_eq!(names, [impostor.der.clone(), root.der.clone()]);
        assert!(
            verify(&chains[0], &roots.candidates(&chains[0]), Some(&host), NOW)
                .error
                .is_none()
        );
        // A leaf missing its intermediate: no root bears its issuer's name.
        let missing = verify(&chains[1], &roots.candidates(&chains[1]), Some(&host), NOW);
        assert_eq!(
            missing.error.map(|e| e.go_text()).as_deref(),
            Some("x509: certificate signed by unknown authority")
        );
        // Signed by a third "Registry CA": Go's hint names the same-name roots' failure.
        let hinted = verify(&chains[5], &roots.candidates(&chains[5]), Some(&host), NOW);
        let text = hinted.error.map(|e| e.go_text()).unwrap_or_default();
        assert!(text.contains("possibly because of"), "{text}");
    }
}
