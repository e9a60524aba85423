//! `san-matches-host`: the server's certificate is valid for the name or IP that was
//! dialled, by Go's rules (SANs only; no Common Name fallback since Go 1.15).

use super::{Check, Outcome};
use crate::codes::{CheckId, Code};
#[cfg(test)]
use crate::facts::Facts;
use crate::finding::Finding;
use crate::finding::evidence::Names;
use crate::pki::verify::verify_hostname;
use crate::pki::{Cert, HostnameError};
use crate::target::{Host, Target};

/// The check.
pub struct SanMatchesHost;

impl Check for SanMatchesHost {
    fn id(&self) -> CheckId {
        CheckId::SanMatchesHost
    }
    fn title(&self) -> &'static str {
        "the certificate is valid for the dialled name or IP"
    }
    fn doc(&self) -> &'static str {
        include_str!("../../checks/san-matches-host.md")
    }
    fn run(&self, facts: &super::Basis<'_>) -> Outcome {
        let (Ok(target), Some(leaf)) = (&facts.target, facts.presented_chain().into_iter().next())
        else {
            return Outcome::Skip(facts.no_chain_reason());
        };
        let Err(err) = verify_hostname(&leaf, &target.host) else {
            return Outcome::Findings(vec![]);
        };
        let evidence = Names {
            dialled: target.host.to_string(),
            common_name: leaf
                .common_name
                .as_deref()
                .map(|c| crate::text::clip_to(c, crate::text::EVIDENCE_CHARS).into_owned()),
            dns_sans: crate::text::bounded(leaf.dns_sans.iter().cloned()).0,
            ip_sans: crate::text::bounded(leaf.ip_sans.iter().map(ToString::to_string)).0,
            sans_total: (leaf.dns_sans.len() + leaf.ip_sans.len()
                > 2 * crate::text::EVIDENCE_ITEMS
                || leaf.dns_sans.len() > crate::text::EVIDENCE_ITEMS
                || leaf.ip_sans.len() > crate::text::EVIDENCE_ITEMS)
                .then_some(leaf.dns_sans.len() + leaf.ip_sans.len()),
            has_san_extension: leaf.has_san_ext,
        };
        let (code, message) = what(&err, &leaf, target);
        let finding = Finding::new(code, message)
            .fails_verification(facts, err.go_text())
            .hint(reissue_hint(&leaf, target, facts))
            .evidence(evidence);
        Outcome::Findings(super::to_verifiers(facts, vec![finding]))
    }
}

/// The code and message for Go's hostname error.
fn what(err: &HostnameError, leaf: &Cert, target: &Target) -> (Code, String) {
    let host = target.host.to_string();
    let holds = if leaf.san_list().is_empty() {
        "no names at all".to_string()
    } else {
        crate::text::clip_list(leaf.san_list(), ", ")
    };
    match err {
        HostnameError::CnOnly { .. } => (
            Code::CnOnly,
            format!(
                "the certificate has no subjectAltName extension; only its Common Name (CN={}) matches {host}, and Go ignores the Common Name since Go 1.15 (Docker 20.10 and later)",
                crate::text::clip(leaf.common_name.as_deref().unwrap_or(""))
            ),
        ),
        HostnameError::NoIpSans { ip } => (
            Code::SanIpMissing,
            format!(
                "you dialled the IP address {ip}, and the certificate has no IP SANs (it holds {holds}); a DNS SAN with the IP's text does not count"
            ),
        ),
        HostnameError::IpMismatch { ip, valid } => (
            Code::SanMismatch,
            format!(
                "the certificate is valid for {}, not {ip}",
                crate::text::clip_list(valid.iter().map(ToString::to_string), ", ")
            ),
        ),
        HostnameError::DnsMismatch { host, valid } => (
            Code::SanMismatch,
            format!(
                "the certificate is valid for {}, not {host}",
                crate::text::clip_list(valid, ", ")
            ),
        ),
        HostnameError::NoNames { host } => (
            Code::SanMismatch,
            format!(
                "the certificate holds no DNS names ({holds}), and you dialled the name {host}"
            ),
        ),
    }
}

/// The most names of the old certificate the re-issue command repeats.
const KEPT_SANS: usize = 20;

/// The openssl commands that re-issue the certificate with the dialled host in its SAN,
/// keeping the names it already has.
fn reissue_hint(leaf: &Cert, target: &Target, facts: &super::Basis<'_>) -> String {
    let wanted = match &target.host {
        Host::Ip(ip) => format!("IP:{ip}"),
        Host::Name(n) => format!("DNS:{n}"),
    };
    // The names it already has, kept: as many as a command line holds; beyond that, the
    // dialled one alone and a word about the others.
    let old = leaf.san_list();
    let san = if old.len() <= KEPT_SANS {
        let mut sans = vec![wanted];
        for s in &old {
            if !sans.contains(s) {
                sans.push(s.clone());
            }
        }
        sans.join(",")
    } else {
        wanted
    };
    let others = if old.len() > KEPT_SANS {
        format!(
            " (the old certificate has {} other names: add to the subjectAltName those still in use)",
            old.len()
        )
    } else {
        String::new()
    };
    let cn = target.host.to_string();
    if leaf.is_self_issued() {
        format!(
            "re-issue the self-signed certificate with the address in its SAN: `openssl req -x509 -newkey rsa:4096 -sha256 -days 365 -nodes -keyout registry.key -out registry.crt -subj \"/CN={cn}\" -addext \"subjectAltName={san}\"`; restart the registry with it and trust the new certificate: {}{others}",
            super::hints::trust_ca(&facts.hint_runtimes(&[]), facts, "registry.crt")
        )
    } else {
        let ca = facts
            .ca_file
            .as_ref()
            .map(|c| c.path.clone())
            .unwrap_or_else(|| "ca.crt".into());
        format!(
            "re-issue the certificate with the address in its SAN, signed by your CA: `openssl req -new -newkey rsa:2048 -nodes -keyout registry.key -subj \"/CN={cn}\" -out registry.csr && openssl x509 -req -in registry.csr -CA {ca} -CAkey ca.key -CAcreateserial -sha256 -days 365 -extfile <(printf \"subjectAltName={san}\") -out registry.crt`; then restart the registry with registry.crt and registry.key{others}"
        )
    }
}

