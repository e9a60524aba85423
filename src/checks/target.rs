//! `target`: the argument parses and the name resolves.

use super::{Check, Outcome};
use crate::codes::{CheckId, Code};
#[cfg(test)]
use crate::facts::Facts;
use crate::finding::Finding;
use crate::finding::evidence::Dns;

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
