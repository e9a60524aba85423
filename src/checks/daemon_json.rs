//! `daemon-json`: Docker's daemon.json — syntax (Go's error at its true position),
//! duplicate keys, unknown keys with dockerd's own rule, flag spellings that do nothing,
//! types, deprecated and removed keys, registry entries — and whether it suits the target.

use serde::Serialize;

use super::daemon_json_keys::{self as keys, FLAT_KEYS, PROXY_KEYS, Ty};
use super::{Check, Outcome};
use crate::codes::{CheckId, Code};
#[cfg(test)]
use crate::facts::Facts;
use crate::facts::node::{Source, TextFile};
use crate::facts::{Runtime, TlsOutcome};
use crate::finding::Finding;
use crate::jsonpos::{self, Kind, Member, Pos, Value};
use crate::runtimes::docker::insecure::{self, Entry, Verdict};

/// The check.
pub struct DaemonJson;

#[derive(Serialize)]
struct At<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<&'a str>,
    #[serde(skip_serializing_if = "str::is_empty")]
    text: &'a str,
}

struct Ctx<'a> {
    facts: &'a super::Basis<'a>,
    file: &'a TextFile,
    version: Option<(u32, u32)>,
    findings: Vec<Finding>,
}

impl Ctx<'_> {
    /// Line `n`, shortened around `col` when it is long.
    fn line_at(&self, n: usize, col: usize) -> String {
        let line = self
            .file
            .text
            .lines()
            .nth(n.saturating_sub(1))
            .unwrap_or("")
            .trim_end();
        let chars: Vec<char> = line.chars().collect();
        if chars.len() <= 120 {
            return line.to_string();
        }
        let start = col.saturating_sub(60).min(chars.len().saturating_sub(120));
        let end = (start + 120).min(chars.len());
        let mut out: String = chars[start..end].iter().collect();
        if start > 0 {
            out.insert(0, '…');
        }
        if end < chars.len() {
            out.push('…');
        }
        out
    }

    fn at(&self, pos: Pos, key: Option<&str>, f: Finding) -> Finding {
        let text = self.line_at(pos.line, pos.col);
        f.evidence(&At {
            file: &self.file.path,
            line: pos.line,
            column: pos.col,
            key,
            text: &text,
        })
    }

    fn where_(&self, pos: Pos) -> String {
        format!("{} line {}", self.file.path, pos.line)
    }

    fn dockerd(&self, cause: &str) -> String {
        format!(
            "unable to configure the Docker daemon with file {}: {cause}",
            self.file.path
        )
    }
}

/// "28.2.2" / "Docker version 24.0.7, build x" → (28, 2).
pub fn parse_version(v: &str) -> Option<(u32, u32)> {
    let v = v
        .trim()
        .trim_start_matches("Docker version ")
        .trim_start_matches('v');
    let mut parts = v.split(|c: char| !c.is_ascii_digit());
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next().and_then(|m| m.parse().ok()).unwrap_or(0);
    Some((major, minor))
}

impl Check for DaemonJson {
    fn id(&self) -> CheckId {
        CheckId::DaemonJson
    }
    fn title(&self) -> &'static str {
        "Docker's daemon.json is valid and suits this registry"
    }
    fn doc(&self) -> &'static str {
        include_str!("../../checks/daemon-json.md")
    }
    fn network(&self) -> bool {
        false
    }
    fn run(&self, facts: &super::Basis<'_>) -> Outcome {
        let file = match &facts.node.daemon_json {
            Source::Read(f) => f,
            Source::Absent { path } => return Outcome::Skip(format!("no {path} on this node")),
            Source::NotRead => {
                return Outcome::Skip(
                    "not read: --no-node-defaults was given and no path was named".into(),
                );
            }
        };
        if let Some(why) = facts.not_judged_reason(Runtime::Docker) {
            return Outcome::Skip(why);
        }
        let mut cx = Ctx {
            facts,
            file,
            version: facts.node.docker_version.as_deref().and_then(parse_version),
            findings: Vec::new(),
        };
        let parsed = jsonpos::parse(&file.text);
        if let Some(e) = &parsed.error {
            syntax(&mut cx, e, parsed.unclosed);
        }
        match parsed.value {
            Some(Value {
                kind: Kind::Object(members),
                ..
            }) => {
                duplicates(&mut cx, &members);
                flag_conflicts(&mut cx, &members);
                top_level(&mut cx, &members);
                against_target(&mut cx, &members);
            }
            // After a syntax error the partial value says little about the type.
            Some(v) if parsed.error.is_none() => {
                let f = Finding::new(
                    Code::DaemonJsonType,
                    format!(
                        "{} holds a JSON {}, not an object",
                        file.path,
                        v.kind.go_json_type()
                    ),
                )
                .stops_dockerd(cx.dockerd(&format!(
                    "json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                    v.kind.go_json_type()
                )))
                .hint("daemon.json must be one JSON object: { \"key\": value, ... }");
                let f = cx.at(v.pos, None, f);
                cx.findings.push(f);
            }
            _ => {}
        }
        Outcome::Findings(cx.findings)
    }
}

