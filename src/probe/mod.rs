//! The probe: the only network code. It resolves, connects, shakes hands and makes the
//! HTTP requests, all under one deadline, and returns facts. It judges nothing: a refused
//! port or a rejected chain is a fact like any other.
//!
//! The one exception is deciding whether credentials may be sent: that needs a
//! [`SendPermit`], which exists only for a TLS connection that verifies by Go's rules and
//! whose server proved possession of its key, or when the user explicitly allowed it.

/// `AsyncWrite` for a reading wrapper, passed through to its `inner` stream.
macro_rules! write_through {
    ($wrapper:ty $(, $g:ident)?) => {
        impl$(<$g: tokio::io::AsyncWrite + Unpin>)? tokio::io::AsyncWrite for $wrapper {
            fn poll_write(
                mut self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                std::pin::Pin::new(&mut self.inner).poll_write(cx, buf)
            }
            fn poll_flush(
                mut self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::pin::Pin::new(&mut self.inner).poll_flush(cx)
            }
            fn poll_shutdown(
                mut self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
            }
        }
    };
}

pub mod budget;
pub mod creds;
pub mod http;
pub mod proxy;
pub mod pull;
pub mod recording_verifier;
pub mod tcp;
pub mod tls;

use std::net::SocketAddr;
use std::time::Duration;

use tokio::time::Instant;

use crate::facts::{
    CredentialOutcome, DnsFacts, HttpFacts, KeyPossession, TcpFacts, TlsFacts, TlsOutcome,
};
use crate::secret::Credentials;
use crate::target::{Host, Scheme, Target};

/// The paths requested anonymously, in order: the runtimes' ping, then the catalog.
pub const PATHS: &[&str] = &["/v2/", "/v2/_catalog?n=100"];

/// What the probe needs besides the target.
#[derive(Debug, Clone, Default)]
pub struct ProbeOptions {
    /// The deadline for the whole probe.
    pub timeout: Duration,
    /// CA certificates (DER) from --ca, for the rustls-webpki side verdict only.
    pub ca_roots: Vec<Vec<u8>>,
    /// The trust stores of the judged runtimes (each: the system roots plus that
    /// runtime's CAs for the registry): credentials are only sent over a connection that
    /// verifies to one of them.
    pub trust_stores: Vec<TrustDer>,
    /// The time, unix seconds, for that verification.
    pub now: i64,
    /// Credentials to try.
    pub credentials: Option<Credentials>,
    /// `--insecure-send-credentials`: send them over plain HTTP or unverified TLS too.
    pub allow_insecure_credentials: bool,
    /// The client certificate the runtime presents when the server asks for one.
    pub client_pair: Option<crate::facts::ClientPair>,
    /// The distinct proxies the judged runtimes use for the target: each is probed too.
    pub proxies: Vec<crate::formats::httpproxy::ProxyUrl>,
    /// The first judged runtime's proxy settings: Go's decision for every host of the
    /// pull path (None: it has no proxy variable, every hop is direct).
    pub pull_proxy: Option<crate::formats::httpproxy::ProxyFunc>,
    /// `--platform` (and where it came from); else this node's.
    pub platform: Option<(crate::facts::pull::Platform, String)>,
}

/// A runtime's trust store as DER: the system roots (shared by every target of a run)
/// and its own CA files for the registry.
#[derive(Debug, Clone, Default)]
pub struct TrustDer {
    /// The system roots (shared, parsed once).
    pub system: Option<crate::facts::SystemRoots>,
    /// The runtime's CA certificates for the registry.
    pub extra: Vec<Vec<u8>>,
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
    /// What came of the credentials (None when none were given).
    pub credentials: Option<CredentialOutcome>,
    /// The target through each of [`ProbeOptions::proxies`], in that order.
    pub proxied: Vec<crate::facts::proxy::ProxiedProbe>,
    /// The pull path (an image reference as the target).
    pub pull: Option<crate::facts::pull::PullFacts>,
}

/// Permission to send credentials on a connection. It can only be made by
/// [`SendPermit::for_tls`] (the connection verifies by Go's rules and the server proved
/// possession of its key) or [`SendPermit::user_override`] (the user passed
/// `--insecure-send-credentials`).
#[derive(Debug)]
pub struct SendPermit {
    _sealed: (),
}

