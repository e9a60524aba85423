//! The credential flow: Basic (retry `/v2/` with the credentials) or Bearer (fetch a
//! token from the challenge's realm, then retry `/v2/` and `/v2/_catalog` with it).
//! Credentials and tokens are only sent with a [`SendPermit`]; what is recorded never
//! holds them.

use tokio::time::Instant;

use super::http::{Authorization, Session};
use super::{ProbeOptions, SendPermit, tcp, tls};
use crate::challenge::Challenge;
use crate::facts::{BearerFlow, CredentialOutcome, HttpExchange, TlsFacts, TlsOutcome};
use crate::secret::{Credentials, Secret};
use crate::target::{Scheme, Target};

/// The scope asked of the token service: enough to list the catalog.
pub const CATALOG_SCOPE: &str = "registry:catalog:*";

const OVERRIDE: &str = "pass --insecure-send-credentials to send them anyway";

/// Runs the flow after the anonymous `GET /v2/` (`first`).
pub async fn flow(
    session: &mut Session,
    target: &Target,
    first: &HttpExchange,
    tls_facts: Option<&TlsFacts>,
    creds: &Credentials,
    opts: &ProbeOptions,
    deadline: Instant,
) -> CredentialOutcome {
    if first.status != Some(401) {
        return CredentialOutcome::NotNeeded {
            status: first.status,
        };
    }
    let challenges = first.challenges();
    let chosen = challenges
        .iter()
        .find(|c| c.scheme == "bearer")
        .or_else(|| challenges.iter().find(|c| c.scheme == "basic"));
    let Some(chosen) = chosen else {
        return CredentialOutcome::UnsupportedScheme {
            scheme: challenges
                .first()
                .map(|c| c.scheme_name())
                .unwrap_or_else(|| "(no WWW-Authenticate challenge)".into()),
        };
    };
    let permit = match permit_for(tls_facts, target, opts) {
        Ok(p) => p,
        Err(reason) => return CredentialOutcome::Withheld { reason },
    };
    if chosen.scheme == "basic" {
        let auth = Authorization::Basic(creds);
        let v2 = session.get("/v2/", Some((&auth, &permit))).await;
        let catalog = if v2.status == Some(200) {
            Some(session.get(super::PATHS[1], Some((&auth, &permit))).await)
        } else {
            None
        };
        return CredentialOutcome::Basic {
            v2: Box::new(v2),
            catalog,
        };
    }
    CredentialOutcome::Bearer(Box::new(
        bearer(session, target, chosen, creds, &permit, opts, deadline).await,
    ))
}

/// The session is TLS when the handshake completed; otherwise it is the plain-HTTP one.
pub(super) fn permit_for(
    tls_facts: Option<&TlsFacts>,
    target: &Target,
    opts: &ProbeOptions,
) -> Result<SendPermit, String> {
    if let Some(p) = SendPermit::user_override(opts.allow_insecure_credentials) {
        return Ok(p);
    }
    match tls_facts {
        Some(t) if matches!(t.outcome, TlsOutcome::Established { .. }) => {
            SendPermit::for_tls(t, &opts.trust_stores, &target.host, opts.now)
                .map_err(|why| format!("credentials were not sent: {why}; {OVERRIDE}"))
        }
        _ => Err(format!(
            "credentials were not sent: the registry speaks plain HTTP, where anyone on the path can read them; {OVERRIDE}"
        )),
    }
}

async fn bearer(
    session: &mut Session,
    target: &Target,
    ch: &Challenge,
    creds: &Credentials,
    permit: &SendPermit,
    opts: &ProbeOptions,
    deadline: Instant,
) -> BearerFlow {
    let mut flow = BearerFlow::default();
    let Some((realm_target, path_query)) = token_request(ch, CATALOG_SCOPE, &mut flow) else {
        return flow;
    };
    let token_ex = fetch_token(
        session,
        target,
        (realm_target, path_query),
        Some((creds, permit)),
        opts,
        deadline,
        &mut flow,
    )
    .await;
    let Some(token_ex) = token_ex else {
        return flow;
    };
    let Some(token) = keep_token(&mut flow, token_ex) else {
        return flow;
    };
    let auth = Authorization::Bearer(&token);
    flow.v2 = Some(session.get("/v2/", Some((&auth, permit))).await);
    flow.catalog = Some(session.get(super::PATHS[1], Some((&auth, permit))).await);
    flow
}

