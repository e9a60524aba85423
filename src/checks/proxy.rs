//! `proxy`: which proxy each runtime's process sends the registry through (Go's
//! `httpproxy` rules with the environment of its systemd service, and for Docker ≥ 23
//! daemon.json `"proxies"`), whether the registry can be reached through it — the tunnel
//! (`CONNECT`), and the certificate seen through it against the one seen directly — and
//! whether regdoctor's own environment, the shell where `curl` works, decides the same.
//!
//! One check rather than findings in tcp-connect and ca-chain: a proxy failure is what the
//! runtime meets *instead of* the registry's own connection, it is fixed in one place (the
//! service's environment, `NO_PROXY`), and it applies only to the runtimes that use that
//! proxy. It runs right after tcp-connect, so that a runtime's root cause is its proxy
//! before any certificate finding.

use super::{Basis, Check, Outcome};
use crate::codes::{CheckId, Code};
#[cfg(test)]
use crate::facts::Facts;
use crate::facts::Runtime;
use crate::facts::proxy::{ProxiedProbe, ProxyFailure, ProxyOutcome};
use crate::facts::{TlsFacts, TlsOutcome};
use crate::finding::Finding;
use crate::finding::evidence::{Interception, ProxyEnvs, ProxyRoute, ProxyTunnel, TunnelSeen};
use crate::formats::httpproxy::{GoRules, ProxyUrl};
use crate::pki::Cert;
use crate::runtimes::Client;
use crate::runtimes::line::Failure;
use crate::runtimes::proxy::{ProxyEnv, Route};
use crate::target::Target;
use crate::text::clip;

/// The check.
pub struct Proxy;

/// Where regdoctor's own variables come from, for people.
const OWN: &str = "regdoctor's environment (the shell or container it runs in)";

/// A judged runtime and how it reaches the registry.
struct Routed<'a> {
    client: &'a Client,
    route: Route,
}

impl Check for Proxy {
    fn id(&self) -> CheckId {
        CheckId::Proxy
    }
    fn title(&self) -> &'static str {
        "the runtimes' proxies carry the registry"
    }
    fn doc(&self) -> &'static str {
        include_str!("../../checks/proxy.md")
    }
    fn run(&self, facts: &Basis<'_>) -> Outcome {
        let Ok(t) = &facts.target else {
            return Outcome::Skip("no target".into());
        };
        let own = ProxyEnv::new(OWN, &facts.node.own_proxy_env, GoRules::CURRENT);
        let routed: Vec<Routed<'_>> = facts
            .clients
            .judged
            .iter()
            .filter(|c| c.runtime != Runtime::Any)
            .map(|c| Routed {
                client: c,
                route: c.route(t),
            })
            .collect();
        if own.is_empty() && routed.iter().all(|r| r.client.proxy.is_empty()) {
            return Outcome::Skip(
                "no proxy variable is set for the runtimes judged, nor in regdoctor's environment"
                    .into(),
            );
        }
        let mut findings = Vec::new();
        // Each distinct proxy once, with the runtimes that use it.
        let mut proxies: Vec<&ProxyUrl> = Vec::new();
        for r in &routed {
            if let Some(p) = r.route.proxy()
                && !proxies.contains(&p)
            {
                proxies.push(p);
            }
        }
        for proxy in proxies {
            let group: Vec<&Routed<'_>> = routed
                .iter()
                .filter(|r| r.route.proxy() == Some(proxy))
                .collect();
            let probe = facts.proxied.iter().find(|p| p.proxy == *proxy);
            findings.extend(through(facts, t, proxy, &group, probe));
        }
        for r in &routed {
            if let Route::Refused { error } = &r.route {
                findings.push(
                    Finding::new(
                        Code::ProxyDenied,
                        format!(
                            "the {} process refuses to use its HTTP_PROXY for {}: REQUEST_METHOD is set in its environment, which Go takes for a CGI process",
                            r.client.runtime.display_name(),
                            t.registry_name()
                        ),
                    )
                    .fails(Failure::request(error.clone()), Some(t))
                    .hint(format!(
                        "remove REQUEST_METHOD from the environment of {}",
                        unit(r.client.runtime).0
                    ))
                    .for_runtimes(vec![r.client.runtime]),
                );
            }
        }
        findings.extend(mismatches(facts, t, &own, &routed));
        Outcome::Findings(findings)
    }
}

/// The systemd unit and the service name of a runtime.
fn unit(runtime: Runtime) -> (&'static str, &'static str) {
    match runtime {
        Runtime::Containerd => ("containerd.service", "containerd"),
        Runtime::CriO => ("crio.service", "crio"),
        _ => ("docker.service", "docker"),
    }
}

