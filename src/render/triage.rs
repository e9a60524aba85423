//! `regdoctor triage`'s human text. Everything it shows is in the [`Triage`] (the JSON
//! report carries the same fields).

use std::fmt::Write;

use crate::triage::Triage;

/// The triage for a person: each distinct signature with its line, meaning, fix and the
/// command to run next.
pub fn render_human(t: &Triage) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "regdoctor triage — {}: {} known registry error{} in {} line{}",
        super::escape(&t.source),
        t.matches.len(),
        if t.matches.len() == 1 { "" } else { "s" },
        t.lines,
        if t.lines == 1 { "" } else { "s" }
    );
    if t.matches.is_empty() {
        let _ = writeln!(
            out,
            "\nno known registry error signature was found; if a pull still fails, run `regdoctor HOST:PORT --ca ca.crt` against the registry"
        );
        return out;
    }
    for (i, m) in t.matches.iter().enumerate() {
        let code = m.code.map(|c| c.as_str()).unwrap_or(m.signature);
        let host = m
            .host
            .as_deref()
            .map(|h| format!(" · {h}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "\n{}. {code}{host} · {}× · first at line {}",
            i + 1,
            m.count,
            m.first_line
        );
        let _ = writeln!(out, "   > {}", m.line);
        let _ = writeln!(out, "   meaning: {}", m.meaning);
        let more = m
            .code
            .map(|c| format!(" (regdoctor explain {c})"))
            .unwrap_or_default();
        let _ = writeln!(out, "   fix: {}{more}", m.fix);
        let _ = writeln!(out, "   next: {}", m.command);
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
}
