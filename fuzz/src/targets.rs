//! The fuzz targets: one per parser, each a function of arbitrary bytes that panics when a
//! property fails. The same functions run under AFL++ (`fuzz/src/bin/afl.rs`, the long
//! mode in `scripts/fuzz.sh`) and in the short smoke of `cargo test`
//! (`tests/fuzz_smoke.rs`, which includes this file), so a crash found by either is a
//! failing test of the other.
//!
//! Beyond "no panic", each target checks what its parser promises: positions inside the
//! text, agreement with serde_json, round trips, print-back. Hangs are bounded by the
//! callers (AFL's `-t`, the smoke's per-input deadline).
//!
//! Targets that need more than one text (a hosts.toml and a config.toml, a unit file and
//! its drop-ins) split the input at NUL bytes; targets that run the checks pick a
//! scenario from the input's length, so seeds stay plain files.

use regdoctor::facts::Facts;
use regdoctor::facts::node::{CertsRoot, HostDir, NodeFile, Source, TextFile};
use regdoctor::finding::evidence::Evidence;

/// A fuzz target.
pub struct Target {
    /// Its name: the folder of its seeds under `fuzz/corpus/`.
    pub name: &'static str,
    /// What it checks.
    pub about: &'static str,
    /// Runs one input; panics when a property fails.
    pub run: fn(&[u8]),
}

/// Every target, in the order the long mode runs them.
pub const TARGETS: &[Target] = &[
    Target {
        name: "jsonpos",
        about: "jsonpos::parse: positions inside the text; same value as serde_json on valid JSON, an error exactly when serde_json has one",
        run: jsonpos,
    },
    Target {
        name: "daemon_json",
        about: "the daemon-json check (and every other check) on a daemon.json: file positions in findings are inside the file",
        run: daemon_json,
    },
    Target {
        name: "bundle",
        about: "pki::bundle::parse on a CA bundle file (PEM or DER): every certificate it keeps parses again and can be summarised",
        run: bundle,
    },
    Target {
        name: "cert",
        about: "Cert::parse and goparse::parse on DER: what Cert::parse accepts, Go's parser accepts; summaries, signature checks",
        run: cert,
    },
    Target {
        name: "containerd",
        about: "hosts.toml NUL config.toml through runtimes::containerd and the containerd-hosts check: positions inside the file",
        run: containerd,
    },
    Target {
        name: "registries",
        about: "registries.conf NUL a drop-in through runtimes::containers and the containers-registries check",
        run: registries,
    },
    Target {
        name: "challenge",
        about: "challenge::parse on a WWW-Authenticate value: printing what was parsed and parsing it again gives the same challenges",
        run: challenge,
    },
    Target {
        name: "target",
        about: "target::parse: whatever it accepts prints back (registry name, v2 URL, authority) to the same target",
        run: target,
    },
    Target {
        name: "url",
        about: "target::split_url on a Location or a Bearer realm: what it splits prints back to the same host, port and path",
        run: url,
    },
    Target {
        name: "platform",
        about: "facts::pull::Platform::parse (--platform, a runtime's error line): prints back to the same, matches itself",
        run: platform,
    },
    Target {
        name: "manifest",
        about: "the pull walk's reading of a manifest answer (Content-Type NUL body): media type, index entries, config and layer",
        run: manifest,
    },
    Target {
        name: "triage",
        about: "triage::triage on a log: never an I/O error on bytes in memory, counts add up, the report renders",
        run: triage,
    },
    Target {
        name: "token",
        about: "probe::creds::take_token on a token response body: a token exactly when serde_json finds a non-empty token or access_token",
        run: token,
    },
    Target {
        name: "systemd",
        about: "formats::systemd::parse on a unit NUL drop-ins NUL an environment file: origins name a real file and line",
        run: systemd,
    },
];

/// A target by name.
pub fn by_name(name: &str) -> Option<&'static Target> {
    TARGETS.iter().find(|t| t.name == name)
}

/// The time every check-running target judges at (2026-01-01).
const NOW: i64 = 1_767_225_600;

fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// Asserts a 1-based (line, column in characters) lies inside `text` (the column may be one
/// past the end of its line: an error at the end of a line or of the file).
fn assert_inside(text: &str, line: usize, col: usize, what: &str) {
    let lines: Vec<&str> = text.split('\n').collect();
    assert!(
        line >= 1 && line <= lines.len(),
        "{what}: line {line} outside 1..={}",
        lines.len()
    );
    let len = lines[line - 1].chars().count();
    assert!(
        col >= 1 && col <= len + 1,
        "{what}: column {col} outside 1..={} on line {line}",
        len + 1
    );
}

// ---------------------------------------------------------------- jsonpos

fn jsonpos(data: &[u8]) {
    use regdoctor::jsonpos::{self, Kind, Value};
    let text = text(data);
    let parsed = jsonpos::parse(&text);
    let body = text.strip_prefix('\u{feff}').unwrap_or(&text);

    fn walk(v: &Value, body: &str) {
        assert_inside(body, v.pos.line, v.pos.col, "value position");
        match &v.kind {
            Kind::Array(items) => items.iter().for_each(|i| walk(i, body)),
            Kind::Object(members) => {
                for m in members {
                    assert_inside(body, m.key_pos.line, m.key_pos.col, "key position");
                    walk(&m.value, body);
                }
            }
            _ => {}
        }
    }
    if let Some(v) = &parsed.value {
        walk(v, body);
    }
    if let Some(e) = &parsed.error {
        assert!(e.offset <= body.len(), "error offset past the end");
        assert_inside(body, e.pos.line, e.pos.col, "error position");
        assert!(!e.message.is_empty());
    } else {
        assert!(parsed.unclosed.is_none(), "unclosed without an error");
    }
    if let Some((c, p)) = parsed.unclosed {
        assert!(c == '{' || c == '[');
        assert_inside(body, p.line, p.col, "unclosed position");
    }

    // Agreement with serde_json.
    let ws = |c: char| matches!(c, ' ' | '\t' | '\n' | '\r');
    if body.trim_matches(ws).is_empty() {
        assert!(parsed.value.is_none() && parsed.error.is_none());
        return;
    }
    // serde_json stops at 128 levels, jsonpos at MAX_DEPTH.
    if body.bytes().filter(|b| matches!(b, b'[' | b'{')).count() > 100 {
        return;
    }
    fn to_serde(v: &Value) -> serde_json::Value {
        match &v.kind {
            Kind::Null => serde_json::Value::Null,
            Kind::Bool(b) => serde_json::Value::Bool(*b),
            Kind::Number(n) => serde_json::from_str(n).expect("a number jsonpos read"),
            Kind::String(s) => serde_json::Value::String(s.clone()),
            Kind::Array(a) => serde_json::Value::Array(a.iter().map(to_serde).collect()),
            // Duplicates: the last one wins, in Go and in serde_json.
            Kind::Object(m) => serde_json::Value::Object(
                m.iter()
                    .map(|m| (m.key.clone(), to_serde(&m.value)))
                    .collect(),
            ),
        }
    }
    match (
        serde_json::from_str::<serde_json::Value>(body),
        &parsed.error,
    ) {
        (Ok(expected), None) => {
            let got = to_serde(parsed.value.as_ref().expect("a value without an error"));
            assert_eq!(
                got, expected,
                "jsonpos and serde_json read different values"
            );
        }
        (Err(_), Some(_)) => {}
        (Ok(_), Some(e)) => panic!("jsonpos refuses what serde_json accepts: {e:?}"),
        (Err(e), None) => {
            // Where Go (and so jsonpos) is more lenient than serde_json: numbers beyond
            // f64 (Go's syntax check accepts them) and lone surrogates (Go reads U+FFFD).
            let msg = e.to_string();
            let lenient = [
                "number out of range",
                "surrogate",
                "hex escape",
                "unicode code point",
            ];
            assert!(
                lenient.iter().any(|l| msg.contains(l)),
                "jsonpos accepts what serde_json refuses: {msg}"
            );
        }
    }
}

// ---------------------------------------------------------------- the checks

/// The scenario of a check-running target, chosen by the input's length: offline (no
/// target), an IP target, a DNS-name target.
fn facts_for(data: &[u8]) -> Facts {
    let target = match data.len() % 3 {
        0 => None,
        1 => Some("10.0.0.5:5000"),
        _ => Some("registry.example.com"),
    };
    let mut f = match target {
        None => {
            let mut f = Facts::new(Err("no target".into()), NOW);
            f.offline = true;
            f
        }
        Some(t) => Facts::new(
            Ok(regdoctor::target::parse(t).expect("a valid target")),
            NOW,
        ),
    };
    if data.len().is_multiple_of(2) {
        f.node.docker_version = Some("24.0.7".into());
        f.node.installs.containerd.version = Some("1.6.20".into());
    }
    f
}