/// The token request a Bearer challenge asks for, with `scope`: the realm's target and
/// the path with the query. Fills the flow's realm, service and token URL; None (with
/// `flow.realm_error`) when the challenge names no usable realm.
pub(super) fn token_request(
    ch: &Challenge,
    scope: &str,
    flow: &mut BearerFlow,
) -> Option<(Target, String)> {
    flow.realm = ch.param("realm").unwrap_or_default().to_string();
    flow.service = ch.param("service").map(str::to_string);
    if flow.realm.is_empty() {
        flow.realm_error = Some("no realm specified for token auth challenge".into());
        return None;
    }
    let Some((realm_target, path)) = crate::target::split_url(&flow.realm) else {
        flow.realm_error = Some(format!("the realm {:?} is not an http(s) URL", flow.realm));
        return None;
    };
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut query = String::new();
    if let Some(service) = &flow.service {
        query.push_str(&format!("service={}&", encode(service)));
    }
    query.push_str(&format!("scope={}", encode(scope)));
    let path_query = format!("{path}{sep}{query}");
    flow.token_url = format!(
        "{}://{}{path_query}",
        realm_target.scheme.as_str(),
        realm_target.registry_name()
    );
    Some((realm_target, path_query))
}

/// Reads the token from the token service's answer (the secret stays in memory; the
/// exchange keeps no body when it held one).
pub(super) fn keep_token(flow: &mut BearerFlow, token_ex: HttpExchange) -> Option<Secret> {
    let (token, field) = take_token(&token_ex);
    flow.token_field = field;
    flow.token = Some(if token_ex.status == Some(200) {
        HttpExchange {
            body: String::new(),
            ..token_ex
        }
    } else {
        token_ex
    });
    token
}

/// Whether two targets are the same origin (scheme, host, port).
fn same_origin(a: &Target, b: &Target) -> bool {
    a.scheme == b.scheme && a.host == b.host && a.port == b.port
}

/// The token request, following redirects as Go's client does: at most 10, the Basic
/// credentials (when given) kept only while the host is the realm's own (or a subdomain
/// of it), each new host judged by the same rules before anything is sent to it. None
/// when the realm (or a host it redirects to) cannot be used; `flow.realm_error` says why.
pub(super) async fn fetch_token(
    registry: &mut Session,
    target: &Target,
    first: (Target, String),
    creds: Option<(&Credentials, &SendPermit)>,
    opts: &ProbeOptions,
    deadline: Instant,
    flow: &mut BearerFlow,
) -> Option<HttpExchange> {
    let basic = creds.map(|(c, p)| (Authorization::Basic(c), p));
    let realm_host = first.0.host.to_string();
    let (mut at, mut path) = first;
    let mut realm: Option<(Target, Session, Option<SendPermit>)> = None;
    let mut redirects: Vec<(u16, String)> = Vec::new();
    loop {
        let host = at.host.to_string();
        let keep_auth = host == realm_host || host.ends_with(&format!(".{realm_host}"));
        let ex = if same_origin(&at, target) && !registry.broken {
            let auth = basic.as_ref().filter(|_| keep_auth).map(|(a, p)| (a, *p));
            registry.get(&path, auth).await
        } else {
            // A redirect is followed on a new connection, as Go does when the server
            // closes it (a redirect with `Connection: close` is common).
            let reuse = redirects.is_empty()
                && realm
                    .as_ref()
                    .is_some_and(|(t, s, _)| same_origin(t, &at) && !s.broken);
            if !reuse {
                match realm_session(&at, opts, deadline, flow, basic.is_some()).await {
                    Ok((s, p)) => realm = Some((at.clone(), s, p)),
                    Err(e) => {
                        flow.realm_error = Some(e);
                        return None;
                    }
                }
            }
            let (_, session, realm_permit) = realm.as_mut()?;
            let auth = match (&basic, realm_permit.as_ref()) {
                (Some((a, _)), Some(p)) if keep_auth => Some((a, p)),
                _ => None,
            };
            session.get(&path, auth).await
        };
        match hop(ex, &mut redirects, flow) {
            Hop::Answer(ex) => return Some(ex),
            Hop::Follow(next, next_path) => {
                if let Some(next) = next {
                    at = next;
                }
                path = next_path;
            }
            Hop::Stop => return None,
        }
    }
}

/// What the token request does after an answer.
enum Hop {
    /// That is the answer (or the redirects were too many).
    Answer(HttpExchange),
    /// Follow a redirect: to another origin (Some), or a path on the same one.
    Follow(Option<Target>, String),
    /// A redirect that cannot be followed: `flow.realm_error` says why.
    Stop,
}

