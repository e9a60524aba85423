//! `credentials`: run only when credentials are given. Basic: `/v2/` with them. Bearer:
//! a token from the realm (whose TLS is judged like the registry's), then `/v2/` and
//! `/v2/_catalog` with it. Nothing secret is in the findings: not the password, not the
//! token, not the user name.

use super::catalog::described;
use super::registry_api::{challenges, status_line};
use super::{Check, Outcome};
use crate::codes::{CheckId, Code};
#[cfg(test)]
use crate::facts::Facts;
use crate::facts::{BearerFlow, CredentialOutcome, CredentialSource, HttpExchange};
use crate::finding::Finding;
use crate::finding::evidence::CredentialFlow;
use crate::pki::Cert;
use crate::runtimes::line::{Failure, Step};

/// The check.
pub struct Credentials;

/// The credentials' source and the requests made with them, as evidence.
fn evidence(
    source: &CredentialSource,
    exchanges: Vec<&HttpExchange>,
    flow: Option<&BearerFlow>,
) -> CredentialFlow {
    CredentialFlow {
        source: source.clone(),
        exchanges: exchanges.into_iter().cloned().collect(),
        realm: flow.map(|f| f.realm.clone()),
        token_field: flow.and_then(|f| f.token_field),
    }
}

fn source_text(s: &CredentialSource) -> String {
    match s {
        CredentialSource::Flag => "the --user/--password-stdin credentials".into(),
        CredentialSource::DockerConfig { path, key } => {
            format!("the credentials of auths.\"{key}\" in {path}")
        }
        CredentialSource::Helper { path, helper } => format!("{helper} (named in {path})"),
    }
}

impl Check for Credentials {
    fn id(&self) -> CheckId {
        CheckId::Credentials
    }
    fn title(&self) -> &'static str {
        "the given credentials are accepted"
    }
    fn doc(&self) -> &'static str {
        include_str!("../../checks/credentials.md")
    }
    fn run(&self, facts: &super::Basis<'_>) -> Outcome {
        let name = facts
            .target
            .as_ref()
            .map(|t| t.registry_name())
            .unwrap_or_default();
        let Some(c) = &facts.credentials else {
            if let Some(f) = missing(facts, &name) {
                return Outcome::Findings(vec![f]);
            }
            let config = if facts.node_defaults_read() {
                format!(", or an entry for {name} in the Docker config.json")
            } else {
                String::new()
            };
            return Outcome::Skip(format!(
                "no credentials given (--user NAME --password-stdin{config})"
            ));
        };
        let src = source_text(&c.source);
        let ev = |exchanges, flow| evidence(&c.source, exchanges, flow);
        let findings = match &c.outcome {
            CredentialOutcome::Withheld { reason } => return Outcome::Skip(reason.clone()),
            CredentialOutcome::ConfigInvalid { reason } => {
                return Outcome::Findings(vec![
                    Finding::new(
                        Code::DockerConfigInvalid,
                        format!("{reason}: the docker CLI warns (\"WARNING: Error parsing config file (FILE): …\", observed with docker 20.10) and pulls without its credentials, so they were not tried here either"),
                    )
                    .hint("fix the file (`python3 -m json.tool FILE` shows where it breaks), or log in again with `docker login`, which rewrites it; to test credentials now, pass --user NAME --password-stdin"),
                ]);
            }
            CredentialOutcome::HelperNotRead => {
                let helper = match &c.source {
                    CredentialSource::Helper { helper, .. } => helper.clone(),
                    _ => "a credential helper".into(),
                };
                return Outcome::SkipNoted(
                    Finding::new(
                        Code::CredentialsHelperNotRead,
                        format!("the credentials for {name} are kept by {helper}, which regdoctor does not run, so they were not tried"),
                    )
                    .evidence(ev(vec![], None)),
                );
            }
            CredentialOutcome::NotNeeded { status } => vec![Finding::new(
                Code::CredentialsNotNeeded,
                format!(
                    "/v2/ answered {} without credentials: the registry allows anonymous access, so {src} were not tried",
                    status.map(|s| s.to_string()).unwrap_or_else(|| "nothing".into())
                ),
            )],
            CredentialOutcome::UnsupportedScheme { scheme } => vec![Finding::new(
                Code::UnsupportedAuthScheme,
                format!("the registry asks for {scheme} authentication, which the container runtimes do not support (they speak Basic and Bearer)"),
            )
            .hint("configure the registry (or its proxy) for Basic (htpasswd) or Bearer token authentication")],
            CredentialOutcome::Basic { v2, catalog } => basic(&name, &src, v2, catalog.as_ref(), ev(
                std::iter::once(v2.as_ref()).chain(catalog.iter()).collect(),
                None,
            )),
            CredentialOutcome::Bearer(flow) => bearer(facts, &name, &src, flow, ev(
                flow.token.iter().chain(flow.v2.iter()).chain(flow.catalog.iter()).collect(),
                Some(flow),
            )),
        };
        Outcome::Findings(findings)
    }
}

