//! The fleet summary: many nodes' reports in, one table out — per registry, how many nodes
//! pass, and for the others each root cause with its node count and node names, worst
//! first. Reads regdoctor JSON documents (one report, or `{"schema", "reports"}`),
//! one-per-line JSON, and `kubectl logs --prefix` output (`[pod/NAME/container] {…}`).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

/// The schema this version reads.
pub const SCHEMA: &str = crate::report::SCHEMA;

/// One node's answer for one registry.
#[derive(Debug, Clone)]
struct Row {
    registry: String,
    node: String,
    verdict: String,
    cause: Option<String>,
    /// When the diagnosis started (RFC 3339, UTC), to keep a node's latest report.
    started_at: String,
}

/// What could not be read, for the user.
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    /// Where.
    pub source: String,
    /// Why.
    pub why: String,
}

/// A root cause and the nodes it was found on.
#[derive(Debug, Clone, Serialize)]
pub struct Cause {
    /// The finding code (`unknown` when a failing report names none).
    pub code: String,
    /// The worst verdict it came with (`fail` or `warn`).
    pub verdict: String,
    /// How many nodes.
    pub nodes: usize,
    /// Which, sorted.
    pub node_names: Vec<String>,
}

/// One registry across the fleet.
#[derive(Debug, Clone, Serialize)]
pub struct Registry {
    /// The target as given.
    pub registry: String,
    /// Nodes reporting on it.
    pub nodes: usize,
    /// Nodes where a pull works without warnings.
    pub pass: usize,
    /// Nodes where it works with warnings.
    pub warn: usize,
    /// Nodes where it fails.
    pub fail: usize,
    /// The root causes, worst first, then by node count.
    pub causes: Vec<Cause>,
}

/// The summary.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// `regdoctor.summary/v1`.
    pub schema: &'static str,
    /// Reports read.
    pub reports: usize,
    /// Per registry, worst first.
    pub registries: Vec<Registry>,
    /// Lines or documents that were not regdoctor reports this version reads.
    pub skipped: Vec<Skipped>,
}

/// Reads every input (name, text) and summarises.
pub fn summarize(inputs: &[(String, String)]) -> Summary {
    let mut rows = Vec::new();
    let mut skipped = Vec::new();
    for (name, text) in inputs {
        read_text(name, text, &mut rows, &mut skipped);
    }
    let reports = rows.len();
    // A node that reported several times (watch mode's rounds): its latest report counts,
    // by start time, else the later in the input.
    let mut latest: BTreeMap<(String, String), Row> = BTreeMap::new();
    for r in rows {
        let key = (r.registry.clone(), r.node.clone());
        match latest.get(&key) {
            Some(seen) if seen.started_at > r.started_at => {}
            _ => {
                latest.insert(key, r);
            }
        }
    }
    let mut by_registry: BTreeMap<String, Vec<Row>> = BTreeMap::new();
    for r in latest.into_values() {
        by_registry.entry(r.registry.clone()).or_default().push(r);
    }
    let mut registries: Vec<Registry> = by_registry
        .into_iter()
        .map(|(registry, rows)| summarise_registry(registry, rows))
        .collect();
    registries.sort_by(|a, b| {
        b.fail
            .cmp(&a.fail)
            .then(b.warn.cmp(&a.warn))
            .then(a.registry.cmp(&b.registry))
    });
    Summary {
        schema: "regdoctor.summary/v1",
        reports,
        registries,
        skipped,
    }
}

fn summarise_registry(registry: String, rows: Vec<Row>) -> Registry {
    let count = |v: &str| rows.iter().filter(|r| r.verdict == v).count();
    let mut causes: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.verdict != "pass") {
        let code = r.cause.clone().unwrap_or_else(|| "unknown".into());
        causes
            .entry((r.verdict.clone(), code))
            .or_default()
            .push(r.node.clone());
    }
    let mut causes: Vec<Cause> = causes
        .into_iter()
        .map(|((verdict, code), mut nodes)| {
            nodes.sort();
            nodes.dedup();
            Cause {
                code,
                verdict,
                nodes: nodes.len(),
                node_names: nodes,
            }
        })
        .collect();
    causes.sort_by(|a, b| {
        (b.verdict == "fail")
            .cmp(&(a.verdict == "fail"))
            .then(b.nodes.cmp(&a.nodes))
            .then(a.code.cmp(&b.code))
    });
    Registry {
        registry,
        nodes: rows.len(),
        pass: count("pass"),
        warn: count("warn"),
        fail: count("fail"),
        causes,
    }
}

