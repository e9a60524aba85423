//! `tls-handshake`: a TLS handshake completes; what version, cipher and ALPN.

use super::{Basis, Check, Outcome};
use crate::codes::{CheckId, Code};
#[cfg(test)]
use crate::facts::Facts;
use crate::facts::{Alert, KeyPossession, TlsOutcome};
use crate::finding::Finding;
use crate::finding::evidence::{AlertSeen, FirstBytes};
use crate::runtimes::Transport;
use crate::runtimes::line::{Failure, Step};
use crate::target::Scheme;

/// The check.
pub struct TlsHandshake;

impl Check for TlsHandshake {
    fn id(&self) -> CheckId {
        CheckId::TlsHandshake
    }
    fn title(&self) -> &'static str {
        "a TLS handshake completes"
    }
    fn doc(&self) -> &'static str {
        include_str!("../../checks/tls-handshake.md")
    }
    fn needs(&self) -> &'static [CheckId] {
        &[CheckId::TcpConnect]
    }
    fn run(&self, facts: &super::Basis<'_>) -> Outcome {
        let Ok(target) = &facts.target else {
            return Outcome::Skip("no target".into());
        };
        if target.scheme == Scheme::Http {
            return Outcome::Skip(format!(
                "the target is http://{}: no TLS is expected",
                target.registry_name()
            ));
        }
        let Some(tls) = &facts.tls else {
            return Outcome::Skip("no TLS handshake was attempted".into());
        };
        let name = target.registry_name();
        let mut findings = Vec::new();
        if let TlsOutcome::PlainHttp { first_bytes } = &tls.outcome {
            plain_http(facts, first_bytes, &mut findings);
            return Outcome::Findings(findings);
        }
        if let TlsOutcome::Established { .. } = &tls.outcome {
            http_to_tls(facts, &mut findings);
        }
        // The rest only matters to runtimes that speak TLS.
        let Some(scope) = facts.tls_scope() else {
            return Outcome::Findings(findings);
        };
        let mut tls_findings = Vec::new();
        tls_outcome(facts, tls, &name, target, &mut tls_findings);
        findings.extend(
            tls_findings
                .into_iter()
                .map(|f| f.for_runtimes(scope.clone())),
        );
        Outcome::Findings(findings)
    }
}

/// Plain HTTP on the port: a failure for runtimes that insist on HTTPS, a warning for
/// those configured to allow it.
fn plain_http(facts: &Basis<'_>, first_bytes: &str, findings: &mut Vec<Finding>) {
    let Ok(target) = &facts.target else { return };
    let name = target.registry_name();
    let v2 = facts
        .http
        .as_ref()
        .filter(|h| h.scheme == "http")
        .and_then(|h| h.exchanges.first());
    let status = v2.and_then(|e| e.status);
    let api = v2.and_then(|e| e.header("docker-distribution-api-version"));
    let confirmed = match (status, api) {
        (Some(s), Some(a)) => format!(
            "; a plain GET http://{name}/v2/ answered {s} with Docker-Distribution-API-Version {a}, so a registry is serving plain HTTP there"
        ),
        (Some(s), None) => format!("; a plain GET http://{name}/v2/ answered {s}"),
        _ => String::new(),
    };
    let evidence = FirstBytes {
        first_bytes: first_bytes.to_string(),
        plain_get_v2_status: status,
        api_version_header: api.map(str::to_string),
    };
    if let Some(refusing) = facts.scope(|c| !c.transport.allows_http()) {
        findings.push(
            Finding::new(
                Code::PlainHttp,
                format!(
                    "{name} answers in plaintext HTTP, not TLS: it replied \"{}\" to the TLS hello{confirmed}",
                    first_line(first_bytes)
                ),
            )
            .fails_request(facts, "http: server gave HTTP response to HTTPS client")
            .hint(format!(
                "either serve TLS on the registry (distribution: REGISTRY_HTTP_TLS_CERTIFICATE and REGISTRY_HTTP_TLS_KEY), or allow plain HTTP for it: {}; check it with `regdoctor http://{name}`",
                super::hints::allow_plain_http(&facts.hint_runtimes(&refusing), facts)
            ))
            .evidence(evidence.clone())
            .for_runtimes(refusing),
        );
    }
    findings.extend(
        plain_http_allowed(facts, &name)
            .into_iter()
            .map(|f| f.evidence(evidence.clone())),
    );
}

