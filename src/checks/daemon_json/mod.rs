//! `daemon-json`: Docker's daemon.json — syntax (Go's error at its true position),
//! duplicate keys, unknown keys with dockerd's own rule, flag spellings that do nothing,
//! types, deprecated and removed keys, registry entries — and whether it suits the target.

mod keys;
mod known;
mod registries;
mod syntax;
mod target;

use super::{Check, Outcome};
use crate::codes::{CheckId, Code};
#[cfg(test)]
use crate::facts::Facts;
use crate::facts::Runtime;
#[cfg(test)]
use crate::facts::TlsOutcome;
use crate::facts::node::{Source, TextFile};
use crate::finding::Finding;
use crate::finding::evidence::FilePosition;
use crate::jsonpos::{self, Kind, Pos, Value};

/// The check.
pub struct DaemonJson;

/// The most findings of one code shown one by one; the others are counted in one more
/// finding that lists their keys (100,000 unknown keys are 11 findings, not 100,000).
const PER_CODE: usize = 10;

struct Ctx<'a> {
    facts: &'a super::Basis<'a>,
    file: &'a TextFile,
    version: Option<(u32, u32)>,
    findings: Vec<Finding>,
    /// The byte offset where each line starts (line n at `line_starts[n - 1]`).
    line_starts: Vec<usize>,
    /// Per code: how many were shown, and the ones beyond [`PER_CODE`].
    counts: Vec<(Code, usize, Option<Omitted>)>,
}

/// The findings of one code beyond [`PER_CODE`].
struct Omitted {
    /// The first of them, which the summary is built from.
    first: Finding,
    first_pos: Pos,
    last_line: usize,
    count: usize,
    /// Their keys or entries (at most `text::EVIDENCE_ITEMS`).
    keys: Vec<String>,
}