fn syntax(cx: &mut Ctx<'_>, e: &jsonpos::SyntaxError, unclosed: Option<(char, Pos)>) {
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
    let f = cx.at(e.pos, None, f);
    cx.findings.push(f);
}

/// A setting both on dockerd's command line (its systemd unit) and in the file.
fn flag_conflicts(cx: &mut Ctx<'_>, members: &[Member]) {
    let Some(svc) = &cx.facts.node.docker_service else {
        return;
    };
    let svc = svc.service();
    let Some(exec) = &svc.exec_start else {
        return;
    };
    let conflicts = crate::runtimes::docker::flag_conflicts(&exec.argv, members);
    let Some(first) = conflicts.first() else {
        return;
    };
    let line = crate::runtimes::docker::conflict_text(&cx.file.path, &conflicts);
    let keys: Vec<String> = conflicts.iter().map(|c| format!("\"{}\"", c.key)).collect();
    let flags = exec.argv.join(" ");
    let f = Finding::new(
        Code::DaemonJsonFlagConflict,
        format!(
            "{} sets {} and dockerd's command line ({}: `{flags}`) sets {} too: dockerd refuses to start when a setting is given both ways",
            cx.file.path,
            keys.join(", "),
            exec.origin,
            if conflicts.len() == 1 { "it" } else { "them" }
        ),
    )
    .stops_dockerd(line)
    .hint(if first.key == "hosts" {
        format!(
            "keep one: delete \"hosts\" from {}, or override the unit's ExecStart without -H: `mkdir -p /etc/systemd/system/docker.service.d && printf '[Service]\\nExecStart=\\nExecStart=/usr/sbin/dockerd --containerd=/run/containerd/containerd.sock\\n' > /etc/systemd/system/docker.service.d/10-no-host-flag.conf && systemctl daemon-reload && systemctl restart docker`",
            cx.file.path
        )
    } else {
        format!(
            "keep one: delete {} from {}, or the flag from {}; then `systemctl daemon-reload && systemctl restart docker`",
            keys.join(", "),
            cx.file.path,
            exec.origin
        )
    });
    let pos = members
        .iter()
        .find(|m| m.key == first.key)
        .map(|m| m.key_pos)
        .unwrap_or(Pos {
            line: first.line,
            col: 1,
        });
    let f = cx.at(pos, Some(&first.key), f);
    cx.findings.push(f);
}

fn duplicates(cx: &mut Ctx<'_>, members: &[Member]) {
    let mut seen: Vec<&Member> = Vec::new();
    for m in members {
        if let Some(first) = seen.iter().find(|s| s.key == m.key) {
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
            let f = Finding::new(
                code,
                format!(
                    "the key \"{}\" appears twice, on lines {} and {}: {what}",
                    m.key, first.key_pos.line, m.key_pos.line
                ),
            )
            .hint(format!(
                "keep one \"{}\" entry, merging the values you want",
                m.key
            ));
            let f = cx.at(m.key_pos, Some(&m.key), f);
            cx.findings.push(f);
        } else {
            seen.push(m);
        }
        if let Kind::Object(children) = &m.value.kind {
            duplicates(cx, children);
        }
    }
}

