//! The human report: a summary, what the runtime will print, one line per check with its
//! findings and fixes under it, the presented chain, the verdict, and where to read more.

use std::collections::BTreeSet;
use std::fmt::Write;

use owo_colors::OwoColorize;

use super::Style;
use super::chain::render_chain;
use crate::codes::{Code, Severity};
use crate::report::{Report, Status, Verdict};

/// Renders the report for a person.
pub fn render_human(report: &Report, style: &Style) -> String {
    let mut out = String::new();
    let now = time::OffsetDateTime::parse(
        &report.started_at,
        &time::format_description::well_known::Rfc3339,
    )
    .ok()
    .map(|t| t.unix_timestamp());
    let t = &report.target;
    let _ = writeln!(
        out,
        "{} {} — {}",
        paint_bold(style, "regdoctor"),
        report.tool.version,
        t.input
    );
    let mut facts_line = Vec::new();
    if let Some(c) = &report.evidence.connected {
        facts_line.push(format!("connected to {c}"));
    } else if !report.evidence.addresses.is_empty() {
        facts_line.push(format!(
            "resolved to {}",
            report.evidence.addresses.join(", ")
        ));
    }
    if let Some(tls) = &report.evidence.tls {
        if let Some(v) = &tls.version {
            facts_line.push(v.clone());
        }
        if let Some(c) = &tls.cipher {
            facts_line.push(c.clone());
        }
        if let Some(a) = &tls.alpn {
            facts_line.push(format!("ALPN {a}"));
        }
    }
    if !facts_line.is_empty() {
        let _ = writeln!(out, "  {}", facts_line.join(" · "));
    }
    let _ = writeln!(out, "  verdict: {}", paint_verdict(style, report.verdict));
    if let Some(line) = runtime_line(report) {
        let _ = writeln!(
            out,
            "\nYour runtime (Docker, containerd, CRI-O) will print:\n  {line}"
        );
    }
    out.push('\n');
    let width = report
        .checks
        .iter()
        .map(|c| c.id.as_str().len())
        .max()
        .unwrap_or(10);
    for c in &report.checks {
        let _ = writeln!(
            out,
            "{} {:<width$}  {}",
            paint_status(style, c.status),
            c.id.as_str(),
            c.title
        );
        if let Some(why) = &c.skip_reason {
            let _ = writeln!(out, "       {why}");
        }
        for f in &c.findings {
            let label = format!("{}[{}]", f.severity.as_str(), f.code);
            let label = match f.severity {
                Severity::Error => paint_red(style, &label),
                Severity::Warning => paint_yellow(style, &label),
                Severity::Info => label,
            };
            let _ = writeln!(out, "       {label}: {}", f.message);
            if let Some(ce) = &f.client_error {
                let _ = writeln!(out, "         runtime: {ce}");
            }
            if let Some(h) = &f.hint {
                let _ = writeln!(out, "         fix: {h}");
            }
        }
    }
    if let Some(tls) = &report.evidence.tls
        && !tls.chain.is_empty()
    {
        let _ = writeln!(out, "\nCertificate chain presented by the server:");
        out.push_str(&render_chain(&tls.chain, style, now));
    }
    let count = |s: Status| report.checks.iter().filter(|c| c.status == s).count();
    let _ = writeln!(
        out,
        "\nVerdict: {} ({} failed, {} warned, {} passed, {} skipped)",
        paint_verdict(style, report.verdict),
        count(Status::Fail),
        count(Status::Warn),
        count(Status::Pass),
        count(Status::Skip)
    );
    let codes: BTreeSet<Code> = report
        .checks
        .iter()
        .flat_map(|c| &c.findings)
        .filter(|f| f.severity != Severity::Info)
        .map(|f| f.code)
        .collect();
    if !codes.is_empty() {
        let _ = writeln!(out, "\nFor more information:");
        for code in codes {
            let title = crate::checks::by_id(code.check())
                .map(|c| c.title())
                .unwrap_or_default();
            let _ = writeln!(out, "  regdoctor explain {code} -- {title}");
        }
    }
    out
}

/// The one error line the runtime prints: the first failing finding in check order; for
/// the certificate checks, Go's single verdict (dates, then name, then chain).
fn runtime_line(report: &Report) -> Option<&str> {
    use crate::codes::CheckId;
    let go = report
        .evidence
        .tls
        .as_ref()
        .and_then(|t| t.go_verdict.as_deref())
        .filter(|g| *g != "ok");
    for c in &report.checks {
        let cert_check = matches!(
            c.id,
            CheckId::CertValidity | CheckId::SanMatchesHost | CheckId::CaChain
        );
        if cert_check && c.status == Status::Fail && go.is_some() {
            return go;
        }
        if let Some(line) = c
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .find_map(|f| f.client_error.as_deref())
        {
            return Some(line);
        }
    }
    None
}

fn paint_status(style: &Style, s: Status) -> String {
    let text = format!("{:<5}", s.as_str());
    if !style.color {
        return text;
    }
    match s {
        Status::Pass => text.green().to_string(),
        Status::Warn => text.yellow().to_string(),
        Status::Fail => text.red().bold().to_string(),
        Status::Skip => text.dimmed().to_string(),
    }
}

fn paint_verdict(style: &Style, v: Verdict) -> String {
    let text = v.as_str().to_uppercase();
    if !style.color {
        return text;
    }
    match v {
        Verdict::Pass => text.green().bold().to_string(),
        Verdict::Warn => text.yellow().bold().to_string(),
        Verdict::Fail => text.red().bold().to_string(),
    }
}

fn paint_red(style: &Style, s: &str) -> String {
    if style.color {
        s.red().to_string()
    } else {
        s.to_string()
    }
}

fn paint_yellow(style: &Style, s: &str) -> String {
    if style.color {
        s.yellow().to_string()
    } else {
        s.to_string()
    }
}

fn paint_bold(style: &Style, s: &str) -> String {
    if style.color {
        s.bold().to_string()
    } else {
        s.to_string()
    }
}
