//! The library's entry point: plain inputs in, reports out. [`diagnose`] probes a target and
//! judges it for every runtime on the node; [`lint`] judges the node's files alone. The CLI
//! lowers its flags into [`Inputs`]; other front ends (tests, a watch mode) build them
//! directly.

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::facts::node::NodeFacts;
use crate::facts::{
    CaFileFacts, ClientPair, CredentialFacts, CredentialOutcome, CredentialSource, Facts, Runtime,
    RuntimeChoice, SystemRoots,
};
use crate::local::{LoadError, docker_config};
use crate::probe::ProbeOptions;
use crate::report::Report;
use crate::secret::{Credentials, Secret};
use crate::target::Target;

/// Where Docker credentials come from.
#[derive(Debug, Clone, Default)]
pub enum DockerConfig {
    /// Not read (`--no-node-defaults`).
    #[default]
    None,
    /// The default (`$DOCKER_CONFIG/config.json` or `~/.docker/config.json`), when it exists.
    Default(Option<PathBuf>),
    /// Named with `--docker-config` (must be readable).
    Named(PathBuf),
}

/// Everything a diagnosis needs besides the target.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// The deadline of all network work for one target.
    pub timeout: Duration,
    /// `--ca`: the CA the runtime would be given.
    pub ca_file: Option<CaFileFacts>,
    /// `--cert`/`--key`: the client certificate the runtime would be given.
    pub client_cert: Option<ClientPair>,
    /// `--user` with its password.
    pub user: Option<(String, Secret)>,
    /// The Docker config.json to take credentials from.
    pub docker_config: DockerConfig,
    /// `--insecure-send-credentials`.
    pub insecure_send_credentials: bool,
    /// The node's runtime configuration, as read.
    pub node: NodeFacts,
    /// The system trust store.
    pub system_roots: Option<SystemRoots>,
    /// `--runtime`: judge only this one.
    pub only_runtime: Option<Runtime>,
    /// `--go-version`.
    pub go_version: Option<String>,
    /// The node's name (`--node-name`, `$NODE_NAME`, or its host name).
    pub node_name: Option<String>,
    /// `--platform`: the platform asked of an image index (else this node's).
    pub platform: Option<crate::facts::pull::Platform>,
}

impl Inputs {
    /// The runtime the fixes are written for: `--runtime`, else guessed from the node.
    fn hint_runtime(&self) -> RuntimeChoice {
        match self.only_runtime {
            Some(r) => RuntimeChoice::new(r, "--runtime"),
            None => self.node.guess_runtime(),
        }
    }

    /// Facts with the inputs filled in and nothing observed yet.
    fn facts(&self, target: Result<Target, String>, now: i64) -> Facts {
        let mut facts = Facts::new(target, now);
        facts.timeout_ms = self.timeout.as_millis() as u64;
        facts.ca_file = self.ca_file.clone();
        facts.system_roots = self.system_roots.clone();
        facts.runtime = self.hint_runtime();
        facts.only_runtime = self.only_runtime;
        facts.client_cert = self.client_cert.clone();
        facts.go_version = self.go_version.clone();
        facts.node = self.node.clone();
        facts.node_name = self.node_name.clone();
        facts
    }
}

/// Why a diagnosis could not run at all (not a finding: the target is never the cause).
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// A named file cannot be read.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The async runtime could not start.
    #[error("cannot start the network runtime: {0}")]
    Runtime(#[from] std::io::Error),
}

/// Probes one target and judges it for every runtime judged on the node.
pub fn diagnose(target: Target, inputs: &Inputs) -> Result<Report, PipelineError> {
    let mut reports = diagnose_all(&[target], inputs, &|_| {})?;
    Ok(reports.remove(0))
}

/// A target made ready for the probe: its facts so far, the probe's options, and where
/// its credentials came from.
struct Prepared {
    facts: Facts,
    opts: ProbeOptions,
    source: Option<(CredentialSource, Option<CredentialOutcome>)>,
    /// The proxy (index into `opts.proxies`) every judged runtime goes through, if one.
    all_via: Option<usize>,
}