fn top_level(cx: &mut Ctx<'_>, members: &[Member]) {
    let mut unknown: Vec<&Member> = Vec::new();
    for m in members {
        let key = m.key.as_str();
        if let Some(d) = keys::deprecation(key) {
            deprecated(cx, m, d);
            if keys::ty(key).is_none() {
                continue;
            }
        }
        if PROXY_KEYS.contains(&key) || keys::no_effect(key).is_some() {
            no_effect(cx, m);
            continue;
        }
        // "proxies" came with Docker 23.0: an older dockerd flattens it like any unknown
        // object, finds no option named after its keys and refuses to start (observed
        // with 20.10).
        if key == "proxies"
            && cx.version.is_some_and(|v| v < (23, 0))
            && let Kind::Object(children) = &m.value.kind
        {
            unknown.extend(
                children
                    .iter()
                    .filter(|c| PROXY_KEYS.contains(&c.key.as_str()) || keys::ty(&c.key).is_none()),
            );
            continue;
        }
        match keys::ty(key) {
            Some(ty) => {
                type_check(cx, m, ty);
                if key == "proxies"
                    && let Kind::Object(children) = &m.value.kind
                {
                    for c in children {
                        if PROXY_KEYS.contains(&c.key.as_str()) {
                            type_check(cx, c, Ty::Str);
                        } else {
                            unknown.push(c);
                        }
                    }
                }
            }
            None => match &m.value.kind {
                // dockerd flattens unknown objects: it checks their children, not the key.
                Kind::Object(children) if !FLAT_KEYS.contains(&key) => {
                    for c in children {
                        if keys::ty(&c.key).is_none() && keys::no_effect(&c.key).is_none() {
                            unknown.push(c);
                        }
                    }
                }
                _ => unknown.push(m),
            },
        }
    }
    report_unknown(cx, &unknown);
    registries(cx, members);
}

fn report_unknown(cx: &mut Ctx<'_>, unknown: &[&Member]) {
    if unknown.is_empty() {
        return;
    }
    let all: Vec<&str> = unknown.iter().map(|m| m.key.as_str()).collect();
    let client = cx.dockerd(&format!(
        "the following directives don't match any configuration option: {}",
        all.join(", ")
    ));
    for m in unknown {
        if PROXY_KEYS.contains(&m.key.as_str())
            && let Some((maj, min)) = cx.version.filter(|v| *v < (23, 0))
        {
            let f = Finding::new(
                Code::DaemonJsonUnknownKey,
                format!(
                    "\"{}\" at {} is inside \"proxies\", which Docker {maj}.{min} does not know (it came with Docker 23.0): dockerd flattens it, finds no option \"{}\" and refuses to start",
                    m.key,
                    cx.where_(m.key_pos),
                    m.key
                ),
            )
            .stops_dockerd(client.clone())
            .hint(format!(
                "delete \"proxies\" from {} and give dockerd {maj}.{min} the proxy in its environment: {}",
                cx.file.path,
                proxy_drop_in(m)
            ));
            let f = cx.at(m.key_pos, Some(&m.key), f);
            cx.findings.push(f);
            continue;
        }
        let suggestion = closest_key(&m.key);
        let hint = match &suggestion {
            Some(s) => format!("rename \"{}\" to \"{s}\", or delete it", m.key),
            None => format!("delete \"{}\"; `dockerd --help` lists the options", m.key),
        };
        let did_you_mean = suggestion
            .map(|s| format!(" (did you mean \"{s}\"?)"))
            .unwrap_or_default();
        let f = Finding::new(
            Code::DaemonJsonUnknownKey,
            format!(
                "\"{}\" at {} is not a dockerd option{did_you_mean}; dockerd refuses to start",
                m.key,
                cx.where_(m.key_pos)
            ),
        )
        .stops_dockerd(client.clone())
        .hint(hint);
        let f = cx.at(m.key_pos, Some(&m.key), f);
        cx.findings.push(f);
    }
}

/// The systemd drop-in that sets a `"proxies"` key's variable for dockerd.
fn proxy_drop_in(m: &Member) -> String {
    let name = m.key.to_ascii_uppercase().replace('-', "_");
    let value = match &m.value.kind {
        Kind::String(v) => crate::runtimes::proxy::mask(v),
        _ => "…".into(),
    };
    format!(
        "`mkdir -p /etc/systemd/system/docker.service.d && printf '[Service]\\nEnvironment=\"{name}={value}\"\\n' >> /etc/systemd/system/docker.service.d/http-proxy.conf && systemctl daemon-reload && systemctl restart docker`"
    )
}

