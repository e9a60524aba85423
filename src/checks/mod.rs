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
pub(crate) mod hints;
mod node_common;
pub mod pages;
mod proxy;
mod pull;
mod registry_api;
mod san_matches_host;
mod target;
mod tcp_connect;
mod tls_handshake;

use crate::codes::{CheckId, Severity};
use crate::facts::{Facts, Runtime};
use crate::finding::{CheckResult, Finding, Status};
use crate::runtimes::{Client, Clients, trust};

/// What every check judges: the facts, each judged runtime's effective client (derived
/// once from the node's files), and Go's verdict for each distinct trust store (computed
/// once). Dereferences to the facts.
#[derive(Debug, Clone)]
pub struct Basis<'a> {
    /// The facts.
    pub facts: &'a Facts,
    /// The runtimes judged, and those not.
    pub clients: Clients,
    /// Go's verdicts, per judged client.
    pub trust: trust::Verdicts,
}

impl std::ops::Deref for Basis<'_> {
    type Target = Facts;
    fn deref(&self) -> &Facts {
        self.facts
    }
}

impl<'a> Basis<'a> {
    /// Derives the clients and their verdicts from the facts.
    pub fn new(facts: &'a Facts) -> Basis<'a> {
        let clients = crate::runtimes::derive(facts);
        let trust = trust::evaluate(facts, &clients);
        Basis {
            facts,
            clients,
            trust,
        }
    }

    /// Every judged client with its index.
    pub fn judged(&self) -> impl Iterator<Item = (usize, &Client)> {
        self.clients.judged.iter().enumerate()
    }

    /// The judged runtimes matching a predicate on the client and its trust store.
    pub fn runtimes_where(
        &self,
        pred: impl Fn(&Client, Option<&trust::Store>) -> bool,
    ) -> Vec<Runtime> {
        self.judged()
            .filter(|(i, c)| pred(c, self.trust.for_client(*i)))
            .map(|(_, c)| c.runtime)
            .collect()
    }

    /// The runtimes a finding about clients matching `pred` applies to: None when no judged
    /// client matches (no finding), an empty list when every one does (it applies to all),
    /// else the matching runtimes.
    pub fn scope(&self, pred: impl Fn(&Client) -> bool) -> Option<Vec<Runtime>> {
        let all = self.clients.judged.len();
        let matching: Vec<Runtime> = self
            .clients
            .judged
            .iter()
            .filter(|c| pred(c))
            .map(|c| c.runtime)
            .collect();
        match matching.len() {
            0 => None,
            n if n == all => Some(vec![]),
            _ => Some(matching),
        }
    }

    /// The judged clients that speak TLS first.
    pub fn tls_scope(&self) -> Option<Vec<Runtime>> {
        self.scope(|c| c.transport.tls_first())
    }

    /// The judged clients that connect to the registry directly, not through a proxy.
    pub fn direct_scope(&self) -> Option<Vec<Runtime>> {
        let Ok(t) = &self.facts.target else {
            return Some(vec![]);
        };
        self.scope(|c| c.route(t).proxy().is_none())
    }

    /// The judged clients that verify certificates (and speak TLS first), and see the
    /// chain presented directly (not another one, re-signed by an intercepting proxy: the
    /// proxy check judges that one).
    pub fn verify_scope(&self) -> Option<Vec<Runtime>> {
        self.scope(|c| c.verifies() && c.transport.tls_first() && !self.intercepted_for(c))
    }

    /// Whether the client goes through a proxy that presents another leaf certificate than
    /// the registry presents directly.
    pub fn intercepted_for(&self, c: &Client) -> bool {
        let (Ok(t), None) = (&self.facts.target, &self.facts.registry_via) else {
            return false;
        };
        let route = c.route(t);
        let Some(proxy) = route.proxy() else {
            return false;
        };
        let through = self
            .facts
            .proxied
            .iter()
            .find(|p| p.proxy == *proxy)
            .and_then(|p| p.tls())
            .and_then(|t| t.chain.first());
        let direct = self.facts.tls.as_ref().and_then(|t| t.chain.first());
        matches!((through, direct), (Some(a), Some(b)) if a != b)
    }

    /// The judged client of a runtime.
    pub fn client(&self, runtime: Runtime) -> Option<(usize, &Client)> {
        self.judged().find(|(_, c)| c.runtime == runtime)
    }

    /// The runtimes a fix is written for: those of the finding's scope (all judged ones
    /// when empty), in the flavour `--runtime` asked for (Karbon for Docker), and the
    /// guessed runtime when none was found on the node.
    pub fn hint_runtimes(&self, scope: &[Runtime]) -> Vec<Runtime> {
        let judged: Vec<Runtime> = if scope.is_empty() {
            self.clients.judged.iter().map(|c| c.runtime).collect()
        } else {
            scope.to_vec()
        };
        judged
            .into_iter()
            .map(|r| match r {
                Runtime::Any => self.facts.runtime.name,
                Runtime::Docker if self.facts.runtime.name == Runtime::Karbon => Runtime::Karbon,
                r => r,
            })
            .collect()
    }

    /// A runtime's client: the judged one, or derived here (its files were named, or found
    /// on a node where no runtime was).
    pub fn client_of(&self, runtime: Runtime) -> Client {
        if let Some((_, c)) = self.client(runtime) {
            return c.clone();
        }
        match runtime {
            Runtime::Docker | Runtime::Karbon => {
                crate::runtimes::docker::client(self.facts, String::new())
            }
            Runtime::Containerd => crate::runtimes::containerd::client(self.facts, String::new()),
            Runtime::CriO => crate::runtimes::containers::client(self.facts, String::new()),
            Runtime::Any => Client::default_for(Runtime::Any, String::new()),
        }
    }

    /// Why a runtime's own files are not checked, when it is not judged.
    pub fn not_judged_reason(&self, runtime: Runtime) -> Option<String> {
        // With no runtime found, every file there is (or that was named) is checked.
        if self.judges(runtime) || self.judges(Runtime::Any) {
            return None;
        }
        Some(
            self.clients
                .not_judged
                .iter()
                .find(|n| n.runtime == runtime)
                .map(|n| format!("{} is not judged: {}", runtime.display_name(), n.why))
                .unwrap_or_else(|| format!("{} is not judged", runtime.display_name())),
        )
    }

    /// Whether a runtime is judged in this run.
    pub fn judges(&self, runtime: Runtime) -> bool {
        self.clients.judged.iter().any(|c| c.runtime == runtime)
    }
}

/// The checks' results, with what they were judged on.
#[derive(Debug, Clone)]
pub struct Assessment {
    /// Every check, in order.
    pub results: Vec<CheckResult>,
    /// The runtimes judged, and those not.
    pub clients: Clients,
    /// Go's verdicts.
    pub trust: trust::Verdicts,
}

/// What a check returns.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Zero or more findings (none = pass).
    Findings(Vec<Finding>),
    /// The check's own input is absent; the reason says what.
    Skip(String),
    /// Skipped, with a note (info) that says why and carries evidence.
    SkipNoted(Finding),
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
    fn run(&self, facts: &Basis<'_>) -> Outcome;
}

/// Every check, in the order they run.
pub static CHECKS: &[&dyn Check] = &[
    &target::Target,
    &tcp_connect::TcpConnect,
    &proxy::Proxy,
    &tls_handshake::TlsHandshake,
    &ca_file::CaFile,
    &cert_validity::CertValidity,
    &san_matches_host::SanMatchesHost,
    &ca_chain::CaChain,
    &registry_api::RegistryApi,
    &catalog::Catalog,
    &credentials::Credentials,
    &pull::Pull,
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
pub fn run_all(facts: &Facts) -> Assessment {
    let basis = Basis::new(facts);
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
            None => check.run(&basis),
        };
        results.push(result_of(*check, outcome));
    }
    Assessment {
        results,
        clients: basis.clients,
        trust: basis.trust,
    }
}

