//! Small text helpers shared across layers: edit distance (for "did you mean"), "a, b or
//! c" lists, and spans of time in words.

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
