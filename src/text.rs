//! Small text helpers shared across layers: edit distance (for "did you mean"), "a, b or
//! c" lists, spans of time in words, and the one place outside data is cut to size for a
//! message ([`clip`], [`clip_list`]) or an evidence list ([`bounded`]).

use std::borrow::Cow;

/// The most characters of outside data (a key, a realm, a list of names, a server's or a
/// parser's text) that one message quotes; the rest is counted, not shown.
pub const QUOTE_CHARS: usize = 200;

/// The most characters of a finding's message, fix or runtime line, whatever it quotes: a
/// backstop behind [`QUOTE_CHARS`] (see `Finding::new`).
pub const MESSAGE_CHARS: usize = 2000;

/// The most characters of one text an evidence keeps (a key, a header, a line).
pub const EVIDENCE_CHARS: usize = 1000;

/// The most items of a list an evidence keeps; the full count goes beside them.
pub const EVIDENCE_ITEMS: usize = 200;

/// `text` cut to [`QUOTE_CHARS`] characters: `abc… (1234 more characters)`.
pub fn clip(text: &str) -> Cow<'_, str> {
    clip_to(text, QUOTE_CHARS)
}

/// `text` cut to `max` characters, the rest counted: `abc… (1234 more characters)`.
pub fn clip_to(text: &str, max: usize) -> Cow<'_, str> {
    // No more bytes than `max`: no more characters either (the common case, at once).
    if text.len() <= max {
        return Cow::Borrowed(text);
    }
    match text.char_indices().nth(max) {
        None => Cow::Borrowed(text),
        Some((cut, _)) => {
            let more = text[cut..].chars().count();
            Cow::Owned(format!("{}… ({more} more characters)", &text[..cut]))
        }
    }
}

/// Items joined with `sep`, as many as fit in about [`QUOTE_CHARS`] characters (at least
/// one, itself clipped), the rest counted: `a, b, c … (997 more)`.
pub fn clip_list<I>(items: I, sep: &str) -> String
where
    I: IntoIterator,
    I::IntoIter: ExactSizeIterator,
    I::Item: AsRef<str>,
{
    let items = items.into_iter();
    let total = items.len();
    clip_list_of(items, total, sep)
}

/// [`clip_list`] of the first items of a list of `total` (the items given may be only the
/// first few, as an evidence keeps them): the count says how many were not shown.
pub fn clip_list_of<I>(items: I, total: usize, sep: &str) -> String
where
    I: IntoIterator,
    I::Item: AsRef<str>,
{
    let mut out = String::new();
    let mut chars = 0;
    let mut shown = 0;
    for item in items {
        let item = clip(item.as_ref());
        let len = item.chars().count() + if shown == 0 { 0 } else { sep.chars().count() };
        if shown > 0 && chars + len > QUOTE_CHARS {
            break;
        }
        if shown > 0 {
            out.push_str(sep);
        }
        out.push_str(&item);
        chars += len;
        shown += 1;
    }
    if shown < total {
        out.push_str(&format!(" … ({} more)", total - shown));
    }
    out
}

/// A list cut to [`EVIDENCE_ITEMS`] items for an evidence, with how many there were.
pub fn bounded<T>(items: impl IntoIterator<Item = T>) -> (Vec<T>, usize) {
    let mut kept = Vec::new();
    let mut total = 0;
    for item in items {
        if kept.len() < EVIDENCE_ITEMS {
            kept.push(item);
        }
        total += 1;
    }
    (kept, total)
}

/// The Levenshtein edit distance of two strings (in characters).
pub fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// "a, b or c".
pub fn or_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// "N days", "N hours", "N minutes".
pub fn span(secs: i64) -> String {
    let s = secs.unsigned_abs();
    if s >= 2 * 86_400 {
        format!("{} days", s / 86_400)
    } else if s >= 2 * 3600 {
        format!("{} hours", s / 3600)
    } else if s >= 120 {
        format!("{} minutes", s / 60)
    } else {
        format!("{s} seconds")
    }
}

/// `text` with the user information of every URL in it (`scheme://user:password@`)
/// masked as dockerd masks it (`scheme://xxxxx:xxxxx@`): for lines of node files shown in
/// a report (a proxy URL in daemon.json or a unit carries the proxy's password).
pub fn mask_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| c == '/' || c == '"' || c == '\'' || c.is_whitespace() || c == ',')
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(at) => {
                out.push_str(if authority[..at].contains(':') {
                    "xxxxx:xxxxx"
                } else {
                    "xxxxx"
                });
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// `text` cut into lines of at most `width` characters at spaces. A `code span` (between
/// backticks) is never cut, since it is meant to be pasted whole; neither is a word, so a
/// line is longer than `width` only when one word or span is. Runs of spaces between
/// words collapse at a cut; an empty text is one empty line.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    wrap_hanging(text, width, width)
}

