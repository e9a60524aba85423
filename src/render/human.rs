//! The human report: a summary (problems first), what each runtime will print, one block
//! per check with its findings and fixes, the presented chain, the verdict, and where to
//! read more.

use std::collections::BTreeSet;
use std::fmt::Write;

use owo_colors::OwoColorize;

use super::chain::render_chain;
use super::{Style, flow};
use crate::codes::{Code, Severity};
use crate::report::{Finding, Report, Status, Verdict};

/// Renders the report for a person.
pub fn render_human(report: &Report, style: &Style) -> String {
    let mut out = String::new();
    header(&mut out, report, style);
    summary(&mut out, report, style);
    runtimes(&mut out, report, style);
    let _ = writeln!(out, "\nChecks:");
    let width = report
        .checks
        .iter()
        .map(|c| c.id.as_str().len())
        .max()
        .unwrap_or(10);
    let mut i = 0;
    while i < report.checks.len() {
        let c = &report.checks[i];
        // Three or more checks skipped for the same reason share one line.
        let run = report.checks[i..]
            .iter()
            .take_while(|d| d.status == Status::Skip && d.skip_reason == c.skip_reason)
            .count();
        if c.status == Status::Skip && run >= 3 {
            let ids: Vec<&str> = report.checks[i..i + run]
                .iter()
                .map(|d| d.id.as_str())
                .collect();
            let _ = writeln!(
                out,
                "  {} {}",
                paint_status(style, Status::Skip),
                ids.join(", ")
            );
            let why = c.skip_reason.as_deref().unwrap_or_default();
            let _ = writeln!(out, "         {}", flow(style, why, 9, 9, false));
            i += run;
            continue;
        }
        let detail = c.skip_reason.as_deref().unwrap_or(c.title);
        let column = 2 + 5 + 1 + width + 2;
        let _ = writeln!(
            out,
            "  {} {:<width$}  {}",
            paint_status(style, c.status),
            c.id.as_str(),
            flow(style, detail, column, column, false)
        );
        for f in &c.findings {
            finding(&mut out, f, style);
        }
        i += 1;
    }
    if let Some(tls) = &report.evidence.tls
        && !tls.chain.is_empty()
    {
        let _ = writeln!(out, "\nCertificate chain presented by the server:");
        out.push_str(&render_chain(&tls.chain, style));
    }
    if let Some(p) = &report.pull {
        let _ = writeln!(
            out,
            "\nPull path (hosts, then requests; [n] is the host that answered):"
        );
        out.push_str(&super::path::lines(p));
    }
    let _ = writeln!(
        out,
        "\nVerdict: {} ({})",
        paint_verdict(style, report.verdict),
        counts(report)
    );
    more_information(&mut out, report);
    out
}

/// `regdoctor explain CODE` for each problem's code, with its check's title.
fn more_information(out: &mut String, report: &Report) {
    let codes: BTreeSet<Code> = report.problems().into_iter().map(|(_, f)| f.code).collect();
    if codes.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nFor more information:");
    for code in codes {
        let title = report
            .check(code.check())
            .map(|c| c.title)
            .unwrap_or_default();
        let _ = writeln!(out, "  regdoctor explain {code} -- {title}");
    }
}

/// Will a pull work, per runtime: its verdict and root cause, the line it prints, what it
/// trusts; then the runtimes not judged, with why.
fn runtimes(out: &mut String, report: &Report, style: &Style) {
    let rows = super::runtime::rows(report);
    let _ = writeln!(out, "\nWill a pull work on this node?");
    let width = rows.iter().map(|r| r.label.len()).max().unwrap_or(0);
    for r in &rows {
        let v = r.verdict;
        match v.verdict {
            Some(verdict) => {
                let cause = v.cause.map(|c| format!("  {c}")).unwrap_or_default();
                let _ = writeln!(
                    out,
                    "  {:<width$}  {}{cause}",
                    r.label,
                    paint_verdict(style, verdict)
                );
                for (who, line) in &r.lines {
                    let _ = writeln!(out, "      {:<11} {}", format!("{who}:"), indent(line, 18));
                }
                if let Some(trust) = &v.trust {
                    let _ = writeln!(
                        out,
                        "      trusts:     {}",
                        flow(style, trust, 18, 18, false)
                    );
                }
                if let Some(route) = &v.route {
                    let route = route.describe();
                    let _ = writeln!(
                        out,
                        "      proxy:      {}",
                        flow(style, &route, 18, 18, false)
                    );
                }
                let _ = writeln!(
                    out,
                    "      judged:     {}",
                    flow(style, &v.why, 18, 18, false)
                );
            }
            None => {
                let column = 2 + width + 2 + "not judged: ".len();
                let why = flow(style, &v.why, column, column, false);
                let _ = writeln!(out, "  {:<width$}  not judged: {why}", r.label);
            }
        }
    }
}

