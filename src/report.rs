//! The report model: what a run found, as plain serde data. This is the JSON contract
//! (`regdoctor.report/v1`); renderers turn it into text and never add fields of their own.
//!
//! Nothing secret is ever stored here: credentials are a type without `Serialize`.

use serde::Serialize;

use crate::codes::{CheckId, Code, Severity};

/// The schema name and version of the JSON report.
pub const SCHEMA: &str = "regdoctor.report/v1";

/// The result of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Nothing wrong.
    Pass,
    /// Skipped: a prerequisite failed or the input is absent.
    Skip,
    /// Works, with warnings.
    Warn,
    /// The runtime will fail.
    Fail,
}

impl Status {
    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Skip => "skip",
            Status::Warn => "warn",
            Status::Fail => "fail",
        }
    }
}

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

/// One problem (or note) found by a check.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// The stable code.
    pub code: Code,
    /// Always `code.severity()`.
    pub severity: Severity,
    /// One plain sentence with the real values.
    pub message: String,
    /// The exact text the Go-based runtime prints, where there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_error: Option<String>,
    /// The fix, ready to paste.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// The facts the finding was judged on.
    #[serde(skip_serializing_if = "serde_json::Value::is_null")]
    pub evidence: serde_json::Value,
}

impl Finding {
    /// A finding of `code` with its message; the severity comes from the code.
    pub fn new(code: Code, message: impl Into<String>) -> Finding {
        Finding {
            code,
            severity: code.severity(),
            message: message.into(),
            client_error: None,
            hint: None,
            evidence: serde_json::Value::Null,
        }
    }

    /// Adds the fix.
    pub fn hint(mut self, hint: impl Into<String>) -> Finding {
        self.hint = Some(hint.into());
        self
    }

    /// Adds the runtime's error text.
    pub fn client_error(mut self, text: impl Into<String>) -> Finding {
        self.client_error = Some(text.into());
        self
    }

    /// Adds typed evidence.
    pub fn evidence<T: Serialize>(mut self, evidence: &T) -> Finding {
        // A plain data struct of strings and numbers always serialises; Null is harmless.
        self.evidence = serde_json::to_value(evidence).unwrap_or(serde_json::Value::Null);
        self
    }
}

/// The result of one check.
#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    /// The check's id.
    pub id: CheckId,
    /// The check's title.
    pub title: &'static str,
    /// Derived from the worst finding.
    pub status: Status,
    /// Why it was skipped, when it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skip_reason: Option<String>,
    /// What it found.
    pub findings: Vec<Finding>,
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

/// One certificate of the presented chain, as shown in the report.
#[derive(Debug, Clone, Serialize)]
pub struct CertSummary {
    /// Subject distinguished name.
    pub subject: String,
    /// Issuer distinguished name.
    pub issuer: String,
    /// Serial number, hex.
    pub serial: String,
    /// Start of validity, RFC 3339.
    pub not_before: String,
    /// End of validity, RFC 3339.
    pub not_after: String,
    /// SANs, as `DNS:name` and `IP:addr`.
    pub san: Vec<String>,
    /// SHA-256 fingerprint of the DER, hex with colons.
    pub sha256: String,
    /// Key type and size, e.g. "RSA 2048" or "ECDSA P-256".
    pub key: String,
    /// Signature algorithm, Go's name (e.g. "SHA256-RSA", "ECDSA-SHA256").
    pub signature: String,
    /// Whether basicConstraints says CA:TRUE.
    pub is_ca: bool,
    /// Whether subject equals issuer.
    pub self_signed: bool,
    /// The certificate's dates at the time of the run (what the date colour shows).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validity: Option<Validity>,
}

/// A certificate's dates against the time of the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Validity {
    /// Within its dates, for more than 30 days.
    Valid,
    /// Within its dates, for less than 30 days.
    ExpiresSoon,
    /// Past its notAfter.
    Expired,
    /// Before its notBefore.
    NotYetValid,
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
    /// HTTP exchanges.
    pub http: serde_json::Value,
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
    /// Every check, in order.
    pub checks: Vec<CheckResult>,
    /// The facts.
    pub evidence: Evidence,
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
struct HttpEvidenceItem<'a> {
    method: &'a str,
    path: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    headers: &'a [(String, String)],
    #[serde(skip_serializing_if = "str::is_empty")]
    body_excerpt: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

#[derive(Debug, Clone, Serialize)]
struct HttpEvidence<'a> {
    scheme: &'a str,
    version: &'a str,
    exchanges: Vec<HttpEvidenceItem<'a>>,
}

impl Report {
    /// Builds the report from the facts and the check results.
    pub fn from_facts(
        facts: &crate::facts::Facts,
        checks: Vec<CheckResult>,
        started_at: String,
        duration_ms: u64,
    ) -> Report {
        let target = match &facts.target {
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
        };
        let tls = facts.tls.as_ref().map(|t| {
            let (version, cipher, alpn) = match &t.outcome {
                crate::facts::TlsOutcome::Established {
                    version,
                    cipher,
                    alpn,
                } => (Some(version.clone()), Some(cipher.clone()), alpn.clone()),
                _ => (None, None, None),
            };
            TlsEvidence {
                version,
                cipher,
                alpn,
                chain: facts
                    .presented_chain()
                    .iter()
                    .map(|c| c.summary_at(facts.now))
                    .collect(),
                go_verdict: crate::checks::go_prediction(facts),
            }
        });
        let http = facts
            .http
            .as_ref()
            .map(|h| {
                let ev = HttpEvidence {
                    scheme: h.scheme,
                    version: h.version,
                    exchanges: h
                        .exchanges
                        .iter()
                        .map(|e| HttpEvidenceItem {
                            method: &e.method,
                            path: &e.path,
                            status: e.status,
                            headers: &e.headers,
                            body_excerpt: e.body.chars().take(300).collect(),
                            error: e.error.as_deref(),
                        })
                        .collect(),
                };
                serde_json::to_value(ev).unwrap_or(serde_json::Value::Null)
            })
            .unwrap_or(serde_json::Value::Null);
        let verdict = Report::verdict_of(&checks);
        Report {
            schema: SCHEMA,
            tool: Tool::default(),
            target,
            started_at,
            duration_ms,
            verdict,
            runtime: facts.runtime.clone(),
            checks,
            evidence: Evidence {
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
                tls,
                http,
            },
        }
    }
}