/// One input: a whole JSON document, or lines (JSON per line, optionally behind a
/// `kubectl logs --prefix` tag).
fn read_text(name: &str, text: &str, rows: &mut Vec<Row>, skipped: &mut Vec<Skipped>) {
    if let Ok(doc) = serde_json::from_str::<Value>(text) {
        read_document(name, name, &doc, rows, skipped);
        return;
    }
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let (node, json) = match line.strip_prefix('[').and_then(|l| l.split_once("] ")) {
            // `[pod/regdoctor-abcde/regdoctor] {...}`
            Some((tag, rest)) => (tag.split('/').nth(1).unwrap_or(tag).to_string(), rest),
            None => (name.to_string(), line),
        };
        let source = format!("{name}:{}", i + 1);
        match serde_json::from_str::<Value>(json) {
            Ok(doc) => read_document(&source, &node, &doc, rows, skipped),
            Err(_) if json.starts_with('{') => skipped.push(Skipped {
                source,
                why: "not valid JSON (a report split over several lines? use --format json with one report per line)".into(),
            }),
            // Log lines around the reports (a pod's other output) are not reports.
            Err(_) => {}
        }
    }
}

fn read_document(
    source: &str,
    node: &str,
    doc: &Value,
    rows: &mut Vec<Row>,
    skipped: &mut Vec<Skipped>,
) {
    let schema = doc["schema"].as_str().unwrap_or_default();
    if schema != SCHEMA {
        let why = if schema.starts_with("regdoctor.report/") {
            format!(
                "it is {schema}; this regdoctor reads {SCHEMA}: use a regdoctor of the same version to summarise it"
            )
        } else if schema.is_empty() {
            "it is not a regdoctor report (no \"schema\")".to_string()
        } else {
            format!("it is {schema}, not a regdoctor report")
        };
        skipped.push(Skipped {
            source: source.to_string(),
            why,
        });
        return;
    }
    if let Some(reports) = doc["reports"].as_array() {
        for r in reports {
            read_report(source, node, r, rows, skipped);
        }
    } else {
        read_report(source, node, doc, rows, skipped);
    }
}