/// [`wrap`], with the first line `first` columns wide and the others `width`.
pub fn wrap_hanging(text: &str, first: usize, width: usize) -> Vec<String> {
    // The units that may not be cut: words, with the spaces inside a code span kept.
    let mut units: Vec<&str> = Vec::new();
    let (mut start, mut in_code) = (None::<usize>, false);
    for (i, c) in text.char_indices() {
        if c == '`' {
            in_code = !in_code;
        }
        match (c == ' ' && !in_code, start) {
            (true, Some(s)) => {
                units.push(&text[s..i]);
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        units.push(&text[s..]);
    }
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut len = 0;
    for unit in units {
        let n = unit.chars().count();
        let limit = if lines.is_empty() { first } else { width };
        if len > 0 && len + 1 + n > limit {
            lines.push(std::mem::take(&mut line));
            len = 0;
        }
        if len > 0 {
            line.push(' ');
            len += 1;
        }
        line.push_str(unit);
        len += n;
    }
    lines.push(line);
    lines
}

/// Serialises outside text cut at [`EVIDENCE_CHARS`] (`#[serde(serialize_with)]` on an
/// evidence field): the report keeps what matters of a 300 KB header, not all of it.
pub fn ser_clipped<S: serde::Serializer>(text: &str, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&clip_to(text, EVIDENCE_CHARS))
}

/// [`ser_clipped`] for an optional text.
pub fn ser_clipped_opt<S: serde::Serializer>(
    text: &Option<String>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match text {
        Some(t) => ser_clipped(t, s),
        None => s.serialize_none(),
    }
}

/// Serialises a list of outside texts: the first [`EVIDENCE_ITEMS`], each cut at
/// [`EVIDENCE_CHARS`].
pub fn ser_clipped_list<S: serde::Serializer>(items: &[String], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(items.len().min(EVIDENCE_ITEMS)))?;
    for item in items.iter().take(EVIDENCE_ITEMS) {
        seq.serialize_element(&clip_to(item, EVIDENCE_CHARS))?;
    }
    seq.end()
}

/// Serialises name/value pairs from outside (headers, challenge parameters, registry
/// errors): the first [`EVIDENCE_ITEMS`], each side cut at [`EVIDENCE_CHARS`].
pub fn ser_clipped_pairs<S: serde::Serializer>(
    pairs: &[(String, String)],
    s: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(pairs.len().min(EVIDENCE_ITEMS)))?;
    for (a, b) in pairs.iter().take(EVIDENCE_ITEMS) {
        seq.serialize_element(&(clip_to(a, EVIDENCE_CHARS), clip_to(b, EVIDENCE_CHARS)))?;
    }
    seq.end()
}

#[cfg(test)]
mod clip_tests {
    use super::*;

    #[test]
    fn short_text_is_borrowed_and_long_text_is_counted() {
        assert!(matches!(clip("short"), Cow::Borrowed("short")));
        let long = "é".repeat(1000);
        let c = clip(&long);
        assert!(c.starts_with(&"é".repeat(QUOTE_CHARS)), "{c}");
        assert!(c.ends_with("… (800 more characters)"), "{c}");
    }

    #[test]
    fn lists_name_what_fits_and_count_the_rest() {
        let items: Vec<String> = (0..100_000).map(|i| format!("key-{i}")).collect();
        let c = clip_list(&items, ", ");
        assert!(c.starts_with("key-0, key-1, key-2"), "{c}");
        assert!(c.chars().count() < QUOTE_CHARS + 30, "{c}");
        let shown = c.matches("key-").count();
        assert!(
            c.ends_with(&format!(" … ({} more)", 100_000 - shown)),
            "{c}"
        );
        assert_eq!(clip_list(["a", "b"], ", "), "a, b");
        assert_eq!(clip_list_of(["a", "b"], 10, ", "), "a, b … (8 more)");
        assert_eq!(clip_list(Vec::<String>::new(), ", "), "");
        // One huge item is still shown, clipped.
        let one = clip_list([&"x".repeat(10_000)], ", ");
        assert!(one.ends_with("… (9800 more characters)"), "{one}");
    }

    #[test]
    fn evidence_fields_serialise_cut() {
        #[derive(serde::Serialize)]
        struct E {
            #[serde(serialize_with = "ser_clipped_pairs")]
            headers: Vec<(String, String)>,
            #[serde(serialize_with = "ser_clipped_list")]
            names: Vec<String>,
        }
        let e = E {
            headers: vec![("www-authenticate".into(), "r".repeat(300_000))],
            names: (0..10_000).map(|i| i.to_string()).collect(),
        };
        let json = serde_json::to_string(&e).unwrap();
        assert!(
            json.len() < 3 * EVIDENCE_CHARS + 8 * EVIDENCE_ITEMS,
            "{}",
            json.len()
        );
        assert!(json.contains("(299000 more characters)"));
    }

    #[test]
    fn evidence_lists_keep_their_count() {
        let (kept, total) = bounded(0..100_000);
        assert_eq!((kept.len(), total), (EVIDENCE_ITEMS, 100_000));
        assert_eq!(bounded(0..3), (vec![0, 1, 2], 3));
    }
}

#[cfg(test)]
mod mask_tests {
    use super::wrap;

    #[test]
    fn user_information_is_masked() {
        assert_eq!(
            super::mask_userinfo(
                r#"  "https-proxy": "http://alice:pw@10.0.0.1:3128", "x": "https://h/p""#
            ),
            r#"  "https-proxy": "http://xxxxx:xxxxx@10.0.0.1:3128", "x": "https://h/p""#
        );
        assert_eq!(
            super::mask_userinfo("Environment=HTTPS_PROXY=http://bob@proxy:3128 NO_PROXY=a"),
            "Environment=HTTPS_PROXY=http://xxxxx@proxy:3128 NO_PROXY=a"
        );
        assert_eq!(super::mask_userinfo("no url"), "no url");
    }

    #[test]
    fn wrap_cuts_at_spaces_and_never_inside_a_code_span() {
        assert_eq!(wrap("a bb ccc dddd", 6), ["a bb", "ccc", "dddd"]);
        assert_eq!(wrap("", 10), [""]);
        assert_eq!(
            wrap("averyveryverylongword x", 5),
            ["averyveryverylongword", "x"]
        );
        let text = "run `openssl s_client -connect reg:5000 -showcerts` then retry";
        assert_eq!(
            wrap(text, 20),
            [
                "run",
                "`openssl s_client -connect reg:5000 -showcerts`",
                "then retry"
            ]
        );
        for line in wrap(&"word ".repeat(100), 33) {
            assert!(line.chars().count() <= 33, "{line}");
        }
    }
}
