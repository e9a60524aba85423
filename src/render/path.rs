//! The pull path, drawn: each host the pull reached (how, and its verdict), then the
//! requests in order, with the hop that answered each.

use std::fmt::Write as _;

use super::escape;
use crate::facts::pull::StepKind;
use crate::finding::evidence::{PathStep, PullPath};

/// A short name for a request.
fn step_name(s: StepKind) -> &'static str {
    match s {
        StepKind::ManifestHead => "manifest",
        StepKind::Manifest => "manifest",
        StepKind::Tags => "tags/list",
        StepKind::PlatformManifest => "platform manifest",
        StepKind::ConfigBlob => "config blob",
        StepKind::LayerBlob => "first layer byte",
    }
}

/// What came of a request: its status (and digest), or its error.
fn outcome(s: &PathStep) -> String {
    let mut text = match (s.status, &s.error) {
        (_, Some(e)) => escape(e).into_owned(),
        (Some(code), None) => code.to_string(),
        (None, None) => "no answer".into(),
    };
    match s.digest_ok {
        Some(true) => text.push_str(", digest ok"),
        Some(false) => text.push_str(", DIGEST MISMATCH"),
        None => {}
    }
    text
}

/// The path as indented text lines (for the human report).
pub fn lines(p: &PullPath) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "  {}  platform {}  auth {}",
        escape(&p.image),
        p.platform,
        escape(&p.auth)
    );
    let width = p.hops.iter().map(|h| h.url.len()).max().unwrap_or(0);
    for (i, h) in p.hops.iter().enumerate() {
        let _ = writeln!(
            out,
            "  [{i}] {:<12} {:<width$}  {:<6}  {}",
            h.role_label(),
            escape(&h.url),
            h.via,
            escape(&h.verdict)
        );
    }
    for s in &p.steps {
        let via = if s.redirects.is_empty() {
            String::new()
        } else {
            format!(" after {} redirect(s)", s.redirects.len())
        };
        let _ = writeln!(
            out,
            "      {:<4} {:<18} [{}]{via}  {}",
            s.method,
            step_name(s.step),
            s.hop,
            outcome(s)
        );
    }
    if let Some(why) = &p.stopped {
        let _ = writeln!(out, "      stopped: {}", escape(why));
    }
    out
}

/// The path as Markdown tables (for tickets).
pub fn markdown(p: &PullPath) -> String {
    let cell = |s: &str| escape(s).replace('|', "\\|");
    let mut out = String::new();
    let _ = writeln!(
        out,
        "`{}` — platform {} — auth {}\n",
        cell(&p.image),
        p.platform,
        cell(&p.auth)
    );
    let _ = writeln!(
        out,
        "| # | host | role | via | verdict |\n|---|---|---|---|---|"
    );
    for (i, h) in p.hops.iter().enumerate() {
        let _ = writeln!(
            out,
            "| {i} | `{}` | {} | {} | {} |",
            cell(&h.url),
            h.role_label(),
            h.via,
            cell(&h.verdict)
        );
    }
    let _ = writeln!(out, "\n| request | hop | result |\n|---|---|---|");
    for s in &p.steps {
        let _ = writeln!(
            out,
            "| {} {} | {} | {} |",
            s.method,
            step_name(s.step),
            s.hop,
            cell(&outcome(s))
        );
    }
    if let Some(why) = &p.stopped {
        let _ = writeln!(out, "\nStopped: {}", cell(why));
    }
    out
}