/// An answer of the token service: the answer, or where its redirect leads (at most
/// [`MAX_REDIRECTS`](crate::probe::http::MAX_REDIRECTS), as Go).
fn hop(ex: HttpExchange, redirects: &mut Vec<(u16, String)>, flow: &mut BearerFlow) -> Hop {
    let location = ex
        .header("location")
        .filter(|_| matches!(ex.status, Some(301 | 302 | 303 | 307 | 308)))
        .map(str::to_string);
    let Some(location) = location else {
        return Hop::Answer(HttpExchange {
            redirects: std::mem::take(redirects),
            ..ex
        });
    };
    redirects.push((ex.status.unwrap_or_default(), location.clone()));
    if redirects.len() >= crate::probe::http::MAX_REDIRECTS {
        return Hop::Answer(HttpExchange {
            method: "GET".into(),
            path: ex.path,
            error: Some(format!(
                "stopped after {} redirects",
                crate::probe::http::MAX_REDIRECTS
            )),
            redirects: std::mem::take(redirects),
            ..HttpExchange::default()
        });
    }
    if location.starts_with('/') && !location.starts_with("//") {
        return Hop::Follow(None, location);
    }
    match crate::target::split_url(&location) {
        Some((next, next_path)) => Hop::Follow(Some(next), next_path),
        None => {
            flow.realm_error = Some(format!(
                "the token service redirected to {location:?}, which is not an http(s) URL"
            ));
            Hop::Stop
        }
    }
}

/// Connects to a realm on another host or port; its TLS is judged by the same rules
/// (a permit to send credentials is required only when there are some to send).
async fn realm_session(
    realm: &Target,
    opts: &ProbeOptions,
    deadline: Instant,
    flow: &mut BearerFlow,
    with_credentials: bool,
) -> Result<(Session, Option<SendPermit>), String> {
    let stream = dial_realm(realm, deadline).await?;
    let authority = realm.registry_name();
    if realm.scheme == Scheme::Http {
        let permit = SendPermit::user_override(opts.allow_insecure_credentials);
        if with_credentials && permit.is_none() {
            return Err(format!(
                "the realm {authority} is plain HTTP: credentials were not sent to it; {OVERRIDE}"
            ));
        }
        let session = Session::open(stream, false, "http", &authority, deadline)
            .await
            .map_err(|(e, _)| e)?;
        return Ok((session, permit));
    }
    let (tls_facts, tls_stream) =
        tls::handshake(stream, realm, &opts.ca_roots, None, deadline).await;
    let verdict = SendPermit::for_tls(&tls_facts, &opts.trust_stores, &realm.host, opts.now);
    let h2 = tls_facts.outcome.is_h2();
    flow.realm_tls = Some(tls_facts);
    let permit = match (
        verdict,
        SendPermit::user_override(opts.allow_insecure_credentials),
    ) {
        (_, Some(p)) => Some(p),
        (Ok(p), None) => Some(p),
        (Err(why), None) if with_credentials => {
            return Err(format!(
                "credentials were not sent to the realm: {why}; {OVERRIDE}"
            ));
        }
        (Err(_), None) => None,
    };
    let Some(stream) = tls_stream else {
        return Err(format!(
            "the TLS handshake with the realm {authority} failed"
        ));
    };
    let session = Session::open(stream, h2, "https", &authority, deadline)
        .await
        .map_err(|(e, _)| e)?;
    Ok((session, permit))
}

/// A TCP connection to the realm, or why there is none.
async fn dial_realm(realm: &Target, deadline: Instant) -> Result<tokio::net::TcpStream, String> {
    let (dns, tcp) = tcp::dial(realm, deadline).await;
    if let Some(e) = dns.error {
        return Err(format!(
            "cannot resolve the realm's host {}: {}",
            realm.host, e.detail
        ));
    }
    let Some((_, Some(stream))) = tcp else {
        let why = tcp
            .as_ref()
            .and_then(|(t, _)| t.attempts.first())
            .and_then(|a| a.go_text())
            .unwrap_or_else(|| "no address to connect to".into());
        return Err(format!(
            "cannot connect to the realm {}: {why}",
            realm.authority()
        ));
    };
    Ok(stream)
}

/// Reads `token` (or `access_token`) from a token response; the secret stays in memory.
pub fn take_token(ex: &HttpExchange) -> (Option<Secret>, Option<&'static str>) {
    if ex.status != Some(200) {
        return (None, None);
    }
    let Ok(v) = serde_json::from_str::<serde_json::Value>(&ex.body) else {
        return (None, None);
    };
    for field in ["token", "access_token"] {
        if let Some(t) = v
            .get(field)
            .and_then(|t| t.as_str())
            .filter(|t| !t.is_empty())
        {
            return (Some(Secret::new(t.to_string())), Some(field));
        }
    }
    (None, None)
}

/// Percent-encodes a query value (RFC 3986 unreserved characters stay).
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_is_encoded() {
        assert_eq!(encode("registry:catalog:*"), "registry%3Acatalog%3A%2A");
    }

    #[test]
    fn token_or_access_token() {
        let ex = |body: &str| HttpExchange {
            status: Some(200),
            body: body.into(),
            ..HttpExchange::default()
        };
        assert_eq!(take_token(&ex(r#"{"token":"t"}"#)).1, Some("token"));
        assert_eq!(
            take_token(&ex(r#"{"access_token":"t"}"#)).1,
            Some("access_token")
        );
        assert_eq!(take_token(&ex(r#"{"expires_in":60}"#)).1, None);
        assert_eq!(take_token(&ex("not json")).1, None);
    }
}
