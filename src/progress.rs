//! Progress on stderr while many targets are probed: targets done / total and the slowest
//! one in flight. Shown only on a terminal (the caller decides), and only once the run has
//! lasted a second; never in a pipe.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::probe::Event;
use crate::target::Target;

/// Runs shorter than this show nothing.
const SHOW_AFTER: Duration = Duration::from_secs(1);
/// How often the display is refreshed.
const TICK: Duration = Duration::from_millis(200);

struct Inner {
    bar: ProgressBar,
    names: Vec<String>,
    in_flight: Mutex<Vec<(usize, Instant)>>,
    finished: AtomicBool,
}

impl Inner {
    fn message(&self) -> String {
        let Ok(f) = self.in_flight.lock() else {
            return String::new();
        };
        match f.iter().min_by_key(|(_, t)| *t) {
            Some((i, since)) => format!(
                "· slowest in flight: {} ({:.1} s)",
                self.names.get(*i).map(String::as_str).unwrap_or(""),
                since.elapsed().as_secs_f64()
            ),
            None => String::new(),
        }
    }
}

/// A progress display for one batch.
pub struct Progress {
    inner: Option<Arc<Inner>>,
    ticker: Option<std::thread::JoinHandle<()>>,
}

impl Progress {
    /// A display for `targets`; inert when `enabled` is false.
    pub fn new(targets: &[Target], enabled: bool) -> Progress {
        if !enabled {
            return Progress {
                inner: None,
                ticker: None,
            };
        }
        let bar =
            ProgressBar::with_draw_target(Some(targets.len() as u64), ProgressDrawTarget::hidden());
        if let Ok(style) = ProgressStyle::with_template("{pos}/{len} targets {wide_msg}") {
            bar.set_style(style);
        }
        let inner = Arc::new(Inner {
            bar,
            names: targets.iter().map(|t| t.registry_name()).collect(),
            in_flight: Mutex::new(Vec::new()),
            finished: AtomicBool::new(false),
        });
        let shared = inner.clone();
        let started = Instant::now();
        let ticker = std::thread::spawn(move || {
            let mut shown = false;
            while !shared.finished.load(Ordering::Relaxed) {
                std::thread::sleep(TICK);
                if !shown && started.elapsed() >= SHOW_AFTER {
                    shared.bar.set_draw_target(ProgressDrawTarget::stderr());
                    shown = true;
                }
                shared.bar.set_message(shared.message());
            }
        });
        Progress {
            inner: Some(inner),
            ticker: Some(ticker),
        }
    }

    /// A target's probe started or ended.
    pub fn event(&self, e: Event) {
        let Some(inner) = &self.inner else { return };
        if let Ok(mut f) = inner.in_flight.lock() {
            match e {
                Event::Started(i) => f.push((i, Instant::now())),
                Event::Done(i) => {
                    f.retain(|(j, _)| *j != i);
                    inner.bar.inc(1);
                }
            }
        }
    }

    /// Removes the display.
    pub fn finish(mut self) {
        if let Some(inner) = &self.inner {
            inner.finished.store(true, Ordering::Relaxed);
            inner.bar.finish_and_clear();
        }
        if let Some(t) = self.ticker.take() {
            let _ = t.join();
        }
    }
}
