//! A finding's evidence: the facts it was judged on, one type per family of findings.
//!
//! The JSON is the plain object of the family (no tag: `Evidence` is untagged), so each
//! finding's `evidence` reads as it always has; docs/report.schema.json describes every
//! family as `$defs/evidence_<kind>`, and the tests keep the two in step (each check
//! example's findings validate against the schema, and every kind has an example).

use serde::Serialize;

use crate::challenge::Challenge;
use crate::facts::{Alert, ConnectAttempt, CredentialSource, HttpExchange};
use crate::pki::summary::CertSummary;

/// Declares [`Evidence`] from one list: each family's variant, type and kind (the
/// schema's `$defs/evidence_<kind>`), and derives `KINDS`, `kind()` and the `From`s.
macro_rules! evidence_families {
    ($($(#[$doc:meta])* $variant:ident($ty:ty) = $kind:literal,)*) => {
        /// The evidence of one finding.
        #[derive(Debug, Clone, Serialize)]
        #[serde(untagged)]
        pub enum Evidence {
            $($(#[$doc])* $variant($ty),)*
        }

        impl Evidence {
            /// Every kind, as named in the schema (`$defs/evidence_<kind>`).
            pub const KINDS: &[&str] = &[$($kind),*];

            /// The kind of this evidence, one of [`Evidence::KINDS`].
            pub fn kind(&self) -> &'static str {
                match self {
                    $(Evidence::$variant(_) => $kind,)*
                }
            }
        }

        $(impl From<$ty> for Evidence {
            fn from(e: $ty) -> Evidence {
                Evidence::$variant(e)
            }
        })*
    };
}

evidence_families! {
    /// target: the name that does not resolve.
    Dns(Dns) = "dns",
    /// tcp-connect: every connection attempt.
    Connect(ConnectAttempts) = "connect",
    /// tls-handshake: what the port answered to the TLS hello.
    FirstBytes(FirstBytes) = "first_bytes",
    /// tls-handshake: the alert the server sent.
    Alert(AlertSeen) = "alert",
    /// ca-file: the `--ca` bundle.
    Bundle(Bundle) = "bundle",
    /// cert-validity, ca-file: one certificate.
    Certificate(CertSummary) = "certificate",
    /// cert-validity: this node's clock against the registry's.
    ClockSkew(ClockSkew) = "clock_skew",
    /// san-matches-host: the dialled host and the certificate's names.
    Names(Names) = "names",
    /// ca-chain: the trust store and the chain Go built or refused.
    Chain(ChainTrust) = "chain",
    /// registry-api: the anonymous `GET /v2/`.
    Exchange(V2Exchange) = "exchange",
    /// catalog: the anonymous `GET /v2/_catalog`.
    Catalog(CatalogListing) = "catalog",
    /// credentials: where they came from and the requests made with them.
    Credentials(CredentialFlow) = "credentials",
    /// daemon-json, containerd-hosts: a place in a node file.
    Position(FilePosition) = "position",
    /// certs-d: the registry's certs.d directory.
    Directory(CertsDir) = "directory",
    /// pull: the way the pull went.
    PullPath(PullPath) = "pull_path",
    /// proxy: a proxy, the runtimes that send the registry through it, and the tunnel.
    Proxy(ProxyTunnel) = "proxy",
    /// proxy: the chain seen through a proxy against the one seen directly.
    Interception(Interception) = "interception",
    /// proxy: regdoctor's own environment routes the registry otherwise than a runtime's.
    ProxyEnv(ProxyEnvs) = "proxy_env",
}

/// A name that does not resolve.
#[derive(Debug, Clone, Serialize)]
pub struct Dns {
    /// The host name.
    pub host: String,
    /// The resolver's error.
    pub detail: String,
    /// Whether the lookup ran out of time.
    pub timed_out: bool,
}

/// Every TCP connection attempt, in order.
#[derive(Debug, Clone, Serialize)]
pub struct ConnectAttempts {
    /// The attempts.
    pub attempts: Vec<ConnectAttempt>,
}

/// What the port sent back to the TLS hello.
#[derive(Debug, Clone, Serialize)]
pub struct FirstBytes {
    /// The first bytes, printable.
    pub first_bytes: String,
    /// The status of a plain `GET http://…/v2/`, when one was made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plain_get_v2_status: Option<u16>,
    /// Its Docker-Distribution-API-Version header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_version_header: Option<String>,
}

/// A TLS alert from the server.
#[derive(Debug, Clone, Serialize)]
pub struct AlertSeen {
    /// The alert.
    pub alert: Alert,
    /// Whether the server had asked for a client certificate.
    pub client_cert_requested: bool,
    /// Whether it came after the handshake completed.
    pub after_handshake: bool,
}

/// The `--ca` bundle.
#[derive(Debug, Clone, Serialize)]
pub struct Bundle {
    /// The file.
    pub path: String,
    /// The certificates that parsed.
    pub certificates: Vec<CertSummary>,
    /// The kinds of private-key blocks in it.
    pub private_keys: Vec<&'static str>,
    /// Why it holds no certificate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// This node's clock against the registry's `Date` header.
#[derive(Debug, Clone, Serialize)]
pub struct ClockSkew {
    /// The registry's `Date` header.
    pub registry_date: String,
    /// This node's time, RFC 3339.
    pub local_time: String,
    /// Local minus registry, in seconds.
    pub skew_seconds: i64,
}

/// The dialled host and the names of the server's certificate.
#[derive(Debug, Clone, Serialize)]
pub struct Names {
    /// The name or IP dialled.
    pub dialled: String,
    /// The certificate's Common Name (null when it has none).
    pub common_name: Option<String>,
    /// Its DNS SANs.
    pub dns_sans: Vec<String>,
    /// Its IP SANs.
    pub ip_sans: Vec<String>,
    /// How many SANs it has in all, when the lists above are cut (each is cut at
    /// `text::EVIDENCE_ITEMS`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sans_total: Option<usize>,
    /// Whether it has a subjectAltName extension at all.
    pub has_san_extension: bool,
}

/// The trust store and the chain.
#[derive(Debug, Clone, Serialize)]
pub struct ChainTrust {
    /// Where the trusted certificates come from.
    pub trusted_from: String,
    /// The trusted CAs (the `--ca` subjects, or how many system roots).
    pub trusted: Vec<String>,
    /// The subjects of the presented chain, leaf first.
    pub presented: Vec<String>,
    /// Go's error, when it refuses the chain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub go_error: Option<String>,
    /// The chain Go built, when it built one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// The anonymous `GET /v2/`.
#[derive(Debug, Clone, Serialize)]
pub struct V2Exchange {
    /// The URL.
    pub url: String,
    /// The status (null: no response).
    pub status: Option<u16>,
    /// The kept response headers.
    #[serde(serialize_with = "crate::text::ser_clipped_pairs")]
    pub headers: Vec<(String, String)>,
    /// The registry's errors in the body: code and message.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        serialize_with = "crate::text::ser_clipped_pairs"
    )]
    pub registry_errors: Vec<(String, String)>,
    /// The `WWW-Authenticate` challenges.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub challenges: Vec<Challenge>,
}

/// The anonymous `GET /v2/_catalog`.
#[derive(Debug, Clone, Serialize)]
pub struct CatalogListing {
    /// The status (null: no response).
    pub status: Option<u16>,
    /// The repositories listed (the first `text::EVIDENCE_ITEMS` in the report).
    #[serde(serialize_with = "crate::text::ser_clipped_list")]
    pub repositories: Vec<String>,
    /// Whether a Link header says there are more.
    pub more: bool,
    /// That Link header.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::text::ser_clipped_opt"
    )]
    pub link: Option<String>,
    /// The registry's errors in the body: code and message.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        serialize_with = "crate::text::ser_clipped_pairs"
    )]
    pub registry_errors: Vec<(String, String)>,
}