/// `/v2/` asks for Basic authentication and no credentials are available: every pull
/// fails (a Bearer realm may still hand out anonymous tokens, so that is not judged here).
fn missing(facts: &super::Basis<'_>, name: &str) -> Option<Finding> {
    let (_, e) = super::registry_api::v2(facts)?;
    if e.status != Some(401) {
        return None;
    }
    let basic = super::registry_api::challenges(e)
        .iter()
        .any(|c| c.scheme == "basic");
    if !basic {
        return None;
    }
    Some(
        Finding::new(
            Code::CredentialsMissing,
            format!("{name} requires Basic authentication (GET /v2/ answered 401), and no credentials were found for it: every pull fails"),
        )
        .fails(
            Failure::at(
                Step::NoCredentials,
                e.docker_error_text()
                    .unwrap_or_else(|| "unauthorized: authentication required".into()),
            ),
            facts.target.as_ref().ok(),
        )
        .hint(format!(
            "give every node credentials: {}; test them with `regdoctor {name} --user USER --password-stdin`",
            super::hints::login(&facts.hint_runtimes(&[]), facts)
        )),
    )
}

fn basic(
    name: &str,
    src: &str,
    v2: &HttpExchange,
    catalog: Option<&HttpExchange>,
    ev: CredentialFlow,
) -> Vec<Finding> {
    match v2.status {
        Some(200) => {
            let listed = catalog
                .filter(|c| c.status == Some(200))
                .map(|c| format!("; with them the catalog lists {}", described(c)))
                .unwrap_or_default();
            vec![Finding::new(Code::CredentialsOk, format!("the Basic login to {name} with {src} succeeded{listed}")).evidence(ev.clone())]
        }
        Some(s) => vec![Finding::new(
            Code::LoginFailed,
            format!("the registry refused {src}: GET /v2/ with Basic authentication answered {}", status_line(s)),
        )
        .fails(
            Failure::at(
                Step::Unauthorized,
                v2.docker_error_text()
                    .unwrap_or_else(|| "unauthorized: authentication required".into()),
            ),
            None,
        )
        .hint(format!("check the user name and password with `docker login {name}`; with distribution's htpasswd, entries must be bcrypt (`htpasswd -Bbn USER PASS`)"))
        .evidence(ev.clone())],
        None => vec![Finding::new(
            Code::LoginFailed,
            format!("no answer to GET /v2/ with Basic authentication: {}", v2.error.as_deref().unwrap_or("unknown error")),
        )
        .hint("read the registry's log for this request")
        .evidence(ev.clone())],
    }
}

fn bearer(
    facts: &super::Basis<'_>,
    name: &str,
    src: &str,
    flow: &BearerFlow,
    ev: CredentialFlow,
) -> Vec<Finding> {
    if let Some(err) = &flow.realm_error {
        return vec![realm_unusable(facts, name, flow, err).evidence(ev.clone())];
    }
    let Some(tok) = &flow.token else {
        return vec![];
    };
    if let Some(f) = token_refused(name, src, flow, tok) {
        return vec![f.evidence(ev.clone())];
    }
    with_token(src, flow)
        .into_iter()
        .map(|f| f.evidence(ev.clone()))
        .collect()
}

