//! Checks: pure functions of [`Facts`]. Each has a stable id, a page in `checks/<id>.md`
//! (embedded, printed by `regdoctor explain`), and emits findings with stable codes.
//!
//! The runner here handles prerequisites (a check whose prerequisite failed or was
//! skipped is skipped, saying why) and derives each status from the worst severity.
//! Checks never do I/O, never read the environment and never read the clock.

mod ca_chain;
mod ca_file;
mod catalog;
mod cert_validity;
mod certs_d;
mod containerd_hosts;
mod containers_registries;
mod credentials;
mod daemon_json;
mod daemon_json_keys;
pub(crate) mod hints;
pub(crate) mod insecure;
mod node_common;
mod registry_api;
mod san_matches_host;
mod target;
mod tcp_connect;
mod tls_handshake;

use crate::codes::{CheckId, Severity};
use crate::facts::Facts;
use crate::report::{CheckResult, Finding, Status};

/// What a check returns.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Zero or more findings (none = pass).
    Findings(Vec<Finding>),
    /// The check's own input is absent; the reason says what.
    Skip(String),
}

/// One check.
pub trait Check: Sync {
    /// The stable id.
    fn id(&self) -> CheckId;
    /// A one-line title.
    fn title(&self) -> &'static str;
    /// The embedded `checks/<id>.md`.
    fn doc(&self) -> &'static str;
    /// Checks that must pass (or warn) for this one to run.
    fn needs(&self) -> &'static [CheckId] {
        &[]
    }
    /// Whether the check needs a probed target (skipped when only node files are linted).
    fn network(&self) -> bool {
        true
    }
    /// Judges the facts.
    fn run(&self, facts: &Facts) -> Outcome;
}

/// Every check, in the order they run.
pub static CHECKS: &[&dyn Check] = &[
    &target::Target,
    &tcp_connect::TcpConnect,
    &tls_handshake::TlsHandshake,
    &ca_file::CaFile,
    &cert_validity::CertValidity,
    &san_matches_host::SanMatchesHost,
    &ca_chain::CaChain,
    &registry_api::RegistryApi,
    &catalog::Catalog,
    &credentials::Credentials,
    &daemon_json::DaemonJson,
    &certs_d::CertsD,
    &containerd_hosts::ContainerdHosts,
    &containers_registries::ContainersRegistries,
];

/// Looks a check up by id.
pub fn by_id(id: CheckId) -> Option<&'static dyn Check> {
    CHECKS.iter().copied().find(|c| c.id() == id)
}

/// Runs every check in order.
pub fn run_all(facts: &Facts) -> Vec<CheckResult> {
    let mut results: Vec<CheckResult> = Vec::new();
    for check in CHECKS {
        let blocked = check.needs().iter().find_map(|need| {
            results
                .iter()
                .find(|r| r.id == *need)
                .filter(|r| matches!(r.status, Status::Fail | Status::Skip))
                .map(|r| (r.id, r.status))
        });
        let outcome = match blocked {
            _ if facts.offline && check.network() => {
                Outcome::Skip("no target given: only this node's configuration was checked".into())
            }
            Some((id, status)) => Outcome::Skip(format!(
                "skipped because {id} {}",
                if status == Status::Fail {
                    "failed"
                } else {
                    "was skipped"
                }
            )),
            None => check.run(facts),
        };
        results.push(result_of(*check, outcome));
    }
    results
}

fn result_of(check: &dyn Check, outcome: Outcome) -> CheckResult {
    match outcome {
        Outcome::Skip(why) => CheckResult {
            id: check.id(),
            title: check.title(),
            status: Status::Skip,
            skip_reason: Some(why),
            findings: vec![],
        },
        Outcome::Findings(findings) => {
            let status = match findings.iter().map(|f| f.severity).max() {
                Some(Severity::Error) => Status::Fail,
                Some(Severity::Warning) => Status::Warn,
                _ => Status::Pass,
            };
            CheckResult {
                id: check.id(),
                title: check.title(),
                status,
                skip_reason: None,
                findings,
            }
        }
    }
}

/// The single line Go would print for the presented chain (dates, then host name, then
/// chain), wrapped as Docker's `/v2/` ping wraps it; "ok" when Go accepts it.
pub fn go_prediction(facts: &Facts) -> Option<String> {
    let raw: &[Vec<u8>] = facts
        .tls
        .as_ref()
        .map(|t| t.chain.as_slice())
        .unwrap_or(&[]);
    for der in raw {
        if let Err(why) = crate::pki::Cert::parse(der) {
            return Some(go_get(
                facts,
                &format!("tls: failed to parse certificate from server: x509: {why}"),
            ));
        }
    }
    let chain = facts.presented_chain();
    if chain.is_empty() {
        return None;
    }
    let host = facts.target.as_ref().ok().map(|t| &t.host);
    let (roots, _) = facts.trust_roots();
    Some(
        match crate::pki::verify(&chain, &roots, host, facts.now).error {
            None => "ok".into(),
            Some(e) => go_get(facts, &e.tls_text()),
        },
    )
}

/// `Get "https://host:port/v2/": <cause>`: how Docker's /v2/ ping wraps an error.
pub(crate) fn go_get(facts: &Facts, cause: &str) -> String {
    match &facts.target {
        Ok(t) => format!("Get \"{}\": {cause}", t.v2_url()),
        Err(_) => cause.to_string(),
    }
}

/// "a, b or c".
pub(crate) fn or_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// "N days", "N hours", "N minutes".
pub(crate) fn span(secs: i64) -> String {
    let s = secs.unsigned_abs();
    if s >= 2 * 86_400 {
        format!("{} days", s / 86_400)
    } else if s >= 2 * 3600 {
        format!("{} hours", s / 3600)
    } else if s >= 120 {
        format!("{} minutes", s / 60)
    } else {
        format!("{s} seconds")
    }
}

#[cfg(test)]
pub(crate) mod examples;

#[cfg(test)]
mod tests;
