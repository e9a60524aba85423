//! A small JSON parser for configuration files that keeps what serde_json drops: the line
//! and column of every key and value, every duplicate key, and — on a syntax error — the
//! error in Go's `encoding/json` words (what dockerd prints) together with everything
//! parsed before it, so the rest of a broken file can still be checked. Pure.

/// A position in the text, 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Pos {
    /// Line, from 1.
    pub line: usize,
    /// Column (in characters), from 1.
    pub col: usize,
}

/// A JSON value with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    /// Where the value starts.
    pub pos: Pos,
    /// The value.
    pub kind: Kind,
}

/// The kinds of JSON values.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// null.
    Null,
    /// true / false.
    Bool(bool),
    /// A number, as written.
    Number(String),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object: members in file order, duplicates kept.
    Object(Vec<Member>),
}

impl Kind {
    /// Go's name for the JSON type in "cannot unmarshal X into ...".
    pub fn go_json_type(&self) -> &'static str {
        match self {
            Kind::Null => "null",
            Kind::Bool(_) => "bool",
            Kind::Number(_) => "number",
            Kind::String(_) => "string",
            Kind::Array(_) => "array",
            Kind::Object(_) => "object",
        }
    }
}

/// An object member.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// The key.
    pub key: String,
    /// Where the key is.
    pub key_pos: Pos,
    /// The value.
    pub value: Value,
}

/// A syntax error, in Go's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// Go's `encoding/json` message, e.g. "unexpected end of JSON input".
    pub message: String,
    /// Where.
    pub pos: Pos,
    /// The byte offset (Go reports "offset N" for some errors).
    pub offset: usize,
}

/// The result of a parse: the value as far as it could be read, and the first error.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// The top-level value (partial when there was an error).
    pub value: Option<Value>,
    /// The first syntax error.
    pub error: Option<SyntaxError>,
    /// For an unclosed object or array at the end: where it was opened.
    pub unclosed: Option<(char, Pos)>,
}

/// Nesting deeper than this is refused (a configuration file never needs it, and the
/// parser is recursive).
pub const MAX_DEPTH: usize = 256;

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    error: Option<SyntaxError>,
    open: Vec<(char, Pos)>,
    at: At,
}

/// The last position computed: its byte offset, line and column.
#[derive(Debug, Clone, Copy)]
struct At {
    offset: usize,
    line: usize,
    col: usize,
}

impl Default for At {
    fn default() -> At {
        At {
            offset: 0,
            line: 1,
            col: 1,
        }
    }
}

/// Go's `quoteChar`.
fn quote_char(c: char) -> String {
    match c {
        '\'' => "'\\''".into(),
        '"' => "'\"'".into(),
        _ => {
            let q = format!("{c:?}");
            format!("'{}'", &q[1..q.len() - 1])
        }
    }
}

