//! The pull path, followed as a runtime follows it: a token for
//! `repository:<name>:pull` (with the credentials, else anonymously), `HEAD` and `GET` of
//! the manifest with the runtimes' `Accept` list, the node's platform's manifest from an
//! index, the configuration blob (its digest checked) and the first byte of the first
//! layer (a ranged request: a layer is never downloaded). Redirects are followed as Go's
//! client does, at most 10, across hosts: every new host is a hop with its own name
//! resolution, connection and TLS handshake (its chain recorded for the checks to judge
//! with each runtime's trust). Credentials and tokens only go to the registry's own
//! origin, as the runtimes' authorizers do. Everything is under the probe's deadline and
//! every body read is capped.

use crate::challenge::Challenge;
use std::net::SocketAddr;

use sha2::{Digest, Sha256};
use tokio::time::Instant;

use super::creds;
use super::http::{Authorization, BODY_CAP, MAX_REDIRECTS, Req, Session};
use super::{ProbeOptions, SendPermit, tcp, tls};
use crate::facts::pull::{Hop, HopRole, Platform, PullAuth, PullFacts, PullStep, StepKind, media};
use crate::facts::{BearerFlow, HttpExchange, TlsFacts, TlsOutcome};
use crate::formats::httpproxy::ProxyUrl;
use crate::secret::Secret;
use crate::target::{ImageRef, Scheme, Target};

/// The manifest types asked for, as the runtimes ask (Docker 20.10, containerd 1.6 and
/// containers/image all accept these; the schema 1 types last).
pub const ACCEPT: &str = "application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.v1+prettyjws";

/// The platform a runtime on this machine asks of an index (Go's GOOS/GOARCH names).
pub fn this_platform() -> Platform {
    let (architecture, variant) = match std::env::consts::ARCH {
        "x86_64" => ("amd64", None),
        "aarch64" => ("arm64", None),
        "arm" => ("arm", Some("v7")),
        "x86" => ("386", None),
        "powerpc64" if cfg!(target_endian = "little") => ("ppc64le", None),
        "powerpc64" => ("ppc64", None),
        "riscv64" => ("riscv64", None),
        "s390x" => ("s390x", None),
        "loongarch64" => ("loong64", None),
        other => (other, None),
    };
    Platform {
        os: "linux".into(),
        architecture: architecture.into(),
        variant: variant.map(str::to_string),
    }
}

/// Whether an index entry's platform is the one wanted, as containerd's platform matcher
/// (which Docker 20.10 uses) compares them: same OS, architecture and variant once both
/// are normalized (amd64 `v1` and arm64 `v8` are no variant, plain arm is `v7`), without
/// its fallbacks to older compatible platforms (containerd 1.6 on amd64 also takes
/// linux/386, then fails to unpack it: `content digest …: not found`). Observed on amd64
/// with dockerd 20.10 and containerd 1.6: an index with only linux/amd64 `v1` pulls, with
/// only `v2` it fails (the variant counts though the node asks for none). CRI-O
/// (containers/image 5.23) is stricter: `v1` fails there too.
pub fn platform_matches(wanted: &Platform, entry: &Platform) -> bool {
    fn variant(p: &Platform) -> Option<&str> {
        match (p.architecture.as_str(), p.variant.as_deref()) {
            ("amd64", Some("v1")) | ("arm64", Some("v8")) => None,
            ("arm", None) => Some("v7"),
            (_, v) => v,
        }
    }
    wanted.os == entry.os
        && wanted.architecture == entry.architecture
        && variant(wanted) == variant(entry)
}

/// How a connection to the registry is made again: to the address that answered, or
/// through the proxy that carries it.
#[derive(Clone, Copy)]
pub enum Dial<'a> {
    /// Directly to this address.
    Direct(SocketAddr),
    /// Through this proxy (`CONNECT`).
    Proxy(&'a ProxyUrl),
}

/// The connections of the pull: the registry first, then every other host reached.
struct Hops {
    hops: Vec<Hop>,
    sessions: Vec<Option<Session>>,
}

impl Hops {
    fn find(&self, t: &Target) -> Option<usize> {
        self.hops.iter().position(|h| {
            h.target.scheme == t.scheme && h.target.host == t.host && h.target.port == t.port
        })
    }

