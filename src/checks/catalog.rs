//! `catalog`: `GET /v2/_catalog?n=100` — anonymous listing allowed, restricted or
//! disabled. Many registries restrict it on purpose, so its problems are warnings.

use super::registry_api::{challenges, status_line};
use super::{Check, Outcome};
use crate::codes::{CheckId, Code};
#[cfg(test)]
use crate::facts::Facts;
use crate::facts::HttpExchange;
use crate::finding::Finding;
use crate::finding::evidence::CatalogListing;

/// The check.
pub struct Catalog;

/// The repositories listed in a catalog body, and whether a Link header says there are more.
pub(crate) fn listing(e: &HttpExchange) -> (Vec<String>, bool) {
    let repos = serde_json::from_str::<serde_json::Value>(&e.body)
        .ok()
        .and_then(|v| v.get("repositories").cloned())
        .and_then(|r| r.as_array().cloned())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|r| r.as_str().map(str::to_string))
        .collect();
    let more = e.header("link").is_some_and(|l| l.contains("rel=\"next\""));
    (repos, more)
}

/// "3 repositories: a, b, c" (as many named as fit in `text::QUOTE_CHARS`, the rest
/// counted).
pub(crate) fn summary(repos: &[String], more: bool) -> String {
    let n = repos.len();
    let plural = if n == 1 { "repository" } else { "repositories" };
    let mut s = if n == 0 {
        "no repositories".to_string()
    } else {
        format!("{n} {plural}: {}", crate::text::clip_list(repos, ", "))
    };
    if more {
        s.push_str(" (and more: the registry sent a Link header to the next page)");
    }
    s
}

impl Check for Catalog {
    fn id(&self) -> CheckId {
        CheckId::Catalog
    }
    fn title(&self) -> &'static str {
        "GET /v2/_catalog lists the repositories"
    }
    fn doc(&self) -> &'static str {
        include_str!("../../checks/catalog.md")
    }
    fn needs(&self) -> &'static [CheckId] {
        &[CheckId::RegistryApi]
    }
    fn run(&self, facts: &super::Basis<'_>) -> Outcome {
        let Some(e) = facts.http.as_ref().and_then(|h| {
            h.exchanges
                .iter()
                .find(|e| e.path.starts_with("/v2/_catalog") && e.auth.is_none())
        }) else {
            return Outcome::Skip(
                "the catalog was not requested: the connection failed before".into(),
            );
        };
        let (repos, more) = listing(e);
        let ev = CatalogListing {
            status: e.status,
            repositories: repos.clone(),
            more,
            link: e.header("link").map(str::to_string),
            registry_errors: e.registry_errors(),
        };
        if e.status == Some(401) && super::credentials_worked(facts) {
            // With working credentials the catalog was asked again (see credentials).
            return Outcome::Skip(
                "anonymous listing needs authentication; the credentials given were used instead (see credentials)".into(),
            );
        }
        let finding = answered(facts, e, &repos, more);
        Outcome::Findings(vec![finding.evidence(ev)])
    }
}

/// What the anonymous catalog request's answer says (without its evidence).
fn answered(facts: &super::Basis<'_>, e: &HttpExchange, repos: &[String], more: bool) -> Finding {
    let name = facts
        .target
        .as_ref()
        .map(|t| t.registry_name())
        .unwrap_or_default();
    let creds_hint = format!(
        "if you need the list, use credentials that may list it: `regdoctor {name} --user USER --password-stdin`; pulls by name do not need the catalog"
    );
    let errs = e.registry_errors();
    let has = |code: &str| errs.iter().any(|(c, _)| c == code);
    match e.status {
        Some(200) => Finding::new(Code::CatalogListed, format!("the catalog lists {}", summary(repos, more))),
        Some(401) if challenges(e).iter().any(|c| c.param("error") == Some("insufficient_scope")) => {
            Finding::new(Code::CatalogDenied, "the catalog (GET /v2/_catalog) answered 401 insufficient_scope: the catalog is restricted (many registries allow it to administrators only)")
                .hint(creds_hint)
        }
        Some(401) => Finding::new(
            Code::CatalogUnauthorized,
            "the catalog (GET /v2/_catalog) answered 401: listing the catalog needs authentication",
        )
        .client_error(e.docker_error_text().unwrap_or_else(|| "unauthorized: authentication required".into()))
        .hint(creds_hint),
        Some(403) => Finding::new(Code::CatalogDenied, "the catalog (GET /v2/_catalog) answered 403: the catalog is refused to this client")
            .client_error(e.docker_error_text().unwrap_or_else(|| "denied: requested access to the resource is denied".into()))
            .hint(creds_hint),
        Some(404 | 405) => Finding::new(
            Code::CatalogDisabled,
            format!("the catalog (GET /v2/_catalog) answered {}: this registry does not offer the catalog (it is not part of the OCI distribution spec)", status_line(e.status.unwrap_or_default())),
        )
        .hint("nothing to fix for pulls: list repositories in the registry's own UI or API"),
        Some(_) if has("UNSUPPORTED") => Finding::new(Code::CatalogDisabled, "the catalog (GET /v2/_catalog) answered UNSUPPORTED: the catalog is disabled")
            .hint("nothing to fix for pulls: list repositories in the registry's own UI or API"),
        Some(s) => Finding::new(Code::CatalogError, format!("the catalog (GET /v2/_catalog) answered {}", status_line(s)))
            .hint("read the registry's log for this request"),
        None => Finding::new(
            Code::CatalogError,
            format!("no response to GET /v2/_catalog: {}", e.error.as_deref().unwrap_or("unknown error")),
        )
        .hint("read the registry's log for this request"),
    }
}

#[cfg(test)]
pub(crate) fn examples() -> Vec<(Facts, Vec<Code>)> {
    use crate::checks::examples::*;
    let f = |e| {
        with_http(
            facts_for("10.0.0.5:5000"),
            vec![ex("/v2/", 200, &[API], "{}"), e],
        )
    };
    let c = "/v2/_catalog?n=100";
    vec![
        (
            f(ex(c, 200, &[API], r#"{"repositories":["a","b"]}"#)),
            vec![Code::CatalogListed],
        ),
        (
            f(ex(
                c,
                401,
                &[("www-authenticate", r#"Basic realm="r""#)],
                "",
            )),
            vec![Code::CatalogUnauthorized],
        ),
        (
            f(ex(
                c,
                401,
                &[(
                    "www-authenticate",
                    r#"Bearer realm="https://a/t",error="insufficient_scope""#,
                )],
                "",
            )),
            vec![Code::CatalogDenied],
        ),
        (
            f(ex(
                c,
                403,
                &[],
                r#"{"errors":[{"code":"DENIED","message":"no"}]}"#,
            )),
            vec![Code::CatalogDenied],
        ),
        (f(ex(c, 404, &[], "")), vec![Code::CatalogDisabled]),
        (f(ex(c, 500, &[], "")), vec![Code::CatalogError]),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::examples::*;

    #[test]
    fn link_header_means_more() {
        let e = ex(
            "/v2/_catalog?n=100",
            200,
            &[("link", r#"</v2/_catalog?last=b&n=2>; rel="next""#)],
            r#"{"repositories":["a","b"]}"#,
        );
        let (repos, more) = listing(&e);
        assert_eq!(repos, ["a", "b"]);
        assert!(more);
        assert!(summary(&repos, more).starts_with("2 repositories: a, b (and more"));
    }
}
