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

/// Markdown headings in bold, for a terminal (piped output stays raw Markdown).
pub fn style_headings(page: &str) -> String {
    use owo_colors::OwoColorize;
    page.lines()
        .map(|l| {
            if l.starts_with('#') {
                l.bold().to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
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