    /// Connects to a new host (name resolution, TCP, TLS), recording what happened.
    async fn open(
        &mut self,
        t: Target,
        role: HopRole,
        opts: &ProbeOptions,
        deadline: Instant,
    ) -> usize {
        let mut hop = Hop {
            role,
            target: t.clone(),
            dns: None,
            tcp: None,
            tls: None,
            error: None,
            via: super::proxy::route(&t, opts),
        };
        if let Some(proxy) = hop.via.clone() {
            let session = through_proxy(&mut hop, &proxy, opts, deadline).await;
            self.hops.push(hop);
            self.sessions.push(session);
            return self.hops.len() - 1;
        }
        let (dns, tcp) = tcp::dial(&t, deadline).await;
        let dns_error = dns
            .error
            .as_ref()
            .map(|e| format!("cannot resolve {}: {}", t.host, e.detail));
        hop.dns = Some(dns);
        let mut session = None;
        match tcp {
            None => hop.error = dns_error.or(Some("no address to connect to".into())),
            Some((tcp_facts, stream)) => {
                let why = tcp_facts
                    .attempts
                    .last()
                    .and_then(|a| a.go_text())
                    .unwrap_or_else(|| "no connection".into());
                hop.tcp = Some(tcp_facts);
                match stream {
                    None => hop.error = Some(why),
                    Some(stream) => {
                        let authority = t.registry_name();
                        if t.scheme == Scheme::Http {
                            session = Session::open(stream, false, "http", &authority, deadline)
                                .await
                                .map_err(|(e, _)| hop.error = Some(e))
                                .ok();
                        } else {
                            session = tls_session(&mut hop, stream, opts, deadline).await;
                        }
                    }
                }
            }
        }
        self.hops.push(hop);
        self.sessions.push(session);
        self.hops.len() - 1
    }

