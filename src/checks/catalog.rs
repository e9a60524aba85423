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

/// The repositories listed in a catalog body, and whether a Link header says there are
/// more; or, when the body is not the catalog's JSON (cut at the size cap, a proxy's HTML
/// page), what it is.
pub(crate) fn listing(e: &HttpExchange) -> Result<(Vec<String>, bool), String> {
    // A JSON object without "repositories" (`{}`) lists none; anything else is not a catalog.
    let Some(list) = serde_json::from_str::<serde_json::Value>(&e.body)
        .ok()
        .filter(|v| v.is_object() && !e.truncated)
        .map(|v| v.get("repositories").and_then(|r| r.as_array().cloned()))
    else {
        return Err(e.body_description(true));
    };
    let list = list.unwrap_or_default();
    let repos = list
        .into_iter()
        .filter_map(|r| r.as_str().map(str::to_string))
        .collect();
    let more = e.header("link").is_some_and(|l| l.contains("rel=\"next\""));
    Ok((repos, more))
}

/// "3 repositories: a, b, c", or what the body was when it lists nothing readable.
pub(crate) fn described(e: &HttpExchange) -> String {
    match listing(e) {
        Ok((repos, more)) => summary(&repos, more),
        Err(what) => format!("nothing readable: {what}"),
    }
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
        let (repos, more) = listing(e).unwrap_or_default();
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
        let finding = answered(facts, e);
        Outcome::Findings(vec![finding.evidence(ev)])
    }
}

/// What the anonymous catalog request's answer says (without its evidence).
fn answered(facts: &super::Basis<'_>, e: &HttpExchange) -> Finding {
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
        Some(200) => match listing(e) {
            Ok((repos, more)) => Finding::new(Code::CatalogListed, format!("the catalog lists {}", summary(&repos, more))),
            Err(what) if e.error.is_some() => Finding::new(
                Code::CatalogError,
                format!("the catalog (GET /v2/_catalog) answered 200, but {what}"),
            )
            .hint("read the registry's log (and any proxy's) for this request"),
            Err(what) if e.truncated => Finding::new(
                Code::CatalogListed,
                format!("the catalog (GET /v2/_catalog?n=100) answered 200, but {what}: the registry ignores the page size, so the repositories are not listed here"),
            ),
            Err(what) => Finding::new(
                Code::CatalogError,
                format!("the catalog (GET /v2/_catalog) answered 200, but {what}: something other than the registry may answer for /v2/ (a proxy, a login page)"),
            )
            .hint(format!("see what answers: `curl -si https://{name}/v2/_catalog | head -20`")),
        },
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
    let mut cut = ex(
        c,
        200,
        &[("content-length", "5000000")],
        r#"{"repositories":["a","#,
    );
    cut.truncated = true;
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
        (
            f(ex(
                c,
                200,
                &[("content-type", "text/html")],
                "<html>\x1b[31mSign in</html>",
            )),
            vec![Code::CatalogError],
        ),
        (f(cut), vec![Code::CatalogListed]),
    ]
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_cut_or_foreign_body_is_said_with_its_size_not_as_no_repositories() {
        let messages: Vec<String> = super::examples()
            .into_iter()
            .rev()
            .take(2)
            .map(|(f, _)| {
                crate::checks::examples::findings_of(&super::Catalog, &f)[0]
                    .message
                    .clone()
            })
            .collect();
        assert!(
            messages[0].contains("cut after 21 bytes of the 5000000 announced"),
            "{}",
            messages[0]
        );
        assert!(
            messages[1].contains("25-byte text/html body is not the expected JSON: \"<html>\\u{1b}[31mSign in</html>\""),
            "{}",
            messages[1]
        );
        assert!(messages.iter().all(|m| !m.contains("no repositories")));
    }

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
        let (repos, more) = listing(&e).unwrap();
        assert_eq!(repos, ["a", "b"]);
        assert!(more);
        assert!(summary(&repos, more).starts_with("2 repositories: a, b (and more"));
    }
}