/// A warning for each judged runtime configured to use plain HTTP.
fn plain_http_allowed(facts: &Basis<'_>, name: &str) -> Vec<Finding> {
    let mut findings = Vec::new();
    for c in facts
        .clients
        .judged
        .iter()
        .filter(|c| c.transport.allows_http())
    {
        let origin = match &c.transport {
            Transport::HttpsThenHttp { origin } | Transport::Http { origin } => origin.as_str(),
            Transport::Https => continue,
        };
        findings.push(
            Finding::new(
                Code::PlainHttpAllowed,
                format!(
                    "{name} serves plain HTTP, and {} is configured to use it ({origin}): pulls work, but images and credentials cross the network unencrypted and unauthenticated",
                    c.runtime.display_name()
                ),
            )
            .hint(format!(
                "serve TLS on the registry (distribution: REGISTRY_HTTP_TLS_CERTIFICATE and REGISTRY_HTTP_TLS_KEY) and trust its CA: {}",
                super::hints::trust_ca(&facts.hint_runtimes(&[c.runtime]), facts, "ca.crt")
            ))
            .for_runtimes(vec![c.runtime]),
        );
    }
    findings
}

/// A runtime configured for plain HTTP against a TLS port.
fn http_to_tls(facts: &Basis<'_>, findings: &mut Vec<Finding>) {
    let Ok(target) = &facts.target else { return };
    let name = target.registry_name();
    for c in facts.clients.judged.iter() {
        let Transport::Http { origin } = &c.transport else {
            continue;
        };
        findings.push(
            Finding::new(
                Code::HttpToTlsPort,
                format!(
                    "plain HTTP is configured for {} ({origin}), but {name} serves TLS: the registry answers its requests with 400 Bad Request",
                    c.runtime.display_name()
                ),
            )
            .fails(
                Failure::at(
                    Step::Config,
                    format!("unexpected status from HEAD request to http://{name}/v2/IMAGE/manifests/TAG: 400 Bad Request"),
                ),
                Some(target),
            )
            .hint(format!(
                "make the runtime use HTTPS: write `server = \"https://{name}\"` and a [host.\"https://{name}\"] table with ca = \"ca.crt\" in its hosts.toml"
            ))
            .for_runtimes(vec![c.runtime]),
        );
    }
}

/// How the handshake ended, for runtimes that speak TLS.
fn tls_outcome(
    facts: &Basis<'_>,
    tls: &crate::facts::TlsFacts,
    name: &str,
    target: &crate::target::Target,
    findings: &mut Vec<Finding>,
) {
    match &tls.outcome {
        TlsOutcome::Established { .. } => established(facts, tls, name, findings),
        TlsOutcome::PlainHttp { .. } => {}
        TlsOutcome::Alert(alert) => findings.push(alert_finding(
            facts,
            alert,
            tls.client_cert_requested,
            false,
        )),
        TlsOutcome::NotTls { first_bytes } => {
            findings.push(not_tls(facts, first_bytes, name, target))
        }
        TlsOutcome::Timeout { after_ms } => {
            findings.push(handshake_timeout(facts, *after_ms, name, target))
        }
        TlsOutcome::ProtocolTooOld { .. }
        | TlsOutcome::Closed { .. }
        | TlsOutcome::Failed { .. } => findings.extend(handshake_failed(facts, tls, name)),
    }
}

/// A completed handshake: an alert after it, a refusal for want of a client certificate,
/// a key possession that could not be proven.
fn established(
    facts: &Basis<'_>,
    tls: &crate::facts::TlsFacts,
    name: &str,
    findings: &mut Vec<Finding>,
) {
    if let Some(alert) = &tls.post_handshake_alert {
        findings.push(alert_finding(facts, alert, tls.client_cert_requested, true));
    } else if let Some(f) = refused_without_client_cert(facts, tls, name) {
        findings.push(f);
    }
    if let KeyPossession::NotProven(why) = &tls.key_possession {
        findings.push(Finding::new(
            Code::TlsKeyPossessionUnproven,
            format!(
                "the server's handshake signature could not be checked ({why}); regdoctor continued without proof that the server holds its certificate's key, and treats this connection as unverified"
            ),
        ).hint("use an RSA key of at least 2048 bits or an ECDSA P-256 key for the registry's certificate"));
    }
}