/// Where the credentials came from, and the requests made with them (never a secret).
#[derive(Debug, Clone, Serialize)]
pub struct CredentialFlow {
    /// Where they came from.
    pub source: CredentialSource,
    /// The token request, `/v2/` and the catalog, as made.
    pub exchanges: Vec<HttpExchange>,
    /// The Bearer realm.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::text::ser_clipped_opt"
    )]
    pub realm: Option<String>,
    /// The field of the token response that held the token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_field: Option<&'static str>,
}

/// A place in a node file.
#[derive(Debug, Clone, Serialize)]
pub struct FilePosition {
    /// The file.
    pub file: String,
    /// One-based line.
    pub line: usize,
    /// One-based column.
    pub column: usize,
    /// The key concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The line's text (shortened around the column when long; absent when empty).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub text: String,
    /// For a finding that stands for many of one code: their keys (the first
    /// `text::EVIDENCE_ITEMS`; absent otherwise).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub others: Vec<String>,
    /// How many it stands for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub others_total: Option<usize>,
}

/// A certs.d directory.
#[derive(Debug, Clone, Serialize)]
pub struct CertsDir {
    /// The directory.
    pub directory: String,
    /// The names of its files.
    pub files: Vec<String>,
    /// The subjects of the CAs Docker loads from it.
    pub cas: Vec<String>,
}