impl Parser<'_> {
    /// The position of byte `i`. Positions are asked for in increasing order, so each
    /// call scans only the bytes since the last one: linear over the file (it scanned from
    /// the start every time, quadratic with 100,000 keys).
    fn pos_at(&mut self, i: usize) -> Pos {
        let i = i.min(self.s.len());
        if i < self.at.offset {
            self.at = At::default();
        }
        let mut at = self.at;
        for &b in &self.s[at.offset..i] {
            if b == b'\n' {
                at.line += 1;
                at.col = 1;
            } else if b & 0xC0 != 0x80 {
                // A character starts here (not a UTF-8 continuation byte).
                at.col += 1;
            }
        }
        at.offset = i;
        self.at = at;
        Pos {
            line: at.line,
            col: at.col,
        }
    }

    fn fail(&mut self, message: String) {
        if self.error.is_none() {
            self.error = Some(SyntaxError {
                message,
                pos: self.pos_at(self.i),
                offset: self.i,
            });
        }
    }

    fn fail_here(&mut self, context: &str) {
        match self.current_char() {
            None => self.fail("unexpected end of JSON input".into()),
            Some(c) => self.fail(format!("invalid character {} {context}", quote_char(c))),
        }
    }

    fn current_char(&self) -> Option<char> {
        let rest = &self.s[self.i.min(self.s.len())..];
        let text = String::from_utf8_lossy(&rest[..rest.len().min(4)]).into_owned();
        text.chars().next()
    }

    fn skip_ws(&mut self) {
        while matches!(self.s.get(self.i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn value(&mut self, context: &str) -> Option<Value> {
        self.skip_ws();
        let pos = self.pos_at(self.i);
        let kind = match self.s.get(self.i) {
            None => {
                self.fail("unexpected end of JSON input".into());
                return None;
            }
            Some(b'{' | b'[') if self.open.len() >= MAX_DEPTH => {
                self.fail(format!("nesting deeper than {MAX_DEPTH} levels"));
                return None;
            }
            Some(b'{') => self.object(pos)?,
            Some(b'[') => self.array(pos)?,
            Some(b'"') => Kind::String(self.string()?),
            Some(b't') => self.literal("true", Kind::Bool(true))?,
            Some(b'f') => self.literal("false", Kind::Bool(false))?,
            Some(b'n') => self.literal("null", Kind::Null)?,
            Some(b'-' | b'0'..=b'9') => self.number()?,
            Some(_) => {
                self.fail_here(context);
                return None;
            }
        };
        Some(Value { pos, kind })
    }

    fn literal(&mut self, word: &str, kind: Kind) -> Option<Kind> {
        for (k, expected) in word.bytes().enumerate() {
            match self.s.get(self.i) {
                Some(b) if *b == expected => self.i += 1,
                _ => {
                    if k == 0 {
                        self.fail_here("looking for beginning of value");
                    } else {
                        let ctx = format!(
                            "in literal {word} (expecting {})",
                            quote_char(expected as char)
                        );
                        self.fail_here(&ctx);
                    }
                    return None;
                }
            }
        }
        Some(kind)
    }

    fn number(&mut self) -> Option<Kind> {
        let start = self.i;
        if self.s.get(self.i) == Some(&b'-') {
            self.i += 1;
        }
        let digits = |p: &mut Self| {
            let st = p.i;
            while p.s.get(p.i).is_some_and(u8::is_ascii_digit) {
                p.i += 1;
            }
            p.i > st
        };
        // A leading 0 stands alone (Go then fails on the next digit: "after top-level
        // value", "after array element"...).
        match self.s.get(self.i) {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                digits(self);
            }
            _ => {
                self.fail_here("in numeric literal");
                return None;
            }
        }
        if self.s.get(self.i) == Some(&b'.') {
            self.i += 1;
            if !digits(self) {
                self.fail_here("after decimal point in numeric literal");
                return None;
            }
        }
        if matches!(self.s.get(self.i), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.s.get(self.i), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if !digits(self) {
                self.fail_here("in exponent of numeric literal");
                return None;
            }
        }
        Some(Kind::Number(
            String::from_utf8_lossy(&self.s[start..self.i]).into_owned(),
        ))
    }

    fn string(&mut self) -> Option<String> {
        self.i += 1; // opening quote
        let mut out = Vec::new();
        loop {
            match self.s.get(self.i) {
                None => {
                    self.fail("unexpected end of JSON input".into());
                    return None;
                }
                Some(b'"') => {
                    self.i += 1;
                    return Some(String::from_utf8_lossy(&out).into_owned());
                }
                Some(b'\\') => {
                    self.i += 1;
                    match self.s.get(self.i) {
                        Some(b'"') => out.push(b'"'),
                        Some(b'\\') => out.push(b'\\'),
                        Some(b'/') => out.push(b'/'),
                        Some(b'b') => out.push(8),
                        Some(b'f') => out.push(12),
                        Some(b'n') => out.push(b'\n'),
                        Some(b'r') => out.push(b'\r'),
                        Some(b't') => out.push(b'\t'),
                        Some(b'u') => {
                            let Some(cp) = self.hex4(self.i + 1) else {
                                // Go names the first character that is not a hex digit.
                                self.i += 1;
                                while self.s.get(self.i).is_some_and(u8::is_ascii_hexdigit) {
                                    self.i += 1;
                                }
                                self.fail_here("in \\u hexadecimal character escape");
                                return None;
                            };
                            self.i += 4;
                            // Go joins a surrogate pair; any other surrogate is U+FFFD.
                            let c = match cp {
                                0xD800..=0xDBFF => match self.low_surrogate(self.i + 1) {
                                    Some(lo) => {
                                        self.i += 6;
                                        char::from_u32(
                                            0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00),
                                        )
                                    }
                                    None => None,
                                },
                                _ => char::from_u32(cp),
                            };
                            let c = c.unwrap_or('\u{fffd}');
                            out.extend_from_slice(c.to_string().as_bytes());
                        }
                        _ => {
                            self.fail_here("in string escape code");
                            return None;
                        }
                    }
                    self.i += 1;
                }
                Some(b) if *b < 0x20 => {
                    self.fail_here("in string literal");
                    return None;
                }
                Some(b) => {
                    out.push(*b);
                    self.i += 1;
                }
            }
        }
    }

    /// Four hex digits at `at` (exactly: no sign, as Go's `getu4`).
    fn hex4(&self, at: usize) -> Option<u32> {
        let h = self.s.get(at..at + 4)?;
        if !h.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()
    }

    /// A `\uDC00`..`\uDFFF` escape at `at`: the second half of a surrogate pair.
    fn low_surrogate(&self, at: usize) -> Option<u32> {
        if self.s.get(at..at + 2)? != b"\\u" {
            return None;
        }
        self.hex4(at + 2)
            .filter(|lo| (0xDC00..=0xDFFF).contains(lo))
    }

    fn object(&mut self, pos: Pos) -> Option<Kind> {
        self.i += 1;
        self.open.push(('{', pos));
        let mut members = Vec::new();
        self.skip_ws();
        if self.s.get(self.i) == Some(&b'}') {
            self.i += 1;
            self.open.pop();
            return Some(Kind::Object(members));
        }
        loop {
            self.skip_ws();
            if self.s.get(self.i) != Some(&b'"') {
                self.fail_here("looking for beginning of object key string");
                return self.partial(Kind::Object(members));
            }
            let key_pos = self.pos_at(self.i);
            let Some(key) = self.string() else {
                return self.partial(Kind::Object(members));
            };
            self.skip_ws();
            if self.s.get(self.i) != Some(&b':') {
                self.fail_here("after object key");
                return self.partial(Kind::Object(members));
            }
            self.i += 1;
            let Some(value) = self.value("looking for beginning of value") else {
                return self.partial(Kind::Object(members));
            };
            members.push(Member {
                key,
                key_pos,
                value,
            });
            self.skip_ws();
            match self.s.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    self.open.pop();
                    return Some(Kind::Object(members));
                }
                _ => {
                    self.fail_here("after object key:value pair");
                    return self.partial(Kind::Object(members));
                }
            }
        }
    }

    fn array(&mut self, pos: Pos) -> Option<Kind> {
        self.i += 1;
        self.open.push(('[', pos));
        let mut items = Vec::new();
        self.skip_ws();
        if self.s.get(self.i) == Some(&b']') {
            self.i += 1;
            self.open.pop();
            return Some(Kind::Array(items));
        }
        loop {
            let Some(v) = self.value("looking for beginning of value") else {
                return self.partial(Kind::Array(items));
            };
            items.push(v);
            self.skip_ws();
            match self.s.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    self.open.pop();
                    return Some(Kind::Array(items));
                }
                _ => {
                    self.fail_here("after array element");
                    return self.partial(Kind::Array(items));
                }
            }
        }
    }

    /// After an error inside a container, hand back what was read so far; the callers
    /// above stop too (the error is already recorded).
    fn partial(&mut self, kind: Kind) -> Option<Kind> {
        Some(kind)
    }
}