/// The port answers with something that is neither TLS nor HTTP.
fn not_tls(
    facts: &Basis<'_>,
    first_bytes: &str,
    name: &str,
    target: &crate::target::Target,
) -> Finding {
    Finding::new(
        Code::NotTls,
        format!(
            "{name} does not speak TLS: it answered \"{}\", which is neither TLS nor HTTP; this is probably the wrong port",
            first_line(first_bytes)
        ),
    )
    .fails_request(facts, "tls: first record does not look like a TLS handshake")
    .hint(format!(
        "check which service listens on port {} (on the registry host: `ss -ltnp 'sport = :{}'`) and use the registry's port",
        target.port, target.port
    ))
    .evidence(FirstBytes {
        first_bytes: first_bytes.to_string(),
        plain_get_v2_status: None,
        api_version_header: None,
    })
}

/// TCP connected, but no handshake completed in time.
fn handshake_timeout(
    facts: &Basis<'_>,
    after_ms: u64,
    name: &str,
    target: &crate::target::Target,
) -> Finding {
    Finding::new(
        Code::TlsHandshakeTimeout,
        format!(
            "the TCP connection to {name} opened, but no TLS handshake completed within {after_ms} ms: the service does not answer a TLS hello (a firewall or proxy swallowing traffic, or a service that waits for the client to speak)"
        ),
    )
    .fails_request(facts, "net/http: TLS handshake timeout")
    .hint(format!(
        "check what listens on port {} and whether a proxy or firewall sits between this node and the registry; `openssl s_client -connect {} </dev/null` shows whether any TLS answer comes back",
        target.port,
        target.authority()
    ))
}

/// A handshake refused without an alert: TLS too old, a closed connection, another error.
fn handshake_failed(
    facts: &Basis<'_>,
    tls: &crate::facts::TlsFacts,
    name: &str,
) -> Option<Finding> {
    Some(match &tls.outcome {
        TlsOutcome::ProtocolTooOld { detail } => Finding::new(
            Code::TlsProtocolTooOld,
            format!("{name} only offers TLS older than 1.2 ({detail}); Go clients require TLS 1.2 or newer"),
        )
        .fails_request(facts, "remote error: tls: protocol version not supported")
        .hint("enable TLS 1.2 and 1.3 on the registry or the proxy in front of it (nginx: ssl_protocols TLSv1.2 TLSv1.3;)"),
        TlsOutcome::Closed { detail } if tls.client_cert_requested => Finding::new(
            Code::TlsClientCertRequired,
            format!(
                "{name} requires a client certificate (mutual TLS): it asked for one and closed the connection when none was sent ({detail})"
            ),
        )
        // What a Go registry answers over TLS 1.2 in this situation.
        .fails_request(facts, "remote error: tls: bad certificate")
        .hint(client_cert_hint(facts)),
        TlsOutcome::Closed { detail } => Finding::new(
            Code::TlsFailed,
            format!("{name} closed the connection during the TLS handshake without an alert ({detail})"),
        )
        .fails_request(facts, "EOF")
        .hint("check the registry's or proxy's log for TLS errors; the server may reject this node's address or the TLS parameters offered"),
        TlsOutcome::Failed { detail } => {
            Finding::new(Code::TlsFailed, format!("the TLS handshake with {name} failed: {detail}"))
                .hint("check the registry's or proxy's log for the TLS error it saw")
        }
        _ => return None,
    })
}