/// pull: the way an image's pull went, host by host and request by request. The report
/// carries the same as its `pull` section.
#[derive(Debug, Clone, Serialize)]
pub struct PullPath {
    /// The image, as the runtime names it.
    pub image: String,
    /// The platform asked of an index, and where it came from.
    pub platform: String,
    /// How the pull authenticated: `anonymous`, `basic`, `bearer` (with its scope).
    pub auth: String,
    /// Every host on the way, the registry first.
    pub hops: Vec<PathHop>,
    /// The requests, in order.
    pub steps: Vec<PathStep>,
    /// Why the walk stopped before the first layer byte.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
}

/// A proxy, the runtimes that send the registry through it, and what came of the
/// `CONNECT` (user and password masked as xxxxx everywhere).
#[derive(Debug, Clone, Serialize)]
pub struct ProxyTunnel {
    /// The proxy URL, masked.
    pub proxy: String,
    /// Each runtime that uses it: its route and its proxy variables.
    pub runtimes: Vec<ProxyRoute>,
    /// What happened through it (absent: not probed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<TunnelSeen>,
}

/// One runtime's route and the proxy variables it comes from.
#[derive(Debug, Clone, Serialize)]
pub struct ProxyRoute {
    /// The runtime.
    pub runtime: crate::facts::Runtime,
    /// How it reaches the registry.
    pub route: crate::runtimes::proxy::Route,
    /// Its proxy variables, masked, each with where it is set.
    pub environment: Vec<String>,
}

/// What the probe saw through a proxy.
#[derive(Debug, Clone, Serialize)]
pub struct TunnelSeen {
    /// `tunnel` (CONNECT answered 200), `failed` or `not_probed`.
    pub result: &'static str,
    /// Why no tunnel opened.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<crate::facts::proxy::ProxyFailure>,
    /// The proxy's address that answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxy_addr: Option<String>,
    /// The subjects of the chain presented through the tunnel, leaf first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub presented: Vec<String>,
    /// Why it was not probed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
}

