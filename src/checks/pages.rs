//! The check pages (`checks/<id>.md`, embedded through [`Check::doc`](super::Check::doc)):
//! a code's section, and its labelled paragraphs ("**Meaning:**", "**How to fix:**"), so
//! that other texts (triage) quote the page instead of repeating it.

use crate::codes::Code;

/// The `### \`code\` (severity)` section of a page, up to the next heading of level ≤ 3.
pub fn section(doc: &str, code: Code) -> Option<&str> {
    let head = format!("### `{}`", code.as_str());
    let start = doc.find(&head)?;
    let rest = &doc[start..];
    let end = rest[head.len()..]
        .find("\n## ")
        .into_iter()
        .chain(rest[head.len()..].find("\n### "))
        .min()
        .map(|i| i + head.len() + 1)
        .unwrap_or(rest.len());
    Some(rest[..end].trim_end())
}

/// The paragraph of a code's section that starts with `**{label}:**`, its lines joined
/// into one, without the label and without a final period.
pub fn paragraph(code: Code, label: &str) -> Option<String> {
    let doc = super::by_id(code.check())?.doc();
    let section = section(doc, code)?;
    let marker = format!("**{label}:**");
    let start = section.find(&marker)? + marker.len();
    let text = &section[start..];
    let text = text.split("\n\n").next().unwrap_or_default();
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    Some(joined.strip_suffix('.').unwrap_or(&joined).to_string())
}

/// What a code means, from its page.
pub fn meaning(code: Code) -> Option<String> {
    paragraph(code, "Meaning")
}

/// How to fix it, from its page.
pub fn fix(code: Code) -> Option<String> {
    paragraph(code, "How to fix")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_are_joined_and_stop_at_the_blank_line() {
        let m = meaning(Code::UnknownAuthority).unwrap();
        assert!(m.starts_with("no chain to a trusted CA"), "{m}");
        assert!(!m.contains('\n') && !m.ends_with('.'));
        let f = fix(Code::UnknownAuthority).unwrap();
        assert!(f.starts_with("install the CA on every node"), "{f}");
        assert!(!f.contains("signature check attempts"), "{f}");
    }
}
