//! `regdoctor triage`'s human and Markdown text. Everything it shows is in the [`Triage`]
//! (the JSON report carries the same fields). Log lines and hosts come from outside: both
//! renderers show them through [`super::escape`] (the Markdown one through the Markdown
//! report's own helpers), so an escape sequence in a log cannot drive the terminal.

use std::fmt::Write;

use super::escape;
use super::markdown::{cell, code, fenced};
use crate::triage::{Match, Triage};

/// "N known registry errors in M lines".
fn headline(t: &Triage) -> String {
    format!(
        "{} known registry error{} in {} line{}",
        t.matches.len(),
        if t.matches.len() == 1 { "" } else { "s" },
        t.lines,
        if t.lines == 1 { "" } else { "s" }
    )
}

/// The advice when nothing matched.
const NOTHING: &str = "no known registry error signature was found; if a pull still fails, run `regdoctor HOST:PORT --ca ca.crt` against the registry";

/// The match's host, or how many other hosts it gathers.
fn who(m: &Match) -> Option<String> {
    match (&m.host, m.other_hosts) {
        (Some(h), _) => Some(escape(h).into_owned()),
        (None, Some(n)) => Some(format!(
            "and {n} other host{} (the first {} are listed apart)",
            if n == 1 { "" } else { "s" },
            crate::triage::MAX_HOSTS
        )),
        (None, None) => None,
    }
}

/// The triage for a person: each distinct signature with its line, meaning, fix and the
/// command to run next.
pub fn render_human(t: &Triage) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "regdoctor triage — {}: {}",
        escape(&t.source),
        headline(t)
    );
    if t.matches.is_empty() {
        let _ = writeln!(out, "\n{NOTHING}");
        return out;
    }
    for (i, m) in t.matches.iter().enumerate() {
        let code = m.code.map(|c| c.as_str()).unwrap_or(m.signature);
        let host = who(m).map(|h| format!(" · {h}")).unwrap_or_default();
        let _ = writeln!(
            out,
            "\n{}. {code}{host} · {}× · first at line {}",
            i + 1,
            m.count,
            m.first_line
        );
        let _ = writeln!(out, "   > {}", escape(&m.line));
        let _ = writeln!(out, "   meaning: {}", escape(&m.meaning));
        let more = m
            .code
            .map(|c| format!(" (regdoctor explain {c})"))
            .unwrap_or_default();
        let _ = writeln!(out, "   fix: {}{more}", escape(&m.fix));
        let _ = writeln!(out, "   next: {}", escape(&m.command));
        if let Some(note) = m.next.note() {
            let _ = writeln!(out, "         ({note})");
        }
    }
    out
}