/// The token service could not be used at all (its TLS, its address).
fn realm_unusable(facts: &super::Basis<'_>, name: &str, flow: &BearerFlow, err: &str) -> Finding {
    let realm = &crate::text::clip(&flow.realm).into_owned();
    let tls_line = realm_tls_error(facts, flow);
    let f = Finding::new(
        Code::TokenFailed,
        format!(
            "the token service {realm} cannot be used: {}{}",
            crate::text::clip(err),
            tls_line.as_ref().map(|t| format!(" ({t})")).unwrap_or_default()
        ),
    )
    .hint(format!(
        "the realm is another endpoint than {name}: it needs its own valid certificate (with its host or IP in the SAN) from a CA the nodes trust; check it with `regdoctor {}`",
        crate::target::split_url(&flow.realm).map(|(t, _)| t.registry_name()).unwrap_or_else(|| realm.clone())
    ));
    match tls_line {
        Some(t) => f.client_error(format!(
            "failed to fetch oauth token: Get \"{}\": {t}",
            crate::text::clip(&flow.token_url)
        )),
        None => f,
    }
}

/// The token request's answer, when it gave no token.
fn token_refused(name: &str, src: &str, flow: &BearerFlow, tok: &HttpExchange) -> Option<Finding> {
    let realm = crate::text::clip(&flow.realm);
    match (tok.status, flow.token_field) {
        (Some(200), Some(_)) => None,
        (Some(200), None) => Some(
            Finding::new(
                Code::TokenFailed,
                format!("the token service {realm} answered 200 but its response holds neither \"token\" nor \"access_token\" ({})", tok.body_description(false)),
            )
            .client_error("authorization server did not include a token in the response")
            .hint("fix the token service: its JSON answer must carry a token field"),
        ),
        (Some(s), _) => Some(
            Finding::new(
                Code::TokenFailed,
                format!("the token service {realm} refused {src}: it answered {}", status_line(s)),
            )
            .client_error(format!(
                "failed to fetch oauth token: unexpected status from GET request to {}: {}",
                crate::text::clip(&flow.token_url),
                status_line(s)
            ))
            .hint(format!("check the user name and password with `docker login {name}`, and the account in the token service")),
        ),
        (None, _) => Some(
            Finding::new(
                Code::TokenFailed,
                format!(
                    "no answer from the token service {realm}: {}",
                    crate::text::clip(tok.error.as_deref().unwrap_or("unknown error"))
                ),
            )
            .hint("check that the token service runs and is reachable from the nodes"),
        ),
    }
}

/// A token was issued: does the registry accept it, and what does it grant?
fn with_token(src: &str, flow: &BearerFlow) -> Vec<Finding> {
    let realm = crate::text::clip(&flow.realm);
    if let Some(s) = flow
        .v2
        .as_ref()
        .and_then(|v| v.status)
        .filter(|s| *s != 200)
    {
        return vec![
            Finding::new(
                Code::LoginFailed,
                format!("the token service issued a token, but the registry refused it: GET /v2/ with it answered {}", status_line(s)),
            )
            .hint("the registry does not trust the token service's signing certificate, or the service name differs: check auth.token.issuer, service and rootcertbundle in the registry's configuration"),
        ];
    }
    let catalog = flow.catalog.as_ref();
    let listed = catalog
        .filter(|c| c.status == Some(200))
        .map(|c| format!("; with it the catalog lists {}", described(c)))
        .unwrap_or_default();
    let mut out = vec![Finding::new(
        Code::CredentialsOk,
        format!(
            "the token service {realm} issued a token for {src}, and the registry accepted it{listed}"
        ),
    )];
    let scope_denied = catalog.is_some_and(|c| {
        c.status == Some(403)
            || (c.status == Some(401)
                && challenges(c)
                    .iter()
                    .any(|ch| ch.param("error") == Some("insufficient_scope")))
    });
    if scope_denied {
        out.push(
            Finding::new(
                Code::InsufficientScope,
                format!("the token from {realm} works for /v2/ but does not grant registry:catalog:*: the catalog stays closed to this account"),
            )
            .client_error("insufficient_scope: authorization failed")
            .hint("pulls need repository:NAME:pull, not the catalog; grant the account pull on the repositories it must use (the catalog is usually for administrators only)"),
        );
    }
    out
}

