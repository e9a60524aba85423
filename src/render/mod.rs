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
/// How to style human output, decided once by the CLI from the terminal and the
/// environment ([`Style::for_output`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    /// Use ANSI colours.
    pub color: bool,
    /// Wrap prose to this many columns (`None`: never wrap).
    pub width: Option<usize>,
    /// Show only ASCII ([`ascii`]): the locale cannot show UTF-8.
    pub ascii: bool,
}

impl Style {
    /// The one decision about how text is shown, from whether stdout is a terminal, the
    /// terminal's width (when it is one) and the environment (`get` reads a variable):
    /// - colour: `color` (`--color`, or auto: a terminal and `NO_COLOR` unset or empty);
    /// - width: `COLUMNS` when it is a number (set on purpose: honoured even in a pipe),
    ///   else the terminal's width, else none (a pipe or a file is never wrapped);
    /// - ASCII: the locale's character type (`LC_ALL`, else `LC_CTYPE`, else `LANG`, the
    ///   first set and not empty, as POSIX reads them; none set is the `C` locale) does
    ///   not name UTF-8.
    pub fn for_output(
        color: bool,
        tty_width: Option<usize>,
        get: &dyn Fn(&str) -> Option<String>,
    ) -> Style {
        let columns = get("COLUMNS").and_then(|c| c.trim().parse::<usize>().ok());
        let width = columns.or(tty_width).filter(|w| *w > 0);
        let ctype = ["LC_ALL", "LC_CTYPE", "LANG"]
            .into_iter()
            .find_map(|k| get(k).filter(|v| !v.is_empty()))
            .unwrap_or_else(|| "C".into())
            .to_ascii_lowercase();
        let utf8 = ctype.contains("utf-8") || ctype.contains("utf8");
        Style {
            color,
            width,
            ascii: !utf8,
        }
    }
}

/// The narrowest column prose is wrapped to: deeper indents are not squeezed further.
pub const MIN_WRAP: usize = 24;

/// `text` on lines of at most `style.width` columns when the text starts at column
/// `first` and its later lines at column `indent` (they are indented by it). Prose is
/// cut at spaces, never inside a word or a `code span`; a line that is a block (a file's
/// content or a command, see [`split_fix`]) is never cut. Without a width, only the
/// indent is added.
pub fn flow(style: &Style, text: &str, first: usize, indent: usize, block: bool) -> String {
    let pad = format!("\n{}", " ".repeat(indent));
    let text = escape(text);
    let text = text.trim_end_matches('\n');
    let Some(width) = style.width else {
        return text.replace('\n', &pad);
    };
    let (prose, rest) = if block { split_fix(text) } else { (text, None) };
    let first_width = width.saturating_sub(first).max(MIN_WRAP);
    let width = width.saturating_sub(indent).max(MIN_WRAP);
    let mut lines = Vec::new();
    for (i, line) in prose.split('\n').enumerate() {
        let w = if i == 0 { first_width } else { width };
        lines.extend(crate::text::wrap_hanging(line, w, width));
    }
    lines.extend(rest.into_iter().flat_map(str::lines).map(str::to_string));
    lines.join(&pad)
}

/// A fix split into its prose (the first line, with inline `code` spans) and its block
/// (the lines after it, verbatim: a file's content or commands), the convention every
/// hint follows ([`crate::finding::Finding::hint`]).
pub fn split_fix(hint: &str) -> (&str, Option<&str>) {
    match hint.split_once('\n') {
        Some((prose, block)) if !block.trim().is_empty() => (prose, Some(block)),
        _ => (hint.trim_end_matches('\n'), None),
    }
}

/// `text` for a locale that cannot show UTF-8: the typographic marks regdoctor prints
/// become their ASCII stand-ins (`—` `-`, `·` `|`, `✗` `x`, `→` `->`, `…` `...`, `≥`
/// `>=`), and any other non-ASCII character (a server's, a file's) is shown as `\u{..}`.
pub fn ascii(text: &str) -> Cow<'_, str> {
    if text.is_ascii() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let stand_in = match c {
            '—' | '–' => "-",
            '·' => "|",
            '✗' | '❌' => "x",
            '✓' | '✅' => "ok",
            '→' => "->",
            '←' => "<-",
            '…' => "...",
            '≥' => ">=",
            '≤' => "<=",
            '≠' => "!=",
            '×' => "x",
            '‘' | '’' => "'",
            '“' | '”' => "\"",
            '\u{a0}' => " ",
            c if c.is_ascii() => {
                out.push(c);
                continue;
            }
            c => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
                continue;
            }
        };
        out.push_str(stand_in);
    }
    Cow::Owned(out)
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

    #[test]
    fn the_locale_and_the_width_are_decided_in_one_place() {
        use super::Style;
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let style = |pairs, tty| Style::for_output(false, tty, &env(pairs));
        assert!(style(&[("LANG", "C")], None).ascii);
        assert!(style(&[], None).ascii, "no locale is the C locale");
        assert!(!style(&[("LANG", "en_US.UTF-8")], None).ascii);
        assert!(!style(&[("LANG", "C.utf8")], None).ascii);
        // LC_ALL wins over LANG, an empty one is not set.
        assert!(style(&[("LC_ALL", "C"), ("LANG", "C.UTF-8")], None).ascii);
        assert!(
            !style(
                &[("LC_ALL", ""), ("LC_CTYPE", "C.UTF-8"), ("LANG", "C")],
                None
            )
            .ascii
        );
        assert_eq!(style(&[], Some(120)).width, Some(120));
        assert_eq!(style(&[("COLUMNS", "60")], Some(120)).width, Some(60));
        assert_eq!(style(&[("COLUMNS", "60")], None).width, Some(60));
        assert_eq!(style(&[("COLUMNS", "wide")], None).width, None);
        assert_eq!(style(&[], None).width, None);
    }

    #[test]
    fn ascii_stand_ins() {
        assert_eq!(super::ascii("a — b · c ✗ → …"), "a - b | c x -> ...");
        assert_eq!(super::ascii("café"), "caf\\u{e9}");
        assert!(matches!(
            super::ascii("plain"),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn flow_wraps_prose_and_keeps_a_block_whole() {
        let style = super::Style {
            width: Some(30),
            ..Default::default()
        };
        let fix = "add to /etc/containers/registries.conf, then restart CRI-O:\n[[registry]]\nlocation = \"a-very-long-registry-name.example.com:5000\"";
        let text = super::flow(&style, fix, 10, 4, true);
        assert_eq!(
            text,
            "add to\n    /etc/containers/registries.conf,\n    then restart CRI-O:\n    [[registry]]\n    location = \"a-very-long-registry-name.example.com:5000\""
        );
        let plain = super::Style::default();
        assert_eq!(super::flow(&plain, "a b\nc", 10, 2, false), "a b\n  c");
    }
}
