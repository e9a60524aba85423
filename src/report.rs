//! The report model: what a run found, as plain serde data. This is the JSON contract
//! (`regdoctor.report/v1`); renderers turn it into text and never add fields of their own.
//!
//! Nothing secret is ever stored here: credentials are a type without `Serialize`.

use serde::Serialize;

use crate::codes::{CheckId, Code, Severity};
use crate::facts::Runtime;
pub use crate::finding::{CheckResult, Finding, Status};
pub use crate::pki::summary::{CertSummary, Validity};
use crate::runtimes::line::Failure;
use crate::runtimes::{Client, Transport, Verification};

/// The schema name and version of the JSON report.
pub const SCHEMA: &str = "regdoctor.report/v1";

/// The verdict of the whole run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every check passed or was skipped.
    Pass,
    /// At least one warning, no failure.
    Warn,
    /// At least one check failed.
    Fail,
}

impl Verdict {
    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Warn => "warn",
            Verdict::Fail => "fail",
        }
    }

    /// The process exit status for this verdict: 0 pass or warn, 1 fail.
    pub fn exit_code(self) -> u8 {
        match self {
            Verdict::Pass | Verdict::Warn => 0,
            Verdict::Fail => 1,
        }
    }
}

/// Tool identity.
#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    /// Always "regdoctor".
    pub name: &'static str,
    /// The crate version.
    pub version: &'static str,
}

impl Default for Tool {
    fn default() -> Self {
        Tool {
            name: "regdoctor",
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

/// What was diagnosed.
#[derive(Debug, Clone, Serialize)]
pub struct TargetSummary {
    /// The argument as given.
    pub input: String,
    /// The host (name or IP, without brackets).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// The port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// "https" or "http".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheme: Option<&'static str>,
}

/// TLS evidence.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TlsEvidence {
    /// Negotiated version, e.g. "TLSv1.3".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Negotiated cipher suite.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cipher: Option<String>,
    /// Negotiated ALPN protocol.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alpn: Option<String>,
    /// Every certificate the server presented, leaf first, even when it does not verify.
    pub chain: Vec<CertSummary>,
    /// What Go's crypto/x509 would conclude, in its words ("ok" when it verifies).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub go_verdict: Option<String>,
}

/// Everything observed, shared by all checks.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Evidence {
    /// Resolved addresses.
    pub addresses: Vec<String>,
    /// The address the TCP connection was made to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connected: Option<String>,
    /// TLS facts, when a handshake was attempted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsEvidence>,
    /// HTTP exchanges (null when no request was made), keys in alphabetical order.
    #[serde(serialize_with = "crate::finding::sorted_keys")]
    pub http: Option<HttpEvidence>,
}

/// One runtime's answer: will a pull from this registry work with its configuration on
/// this node, and if not, why and what it prints.
#[derive(Debug, Clone, Serialize)]
pub struct RuntimeVerdict {
    /// The runtime (`any` when none was found on the node).
    pub runtime: Runtime,
    /// Whether it was judged.
    pub judged: bool,
    /// Why it was judged, or why not.
    pub why: String,
    /// pass / warn / fail (judged runtimes only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    /// The root cause: the code of the first error that applies to it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<Code>,
    /// The line it prints for that cause.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// For `any`: the line in each runtime's words.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub worded: Vec<WordedLine>,
    /// Its version, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The Go version it was built with, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub go_version: Option<String>,
    /// What it trusts: "the system roots (…) + FILE", or why verification is off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trust: Option<String>,
    /// Go's verdict on the presented chain with that trust ("ok" or Go's error).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub go_verdict: Option<String>,
    /// HTTPS, plain HTTP, or both, and the setting that allows HTTP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transport: Option<Transport>,
    /// The client certificate it presents.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_certificate: Option<String>,
    /// The configuration its client was derived from.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    /// How it reaches the registry when its process has proxy variables: directly (and
    /// why), or through which proxy (user and password masked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route: Option<crate::runtimes::proxy::Route>,
}

/// A line in one runtime's words.
#[derive(Debug, Clone, Serialize)]
pub struct WordedLine {
    /// The runtime.
    pub runtime: Runtime,
    /// Its line.
    pub line: String,
}

/// The finding codes that explain Go's error (in the order Go checks).
fn go_error_codes(e: &crate::pki::GoError) -> &'static [Code] {
    use crate::pki::{GoError, HostnameError};
    match e {
        GoError::UnhandledCriticalExtension { .. } => &[Code::UnhandledCriticalExtension],
        GoError::Expired { not_yet: true, .. } => &[Code::NotYetValid, Code::ChainExpired],
        GoError::Expired { .. } => &[Code::Expired, Code::ChainExpired],
        GoError::Hostname(HostnameError::CnOnly { .. }) => &[Code::CnOnly],
        GoError::Hostname(HostnameError::NoIpSans { .. }) => &[Code::SanIpMissing],
        GoError::Hostname(_) => &[Code::SanMismatch],
        GoError::IncompatibleUsage => &[Code::IncompatibleUsage],
        GoError::NotAuthorizedToSign | GoError::TooManyIntermediates => &[Code::NotACa],
        GoError::UnknownAuthority { .. } | GoError::SignatureLimit => &[
            Code::UnknownAuthority,
            Code::WrongCa,
            Code::MissingIntermediate,
            Code::NotACa,
            Code::WeakSignature,
        ],
    }
}

