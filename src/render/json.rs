//! JSON: the report model serialised, nothing added.

use crate::report::Report;

/// The report as pretty JSON, with a trailing newline.
pub fn render_json(report: &Report) -> String {
    // A Report holds only strings, numbers and enums: serialisation cannot fail.
    let mut s =
        serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

/// Several reports: `{"schema": "regdoctor.report/v1", "reports": [...]}`.
pub fn render_json_many(reports: &[Report]) -> String {
    #[derive(serde::Serialize)]
    struct Many<'a> {
        schema: &'static str,
        reports: &'a [Report],
    }
    let many = Many {
        schema: crate::report::SCHEMA,
        reports,
    };
    let mut s =
        serde_json::to_string_pretty(&many).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}