/// The server asked for a client certificate, none was sent, and it then refused to
/// answer: a Go registry over TLS 1.3 closes the connection after the handshake; nginx
/// with `ssl_verify_client on` answers 400 "No required SSL certificate was sent".
fn refused_without_client_cert(
    facts: &Basis<'_>,
    tls: &crate::facts::TlsFacts,
    name: &str,
) -> Option<Finding> {
    if !tls.client_cert_requested || tls.client_cert_sent {
        return None;
    }
    let v2 = facts.http.as_ref().and_then(|h| h.exchanges.first());
    // What a Go client meets: the Go registry's alert (observed with Docker 20.10,
    // containerd 1.6 and skopeo 1.9 against distribution 2.8), or nginx's 400 (observed
    // with skopeo 1.9).
    let alert = Failure::request("remote error: tls: bad certificate");
    let (how, failure) = match v2 {
        Some(e) if e.status.is_none() => (
            format!(
                "closed the connection after the handshake without answering GET /v2/ ({})",
                e.error.as_deref().unwrap_or("no response")
            ),
            alert,
        ),
        Some(e)
            if e.status == Some(400) && e.body.contains("No required SSL certificate was sent") =>
        {
            (
                "answered GET /v2/ with 400 \"No required SSL certificate was sent\" (nginx's ssl_verify_client)".to_string(),
                Failure::at(Step::Status, "400 Bad Request"),
            )
        }
        None => ("sent nothing after the handshake".to_string(), alert),
        Some(_) => return None,
    };
    Some(
        Finding::new(
            Code::TlsClientCertRequired,
            format!("{name} requires a client certificate (mutual TLS): it asked for one, none was sent, and it {how}"),
        )
        .fails(failure, facts.target.as_ref().ok())
        .hint(client_cert_hint(facts)),
    )
}

fn client_cert_hint(facts: &Basis<'_>) -> String {
    format!(
        "give the runtime a client certificate issued by the CA the registry trusts: {}",
        super::hints::client_cert(&facts.hint_runtimes(&[]), facts)
    )
}

fn first_line(bytes: &str) -> &str {
    bytes.split("\\r\\n").next().unwrap_or(bytes)
}

/// Alerts 40, 42 and 116 after a CertificateRequest mean "client certificate required".
fn alert_finding(facts: &Basis<'_>, alert: &Alert, requested: bool, after: bool) -> Finding {
    let sent = facts.tls.as_ref().is_some_and(|t| t.client_cert_sent);
    let cause = format!("remote error: tls: {}", alert.go_name);
    let evidence = AlertSeen {
        alert: alert.clone(),
        client_cert_requested: requested,
        after_handshake: after,
    };
    let name = facts
        .target
        .as_ref()
        .map(|t| t.registry_name())
        .unwrap_or_default();
    // Alerts about the client's certificate, after the server asked for one.
    if requested && matches!(alert.code, 40 | 42 | 43 | 44 | 45 | 46 | 48 | 116) {
        let what = if sent {
            let cert = facts
                .client_cert
                .as_ref()
                .map(|p| format!(" {}", p.cert))
                .unwrap_or_default();
            format!("refused the client certificate{cert} that was sent")
        } else {
            "none was sent".to_string()
        };
        return Finding::new(
            Code::TlsClientCertRequired,
            format!(
                "{name} requires a client certificate (mutual TLS): it asked for one and answered \"{}\": {what}",
                alert.go_name
            ),
        )
        .fails_request(facts, cause)
        .hint(client_cert_hint(facts))
        .evidence(evidence);
    }
    Finding::new(
        Code::TlsAlert,
        format!(
            "{name} ended the TLS handshake with the alert \"{}\" ({})",
            alert.go_name, alert.code
        ),
    )
    .fails_request(facts, cause)
    .hint("read the registry's or proxy's TLS log at the time of this run: it says why it refused this client")
    .evidence(evidence)
}