impl SendPermit {
    /// A permit for a TLS connection that verifies with one of the runtimes' trust
    /// stores; else why not.
    pub fn for_tls(
        tls: &TlsFacts,
        stores: &[TrustDer],
        host: &Host,
        now: i64,
    ) -> Result<SendPermit, String> {
        if !matches!(tls.outcome, TlsOutcome::Established { .. }) {
            return Err("the TLS handshake did not complete".into());
        }
        let chain: Vec<_> = tls
            .chain
            .iter()
            .filter_map(|d| crate::pki::Cert::parse(d).ok())
            .collect();
        let mut why = String::from("no runtime verifies the server");
        let verifies = stores.iter().any(|store| {
            let mut roots: Vec<_> = store
                .system
                .as_ref()
                .map(|s| s.candidates(&chain))
                .unwrap_or_default();
            roots.extend(
                store
                    .extra
                    .iter()
                    .filter_map(|d| crate::pki::Cert::parse(d).ok()),
            );
            match crate::pki::verify(&chain, &roots, Some(host), now).error {
                None => true,
                Some(e) => {
                    why = e.go_text();
                    false
                }
            }
        });
        if !verifies {
            return Err(format!(
                "the TLS connection to {host} does not verify ({why})"
            ));
        }
        if tls.key_possession != KeyPossession::Proven {
            return Err(format!(
                "the server {host} did not prove possession of its certificate's key"
            ));
        }
        Ok(SendPermit { _sealed: () })
    }

    /// A permit for a token the token service handed out without credentials: it
    /// carries nothing of the user's, and the runtimes send it wherever they pull.
    pub fn anonymous_token() -> SendPermit {
        SendPermit { _sealed: () }
    }

    /// A permit because the user explicitly allowed insecure sending.
    pub fn user_override(allowed: bool) -> Option<SendPermit> {
        allowed.then_some(SendPermit { _sealed: () })
    }
}

/// Runs the probe on a fresh single-threaded runtime.
pub fn run(target: &Target, opts: &ProbeOptions) -> std::io::Result<ProbeFacts> {
    let mut all = run_all(&[(target.clone(), opts.clone())], MAX_IN_FLIGHT, &|_| {})?;
    Ok(all.pop().unwrap_or_default())
}

/// At most this many targets are probed at once.
pub const MAX_IN_FLIGHT: usize = 64;

/// What a batch reports as it goes: a target's index when its probe starts and ends.
#[derive(Debug, Clone, Copy)]
pub enum Event {
    /// The probe of target `i` started.
    Started(usize),
    /// The probe of target `i` ended.
    Done(usize),
}

/// Probes every target concurrently (at most `in_flight` at once) on one single-threaded
/// runtime, all under one deadline: `timeout` from the start of the batch, whatever the
/// order. The facts come back in the order of `jobs`.
pub fn run_all(
    jobs: &[(Target, ProbeOptions)],
    in_flight: usize,
    events: &(dyn Fn(Event) + Sync),
) -> std::io::Result<Vec<ProbeFacts>> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let timeout = jobs
        .iter()
        .map(|(_, o)| o.timeout)
        .max()
        .unwrap_or_default();
    let facts = rt.block_on(async {
        let deadline = Instant::now() + timeout;
        let slots = tokio::sync::Semaphore::new(in_flight.max(1));
        let runs = jobs.iter().enumerate().map(|(i, (target, opts))| {
            let slots = &slots;
            async move {
                let _slot = slots.acquire().await.ok();
                events(Event::Started(i));
                let facts = probe_until(target, opts, deadline).await;
                events(Event::Done(i));
                facts
            }
        });
        join_all(runs.collect()).await
    });
    // A name lookup that outlived the deadline runs on a blocking thread: do not wait for it.
    rt.shutdown_timeout(Duration::from_millis(50));
    Ok(facts)
}

