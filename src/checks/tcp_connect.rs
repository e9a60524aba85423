//! `tcp-connect`: a TCP connection opens to one of the resolved addresses.

use super::{Check, Outcome};
use crate::codes::{CheckId, Code};
#[cfg(test)]
use crate::facts::Facts;
use crate::facts::{ConnectAttempt, ConnectOutcome};
use crate::finding::Finding;
use crate::finding::evidence::ConnectAttempts;

/// The check.
pub struct TcpConnect;

impl Check for TcpConnect {
    fn id(&self) -> CheckId {
        CheckId::TcpConnect
    }
    fn title(&self) -> &'static str {
        "a TCP connection opens"
    }
    fn doc(&self) -> &'static str {
        include_str!("../../checks/tcp-connect.md")
    }
    fn needs(&self) -> &'static [CheckId] {
        &[CheckId::Target]
    }
    fn run(&self, facts: &super::Basis<'_>) -> Outcome {
        // A runtime that goes through a proxy never dials the registry itself (the proxy
        // check judges its path).
        let Some(direct) = facts.direct_scope() else {
            let reached = facts.registry_via.is_some()
                || facts.tcp.as_ref().is_some_and(|t| t.connected.is_some());
            return if reached {
                Outcome::Findings(vec![])
            } else {
                Outcome::Skip(
                    "every runtime judged goes through a proxy (see proxy), and no tunnel reached the registry"
                        .into(),
                )
            };
        };
        match self.direct(facts) {
            Outcome::Findings(v) => Outcome::Findings(
                v.into_iter()
                    .map(|f| f.for_runtimes(direct.clone()))
                    .collect(),
            ),
            other => other,
        }
    }
}

impl TcpConnect {
    /// The direct connection's findings.
    fn direct(&self, facts: &super::Basis<'_>) -> Outcome {
        let Some(tcp) = &facts.tcp else {
            return Outcome::Skip("no address to connect to".into());
        };
        let evidence = ConnectAttempts {
            attempts: tcp.attempts.clone(),
        };
        let failed: Vec<&ConnectAttempt> = tcp
            .attempts
            .iter()
            .filter(|a| a.outcome != ConnectOutcome::Connected)
            .collect();
        if let Some(addr) = tcp.connected {
            if failed.is_empty() {
                return Outcome::Findings(vec![]);
            }
            return Outcome::Findings(vec![some_failed(addr, &failed).evidence(evidence)]);
        }
        let Some(first) = failed.first() else {
            return Outcome::Skip("no connection was attempted before the deadline".into());
        };
        match not_connected(facts, first) {
            Some(finding) => Outcome::Findings(vec![finding.evidence(evidence)]),
            None => Outcome::Findings(vec![]),
        }
    }
}

/// Connected, but only after other addresses failed.
fn some_failed(addr: std::net::SocketAddr, failed: &[&ConnectAttempt]) -> Finding {
    let list: Vec<String> = failed.iter().map(|a| a.addr.to_string()).collect();
    Finding::new(
        Code::TcpSomeAddressesFailed,
        format!(
            "connected to {addr}, but only after {} failed; the runtimes may try them first and be slowed down or fail",
            super::or_list(&list).replace(" or ", " and ")
        ),
    )
    .hint("remove the unreachable addresses from DNS, or make the registry listen on all of them")
}

/// No connection: why the first attempt failed, which is what the runtime prints.
fn not_connected(facts: &super::Basis<'_>, first: &ConnectAttempt) -> Option<Finding> {
    let addr = first.addr;
    let port = addr.port();
    let ip = addr.ip();
    let go = first.go_text().unwrap_or_default();
    Some(match &first.outcome {
        ConnectOutcome::Refused => Finding::new(
            Code::TcpRefused,
            format!("the connection to {addr} was refused: nothing listens on port {port} at {ip}"),
        )
        .fails_request(facts, go)
        .hint(format!(
            "check that the registry runs and listens on port {port} (on the registry host: `ss -ltnp 'sport = :{port}'`), that the port is right, and that no firewall rejects it"
        )),
        ConnectOutcome::TimedOut => Finding::new(
            Code::TcpTimeout,
            format!(
                "no answer from {addr} within {} ms: a firewall drops the packets, or the address is wrong",
                first.elapsed_ms
            ),
        )
        .fails_request(facts, go)
        .hint(format!(
            "check the address and open port {port}/tcp between this node and {ip} (firewalld, iptables, security groups); `nc -vz {ip} {port}` tests it"
        )),
        ConnectOutcome::Unreachable(why) | ConnectOutcome::Other(why) => Finding::new(
            Code::TcpUnreachable,
            format!("cannot connect to {addr}: {why}"),
        )
        .fails_request(facts, go)
        .hint(format!("check the route from this node to {ip}: `ip route get {ip}`")),
        ConnectOutcome::Connected => return None,
    })
}

#[cfg(test)]
pub(crate) fn examples() -> Vec<(Facts, Vec<Code>)> {
    use crate::checks::examples::*;
    let ok = with_tcp(facts_for("10.0.0.5:5000"), &[ConnectOutcome::Connected]);
    let refused = with_tcp(facts_for("10.0.0.5:5000"), &[ConnectOutcome::Refused]);
    let timeout = with_tcp(facts_for("10.0.0.5:5000"), &[ConnectOutcome::TimedOut]);
    let unreachable = with_tcp(
        facts_for("10.0.0.5:5000"),
        &[ConnectOutcome::Unreachable("no route to host".into())],
    );
    let partial = with_tcp(
        facts_for("10.0.0.5:5000"),
        &[ConnectOutcome::Refused, ConnectOutcome::Connected],
    );
    vec![
        (ok, vec![]),
        (refused, vec![Code::TcpRefused]),
        (timeout, vec![Code::TcpTimeout]),
        (unreachable, vec![Code::TcpUnreachable]),
        (partial, vec![Code::TcpSomeAddressesFailed]),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::examples::*;

    #[test]
    fn refused_quotes_go_and_names_the_port() {
        let f = with_tcp(facts_for("10.0.0.5:5000"), &[ConnectOutcome::Refused]);
        let out = findings_of(&TcpConnect, &f);
        assert_eq!(
            out[0].client_error.as_deref(),
            Some(
                "Get \"https://10.0.0.5:5000/v2/\": dial tcp 10.0.0.5:5000: connect: connection refused"
            )
        );
        assert!(out[0].hint.as_deref().unwrap().contains("sport = :5000"));
    }
}