fn closest_key(key: &str) -> Option<&'static str> {
    let lower = key.to_ascii_lowercase().replace('_', "-");
    keys::KEYS
        .iter()
        .map(|(k, _)| *k)
        .map(|k| (crate::text::levenshtein(&lower, k), k))
        .filter(|(d, k)| *d <= (k.len() / 3).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn deprecated(cx: &mut Ctx<'_>, m: &Member, d: &keys::Deprecation) {
    let refused_now = match (d.refused_from, cx.version) {
        (Some(from), Some(v)) => v >= from,
        _ => false,
    };
    let key = d.key;
    let f = if refused_now {
        let (maj, min) = cx.version.unwrap_or_default();
        Finding::new(
            Code::DaemonJsonRemovedKey,
            format!(
                "\"{key}\" at {} was removed from Docker, and this node's Docker {maj}.{min} refuses to start with it; use {} instead",
                cx.where_(m.key_pos),
                d.instead
            ),
        )
        .stops_dockerd(cx.dockerd(&removed_text(key, cx.version)))
    } else {
        let refusal = match d.refused_from {
            Some((a, b)) => format!("Docker {a}.{b} and later refuse to start with it"),
            None => "it has no effect any more".into(),
        };
        Finding::new(
            Code::DaemonJsonDeprecatedKey,
            format!(
                "\"{key}\" at {} is deprecated since Docker {}: {refusal}; use {} instead",
                cx.where_(m.key_pos),
                d.deprecated,
                d.instead
            ),
        )
    };
    let hint = if key == "graph" {
        format!(
            "replace \"graph\" with \"data-root\" (same value) in {}",
            cx.file.path
        )
    } else {
        format!(
            "remove \"{key}\" from {} (use {} instead)",
            cx.file.path, d.instead
        )
    };
    let f = cx.at(m.key_pos, Some(key), f.hint(hint));
    cx.findings.push(f);
}

fn removed_text(key: &str, version: Option<(u32, u32)>) -> String {
    match (key, version) {
        ("graph", Some((23, _))) => "the \"graph\" config file option is deprecated; use \"data-root\" instead".into(),
        ("api-cors-header", Some((28, _))) => "DEPRECATED: The \"api-cors-header\" config parameter and the dockerd \"--api-cors-header\" option have been removed; use a reverse proxy if you need CORS headers".into(),
        ("oom-score-adjust", Some((25, _))) => "DEPRECATED: The \"oom-score-adjust\" config parameter and the dockerd \"--oom-score-adjust\" options have been removed.".into(),
        _ => format!("the following directives don't match any configuration option: {key}"),
    }
}

fn no_effect(cx: &mut Ctx<'_>, m: &Member) {
    let generic = keys::no_effect(&m.key).unwrap_or("the documented key");
    // With the user's own values where the right key is a list of strings.
    let plural = match m.key.as_str() {
        "insecure-registry" => Some("insecure-registries"),
        "registry-mirror" => Some("registry-mirrors"),
        "label" => Some("labels"),
        "dns-opt" => Some("dns-opts"),
        "exec-opt" => Some("exec-opts"),
        "storage-opt" => Some("storage-opts"),
        _ => None,
    };
    let values: Vec<String> = match &m.value.kind {
        Kind::Array(items) => items
            .iter()
            .filter_map(|i| match &i.kind {
                Kind::String(s) => Some(format!("\"{s}\"")),
                _ => None,
            })
            .collect(),
        Kind::String(s) => vec![format!("\"{s}\"")],
        _ => vec![],
    };
    let instead = match (plural, values.is_empty()) {
        (Some(p), false) => format!("\"{p}\": [{}]", values.join(", ")),
        _ => generic.to_string(),
    };
    let f = Finding::new(
        Code::DaemonJsonNoEffect,
        format!(
            "\"{}\" at {} is accepted by dockerd (a command-line flag has that name) but does nothing: the setting has no effect",
            m.key,
            cx.where_(m.key_pos)
        ),
    )
    .hint(format!("use {instead} instead, then `systemctl restart docker`"));
    let f = cx.at(m.key_pos, Some(&m.key), f);
    cx.findings.push(f);
}

fn type_check(cx: &mut Ctx<'_>, m: &Member, ty: Ty) {
    let bad: Option<(&Value, &'static str)> = match (&m.value.kind, ty) {
        (Kind::Null, _) | (_, Ty::Any) => None,
        (Kind::String(_), Ty::Str) | (Kind::Bool(_), Ty::Bool) | (Kind::Object(_), Ty::Obj) => None,
        (Kind::Number(n), Ty::Int) if !n.contains(['.', 'e', 'E']) => None,
        (Kind::Array(items), Ty::StrList) => items
            .iter()
            .find(|i| !matches!(i.kind, Kind::String(_) | Kind::Null))
            .map(|i| (i, "string")),
        (Kind::Array(items), Ty::ObjList) => items
            .iter()
            .find(|i| !matches!(i.kind, Kind::Object(_) | Kind::Null))
            .map(|i| (i, "struct")),
        (Kind::Object(members), Ty::StrMap) => members
            .iter()
            .map(|c| &c.value)
            .find(|v| !matches!(v.kind, Kind::String(_) | Kind::Null))
            .map(|v| (v, "string")),
        (_, ty) => Some((&m.value, ty.go_name())),
    };
    let Some((v, go_ty)) = bad else { return };
    let json = if let Kind::Number(n) = &v.kind {
        if ty == Ty::Int {
            format!("number {n}")
        } else {
            "number".into()
        }
    } else {
        v.kind.go_json_type().to_string()
    };
    let want = match ty {
        Ty::Str => "a string (in quotes)",
        Ty::Bool => "true or false (no quotes)",
        Ty::Int => "a whole number",
        Ty::StrList => "an array of strings",
        Ty::StrMap => "an object whose values are all strings (\"3\", not 3)",
        Ty::Obj => "an object",
        Ty::ObjList => "an array of objects",
        Ty::Any => "anything",
    };
    let f = Finding::new(
        Code::DaemonJsonType,
        format!(
            "\"{}\" at {} must be {want}, not a JSON {}; dockerd will not start",
            m.key,
            cx.where_(v.pos),
            v.kind.go_json_type()
        ),
    )
    .stops_dockerd(cx.dockerd(&format!(
        "json: cannot unmarshal {json} into Go struct field Config.{} of type {go_ty}",
        m.key
    )))
    .hint(format!("write \"{}\" as {want}", m.key));
    let f = cx.at(v.pos, Some(&m.key), f);
    cx.findings.push(f);
}

fn registries(cx: &mut Ctx<'_>, members: &[Member]) {
    for (raw, pos) in insecure::strings_of(members, "insecure-registries") {
        let f = match insecure::parse_entry(&raw) {
            Verdict::Ok(_) => continue,
            Verdict::SchemeStripped(entry, scheme) => {
                let clean = match entry {
                    Entry::Host(h) => h,
                    Entry::Cidr(ip, bits) => format!("{ip}/{bits}"),
                };
                Finding::new(
                    Code::DaemonJsonInsecureRegistryScheme,
                    format!(
                        "the insecure-registries entry \"{raw}\" at {} starts with {scheme}; dockerd strips it with a warning and uses \"{clean}\"",
                        cx.where_(pos)
                    ),
                )
                .hint(format!("write \"{clean}\" (no scheme): insecure-registries entries are host, host:port or a CIDR"))
            }
            Verdict::Invalid(why) => Finding::new(
                Code::DaemonJsonBadInsecureRegistry,
                format!(
                    "the insecure-registries entry \"{raw}\" at {} is invalid ({why}): dockerd will not start, and `dockerd --validate` does not catch it",
                    cx.where_(pos)
                ),
            )
            .stops_dockerd(format!("failed to start daemon: {why}"))
            .hint("write host, host:port or a CIDR: no scheme, no path, a port from 1 to 65535 (e.g. \"10.0.0.5:5000\" or \"10.0.0.0/24\")"),
        };
        let f = cx.at(pos, Some("insecure-registries"), f);
        cx.findings.push(f);
    }
    let target = cx.facts.target.as_ref().ok().map(|t| t.registry_name());
    let legacy = cx.version.is_some_and(|v| v < (28, 3));
    for (raw, pos) in insecure::strings_of(members, "registry-mirrors") {
        let why = if legacy {
            insecure::mirror_error_legacy(&raw)
        } else {
            insecure::mirror_error(&raw)
        };
        if let Some(why) = why {
            let line = if legacy {
                format!("failed to start daemon: {why}")
            } else {
                cx.dockerd(&format!(
                    "merged configuration validation from file and command line flags failed: {why}"
                ))
            };
            let f = Finding::new(
                Code::DaemonJsonBadMirror,
                format!(
                    "the registry-mirrors entry \"{raw}\" at {} is invalid: {why}",
                    cx.where_(pos)
                ),
            )
            .stops_dockerd(line)
            .hint(format!(
                "write the mirror as a URL with its scheme: \"https://{raw}\""
            ));
            let f = cx.at(pos, Some("registry-mirrors"), f);
            cx.findings.push(f);
        }
        let host = raw
            .split("://")
            .last()
            .unwrap_or(&raw)
            .trim_end_matches('/');
        if target
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case(host))
        {
            let t = target.clone().unwrap_or_default();
            let f = Finding::new(
                Code::DaemonJsonMirrorNotForPrivate,
                format!(
                    "{t} is listed in registry-mirrors at {}, but mirrors are only used for Docker Hub (docker.io) pulls, never for a private registry: images must be pulled as {t}/NAME:TAG",
                    cx.where_(pos)
                ),
            )
            .hint(format!("pull {t}/NAME:TAG directly; to make it trusted or plain HTTP, use insecure-registries or /etc/docker/certs.d/{t}/"));
            let f = cx.at(pos, Some("registry-mirrors"), f);
            cx.findings.push(f);
        }
    }
}