/// The node-file findings that explain a network failure: what the runtime prints is the
/// network error, and the root cause is in its own files.
fn explanations(code: Code) -> &'static [Code] {
    match code {
        Code::UnknownAuthority | Code::MissingIntermediate => EXPLAINS_UNTRUSTED,
        // A hosts.toml that would allow plain HTTP but is ignored.
        Code::PlainHttp => &[Code::HostsTomlSyntax, Code::HostsTomlInvalid],
        _ => &[],
    }
}

/// Node-file findings that explain why a chain is not trusted.
const EXPLAINS_UNTRUSTED: &[Code] = &[
    Code::CertsDWrongExtension,
    Code::CertsDDirMisnamed,
    Code::CertsDCaMismatch,
    Code::HostsTomlCaMismatch,
    Code::HostsTomlDirMisnamed,
    Code::HostsTomlSyntax,
    Code::HostsTomlInvalid,
    Code::ContainersCertsDShadowed,
    Code::ContainersCertsDCaMismatch,
    Code::ContainersCertsDWrongExtension,
];

/// The check that reads a runtime's own configuration files.
pub fn node_check_runtime(id: CheckId) -> Option<Runtime> {
    match id {
        CheckId::DaemonJson | CheckId::CertsD => Some(Runtime::Docker),
        CheckId::ContainerdHosts => Some(Runtime::Containerd),
        CheckId::ContainersRegistries => Some(Runtime::CriO),
        _ => None,
    }
}

/// The findings that apply to a runtime, root causes first: a daemon that does not start,
/// then the network checks in order, then the node's files.
fn applicable(checks: &[CheckResult], runtime: Runtime) -> Vec<(CheckId, &Finding)> {
    let mut v: Vec<(u8, CheckId, &Finding)> = checks
        .iter()
        .flat_map(|c| {
            let owner = node_check_runtime(c.id);
            c.findings.iter().filter_map(move |f| {
                let mine = match owner {
                    Some(r) => r == runtime || (runtime == Runtime::Karbon && r == Runtime::Docker),
                    None => f.applies_to(runtime),
                };
                let rank = match (&f.failure, owner) {
                    // The runtime fails before any request: dockerd does not start, or
                    // its configuration for the registry is refused.
                    (Some(fl), _)
                        if matches!(
                            fl.step,
                            crate::runtimes::line::Step::DaemonStart
                                | crate::runtimes::line::Step::Config
                                | crate::runtimes::line::Step::Blocked
                        ) =>
                    {
                        0
                    }
                    (_, None) => 1,
                    (_, Some(_)) => 2,
                };
                mine.then_some((rank, c.id, f))
            })
        })
        .collect();
    v.sort_by_key(|(rank, _, _)| *rank);
    v.into_iter().map(|(_, id, f)| (id, f)).collect()
}

