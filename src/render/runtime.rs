//! What the runtimes will print for this report: shared by the human and Markdown
//! renderers. Derived from the report only.

use crate::codes::{CheckId, Severity};
use crate::report::{Report, Status};

/// The line each runtime prints: the first failing finding in check order; for the
/// certificate checks, Go's single verdict (dates, then name, then chain). A Docker `/v2/`
/// ping error is shown as containerd and CRI-O word it too.
pub fn runtime_lines(report: &Report) -> Vec<(&'static str, String)> {
    let mut lines = pull_lines(report);
    // A daemon.json that stops dockerd is what a Docker node shows first.
    if let Some(start) = report
        .checks
        .iter()
        .filter(|c| c.id == CheckId::DaemonJson)
        .flat_map(|c| &c.findings)
        .filter(|f| f.severity == Severity::Error)
        .find_map(|f| f.client_error.as_deref())
    {
        lines.insert(0, ("dockerd:", start.to_string()));
    }
    lines
}

fn pull_lines(report: &Report) -> Vec<(&'static str, String)> {
    let Some(line) = runtime_line(report) else {
        return vec![];
    };
    let name = match (&report.target.host, report.target.port) {
        (Some(h), Some(p)) if h.contains(':') => format!("[{h}]:{p}"),
        (Some(h), Some(p)) => format!("{h}:{p}"),
        _ => String::new(),
    };
    let prefix_end = line
        .find("/v2/\": ")
        .filter(|_| line.starts_with("Get \"https://"));
    match prefix_end {
        Some(i) => {
            let url = &line[5..i + 4];
            let cause = &line[i + 7..];
            vec![
                ("Docker:", line.to_string()),
                (
                    "containerd:",
                    format!(
                        "failed to do request: Head \"https://{name}/v2/IMAGE/manifests/TAG\": {cause}"
                    ),
                ),
                (
                    "CRI-O:",
                    format!("pinging container registry {name}: Get \"{url}\": {cause}"),
                ),
            ]
        }
        None => vec![("runtime:", line.to_string())],
    }
}

fn runtime_line(report: &Report) -> Option<&str> {
    let node_check = |id: CheckId| {
        matches!(
            id,
            CheckId::DaemonJson
                | CheckId::CertsD
                | CheckId::ContainerdHosts
                | CheckId::ContainersRegistries
        )
    };
    let go = report
        .evidence
        .tls
        .as_ref()
        .and_then(|t| t.go_verdict.as_deref())
        .filter(|g| *g != "ok");
    // The network checks first (what a pull hits), then the node's files; daemon.json's
    // startup error is shown on its own line.
    let ordered = report.checks.iter().filter(|c| !node_check(c.id)).chain(
        report
            .checks
            .iter()
            .filter(|c| node_check(c.id) && c.id != CheckId::DaemonJson),
    );
    for c in ordered {
        let cert_check = matches!(
            c.id,
            CheckId::CertValidity | CheckId::SanMatchesHost | CheckId::CaChain
        );
        if cert_check && c.status == Status::Fail && go.is_some() {
            return go;
        }
        if let Some(line) = c
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .find_map(|f| f.client_error.as_deref())
        {
            return Some(line);
        }
    }
    None
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
    fn a_broken_daemon_json_is_the_dockerd_line() {
        let f = with_daemon_json(offline(), "{\"debug\": true");
        let lines = runtime_lines(&report(&f));
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].0, "dockerd:");
        assert!(lines[0].1.ends_with("unexpected end of JSON input"));
    }

    #[test]
    fn a_v2_ping_error_is_worded_for_each_runtime() {
        let f = with_tcp(
            facts_for("10.0.0.5:5000"),
            &[crate::facts::ConnectOutcome::Refused],
        );
        let lines = runtime_lines(&report(&f));
        let who: Vec<&str> = lines.iter().map(|(w, _)| *w).collect();
        assert_eq!(who, ["Docker:", "containerd:", "CRI-O:"]);
        assert_eq!(
            lines[2].1,
            "pinging container registry 10.0.0.5:5000: Get \"https://10.0.0.5:5000/v2/\": dial tcp 10.0.0.5:5000: connect: connection refused"
        );
    }

    #[test]
    fn nothing_wrong_says_nothing() {
        let f = with_tcp(
            facts_for("10.0.0.5:5000"),
            &[crate::facts::ConnectOutcome::Connected],
        );
        assert!(runtime_lines(&report(&f)).is_empty());
    }
}
