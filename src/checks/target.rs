//! `target`: the argument parses and the name resolves.

use super::{Check, Outcome};
use crate::codes::{CheckId, Code};
#[cfg(test)]
use crate::facts::Facts;
use crate::facts::Runtime;
use crate::finding::Finding;
use crate::finding::evidence::Dns;
use crate::runtimes::line::{Failure, Step};

/// The check.
pub struct Target;

impl Check for Target {
    fn id(&self) -> CheckId {
        CheckId::Target
    }
    fn title(&self) -> &'static str {
        "the target parses and its name resolves"
    }
    fn doc(&self) -> &'static str {
        include_str!("../../checks/target.md")
    }
    fn run(&self, facts: &super::Basis<'_>) -> Outcome {
        let t = match &facts.target {
            Ok(t) => t,
            Err(why) => {
                return Outcome::Findings(vec![
                    Finding::new(
                        Code::TargetInvalid,
                        format!("the target cannot be used: {why}"),
                    )
                    .hint("give the registry as host:port, [ipv6]:port or https://host:port"),
                ]);
            }
        };
        let mut findings = Vec::new();
        if let Some(path) = &t.ignored_path {
            findings.push(Finding::new(
                Code::TargetPathIgnored,
                format!(
                    "the path {path} in the target is ignored: the runtimes always talk to {}",
                    t.v2_url()
                ),
            ));
        }
        // containers/image's reference grammar has no IPv6 address (observed with skopeo
        // 1.9.3: `Error parsing image name "docker://[::1]:5000/app:1": invalid reference
        // format`); Docker's and containerd's CRI (1.7+) accept one in brackets.
        if matches!(t.host, crate::target::Host::Ip(std::net::IpAddr::V6(_)))
            && facts.judges(Runtime::CriO)
        {
            let name = t.registry_name();
            findings.push(
                Finding::new(
                    Code::Ipv6ReferenceUnsupported,
                    format!("the registry {name} is an IPv6 address, which CRI-O cannot pull from: containers/image's image references have no IPv6 address, so every image named {name}/… is refused before any request"),
                )
                .fails_for(Runtime::CriO, Failure::at(Step::Config, "invalid reference format"), Some(t))
                .for_runtimes(vec![Runtime::CriO])
                .hint(format!("give the registry a DNS name (in DNS or /etc/hosts on every node, e.g. `{} registry.internal`) and use registry.internal:{} in image names; its certificate must list that name", match &t.host { crate::target::Host::Ip(ip) => ip.to_string(), crate::target::Host::Name(n) => n.clone() }, t.port)),
            );
        }
        // A runtime that goes through a proxy does not resolve the name itself.
        let direct = facts.direct_scope();
        if let Some(err) = facts.dns.as_ref().and_then(|d| d.error.as_ref())
            && let Some(direct) = direct
        {
            let host = t.host.to_string();
            let message = if err.timed_out {
                format!("the name {host} did not resolve before the deadline")
            } else {
                format!("the name {host} does not resolve: {}", err.detail)
            };
            findings.push(
                Finding::new(Code::DnsFailed, message)
                    .fails_request(facts, format!("dial tcp: lookup {host}: no such host"))
                    .hint(format!(
                        "check the name on this node with `getent hosts {host}`; add it to DNS or to /etc/hosts on every node, or use the registry's IP address (its certificate must then list that IP in its subjectAltName)"
                    ))
                    .evidence(Dns {
                        host,
                        detail: err.detail.clone(),
                        timed_out: err.timed_out,
                    })
                    .for_runtimes(direct),
            );
        }
        Outcome::Findings(findings)
    }
}

#[cfg(test)]
pub(crate) fn examples() -> Vec<(Facts, Vec<Code>)> {
    use crate::checks::examples::*;
    let mut dns = facts_for("registry.invalid:5000");
    dns.dns = Some(crate::facts::DnsFacts {
        addresses: vec![],
        error: Some(crate::facts::DnsError {
            timed_out: false,
            detail: "failed to lookup address information: Name or service not known".into(),
        }),
    });
    let mut invalid = facts_for("10.0.0.5:5000");
    invalid.target = Err("invalid port \"x\"".into());
    vec![
        (facts_for("10.0.0.5:5000"), vec![]),
        (
            facts_for("https://10.0.0.5:5000/v2/_catalog"),
            vec![Code::TargetPathIgnored],
        ),
        (dns, vec![Code::DnsFailed]),
        (invalid, vec![Code::TargetInvalid]),
        (
            present(facts_for("[fd00::5]:5000"), crate::facts::Runtime::CriO),
            vec![Code::Ipv6ReferenceUnsupported],
        ),
        // Docker alone: a bracketed IPv6 registry is a valid reference.
        (
            present(facts_for("[fd00::5]:5000"), crate::facts::Runtime::Docker),
            vec![],
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::examples::*;

    #[test]
    fn unresolvable_name_names_the_host() {
        let (f, _) = examples().remove(2);
        let findings = findings_of(&Target, &f);
        assert_eq!(findings[0].code, Code::DnsFailed);
        assert!(findings[0].message.contains("registry.invalid"));
        assert!(
            findings[0]
                .hint
                .as_deref()
                .unwrap()
                .contains("getent hosts registry.invalid")
        );
    }

    #[test]
    fn ip_target_resolves_to_itself_and_passes() {
        assert!(findings_of(&Target, &facts_for("10.0.0.5:5000")).is_empty());
    }
}
