//! Registry tests: the list of checks, their pages, their codes and their examples are
//! kept in step here (rustc's tidy, cargo-deny's code snapshot, ShellCheck's verified
//! examples).

use std::collections::BTreeSet;

use super::{CHECKS, Outcome};
use crate::codes::{CheckId, Code};
use crate::facts::Facts;
use crate::finding::Evidence;

fn examples_of(id: CheckId) -> Vec<(Facts, Vec<Code>)> {
    match id {
        CheckId::Target => super::target::examples(),
        CheckId::TcpConnect => super::tcp_connect::examples(),
        CheckId::Proxy => super::proxy::examples(),
        CheckId::TlsHandshake => super::tls_handshake::examples(),
        CheckId::CaFile => super::ca_file::examples(),
        CheckId::CertValidity => super::cert_validity::examples(),
        CheckId::SanMatchesHost => super::san_matches_host::examples(),
        CheckId::CaChain => super::ca_chain::examples(),
        CheckId::RegistryApi => super::registry_api::examples(),
        CheckId::Catalog => super::catalog::examples(),
        CheckId::Credentials => super::credentials::examples(),
        CheckId::Pull => super::pull::examples(),
        CheckId::DaemonJson => super::daemon_json::examples(),
        CheckId::CertsD => super::certs_d::examples(),
        CheckId::ContainerdHosts => super::containerd_hosts::examples(),
        CheckId::ContainersRegistries => super::containers_registries::examples(),
    }
}

#[test]
fn every_check_id_is_registered_once_in_order() {
    let ids: Vec<CheckId> = CHECKS.iter().map(|c| c.id()).collect();
    assert_eq!(ids, CheckId::ALL);
    let names: BTreeSet<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(names.len(), Code::ALL.len(), "duplicate code names");
}

#[test]
fn every_page_matches_its_check_and_codes() {
    for check in CHECKS {
        let doc = check.doc();
        let id = check.id();
        assert!(
            doc.starts_with(&format!("# {id}: ")),
            "checks/{id}.md must start with '# {id}: '"
        );
        for code in id.codes() {
            let head = format!("### `{}` ({})", code.as_str(), code.severity().as_str());
            assert_eq!(
                doc.matches(&head).count(),
                1,
                "checks/{id}.md needs exactly one '{head}'"
            );
        }
        for line in doc.lines().filter(|l| l.starts_with("### `")) {
            let name = line
                .trim_start_matches("### `")
                .split('`')
                .next()
                .unwrap_or_default();
            let code = Code::parse(name).unwrap_or_else(|| panic!("{id}: unknown code {name}"));
            assert_eq!(
                code.check(),
                id,
                "{id}.md documents {name}, which belongs to {}",
                code.check()
            );
        }
    }
}

#[test]
fn every_file_in_checks_dir_is_a_registered_page() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/checks");
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut expected: Vec<String> = CheckId::ALL.iter().map(|id| format!("{id}.md")).collect();
    expected.sort();
    assert_eq!(files, expected);
}

#[test]
fn codes_list_snapshot() {
    let list: String = Code::ALL
        .iter()
        .map(|c| format!("{} {} {}\n", c.check(), c.as_str(), c.severity().as_str()))
        .collect();
    insta::assert_snapshot!(list);
}

#[test]
fn every_code_is_exercised_by_an_example_and_messages_follow_the_style() {
    for check in CHECKS {
        let id = check.id();
        let mut covered = BTreeSet::new();
        for (i, (facts, expected)) in examples_of(id).into_iter().enumerate() {
            let findings = match check.run(&super::Basis::new(&facts)) {
                Outcome::Findings(f) => f,
                Outcome::SkipNoted(f) => vec![f],
                Outcome::Skip(why) => panic!("{id} example {i} was skipped: {why}"),
            };
            let got: Vec<Code> = findings.iter().map(|f| f.code).collect();
            assert_eq!(got, expected, "{id} example {i}");
            for f in &findings {
                assert_eq!(f.severity, f.code.severity());
                let m = &f.message;
                assert!(
                    m.chars().next().is_some_and(|c| !c.is_uppercase()),
                    "{}: message starts upper-case: {m}",
                    f.code
                );
                assert!(
                    !m.ends_with('.'),
                    "{}: message ends with a period: {m}",
                    f.code
                );
                if f.severity != crate::codes::Severity::Info {
                    assert!(f.hint.is_some(), "{}: no hint", f.code);
                }
                // One line of prose, or prose ending with ':' and then the block.
                if let Some(h) = &f.hint
                    && let Some((prose, _)) = h.split_once('\n')
                {
                    assert!(
                        prose.ends_with(':'),
                        "{}: a block after prose not ending with ':': {h}",
                        f.code
                    );
                }
            }
            covered.extend(expected);
        }
        let all: BTreeSet<Code> = id.codes().collect();
        assert_eq!(covered, all, "{id}: codes without an example");
    }
}

/// A validator for one `$defs` entry of docs/report.schema.json.
fn schema_def(def: &str) -> jsonschema::Validator {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/report.schema.json"
    ))
    .unwrap();
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    let wrapper = serde_json::json!({
        "$schema": schema["$schema"],
        "$defs": schema["$defs"],
        "$ref": format!("#/$defs/{def}"),
    });
    jsonschema::validator_for(&wrapper).unwrap()
}

#[test]
fn every_example_finding_matches_the_schema_and_every_evidence_kind_has_one() {
    let finding = schema_def("finding");
    let mut by_kind: std::collections::BTreeMap<&str, jsonschema::Validator> = Default::default();
    for check in CHECKS {
        let id = check.id();
        for (i, (facts, _)) in examples_of(id).into_iter().enumerate() {
            let findings = match check.run(&super::Basis::new(&facts)) {
                Outcome::Findings(f) => f,
                Outcome::SkipNoted(f) => vec![f],
                Outcome::Skip(_) => vec![],
            };
            for f in findings {
                let json = serde_json::to_value(&f).unwrap();
                let errors: Vec<String> = finding
                    .iter_errors(&json)
                    .map(|e| format!("{e} at {}", e.instance_path()))
                    .collect();
                assert!(
                    errors.is_empty(),
                    "{id} example {i}, {}: {errors:#?}\n{json:#}",
                    f.code
                );
                // Not only one of the shapes: the shape of its own kind.
                if let Some(e) = f.evidence.as_deref() {
                    let own = by_kind
                        .entry(e.kind())
                        .or_insert_with(|| schema_def(&format!("evidence_{}", e.kind())));
                    assert!(
                        own.is_valid(&json["evidence"]),
                        "{id} example {i}, {}: not an evidence_{}: {json:#}",
                        f.code,
                        e.kind()
                    );
                }
            }
        }
    }
    let seen: BTreeSet<&str> = by_kind.keys().copied().collect();
    let all: BTreeSet<&str> = Evidence::KINDS.iter().copied().collect();
    assert_eq!(seen, all, "every kind of evidence needs a check example");
}
