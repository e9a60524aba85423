//! Watch mode: the diagnosis re-run on an interval, served to Prometheus.
//!
//! `/metrics` (the Prometheus text format, built from the latest reports at each scrape):
//!
//! | metric | labels | value |
//! |---|---|---|
//! | `regdoctor_pull_works` | registry, runtime | 1 a pull works (pass or warn), 0 it fails |
//! | `regdoctor_check_status` | registry, runtime, check, code | 0 pass, 1 warn, 2 fail, -1 skipped; `code` is the check's first finding for that runtime |
//! | `regdoctor_certificate_not_after_timestamp_seconds` | registry, subject | the end of validity of every presented certificate |
//! | `regdoctor_probe_duration_seconds` | registry | how long the last diagnosis took |
//! | `regdoctor_last_run_timestamp_seconds` | registry | when it ran |
//!
//! `/healthz` answers `ok` once the first round is done; `/report` has the latest reports
//! (the `regdoctor.report/v1` document of several reports).

use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::finding::Status;
use crate::report::{Report, Verdict};

type Labels = Vec<(String, String)>;
type FloatGauge = Gauge<f64, AtomicU64>;

/// The latest round, shared by the loop and the server.
#[derive(Debug, Default)]
pub struct State {
    /// The latest reports (empty before the first round).
    pub reports: Vec<Report>,
    /// When the latest round ended, unix seconds.
    pub finished_at: f64,
    /// Why the latest round could not run, if it could not.
    pub error: Option<String>,
}

/// The metrics of the latest reports, in the Prometheus text format.
pub fn metrics(state: &State) -> String {
    let mut registry = Registry::default();
    let pull: Family<Labels, Gauge> = Family::default();
    let check: Family<Labels, Gauge> = Family::default();
    let not_after: Family<Labels, Gauge> = Family::default();
    let duration: Family<Labels, FloatGauge> = Family::default();
    let last_run: Family<Labels, FloatGauge> = Family::default();
    for r in &state.reports {
        let registry_name = r.target.input.clone();
        let reg = |extra: &[(&str, &str)]| -> Labels {
            let mut l = vec![("registry".to_string(), registry_name.clone())];
            l.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
            l
        };
        for v in r.runtimes.iter().filter(|v| v.judged) {
            let runtime = crate::runtimes::runtime_flag(v.runtime);
            pull.get_or_create(&reg(&[("runtime", runtime)]))
                .set(i64::from(v.verdict != Some(Verdict::Fail)));
            for c in &r.checks {
                let (status, code) = check_status(c, v.runtime);
                check
                    .get_or_create(&reg(&[
                        ("runtime", runtime),
                        ("check", c.id.as_str()),
                        ("code", code),
                    ]))
                    .set(status);
            }
        }
        if let Some(tls) = &r.evidence.tls {
            for c in &tls.chain {
                if let Ok(t) = time::OffsetDateTime::parse(
                    &c.not_after,
                    &time::format_description::well_known::Rfc3339,
                ) {
                    not_after
                        .get_or_create(&reg(&[("subject", &c.subject)]))
                        .set(t.unix_timestamp());
                }
            }
        }
        duration
            .get_or_create(&reg(&[]))
            .set(r.duration_ms as f64 / 1000.0);
        last_run.get_or_create(&reg(&[])).set(state.finished_at);
    }
    registry.register(
        "regdoctor_pull_works",
        "1 when a pull from the registry works for the runtime on this node (pass or warn), 0 when it fails",
        pull,
    );
    registry.register(
        "regdoctor_check_status",
        "A check's status for the runtime: 0 pass, 1 warn, 2 fail, -1 skipped; code is its first finding",
        check,
    );
    registry.register(
        "regdoctor_certificate_not_after_timestamp_seconds",
        "The end of validity of each certificate the registry presents, unix seconds",
        not_after,
    );
    registry.register(
        "regdoctor_probe_duration_seconds",
        "How long the last diagnosis of the registry took",
        duration,
    );
    registry.register(
        "regdoctor_last_run_timestamp_seconds",
        "When the last diagnosis of the registry ended, unix seconds",
        last_run,
    );
    let mut out = String::new();
    if encode(&mut out, &registry).is_err() {
        out.clear();
    }
    out
}

