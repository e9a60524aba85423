//! docs/report.schema.json validates real reports, and lists exactly the checks and codes
//! the code knows.

use crate::common::pki::*;
use crate::common::server::{self, Behaviour};
use crate::common::*;

fn schema() -> serde_json::Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/report.schema.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn assert_valid(report: &serde_json::Value) {
    let s = schema();
    let v = jsonschema::validator_for(&s).unwrap();
    let errors: Vec<String> = v
        .iter_errors(report)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{report:#}");
}

#[test]
fn real_reports_validate() {
    let dir = tempfile::tempdir().unwrap();
    let root = ca("Schema CA", now());
    let l = leaf(&root, &["registry.local"], now());
    let tls = server::start(
        "127.0.0.1:0",
        Behaviour::Tls(server::tls_config(std::slice::from_ref(&l.der), &l.key_der)),
    );
    let plain = server::start("127.0.0.1:0", Behaviour::PlainHttp);
    let ca_path = write(&dir, "ca.crt", root.pem.as_bytes());
    let dj = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/daemon-json/seed.json"
    );
    let closed = server::closed_port().to_string();
    for args in [
        vec![tls.target(), "--ca".into(), ca_path.clone()],
        vec![plain.target()],
        vec![closed],
        vec!["--daemon-json".into(), dj.into()],
    ] {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        let (_, r, err) = diagnose(&a);
        assert!(!r.is_null(), "{err}");
        assert_valid(&r);
        // The schema can fail: a report with an unknown verdict or code does not validate.
        let mut bad = r.clone();
        bad["verdict"] = "maybe".into();
        let s = schema();
        assert!(!jsonschema::validator_for(&s).unwrap().is_valid(&bad));
    }
}

#[test]
fn schema_lists_every_check_and_code() {
    let s = schema();
    let codes: Vec<&str> = s["$defs"]["code"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let expected: Vec<&str> = regdoctor::codes::Code::ALL
        .iter()
        .map(|c| c.as_str())
        .collect();
    assert_eq!(
        codes, expected,
        "regenerate the code enum of docs/report.schema.json: bash scripts/schema-codes.sh"
    );
    let ids: Vec<&str> = s["$defs"]["check_id"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let expected: Vec<&str> = regdoctor::codes::CheckId::ALL
        .iter()
        .map(|c| c.as_str())
        .collect();
    assert_eq!(ids, expected);
}

#[test]
fn schema_describes_every_kind_of_evidence() {
    // A finding's evidence is one of the typed families of regdoctor::finding::Evidence;
    // the schema has one closed definition per family (src/checks/tests.rs validates every
    // check example's evidence against its own).
    let s = schema();
    let refs: Vec<&str> = s["$defs"]["finding"]["properties"]["evidence"]["anyOf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["$ref"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = regdoctor::finding::Evidence::KINDS
        .iter()
        .map(|k| format!("#/$defs/evidence_{k}"))
        .collect();
    assert_eq!(
        refs, expected,
        "finding.evidence in docs/report.schema.json"
    );
    for k in regdoctor::finding::Evidence::KINDS {
        let def = &s["$defs"][format!("evidence_{k}")];
        let closed = match def.get("$ref") {
            Some(r) => &s["$defs"][r.as_str().unwrap().trim_start_matches("#/$defs/")],
            None => def,
        };
        assert_eq!(
            closed["additionalProperties"], false,
            "evidence_{k} must list every field"
        );
    }
}

/// docs/json.md names every field of the schema's report, of its top-level `evidence`
/// (not a finding's), of a certificate in `chain[]` and of a runtime's entry, and every
/// kind of a finding's evidence: the prose cannot lag the contract.
#[test]
fn json_md_names_every_field_of_the_schema() {
    let s = schema();
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/json.md")).unwrap();
    let keys = |v: &serde_json::Value| -> Vec<String> {
        v["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    };
    let d = &s["$defs"];
    let mut fields = keys(&s);
    fields.extend(keys(&d["evidence"]));
    fields.extend(keys(&d["evidence"]["properties"]["tls"]));
    fields.extend(keys(&d["certificate"]));
    fields.extend(keys(&d["runtime_verdict"]));
    fields.extend(keys(&d["finding"]));
    for f in fields {
        assert!(
            doc.contains(&format!("`{f}`")) || doc.contains(&format!("`{f}[]`")),
            "docs/json.md does not name `{f}`"
        );
    }
    for k in regdoctor::finding::Evidence::KINDS {
        assert!(
            doc.contains(&format!("| `{k}` |")),
            "docs/json.md: evidence kind `{k}`"
        );
    }
    // The top-level evidence has its own table, after the findings'.
    let findings = doc.find("Each finding, `checks[].findings[]`").unwrap();
    let top = doc.find("The report's top-level `evidence`").unwrap();
    assert!(findings < top);
}