fn result_of(check: &dyn Check, outcome: Outcome) -> CheckResult {
    match outcome {
        Outcome::SkipNoted(note) => CheckResult {
            id: check.id(),
            title: check.title(),
            status: Status::Skip,
            skip_reason: Some(note.message.clone()),
            findings: vec![note],
        },
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

/// Certificate-verification errors apply only to the runtimes that verify (and speak TLS):
/// scoped to them, and dropped when none does (ca-chain's `tls_verification_off` says so).
/// Warnings and notes stay for every runtime.
pub(crate) fn to_verifiers(facts: &Basis<'_>, findings: Vec<Finding>) -> Vec<Finding> {
    let scope = facts.verify_scope();
    findings
        .into_iter()
        .filter_map(|f| {
            let verification = match f.code.check() {
                CheckId::SanMatchesHost | CheckId::CaChain => true,
                CheckId::CertValidity => matches!(
                    f.code,
                    crate::codes::Code::Expired
                        | crate::codes::Code::NotYetValid
                        | crate::codes::Code::WeakSignature
                ),
                _ => false,
            };
            if f.severity != Severity::Error || !verification || !f.runtimes.is_empty() {
                return Some(f);
            }
            scope.clone().map(|s| f.for_runtimes(s))
        })
        .collect()
}

/// Whether the credentials given were accepted by the registry (Basic or Bearer).
pub(crate) fn credentials_worked(facts: &Facts) -> bool {
    use crate::facts::CredentialOutcome;
    match facts.credentials.as_ref().map(|c| &c.outcome) {
        Some(CredentialOutcome::Basic { v2, .. }) => v2.status == Some(200),
        Some(CredentialOutcome::Bearer(flow)) => {
            flow.v2.as_ref().and_then(|e| e.status) == Some(200)
        }
        _ => false,
    }
}

pub(crate) use crate::text::{or_list, span};

#[cfg(test)]
pub(crate) mod examples;

#[cfg(test)]
mod tests;