fn header(out: &mut String, report: &Report, style: &Style) {
    let t = &report.target;
    let mut parts = Vec::new();
    if t.input.is_empty() {
        parts.push("node configuration only (no target)".to_string());
    } else {
        parts.push(t.input.clone());
    }
    if let Some(c) = &report.evidence.connected {
        parts.push(format!("connected to {c}"));
    } else if !report.evidence.addresses.is_empty() {
        parts.push(format!(
            "resolved to {}",
            report.evidence.addresses.join(", ")
        ));
    }
    if let Some(tls) = &report.evidence.tls {
        if let Some(v) = &tls.version {
            parts.push(v.clone());
        }
        if let Some(a) = &tls.alpn {
            parts.push(format!("ALPN {a}"));
        }
    }
    let _ = writeln!(
        out,
        "{} {} — {} · verdict {}",
        paint_bold(style, "regdoctor"),
        report.tool.version,
        parts.join(" · "),
        paint_verdict(style, report.verdict)
    );
    let fixes = format!(
        "fixes are written for {} ({})",
        runtime_name(report),
        report.runtime.how
    );
    let _ = writeln!(out, "  {}", flow(style, &fixes, 2, 4, false));
}

fn runtime_name(report: &Report) -> &'static str {
    report.runtime.name.display_name()
}

fn counts(report: &Report) -> String {
    let count = |s: Status| report.checks.iter().filter(|c| c.status == s).count();
    format!(
        "{} failed, {} warned, {} passed, {} skipped",
        count(Status::Fail),
        count(Status::Warn),
        count(Status::Pass),
        count(Status::Skip)
    )
}

fn summary(out: &mut String, report: &Report, style: &Style) {
    let problems: Vec<&Finding> = report.problems().into_iter().map(|(_, f)| f).collect();
    let _ = writeln!(out, "\nSummary: {}", counts(report));
    if problems.is_empty() {
        let _ = writeln!(out, "  no problems found");
    }
    let width = problems
        .iter()
        .map(|f| f.code.as_str().len())
        .max()
        .unwrap_or(0);
    for f in problems {
        let mark = match f.severity {
            Severity::Error => paint_red(style, "✗"),
            _ => paint_yellow(style, "!"),
        };
        let column = 2 + 1 + 1 + width + 2;
        let message = flow(style, &f.message, column, column, false);
        let _ = writeln!(out, "  {mark} {:<width$}  {message}", f.code.as_str());
    }
}

fn finding(out: &mut String, f: &Finding, style: &Style) {
    let label = format!("{}[{}]", f.severity.as_str(), f.code);
    let label_width = label.chars().count();
    let label = match f.severity {
        Severity::Error => paint_red(style, &label),
        Severity::Warning => paint_yellow(style, &label),
        Severity::Info => label,
    };
    let first = 9 + label_width + 2;
    let _ = writeln!(
        out,
        "         {label}: {}",
        flow(style, &f.message, first, 11, false)
    );
    // The runtime's words are quoted whole, never wrapped: they are what to search for.
    if let Some(ce) = &f.client_error {
        let _ = writeln!(out, "           runtime: {}", indent(ce, 20));
    }
    if let Some(h) = &f.hint {
        let _ = writeln!(out, "           fix: {}", flow(style, h, 16, 16, true));
    }
}

/// A text over several lines (a runtime's multi-line error) with its later lines
/// indented by `n`, so the report's layout holds.
/// Outside text (a server's words, a file's keys) is escaped first: no terminal control
/// sequence reaches the screen.
fn indent(text: &str, n: usize) -> String {
    super::escape(text)
        .trim_end_matches('\n')
        .replace('\n', &format!("\n{}", " ".repeat(n)))
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

/// One line per target: `host:port  FAIL  san_ip_missing` (the root cause of the first
/// runtime that fails, else of the first that warns).
pub fn summary_lines(reports: &[Report], style: &Style) -> String {
    let width = reports
        .iter()
        .map(|r| r.target.input.len())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for r in reports {
        let cause = r
            .runtimes
            .iter()
            .filter(|v| v.verdict == Some(r.verdict))
            .find_map(|v| v.cause)
            .or_else(|| r.problems().first().map(|(_, f)| f.code))
            .map(|c| c.as_str())
            .unwrap_or("");
        let _ = writeln!(
            out,
            "{:<width$}  {}  {cause}",
            r.target.input,
            paint_verdict(style, r.verdict)
        )
        .map(|_| ());
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn outside_text_reaches_the_terminal_escaped() {
        assert_eq!(
            super::indent("repo \x1b[31mred\x1b[0m\nnext", 2),
            "repo \\x1b[31mred\\x1b[0m\n  next"
        );
    }

    #[test]
    fn a_multi_line_runtime_error_keeps_the_layout() {
        let line = "reading manifest v1: errors:\ndenied: requested access to the resource is denied\nunauthorized: authentication required\n";
        assert_eq!(
            super::indent(line, 4),
            "reading manifest v1: errors:\n    denied: requested access to the resource is denied\n    unauthorized: authentication required"
        );
    }
}