/// Probes every target concurrently (at most [`crate::probe::MAX_IN_FLIGHT`] at once), all
/// under the one `inputs.timeout`, and judges each; the reports come back in the order
/// given. A target given twice is probed once, and its reports say so. `events` hears when
/// each target's probe starts and ends (a progress bar), by index into `targets`.
pub fn diagnose_all(
    targets: &[Target],
    inputs: &Inputs,
    events: &(dyn Fn(crate::probe::Event) + Sync),
) -> Result<Vec<Report>, PipelineError> {
    // Each distinct target once, in order of first appearance.
    let key = |t: &Target| format!("{}://{}", t.scheme.as_str(), t.registry_name());
    let mut unique: Vec<&Target> = Vec::new();
    let mut of: Vec<usize> = Vec::with_capacity(targets.len());
    for t in targets {
        match unique.iter().position(|u| key(u) == key(t)) {
            Some(i) => of.push(i),
            None => {
                of.push(unique.len());
                unique.push(t);
            }
        }
    }
    let now = unix_now();
    let prepared: Vec<Prepared> = unique
        .iter()
        .map(|t| prepare((*t).clone(), inputs, now))
        .collect::<Result<_, _>>()?;
    let jobs: Vec<(Target, ProbeOptions)> = unique
        .iter()
        .zip(&prepared)
        .map(|(t, p)| ((*t).clone(), p.opts.clone()))
        .collect();
    let times: std::sync::Mutex<Vec<(Option<Instant>, Option<Instant>)>> =
        std::sync::Mutex::new(vec![(None, None); unique.len()]);
    // Tell the caller by the index of the first target given for each distinct one.
    let first_index: Vec<usize> = (0..unique.len())
        .map(|u| of.iter().position(|o| *o == u).unwrap_or(u))
        .collect();
    let record = |e: crate::probe::Event| {
        if let Ok(mut t) = times.lock() {
            match e {
                crate::probe::Event::Started(i) => t[i].0 = Some(Instant::now()),
                crate::probe::Event::Done(i) => t[i].1 = Some(Instant::now()),
            }
        }
        events(match e {
            crate::probe::Event::Started(i) => crate::probe::Event::Started(first_index[i]),
            crate::probe::Event::Done(i) => crate::probe::Event::Done(first_index[i]),
        });
    };
    // The system roots are decoded and parsed on another thread while the network is
    // busy (every target's facts share them).
    let probed = std::thread::scope(|scope| {
        scope.spawn(|| inputs.system_roots.as_ref().map(|s| s.prepare()));
        crate::probe::run_all(&jobs, crate::probe::MAX_IN_FLIGHT, &record)
    })?;
    let times = times.into_inner().unwrap_or_default();
    let judged: Vec<Report> = prepared
        .into_iter()
        .zip(probed)
        .zip(times)
        .map(|((p, probe), (start, end))| {
            let clock = Instant::now();
            let probe_ms = match (start, end) {
                (Some(s), Some(e)) => e.duration_since(s).as_millis() as u64,
                _ => 0,
            };
            judge(p, probe, probe_ms, clock)
        })
        .collect();
    let counts: Vec<usize> = (0..unique.len())
        .map(|u| of.iter().filter(|o| **o == u).count())
        .collect();
    Ok(of
        .iter()
        .map(|u| {
            let mut r = judged[*u].clone();
            if counts[*u] > 1 {
                r.notes.push(format!(
                    "{} was given {} times; it was probed once",
                    r.target.input, counts[*u]
                ));
            }
            r
        })
        .collect())
}

/// The facts and probe options of one target, before the network.
fn prepare(target: Target, inputs: &Inputs, now: i64) -> Result<Prepared, PipelineError> {
    let (credentials, source) = credentials(inputs, &target.registry_name())?;
    let facts = inputs.facts(Ok(target), now);
    // Probe as the runtimes would: their client certificate, and their trust for the
    // decision to send credentials.
    let clients = crate::runtimes::derive(&facts);
    let client_pair = clients.judged.iter().find_map(|c| c.client_pair.clone());
    let (proxies, all_via) = match &facts.target {
        Ok(t) => crate::runtimes::proxy::distinct_proxies(&clients, t),
        Err(_) => (vec![], None),
    };
    let system = inputs.system_roots.clone();
    let trust_stores = clients
        .judged
        .iter()
        .filter(|c| c.verifies())
        .map(|c| crate::probe::TrustDer {
            system: system.clone(),
            extra: c.cas().iter().flat_map(|ca| ca.certs.clone()).collect(),
        })
        .collect();
    let ca_roots: Vec<Vec<u8>> = inputs
        .ca_file
        .as_ref()
        .map(|c| {
            crate::pki::bundle::parse(&c.bytes)
                .certs
                .into_iter()
                .map(|c| c.der)
                .collect()
        })
        .unwrap_or_default();
    let opts = ProbeOptions {
        timeout: inputs.timeout,
        ca_roots,
        trust_stores,
        now,
        credentials,
        allow_insecure_credentials: inputs.insecure_send_credentials,
        client_pair,
        proxies,
        pull_proxy: clients
            .judged
            .first()
            .filter(|c| !c.proxy.is_empty())
            .map(|c| c.proxy.config().proxy_func(c.proxy.rules)),
        platform: inputs
            .platform
            .clone()
            .map(|p| (p, "--platform".to_string())),
    };
    Ok(Prepared {
        facts,
        opts,
        source,
        all_via,
    })
}

