//! `regdoctor explain <id|code>` and `regdoctor checks`: the pages in `checks/*.md`,
//! compiled into the binary, looked up by check id or by finding code.

use crate::checks::CHECKS;
use crate::codes::{CheckId, Code};

/// Why a name could not be explained.
#[derive(Debug, thiserror::Error)]
#[error("unknown check or code {name:?}{}", suggestion.as_ref().map(|s| format!(" (did you mean {s}?)")).unwrap_or_default())]
pub struct UnknownName {
    /// What was asked.
    pub name: String,
    /// The closest known id or code.
    pub suggestion: Option<String>,
}

/// The page of a check, or the title plus one code's section. Accepts any case, `-` or `_`.
pub fn explain(name: &str) -> Result<String, UnknownName> {
    if let Some(id) = CheckId::parse(name)
        && let Some(check) = crate::checks::by_id(id)
    {
        return Ok(check.doc().to_string());
    }
    if let Some(code) = Code::parse(name)
        && let Some(check) = crate::checks::by_id(code.check())
    {
        let doc = check.doc();
        let title = doc.lines().next().unwrap_or_default();
        let section = code_section(doc, code).unwrap_or_default();
        return Ok(format!("{title}\n\n{section}"));
    }
    Err(UnknownName {
        name: name.to_string(),
        suggestion: closest(name),
    })
}

/// The `### \`code\` (severity)` section of a page, up to the next heading of level ≤ 3.
pub fn code_section(doc: &str, code: Code) -> Option<String> {
    crate::checks::pages::section(doc, code).map(str::to_string)
}

/// A page as plain text for a terminal: headings on their own lines (underlined with `=`
/// and `-` for the first two levels, bold in colour), `**Meaning:**` as `Meaning:`, links as
/// `text (url)`, paragraphs and list items re-flowed to the width (80 when none is known),
/// fenced blocks indented by four and never re-flowed. Inline `code` keeps its backticks:
/// they say where a command starts and ends.
pub fn to_text(page: &str, style: &crate::render::Style) -> String {
    use owo_colors::OwoColorize;
    let width = style.width.unwrap_or(80);
    let bold = |t: &str| {
        if style.color {
            t.bold().to_string()
        } else {
            t.to_string()
        }
    };
    let mut out: Vec<String> = Vec::new();
    let mut para: Vec<&str> = Vec::new();
    let flush = |para: &mut Vec<&str>, out: &mut Vec<String>| {
        if para.is_empty() {
            return;
        }
        // A list item starts a new piece; its later lines hang under its text.
        let mut items: Vec<(usize, String)> = Vec::new();
        for line in para.drain(..) {
            let marker = list_marker(line);
            match (marker, items.last_mut()) {
                (None, Some((_, text))) => {
                    text.push(' ');
                    text.push_str(line.trim());
                }
                _ => items.push((marker.unwrap_or(0), line.trim().to_string())),
            }
        }
        for (hang, text) in items {
            let text = inline(&text, &bold);
            let lines = crate::text::wrap_hanging(&text, width, width.saturating_sub(hang).max(20));
            for (i, l) in lines.into_iter().enumerate() {
                out.push(format!("{}{l}", " ".repeat(if i == 0 { 0 } else { hang })));
            }
        }
        out.push(String::new());
    };
    let mut fence: Option<String> = None;
    for line in page.lines() {
        if let Some(f) = &fence {
            if line.trim_start().starts_with(f.as_str()) {
                fence = None;
                out.push(String::new());
            } else {
                out.push(format!("    {line}"));
            }
            continue;
        }
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") {
            flush(&mut para, &mut out);
            fence = Some(trimmed.chars().take_while(|c| *c == '`').collect());
            continue;
        }
        let level = line.chars().take_while(|c| *c == '#').count();
        if level > 0 && line[level..].starts_with(' ') {
            flush(&mut para, &mut out);
            if out.last().is_some_and(|l| !l.is_empty()) {
                out.push(String::new());
            }
            let title = line[level..].trim().replace('`', "");
            out.push(bold(&title));
            match level {
                1 => out.push("=".repeat(title.chars().count())),
                2 => out.push("-".repeat(title.chars().count())),
                _ => {}
            }
            continue;
        }
        if line.trim().is_empty() {
            flush(&mut para, &mut out);
        } else {
            para.push(line);
        }
    }
    flush(&mut para, &mut out);
    while out.last().is_some_and(String::is_empty) {
        out.pop();
    }
    out.join("\n") + "\n"
}

/// The width of a list item's marker with its space (`- `, `1. `), if the line is one.
fn list_marker(line: &str) -> Option<usize> {
    let t = line.trim_start();
    if t.starts_with("- ") || t.starts_with("* ") {
        return Some(2);
    }
    let digits = t.chars().take_while(char::is_ascii_digit).count();
    (digits > 0 && t[digits..].starts_with(". ")).then_some(digits + 2)
}