/// Polls every future to completion on this task, keeping their order (the futures
/// borrow the batch, so they are not spawned).
pub(crate) async fn join_all<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<std::pin::Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut out: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (f, slot) in futures.iter_mut().zip(out.iter_mut()) {
            if slot.is_some() {
                continue;
            }
            match f.as_mut().poll(cx) {
                std::task::Poll::Ready(v) => *slot = Some(v),
                std::task::Poll::Pending => pending = true,
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter().flatten().collect()
}

/// The probe itself, with its own deadline.
pub async fn probe(target: &Target, opts: &ProbeOptions) -> ProbeFacts {
    probe_until(target, opts, Instant::now() + opts.timeout).await
}

/// The probe, under a deadline shared with other targets: directly, and through each
/// proxy a runtime uses, at the same time.
pub async fn probe_until(target: &Target, opts: &ProbeOptions, deadline: Instant) -> ProbeFacts {
    let (mut facts, (proxied, pull)) = tokio::join!(
        probe_direct(target, opts, deadline),
        proxy::probe_all(target, opts, deadline)
    );
    facts.proxied = proxied;
    if facts.pull.is_none() {
        facts.pull = pull;
    }
    facts
}

/// The direct probe.
async fn probe_direct(target: &Target, opts: &ProbeOptions, deadline: Instant) -> ProbeFacts {
    let mut facts = ProbeFacts::default();
    let (dns, tcp) = tcp::dial(target, deadline).await;
    facts.dns = Some(dns);
    let Some((tcp_facts, stream)) = tcp else {
        return facts;
    };
    let connected = tcp_facts.connected;
    facts.tcp = Some(tcp_facts);
    let (Some(stream), Some(addr)) = (stream, connected) else {
        return facts;
    };
    let authority = target.registry_name();
    if target.scheme == Scheme::Http {
        let session = plain_http(stream, target, addr, opts, deadline, &mut facts).await;
        finish(session, target, opts, deadline, &mut facts).await;
        follow_pull(target, addr, opts, deadline, &mut facts).await;
        return facts;
    }
    let (mut tls_facts, tls_stream) = tls::handshake(
        stream,
        target,
        &opts.ca_roots,
        opts.client_pair.as_ref(),
        deadline,
    )
    .await;
    let mut session = None;
    match tls_stream {
        Some(tls) => {
            let h2 = tls_facts.outcome.is_h2();
            let (mut s, mut exchanges, alert) =
                http::get_all(tls, h2, "https", &authority, PATHS, deadline).await;
            if alert.is_none() {
                retry_on_new_connection(
                    &mut s,
                    &mut exchanges,
                    target,
                    addr,
                    opts,
                    &tls_facts.chain,
                    deadline,
                )
                .await;
            }
            tls_facts.post_handshake_alert = alert;
            facts.http = Some(HttpFacts::https(h2, exchanges));
            session = s;
        }
        None if matches!(tls_facts.outcome, TlsOutcome::PlainHttp { .. }) => {
            // Confirm with a real plaintext request on a new connection.
            if let Some(s) = tcp::reconnect(addr, deadline).await {
                session = plain_http(s, target, addr, opts, deadline, &mut facts).await;
            }
        }
        None => {}
    }
    facts.tls = Some(tls_facts);
    finish(session, target, opts, deadline, &mut facts).await;
    follow_pull(target, addr, opts, deadline, &mut facts).await;
    facts
}

/// The pull path, when the target names an image and the registry answered `/v2/`:
/// directly, unless the judged runtime sends the registry through a proxy (then
/// [`proxy::probe_via`] follows it through that proxy).
async fn follow_pull(
    target: &Target,
    addr: SocketAddr,
    opts: &ProbeOptions,
    deadline: Instant,
    facts: &mut ProbeFacts,
) {
    if proxy::route(target, opts).is_some() {
        return;
    }
    let dial = pull::Dial::Direct(addr);
    facts.pull = pull_after(
        target,
        dial,
        opts,
        deadline,
        facts.http.as_ref(),
        facts.tls.as_ref(),
    )
    .await;
}

/// The pull walk after the anonymous requests (`http`) over a connection dialled as
/// `dial`, when the target names an image and `GET /v2/` was answered.
pub(crate) async fn pull_after(
    target: &Target,
    dial: pull::Dial<'_>,
    opts: &ProbeOptions,
    deadline: Instant,
    http: Option<&HttpFacts>,
    tls: Option<&TlsFacts>,
) -> Option<crate::facts::pull::PullFacts> {
    let image = target.image.as_ref()?;
    let first = http.and_then(|h| h.exchanges.first());
    if first.is_none_or(|f| f.status.is_none()) {
        return None;
    }
    // Over TLS only when the handshake completed (a plaintext answer on the TLS port is
    // the plain-HTTP session's business).
    let tls = tls.filter(|t| matches!(t.outcome, TlsOutcome::Established { .. }));
    let plain = http.is_some_and(|h| h.scheme == "http");
    let target = match (target.scheme, tls, plain) {
        (Scheme::Https, None, false) => return None,
        // The TLS port answered in plaintext and the registry answered plain HTTP: a
        // runtime that allows it (an insecure registry) pulls over plain HTTP.
        (Scheme::Https, None, true) => &Target {
            scheme: Scheme::Http,
            ..target.clone()
        },
        _ => target,
    };
    Some(pull::follow(target, image, first, tls, dial, opts, deadline).await)
}

async fn finish(
    session: Option<http::Session>,
    target: &Target,
    opts: &ProbeOptions,
    deadline: Instant,
    facts: &mut ProbeFacts,
) {
    let Some(creds) = &opts.credentials else {
        return;
    };
    let first = facts
        .http
        .as_ref()
        .and_then(|h| h.exchanges.first())
        .cloned();
    let mut session = session;
    if session.as_ref().is_some_and(|s| s.broken)
        && let Some(addr) = facts.tcp.as_ref().and_then(|t| t.connected)
    {
        let chain = facts
            .tls
            .as_ref()
            .map(|t| t.chain.clone())
            .unwrap_or_default();
        session = reopen(target, pull::Dial::Direct(addr), opts, &chain, deadline).await;
    }
    facts.credentials = Some(match (session, first) {
        (Some(mut session), Some(first)) => {
            creds::flow(
                &mut session,
                target,
                &first,
                facts.tls.as_ref(),
                creds,
                opts,
                deadline,
            )
            .await
        }
        _ => CredentialOutcome::Withheld {
            reason: "no HTTP connection to the registry could be made".into(),
        },
    });
}

/// A server that closes the connection after a response (HTTP/1.0 style, or
/// `Connection: close`) is asked the remaining paths on a new connection, as the runtimes'
/// HTTP clients would. Over TLS the new connection must present the same chain.
async fn retry_on_new_connection(
    session: &mut Option<http::Session>,
    exchanges: &mut Vec<crate::facts::HttpExchange>,
    target: &Target,
    addr: SocketAddr,
    opts: &ProbeOptions,
    chain: &[Vec<u8>],
    deadline: Instant,
) {
    let answered = exchanges.first().is_some_and(|e| e.status.is_some());
    let broken = session.as_ref().is_none_or(|s| s.broken);
    if !answered || !broken {
        return;
    }
    if exchanges.last().is_some_and(|e| e.status.is_none()) {
        exchanges.pop();
    }
    let done = exchanges.len();
    let Some(mut fresh) = reopen(target, pull::Dial::Direct(addr), opts, chain, deadline).await
    else {
        return;
    };
    for path in &PATHS[done.min(PATHS.len())..] {
        exchanges.push(fresh.get(path, None).await);
        if fresh.broken {
            break;
        }
    }
    *session = Some(fresh);
}

/// A new connection to the same address; over TLS only if it presents `chain` again.
pub(super) async fn reopen(
    target: &Target,
    dial: pull::Dial<'_>,
    opts: &ProbeOptions,
    chain: &[Vec<u8>],
    deadline: Instant,
) -> Option<http::Session> {
    let stream = match dial {
        pull::Dial::Direct(addr) => tcp::reconnect(addr, deadline).await?,
        pull::Dial::Proxy(p) => {
            proxy::connect_via(p, &target.host.to_string(), target.port, deadline)
                .await
                .ok()?
        }
    };
    let authority = target.registry_name();
    if chain.is_empty() {
        return http::Session::open(stream, false, "http", &authority, deadline)
            .await
            .ok();
    }
    let (tls_facts, tls) = tls::handshake(
        stream,
        target,
        &opts.ca_roots,
        opts.client_pair.as_ref(),
        deadline,
    )
    .await;
    if tls_facts.chain != chain {
        return None;
    }
    let h2 = tls_facts.outcome.is_h2();
    http::Session::open(tls?, h2, "https", &authority, deadline)
        .await
        .ok()
}

/// The anonymous requests over plain HTTP (asked for, or found on the TLS port).
async fn plain_http(
    stream: tokio::net::TcpStream,
    target: &Target,
    addr: SocketAddr,
    opts: &ProbeOptions,
    deadline: Instant,
    facts: &mut ProbeFacts,
) -> Option<http::Session> {
    let (mut session, mut exchanges, _) = http::get_all(
        stream,
        false,
        "http",
        &target.registry_name(),
        PATHS,
        deadline,
    )
    .await;
    retry_on_new_connection(
        &mut session,
        &mut exchanges,
        target,
        addr,
        opts,
        &[],
        deadline,
    )
    .await;
    facts.http = Some(HttpFacts {
        scheme: "http",
        version: "HTTP/1.1",
        exchanges,
    });
    session
}