fn against_target(cx: &mut Ctx<'_>, members: &[Member]) {
    let facts = cx.facts;
    let Ok(t) = &facts.target else { return };
    if facts.tcp.as_ref().and_then(|tc| tc.connected).is_none() {
        return;
    }
    let docker = facts.client_of(Runtime::Docker);
    let listed = insecure::listed(members);
    let explicit = insecure::listed_cover(&listed, facts);
    let plain = super::node_common::plain_http(facts);
    let name = t.registry_name();
    if plain && !docker.transport.allows_http() {
        let entries: Vec<String> = insecure::strings_of(members, "insecure-registries")
            .into_iter()
            .map(|(s, _)| s)
            .collect();
        let has = if entries.is_empty() {
            "no insecure-registries".to_string()
        } else {
            format!(
                "insecure-registries [{}], none of which is \"{name}\"",
                entries.join(", ")
            )
        };
        cx.findings.push(
            Finding::new(
                Code::DaemonJsonTargetNotInsecure,
                format!("{name} serves plain HTTP, and {} has {has}: Docker will insist on HTTPS", cx.file.path),
            )
            .fails_request(facts, "http: server gave HTTP response to HTTPS client")
            .hint(format!(
                "add \"{name}\" to \"insecure-registries\" in {} (exactly as in the image reference, with the port), then `systemctl restart docker`",
                cx.file.path
            )),
        );
        return;
    }
    let verified = matches!(
        facts.tls.as_ref().map(|x| &x.outcome),
        Some(TlsOutcome::Established { .. })
    ) && facts.trust.baseline.as_ref().is_some_and(|s| s.ok());
    if let (true, Some((_, pos))) = (verified, explicit) {
        let f = Finding::new(
            Code::DaemonJsonTargetInsecure,
            format!(
                "{name} has a certificate that verifies, but {} lists it in insecure-registries: Docker switches verification off for it, ignores /etc/docker/certs.d/{name}/ and sends no client certificate",
                cx.where_(*pos)
            ),
        )
        .hint(format!("remove the entry for {name} from insecure-registries, then `systemctl restart docker`"));
        let f = cx.at(*pos, Some("insecure-registries"), f);
        cx.findings.push(f);
    }
}

