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

#[cfg(test)]
mod mask_tests {
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
}