/// Parses JSON text. A leading UTF-8 BOM is skipped; empty or whitespace-only input yields
/// no value and no error (dockerd ≥ 23 reads it as `{}`).
pub fn parse(text: &str) -> Parsed {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut p = Parser {
        s: text.as_bytes(),
        i: 0,
        error: None,
        open: Vec::new(),
        at: At::default(),
    };
    p.skip_ws();
    if p.i >= p.s.len() {
        return Parsed {
            value: None,
            error: None,
            unclosed: None,
        };
    }
    let value = p.value("looking for beginning of value");
    if p.error.is_none() {
        p.skip_ws();
        if p.i < p.s.len() {
            p.fail_here("after top-level value");
        }
    }
    let unclosed = if p.error.is_some() {
        p.open.last().copied()
    } else {
        None
    };
    Parsed {
        value,
        error: p.error,
        unclosed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        parse(text).error.map(|e| e.message).unwrap_or_default()
    }

    #[test]
    fn go_error_texts() {
        assert_eq!(
            err(r#"{"a": 1,}"#),
            "invalid character '}' looking for beginning of object key string"
        );
        assert_eq!(
            err(r#"{"a": [1,]}"#),
            "invalid character ']' looking for beginning of value"
        );
        assert_eq!(
            err("{\"a\": 1 \"b\": 2}"),
            "invalid character '\"' after object key:value pair"
        );
        assert_eq!(err(r#"{"a" 1}"#), "invalid character '1' after object key");
        assert_eq!(err("{} {}"), "invalid character '{' after top-level value");
        assert_eq!(
            err("<html>"),
            "invalid character '<' looking for beginning of value"
        );
        assert_eq!(
            err(r#"{"a": tru}"#),
            "invalid character '}' in literal true (expecting 'e')"
        );
        assert_eq!(err("{\"a\": 1"), "unexpected end of JSON input");
        assert_eq!(
            err("{'a': 1}"),
            "invalid character '\\'' looking for beginning of object key string"
        );
        assert_eq!(err(""), "");
    }

    #[test]
    fn positions_and_duplicates_are_kept() {
        let p = parse("{\n  \"a\": 1,\n  \"a\": [true, null]\n}");
        assert!(p.error.is_none());
        let Kind::Object(m) = p.value.unwrap().kind else {
            panic!()
        };
        assert_eq!(m.len(), 2);
        assert_eq!(m[1].key_pos, Pos { line: 3, col: 3 });
        assert_eq!(m[1].value.pos, Pos { line: 3, col: 8 });
    }

    /// Positions of 100,000 keys on one line and on 100,000 lines (they were computed from
    /// the start of the text each time: quadratic).
    #[test]
    fn positions_of_many_keys_on_one_line_and_on_many() {
        let n = 100_000;
        let keys: Vec<String> = (0..n).map(|i| format!("\"é{i}\": {i}")).collect();
        let one_line = format!("{{{}}}", keys.join(", "));
        let many_lines = format!("{{\n{}\n}}", keys.join(",\n"));
        for (text, last) in [
            (
                &one_line,
                Pos {
                    line: 1,
                    col: one_line.chars().count() - keys[n - 1].chars().count(),
                },
            ),
            (
                &many_lines,
                Pos {
                    line: n + 1,
                    col: 1,
                },
            ),
        ] {
            let p = parse(text);
            assert!(p.error.is_none());
            let Kind::Object(m) = p.value.unwrap().kind else {
                panic!()
            };
            assert_eq!(m.len(), n);
            assert_eq!(m[n - 1].key_pos, last);
        }
    }

    #[test]
    fn a_missing_closing_brace_keeps_what_was_read() {
        let p = parse("{\n  \"graph\": \"/x\",\n  \"debug\": true\n");
        let e = p.error.unwrap();
        assert_eq!(e.message, "unexpected end of JSON input");
        assert_eq!(e.pos.line, 4);
        assert_eq!(p.unclosed, Some(('{', Pos { line: 1, col: 1 })));
        let Kind::Object(m) = p.value.unwrap().kind else {
            panic!()
        };
        assert_eq!(
            m.iter().map(|m| m.key.as_str()).collect::<Vec<_>>(),
            ["graph", "debug"]
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = "[".repeat(1_000_000);
        let p = parse(&deep);
        assert!(p.error.unwrap().message.starts_with("nesting deeper than"));
    }

    #[test]
    #[ignore = "long mode: scripts/fuzz.sh runs it (about 6 s); the fuzz targets cover it"]
    fn random_input_never_panics() {
        // A deterministic xorshift over JSON's structural characters and some noise.
        let alphabet = b"{}[]\",:0123456789.eE+-truefalsn \n\t\\u\xff";
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..3000 {
            let len = (x % 64) as usize;
            let mut bytes = Vec::with_capacity(len);
            for _ in 0..len {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                bytes.push(alphabet[(x % alphabet.len() as u64) as usize]);
            }
            let text = String::from_utf8_lossy(&bytes);
            let _ = parse(&text);
            let _ = crate::challenge::parse(&text);
            let _ = crate::pki::bundle::parse(&bytes);
            let _ = crate::triage::triage(&mut &bytes[..], "fuzz");
        }
    }

    #[test]
    fn surrogate_pairs_are_one_character_as_in_go() {
        // Found by fuzz/ (jsonpos agrees with serde_json): a pair was read as two U+FFFD.
        let p = parse(r#"["\ud83d\ude00", "\ud83d", "\ude00x", "\ud83d\u0041"]"#);
        assert!(p.error.is_none());
        let Kind::Array(items) = p.value.unwrap().kind else {
            panic!()
        };
        let strings: Vec<Kind> = items.into_iter().map(|v| v.kind).collect();
        assert_eq!(
            strings,
            [
                Kind::String("\u{1F600}".into()),
                Kind::String("\u{fffd}".into()),
                Kind::String("\u{fffd}x".into()),
                Kind::String("\u{fffd}A".into()),
            ]
        );
    }

    #[test]
    fn hex_escapes_are_exactly_four_hex_digits() {
        // from_str_radix took a sign: "\u+041" was read as 'A'.
        assert_eq!(
            err(r#"["\u+041"]"#),
            "invalid character '+' in \\u hexadecimal character escape"
        );
        assert_eq!(
            err(r#"["\u12x4"]"#),
            "invalid character 'x' in \\u hexadecimal character escape"
        );
    }

    #[test]
    fn a_leading_zero_stands_alone_as_in_go() {
        // Found by fuzz/: "000" was accepted as a number.
        assert_eq!(err("000"), "invalid character '0' after top-level value");
        assert_eq!(
            err(r#"{"a": 01}"#),
            "invalid character '1' after object key:value pair"
        );
        assert_eq!(err("[-01]"), "invalid character '1' after array element");
        assert!(parse("[0, -0, 0.5, 0e1, 10]").error.is_none());
    }

    #[test]
    fn escapes_and_unicode() {
        let p = parse(r#"{"k": "a\"b\u00e9\n"}"#);
        let Kind::Object(m) = p.value.unwrap().kind else {
            panic!()
        };
        assert_eq!(m[0].value.kind, Kind::String("a\"bé\n".into()));
    }
}