impl RuntimeVerdict {
    /// A judged runtime's answer from the check results.
    pub fn judged(
        client: &Client,
        store: Option<&crate::runtimes::trust::Store>,
        system: &str,
        checks: &[CheckResult],
        target: Option<&crate::target::Target>,
    ) -> RuntimeVerdict {
        let all = applicable(checks, client.runtime);
        // A runtime's pull fails on the network checks' errors and on node-file errors
        // that stop it (a failure); other node-file errors (a hosts.toml it silently
        // ignores, a key with no effect) are warnings for the pull's verdict, and may
        // explain a failure below.
        let findings: Vec<(CheckId, &Finding)> = all
            .iter()
            .copied()
            .filter(|(id, f)| {
                node_check_runtime(*id).is_none()
                    || f.failure.is_some()
                    || f.severity != Severity::Error
            })
            .collect();
        let demoted = all.len() > findings.len();
        let worst = findings
            .iter()
            .map(|(_, f)| f.severity)
            .chain(demoted.then_some(Severity::Warning))
            .max();
        let verdict = match worst {
            Some(Severity::Error) => Verdict::Fail,
            Some(Severity::Warning) => Verdict::Warn,
            _ => Verdict::Pass,
        };
        let go_error = store.and_then(|s| s.error());
        let (cause, explained) = root_cause(&all, &findings, go_error);
        let (error, worded) = line_of(client, cause, go_error, target);
        RuntimeVerdict {
            runtime: client.runtime,
            judged: true,
            why: client.judged_because.clone(),
            verdict: Some(verdict),
            cause: explained.or(cause.map(|(_, f)| f.code)),
            error,
            worded,
            version: client.version.clone(),
            go_version: client.go_version.clone(),
            trust: trust_line(client, system, target),
            go_verdict: store.map(|s| match s.error() {
                None => "ok".to_string(),
                Some(e) => e.go_text(),
            }),
            transport: Some(client.transport.clone()),
            client_certificate: client.client_pair.as_ref().map(|p| p.cert.clone()),
            sources: client.sources.clone(),
            route: target
                .filter(|_| !client.proxy.is_empty())
                .map(|t| client.route(t)),
        }
    }

    /// A runtime that was not judged.
    pub fn not_judged(runtime: Runtime, why: &str) -> RuntimeVerdict {
        RuntimeVerdict {
            runtime,
            judged: false,
            why: why.to_string(),
            verdict: None,
            cause: None,
            error: None,
            worded: vec![],
            version: None,
            go_version: None,
            trust: None,
            go_verdict: None,
            transport: None,
            client_certificate: None,
            sources: vec![],
            route: None,
        }
    }
}

/// Whether the cause is a certificate finding, which the runtime prints as Go's single
/// verdict with its own trust store.
fn is_certificate_check(cause: Option<(CheckId, &Finding)>) -> bool {
    matches!(
        cause,
        Some((
            CheckId::CertValidity | CheckId::SanMatchesHost | CheckId::CaChain,
            _
        ))
    )
}