    /// Sends `req` to the registry (with its authorization) and follows redirects across
    /// hosts, at most 10; another host gets no authorization.
    async fn fetch(
        &mut self,
        kind: StepKind,
        req: Req<'_>,
        auth: Option<(&Authorization<'_>, &SendPermit)>,
        opts: &ProbeOptions,
        deadline: Instant,
    ) -> (PullStep, Vec<u8>) {
        let mut at = 0usize;
        let mut path = req.path.to_string();
        let mut via = vec![0usize];
        let mut redirects: Vec<(u16, String)> = Vec::new();
        loop {
            let r = Req { path: &path, ..req };
            let sent = match self.sessions.get_mut(at).and_then(Option::as_mut) {
                Some(s) => s.send(&r, auth.filter(|_| at == 0)).await,
                None => (
                    HttpExchange {
                        method: req.method.into(),
                        path: path.clone(),
                        error: Some(self.hops[at].error.clone().unwrap_or_else(|| {
                            format!("no connection to {}", self.hops[at].target.authority())
                        })),
                        ..HttpExchange::default()
                    },
                    vec![],
                ),
            };
            let (ex, bytes) = sent;
            let location = ex
                .header("location")
                .filter(|_| matches!(ex.status, Some(301 | 302 | 303 | 307 | 308)))
                .map(str::to_string);
            let Some(location) = location else {
                let step = PullStep::new(kind, HttpExchange { redirects, ..ex }, at, via);
                return (step, bytes);
            };
            redirects.push((ex.status.unwrap_or_default(), location.clone()));
            if redirects.len() >= MAX_REDIRECTS {
                let why = format!("stopped after {MAX_REDIRECTS} redirects");
                return (stopped(kind, &req, redirects, at, via, why), vec![]);
            }
            if location.starts_with('/') && !location.starts_with("//") {
                path = location;
            } else if let Some((next, next_path)) = crate::target::split_url(&location) {
                at = match self.find(&next) {
                    Some(i) => i,
                    None => self.open(next, HopRole::BlobStorage, opts, deadline).await,
                };
                path = next_path;
            } else {
                let why = format!("redirected to {location:?}, which is not an http(s) URL");
                return (stopped(kind, &req, redirects, at, via, why), vec![]);
            }
            if via.last() != Some(&at) {
                via.push(at);
            }
        }
    }
}

/// Opens a hop through the proxy that carries it: `CONNECT`, then TLS as directly. A
/// plain-HTTP hop is not probed (Go sends its requests to the proxy as absolute URLs).
async fn through_proxy(
    hop: &mut Hop,
    proxy: &ProxyUrl,
    opts: &ProbeOptions,
    deadline: Instant,
) -> Option<Session> {
    let t = hop.target.clone();
    if t.scheme == Scheme::Http {
        hop.error = Some(format!(
            "not probed: a plain-HTTP host through the proxy {proxy} (Go sends absolute URLs to the proxy, which regdoctor does not)"
        ));
        return None;
    }
    let stream = match super::proxy::connect_via(proxy, &t.host.to_string(), t.port, deadline).await
    {
        Ok(s) => s,
        Err(f) => {
            hop.error = Some(
                f.go_text()
                    .unwrap_or_else(|| format!("no tunnel through the proxy {proxy}")),
            );
            return None;
        }
    };
    tls_session(hop, stream, opts, deadline).await
}

/// The TLS handshake with a hop over `stream` (recorded in the hop), then an HTTP session.
async fn tls_session(
    hop: &mut Hop,
    stream: tokio::net::TcpStream,
    opts: &ProbeOptions,
    deadline: Instant,
) -> Option<Session> {
    let t = hop.target.clone();
    let (facts, tls) = tls::handshake(
        stream,
        &t,
        &opts.ca_roots,
        opts.client_pair.as_ref(),
        deadline,
    )
    .await;
    let h2 = facts.outcome.is_h2();
    if !matches!(facts.outcome, TlsOutcome::Established { .. }) {
        hop.error = Some("the TLS handshake did not complete".into());
    }
    hop.tls = Some(facts);
    Session::open(tls?, h2, "https", &t.registry_name(), deadline)
        .await
        .map_err(|(e, _)| hop.error = Some(e))
        .ok()
}

/// The authorization the pull's registry requests carry.
enum Auth {
    None,
    Basic(SendPermit),
    Bearer(Secret, SendPermit),
}

/// Follows the pull path of `image` after the probe's anonymous `GET /v2/` (`first`).
#[allow(clippy::too_many_arguments)]
pub async fn follow(
    target: &Target,
    image: &ImageRef,
    first: Option<&HttpExchange>,
    tls_facts: Option<&TlsFacts>,
    dial: Dial<'_>,
    opts: &ProbeOptions,
    deadline: Instant,
) -> PullFacts {
    let (platform, platform_source) = opts
        .platform
        .clone()
        .unwrap_or_else(|| (this_platform(), "this node".to_string()));
    let registry_hop = Hop {
        role: HopRole::Registry,
        target: target.clone(),
        dns: None,
        tcp: None,
        tls: None,
        error: None,
        via: match dial {
            Dial::Direct(_) => None,
            Dial::Proxy(p) => Some(p.clone()),
        },
    };
    let mut facts = PullFacts {
        image: image.clone(),
        platform,
        platform_source,
        auth: PullAuth::Anonymous,
        steps: vec![],
        hops: vec![],
        platforms: vec![],
        stopped: None,
    };
    let chain = tls_facts.map(|t| t.chain.clone()).unwrap_or_default();
    let session = super::reopen(target, dial, opts, &chain, deadline).await;
    let mut hops = Hops {
        hops: vec![registry_hop],
        sessions: vec![session],
    };
    if hops.sessions[0].is_none() {
        facts.stopped = Some(format!(
            "no new connection to the registry {} could be made",
            target.authority()
        ));
        facts.hops = hops.hops;
        return facts;
    }
    let (auth, pull_auth) =
        authenticate(target, image, first, tls_facts, &mut hops, opts, deadline).await;
    facts.auth = pull_auth;
    if let PullAuth::Missing { reason } = &facts.auth {
        facts.stopped = Some(reason.clone());
        facts.hops = hops.hops;
        return facts;
    }
    let credentials = opts.credentials.as_ref();
    let basic = credentials.map(Authorization::Basic);
    let header = match &auth {
        Auth::None => None,
        Auth::Basic(p) => basic.as_ref().map(|a| (a, p)),
        Auth::Bearer(..) => None,
    };
    let bearer_auth;
    let header = match &auth {
        Auth::Bearer(token, p) => {
            bearer_auth = Authorization::Bearer(token);
            Some((&bearer_auth, p))
        }
        _ => header,
    };
    walk(image, &mut facts, &mut hops, header, opts, deadline).await;
    facts.hops = hops.hops;
    facts
}

/// Decides how the pull authenticates, from the `/v2/` challenge.
async fn authenticate(
    target: &Target,
    image: &ImageRef,
    first: Option<&HttpExchange>,
    tls_facts: Option<&TlsFacts>,
    hops: &mut Hops,
    opts: &ProbeOptions,
    deadline: Instant,
) -> (Auth, PullAuth) {
    let Some(first) = first.filter(|f| f.status == Some(401)) else {
        return (Auth::None, PullAuth::Anonymous);
    };
    let challenges = first.challenges();
    let permit = creds::permit_for(tls_facts, target, opts);
    if let Some(ch) = challenges.iter().find(|c| c.scheme == "bearer") {
        return bearer(ch, target, image, hops, permit.ok(), opts, deadline).await;
    }
    if challenges.iter().any(|c| c.scheme == "basic") {
        return match (&opts.credentials, permit) {
            (Some(_), Ok(p)) => (Auth::Basic(p), PullAuth::Basic),
            (Some(_), Err(why)) => (Auth::None, PullAuth::Missing { reason: why }),
            (None, _) => (
                Auth::None,
                PullAuth::Missing {
                    reason: "the registry asks for Basic credentials and none were given".into(),
                },
            ),
        };
    }
    (Auth::None, PullAuth::Anonymous)
}

/// A Bearer token for `repository:<name>:pull` from the challenge's realm: with the
/// credentials when they may be sent, else anonymous. A realm on another origin becomes a
/// hop of the path.
async fn bearer(
    ch: &Challenge,
    target: &Target,
    image: &ImageRef,
    hops: &mut Hops,
    permit: Option<SendPermit>,
    opts: &ProbeOptions,
    deadline: Instant,
) -> (Auth, PullAuth) {
    let scope = format!("repository:{}:pull", image.repository);
    let mut flow = BearerFlow::default();
    let with = match (&opts.credentials, &permit) {
        (Some(c), Some(p)) => Some((c, p)),
        _ => None,
    };
    let with_credentials = with.is_some();
    let pull_auth = |flow: &BearerFlow, error: Option<String>| PullAuth::Bearer {
        scope: scope.clone(),
        token_url: flow.token_url.clone(),
        with_credentials,
        token: flow.token.clone().map(Box::new),
        error,
    };
    let Some((realm, path_query)) = creds::token_request(ch, &scope, &mut flow) else {
        let why = flow.realm_error.clone();
        return (Auth::None, pull_auth(&flow, why));
    };
    let registry = hops.sessions[0].as_mut();
    let Some(registry) = registry else {
        return (Auth::None, pull_auth(&flow, Some("no connection".into())));
    };
    let token_ex = creds::fetch_token(
        registry,
        target,
        (realm.clone(), path_query),
        with,
        opts,
        deadline,
        &mut flow,
    )
    .await;
    if !(realm.scheme == target.scheme && realm.host == target.host && realm.port == target.port) {
        hops.hops.push(Hop {
            role: HopRole::TokenRealm,
            dns: None,
            tcp: None,
            tls: flow.realm_tls.clone(),
            error: flow.realm_error.clone(),
            // The runtime's decision; the token request itself is made directly.
            via: super::proxy::route(&realm, opts),
            target: realm,
        });
        hops.sessions.push(None);
    }
    let token = token_ex.and_then(|ex| creds::keep_token(&mut flow, ex));
    let error = match (&token, &flow.realm_error, &flow.token) {
        (Some(_), _, _) => None,
        (None, Some(e), _) => Some(e.clone()),
        (None, None, Some(ex)) => Some(match (ex.status, &ex.error) {
            (_, Some(e)) => e.clone(),
            (Some(s), None) => format!("the token service answered {s}"),
            (None, None) => "no answer from the token service".into(),
        }),
        (None, None, None) => Some("no token request was made".into()),
    };
    let auth = match token {
        Some(t) => {
            let p = match (with_credentials, permit) {
                (true, Some(p)) => p,
                _ => SendPermit::anonymous_token(),
            };
            Auth::Bearer(t, p)
        }
        None => Auth::None,
    };
    (auth, pull_auth(&flow, error))
}

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}