impl<'a> Ctx<'a> {
    fn new(facts: &'a super::Basis<'a>, file: &'a TextFile) -> Ctx<'a> {
        let line_starts = std::iter::once(0)
            .chain(file.text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Ctx {
            facts,
            file,
            version: facts.node.docker_version.as_deref().and_then(parse_version),
            findings: Vec::new(),
            line_starts,
            counts: Vec::new(),
        }
    }

    /// Line `n`, shortened around `col` when it is long.
    fn line_at(&self, n: usize, col: usize) -> String {
        let text = &self.file.text;
        let start = self
            .line_starts
            .get(n.saturating_sub(1))
            .copied()
            .unwrap_or(text.len());
        let end = self
            .line_starts
            .get(n)
            .copied()
            .unwrap_or(text.len())
            .max(start);
        let line = text[start..end].trim_end();
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

    /// Whether the next finding of `code` is shown one by one (else it is only counted,
    /// and work spent on its wording is wasted).
    fn shown(&self, code: Code) -> bool {
        self.counts
            .iter()
            .find(|(c, _, _)| *c == code)
            .is_none_or(|(_, n, _)| *n < PER_CODE)
    }

    /// Adds a finding at a place in the file: one of the first [`PER_CODE`] of its code,
    /// or counted for the summary.
    fn push_at(&mut self, pos: Pos, key: Option<&str>, f: Finding) {
        self.push_item(pos, key, key, f);
    }

    /// [`Ctx::push_at`], listing `item` (an entry of a list) in the summary rather than
    /// the key.
    fn push_item(&mut self, pos: Pos, key: Option<&str>, item: Option<&str>, f: Finding) {
        let i = self.slot(f.code);
        if self.counts[i].1 < PER_CODE {
            self.counts[i].1 += 1;
            let f = self.at(pos, key, f);
            self.findings.push(f);
            return;
        }
        if self.counts[i].2.is_none() {
            self.counts[i].2 = Some(Omitted {
                first: f,
                first_pos: pos,
                last_line: pos.line,
                count: 0,
                keys: Vec::new(),
            });
        }
        let code = self.counts[i].0;
        self.count_only(code, pos, item);
    }

    /// Where `code` is counted in `counts`.
    fn slot(&mut self, code: Code) -> usize {
        match self.counts.iter().position(|(c, _, _)| *c == code) {
            Some(i) => i,
            None => {
                self.counts.push((code, 0, None));
                self.counts.len() - 1
            }
        }
    }

    /// Whether a finding of `code` would be used (shown, or the first one counted): when
    /// not, [`Ctx::count_only`] counts it without building it (100,000 entries do not
    /// build 100,000 findings).
    fn wanted(&self, code: Code) -> bool {
        self.counts
            .iter()
            .find(|(c, _, _)| *c == code)
            .is_none_or(|(_, n, o)| *n < PER_CODE || o.is_none())
    }

    /// One more finding of `code` beyond the ones shown, counted (its item listed).
    fn count_only(&mut self, code: Code, pos: Pos, item: Option<&str>) {
        let i = self.slot(code);
        if let Some(o) = &mut self.counts[i].2 {
            o.count += 1;
            o.last_line = pos.line;
            if let Some(k) = item
                && o.keys.len() < crate::text::EVIDENCE_ITEMS
            {
                o.keys.push(crate::text::clip(k).into_owned());
            }
        }
    }

    /// The findings, with one summary per code that had more than [`PER_CODE`].
    fn finish(mut self) -> Vec<Finding> {
        for (code, _, omitted) in std::mem::take(&mut self.counts) {
            let Some(o) = omitted else { continue };
            let listed = if o.keys.is_empty() {
                String::new()
            } else {
                let quoted = o.keys.iter().map(|k| format!("\"{k}\""));
                format!(": {}", crate::text::clip_list_of(quoted, o.count, ", "))
            };
            let mut f = o.first;
            f.message = format!(
                "and {} more {code} findings like the above in {}, from line {} to line {}{listed}",
                o.count, self.file.path, o.first_pos.line, o.last_line
            );
            f.hint = Some(format!(
                "the same fix for each of them (the JSON report's evidence lists the first {})",
                crate::text::EVIDENCE_ITEMS
            ));
            let f = self.at_many(o.first_pos, None, o.keys, o.count, f);
            self.findings.push(f);
        }
        self.findings
    }

    /// [`Ctx::at`] for a finding that stands for `total` of one kind, whose keys (the
    /// first `text::EVIDENCE_ITEMS`) are `others`.
    fn at_many(
        &self,
        pos: Pos,
        key: Option<&str>,
        others: Vec<String>,
        total: usize,
        f: Finding,
    ) -> Finding {
        let mut f = self.at(pos, key, f);
        if let Some(crate::finding::Evidence::Position(p)) = f.evidence.as_deref_mut() {
            p.others_total = Some(total);
            p.others = others;
        }
        f
    }

    fn at(&self, pos: Pos, key: Option<&str>, f: Finding) -> Finding {
        f.evidence(FilePosition {
            file: self.file.path.clone(),
            line: pos.line,
            column: pos.col,
            key: key.map(|k| crate::text::clip_to(k, crate::text::EVIDENCE_CHARS).into_owned()),
            text: crate::text::mask_userinfo(&self.line_at(pos.line, pos.col)),
            others: Vec::new(),
            others_total: None,
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
        include_str!("../../../checks/daemon-json.md")
    }
    fn network(&self) -> bool {
        false
    }
    fn run(&self, facts: &super::Basis<'_>) -> Outcome {
        let file = match &facts.node.daemon_json {
            Source::Read(f) => f,
            Source::Absent { path } => return Outcome::Skip(format!("no {path} on this node")),
            Source::Unreadable { path, why } => {
                if let Some(why) = facts.not_judged_reason(Runtime::Docker) {
                    return Outcome::Skip(why);
                }
                return Outcome::Findings(vec![crate::checks::node_common::unreadable_file(
                    crate::codes::Code::DaemonJsonUnreadable,
                    "Docker's daemon",
                    path,
                    "the daemon's JSON configuration",
                    why,
                )]);
            }
            Source::NotRead => {
                return Outcome::Skip(
                    "not read: --no-node-defaults was given and no path was named".into(),
                );
            }
        };
        if let Some(why) = facts.not_judged_reason(Runtime::Docker) {
            return Outcome::Skip(why);
        }
        let mut cx = Ctx::new(facts, file);
        let parsed = jsonpos::parse(&file.text);
        if let Some(e) = &parsed.error {
            syntax::syntax(&mut cx, e, parsed.unclosed);
        }
        match parsed.value {
            Some(Value {
                kind: Kind::Object(members),
                ..
            }) => {
                syntax::duplicates(&mut cx, &members);
                keys::flag_conflicts(&mut cx, &members);
                keys::top_level(&mut cx, &members);
                registries::registries(&mut cx, &members);
                target::against_target(&mut cx, &members);
            }
            // After a syntax error the partial value says little about the type.
            Some(v) if parsed.error.is_none() => syntax::not_an_object(&mut cx, &v),
            _ => {}
        }
        Outcome::Findings(cx.finish())
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
    let mut unreadable = offline();
    unreadable.node.daemon_json = Source::Unreadable {
        path: "/etc/docker/daemon.json".into(),
        why: "it is not a regular file (a device, pipe or socket)".into(),
    };
    vec![
        (fx("valid.json"), vec![]),
        (unreadable, vec![Code::DaemonJsonUnreadable]),
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

    /// The finding's place in the file.
    fn position(f: &Finding) -> &crate::finding::evidence::FilePosition {
        match f.evidence.as_deref() {
            Some(crate::finding::Evidence::Position(p)) => p,
            other => panic!("{}: no position but {other:?}", f.code),
        }
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
        assert_eq!(position(&out[1]).line, 3);
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
        assert_eq!(position(&out[1]).line, 3);
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
        let text =
            "{\n  \"proxies\": {\n    \"https-proxy\": \"http://bob:pw@10.0.0.1:3128\"\n  }\n}\n";
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
            assert_eq!(position(&out[0]).line, line, "{name}: {:?}", out[0]);
            assert_eq!(position(&out[0]).file, "/etc/docker/daemon.json");
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
