//! daemon.json's syntax, at the position Go reports it: a JSON error, a document that is
//! not an object, keys that appear twice.

use super::Ctx;
use crate::codes::Code;
use crate::finding::Finding;
use crate::jsonpos::{self, Kind, Member, Pos, Value};

/// A JSON syntax error, with Go's text and the bracket that is not closed.
pub(super) fn syntax(cx: &mut Ctx<'_>, e: &jsonpos::SyntaxError, unclosed: Option<(char, Pos)>) {
    let missing = match (e.message.as_str(), unclosed) {
        ("unexpected end of JSON input", Some((open, p))) => {
            let close = if open == '{' { '}' } else { ']' };
            format!(
                ": the {close} that closes the {open} opened on line {} is missing",
                p.line
            )
        }
        _ => String::new(),
    };
    let quoted = cx.line_at(e.pos.line, e.pos.col);
    let shown = if quoted.is_empty() {
        String::new()
    } else {
        format!(" (`{quoted}`)")
    };
    let hint = if missing.is_empty() {
        format!(
            "fix the JSON at line {}, column {} (trailing commas, missing commas and single quotes are the usual causes), then check with `python3 -m json.tool {}` and `dockerd --validate --config-file {}`",
            e.pos.line, e.pos.col, cx.file.path, cx.file.path
        )
    } else {
        let close = if missing.contains('}') { "}" } else { "]" };
        format!(
            "add the missing `{close}` at the end of {}, then check with `dockerd --validate --config-file {}` before `systemctl restart docker`",
            cx.file.path, cx.file.path
        )
    };
    // dockerd before 23.0 decodes with json.Decoder, which says "unexpected EOF" where
    // json.Unmarshal says "unexpected end of JSON input".
    let message =
        if e.message == "unexpected end of JSON input" && cx.version.is_some_and(|v| v < (23, 0)) {
            "unexpected EOF"
        } else {
            e.message.as_str()
        };
    let f = Finding::new(
        Code::DaemonJsonSyntax,
        format!(
            "{} is not valid JSON at line {}, column {}{shown}: {message}{missing}; dockerd will not start",
            cx.file.path, e.pos.line, e.pos.col
        ),
    )
    .stops_dockerd(cx.dockerd(message))
    .hint(hint);
    cx.push_at(e.pos, None, f);
}

/// A document that is valid JSON but not an object.
pub(super) fn not_an_object(cx: &mut Ctx<'_>, v: &Value) {
    let f = Finding::new(
        Code::DaemonJsonType,
        format!(
            "{} holds a JSON {}, not an object",
            cx.file.path,
            v.kind.go_json_type()
        ),
    )
    .stops_dockerd(cx.dockerd(&format!(
        "json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
        v.kind.go_json_type()
    )))
    .hint("daemon.json must be one JSON object: { \"key\": value, ... }");
    cx.push_at(v.pos, None, f);
}

/// A key that appears twice in one object (at any depth).
pub(super) fn duplicates(cx: &mut Ctx<'_>, members: &[Member]) {
    // The first member of each key: a map, not a list searched for each member (which
    // was quadratic with 100,000 keys).
    let mut seen: std::collections::HashMap<&str, &Member> = std::collections::HashMap::new();
    for m in members {
        if let Some(first) = seen.get(m.key.as_str()).copied() {
            let differs =
                first.value.kind != m.value.kind && !matches!(m.value.kind, Kind::Object(_));
            let what = if matches!(m.value.kind, Kind::Object(_)) {
                "dockerd merges the two objects key by key"
            } else if differs {
                "dockerd silently keeps the last value, so the setting on the first line has no effect"
            } else {
                "dockerd silently keeps the last value and drops the first (they are the same)"
            };
            let code = if differs {
                Code::DaemonJsonNoEffect
            } else {
                Code::DaemonJsonDuplicateKey
            };
            if !cx.wanted(code) {
                cx.count_only(code, m.key_pos, Some(&m.key));
            } else {
                duplicate(cx, m, first, code, what);
            }
        } else {
            seen.insert(m.key.as_str(), m);
        }
        if let Kind::Object(children) = &m.value.kind {
            duplicates(cx, children);
        }
    }
}

/// The finding for a key given again.
fn duplicate(cx: &mut Ctx<'_>, m: &Member, first: &Member, code: Code, what: &str) {
    let f = Finding::new(
        code,
        format!(
            "the key \"{}\" appears twice, on lines {} and {}: {what}",
            crate::text::clip(&m.key),
            first.key_pos.line,
            m.key_pos.line
        ),
    )
    .hint(format!(
        "keep one \"{}\" entry, merging the values you want",
        crate::text::clip(&m.key)
    ));
    cx.push_at(m.key_pos, Some(&m.key), f);
}
