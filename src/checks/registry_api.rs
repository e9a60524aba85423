//! `registry-api`: `GET /v2/` answers as a registry. Docker and skopeo treat 200 or 401
//! as "registry alive"; containers/image refuses anything else; the
//! Docker-Distribution-API-Version header is optional (Docker does not check it).

use super::{Check, Outcome};
use crate::challenge::Challenge;
use crate::codes::{CheckId, Code};
use crate::facts::{Facts, HttpExchange};
use crate::finding::Finding;
use crate::finding::evidence::V2Exchange;

/// The check.
pub struct RegistryApi;

/// The `/v2/` exchange made anonymously, if any.
pub(crate) fn v2(facts: &Facts) -> Option<(&'static str, &HttpExchange)> {
    let h = facts.http.as_ref()?;
    h.exchanges
        .iter()
        .find(|e| e.path == "/v2/" && e.auth.is_none())
        .map(|e| (h.scheme, e))
}

/// Every challenge in the exchange's WWW-Authenticate headers.
pub(crate) fn challenges(e: &HttpExchange) -> Vec<Challenge> {
    e.challenges()
}

/// `Basic realm="x"` / `Bearer realm="…", service="…"` for messages.
pub(crate) fn describe(c: &Challenge) -> String {
    let params: Vec<String> = c
        .params
        .iter()
        .map(|(k, v)| format!("{}=\"{}\"", crate::text::clip(k), crate::text::clip(v)))
        .collect();
    format!(
        "{} {}",
        c.scheme_name(),
        crate::text::clip_list(&params, ", ")
    )
}

/// "503 Service Unavailable".
pub(crate) fn status_line(status: u16) -> String {
    let reason = hyper::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    format!("{status} {reason}").trim_end().to_string()
}

impl Check for RegistryApi {
    fn id(&self) -> CheckId {
        CheckId::RegistryApi
    }
    fn title(&self) -> &'static str {
        "GET /v2/ answers as a registry"
    }
    fn doc(&self) -> &'static str {
        include_str!("../../checks/registry-api.md")
    }
    fn run(&self, facts: &super::Basis<'_>) -> Outcome {
        let Some((scheme, e)) = v2(facts) else {
            return Outcome::Skip("no HTTP request was made: the connection failed earlier".into());
        };
        let name = facts
            .target
            .as_ref()
            .map(|t| t.registry_name())
            .unwrap_or_default();
        let url = format!("{scheme}://{name}/v2/");
        let chs = challenges(e);
        let evidence = V2Exchange {
            url: url.clone(),
            status: e.status,
            headers: e.headers.clone(),
            registry_errors: e.registry_errors(),
            challenges: chs.clone(),
        };
        let Some(status) = e.status else {
            return no_response(facts, &url, e, evidence);
        };
        let mut findings = Vec::new();
        match answered(facts, &name, &url, e, status, &chs) {
            Err(skip) => return Outcome::Skip(skip),
            Ok(Some(f)) => findings.push(f.evidence(evidence.clone())),
            Ok(None) => {}
        }
        let has_api = e.header("docker-distribution-api-version").is_some();
        if matches!(status, 200 | 401) && !has_api {
            findings.push(
                Finding::new(
                    Code::ApiVersionMissing,
                    format!("{url} answered {status} without the Docker-Distribution-API-Version header; Docker does not need it, but it is unusual for a registry and may mean a proxy answers instead"),
                )
                .hint("check that the answer comes from the registry and not from a proxy or load balancer in front of it")
                .evidence(evidence),
            );
        }
        Outcome::Findings(findings)
    }
}