/// "Docker", "Docker and containerd".
fn names(group: &[&Routed<'_>]) -> String {
    let n: Vec<String> = group
        .iter()
        .map(|r| r.client.runtime.display_name().to_string())
        .collect();
    super::or_list(&n).replace(" or ", " and ")
}

/// Where each runtime's proxy variable is set: "HTTPS_PROXY at /etc/…/proxy.conf:2".
fn origins(group: &[&Routed<'_>]) -> String {
    let mut seen: Vec<String> = Vec::new();
    for r in group {
        if let Route::Proxy {
            variable, origin, ..
        } = &r.route
        {
            let s = format!("{variable} at {origin}");
            if !seen.contains(&s) {
                seen.push(s);
            }
        }
    }
    seen.join("; ")
}

fn evidence(proxy: &ProxyUrl, group: &[&Routed<'_>], probe: Option<&ProxiedProbe>) -> ProxyTunnel {
    ProxyTunnel {
        proxy: proxy.redacted(),
        runtimes: group
            .iter()
            .map(|r| ProxyRoute {
                runtime: r.client.runtime,
                route: r.route.clone(),
                environment: r.client.proxy.shown(),
            })
            .collect(),
        outcome: probe.map(|p| TunnelSeen::of(&p.outcome)),
    }
}

/// The findings for one proxy and the runtimes that use it.
fn through(
    facts: &Basis<'_>,
    t: &Target,
    proxy: &ProxyUrl,
    group: &[&Routed<'_>],
    probe: Option<&ProxiedProbe>,
) -> Vec<Finding> {
    let who = names(group);
    let runtimes: Vec<Runtime> = group.iter().map(|r| r.client.runtime).collect();
    let name = t.registry_name();
    let lead = format!(
        "the registry {name} is reached by {who} through the proxy {proxy} ({})",
        origins(group)
    );
    let ev = evidence(proxy, group, probe);
    let outcome = probe.map(|p| &p.outcome);
    let used = |note: String| {
        Finding::new(Code::ProxyUsed, format!("{lead}{note}"))
            .for_runtimes(runtimes.clone())
            .evidence(ev.clone())
    };
    let failure = match outcome {
        None => return vec![used(": it was not probed".into())],
        Some(ProxyOutcome::NotProbed { why }) => {
            return vec![used(format!("; not probed through it: {why}"))];
        }
        Some(ProxyOutcome::Failed(ProxyFailure::Unsupported { scheme })) => {
            return vec![used(format!(
                "; regdoctor does not speak to a {scheme}:// proxy, so the path through it was not probed"
            ))];
        }
        Some(ProxyOutcome::Failed(f)) => f,
        Some(ProxyOutcome::Tunnel {
            proxy_addr, tls, ..
        }) => {
            return tunnel(facts, t, proxy, group, tls.as_ref(), *proxy_addr, used);
        }
    };
    let exempt = exempt_fix(t, group);
    let proxy_addr = proxy.dial_authority();
    let (code, message, hint) = match failure {
        ProxyFailure::Resolve { host, detail, .. } => (
            Code::ProxyUnreachable,
            format!("{lead}, and the proxy's name {host} does not resolve: {detail}"),
            format!(
                "correct the proxy's name in {} (`getent hosts {host}` on this node), or, if the registry is reachable without it, exempt it: {exempt}",
                origins(group)
            ),
        ),
        ProxyFailure::Connect(attempt) => (
            Code::ProxyUnreachable,
            format!(
                "{lead}, and the proxy cannot be reached: {}",
                attempt
                    .go_text()
                    .unwrap_or_else(|| format!("{proxy_addr}: no connection"))
            ),
            format!(
                "check that the proxy runs and that this node reaches it (`nc -vz {} {}`), and the address in {}; or, if the registry is reachable without it, exempt it: {exempt}",
                attempt.addr.ip(),
                attempt.addr.port(),
                origins(group)
            ),
        ),
        ProxyFailure::NoAnswer { detail, .. } => (
            Code::ProxyUnreachable,
            format!(
                "{lead}, and the proxy gives no usable answer to CONNECT {}: {}",
                t.authority(),
                clip(detail)
            ),
            format!(
                "check that {proxy_addr} is an HTTP proxy (`curl -v -x {proxy} https://{name}/v2/`); or exempt the registry: {exempt}"
            ),
        ),
        ProxyFailure::Status {
            status: status @ (401 | 407),
            reason,
            proxy_authenticate,
            ..
        } => {
            let challenge = proxy_authenticate
                .as_deref()
                .map(|c| format!(" ({})", clip(c)))
                .unwrap_or_default();
            let reason = clip(reason);
            let given = if proxy.has_credentials() {
                "it refused the user and password in the proxy URL"
            } else {
                "the proxy URL carries no user and password"
            };
            // tinyproxy answers a wrong password with 401 Unauthorized (observed, 1.11.1).
            let note = if *status == 401 {
                " (a proxy's answer to a user or password it refuses)"
            } else {
                ""
            };
            (
                Code::ProxyAuthRequired,
                format!(
                    "{lead}, and the proxy demands authentication: CONNECT {} answered {status} {reason}{note}{challenge}; {given}",
                    t.authority()
                ),
                format!(
                    "put the proxy's user and password in the proxy URL where it is set ({}), e.g. {}=http://USER:PASSWORD@{proxy_addr} (percent-encode special characters), then restart the service; or exempt the registry: {exempt}",
                    origins(group),
                    group
                        .iter()
                        .find_map(|r| match &r.route {
                            Route::Proxy { variable, .. } => Some(variable.as_str()),
                            _ => None,
                        })
                        .unwrap_or("HTTPS_PROXY")
                ),
            )
        }
        ProxyFailure::Status { status, reason, .. } if *status >= 500 => (
            Code::ProxyUpstreamFailed,
            format!(
                "{lead}, and the proxy cannot reach the registry: CONNECT {} answered {status} {}{}",
                t.authority(),
                clip(reason),
                direct_note(facts)
            ),
            format!(
                "the proxy must be able to reach {name}: check its egress (firewall, DNS on the proxy host); or, if this node reaches the registry directly, exempt it: {exempt}"
            ),
        ),
        ProxyFailure::Status {
            status,
            reason,
            server,
            ..
        } => (
            Code::ProxyDenied,
            format!(
                "{lead}, and the proxy refuses the tunnel: CONNECT {} answered {status} {}{}",
                t.authority(),
                clip(reason),
                server
                    .as_deref()
                    .map(|s| format!(" (Server: {})", clip(s)))
                    .unwrap_or_default()
            ),
            format!(
                "allow CONNECT to port {} on the proxy (tinyproxy: `ConnectPort {}`; squid: `acl SSL_ports port {}` and `http_access allow CONNECT SSL_ports`), or exempt the registry from the proxy: {exempt}",
                t.port, t.port, t.port
            ),
        ),
        ProxyFailure::Unsupported { .. } => return vec![],
    };
    let mut f = Finding::new(code, message)
        .hint(hint)
        .for_runtimes(runtimes)
        .evidence(ev.clone());
    if let Some(go) = failure.go_text() {
        // Go prints the proxy's reason phrase whole; the report quotes it clipped.
        f = f.fails(Failure::request(clip(&go)), Some(t));
    }
    vec![f]
}

/// How a handshake through a tunnel ended, in words (not the facts' Debug form).
fn outcome_words(outcome: &TlsOutcome) -> String {
    match outcome {
        TlsOutcome::Established { version, .. } => format!("{version} completed"),
        TlsOutcome::PlainHttp { first_bytes } => {
            format!("the answer was plain HTTP: {}", clip(first_bytes))
        }
        TlsOutcome::NotTls { first_bytes } => {
            format!("the answer was not TLS: {}", clip(first_bytes))
        }
        TlsOutcome::Alert(a) => format!("TLS alert {} ({})", a.go_name, a.code),
        TlsOutcome::ProtocolTooOld { detail } => {
            format!("only TLS older than 1.2: {}", clip(detail))
        }
        TlsOutcome::Timeout { after_ms } => format!("no handshake after {after_ms} ms"),
        TlsOutcome::Closed { detail } => format!("the connection closed: {}", clip(detail)),
        TlsOutcome::Failed { detail } => clip(detail).into_owned(),
    }
}

/// What the direct probe says, for a proxy that cannot reach the registry.
fn direct_note(facts: &Basis<'_>) -> String {
    match facts.tcp.as_ref().and_then(|t| t.connected) {
        Some(addr) if facts.registry_via.is_none() => {
            format!("; this node itself connects to {addr} directly")
        }
        _ => String::new(),
    }
}

/// The findings for a tunnel that opened: the chain through it against the direct one.
fn tunnel(
    facts: &Basis<'_>,
    t: &Target,
    proxy: &ProxyUrl,
    group: &[&Routed<'_>],
    tls: Option<&TlsFacts>,
    proxy_addr: std::net::SocketAddr,
    used: impl Fn(String) -> Finding,
) -> Vec<Finding> {
    let opened = format!("; the tunnel opened (CONNECT answered 200 by {proxy_addr})");
    let Some(tls) = tls else {
        return vec![used(opened)];
    };
    let through: Vec<Cert> = tls
        .chain
        .iter()
        .filter_map(|d| Cert::parse(d).ok())
        .collect();
    if facts.registry_via.is_some() {
        return vec![used(format!(
            "{opened}; the direct connection failed, so the registry's TLS and HTTP answers judged below were seen through this proxy"
        ))];
    }
    if through.is_empty() {
        if matches!(tls.outcome, TlsOutcome::Established { .. }) {
            return vec![used(opened)];
        }
        let direct_ok = facts
            .tls
            .as_ref()
            .is_some_and(|d| matches!(d.outcome, TlsOutcome::Established { .. }));
        if !direct_ok {
            // The same failure as directly: tls-handshake explains it.
            return vec![used(opened)];
        }
        return vec![
            used(opened),
            Finding::new(
                Code::ProxyDenied,
                format!(
                    "through the proxy {proxy} {} get{} a tunnel to {}, but no TLS handshake completes through it ({}), while it does directly",
                    names(group),
                    if group.len() == 1 { "s" } else { "" },
                    t.registry_name(),
                    outcome_words(&tls.outcome)
                ),
            )
            .hint(format!(
                "the proxy interferes with TLS on port {}: exempt the registry from the proxy: {}",
                t.port,
                exempt_fix(t, group)
            ))
            .for_runtimes(group.iter().map(|r| r.client.runtime).collect()),
        ];
    }
    let direct = facts.presented_chain();
    let same = direct
        .first()
        .zip(through.first())
        .is_none_or(|(d, p)| d.der == p.der);
    if same {
        return vec![used(format!(
            "{opened}, and the registry presents the same certificate through it as directly"
        ))];
    }
    // Interception: judge the chain seen through the proxy with each runtime's trust.
    let issuer = super::node_common::needed_issuer(&through);
    let direct_issuer = super::node_common::needed_issuer(&direct);
    let mut trusting = Vec::new();
    let mut refused: Vec<(String, Vec<Runtime>)> = Vec::new();
    for r in group {
        if !r.client.verifies() {
            trusting.push(r.client.runtime);
            continue;
        }
        let mut roots = facts
            .system_roots
            .as_ref()
            .map(|s| s.candidates(&through))
            .unwrap_or_default();
        roots.extend(
            r.client
                .cas()
                .iter()
                .flat_map(|c| c.certs.iter())
                .filter_map(|d| Cert::parse(d).ok()),
        );
        match crate::pki::verify(&through, &roots, Some(&t.host), facts.now).error {
            None => trusting.push(r.client.runtime),
            Some(e) => {
                let text = e.go_text();
                match refused.iter_mut().find(|(g, _)| *g == text) {
                    Some((_, v)) => v.push(r.client.runtime),
                    None => refused.push((text, vec![r.client.runtime])),
                }
            }
        }
    }
    let leaf = through.first().map(|c| c.subject.as_str()).unwrap_or("");
    let mut out = vec![used(format!(
        "{opened}; the proxy intercepts TLS: through it the registry's certificate \"{leaf}\" is issued by \"{issuer}\", directly by \"{direct_issuer}\"{}",
        if trusting.is_empty() {
            String::new()
        } else {
            let n: Vec<String> = trusting
                .iter()
                .map(|r| r.display_name().to_string())
                .collect();
            format!(
                ", which {} trust{}",
                super::or_list(&n).replace(" or ", " and "),
                if n.len() == 1 { "s" } else { "" }
            )
        }
    ))];
    for (go, runtimes) in refused {
        let who: Vec<&Routed<'_>> = group
            .iter()
            .copied()
            .filter(|r| runtimes.contains(&r.client.runtime))
            .collect();
        let n = names(&who);
        out.push(
            Finding::new(
                Code::ProxyTlsIntercepted,
                format!(
                    "through the proxy {proxy} the registry {} presents a certificate issued by \"{issuer}\" instead of \"{direct_issuer}\": the proxy intercepts TLS, and {n} {} not trust \"{issuer}\"",
                    t.registry_name(),
                    if who.len() == 1 { "does" } else { "do" }
                ),
            )
            .fails(Failure::verification(go.clone()), Some(t))
            .hint(format!(
                "exempt the registry from the proxy: {}; or trust the proxy's CA \"{issuer}\" (ask its administrators for the certificate, saved as proxy-ca.crt): {}",
                exempt_fix(t, &who),
                super::hints::trust_ca(&facts.hint_runtimes(&runtimes), facts, "proxy-ca.crt")
            ))
            .for_runtimes(runtimes)
            .evidence(Interception {
                proxy: proxy.redacted(),
                direct_leaf: direct.first().map(|c| c.subject.clone()).unwrap_or_default(),
                direct_issuer: direct_issuer.clone(),
                proxied_leaf: leaf.to_string(),
                proxied_issuer: issuer.clone(),
                go_verdict: go,
            }),
        );
    }
    out
}

/// The fix that sends the registry around the proxy: the registry's host added to
/// `NO_PROXY` where each runtime's proxy settings live.
fn exempt_fix(t: &Target, group: &[&Routed<'_>]) -> String {
    let host = t.host.to_string();
    let parts: Vec<String> = group
        .iter()
        .map(|r| {
            let current = r.client.proxy.no_proxy();
            let value = match current {
                Some(v) if !v.value.is_empty() => format!("{},{host}", v.value),
                _ => host.clone(),
            };
            let name = r.client.runtime.display_name();
            set_variable(
                r.client.runtime,
                current.map(|v| v.origin.as_str()),
                "NO_PROXY",
                &value,
                name,
            )
        })
        .collect();
    let mut seen: Vec<String> = Vec::new();
    for p in parts {
        if !seen.contains(&p) {
            seen.push(p);
        }
    }
    seen.join("; ")
}

/// How to set a proxy variable for a runtime, where its current setting lives (`origin`:
/// daemon.json, a flag, an environment file, or a unit): a new drop-in by default (its
/// name sorts last, and `Environment=` is last-wins), the file itself when the setting
/// comes from daemon.json or an `EnvironmentFile=` (those override any drop-in).
fn set_variable(
    runtime: Runtime,
    origin: Option<&str>,
    name: &str,
    value: &str,
    who: &str,
) -> String {
    let (unit, service) = unit(runtime);
    let path = origin.map(|o| o.split(':').next().unwrap_or(o));
    let key = name.to_ascii_lowercase().replace('_', "-");
    match (origin, path) {
        (Some(o), Some(p)) if o.contains("\"proxies\"") => format!(
            "{who}: set \"proxies\": {{\"{key}\": \"{value}\"}} in {p}, then `systemctl restart {service}`"
        ),
        (Some(o), _) if o.contains(": --") => format!(
            "{who}: change --{key} to {value} on dockerd's command line ({o}), then `systemctl daemon-reload && systemctl restart {service}`"
        ),
        (Some(_), Some(p)) if !p.ends_with(".conf") && !p.ends_with(".service") => format!(
            "{who}: set {name}={value} in {p} (an EnvironmentFile= of {unit}, which overrides drop-ins), then `systemctl restart {service}`"
        ),
        _ => format!(
            "{who}: `mkdir -p /etc/systemd/system/{unit}.d && printf '[Service]\\nEnvironment=\"{name}={value}\"\\n' > /etc/systemd/system/{unit}.d/zz-regdoctor-proxy.conf && systemctl daemon-reload && systemctl restart {service}`"
        ),
    }
}

/// `proxy_env_mismatch`: regdoctor's own environment routes the registry otherwise than a
/// runtime's does.
fn mismatches(
    facts: &Basis<'_>,
    t: &Target,
    own: &ProxyEnv,
    routed: &[Routed<'_>],
) -> Vec<Finding> {
    let name = t.registry_name();
    let url = format!(
        "{}://{}/v2/",
        if t.scheme == crate::target::Scheme::Http {
            "http"
        } else {
            "https"
        },
        name
    );
    let mut out = Vec::new();
    // A shell without any proxy variable misleads no one: the findings above already say
    // which proxy the runtime uses (and regdoctor in a container has none).
    if own.is_empty() {
        return out;
    }
    for r in routed {
        let mine = own.route_to(t, r.client.transport.tls_first());
        if mine.proxy() == r.route.proxy() {
            continue;
        }
        let who = r.client.runtime.display_name();
        let (unit, _) = unit(r.client.runtime);
        let how = |route: &Route| match route {
            Route::Proxy {
                proxy, variable, ..
            } => format!("through {proxy} ({variable})"),
            Route::Direct { why: Some(w) } => format!("directly ({w})"),
            Route::Direct { why: None } => "directly".into(),
            Route::Refused { .. } => "nowhere (Go refuses its HTTP_PROXY)".into(),
        };
        let theirs_from = if r.client.proxy.is_empty() {
            format!("its {unit} sets no proxy variable")
        } else {
            format!("from {}", r.client.proxy.source)
        };
        let hint = match (mine.proxy(), r.route.proxy()) {
            (Some(p), None) => {
                let var = match &mine {
                    Route::Proxy { variable, .. } => variable.to_ascii_uppercase(),
                    _ => "HTTPS_PROXY".into(),
                };
                let refill = if p.has_credentials() {
                    " (put the proxy's user and password back in place of xxxxx)"
                } else {
                    ""
                };
                format!(
                    "if {who} needs the proxy as this shell does, give it the same setting: {}{refill}; to see from this shell what {who} sees, run `env -u HTTPS_PROXY -u https_proxy -u HTTP_PROXY -u http_proxy curl -v {url}`",
                    set_variable(
                        r.client.runtime,
                        r.client.proxy.get(&var).map(|v| v.origin.as_str()),
                        &var,
                        &p.redacted(),
                        who
                    )
                )
            }
            (_, Some(p)) => format!(
                "to see from this shell what {who} sees, run `curl -v --proxy {p} {url}`{}; if the registry must not go through the proxy, exempt it: {}",
                if p.has_credentials() {
                    " (with the proxy's user and password in place of xxxxx)"
                } else {
                    ""
                },
                exempt_fix(t, &[r])
            ),
            (None, None) => continue,
        };
        out.push(
            Finding::new(
                Code::ProxyEnvMismatch,
                format!(
                    "regdoctor's own environment (the shell or container it runs in) sends {name} {}, but {who} goes {} ({theirs_from}): `curl` from this shell and the pull take different paths",
                    how(&mine),
                    how(&r.route)
                ),
            )
            .hint(hint)
            .for_runtimes(vec![r.client.runtime])
            .evidence(ProxyEnvs {
                runtime: r.client.runtime,
                runtime_route: Box::new(r.route.clone()),
                runtime_environment: r.client.proxy.shown(),
                own_route: Box::new(mine.clone()),
                own_environment: own.shown(),
            }),
        );
    }
    let _ = facts;
    out
}

#[cfg(test)]
pub(crate) fn examples() -> Vec<(Facts, Vec<Code>)> {
    use crate::checks::examples::*;
    let e = examples_fixtures();
    vec![
        (e.excluded, vec![]),
        (e.tunnel, vec![Code::ProxyUsed]),
        (e.refused, vec![Code::ProxyUnreachable]),
        (e.auth, vec![Code::ProxyAuthRequired]),
        (e.denied, vec![Code::ProxyDenied]),
        (e.upstream, vec![Code::ProxyUpstreamFailed]),
        (
            e.intercepted,
            vec![Code::ProxyUsed, Code::ProxyTlsIntercepted],
        ),
        (e.mismatch, vec![Code::ProxyEnvMismatch]),
    ]
    .into_iter()
    .map(|(f, c)| (present(f, Runtime::Docker), c))
    .collect()
}

/// Facts for each example (Docker present, its proxy in a drop-in).
#[cfg(test)]
pub(crate) struct Fixtures {
    pub excluded: Facts,
    pub tunnel: Facts,
    pub refused: Facts,
    pub auth: Facts,
    pub denied: Facts,
    pub upstream: Facts,
    pub intercepted: Facts,
    pub mismatch: Facts,
}

#[cfg(test)]
pub(crate) const PROXY: &str = "http://alice:s3cret@10.0.0.1:3128";

#[cfg(test)]
pub(crate) fn with_docker_proxy(mut f: Facts, env: &str) -> Facts {
    use crate::facts::node::{ServiceFiles, TextFile};
    f.node.docker_service = Some(ServiceFiles {
        units: vec![
            TextFile {
                path: "/lib/systemd/system/docker.service".into(),
                text: "[Service]\nExecStart=/usr/sbin/dockerd -H fd://\n".into(),
            },
            TextFile {
                path: "/etc/systemd/system/docker.service.d/http-proxy.conf".into(),
                text: format!("[Service]\n{env}\n"),
            },
        ],
        env_files: vec![],
    });
    f
}

#[cfg(test)]
pub(crate) fn examples_fixtures() -> Fixtures {
    use crate::checks::examples::pki::*;
    use crate::checks::examples::*;
    use crate::facts::{ConnectAttempt, ConnectOutcome};
    let ca_ = ca("Registry CA", NOW);
    let good = leaf(&ca_, &["10.0.0.5"], NOW);
    let mitm_ca = ca("Intercepting Proxy CA", NOW);
    let mitm = leaf(&mitm_ca, &["10.0.0.5"], NOW);
    let env = format!("Environment=\"HTTPS_PROXY={PROXY}\" NO_PROXY=localhost");
    // Docker trusts the registry's CA (certs.d), not the intercepting proxy's.
    let trusting = |mut f: Facts| {
        f.node.docker_certs_d = certs_root(
            "/etc/docker/certs.d",
            vec![(
                "10.0.0.5:5000",
                vec![("ca.crt", ca_.pem.clone().into_bytes())],
            )],
        );
        f
    };
    let base = || {
        trusting(with_docker_proxy(
            with_chain(facts_for("10.0.0.5:5000"), vec![good.der.clone()]),
            &env,
        ))
    };
    let proxy = crate::formats::httpproxy::ProxyUrl::parse(PROXY).unwrap();
    let with = |outcome: ProxyOutcome| {
        let mut f = base();
        f.proxied = vec![ProxiedProbe {
            proxy: proxy.clone(),
            outcome,
        }];
        f
    };
    let tls_with = |chain: Vec<Vec<u8>>| {
        let mut t = with_chain(facts_for("10.0.0.5:5000"), chain).tls.unwrap();
        t.client_cert_requested = false;
        t
    };
    let addr: std::net::SocketAddr = "10.0.0.1:3128".parse().unwrap();
    let status = |status: u16, reason: &str| {
        ProxyOutcome::Failed(ProxyFailure::Status {
            status,
            reason: reason.into(),
            proxy_authenticate: (status == 407).then(|| "Basic realm=\"tinyproxy\"".into()),
            server: Some("tinyproxy/1.11.1".into()),
        })
    };
    let mut mismatch = with_chain(facts_for("10.0.0.5:5000"), vec![good.der.clone()]);
    mismatch.node.own_proxy_env = vec![crate::formats::systemd::EnvVar {
        name: "https_proxy".into(),
        value: "http://10.0.0.1:3128".into(),
        origin: OWN.into(),
    }];
    let intercepted = with(ProxyOutcome::Tunnel {
        proxy_addr: addr,
        tls: Some(tls_with(vec![mitm.der.clone()])),
        http: None,
    });
    Fixtures {
        excluded: trusting(with_docker_proxy(
            with_chain(facts_for("10.0.0.5:5000"), vec![good.der.clone()]),
            &format!("Environment=\"HTTPS_PROXY={PROXY}\" NO_PROXY=10.0.0.0/8"),
        )),
        tunnel: with(ProxyOutcome::Tunnel {
            proxy_addr: addr,
            tls: Some(tls_with(vec![good.der.clone()])),
            http: None,
        }),
        refused: with(ProxyOutcome::Failed(ProxyFailure::Connect(
            ConnectAttempt {
                addr,
                outcome: ConnectOutcome::Refused,
                elapsed_ms: 1,
            },
        ))),
        auth: with(status(407, "Proxy Authentication Required")),
        denied: with(status(403, "Access violation")),
        upstream: with(status(500, "Unable to connect")),
        intercepted,
        mismatch,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::examples::*;

    /// A tunnel through which no handshake completes is said in words, not Rust's Debug.
    #[test]
    fn a_failed_handshake_through_a_tunnel_is_worded() {
        let mut f = examples_fixtures().tunnel;
        for p in &mut f.proxied {
            if let ProxyOutcome::Tunnel { tls: Some(t), .. } = &mut p.outcome {
                t.chain.clear();
                t.outcome = TlsOutcome::Closed {
                    detail: "unexpected EOF".into(),
                };
            }
        }
        let found = findings_of(&Proxy, &present(f, Runtime::Docker));
        let denied = found.iter().find(|x| x.code == Code::ProxyDenied).unwrap();
        assert!(
            denied
                .message
                .contains("(the connection closed: unexpected EOF)"),
            "{}",
            denied.message
        );
        assert!(!denied.message.contains("Closed {"), "{}", denied.message);
    }

    /// A hostile proxy's reason phrase and Server header (each 50,000 characters) are
    /// quoted clipped, in the message and in the evidence.
    #[test]
    fn a_proxys_own_words_are_clipped() {
        let mut f = examples_fixtures().denied;
        for p in &mut f.proxied {
            if let ProxyOutcome::Failed(ProxyFailure::Status { reason, server, .. }) =
                &mut p.outcome
            {
                reason.clone_from(&"R".repeat(50_000));
                server.clone_from(&Some("S".repeat(50_000)));
            }
        }
        let finding = findings_of(&Proxy, &present(f, Runtime::Docker))
            .into_iter()
            .find(|x| x.code == Code::ProxyDenied)
            .unwrap();
        assert!(
            finding.message.chars().count() < 1_000,
            "{}",
            finding.message.len()
        );
        assert!(finding.message.contains("more characters)"));
        let json = serde_json::to_string(&finding).unwrap();
        assert!(json.len() < 8_000, "{}", json.len());
    }

    fn docker(f: Facts) -> Facts {
        present(f, Runtime::Docker)
    }

    fn report(f: &Facts) -> crate::report::Report {
        crate::report::Report::from_facts(
            f,
            crate::checks::run_all(f),
            "2027-01-15T08:00:00Z".into(),
            1,
        )
    }

    #[test]
    fn a_dead_proxy_fails_the_runtime_with_go_s_proxyconnect_line() {
        let f = docker(examples_fixtures().refused);
        let r = report(&f);
        let docker = &r.runtimes[0];
        assert_eq!(docker.cause, Some(Code::ProxyUnreachable));
        assert_eq!(
            docker.error.as_deref(),
            Some(
                "Error response from daemon: Get \"https://10.0.0.5:5000/v2/\": proxyconnect tcp: dial tcp 10.0.0.1:3128: connect: connection refused"
            )
        );
        let out = findings_of(&Proxy, &f);
        assert!(
            out[0].message.contains("http://xxxxx:xxxxx@10.0.0.1:3128"),
            "{}",
            out[0].message
        );
        assert!(
            out[0].hint.as_deref().unwrap().contains(
                "printf '[Service]\\nEnvironment=\"NO_PROXY=localhost,10.0.0.5\"\\n' > /etc/systemd/system/docker.service.d/zz-regdoctor-proxy.conf && systemctl daemon-reload && systemctl restart docker"
            ),
            "{:?}",
            out[0].hint
        );
    }

    #[test]
    fn go_prints_only_the_reason_phrase() {
        let e = examples_fixtures();
        for (f, line) in [
            (e.denied, "Access violation"),
            (e.auth, "Proxy Authentication Required"),
            (e.upstream, "Unable to connect"),
        ] {
            let r = report(&docker(f));
            assert_eq!(
                r.runtimes[0].error.as_deref(),
                Some(
                    format!(
                        "Error response from daemon: Get \"https://10.0.0.5:5000/v2/\": {line}"
                    )
                    .as_str()
                )
            );
        }
    }

    #[test]
    fn interception_names_the_other_ca_and_fails_like_an_unknown_authority() {
        let f = docker(examples_fixtures().intercepted);
        let r = report(&f);
        assert_eq!(r.runtimes[0].cause, Some(Code::ProxyTlsIntercepted));
        assert!(
            r.runtimes[0]
                .error
                .as_deref()
                .unwrap()
                .ends_with("x509: certificate signed by unknown authority"),
            "{:?}",
            r.runtimes[0].error
        );
        let out = findings_of(&Proxy, &f);
        assert!(
            out[1]
                .message
                .contains("\"CN=Intercepting Proxy CA\" instead of \"CN=Registry CA\""),
            "{}",
            out[1].message
        );
    }

    #[test]
    fn a_registry_exempted_by_no_proxy_goes_direct_and_passes() {
        let f = docker(examples_fixtures().excluded);
        let r = report(&f);
        assert_eq!(
            r.runtimes[0].verdict,
            Some(crate::report::Verdict::Pass),
            "{:#?}",
            r.checks
        );
        let route = r.runtimes[0].route.as_ref().unwrap();
        assert!(
            route.describe().contains("\"10.0.0.0/8\""),
            "{}",
            route.describe()
        );
    }

    #[test]
    fn only_the_runtimes_that_use_the_proxy_fail() {
        // Docker through the dead proxy, containerd direct.
        let f = present(docker(examples_fixtures().refused), Runtime::Containerd);
        let r = report(&f);
        let by = |rt: Runtime| r.runtimes.iter().find(|v| v.runtime == rt).unwrap();
        assert_eq!(
            by(Runtime::Docker).verdict,
            Some(crate::report::Verdict::Fail)
        );
        // containerd goes direct: judged on the registry's own chain, which it does not
        // trust here (no hosts.toml), never on the proxy.
        let c = by(Runtime::Containerd);
        assert_eq!(c.cause, Some(Code::UnknownAuthority), "{c:#?}");
        let out = findings_of(&Proxy, &f);
        assert_eq!(out[0].runtimes, vec![Runtime::Docker]);
    }

    #[test]
    fn a_refused_direct_connection_does_not_fail_a_proxied_runtime() {
        // The registry only answers through the proxy.
        let mut f = docker(examples_fixtures().tunnel);
        f = with_tcp(f, &[crate::facts::ConnectOutcome::TimedOut]);
        f.tls = None;
        let via = f.proxied.clone();
        f.proxied = via;
        crate::facts::proxy::observe_through(&mut f, 0);
        assert!(f.registry_via.is_some());
        let r = report(&f);
        assert_eq!(
            r.runtimes[0].verdict,
            Some(crate::report::Verdict::Pass),
            "{:#?}",
            r.checks
        );
    }

    #[test]
    fn no_password_is_ever_shown() {
        let e = examples_fixtures();
        for f in [e.refused, e.auth, e.denied, e.intercepted, e.tunnel] {
            let r = report(&docker(f));
            let json = serde_json::to_string(&r).unwrap();
            assert!(
                !json.contains("s3cret") && !json.contains("alice"),
                "{json}"
            );
        }
    }
}