#[cfg(test)]
pub(crate) fn examples() -> Vec<(Facts, Vec<Code>)> {
    use crate::checks::examples::*;
    let fx =
        |name: &str| with_daemon_json(offline(), &fixture_text(&format!("daemon-json/{name}")));
    let mut seed_v25 = fx("seed.json");
    seed_v25.node.docker_version = Some("25.0.3".into());
    let plain = |json: &str| {
        let f = with_tls_outcome(
            facts_for("10.0.0.5:5000"),
            TlsOutcome::PlainHttp {
                first_bytes: "HTTP/1.1 400 Bad Request".into(),
            },
        );
        with_daemon_json(f, json)
    };
    let mut mirror = with_daemon_json(
        facts_for("10.0.0.5:5000"),
        r#"{"registry-mirrors": ["https://10.0.0.5:5000"]}"#,
    );
    mirror.tcp = None;
    vec![
        (fx("valid.json"), vec![]),
        (
            fx("seed.json"),
            vec![
                Code::DaemonJsonSyntax,
                Code::DaemonJsonDeprecatedKey,
                Code::DaemonJsonDeprecatedKey,
            ],
        ),
        (
            seed_v25,
            vec![
                Code::DaemonJsonSyntax,
                Code::DaemonJsonRemovedKey,
                Code::DaemonJsonRemovedKey,
            ],
        ),
        (fx("duplicate-key.json"), vec![Code::DaemonJsonNoEffect]),
        (
            fx("duplicate-same.json"),
            vec![Code::DaemonJsonDuplicateKey],
        ),
        (fx("unknown-key.json"), vec![Code::DaemonJsonUnknownKey]),
        (
            fx("wrong-type.json"),
            vec![Code::DaemonJsonType, Code::DaemonJsonType],
        ),
        (
            fx("insecure-http.json"),
            vec![Code::DaemonJsonInsecureRegistryScheme],
        ),
        (
            fx("insecure-path.json"),
            vec![Code::DaemonJsonBadInsecureRegistry],
        ),
        (fx("mirror-no-scheme.json"), vec![Code::DaemonJsonBadMirror]),
        (
            fx("no-effect.json"),
            vec![Code::DaemonJsonNoEffect, Code::DaemonJsonNoEffect],
        ),
        (mirror, vec![Code::DaemonJsonMirrorNotForPrivate]),
        (
            plain(r#"{"insecure-registries": ["10.0.0.6:5000"]}"#),
            vec![Code::DaemonJsonTargetNotInsecure],
        ),
        (
            plain(r#"{"insecure-registries": ["10.0.0.5:5000"]}"#),
            vec![],
        ),
        (plain(r#"{"insecure-registries": ["10.0.0.0/24"]}"#), vec![]),
        (
            verified_but_insecure(),
            vec![Code::DaemonJsonTargetInsecure],
        ),
        (
            {
                let mut f = present(
                    with_daemon_json(offline(), "{\n  \"hosts\": [\"tcp://127.0.0.1:2375\"]\n}"),
                    crate::facts::Runtime::Docker,
                );
                f.node.docker_service = Some(crate::facts::node::ServiceFiles {
                units: vec![crate::facts::node::TextFile {
                    path: "/lib/systemd/system/docker.service".into(),
                    text: "[Service]\nExecStart=/usr/sbin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock\n".into(),
                }],
                env_files: vec![],
            });
                f
            },
            vec![Code::DaemonJsonFlagConflict],
        ),
    ]
}

#[cfg(test)]
fn verified_but_insecure() -> Facts {
    use crate::checks::examples::pki::*;
    use crate::checks::examples::*;
    let root = ca("Registry CA", NOW);
    let l = leaf(&root, &["10.0.0.5"], NOW);
    let f = with_ca(
        with_chain(facts_for("10.0.0.5:5000"), vec![l.der]),
        root.pem.as_bytes(),
    );
    with_daemon_json(f, r#"{"insecure-registries": ["10.0.0.5:5000"]}"#)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::examples::*;

    fn run(name: &str) -> Vec<Finding> {
        findings_of(
            &DaemonJson,
            &with_daemon_json(offline(), &fixture_text(&format!("daemon-json/{name}"))),
        )
    }

    #[test]
    fn seed_file_missing_brace_is_reported_at_its_true_position() {
        let out = run("seed.json");
        let syntax = &out[0];
        assert_eq!(syntax.code, Code::DaemonJsonSyntax);
        assert!(
            syntax.message.contains("line 11, column 1"),
            "{}",
            syntax.message
        );
        assert!(
            syntax
                .message
                .contains("the } that closes the { opened on line 1 is missing"),
            "{}",
            syntax.message
        );
        assert_eq!(
            syntax.client_error.as_deref(),
            Some(
                "unable to configure the Docker daemon with file /etc/docker/daemon.json: unexpected end of JSON input"
            )
        );
        // The rest of the file is still checked.
        assert!(
            out[1]
                .message
                .contains("\"graph\" at /etc/docker/daemon.json line 3"),
            "{}",
            out[1].message
        );
        assert!(
            out[1].message.contains("Docker 23.0 and later refuse"),
            "{}",
            out[1].message
        );
        assert!(
            out[2].message.contains("\"oom-score-adjust\""),
            "{}",
            out[2].message
        );
        assert_eq!(out[1].evidence["line"], 3);
    }

    #[test]
    fn typo_gets_did_you_mean() {
        let out = run("unknown-key.json");
        assert!(
            out[0]
                .message
                .contains("did you mean \"insecure-registries\"?"),
            "{}",
            out[0].message
        );
        assert!(out[0].client_error.as_deref().unwrap().ends_with(
            "the following directives don't match any configuration option: insecure-registires"
        ));
    }

    #[test]
    fn wrong_types_quote_go() {
        let out = run("wrong-type.json");
        assert!(out[0].client_error.as_deref().unwrap().ends_with(
            "json: cannot unmarshal string into Go struct field Config.ipv6 of type bool"
        ));
        assert!(out[1].client_error.as_deref().unwrap().ends_with(
            "json: cannot unmarshal number into Go struct field Config.log-opts of type string"
        ));
        assert_eq!(out[1].evidence["line"], 3);
    }

    #[test]
    fn duplicate_names_both_lines() {
        let out = run("duplicate-key.json");
        assert!(
            out[0].message.contains("lines 2 and 4"),
            "{}",
            out[0].message
        );
    }

    #[test]
    fn flag_spelling_has_no_effect_and_names_the_right_key() {
        let out = run("no-effect.json");
        assert!(
            out[0]
                .hint
                .as_deref()
                .unwrap()
                .contains("\"insecure-registries\"")
        );
        assert!(out[1].hint.as_deref().unwrap().contains("\"proxies\""));
    }

    /// "proxies" came with Docker 23: dockerd 20.10 refuses to start with it, naming its
    /// keys (observed); a newer or unknown version accepts it.
    #[test]
    fn proxies_stop_docker_20_10() {
        let text = "{\n  \"proxies\": {\n    \"https-proxy\": \"http://bob:pw@10.0.0.1:3128\"\n  }\n}\n";
        let mut f = with_daemon_json(offline(), text);
        f.node.docker_version = Some("20.10.24".into());
        let out = findings_of(&DaemonJson, &f);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].code, Code::DaemonJsonUnknownKey);
        assert_eq!(
            out[0].client_error.as_deref(),
            Some(
                "unable to configure the Docker daemon with file /etc/docker/daemon.json: the following directives don't match any configuration option: https-proxy"
            )
        );
        let hint = out[0].hint.as_deref().unwrap();
        assert!(
            hint.contains("Environment=\"HTTPS_PROXY=http://xxxxx:xxxxx@10.0.0.1:3128\""),
            "{hint}"
        );
        assert!(!hint.contains("pw"));
        f.node.docker_version = Some("23.0.1".into());
        assert!(findings_of(&DaemonJson, &f).is_empty());
    }

    #[test]
    fn every_fixture_finding_names_its_line() {
        for (name, line) in [
            ("unknown-key.json", 2),
            ("insecure-http.json", 2),
            ("insecure-path.json", 2),
            ("mirror-no-scheme.json", 2),
            ("no-effect.json", 2),
            ("duplicate-key.json", 4),
        ] {
            let out = run(name);
            assert_eq!(out[0].evidence["line"], line, "{name}: {:?}", out[0]);
            assert_eq!(out[0].evidence["file"], "/etc/docker/daemon.json");
        }
    }

    #[test]
    fn versions_parse() {
        assert_eq!(
            parse_version("Docker version 24.0.7, build afdd53b"),
            Some((24, 0))
        );
        assert_eq!(parse_version("28.2.2"), Some((28, 2)));
        assert_eq!(parse_version("v23"), Some((23, 0)));
        assert_eq!(parse_version("x"), None);
    }
}