/// `/v2/` got no HTTP answer: a redirect loop, or no response at all.
fn no_response(
    facts: &super::Basis<'_>,
    url: &str,
    e: &HttpExchange,
    evidence: V2Exchange,
) -> Outcome {
    if facts
        .tls
        .as_ref()
        .is_some_and(|t| t.post_handshake_alert.is_some() || t.client_cert_requested)
    {
        return Outcome::Skip(
            "the server ended the TLS connection with an alert before answering (see tls-handshake)".into(),
        );
    }
    let why = e.error.clone().unwrap_or_default();
    if e.redirects.is_empty() {
        return Outcome::Findings(vec![
            Finding::new(Code::NoHttpResponse, format!("no HTTP response from {url}: {why}"))
                .hint("check the registry's log; a proxy in front of it may close the connection, or the port serves another protocol")
                .evidence(evidence),
        ]);
    }
    let hops: Vec<String> = e
        .redirects
        .iter()
        .take(3)
        .map(|(s, l)| format!("{s} → {}", crate::text::clip(l)))
        .collect();
    Outcome::Findings(vec![
        Finding::new(
            Code::V2RedirectLoop,
            format!(
                "{url} redirects in a loop: {} redirects on the same host ({}, …), and Go gives up after {}",
                e.redirects.len(),
                hops.join(", "),
                crate::probe::http::MAX_REDIRECTS
            ),
        )
        .fails_request(facts, why)
        .hint("fix the registry's or proxy's redirect rule so that /v2/ answers 200 or 401 itself (a rewrite that adds or strips a trailing slash, or http↔https, is the usual loop)")
        .evidence(evidence),
    ])
}

/// What the status of `/v2/` says (without its evidence); Err: the check is skipped.
fn answered(
    facts: &super::Basis<'_>,
    name: &str,
    url: &str,
    e: &HttpExchange,
    status: u16,
    chs: &[Challenge],
) -> Result<Option<Finding>, String> {
    Ok(Some(match status {
        200 => return Ok(None),
        // Working credentials answer the challenge: nothing to do (see credentials).
        401 if super::credentials_worked(facts) => return Ok(None),
        401 => auth_required(facts, name, chs),
        // nginx with ssl_verify_client: see tls-handshake (tls_client_cert_required).
        400 if e.body.contains("No required SSL certificate was sent") => {
            return Err(
                "the server refused the request because no client certificate was sent (see tls-handshake)".into(),
            );
        }
        404 => Finding::new(
            Code::NotARegistry,
            format!("{url} answered 404: this is not a registry's API root (a web server or UI, a proxy that serves the registry under a path prefix, or the wrong port)"),
        )
        .hint(format!("find the port and host that answer `curl -si {url}` with 200 or 401 and Docker-Distribution-Api-Version: registry/2.0; a registry behind a path prefix cannot be used by the runtimes")),
        300..=399 => Finding::new(
            Code::HttpRedirect,
            format!(
                "{url} answered {} to {}; the runtimes follow it, but the registry should answer at /v2/ itself",
                status_line(status),
                crate::text::clip(e.header("location").unwrap_or("(no Location header)"))
            ),
        )
        .hint("point the runtime at the host and port the redirect names, or serve /v2/ directly"),
        400 if e.body.contains("Client sent an HTTP request to an HTTPS server") => Finding::new(
            Code::HttpError,
            format!("{url} answered 400 \"Client sent an HTTP request to an HTTPS server\": this port speaks TLS"),
        )
        .client_error(format!("Get \"{url}\": 400 Bad Request"))
        .hint(format!("use https://{name}, and remove {name} from insecure-registries if it is there")),
        _ => http_error(url, e, status),
    }))
}

/// Any other status: the registry's error, in the runtime's words.
fn http_error(url: &str, e: &HttpExchange, status: u16) -> Finding {
    let docker_text = e
        .docker_error_text()
        .map(|t| crate::text::clip(&t).into_owned())
        .unwrap_or_else(|| format!("received unexpected HTTP status: {}", status_line(status)));
    let codes: Vec<String> = e.registry_errors().into_iter().map(|(c, _)| c).collect();
    let detail = if codes.is_empty() {
        String::new()
    } else {
        format!(
            " with registry error {}",
            crate::text::clip_list(&codes, ", ")
        )
    };
    Finding::new(Code::HttpError, format!("{url} answered {}{detail}", status_line(status)))
        .client_error(docker_text)
        .hint("read the registry's log for this request; 5xx means the registry or its storage is failing, 429 that it rate-limits this node")
}