/// Go's verdict on the realm's certificate, when the realm was dialled and has one.
fn realm_tls_error(facts: &super::Basis<'_>, flow: &BearerFlow) -> Option<String> {
    let tls = flow.realm_tls.as_ref()?;
    let (realm_target, _) = crate::target::split_url(&flow.realm)?;
    let chain: Vec<Cert> = tls
        .chain
        .iter()
        .filter_map(|d| Cert::parse(d).ok())
        .collect();
    if chain.is_empty() {
        return None;
    }
    // The runtimes reach the realm with the registry's TLS configuration: the realm
    // verifies if it does with one of their trust stores (the system roots and --ca when
    // none verifies).
    let stores: Vec<&[Cert]> = if facts.trust.stores.is_empty() {
        facts
            .trust
            .baseline
            .iter()
            .map(|s| s.roots.as_slice())
            .collect()
    } else {
        facts
            .trust
            .stores
            .iter()
            .map(|s| s.roots.as_slice())
            .collect()
    };
    let mut first_error = None;
    for roots in stores {
        match crate::pki::verify(&chain, roots, Some(&realm_target.host), facts.now).error {
            None => return None,
            Some(e) => {
                first_error.get_or_insert(e.tls_text());
            }
        }
    }
    first_error
}

#[cfg(test)]
pub(crate) fn examples() -> Vec<(Facts, Vec<Code>)> {
    use crate::checks::examples::*;
    use crate::facts::CredentialFacts;
    let with = |outcome: CredentialOutcome| {
        let mut f = with_http(
            facts_for("10.0.0.5:5000"),
            vec![ex("/v2/", 401, &[API], "")],
        );
        f.credentials = Some(CredentialFacts {
            source: CredentialSource::Flag,
            outcome,
        });
        f
    };
    let basic = |status| CredentialOutcome::Basic {
        v2: Box::new(ex("/v2/", status, &[API], "{}")),
        catalog: None,
    };
    let flow = |token_status, field, v2_status, catalog: Option<HttpExchange>| {
        CredentialOutcome::Bearer(Box::new(BearerFlow {
            realm: "https://10.0.0.5:5001/token".into(),
            service: Some("registry".into()),
            token_url:
                "https://10.0.0.5:5001/token?service=registry&scope=registry%3Acatalog%3A%2A".into(),
            token: Some(ex("/token", token_status, &[], "")),
            token_field: field,
            v2: Some(ex("/v2/", v2_status, &[API], "{}")),
            catalog,
            ..BearerFlow::default()
        }))
    };
    let denied = ex(
        "/v2/_catalog?n=100",
        401,
        &[(
            "www-authenticate",
            r#"Bearer realm="https://10.0.0.5:5001/token",service="registry",scope="registry:catalog:*",error="insufficient_scope""#,
        )],
        "",
    );
    let realm_down = CredentialOutcome::Bearer(Box::new(BearerFlow {
        realm: "https://10.0.0.6:5001/token".into(),
        realm_error: Some("cannot connect to the realm 10.0.0.6:5001: Refused".into()),
        ..BearerFlow::default()
    }));
    vec![
        (with(basic(200)), vec![Code::CredentialsOk]),
        (with(basic(401)), vec![Code::LoginFailed]),
        (
            with(flow(200, Some("token"), 200, None)),
            vec![Code::CredentialsOk],
        ),
        (with(flow(401, None, 200, None)), vec![Code::TokenFailed]),
        (with(flow(200, None, 200, None)), vec![Code::TokenFailed]),
        (with(realm_down), vec![Code::TokenFailed]),
        (
            with(CredentialOutcome::ConfigInvalid {
                reason: "the Docker config file /root/.docker/config.json cannot be used: not valid JSON at line 2, column 10".into(),
            }),
            vec![Code::DockerConfigInvalid],
        ),
        (
            with(flow(200, Some("access_token"), 200, Some(denied))),
            vec![Code::CredentialsOk, Code::InsufficientScope],
        ),
        (
            with(CredentialOutcome::NotNeeded { status: Some(200) }),
            vec![Code::CredentialsNotNeeded],
        ),
        (
            with(CredentialOutcome::HelperNotRead),
            vec![Code::CredentialsHelperNotRead],
        ),
        (
            with(CredentialOutcome::UnsupportedScheme {
                scheme: "Negotiate".into(),
            }),
            vec![Code::UnsupportedAuthScheme],
        ),
        (
            with_http(
                facts_for("10.0.0.5:5000"),
                vec![ex(
                    "/v2/",
                    401,
                    &[API, ("www-authenticate", "Basic realm=\"Registry Realm\"")],
                    "",
                )],
            ),
            vec![Code::CredentialsMissing],
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::examples::*;
    use crate::facts::CredentialFacts;

    /// A token answer without a token is described by its size and whether it was cut,
    /// never quoted (it may hold a refresh token).
    #[test]
    fn a_tokenless_answer_is_sized_not_quoted() {
        let f = examples()
            .into_iter()
            .find(|(f, _)| {
                matches!(&f.credentials, Some(CredentialFacts { outcome: CredentialOutcome::Bearer(b), .. })
                    if b.token_field.is_none() && b.token.as_ref().is_some_and(|t| t.status == Some(200)))
            })
            .unwrap()
            .0;
        let message = |truncated: bool, media: Option<&str>| {
            let mut f = f.clone();
            if let Some(CredentialFacts {
                outcome: CredentialOutcome::Bearer(b),
                ..
            }) = &mut f.credentials
                && let Some(tok) = b.token.as_mut()
            {
                tok.body = format!("{{\"refresh_token\":\"s3cret{}", "x".repeat(100));
                tok.truncated = truncated;
                tok.headers
                    .extend(media.map(|m| ("content-type".to_string(), m.to_string())));
            }
            findings_of(&Credentials, &f)[0].message.clone()
        };
        let m = message(true, None);
        assert!(m.contains("cut after 124 bytes"), "{m}");
        assert!(!m.contains("s3cret"), "{m}");
        let m = message(false, Some("application/json"));
        assert!(
            m.contains("its body is 124 bytes of application/json"),
            "{m}"
        );
        assert!(!m.contains("s3cret"), "{m}");
    }

    #[test]
    fn withheld_credentials_skip_with_the_reason() {
        let mut f = facts_for("10.0.0.5:5000");
        f.credentials = Some(crate::facts::CredentialFacts {
            source: CredentialSource::Flag,
            outcome: CredentialOutcome::Withheld {
                reason: "credentials were not sent: the registry speaks plain HTTP".into(),
            },
        });
        match Credentials.run(&crate::checks::Basis::new(&f)) {
            Outcome::Skip(why) => assert!(why.contains("plain HTTP")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn no_credentials_skip() {
        assert!(matches!(
            Credentials.run(&crate::checks::Basis::new(&facts_for("10.0.0.5:5000"))),
            Outcome::Skip(_)
        ));
    }

    #[test]
    fn wrong_basic_password_quotes_docker_login() {
        let (f, _) = examples().remove(1);
        let out = findings_of(&Credentials, &f);
        assert_eq!(
            out[0].client_error.as_deref(),
            Some("Error response from daemon: unauthorized: authentication required")
        );
    }
}