#[cfg(test)]
pub(crate) fn examples() -> Vec<(Facts, Vec<Code>)> {
    use crate::checks::examples::pki::*;
    use crate::checks::examples::*;
    let root = ca("Registry CA", NOW);
    let cert = |cn: &str, sans: &[&str]| {
        let mut p = params(cn, sans, NOW - DAY, NOW + 365 * DAY);
        if sans.is_empty() {
            p.subject_alt_names.clear();
        }
        leaf_with(&root, p).der
    };
    let f = |target: &str, der: Vec<u8>| with_chain(facts_for(target), vec![der]);
    vec![
        (f("10.0.0.5:5000", cert("r", &["10.0.0.5"])), vec![]),
        (
            f(
                "registry.local:5000",
                cert("r", &["*.local", "registry.local"]),
            ),
            vec![],
        ),
        (
            f("10.0.0.5:5000", cert("r", &["registry.local"])),
            vec![Code::SanIpMissing],
        ),
        (
            f("10.0.0.5:5000", cert("r", &["10.0.0.7", "registry.local"])),
            vec![Code::SanMismatch],
        ),
        (
            f("registry.local:5000", cert("r", &["other.local"])),
            vec![Code::SanMismatch],
        ),
        (
            f("10.0.0.5:5000", cert("10.0.0.5", &[])),
            vec![Code::CnOnly],
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::examples::pki::*;
    use crate::checks::examples::*;

    fn run(target: &str, cn: &str, sans: &[&str]) -> Vec<Finding> {
        let root = ca("Registry CA", NOW);
        let mut p = params(cn, sans, NOW - DAY, NOW + 365 * DAY);
        if sans.is_empty() {
            p.subject_alt_names.clear();
        }
        let der = leaf_with(&root, p).der;
        findings_of(&SanMatchesHost, &with_chain(facts_for(target), vec![der]))
    }

    #[test]
    fn ip_target_without_ip_san() {
        let out = run("10.0.0.5:5000", "registry", &["registry.local"]);
        assert_eq!(out[0].code, Code::SanIpMissing);
        assert_eq!(
            out[0].client_error.as_deref(),
            Some(
                "Get \"https://10.0.0.5:5000/v2/\": tls: failed to verify certificate: x509: cannot validate certificate for 10.0.0.5 because it doesn't contain any IP SANs"
            )
        );
        let hint = out[0].hint.as_deref().unwrap();
        assert!(
            hint.contains("subjectAltName=IP:10.0.0.5,DNS:registry.local"),
            "{hint}"
        );
    }

    #[test]
    fn ip_san_present_but_a_different_ip() {
        let out = run("10.0.0.5:5000", "registry", &["10.0.0.7", "registry.local"]);
        assert_eq!(out[0].code, Code::SanMismatch);
        assert!(
            out[0]
                .client_error
                .as_deref()
                .unwrap()
                .ends_with("x509: certificate is valid for 10.0.0.7, not 10.0.0.5")
        );
    }

    #[test]
    fn cn_matching_but_no_san() {
        let out = run("10.0.0.5:5000", "10.0.0.5", &[]);
        assert_eq!(out[0].code, Code::CnOnly);
        assert!(
            out[0].client_error.as_deref().unwrap().ends_with(
                "x509: certificate relies on legacy Common Name field, use SANs instead"
            )
        );
    }

    #[test]
    fn cn_not_matching_and_no_san_is_a_mismatch() {
        let out = run("10.0.0.5:5000", "registry", &[]);
        assert_eq!(out[0].code, Code::SanIpMissing);
        let out = run("registry.local", "other", &[]);
        assert_eq!(out[0].code, Code::SanMismatch);
        assert!(out[0].client_error.as_deref().unwrap().ends_with(
            "x509: certificate is not valid for any names, but wanted to match registry.local"
        ));
    }

    #[test]
    fn wildcards_match_one_label_only() {
        assert!(run("a.example.com", "r", &["*.example.com"]).is_empty());
        assert_eq!(
            run("a.b.example.com", "r", &["*.example.com"])[0].code,
            Code::SanMismatch
        );
        assert_eq!(
            run("example.com", "r", &["*.example.com"])[0].code,
            Code::SanMismatch
        );
    }
}