/// The first error that makes the pull fail, and the node-file finding that explains it.
fn root_cause<'a>(
    all: &[(CheckId, &'a Finding)],
    findings: &[(CheckId, &'a Finding)],
    go_error: Option<&crate::pki::GoError>,
) -> (Option<(CheckId, &'a Finding)>, Option<Code>) {
    let cause = findings
        .iter()
        .copied()
        .find(|(_, f)| f.severity == Severity::Error);
    // "Signed by unknown authority" is what the runtime prints; when the runtime's own
    // files say why (a CA under a name it ignores, a misnamed directory, a CA that does
    // not match, a directory that hides the right one), that is the root cause.
    let explained = cause
        .map(|(_, f)| explanations(f.code))
        .and_then(|codes| {
            all.iter()
                .find(|(_, f)| f.severity == Severity::Error && codes.contains(&f.code))
        })
        .map(|(_, f)| f.code);
    // For the certificate checks the runtime prints Go's single verdict with its own
    // trust store (dates, then name, then chain), whichever check explains it.
    // Several certificate findings may apply (an expired leaf without the IP SAN);
    // the runtime stops at Go's first, so that one is the cause.
    let cause = match go_error {
        Some(e) if is_certificate_check(cause) => {
            let wanted = go_error_codes(e);
            findings
                .iter()
                .copied()
                .find(|(_, f)| f.severity == Severity::Error && wanted.contains(&f.code))
                .or(cause)
        }
        _ => cause,
    };
    (cause, explained)
}

/// The line the runtime prints for its cause (for `any`, in each runtime's words).
fn line_of(
    client: &Client,
    cause: Option<(CheckId, &Finding)>,
    go_error: Option<&crate::pki::GoError>,
    target: Option<&crate::target::Target>,
) -> (Option<String>, Vec<WordedLine>) {
    let store_failure = match go_error {
        Some(e) if is_certificate_check(cause) => Some(Failure::verification(e.go_text())),
        _ => None,
    };
    let Some((_, f)) = cause else {
        return (None, vec![]);
    };
    match (
        store_failure.as_ref().or(f.failure.as_ref()),
        client.runtime,
    ) {
        (Some(fl), Runtime::Any) => (
            Some(fl.generic(target)),
            crate::runtimes::line::lines_for_any(fl, target)
                .into_iter()
                .map(|(runtime, line)| WordedLine { runtime, line })
                .collect(),
        ),
        (Some(fl), _) => (
            Some(crate::runtimes::line::line(client, fl, target)),
            vec![],
        ),
        (None, _) => (f.client_error.clone(), vec![]),
    }
}

/// What the runtime trusts: the system roots and its CA files, or why it verifies nothing.
fn trust_line(
    client: &Client,
    system: &str,
    target: Option<&crate::target::Target>,
) -> Option<String> {
    match &client.verification {
        // Offline lint: nothing was dialled, nothing was judged with a trust store.
        _ if target.is_none() => None,
        Verification::Off { origin } => Some(format!("verification off ({origin})")),
        Verification::On { .. } if !client.transport.tls_first() => None,
        Verification::On { cas } => Some(
            std::iter::once(system.to_string())
                .chain(cas.iter().map(|c| c.path.clone()))
                .collect::<Vec<_>>()
                .join(" + "),
        ),
    }
}

/// The whole report for one target.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// Tool identity.
    pub tool: Tool,
    /// What was diagnosed.
    pub target: TargetSummary,
    /// When the run started, RFC 3339 UTC.
    pub started_at: String,
    /// How long it took.
    pub duration_ms: u64,
    /// The overall verdict.
    pub verdict: Verdict,
    /// The runtime the fixes are written for, and how it was chosen.
    pub runtime: crate::facts::RuntimeChoice,
    /// Per runtime: will a pull work, and if not, the line it prints.
    pub runtimes: Vec<RuntimeVerdict>,
    /// Notes about the run itself (a target given twice).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The node this ran on (`--node-name`, `$NODE_NAME` or its host name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// Every check, in order.
    pub checks: Vec<CheckResult>,
    /// The facts.
    pub evidence: Evidence,
    /// The pull path, when the target names an image and the registry answered: each
    /// host (`hops`) with how it was reached and its verdict, and each request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pull: Option<crate::finding::evidence::PullPath>,
}

impl Report {
    /// Every error and warning with the check that found it: errors first, then warnings,
    /// each in check order (the order of a summary).
    pub fn problems(&self) -> Vec<(CheckId, &Finding)> {
        let mut v: Vec<(CheckId, &Finding)> = self
            .checks
            .iter()
            .flat_map(|c| c.findings.iter().map(move |f| (c.id, f)))
            .filter(|(_, f)| f.severity != Severity::Info)
            .collect();
        v.sort_by_key(|(_, f)| std::cmp::Reverse(f.severity));
        v
    }

    /// A check's result by id (every check has one, run or skipped).
    pub fn check(&self, id: CheckId) -> Option<&CheckResult> {
        self.checks.iter().find(|c| c.id == id)
    }

    /// The verdict of a list of check results: the worst status.
    pub fn verdict_of(checks: &[CheckResult]) -> Verdict {
        let worst = checks.iter().map(|c| c.status).max();
        match worst {
            Some(Status::Fail) => Verdict::Fail,
            Some(Status::Warn) => Verdict::Warn,
            _ => Verdict::Pass,
        }
    }
}

/// One HTTP exchange as shown in the report: status and headers, the body only as a
/// short excerpt (registry error bodies hold no secrets; credentials are never sent
/// without verification and are never recorded).
#[derive(Debug, Clone, Serialize)]
pub struct HttpExchangeEvidence {
    /// GET, HEAD.
    pub method: String,
    /// Path and query.
    #[serde(serialize_with = "crate::text::ser_clipped")]
    pub path: String,
    /// The status, when a response arrived.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The kept response headers (each cut at `text::EVIDENCE_CHARS`).
    #[serde(serialize_with = "crate::text::ser_clipped_pairs")]
    pub headers: Vec<(String, String)>,
    /// The first 300 characters of the body.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub body_excerpt: String,
    /// Why no response arrived.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::text::ser_clipped_opt"
    )]
    pub error: Option<String>,
}

/// The HTTP requests made to the registry.
#[derive(Debug, Clone, Serialize)]
pub struct HttpEvidence {
    /// "https" or "http".
    pub scheme: &'static str,
    /// The HTTP version spoken.
    pub version: &'static str,
    /// The exchanges, in order.
    pub exchanges: Vec<HttpExchangeEvidence>,
}

impl Report {
    /// Builds the report from the facts and the checks' assessment.
    pub fn from_facts(
        facts: &crate::facts::Facts,
        assessment: crate::checks::Assessment,
        started_at: String,
        duration_ms: u64,
    ) -> Report {
        let pull = match (&facts.target, &facts.pull) {
            (Ok(t), Some(p)) => Some(crate::finding::evidence::PullPath::of(
                t,
                p,
                facts,
                assessment.clients.judged.first(),
                assessment.trust.headline(),
            )),
            _ => None,
        };
        let mut checks = assessment.results;
        let target_ref = facts.target.as_ref().ok();
        word_client_errors(&mut checks, &assessment.clients, target_ref);
        let mut runtimes: Vec<RuntimeVerdict> = assessment
            .clients
            .judged
            .iter()
            .enumerate()
            .map(|(i, c)| {
                RuntimeVerdict::judged(
                    c,
                    assessment.trust.for_client(i),
                    &assessment.trust.system,
                    &checks,
                    target_ref,
                )
            })
            .collect();
        runtimes.extend(
            assessment
                .clients
                .not_judged
                .iter()
                .map(|n| RuntimeVerdict::not_judged(n.runtime, &n.why)),
        );
        let verdict = runtimes
            .iter()
            .filter_map(|r| r.verdict)
            .max()
            .unwrap_or_else(|| Report::verdict_of(&checks));
        Report {
            schema: SCHEMA,
            tool: Tool::default(),
            target: TargetSummary::of(facts),
            started_at,
            duration_ms,
            verdict,
            runtime: facts.runtime.clone(),
            runtimes,
            notes: vec![],
            node: facts.node_name.clone(),
            checks,
            evidence: Evidence::of(facts, &assessment.trust),
            pull,
        }
    }
}

/// A finding's `client_error` is the line of the first judged runtime it applies to, in
/// that runtime's words and Go version (the generic wording when none was found).
fn word_client_errors(
    checks: &mut [CheckResult],
    clients: &crate::runtimes::Clients,
    target: Option<&crate::target::Target>,
) {
    for c in checks {
        let owner = node_check_runtime(c.id);
        for f in &mut c.findings {
            let Some(failure) = &f.failure else { continue };
            let client = clients.judged.iter().find(|cl| {
                cl.runtime != Runtime::Any
                    && match owner {
                        Some(r) => r == cl.runtime,
                        None => f.applies_to(cl.runtime),
                    }
            });
            if let Some(client) = client {
                f.client_error = Some(crate::runtimes::line::line(client, failure, target));
            }
        }
    }
}

impl TargetSummary {
    /// The target as parsed (empty when it did not parse, or none was given).
    fn of(facts: &crate::facts::Facts) -> TargetSummary {
        match &facts.target {
            Ok(t) => TargetSummary {
                input: t.input.clone(),
                host: Some(t.host.to_string()),
                port: Some(t.port),
                scheme: Some(t.scheme.as_str()),
            },
            Err(_) => TargetSummary {
                input: String::new(),
                host: None,
                port: None,
                scheme: None,
            },
        }
    }
}

impl Evidence {
    /// The shared evidence: addresses, the connection, TLS and HTTP.
    fn of(facts: &crate::facts::Facts, trust: &crate::runtimes::trust::Verdicts) -> Evidence {
        Evidence {
            addresses: facts
                .dns
                .iter()
                .flat_map(|d| d.addresses.iter().map(ToString::to_string))
                .collect(),
            connected: facts
                .tcp
                .as_ref()
                .and_then(|t| t.connected)
                .map(|a| a.to_string()),
            tls: TlsEvidence::of(facts, trust),
            http: http_evidence(facts),
        }
    }
}

impl TlsEvidence {
    /// What the handshake negotiated and the chain presented, when one was attempted.
    fn of(
        facts: &crate::facts::Facts,
        trust: &crate::runtimes::trust::Verdicts,
    ) -> Option<TlsEvidence> {
        let t = facts.tls.as_ref()?;
        let (version, cipher, alpn) = match &t.outcome {
            crate::facts::TlsOutcome::Established {
                version,
                cipher,
                alpn,
            } => (Some(version.clone()), Some(cipher.clone()), alpn.clone()),
            _ => (None, None, None),
        };
        Some(TlsEvidence {
            version,
            cipher,
            alpn,
            chain: facts
                .presented_chain()
                .iter()
                .map(|c| c.summary_at(facts.now))
                .collect(),
            go_verdict: trust.headline(),
        })
    }
}

/// The HTTP exchanges, each with a short excerpt of its body.
fn http_evidence(facts: &crate::facts::Facts) -> Option<HttpEvidence> {
    let h = facts.http.as_ref()?;
    Some(HttpEvidence {
        scheme: h.scheme,
        version: h.version,
        exchanges: h
            .exchanges
            .iter()
            .map(|e| HttpExchangeEvidence {
                method: e.method.clone(),
                path: e.path.clone(),
                status: e.status,
                headers: e.headers.clone(),
                body_excerpt: e.body.chars().take(300).collect(),
                error: e.error.clone(),
            })
            .collect(),
    })
}
