//! The per-runtime answer, as both text renderers show it: read from the report's
//! `runtimes` section only (the runtime models word the lines; nothing is derived here).

use crate::facts::Runtime;
use crate::report::{Report, RuntimeVerdict};

/// One runtime, as shown.
pub struct Row<'a> {
    /// "Docker 20.10.24 (Go 1.19.8)".
    pub label: String,
    /// The runtime's answer.
    pub verdict: &'a RuntimeVerdict,
    /// The lines it prints, with the runtime's name (several for "any runtime").
    pub lines: Vec<(&'static str, &'a str)>,
}

/// The judged runtimes first, then the others.
pub fn rows(report: &Report) -> Vec<Row<'_>> {
    let mut v: Vec<Row<'_>> = report
        .runtimes
        .iter()
        .map(|r| {
            let mut label = match r.runtime {
                Runtime::Any => "any runtime".to_string(),
                other => other.display_name().to_string(),
            };
            if let Some(version) = &r.version {
                label.push(' ');
                label.push_str(version);
            }
            if let Some(go) = &r.go_version {
                label.push_str(&format!(" (Go {go})"));
            }
            let lines = if r.worded.is_empty() {
                r.error
                    .as_deref()
                    .map(|e| vec![(r.runtime.display_name(), e)])
                    .unwrap_or_default()
            } else {
                r.worded
                    .iter()
                    .map(|w| (w.runtime.display_name(), w.line.as_str()))
                    .collect()
            };
            Row {
                label,
                verdict: r,
                lines,
            }
        })
        .collect();
    v.sort_by_key(|r| !r.verdict.judged);
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::examples::*;

    fn report(f: &crate::facts::Facts) -> Report {
        Report::from_facts(
            f,
            crate::checks::run_all(f),
            "2027-01-15T08:00:00Z".into(),
            1,
        )
    }

    #[test]
    fn a_broken_daemon_json_is_dockers_line() {
        let f = present(
            with_daemon_json(offline(), "{\"debug\": true"),
            Runtime::Docker,
        );
        let r = report(&f);
        let rows = rows(&r);
        assert_eq!(rows[0].lines.len(), 1);
        assert_eq!(rows[0].lines[0].0, "Docker");
        assert!(rows[0].lines[0].1.ends_with("unexpected end of JSON input"));
    }

    #[test]
    fn with_no_runtime_found_the_line_is_worded_for_each() {
        let f = with_tcp(
            facts_for("10.0.0.5:5000"),
            &[crate::facts::ConnectOutcome::Refused],
        );
        let r = report(&f);
        let rows = rows(&r);
        let who: Vec<&str> = rows[0].lines.iter().map(|(w, _)| *w).collect();
        assert_eq!(who, ["Docker", "containerd", "CRI-O"]);
        assert_eq!(
            rows[0].lines[2].1,
            "pinging container registry 10.0.0.5:5000: Get \"https://10.0.0.5:5000/v2/\": dial tcp 10.0.0.5:5000: connect: connection refused"
        );
    }

    #[test]
    fn nothing_wrong_says_nothing() {
        let f = with_tcp(
            facts_for("10.0.0.5:5000"),
            &[crate::facts::ConnectOutcome::Connected],
        );
        assert!(rows(&report(&f)).iter().all(|r| r.lines.is_empty()));
    }
}