fn auth_required(facts: &super::Basis<'_>, name: &str, chs: &[Challenge]) -> Finding {
    let scheme = chs.first().map(|c| c.scheme.as_str()).unwrap_or("");
    let how = match chs.first() {
        Some(c) => format!(" ({})", describe(c)),
        None => " (but sent no WWW-Authenticate challenge)".into(),
    };
    let client_error = if scheme == "basic" {
        format!("Head \"https://{name}/v2/IMAGE/manifests/TAG\": no basic auth credentials")
    } else {
        "unauthorized: authentication required".to_string()
    };
    let tried = if facts.credentials.is_some() {
        "; the credentials given are judged by the credentials check"
    } else {
        ""
    };
    Finding::new(
        Code::AuthRequired,
        format!("the registry requires authentication: GET /v2/ answered 401{how}{tried}"),
    )
    .client_error(client_error)
    .hint(format!(
        "give every node credentials: {}; test them with `regdoctor {name} --user USER --password-stdin`",
        super::hints::login(&facts.hint_runtimes(&[]), facts)
    ))
}

#[cfg(test)]
pub(crate) fn examples() -> Vec<(Facts, Vec<Code>)> {
    use crate::checks::examples::*;
    let f = |e| with_http(facts_for("10.0.0.5:5000"), vec![e]);
    let mut failed = ex("/v2/", 0, &[], "");
    failed.status = None;
    failed.error = Some("connection closed before message completed".into());
    let mut looped = ex("/v2/", 0, &[], "");
    looped.status = None;
    looped.error = Some("stopped after 10 redirects".into());
    looped.redirects = vec![(301, "/v2/".into()); 10];
    vec![
        (f(ex("/v2/", 200, &[API], "{}")), vec![]),
        (f(looped), vec![Code::V2RedirectLoop]),
        (
            f(ex(
                "/v2/",
                401,
                &[API, ("www-authenticate", r#"Basic realm="Registry Realm""#)],
                "",
            )),
            vec![Code::AuthRequired],
        ),
        (
            f(ex("/v2/", 404, &[], "404 page not found")),
            vec![Code::NotARegistry],
        ),
        (
            f(ex(
                "/v2/",
                503,
                &[],
                r#"{"errors":[{"code":"UNAVAILABLE","message":"service unavailable"}]}"#,
            )),
            vec![Code::HttpError],
        ),
        (
            f(ex("/v2/", 301, &[("location", "https://reg/v2/")], "")),
            vec![Code::HttpRedirect],
        ),
        (f(ex("/v2/", 200, &[], "")), vec![Code::ApiVersionMissing]),
        (f(failed), vec![Code::NoHttpResponse]),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::examples::*;

    #[test]
    fn seed_article_401_basic_is_auth_required_with_the_realm() {
        let f = with_http(
            facts_for("10.0.0.5:5000"),
            vec![ex(
                "/v2/",
                401,
                &[API, ("www-authenticate", r#"Basic realm="Registry Realm""#)],
                r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":null}]}"#,
            )],
        );
        let out = findings_of(&RegistryApi, &f);
        assert_eq!(out.len(), 1);
        assert!(
            out[0].message.contains(r#"Basic realm="Registry Realm""#),
            "{}",
            out[0].message
        );
        assert!(
            out[0]
                .client_error
                .as_deref()
                .unwrap()
                .ends_with("no basic auth credentials")
        );
        assert!(
            out[0]
                .hint
                .as_deref()
                .unwrap()
                .contains("docker login 10.0.0.5:5000")
        );
        match out[0].evidence.as_deref() {
            Some(crate::finding::Evidence::Exchange(e)) => {
                assert_eq!(e.challenges[0].scheme, "basic")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn error_body_is_rendered_as_docker_does() {
        let f = with_http(
            facts_for("10.0.0.5:5000"),
            vec![ex(
                "/v2/",
                503,
                &[],
                r#"{"errors":[{"code":"UNAVAILABLE","message":"service unavailable"}]}"#,
            )],
        );
        let out = findings_of(&RegistryApi, &f);
        assert_eq!(
            out[0].client_error.as_deref(),
            Some("unavailable: service unavailable")
        );
        assert!(
            out[0]
                .message
                .contains("503 Service Unavailable with registry error UNAVAILABLE")
        );
    }
}