impl TunnelSeen {
    /// The evidence of a probe's outcome.
    pub fn of(o: &crate::facts::proxy::ProxyOutcome) -> TunnelSeen {
        use crate::facts::proxy::ProxyOutcome;
        let mut seen = TunnelSeen {
            result: "failed",
            failure: None,
            proxy_addr: None,
            presented: vec![],
            why: None,
        };
        match o {
            ProxyOutcome::Failed(f) => seen.failure = Some(f.clone()),
            ProxyOutcome::Tunnel {
                proxy_addr, tls, ..
            } => {
                seen.result = "tunnel";
                seen.proxy_addr = Some(proxy_addr.to_string());
                seen.presented = tls
                    .iter()
                    .flat_map(|t| t.chain.iter())
                    .map(|d| match crate::pki::Cert::parse(d) {
                        Ok(c) => c.subject,
                        Err(_) => "(unparseable)".into(),
                    })
                    .collect();
            }
            ProxyOutcome::NotProbed { why } => {
                seen.result = "not_probed";
                seen.why = Some(why.clone());
            }
        }
        seen
    }
}

/// The registry's certificate through a proxy and directly.
#[derive(Debug, Clone, Serialize)]
pub struct Interception {
    /// The proxy URL, masked.
    pub proxy: String,
    /// The leaf's subject seen directly.
    pub direct_leaf: String,
    /// Its issuer.
    pub direct_issuer: String,
    /// The leaf's subject seen through the proxy.
    pub proxied_leaf: String,
    /// Its issuer.
    pub proxied_issuer: String,
    /// Go's verdict on the chain seen through the proxy.
    pub go_verdict: String,
}

/// A runtime's route to the registry and regdoctor's own.
#[derive(Debug, Clone, Serialize)]
pub struct ProxyEnvs {
    /// The runtime.
    pub runtime: crate::facts::Runtime,
    /// Its route.
    pub runtime_route: Box<crate::runtimes::proxy::Route>,
    /// Its proxy variables, masked.
    pub runtime_environment: Vec<String>,
    /// regdoctor's own route.
    pub own_route: Box<crate::runtimes::proxy::Route>,
    /// regdoctor's own proxy variables, masked.
    pub own_environment: Vec<String>,
}

/// One host on the pull path.
#[derive(Debug, Clone, Serialize)]
pub struct PathHop {
    /// `registry`, `token_realm` or `blob_storage`.
    pub role: crate::facts::pull::HopRole,
    /// `https://host:port`.
    pub url: String,
    /// `direct`, or the proxy that carried it.
    pub via: String,
    /// `ok`, or why the runtime cannot use it (the first judged runtime's view).
    pub verdict: String,
}

/// One request of the pull.
#[derive(Debug, Clone, Serialize)]
pub struct PathStep {
    /// Which request.
    pub step: crate::facts::pull::StepKind,
    /// `HEAD` or `GET`.
    pub method: String,
    /// The path asked of the registry.
    pub path: String,
    /// The index of the hop that answered (in `hops`).
    pub hop: usize,
    /// The final status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Why there was no answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The redirects followed (Location values, query strings cut).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub redirects: Vec<String>,
    /// Whether the blob's bytes matched its digest, when checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest_ok: Option<bool>,
}

impl PathHop {
    /// The role, for people.
    pub fn role_label(&self) -> &'static str {
        self.role.label()
    }
}