/// A descriptor in a manifest or an index: its digest and size.
pub type Descriptor = (String, Option<u64>);

/// A descriptor in a manifest or an index.
fn descriptor(v: &serde_json::Value) -> Option<Descriptor> {
    let digest = v.get("digest")?.as_str()?.to_string();
    Some((digest, v.get("size").and_then(|s| s.as_u64())))
}

/// What every request of the walk shares: the authorization, the options, the deadline.
#[derive(Clone, Copy)]
struct Ctx<'a, 'b> {
    auth: Option<(&'a Authorization<'b>, &'a SendPermit)>,
    opts: &'a ProbeOptions,
    deadline: Instant,
}

impl Ctx<'_, '_> {
    async fn fetch(&self, hops: &mut Hops, kind: StepKind, req: Req<'_>) -> (PullStep, Vec<u8>) {
        hops.fetch(kind, req, self.auth, self.opts, self.deadline)
            .await
    }
}

/// A manifest request with the runtimes' Accept list.
fn manifest_req<'a>(method: &'static str, path: &'a str) -> Req<'a> {
    Req {
        method,
        path,
        accept: ACCEPT,
        range: None,
        cap: BODY_CAP,
    }
}

/// The media type of a manifest answer: its `Content-Type` (`kind`), else, when a
/// registry omits it, the document's own `mediaType`.
pub fn document_kind(kind: String, doc: Option<&serde_json::Value>) -> String {
    if !kind.is_empty() {
        return kind;
    }
    doc.and_then(|d| d.get("mediaType"))
        .and_then(|m| m.as_str())
        .unwrap_or_default()
        .to_string()
}

/// An index's entries: each platform and its manifest's digest, in the index's order
/// (entries without a platform or a digest, and `unknown` ones, the attestations, left
/// out).
pub fn index_entries(doc: Option<&serde_json::Value>) -> Vec<(Platform, String)> {
    doc.and_then(|d| d.get("manifests"))
        .and_then(|m| m.as_array())
        .into_iter()
        .flatten()
        .filter_map(|m| {
            let p = m.get("platform")?;
            let platform = Platform {
                os: p.get("os")?.as_str()?.to_string(),
                architecture: p.get("architecture")?.as_str()?.to_string(),
                variant: p
                    .get("variant")
                    .and_then(|v| v.as_str())
                    .map(str::to_string),
            };
            Some((platform, descriptor(m)?.0))
        })
        .filter(|(p, _)| p.os != "unknown")
        .collect()
}

/// An image manifest's configuration blob and first layer.
pub fn manifest_blobs(doc: Option<&serde_json::Value>) -> (Option<Descriptor>, Option<Descriptor>) {
    let config = doc.and_then(|d| d.get("config")).and_then(descriptor);
    let layer = doc
        .and_then(|d| d.get("layers"))
        .and_then(|l| l.as_array())
        .and_then(|l| l.first())
        .and_then(descriptor);
    (config, layer)
}

/// The manifest, the platform's manifest, the config blob and the first layer's byte.
async fn walk(
    image: &ImageRef,
    facts: &mut PullFacts,
    hops: &mut Hops,
    auth: Option<(&Authorization<'_>, &SendPermit)>,
    opts: &ProbeOptions,
    deadline: Instant,
) {
    let ctx = Ctx {
        auth,
        opts,
        deadline,
    };
    let Some((kind, body)) = manifest(image, facts, hops, ctx).await else {
        return;
    };
    let Some((kind, doc)) = platform_manifest(image, facts, hops, ctx, kind, body).await else {
        return;
    };
    if !media::is_manifest(&kind) {
        facts.stopped = Some(format!("the manifest's media type is {kind:?}"));
        return;
    }
    let (config, layer) = manifest_blobs(doc.as_ref());
    let Some(config) = config else {
        facts.stopped = Some("the manifest names no configuration blob".into());
        return;
    };
    // A server's digest goes into a request path only when it is a digest.
    if let Some(bad) = [Some(&config), layer.as_ref()]
        .into_iter()
        .flatten()
        .find(|(d, _)| !crate::target::valid_digest(d))
    {
        facts.stopped = Some(format!(
            "the manifest names the blob digest {:?}, which is not a digest (sha256: and 64 hex digits)",
            crate::text::clip(&bad.0)
        ));
        return;
    }
    if !config_blob(&image.repository, facts, hops, ctx, config).await {
        facts.stopped = Some("the configuration blob could not be fetched intact".into());
        return;
    }
    if let Some((layer_digest, _)) = layer {
        first_layer_byte(&image.repository, facts, hops, ctx, layer_digest).await;
    }
}

/// HEAD and GET of the manifest (its digest checked when the reference is one); on a 404,
/// `tags/list` to tell an unknown name from an unknown tag. The media type and the body
/// when it answered 200.
async fn manifest(
    image: &ImageRef,
    facts: &mut PullFacts,
    hops: &mut Hops,
    ctx: Ctx<'_, '_>,
) -> Option<(String, Vec<u8>)> {
    let repo = &image.repository;
    let path = format!("/v2/{repo}/manifests/{}", image.reference());
    let (head, _) = ctx
        .fetch(hops, StepKind::ManifestHead, manifest_req("HEAD", &path))
        .await;
    facts.steps.push(head);
    let (mut get, body) = ctx
        .fetch(hops, StepKind::Manifest, manifest_req("GET", &path))
        .await;
    if image.digest.is_some() {
        let seen = sha256(&body);
        get.digest_ok = Some(Some(&seen) == image.digest.as_ref());
        get.digest = image.digest.clone();
        get.digest_seen = Some(seen);
    }
    let status = get.exchange.status;
    let kind = get.exchange.media_type();
    facts.steps.push(get);
    match status {
        Some(200) => Some((kind, body)),
        Some(404) => {
            let tags = format!("/v2/{repo}/tags/list");
            let (step, _) = ctx.fetch(hops, StepKind::Tags, Req::get(&tags)).await;
            facts.steps.push(step);
            facts.stopped = Some("the manifest was not found".into());
            None
        }
        Some(s) => {
            facts.stopped = Some(format!("the manifest request answered {s}"));
            None
        }
        None => {
            facts.stopped = Some("the manifest request had no answer".into());
            None
        }
    }
}

/// The image manifest: the document itself, or from an index the one for the node's
/// platform (fetched by digest, the digest checked). Its media type and parsed body.
async fn platform_manifest(
    image: &ImageRef,
    facts: &mut PullFacts,
    hops: &mut Hops,
    ctx: Ctx<'_, '_>,
    mut kind: String,
    body: Vec<u8>,
) -> Option<(String, Option<serde_json::Value>)> {
    let parse = |b: &[u8]| serde_json::from_slice::<serde_json::Value>(b).ok();
    let doc = parse(&body);
    // Some registries omit Content-Type: the document's own mediaType says it.
    kind = document_kind(kind, doc.as_ref());
    if !media::is_index(&kind) {
        return Some((kind, doc));
    }
    let entries = index_entries(doc.as_ref());
    facts.platforms = entries.iter().map(|(p, _)| p.to_string()).collect();
    let Some((_, digest)) = entries
        .iter()
        .find(|(p, _)| platform_matches(&facts.platform, p))
    else {
        facts.stopped = Some(format!("the index has no manifest for {}", facts.platform));
        return None;
    };
    if !crate::target::valid_digest(digest) {
        facts.stopped = Some(format!(
            "the index names the manifest digest {:?} for {}, which is not a digest (sha256: and 64 hex digits)",
            crate::text::clip(digest),
            facts.platform
        ));
        return None;
    }
    let path = format!("/v2/{}/manifests/{digest}", image.repository);
    let (mut step, bytes) = ctx
        .fetch(hops, StepKind::PlatformManifest, manifest_req("GET", &path))
        .await;
    let seen = sha256(&bytes);
    step.digest_ok = Some(&seen == digest && step.exchange.status == Some(200));
    step.digest = Some(digest.clone());
    step.digest_seen = Some(seen);
    let ok = step.exchange.status == Some(200);
    let kind = step.exchange.media_type();
    facts.steps.push(step);
    if !ok {
        facts.stopped = Some("the platform's manifest could not be fetched".into());
        return None;
    }
    Some((kind, parse(&bytes)))
}

/// GET of the configuration blob, its sha256 checked when it was read whole. Whether it
/// came intact.
async fn config_blob(
    repo: &str,
    facts: &mut PullFacts,
    hops: &mut Hops,
    ctx: Ctx<'_, '_>,
    (digest, size): (String, Option<u64>),
) -> bool {
    let path = format!("/v2/{repo}/blobs/{digest}");
    let (mut step, bytes) = ctx.fetch(hops, StepKind::ConfigBlob, Req::get(&path)).await;
    let complete = !step.exchange.truncated && size.is_none_or(|s| s as usize <= BODY_CAP);
    if step.exchange.status == Some(200) && complete {
        let seen = sha256(&bytes);
        step.digest_ok = Some(seen == digest);
        step.digest_seen = Some(seen);
    }
    step.digest = Some(digest);
    // The body is a JSON document the report need not repeat; a refusal's body is kept
    // (Docker prints it).
    if step.exchange.status == Some(200) {
        step.exchange.body.clear();
    }
    let ok = step.exchange.status == Some(200) && step.digest_ok != Some(false);
    facts.steps.push(step);
    ok
}

/// A ranged GET of the first layer's first byte (one byte read at most).
async fn first_layer_byte(
    repo: &str,
    facts: &mut PullFacts,
    hops: &mut Hops,
    ctx: Ctx<'_, '_>,
    digest: String,
) {
    let path = format!("/v2/{repo}/blobs/{digest}");
    let req = Req {
        method: "GET",
        path: &path,
        accept: "*/*",
        range: Some("bytes=0-0"),
        cap: 1,
    };
    let (mut step, _) = ctx.fetch(hops, StepKind::LayerBlob, req).await;
    if matches!(step.exchange.status, Some(200 | 206)) {
        step.exchange.body.clear();
    }
    step.digest = Some(digest);
    facts.steps.push(step);
}

/// The step a request ends as when its redirects cannot be followed.
fn stopped(
    kind: StepKind,
    req: &Req<'_>,
    redirects: Vec<(u16, String)>,
    at: usize,
    via: Vec<usize>,
    why: String,
) -> PullStep {
    let exchange = HttpExchange {
        method: req.method.into(),
        path: req.path.to_string(),
        error: Some(why),
        redirects,
        ..HttpExchange::default()
    };
    PullStep::new(kind, exchange, at, via)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platforms_match_as_containerd_s_strict_matcher_does() {
        let p = |s: &str| Platform::parse(s).unwrap();
        assert!(platform_matches(&p("linux/amd64"), &p("linux/amd64")));
        assert!(!platform_matches(&p("linux/amd64"), &p("linux/s390x")));
        assert!(platform_matches(&p("linux/arm/v7"), &p("linux/arm")));
        assert!(!platform_matches(&p("linux/arm/v7"), &p("linux/arm/v6")));
        // Normalized variants: amd64 v1 and arm64 v8 are none; others count.
        assert!(platform_matches(&p("linux/amd64"), &p("linux/amd64/v1")));
        assert!(!platform_matches(&p("linux/amd64"), &p("linux/amd64/v2")));
        assert!(platform_matches(&p("linux/arm64"), &p("linux/arm64/v8")));
        assert!(!platform_matches(&p("linux/amd64"), &p("windows/amd64")));
        assert_eq!(this_platform().os, "linux");
    }

    #[test]
    fn media_types_are_read_without_parameters() {
        let ex = HttpExchange {
            headers: vec![(
                "content-type".into(),
                "application/vnd.oci.image.index.v1+json; charset=utf-8".into(),
            )],
            ..HttpExchange::default()
        };
        assert_eq!(ex.media_type(), media::OCI_INDEX);
    }
}