/// Every finding's evidence that names a line and column of `path` points inside `text`.
fn findings_inside(facts: &Facts, files: &[(&str, &str)]) {
    let assessment = regdoctor::checks::run_all(facts);
    for r in &assessment.results {
        for f in &r.findings {
            assert!(!f.message.is_empty());
            let Some(Evidence::Position(p)) = f.evidence.as_deref() else {
                continue;
            };
            if let Some((_, text)) = files.iter().find(|(path, _)| *path == p.file) {
                let text = text.strip_prefix('\u{feff}').unwrap_or(text);
                assert_inside(
                    text,
                    p.line,
                    p.column,
                    &format!("{:?} in {}", f.code, p.file),
                );
            }
        }
    }
    // The report model takes everything the checks said.
    let _ =
        regdoctor::report::Report::from_facts(facts, assessment, "2026-01-01T00:00:00Z".into(), 0);
}

fn daemon_json(data: &[u8]) {
    let text = text(data);
    let mut f = facts_for(data);
    let path = "/etc/docker/daemon.json";
    f.node.daemon_json = Source::Read(TextFile {
        path: path.into(),
        text: text.clone(),
    });
    findings_inside(&f, &[(path, &text)]);
}

fn split_nul(data: &[u8]) -> Vec<&[u8]> {
    data.split(|b| *b == 0).collect()
}

fn containerd(data: &[u8]) {
    let parts = split_nul(data);
    let hosts = parts[0];
    let root = "/etc/containerd/certs.d";
    let dir = if data.len().is_multiple_of(2) {
        "10.0.0.5:5000"
    } else {
        "_default"
    };
    let mut f = facts_for(data);
    f.node.installs.containerd.evidence.push("fuzz".into());
    f.node.containerd_certs_d = Source::Read(CertsRoot {
        root: root.into(),
        unread: 0,
        dirs: vec![HostDir {
            name: dir.into(),
            files: vec![NodeFile {
                name: "hosts.toml".into(),
                bytes: hosts.to_vec(),
                is_dir: false,
                error: None,
            }],
            mismatched_pairs: vec![],
        }],
        referenced: Default::default(),
    });
    let config_path = "/etc/containerd/config.toml";
    let config = parts.get(1).map(|c| text(c)).unwrap_or_default();
    if parts.len() > 1 {
        f.node.containerd_config = Source::Read(TextFile {
            path: config_path.into(),
            text: config.clone(),
        });
    }
    let hosts_path = format!("{root}/{dir}/hosts.toml");
    let hosts_text = text(hosts);
    findings_inside(&f, &[(&hosts_path, &hosts_text), (config_path, &config)]);
}

fn registries(data: &[u8]) {
    let parts = split_nul(data);
    let mut f = facts_for(data);
    f.node.installs.containers.evidence.push("fuzz".into());
    let main = "/etc/containers/registries.conf";
    let main_text = text(parts[0]);
    f.node.registries_conf = Source::Read(TextFile {
        path: main.into(),
        text: main_text.clone(),
    });
    let drop_in = "/etc/containers/registries.conf.d/50-fuzz.conf";
    let drop_text = parts.get(1).map(|c| text(c)).unwrap_or_default();
    if parts.len() > 1 {
        f.node.registries_conf_d.push(Source::Read(TextFile {
            path: drop_in.into(),
            text: drop_text.clone(),
        }));
    }
    findings_inside(&f, &[(main, &main_text), (drop_in, &drop_text)]);
}

// ---------------------------------------------------------------- certificates

/// What every parsed certificate must survive.
fn exercise(c: &regdoctor::pki::Cert) {
    let again = regdoctor::pki::Cert::parse(&c.der).expect("a kept certificate parses again");
    assert_eq!(again.sha256, c.sha256);
    let _ = c.summary_at(NOW);
    let _ = c.san_list();
    let _ = c.display_name();
    let _ = c.key_description();
    let _ = c.go_name();
    let _ = (c.is_ca(), c.is_self_issued());
    if let Err(e) = regdoctor::pki::cert::check_signature(c, c) {
        let _ = e.go_text();
    }
}

