//! Renderers: pure functions from a [`Report`](crate::report::Report) to text. They never
//! read the environment, the terminal or the clock; colour is decided once in `cli`.

pub mod chain;
pub mod human;
pub mod json;
pub mod markdown;
pub mod path;
pub mod runtime;
pub mod summary;
pub mod triage;

use std::borrow::Cow;

/// Text from outside (a server, a file, a log) made safe for a terminal or a ticket: C0
/// and C1 control characters, DEL and ESC are shown as `\xNN` (a newline stays: the
/// renderers indent it). JSON is left lossless; the human and Markdown renderers escape
/// everything they print through this one function.
pub fn escape(text: &str) -> Cow<'_, str> {
    let bad = |c: char| (c.is_control() && c != '\n') || ('\u{80}'..='\u{9f}').contains(&c);
    if !text.chars().any(bad) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if bad(c) {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}
/// How to style human output.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    /// Use ANSI colours.
    pub color: bool,
}

/// One JSON document per line (for `kubectl logs` and `regdoctor summarize`).
pub fn json_line(report: &crate::report::Report) -> String {
    let mut s = serde_json::to_string(report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn controls_are_shown_not_sent() {
        assert_eq!(super::escape("a\x1b[31mred\u{9b}"), "a\\x1b[31mred\\x9b");
        assert_eq!(super::escape("two\nlines\ttab"), "two\nlines\\x09tab");
        assert!(matches!(
            super::escape("plain"),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
