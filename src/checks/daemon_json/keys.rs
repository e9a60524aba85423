//! daemon.json's keys by dockerd's rules: unknown keys (and the one meant), flag
//! spellings that do nothing, types, deprecated and removed keys, and settings also given
//! on dockerd's command line.

use super::Ctx;
use super::known::{self as keys, FLAT_KEYS, PROXY_KEYS, Ty};
use crate::codes::Code;
use crate::finding::Finding;
use crate::jsonpos::{Kind, Member, Pos, Value};

/// Every top-level key (and the children dockerd flattens): known, typed, current.
pub(super) fn top_level(cx: &mut Ctx<'_>, members: &[Member]) {
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
}

fn report_unknown(cx: &mut Ctx<'_>, unknown: &[&Member]) {
    if unknown.is_empty() {
        return;
    }
    // dockerd's line names them all; the report names as many as fit, once.
    let all = crate::text::clip_list(unknown.iter().map(|m| m.key.as_str()), ", ");
    let client = cx.dockerd(&format!(
        "the following directives don't match any configuration option: {all}"
    ));
    // Many unknown keys (a file generated wrong, a paste of another tool's settings):
    // one finding names them, as dockerd's line does.
    if unknown.len() > ONE_BY_ONE {
        all_in_one(cx, unknown, client);
        return;
    }
    for m in unknown {
        let key = crate::text::clip(&m.key);
        if PROXY_KEYS.contains(&m.key.as_str())
            && let Some((maj, min)) = cx.version.filter(|v| *v < (23, 0))
        {
            let f = Finding::new(
                Code::DaemonJsonUnknownKey,
                format!(
                    "\"{key}\" at {} is inside \"proxies\", which Docker {maj}.{min} does not know (it came with Docker 23.0): dockerd flattens it, finds no option \"{key}\" and refuses to start",
                    cx.where_(m.key_pos),
                ),
            )
            .stops_dockerd(client.clone())
            .hint(format!(
                "delete \"proxies\" from {} and give dockerd {maj}.{min} the proxy in its environment: {}",
                cx.file.path,
                proxy_drop_in(m)
            ));
            cx.push_at(m.key_pos, Some(&m.key), f);
            continue;
        }
        // The edit distance to every option costs: only for a finding that is shown.
        let suggestion = if cx.shown(Code::DaemonJsonUnknownKey) {
            closest_key(&m.key)
        } else {
            None
        };
        let hint = match &suggestion {
            Some(s) => format!("rename \"{key}\" to \"{s}\", or delete it"),
            None => format!("delete \"{key}\"; `dockerd --help` lists the options"),
        };
        let did_you_mean = suggestion
            .map(|s| format!(" (did you mean \"{s}\"?)"))
            .unwrap_or_default();
        let f = Finding::new(
            Code::DaemonJsonUnknownKey,
            format!(
                "\"{key}\" at {} is not a dockerd option{did_you_mean}; dockerd refuses to start",
                cx.where_(m.key_pos)
            ),
        )
        .stops_dockerd(client.clone())
        .hint(hint);
        cx.push_at(m.key_pos, Some(&m.key), f);
    }
}

/// Up to this many unknown keys are one finding each (with "did you mean"); more are one
/// finding for them all.
const ONE_BY_ONE: usize = 5;

/// One finding for many unknown keys: the first few with their line (and the option meant,
/// when one is close), the count of the others; the evidence lists them.
fn all_in_one(cx: &mut Ctx<'_>, unknown: &[&Member], client: String) {
    let described = unknown.iter().take(ONE_BY_ONE * 4).map(|m| {
        let meant = closest_key(&m.key)
            .map(|s| format!(", did you mean \"{s}\"?"))
            .unwrap_or_default();
        format!(
            "\"{}\" (line {}{meant})",
            crate::text::clip(&m.key),
            m.key_pos.line
        )
    });
    let list = crate::text::clip_list_of(described, unknown.len(), ", ");
    let first = unknown[0];
    let f = Finding::new(
        Code::DaemonJsonUnknownKey,
        format!(
            "{} keys in {} are not dockerd options: {list}; dockerd refuses to start",
            unknown.len(),
            cx.file.path
        ),
    )
    .stops_dockerd(client)
    .hint(format!(
        "delete them from {} (or rename the misspelt ones as suggested); `dockerd --help` lists the options, and the JSON report's evidence lists the keys (the first {})",
        cx.file.path,
        crate::text::EVIDENCE_ITEMS
    ));
    let (others, total) = crate::text::bounded(
        unknown
            .iter()
            .map(|m| crate::text::clip(&m.key).into_owned()),
    );
    let f = cx.at_many(first.key_pos, Some(&first.key), others, total, f);
    cx.findings.push(f);
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
    // No option is longer than 40 characters: a longer key is near none of them (and the
    // edit distance of a 300 KB key would cost time for nothing).
    if key.len() > 64 {
        return None;
    }
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
    cx.push_at(m.key_pos, Some(key), f.hint(hint));
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
        (Some(p), false) => format!("\"{p}\": [{}]", crate::text::clip_list(&values, ", ")),
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
    cx.push_at(m.key_pos, Some(&m.key), f);
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
    cx.push_at(v.pos, Some(&m.key), f);
}

/// A setting both on dockerd's command line (its systemd unit) and in the file.
pub(super) fn flag_conflicts(cx: &mut Ctx<'_>, members: &[Member]) {
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
    let flags = crate::text::clip(&exec.argv.join(" ")).into_owned();
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
    cx.push_at(pos, Some(&first.key), f);
}
