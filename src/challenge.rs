//! Parses `WWW-Authenticate` challenges (RFC 7235): `Basic realm="Registry Realm"`,
//! `Bearer realm="https://auth/token",service="registry",scope="repository:a:pull"`.
//! Several challenges may share one header. Pure; never fails: garbage yields what could
//! be read.

use serde::Serialize;

/// One challenge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Challenge {
    /// The scheme, lower-cased ("basic", "bearer").
    pub scheme: String,
    /// Parameters in order, names lower-cased, values unquoted and unescaped (each cut
    /// when serialised: a report quotes a 300 KB realm in part).
    #[serde(serialize_with = "crate::text::ser_clipped_pairs")]
    pub params: Vec<(String, String)>,
}

impl Challenge {
    /// A parameter by (case-insensitive) name.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// "Basic" or "Bearer", as people write it.
    pub fn scheme_name(&self) -> String {
        let mut c = self.scheme.chars();
        match c.next() {
            Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
            None => String::new(),
        }
    }
}

fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~/:=".contains(c) && c != '='
}

struct Lexer<'a> {
    s: &'a [u8],
    i: usize,
}

impl Lexer<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }
    fn skip_ws_commas(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b',')) {
            self.i += 1;
        }
    }
    fn token(&mut self) -> String {
        let start = self.i;
        while self.peek().is_some_and(|b| is_tchar(b as char)) {
            self.i += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.i]).into_owned()
    }
    fn quoted(&mut self) -> String {
        // At the opening quote.
        self.i += 1;
        let mut out = Vec::new();
        while let Some(b) = self.peek() {
            self.i += 1;
            match b {
                b'"' => break,
                b'\\' => {
                    if let Some(n) = self.peek() {
                        out.push(n);
                        self.i += 1;
                    }
                }
                _ => out.push(b),
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    fn value(&mut self) -> String {
        if self.peek() == Some(b'"') {
            return self.quoted();
        }
        let start = self.i;
        while self
            .peek()
            .is_some_and(|b| b != b',' && b != b' ' && b != b'\t')
        {
            self.i += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.i]).into_owned()
    }
    /// Whether a `name =` follows at the current position (so it is a parameter, not a
    /// new challenge's scheme).
    fn param_follows(&self) -> bool {
        let mut j = self.i;
        while self.s.get(j).is_some_and(|b| is_tchar(*b as char)) {
            j += 1;
        }
        if j == self.i {
            return false;
        }
        while matches!(self.s.get(j), Some(b' ' | b'\t')) {
            j += 1;
        }
        self.s.get(j) == Some(&b'=')
    }
}

/// Parses every challenge in a header value.
pub fn parse(header: &str) -> Vec<Challenge> {
    let mut lx = Lexer {
        s: header.as_bytes(),
        i: 0,
    };
    let mut out = Vec::new();
    loop {
        lx.skip_ws_commas();
        if lx.peek().is_none() {
            break;
        }
        let scheme = lx.token();
        if scheme.is_empty() {
            // Not a token: skip one byte and try again.
            lx.i += 1;
            continue;
        }
        let mut ch = Challenge {
            scheme: scheme.to_ascii_lowercase(),
            params: Vec::new(),
        };
        lx.skip_ws();
        loop {
            lx.skip_ws_commas();
            if !lx.param_follows() {
                // token68 (e.g. `Negotiate abc==`) or the next challenge.
                if lx.peek().is_some() && ch.params.is_empty() && !lx.token_then_param_or_end() {
                    let v = lx.value();
                    ch.params.push((String::new(), v));
                    continue;
                }
                break;
            }
            let name = lx.token().to_ascii_lowercase();
            lx.skip_ws();
            lx.i += 1; // '='
            lx.skip_ws();
            let v = lx.value();
            ch.params.push((name, v));
        }
        out.push(ch);
    }
    out
}

impl Lexer<'_> {
    /// After a scheme: does the next thing look like the start of another challenge
    /// (a token followed by a space and a parameter, or by the end)?
    fn token_then_param_or_end(&self) -> bool {
        let mut j = self.i;
        while self.s.get(j).is_some_and(|b| is_tchar(*b as char)) {
            j += 1;
        }
        j > self.i
            && matches!(self.s.get(j), None | Some(b' ' | b'\t'))
            && self.s[self.i..j].iter().all(|b| b.is_ascii_alphabetic())
            && j < self.s.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_realm() {
        let c = parse(r#"Basic realm="Registry Realm""#);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].scheme, "basic");
        assert_eq!(c[0].param("realm"), Some("Registry Realm"));
    }

    #[test]
    fn bearer_with_commas_inside_quotes() {
        let c = parse(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push""#,
        );
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].scheme_name(), "Bearer");
        assert_eq!(c[0].param("realm"), Some("https://auth.docker.io/token"));
        assert_eq!(c[0].param("service"), Some("registry.docker.io"));
        assert_eq!(
            c[0].param("scope"),
            Some("repository:samalba/my-app:pull,push")
        );
    }

    #[test]
    fn escapes_and_case() {
        let c = parse(r#"BEARER Realm="a \"quoted\" realm\\x", error="insufficient_scope""#);
        assert_eq!(c[0].scheme, "bearer");
        assert_eq!(c[0].param("realm"), Some(r#"a "quoted" realm\x"#));
        assert_eq!(c[0].param("ERROR"), Some("insufficient_scope"));
    }

    #[test]
    fn several_challenges_in_one_header() {
        let c = parse(r#"Basic realm="a", Bearer realm="https://t/token", service="s""#);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].param("realm"), Some("a"));
        assert_eq!(c[1].scheme, "bearer");
        assert_eq!(c[1].param("service"), Some("s"));
    }

    #[test]
    fn unquoted_values_and_spaces_around_equals() {
        let c = parse("Basic realm = simple , charset=UTF-8");
        assert_eq!(c[0].param("realm"), Some("simple"));
        assert_eq!(c[0].param("charset"), Some("UTF-8"));
    }

    #[test]
    fn garbage_does_not_panic() {
        for g in [
            "",
            ",,,",
            "=",
            "\"",
            "Basic realm=\"unterminated",
            "Bearer ,=,\"",
            "\u{1F600} x=y",
            "Negotiate abc==",
        ] {
            let _ = parse(g);
        }
        assert_eq!(
            parse("Basic realm=\"unterminated")[0].param("realm"),
            Some("unterminated")
        );
        assert!(parse("").is_empty());
    }
}