fn read_report(
    source: &str,
    node: &str,
    r: &Value,
    rows: &mut Vec<Row>,
    skipped: &mut Vec<Skipped>,
) {
    let (Some(registry), Some(verdict)) = (r["target"]["input"].as_str(), r["verdict"].as_str())
    else {
        skipped.push(Skipped {
            source: source.to_string(),
            why: "a report without target.input or verdict".into(),
        });
        return;
    };
    if registry.is_empty() {
        return; // offline lint: no registry
    }
    // The root cause of the worst judged runtime.
    let cause = r["runtimes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|v| v["verdict"].as_str() == Some(verdict))
        .find_map(|v| v["cause"].as_str())
        // A warning has no runtime cause: the first finding of the verdict's severity.
        .or_else(|| {
            let severity = if verdict == "fail" {
                "error"
            } else {
                "warning"
            };
            r["checks"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|c| c["findings"].as_array().into_iter().flatten())
                .find(|f| f["severity"].as_str() == Some(severity))
                .and_then(|f| f["code"].as_str())
        })
        .map(str::to_string);
    rows.push(Row {
        registry: registry.to_string(),
        node: r["node"].as_str().unwrap_or(node).to_string(),
        verdict: verdict.to_string(),
        cause,
        started_at: r["started_at"].as_str().unwrap_or_default().to_string(),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(node: &str, registry: &str, verdict: &str, cause: Option<&str>) -> String {
        let runtimes = match cause {
            Some(c) => format!(
                r#"[{{"runtime":"docker","judged":true,"why":"","verdict":"{verdict}","cause":"{c}"}}]"#
            ),
            None => {
                format!(r#"[{{"runtime":"docker","judged":true,"why":"","verdict":"{verdict}"}}]"#)
            }
        };
        format!(
            r#"{{"schema":"{SCHEMA}","node":"{node}","target":{{"input":"{registry}"}},"verdict":"{verdict}","runtimes":{runtimes}}}"#
        )
    }

    #[test]
    fn a_node_s_latest_report_counts() {
        let at = |t: &str, verdict: &str| {
            format!(
                r#"{{"schema":"{SCHEMA}","node":"n1","started_at":"{t}","target":{{"input":"reg:5000"}},"verdict":"{verdict}","runtimes":[]}}"#
            )
        };
        // Newest first in the input: the start time decides, not the order.
        let lines = [
            at("2026-11-30T10:10:00Z", "pass"),
            at("2026-11-30T10:05:00Z", "fail"),
        ]
        .join("\n");
        let s = summarize(&[("logs".into(), lines)]);
        assert_eq!(s.reports, 2);
        let r = &s.registries[0];
        assert_eq!((r.nodes, r.pass, r.fail), (1, 1, 0));
        // Same time: the later line.
        let lines = [
            at("2026-11-30T10:05:00Z", "pass"),
            at("2026-11-30T10:05:00Z", "fail"),
        ]
        .join("\n");
        let r = &summarize(&[("logs".into(), lines)]).registries[0];
        assert_eq!((r.nodes, r.pass, r.fail), (1, 0, 1));
    }

    #[test]
    fn a_warning_s_cause_is_its_first_warning_finding() {
        let line = r#"{"schema":"regdoctor.report/v1","node":"n1","target":{"input":"reg:5000"},"verdict":"warn","runtimes":[{"runtime":"any","judged":true,"verdict":"warn"}],"checks":[{"id":"catalog","findings":[{"code":"catalog_listed","severity":"info"}]},{"id":"cert-validity","findings":[{"code":"expires_soon","severity":"warning"}]}]}"#;
        let s = summarize(&[("logs".into(), line.into())]);
        assert_eq!(s.registries[0].causes[0].code, "expires_soon");
        assert_eq!(s.registries[0].causes[0].verdict, "warn");
    }

    #[test]
    fn groups_by_registry_and_cause_worst_first() {
        let lines = [
            report("n1", "reg:5000", "pass", None),
            report("n2", "reg:5000", "fail", Some("unknown_authority")),
            report("n3", "reg:5000", "fail", Some("unknown_authority")),
            report("n4", "reg:5000", "warn", Some("expires_soon")),
            report("n1", "other:443", "pass", None),
        ]
        .join("\n");
        let s = summarize(&[("logs".into(), lines)]);
        assert_eq!(s.reports, 5);
        let r = &s.registries[0];
        assert_eq!(
            (r.registry.as_str(), r.pass, r.warn, r.fail),
            ("reg:5000", 1, 1, 2)
        );
        assert_eq!(r.causes[0].code, "unknown_authority");
        assert_eq!(r.causes[0].node_names, ["n2", "n3"]);
        assert_eq!(r.causes[1].code, "expires_soon");
        assert_eq!(s.registries[1].registry, "other:443");
    }

    #[test]
    fn kubectl_prefixes_name_the_pod_and_other_schemas_are_refused() {
        let text = format!(
            "[pod/regdoctor-abc/regdoctor] {}\n[pod/regdoctor-abc/regdoctor] starting\n{{\"schema\":\"regdoctor.report/v2\",\"target\":{{}}}}\n",
            report("", "reg:5000", "fail", Some("tcp_refused")).replace(r#""node":"","#, "")
        );
        let s = summarize(&[("pods.log".into(), text)]);
        assert_eq!(s.registries[0].causes[0].node_names, ["regdoctor-abc"]);
        assert_eq!(s.skipped.len(), 1);
        assert!(
            s.skipped[0].why.contains("regdoctor.report/v2"),
            "{:?}",
            s.skipped
        );
    }
}