fn bundle(data: &[u8]) {
    let b = regdoctor::pki::bundle::parse(data);
    if b.empty {
        assert!(data.iter().all(u8::is_ascii_whitespace));
        assert!(b.certs.is_empty());
    }
    if b.der {
        assert_eq!(b.certs.len(), 1);
    }
    for c in &b.certs {
        exercise(c);
    }
}

fn cert(data: &[u8]) {
    let go = regdoctor::pki::goparse::parse(data);
    match regdoctor::pki::Cert::parse(data) {
        Ok(c) => {
            assert!(go.is_ok(), "Cert::parse accepted what Go's parser refuses");
            assert_eq!(c.der, data);
            exercise(&c);
        }
        Err(e) => assert!(!e.is_empty()),
    }
    if let Err(e) = go {
        assert!(
            e.starts_with("x509: "),
            "Go's errors start with x509: ({e})"
        );
    }
}

// ---------------------------------------------------------------- WWW-Authenticate

/// Prints challenges back as a header: parameters quoted with `\` escapes.
pub fn print_challenges(cs: &[regdoctor::challenge::Challenge]) -> String {
    let quote = |v: &str| {
        let mut s = String::from("\"");
        for c in v.chars() {
            if c == '"' || c == '\\' {
                s.push('\\');
            }
            s.push(c);
        }
        s.push('"');
        s
    };
    cs.iter()
        .map(|c| {
            let params: Vec<String> = c
                .params
                .iter()
                .map(|(k, v)| {
                    if k.is_empty() {
                        quote(v)
                    } else {
                        format!("{k}={}", quote(v))
                    }
                })
                .collect();
            if params.is_empty() {
                c.scheme.clone()
            } else {
                format!("{} {}", c.scheme, params.join(", "))
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn challenge(data: &[u8]) {
    use regdoctor::challenge::{Challenge, parse};
    let header = text(data);
    let cs = parse(&header);
    for c in &cs {
        assert!(!c.scheme.is_empty());
        assert_eq!(c.scheme, c.scheme.to_ascii_lowercase());
        let _ = c.scheme_name();
        for (k, _) in &c.params {
            assert_eq!(*k, k.to_ascii_lowercase());
        }
    }
    // Simple challenges (a scheme with named parameters) print and parse back to the same.
    let simple: Vec<Challenge> = cs
        .iter()
        .filter(|c| c.params.iter().all(|(k, _)| !k.is_empty()))
        .filter(|c| !c.params.is_empty())
        .cloned()
        .collect();
    let printed = print_challenges(&simple);
    assert_eq!(parse(&printed), simple, "printed as {printed:?}");
}

// ---------------------------------------------------------------- the target argument

fn target(data: &[u8]) {
    use regdoctor::target::{Scheme, parse};
    let input = text(data);
    let Ok(t) = parse(&input) else {
        return;
    };
    let same = |printed: &str, what: &str| {
        let back = parse(printed).unwrap_or_else(|e| {
            panic!("{input:?} parsed, but its {what} {printed:?} does not: {e}")
        });
        assert_eq!(back.host, t.host, "{what} {printed:?}");
        assert_eq!(back.port, t.port, "{what} {printed:?}");
        back
    };
    let v2 = same(&t.v2_url(), "v2 URL");
    assert_eq!(v2.scheme, t.scheme);
    assert_eq!(v2.ignored_path, None);
    let auth = same(&t.authority(), "authority");
    assert!(auth.explicit_port);
    if t.scheme == Scheme::Https {
        let r = same(&t.registry_name(), "registry name");
        assert_eq!(r.explicit_port, t.explicit_port);
    }
    assert!(t.port > 0);
    // An image reference prints back, as a runtime names it, to the same image.
    // (A repository whose first component is `v2` prints as an API path, which a target
    // takes as the registry: `host/v2/...` is how URLs are pasted.)
    if let Some(image) = t
        .image
        .as_ref()
        .filter(|i| !i.repository.starts_with("v2/"))
    {
        assert_eq!(t.scheme, Scheme::Https);
        assert!(!image.repository.is_empty());
        assert!(!image.reference().is_empty());
        let printed = format!("{}/{}", t.registry_name(), image.familiar());
        let back = same(&printed, "image reference");
        // The same image pulled: a tag beside a digest, and `latest`, are not printed.
        let b = back.image.as_ref().expect("an image reference");
        assert_eq!(
            (&b.repository, b.reference(), &b.digest),
            (&image.repository, image.reference(), &image.digest),
            "image reference {printed:?}"
        );
    }
}

// ---------------------------------------------------------------- URLs from servers

/// `target::split_url` on a `Location` or a Bearer realm: whatever it splits prints back to
/// the same host, port and path.
fn url(data: &[u8]) {
    use regdoctor::target::split_url;
    let input = text(data);
    let Some((t, path)) = split_url(&input) else {
        return;
    };
    assert!(path.starts_with('/'), "{input:?}: path {path:?}");
    assert_eq!(t.image, None);
    assert_eq!(t.ignored_path, None, "{input:?}");
    let printed = format!("{}://{}{path}", t.scheme.as_str(), t.authority());
    let (back, back_path) =
        split_url(&printed).unwrap_or_else(|| panic!("{input:?} split, {printed:?} does not"));
    assert_eq!(
        (&back.host, back.port, back.scheme, &back_path),
        (&t.host, t.port, t.scheme, &path),
        "{input:?} printed as {printed:?}"
    );
}

// ---------------------------------------------------------------- the pull path

/// `Platform::parse` (`--platform`, a runtime's "no matching manifest for" line): what it
/// reads prints back to the same, and matches itself.
fn platform(data: &[u8]) {
    use regdoctor::facts::pull::Platform;
    use regdoctor::probe::pull::platform_matches;
    let input = text(data);
    let Some(p) = Platform::parse(&input) else {
        return;
    };
    assert!(!p.os.is_empty() && !p.architecture.is_empty());
    assert!(!p.to_string().is_empty());
    assert_eq!(
        Platform::parse(&p.to_string()).as_ref(),
        Some(&p),
        "{input:?}"
    );
    assert!(platform_matches(&p, &p));
    let bare = Platform {
        variant: None,
        ..p.clone()
    };
    // As containerd's matcher: symmetric; a variant matters unless it is the
    // architecture's default (amd64 v1, arm64 v8; arm without one is v7).
    assert_eq!(platform_matches(&p, &bare), platform_matches(&bare, &p));
    let default_variant = matches!(
        (p.architecture.as_str(), p.variant.as_deref()),
        (_, None) | ("amd64", Some("v1")) | ("arm64", Some("v8")) | ("arm", Some("v7"))
    );
    assert_eq!(platform_matches(&p, &bare), default_variant, "{input:?}");
}

/// A manifest answer (`Content-Type` NUL body, or a body alone): its media type, an
/// index's entries and a manifest's blobs, as the pull walk reads them.
fn manifest(data: &[u8]) {
    use regdoctor::facts::HttpExchange;
    use regdoctor::facts::pull::{Platform, media};
    use regdoctor::probe::pull::{document_kind, index_entries, manifest_blobs, platform_matches};
    let (content_type, body) = match data.iter().position(|b| *b == 0) {
        Some(i) => (Some(text(&data[..i])), &data[i + 1..]),
        None => (None, data),
    };
    let ex = HttpExchange {
        status: Some(200),
        headers: content_type
            .iter()
            .map(|c| ("content-type".to_string(), c.clone()))
            .collect(),
        body: text(body),
        ..Default::default()
    };
    let header = ex.media_type();
    assert!(!header.contains(';') && header == header.trim());
    let doc = serde_json::from_slice::<serde_json::Value>(body).ok();
    let kind = document_kind(header.clone(), doc.as_ref());
    if !header.is_empty() {
        assert_eq!(kind, header);
    }
    let manifests = doc
        .as_ref()
        .and_then(|d| d.get("manifests"))
        .and_then(|m| m.as_array())
        .map_or(0, Vec::len);
    let entries = index_entries(doc.as_ref());
    assert!(entries.len() <= manifests);
    let wanted = Platform::parse("linux/arm64/v8").expect("a platform");
    for (p, digest) in &entries {
        assert_ne!(p.os, "unknown");
        let _ = (p.to_string(), platform_matches(&wanted, p), digest.len());
    }
    let (config, layer) = manifest_blobs(doc.as_ref());
    if let Some((digest, _)) = &config {
        let expected = doc.as_ref().and_then(|d| d["config"]["digest"].as_str());
        assert_eq!(Some(digest.as_str()), expected);
    }
    if layer.is_some() {
        assert!(doc.as_ref().is_some_and(|d| d["layers"][0].is_object()));
    }
    let _ = (media::is_index(&kind), media::is_manifest(&kind));
}

// ---------------------------------------------------------------- triage

fn triage(data: &[u8]) {
    let t = regdoctor::triage::triage(&mut &data[..], "fuzz").expect("no I/O error in memory");
    assert_eq!(t.bytes, data.len() as u64);
    let newlines = data.iter().filter(|b| **b == b'\n').count() as u64;
    assert!(t.lines >= newlines && t.lines <= newlines + 1);
    for m in &t.matches {
        assert!(m.count >= 1 && m.first_line >= 1 && m.first_line <= t.lines);
    }
    let _ = regdoctor::render::triage::render_human(&t);
}

// ---------------------------------------------------------------- the token response

fn token(data: &[u8]) {
    let body = text(data);
    let ex = regdoctor::facts::HttpExchange {
        status: Some(200),
        body: body.clone(),
        ..Default::default()
    };
    let (secret, field) = regdoctor::probe::creds::take_token(&ex);
    let expected = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| {
            ["token", "access_token"].into_iter().find_map(|f| {
                v.get(f)
                    .and_then(|t| t.as_str())
                    .filter(|t| !t.is_empty())
                    .map(|t| (t.to_string(), f))
            })
        });
    match (secret, field, expected) {
        (Some(s), Some(f), Some((t, ef))) => {
            assert_eq!(s.expose(), t);
            assert_eq!(f, ef);
        }
        (None, None, None) => {}
        (s, f, e) => panic!("take_token gave {:?}/{f:?}, expected {e:?}", s.is_some()),
    }
    let _ = ex.registry_errors();
    let refused = regdoctor::facts::HttpExchange {
        status: Some(401),
        body,
        ..Default::default()
    };
    assert!(regdoctor::probe::creds::take_token(&refused).0.is_none());
}

// ---------------------------------------------------------------- systemd units

fn systemd(data: &[u8]) {
    use regdoctor::formats::systemd::{UnitText, parse, split_words};
    let parts: Vec<String> = split_nul(data).into_iter().map(text).collect();
    let (env_text, unit_texts) = if parts.len() > 2 {
        (
            Some(parts[parts.len() - 1].clone()),
            &parts[..parts.len() - 1],
        )
    } else {
        (None, &parts[..])
    };
    let paths: Vec<String> = (0..unit_texts.len())
        .map(|i| {
            if i == 0 {
                "/lib/systemd/system/docker.service".to_string()
            } else {
                format!("/etc/systemd/system/docker.service.d/{i}.conf")
            }
        })
        .collect();
    let units: Vec<UnitText<'_>> = unit_texts
        .iter()
        .zip(&paths)
        .map(|(t, p)| UnitText { path: p, text: t })
        .collect();
    let mut asked = Vec::new();
    let svc = parse(&units, &mut |p: &str| {
        asked.push(p.to_string());
        env_text.clone()
    });
    // Every origin is `path:line` of a unit (or of the environment file) that has that line.
    let check_origin = |origin: &str| {
        let (path, line) = origin.rsplit_once(':').expect("origin is path:line");
        let line: usize = line.parse().expect("a line number");
        let text = match paths.iter().position(|p| p == path) {
            Some(i) => unit_texts[i].as_str(),
            None => {
                assert!(
                    asked.iter().any(|a| a == path),
                    "origin {origin} names no file"
                );
                env_text.as_deref().unwrap_or_default()
            }
        };
        assert!(
            line >= 1 && line <= text.lines().count().max(1),
            "origin {origin} past the end"
        );
    };
    if let Some(e) = &svc.exec_start {
        check_origin(&e.origin);
    }
    for v in &svc.environment {
        check_origin(&v.origin);
    }
    for (_, o) in &svc.environment_files {
        check_origin(o);
    }
    if let Some(e) = svc.environment.last() {
        assert_eq!(svc.env(&e.name).map(|v| &v.value), Some(&e.value));
    }
    // Words never hold unquoted whitespace, and splitting is total.
    let _ = split_words(&parts[0]);
}