/// Inline Markdown as text: `**x**` as x (bold in colour), `[text](url)` as `text (url)`;
/// code spans are left as they are.
fn inline(text: &str, bold: &dyn Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('`') {
            // A code span, copied whole.
            let end = after.find('`').map_or(after.len(), |i| i + 1);
            out.push('`');
            out.push_str(&after[..end]);
            rest = &after[end..];
        } else if let Some(after) = rest.strip_prefix("**")
            && let Some(end) = after.find("**")
        {
            out.push_str(&bold(&after[..end]));
            rest = &after[end + 2..];
        } else if let Some(after) = rest.strip_prefix('[')
            && let Some(close) = after.find("](")
            && let Some(end) = after[close + 2..].find(')')
        {
            let url = &after[close + 2..close + 2 + end];
            out.push_str(&format!("{} ({url})", &after[..close]));
            rest = &after[close + 3 + end..];
        } else {
            let c = rest.chars().next().unwrap_or_default();
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// Every check with its title and codes, one per line.
pub fn list() -> String {
    let id_width = CHECKS
        .iter()
        .map(|c| c.id().as_str().len())
        .max()
        .unwrap_or_default();
    // Two columns in 80: the check, then what it checks and its codes, wrapped.
    let text_width = LIST_WIDTH.saturating_sub(id_width + 2).max(20);
    let mut out = format!("{:<id_width$}  WHAT IT CHECKS / CODES\n", "CHECK");
    for c in CHECKS {
        let codes: Vec<&str> = c.id().codes().map(Code::as_str).collect();
        let mut cells = crate::text::wrap(c.title(), text_width);
        // The codes under "codes: ", continued under the first code.
        let codes = crate::text::wrap(&codes.join(", "), text_width - "codes: ".len());
        cells.extend(
            codes
                .iter()
                .enumerate()
                .map(|(i, l)| format!("{}{l}", if i == 0 { "codes: " } else { "       " })),
        );
        for (i, cell) in cells.iter().enumerate() {
            let id = if i == 0 { c.id().as_str() } else { "" };
            out.push_str(format!("{id:<id_width$}  {cell}").trim_end());
            out.push('\n');
        }
    }
    out
}

/// The width `regdoctor checks` fits in.
pub const LIST_WIDTH: usize = 80;

/// The nearest check or code: one that starts with the name, else one that contains it
/// (`san_ip` → `san_ip_missing`, `cacert` → none of the edit-distance accidents), else by
/// edit distance.
fn closest(name: &str) -> Option<String> {
    let norm = name.to_ascii_lowercase().replace('-', "_");
    let candidates = || {
        CHECKS
            .iter()
            .map(|c| c.id().as_str())
            .chain(Code::ALL.iter().map(|c| c.as_str()))
    };
    let flat = |c: &str| c.replace('-', "_");
    if norm.len() >= 3 {
        let by_prefix = candidates()
            .filter(|c| flat(c).starts_with(&norm))
            .min_by_key(|c| c.len());
        let by_part = || {
            candidates()
                .filter(|c| flat(c).contains(&norm))
                .min_by_key(|c| c.len())
        };
        if let Some(c) = by_prefix.or_else(by_part) {
            return Some(c.to_string());
        }
    }
    candidates()
        .map(|c| (crate::text::levenshtein(&norm, c), c))
        .filter(|(d, c)| *d <= c.len() / 2 + 1)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_prefer_a_prefix_then_a_part() {
        let hint = |n: &str| explain(n).unwrap_err().to_string();
        assert!(
            hint("san_ip").contains("did you mean san_ip_missing?"),
            "{}",
            hint("san_ip")
        );
        assert!(hint("intermediate").contains("did you mean missing_intermediate?"));
        assert!(
            !hint("cacert").contains("did you mean target?"),
            "{}",
            hint("cacert")
        );
    }

    #[test]
    fn ids_and_codes_in_any_spelling() {
        assert!(
            explain("SAN_MATCHES_HOST")
                .unwrap()
                .starts_with("# san-matches-host:")
        );
        let s = explain("San-Ip-Missing").unwrap();
        assert!(s.starts_with("# san-matches-host:"));
        assert!(s.contains("### `san_ip_missing` (error)"));
        assert!(!s.contains("### `san_mismatch`"));
    }

    #[test]
    fn a_page_as_text_has_headings_and_no_markdown_marks() {
        let style = crate::render::Style {
            width: Some(60),
            ..Default::default()
        };
        let text = to_text(&explain("san_ip_missing").unwrap(), &style);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "san-matches-host: the certificate is valid for the dialled name or IP"
        );
        assert!(
            lines[1].starts_with("====") && lines[1].len() == lines[0].len(),
            "{text}"
        );
        assert!(lines.contains(&"san_ip_missing (error)"), "{text}");
        assert!(!text.contains("**"), "{text}");
        assert!(!text.contains('#'), "{text}");
        assert!(text.contains("Meaning: you dialled an IP"), "{text}");
        // Code spans are kept whole, even past the width.
        assert!(text.contains("`tls: failed to verify certificate: x509: cannot validate certificate for 10.0.0.5 because it doesn't contain any IP SANs`"), "{text}");
        // Headings are not cut; prose is, except inside a code span.
        for l in &lines[2..] {
            assert!(l.chars().count() <= 60 || l.contains('`'), "{l}");
        }
        // Every page renders, lists hang under their text, links become text (url).
        for check in CHECKS {
            let t = to_text(check.doc(), &style);
            assert!(
                !t.contains("**") && !t.contains("```"),
                "{}",
                check.id().as_str()
            );
        }
        let pull = to_text(crate::checks::by_id(CheckId::Pull).unwrap().doc(), &style);
        assert!(pull.contains("\n1. a token for"), "{pull}");
        let proxy = to_text(crate::checks::by_id(CheckId::Proxy).unwrap().doc(), &style);
        assert!(
            proxy.contains("docs/proxy.md (../docs/proxy.md)"),
            "{proxy}"
        );
    }

    #[test]
    fn unknown_names_suggest_the_closest() {
        let e = explain("san_ip_mising").unwrap_err();
        assert_eq!(e.suggestion.as_deref(), Some("san_ip_missing"));
        assert!(
            explain("zzzzzzzzzzzzzzzzzzzzzzz")
                .unwrap_err()
                .suggestion
                .is_none()
        );
    }
}