#[cfg(test)]
pub(crate) fn examples() -> Vec<(Facts, Vec<Code>)> {
    use crate::checks::examples::*;
    let t = || facts_for("10.0.0.5:5000");
    let alert = |code, name: &str| {
        TlsOutcome::Alert(Alert {
            code,
            go_name: name.into(),
        })
    };
    let mut client_cert = with_tls_outcome(t(), alert(42, "bad certificate"));
    client_cert.tls.as_mut().unwrap().client_cert_requested = true;
    let mut post = with_chain(t(), vec![]);
    post.tls.as_mut().unwrap().client_cert_requested = true;
    post.tls.as_mut().unwrap().post_handshake_alert = Some(Alert {
        code: 116,
        go_name: "certificate required".into(),
    });
    let mut unproven = with_chain(t(), vec![]);
    unproven.tls.as_mut().unwrap().key_possession =
        KeyPossession::NotProven("invalid peer certificate: BadSignature".into());
    vec![
        (with_chain(t(), vec![]), vec![]),
        (
            with_tls_outcome(
                t(),
                TlsOutcome::PlainHttp {
                    first_bytes: "HTTP/1.1 400 Bad Request\\r\\n".into(),
                },
            ),
            vec![Code::PlainHttp],
        ),
        (
            with_tls_outcome(
                t(),
                TlsOutcome::NotTls {
                    first_bytes: "SSH-2.0-OpenSSH_9.2\\r\\n".into(),
                },
            ),
            vec![Code::NotTls],
        ),
        (
            with_tls_outcome(t(), TlsOutcome::ProtocolTooOld { detail: "x".into() }),
            vec![Code::TlsProtocolTooOld],
        ),
        (client_cert, vec![Code::TlsClientCertRequired]),
        (post, vec![Code::TlsClientCertRequired]),
        (
            with_tls_outcome(t(), TlsOutcome::Timeout { after_ms: 5000 }),
            vec![Code::TlsHandshakeTimeout],
        ),
        (
            with_tls_outcome(t(), alert(40, "handshake failure")),
            vec![Code::TlsAlert],
        ),
        (
            with_tls_outcome(
                t(),
                TlsOutcome::Closed {
                    detail: "unexpected EOF".into(),
                },
            ),
            vec![Code::TlsFailed],
        ),
        (unproven, vec![Code::TlsKeyPossessionUnproven]),
        (
            present(
                with_daemon_json(
                    with_tls_outcome(
                        t(),
                        TlsOutcome::PlainHttp {
                            first_bytes: "HTTP/1.1 400 Bad Request".into(),
                        },
                    ),
                    "{\"insecure-registries\": [\"10.0.0.5:5000\"]}",
                ),
                crate::facts::Runtime::Docker,
            ),
            vec![Code::PlainHttpAllowed],
        ),
        (
            {
                let mut f = present(with_chain(t(), vec![]), crate::facts::Runtime::Containerd);
                f.node.containerd_certs_d = certs_root(
                    "/etc/containerd/certs.d",
                    vec![(
                        "10.0.0.5:5000",
                        vec![(
                            "hosts.toml",
                            b"server = \"http://10.0.0.5:5000\"\n[host.\"http://10.0.0.5:5000\"]\n"
                                .to_vec(),
                        )],
                    )],
                );
                f
            },
            vec![Code::HttpToTlsPort],
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::examples::*;

    #[test]
    fn plain_http_quotes_docker_and_suggests_insecure_registries() {
        let f = with_tls_outcome(
            facts_for("10.0.0.5:5000"),
            TlsOutcome::PlainHttp {
                first_bytes: "HTTP/1.1 400 Bad Request\\r\\n".into(),
            },
        );
        let out = findings_of(&TlsHandshake, &f);
        assert_eq!(
            out[0].client_error.as_deref(),
            Some(
                "Get \"https://10.0.0.5:5000/v2/\": http: server gave HTTP response to HTTPS client"
            )
        );
        assert!(out[0].message.contains("HTTP/1.1 400 Bad Request"));
        assert!(
            out[0]
                .hint
                .as_deref()
                .unwrap()
                .contains("\"insecure-registries\": [\"10.0.0.5:5000\"]")
        );
    }

    #[test]
    fn an_alert_without_a_certificate_request_is_not_client_auth() {
        let mut f = with_tls_outcome(
            facts_for("10.0.0.5:5000"),
            TlsOutcome::Alert(Alert {
                code: 42,
                go_name: "bad certificate".into(),
            }),
        );
        assert_eq!(findings_of(&TlsHandshake, &f)[0].code, Code::TlsAlert);
        f.tls.as_mut().unwrap().client_cert_requested = true;
        assert_eq!(
            findings_of(&TlsHandshake, &f)[0].code,
            Code::TlsClientCertRequired
        );
    }

    #[test]
    fn http_target_skips() {
        let f = facts_for("http://10.0.0.5:5000");
        assert!(matches!(
            TlsHandshake.run(&crate::checks::Basis::new(&f)),
            Outcome::Skip(_)
        ));
    }
}