/// A check's status for a runtime (0 pass, 1 warn, 2 fail, -1 skipped) and the code of
/// its first problem for that runtime ("" when none).
fn check_status(
    c: &crate::finding::CheckResult,
    runtime: crate::facts::Runtime,
) -> (i64, &'static str) {
    let mine: Vec<_> = c
        .findings
        .iter()
        .filter(|f| match crate::report::node_check_runtime(c.id) {
            Some(owner) => owner == runtime,
            None => f.applies_to(runtime),
        })
        .collect();
    let worst = mine.iter().map(|f| f.severity).max();
    let status = match (c.status, worst) {
        (Status::Skip, _) => -1,
        (_, Some(crate::codes::Severity::Error)) => 2,
        (_, Some(crate::codes::Severity::Warning)) => 1,
        _ => 0,
    };
    let code = mine
        .iter()
        .find(|f| f.severity != crate::codes::Severity::Info)
        .map(|f| f.code.as_str())
        .unwrap_or("");
    (status, code)
}

/// Serves `/metrics`, `/healthz` and `/report` on `listener` until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, state: Arc<Mutex<State>>) {
    loop {
        let Ok((sock, _)) = listener.accept().await else {
            continue;
        };
        let state = state.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let state = state.clone();
                async move { Ok::<_, std::convert::Infallible>(answer(&req, &state)) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(Duration::from_secs(10))
                .serve_connection(hyper_util::rt::TokioIo::new(sock), service)
                .await;
        });
    }
}

fn answer<B>(
    req: &hyper::Request<B>,
    state: &Mutex<State>,
) -> hyper::Response<http_body_util::Full<bytes::Bytes>> {
    let (status, kind, body) = match (req.method().as_str(), req.uri().path()) {
        ("GET", "/metrics") => (
            200,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
            state.lock().map(|s| metrics(&s)).unwrap_or_default(),
        ),
        ("GET", "/healthz") => match state.lock() {
            Ok(s) if !s.reports.is_empty() => (200, "text/plain", "ok\n".to_string()),
            Ok(s) => (
                503,
                "text/plain",
                format!(
                    "no diagnosis yet{}\n",
                    s.error
                        .as_deref()
                        .map(|e| format!(": {e}"))
                        .unwrap_or_default()
                ),
            ),
            Err(_) => (500, "text/plain", "state unavailable\n".into()),
        },
        ("GET", "/report") => (
            200,
            "application/json",
            state
                .lock()
                .map(|s| crate::render::json::render_json_many(&s.reports))
                .unwrap_or_default(),
        ),
        _ => (
            404,
            "text/plain",
            "not found: try /metrics, /healthz or /report\n".into(),
        ),
    };
    let mut resp = hyper::Response::new(http_body_util::Full::new(bytes::Bytes::from(body)));
    *resp.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or_default();
    if let Ok(v) = hyper::header::HeaderValue::from_str(kind) {
        resp.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
    }
    resp
}

/// Runs rounds forever: `round` produces the reports (or why not); they replace the
/// state; then it sleeps `interval`. The server runs on its own thread.
pub fn run(
    listen: SocketAddr,
    interval: Duration,
    round: &mut dyn FnMut() -> Result<Vec<Report>, String>,
    on_listening: &mut dyn FnMut(SocketAddr),
) -> std::io::Result<()> {
    let state = Arc::new(Mutex::new(State::default()));
    let std_listener = std::net::TcpListener::bind(listen)?;
    std_listener.set_nonblocking(true)?;
    on_listening(std_listener.local_addr()?);
    let served = state.clone();
    std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        rt.block_on(async move {
            if let Ok(listener) = tokio::net::TcpListener::from_std(std_listener) {
                serve(listener, served).await;
            }
        });
    });
    loop {
        let result = round();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or_default();
        if let Ok(mut s) = state.lock() {
            match result {
                Ok(reports) => {
                    s.reports = reports;
                    s.error = None;
                    s.finished_at = now;
                }
                Err(e) => {
                    // The previous round's metrics stay served; say why this one failed.
                    eprintln!("regdoctor watch: this round could not run: {e}");
                    s.error = Some(e);
                }
            }
        }
        std::thread::sleep(interval);
    }
}