/// The triage for a ticket: a table of the signatures, then each with its line in a
/// fenced block, its meaning, fix and next command.
pub fn render_markdown(t: &Triage) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## regdoctor triage: {} — {}\n",
        code(&t.source),
        headline(t)
    );
    if t.matches.is_empty() {
        let _ = writeln!(out, "{}", escape(NOTHING));
        return out;
    }
    let _ = writeln!(
        out,
        "| # | signature | registry | lines | first at line |\n|---|---|---|---|---|"
    );
    for (i, m) in t.matches.iter().enumerate() {
        let host = match (&m.host, who(m)) {
            (Some(h), _) => code(h),
            (None, Some(w)) => cell(&w),
            (None, None) => String::new(),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {host} | {} | {} |",
            i + 1,
            code(m.signature),
            m.count,
            m.first_line
        );
    }
    for (i, m) in t.matches.iter().enumerate() {
        let host = match (&m.host, who(m)) {
            (Some(h), _) => format!(" · {}", code(h)),
            (None, Some(w)) => format!(" · {}", escape(&w)),
            (None, None) => String::new(),
        };
        let _ = writeln!(
            out,
            "\n### {}. {}{host}\n\n{}",
            i + 1,
            code(m.signature),
            fenced("", &m.line)
        );
        let _ = writeln!(out, "**Meaning:** {}\n", escape(&m.meaning));
        let more = m
            .code
            .map(|c| format!(" (`regdoctor explain {c}`)"))
            .unwrap_or_default();
        let _ = writeln!(out, "**Fix:** {}{more}\n", escape(&m.fix));
        let _ = writeln!(out, "**Next:** {}", code(&m.command));
        if let Some(note) = m.next.note() {
            let _ = writeln!(out, "\n{}", escape(note));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_matched_says_so() {
        let t = crate::triage::triage(&mut &b"all good\n"[..], "test").unwrap();
        assert!(render_human(&t).contains("no known registry error"));
        assert!(render_markdown(&t).contains("no known registry error"));
    }

    #[test]
    fn a_match_shows_its_page_and_next_command() {
        let line =
            "Get \"https://10.0.0.5:5000/v2/\": http: server gave HTTP response to HTTPS client\n";
        let t = crate::triage::triage(&mut line.as_bytes(), "test").unwrap();
        let text = render_human(&t);
        assert!(
            text.contains("1. plain_http · 10.0.0.5:5000 · 1× · first at line 1"),
            "{text}"
        );
        assert!(
            text.contains(&format!("   meaning: {}\n", t.matches[0].meaning)),
            "{text}"
        );
        assert!(text.contains("(regdoctor explain plain_http)"), "{text}");
        assert!(
            text.contains("   next: regdoctor 10.0.0.5:5000 --daemon-json /etc/docker/daemon.json"),
            "{text}"
        );
    }

    /// An escape sequence in a log line or a host is shown, not sent, in both formats.
    #[test]
    fn log_text_is_escaped() {
        let line = "Get \"https://evil\u{1b}]0;owned\u{7}:5000/v2/\": x509: certificate signed by unknown authority \u{1b}[2J\u{9b}31m\n";
        let t = crate::triage::triage(&mut line.as_bytes(), "log\u{1b}[1m").unwrap();
        for text in [render_human(&t), render_markdown(&t)] {
            assert!(!text.contains('\u{1b}'), "{text:?}");
            assert!(!text.contains('\u{7}'), "{text:?}");
            assert!(!text.contains('\u{9b}'), "{text:?}");
            assert!(text.contains("\\x1b[2J"), "{text}");
            assert!(text.contains("evil\\x1b]0;owned\\x07:5000"), "{text}");
        }
    }

    #[test]
    fn markdown_has_a_table_and_fenced_lines() {
        let text = "Get \"https://10.0.0.5:5000/v2/\": x509: certificate signed by unknown authority ```|\n";
        let t = crate::triage::triage(&mut text.as_bytes(), "journal").unwrap();
        let md = render_markdown(&t);
        assert!(
            md.starts_with("## regdoctor triage: `journal` — 1 known registry error in 1 line\n"),
            "{md}"
        );
        assert!(
            md.contains("| 1 | `unknown_authority` | `10.0.0.5:5000` | 1 | 1 |"),
            "{md}"
        );
        // The line holds a run of three backticks: the fence is longer.
        assert!(
            md.contains("\n````\nGet \"https://10.0.0.5:5000/v2/\""),
            "{md}"
        );
        assert!(
            md.contains("**Next:** `regdoctor 10.0.0.5:5000 --ca ca.crt`"),
            "{md}"
        );
        assert!(md.contains("ca.crt: the CA certificate (PEM)"), "{md}");
    }

    /// Every suggested command that names a CA file names the same one, and says what it is.
    #[test]
    fn one_ca_file_name_everywhere() {
        let text = "Get \"https://10.0.0.5:5000/v2/\": x509: certificate signed by unknown authority\n\
            2026-01-01 ERROR Failed to pass private registry addition prechecks endpoint: 10.0.0.5:5000\n";
        let t = crate::triage::triage(&mut text.as_bytes(), "log").unwrap();
        let human = render_human(&t);
        assert!(!human.contains("cacert.pem"), "{human}");
        for m in &t.matches {
            if m.command.contains("--ca ") {
                assert!(m.command.contains("--ca ca.crt"), "{}", m.command);
                assert!(m.next.note().unwrap().starts_with("ca.crt: "));
            }
        }
    }
}