impl PullPath {
    /// The path from the pull facts, each hop judged as the first judged runtime judges
    /// it (`verdict` of the registry: Go's verdict on its chain, from `registry_verdict`).
    pub fn of(
        target: &crate::target::Target,
        p: &crate::facts::pull::PullFacts,
        facts: &crate::facts::Facts,
        client: Option<&crate::runtimes::Client>,
        registry_verdict: Option<String>,
    ) -> PullPath {
        let url =
            |t: &crate::target::Target| format!("{}://{}", t.scheme.as_str(), t.registry_name());
        let mut hops: Vec<PathHop> = p
            .hops
            .iter()
            .enumerate()
            .map(|(i, h)| PathHop {
                role: h.role,
                url: url(&h.target),
                via: h
                    .via
                    .as_ref()
                    .map_or_else(|| "direct".into(), |p| p.redacted()),
                verdict: if i == 0 {
                    registry_verdict.clone().unwrap_or_else(|| "ok".into())
                } else {
                    hop_verdict(h, facts, client)
                },
            })
            .collect();
        let (auth, realm) = auth_of(&p.auth);
        // The probe keeps a hop for a realm on another origin than the registry's (with
        // its TLS): that hop gets the token's verdict, not a second entry.
        if let Some(realm) = realm {
            match hops
                .iter_mut()
                .find(|h| h.role == crate::facts::pull::HopRole::TokenRealm)
            {
                Some(h) if h.verdict == "ok" => h.verdict = realm.verdict,
                Some(_) => {}
                // The realm on the registry's origin: reached as the registry is.
                None => {
                    let via = hops.first().map(|h| h.via.clone());
                    let realm = PathHop {
                        via: via.unwrap_or_else(|| "direct".into()),
                        ..realm
                    };
                    hops.insert(1.min(hops.len()), realm)
                }
            }
        }
        // The realm was put second: the steps' hop numbers past the registry move by one.
        let shift = usize::from(hops.len() > p.hops.len());
        let steps = p
            .steps
            .iter()
            .map(|s| PathStep {
                step: s.kind,
                method: s.exchange.method.clone(),
                path: s.exchange.path.clone(),
                hop: if s.hop == 0 { 0 } else { s.hop + shift },
                status: s.exchange.status,
                error: s.exchange.error.clone(),
                redirects: s
                    .exchange
                    .redirects
                    .iter()
                    .map(|(_, l)| l.split('?').next().unwrap_or_default().to_string())
                    .collect(),
                digest_ok: s.digest_ok,
            })
            .collect();
        PullPath {
            image: format!("{}/{}", target.registry_name(), p.image.familiar()),
            platform: format!("{} ({})", p.platform, p.platform_source),
            auth,
            hops,
            steps,
            stopped: p.stopped.clone(),
        }
    }
}

/// How the pull authenticated, for people, and the token realm's hop when there is one.
fn auth_of(auth: &crate::facts::pull::PullAuth) -> (String, Option<PathHop>) {
    use crate::facts::pull::{HopRole, PullAuth};
    match auth {
        PullAuth::Anonymous => ("anonymous".to_string(), None),
        PullAuth::Basic => ("basic".to_string(), None),
        PullAuth::Missing { reason } => (format!("none: {reason}"), None),
        PullAuth::Bearer {
            scope,
            token_url,
            with_credentials,
            token,
            error,
        } => {
            let url = crate::target::split_url(token_url)
                .map(|(t, _)| format!("{}://{}", t.scheme.as_str(), t.registry_name()))
                .unwrap_or_else(|| token_url.clone());
            let verdict = match (error, token.as_ref().and_then(|t| t.status)) {
                (Some(e), _) => e.clone(),
                (None, Some(200)) => "ok".into(),
                (None, Some(s)) => format!("answered {s}"),
                (None, None) => "no answer".into(),
            };
            let who = if *with_credentials {
                "with credentials"
            } else {
                "anonymous"
            };
            let hop = PathHop {
                role: HopRole::TokenRealm,
                url,
                via: "direct".into(),
                verdict,
            };
            (format!("bearer {scope} ({who})"), Some(hop))
        }
    }
}

/// A redirected host's verdict: the connection's error, else Go's verdict with the
/// registry's trust (as the runtime follows redirects with the registry's transport).
fn hop_verdict(
    h: &crate::facts::pull::Hop,
    facts: &crate::facts::Facts,
    client: Option<&crate::runtimes::Client>,
) -> String {
    use crate::facts::TlsOutcome;
    if let Some(e) = &h.error {
        return e.clone();
    }
    let Some(tls) = &h.tls else {
        return "ok".into();
    };
    if !matches!(tls.outcome, TlsOutcome::Established { .. }) {
        return "the TLS handshake did not complete".into();
    }
    client
        .and_then(|c| crate::runtimes::trust::hop_verdict(facts, c, &tls.chain, &h.target.host))
        .and_then(|v| v.error.map(|e| e.go_text()))
        .unwrap_or_else(|| "ok".into())
}
