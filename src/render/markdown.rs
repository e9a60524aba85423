//! Markdown for tickets (GitHub, GitLab, Jira's Markdown): the target and verdict, a table
//! of checks, each problem with the runtime's error and the fix, and the evidence folded
//! in a `<details>` block.

use std::fmt::Write;

use crate::codes::Severity;
use crate::report::{Report, Status};

fn status_cell(s: Status) -> &'static str {
    match s {
        Status::Pass => "✅ pass",
        Status::Warn => "⚠️ warn",
        Status::Fail => "❌ fail",
        Status::Skip => "⏭️ skip",
    }
}

/// Inline code that survives backticks inside it (escaped).
pub(super) fn code(s: &str) -> String {
    let s = super::escape(s);
    if s.contains('`') {
        format!("`` {s} ``")
    } else {
        format!("`{s}`")
    }
}

/// Escapes table-breaking characters, and markup as [`prose`] does.
pub(super) fn cell(s: &str) -> String {
    prose(s).replace('|', "\\|").replace('\n', " ")
}

/// Text for Markdown that may hold `code spans`: the spans are kept as they are (a run of
/// backticks up to the next run of the same length, as CommonMark reads them); elsewhere
/// the characters Markdown would take as markup (`\ * _ [ ] <`) are backslash-escaped,
/// so a `*.example.com` or a `<host>` from a server or a file reads as written. A lone
/// backtick is escaped too.
fn prose(s: &str) -> String {
    let s = super::escape(s);
    let mut out = String::with_capacity(s.len() + 8);
    let mut rest: &str = &s;
    while let Some(c) = rest.chars().next() {
        if c == '`' {
            let run = rest.len() - rest.trim_start_matches('`').len();
            match closing_run(&rest[run..], run) {
                Some(end) => {
                    let span = run + end + run;
                    out.push_str(&rest[..span]);
                    rest = &rest[span..];
                }
                None => {
                    out.push_str(&"\\`".repeat(run));
                    rest = &rest[run..];
                }
            }
            continue;
        }
        // `_` inside a word is never emphasis (TLS13_AES_256): left as written.
        let next = rest[c.len_utf8()..].chars().next();
        let in_word = c == '_'
            && out.chars().last().is_some_and(char::is_alphanumeric)
            && next.is_some_and(char::is_alphanumeric);
        if matches!(c, '\\' | '*' | '_' | '[' | ']' | '<') && !in_word {
            out.push('\\');
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Where in `s` a run of exactly `n` backticks starts.
fn closing_run(s: &str, n: usize) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'`' {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && b[i] == b'`' {
            i += 1;
        }
        if i - start == n {
            return Some(start);
        }
    }
    None
}

/// A fenced block with a fence longer than any run of backticks inside (escaped).
pub(super) fn fenced(lang: &str, body: &str) -> String {
    let body = super::escape(body);
    let mut fence = "```".to_string();
    while body.contains(&fence) {
        fence.push('`');
    }
    format!("{fence}{lang}\n{}\n{fence}\n", body.trim_end())
}

/// Renders the report as Markdown.
pub fn render_markdown(report: &Report) -> String {
    let mut out = String::new();
    let target = if report.target.input.is_empty() {
        "node configuration"
    } else {
        report.target.input.as_str()
    };
    let _ = writeln!(
        out,
        "## regdoctor: {} — **{}**\n",
        code(target),
        report.verdict.as_str().to_uppercase()
    );
    facts_table(&mut out, report);
    runtimes(&mut out, report);
    checks(&mut out, report);
    problems(&mut out, report);
    if let Some(p) = &report.pull {
        let _ = writeln!(out, "\n### Pull path\n\n{}", super::path::markdown(p));
    }
    let evidence = serde_json::to_string_pretty(&report.evidence).unwrap_or_default();
    let _ = writeln!(
        out,
        "\n<details><summary>Evidence: addresses, certificate chain, HTTP exchanges</summary>\n\n{}\n</details>",
        fenced("json", &evidence)
    );
    out
}

/// The table of what was dialled, how, and by which regdoctor.
fn facts_table(out: &mut String, report: &Report) {
    let _ = writeln!(out, "| | |\n|---|---|");
    if let (Some(h), Some(p), Some(s)) = (
        &report.target.host,
        report.target.port,
        report.target.scheme,
    ) {
        let _ = writeln!(out, "| target | {} ({s}) |", code(&format!("{h}:{p}")));
    }
    if let Some(c) = &report.evidence.connected {
        let _ = writeln!(out, "| connected to | {} |", code(c));
    }
    if let Some(tls) = &report.evidence.tls {
        let parts: Vec<&str> = [
            tls.version.as_deref(),
            tls.cipher.as_deref(),
            tls.alpn.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !parts.is_empty() {
            let _ = writeln!(out, "| TLS | {} |", cell(&parts.join(" · ")));
        }
        if let Some(g) = &tls.go_verdict {
            let _ = writeln!(
                out,
                "| Go (Docker/containerd) verdict | {} |",
                cell(&code(g))
            );
        }
    }
    let _ = writeln!(
        out,
        "| fixes for | {} ({}) |",
        report.runtime.name.display_name(),
        cell(&report.runtime.how)
    );
    let _ = writeln!(
        out,
        "| regdoctor | {} · {} · {} ms |\n",
        report.tool.version, report.started_at, report.duration_ms
    );
}

/// Will a pull work, per runtime, and what each will say.
fn runtimes(out: &mut String, report: &Report) {
    let rows = super::runtime::rows(report);
    let _ = writeln!(
        out,
        "### Will a pull work on this node?\n\n| runtime | verdict | root cause | why judged (or not) |\n|---|---|---|---|"
    );
    for r in &rows {
        let v = r.verdict;
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            cell(&r.label),
            match v.verdict {
                Some(verdict) => verdict.as_str().to_uppercase(),
                None => "not judged".into(),
            },
            v.cause.map(|c| code(c.as_str())).unwrap_or_default(),
            cell(&v.why)
        );
    }
    let says: Vec<String> = rows
        .iter()
        .flat_map(|r| r.lines.iter())
        .map(|(who, line)| format!("{:<11} {line}", format!("{who}:")))
        .collect();
    if !says.is_empty() {
        let _ = writeln!(
            out,
            "\n### What the runtime will say\n\n{}",
            fenced("", &says.join("\n"))
        );
    } else {
        out.push('\n');
    }
}

/// One row per check.
fn checks(out: &mut String, report: &Report) {
    let _ = writeln!(
        out,
        "### Checks\n\n| check | status | findings |\n|---|---|---|"
    );
    for c in &report.checks {
        let codes: Vec<String> = c.findings.iter().map(|f| code(f.code.as_str())).collect();
        let detail = match (&c.skip_reason, codes.is_empty()) {
            (Some(why), _) => cell(why),
            (None, false) => codes.join(", "),
            (None, true) => String::new(),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {detail} |",
            code(c.id.as_str()),
            status_cell(c.status)
        );
    }
}

/// Each problem with the runtime's line and its fix.
fn problems(out: &mut String, report: &Report) {
    let problems = report.problems();
    if !problems.is_empty() {
        let _ = writeln!(out, "\n### Problems");
        for (id, f) in problems {
            let mark = if f.severity == Severity::Error {
                "❌"
            } else {
                "⚠️"
            };
            let _ = writeln!(
                out,
                "\n#### {mark} {} ({})\n\n{}\n",
                code(f.code.as_str()),
                id,
                prose(&f.message)
            );
            if let Some(ce) = &f.client_error {
                let _ = writeln!(out, "**The runtime prints:**\n\n{}", fenced("", ce));
            }
            // The prose, then the file's content or the commands as a block to copy.
            if let Some(h) = &f.hint {
                let (text, block) = super::split_fix(h);
                let _ = writeln!(out, "**Fix:** {}\n", prose(text));
                if let Some(block) = block {
                    let _ = writeln!(out, "{}", fenced("", block));
                }
            }
            let _ = writeln!(out, "More: `regdoctor explain {}`", f.code);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{cell, code, prose};

    #[test]
    fn prose_escapes_markup_and_keeps_code_spans() {
        assert_eq!(
            prose("*.example.com and <host>"),
            "\\*.example.com and \\<host>"
        );
        assert_eq!(prose("set config_path [x]"), "set config_path \\[x\\]");
        assert_eq!(prose("GET /v2/_catalog _x_"), "GET /v2/\\_catalog \\_x\\_");
        assert_eq!(prose("run `a_b *c* [d]` now"), "run `a_b *c* [d]` now");
        assert_eq!(prose("`` a`b `` and _"), "`` a`b `` and \\_");
        assert_eq!(prose("a lone ` tick"), "a lone \\` tick");
        assert_eq!(prose("esc \u{1b}[31m"), "esc \\\\x1b\\[31m");
        assert_eq!(cell(&code("a|b")), "`a\\|b`");
    }
}
