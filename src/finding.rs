//! A finding: what a check emits — a stable code, a message with the real values, the
//! runtime's line, the fix, the evidence, the runtimes it applies to and the failure as
//! data — and a check's result. Below the checks, so that they can build findings without
//! knowing the report.

pub mod evidence;

use serde::Serialize;

pub use self::evidence::Evidence;
use crate::codes::{CheckId, Code, Severity};
use crate::facts::Runtime;
use crate::runtimes::Client;
use crate::runtimes::line::Failure;

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
    /// The fix, ready to paste: one line of prose with commands as inline `code` spans;
    /// when a file's content or commands must be given whole, the prose ends with `:` and
    /// the lines after it are that block, verbatim (the renderers show it as a code block
    /// and never wrap it; see `render::split_fix`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// The facts the finding was judged on.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "sorted_keys"
    )]
    pub evidence: Option<Box<Evidence>>,
    /// The runtimes it applies to (empty: every judged runtime).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub runtimes: Vec<Runtime>,
    /// The failure as data, from which each runtime's line is worded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
}

impl Finding {
    /// A finding of `code` with its message; the severity comes from the code. Each text
    /// of a finding (message, runtime line, fix) is capped at `text::MESSAGE_CHARS`: the
    /// outside data it quotes is cut at `text::QUOTE_CHARS` where it is quoted, and this
    /// is the backstop.
    pub fn new(code: Code, message: impl Into<String>) -> Finding {
        Finding {
            code,
            severity: code.severity(),
            message: capped(message.into()),
            client_error: None,
            hint: None,
            evidence: None,
            runtimes: vec![],
            failure: None,
        }
    }

    /// The failure a runtime hits; `client_error` gets its generic wording (Docker's,
    /// current Go) unless one was set.
    pub fn fails(mut self, failure: Failure, target: Option<&crate::target::Target>) -> Finding {
        if self.client_error.is_none() {
            self.client_error = Some(capped(failure.generic(target)));
        }
        self.failure = Some(failure);
        self
    }

    /// The failure, with `client_error` in the words of the runtime whose files it is about.
    pub fn fails_for(
        mut self,
        runtime: Runtime,
        failure: Failure,
        target: Option<&crate::target::Target>,
    ) -> Finding {
        let client = Client::default_for(runtime, "");
        self.client_error = Some(capped(crate::runtimes::line::line(
            &client, &failure, target,
        )));
        self.failure = Some(failure);
        self
    }

    /// The failure at the runtime's first request (`Get "https://h/v2/": cause` for Docker).
    pub fn fails_request(self, facts: &crate::facts::Facts, cause: impl Into<String>) -> Finding {
        self.fails(Failure::request(cause), facts.target.as_ref().ok())
    }

    /// A certificate-verification failure at the runtime's first request.
    pub fn fails_verification(
        self,
        facts: &crate::facts::Facts,
        x509: impl Into<String>,
    ) -> Finding {
        self.fails(Failure::verification(x509), facts.target.as_ref().ok())
    }

    /// dockerd does not start: this is its line.
    pub fn stops_dockerd(self, line: impl Into<String>) -> Finding {
        let line = capped(line.into());
        Finding {
            client_error: Some(line.clone()),
            failure: Some(Failure::at(crate::runtimes::line::Step::DaemonStart, line)),
            ..self
        }
    }

    /// Limits the finding to these runtimes.
    pub fn for_runtimes(mut self, runtimes: Vec<Runtime>) -> Finding {
        self.runtimes = runtimes;
        self
    }

    /// Whether it applies to a runtime.
    pub fn applies_to(&self, runtime: Runtime) -> bool {
        self.runtimes.is_empty() || self.runtimes.contains(&runtime)
    }

    /// Adds the fix.
    pub fn hint(mut self, hint: impl Into<String>) -> Finding {
        self.hint = Some(capped(hint.into()));
        self
    }

    /// Adds the runtime's error text.
    pub fn client_error(mut self, text: impl Into<String>) -> Finding {
        self.client_error = Some(capped(text.into()));
        self
    }

    /// Adds the evidence.
    pub fn evidence(mut self, evidence: impl Into<Evidence>) -> Finding {
        self.evidence = Some(Box::new(evidence.into()));
        self
    }
}

/// A finding's text cut at `text::MESSAGE_CHARS` (kept as it is when shorter).
fn capped(text: String) -> String {
    match crate::text::clip_to(&text, crate::text::MESSAGE_CHARS) {
        std::borrow::Cow::Borrowed(_) => text,
        std::borrow::Cow::Owned(cut) => cut,
    }
}

/// Serialises a value with the keys of every object in alphabetical order, as the
/// report has always printed evidence (it used to be held as a `serde_json::Value`, whose
/// maps are sorted): the JSON stays byte for byte what it was.
pub(crate) fn sorted_keys<T: Serialize, S: serde::Serializer>(
    value: &T,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serde_json::to_value(value)
        .map_err(serde::ser::Error::custom)?
        .serialize(serializer)
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