/// The checks and the report, from a target's facts and what its probe observed.
fn judge(p: Prepared, probe: crate::probe::ProbeFacts, probe_ms: u64, clock: Instant) -> Report {
    let mut facts = p.facts;
    facts.dns = probe.dns;
    facts.tcp = probe.tcp;
    facts.pull = probe.pull;
    facts.tls = probe.tls;
    facts.http = probe.http;
    facts.proxied = probe.proxied;
    if let Some(via) = p.all_via {
        crate::facts::proxy::observe_through(&mut facts, via);
    }
    facts.credentials = p.source.map(|(source, preset)| CredentialFacts {
        source,
        outcome: preset
            .or(probe.credentials)
            .unwrap_or(CredentialOutcome::Withheld {
                reason: "no HTTP connection to the registry could be made".into(),
            }),
    });
    let assessment = crate::checks::run_all(&facts);
    Report::from_facts(
        &facts,
        assessment,
        crate::pki::rfc3339(facts.now),
        probe_ms + clock.elapsed().as_millis() as u64,
    )
}

/// Judges the node's files alone, without a target.
pub fn lint(inputs: &Inputs) -> Report {
    let now = unix_now();
    let mut facts = inputs.facts(Err("no target given".into()), now);
    facts.offline = true;
    let assessment = crate::checks::run_all(&facts);
    Report::from_facts(&facts, assessment, crate::pki::rfc3339(now), 0)
}

/// The time of the run, unix seconds: read once, then carried in the facts.
fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// What to send, and what to report about where it came from.
type CredentialChoice = (
    Option<Credentials>,
    Option<(CredentialSource, Option<CredentialOutcome>)>,
);

/// The credentials to try and where they came from. A helper entry yields no
/// credentials and a preset outcome (not read).
fn credentials(inputs: &Inputs, registry: &str) -> Result<CredentialChoice, LoadError> {
    if let Some((user, password)) = &inputs.user {
        let creds = Credentials {
            user: Secret::new(user.clone()),
            password: password.clone(),
        };
        return Ok((Some(creds), Some((CredentialSource::Flag, None))));
    }
    let path = match &inputs.docker_config {
        DockerConfig::None | DockerConfig::Default(None) => return Ok((None, None)),
        DockerConfig::Default(Some(p)) if !p.exists() => return Ok((None, None)),
        DockerConfig::Default(Some(p)) | DockerConfig::Named(p) => p,
    };
    let shown = path.display().to_string();
    let found = match docker_config::lookup(path, registry) {
        Ok(found) => found,
        // A file found by default that cannot be read is said, not an exit: the user
        // did not name it (a named one was checked by the CLI, and is exit 2).
        Err(e) if matches!(inputs.docker_config, DockerConfig::Default(_)) => {
            docker_config::Found::Invalid(format!("it is unreadable ({})", e.reason()))
        }
        Err(e) => return Err(e),
    };
    Ok(match found {
        docker_config::Found::Nothing => (None, None),
        docker_config::Found::Credentials { creds, key } => (
            Some(creds),
            Some((CredentialSource::DockerConfig { path: shown, key }, None)),
        ),
        docker_config::Found::Helper(helper) => (
            None,
            Some((
                CredentialSource::Helper {
                    path: shown,
                    helper: format!("docker-credential-{helper}"),
                },
                Some(CredentialOutcome::HelperNotRead),
            )),
        ),
        docker_config::Found::Invalid(why) => {
            let reason = format!("the Docker config file {shown} cannot be used: {why}");
            (
                None,
                Some((
                    CredentialSource::DockerConfig {
                        path: shown,
                        key: String::new(),
                    },
                    Some(CredentialOutcome::ConfigInvalid { reason }),
                )),
            )
        }
    })
}
