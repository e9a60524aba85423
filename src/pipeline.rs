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
use crate::probe::{ProbeOptions, run as run_probe};
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
    let (credentials, source) = credentials(inputs, &target.registry_name())?;
    let clock = Instant::now();
    let now = unix_now();
    let mut facts = inputs.facts(Ok(target.clone()), now);
    // Probe as the runtimes would: their client certificate, and their trust for the
    // decision to send credentials.
    let clients = crate::runtimes::derive(&facts);
    let client_pair = clients.judged.iter().find_map(|c| c.client_pair.clone());
    let system: Vec<Vec<u8>> = inputs
        .system_roots
        .iter()
        .flat_map(|s| s.certs.clone())
        .collect();
    let trust_stores = clients
        .judged
        .iter()
        .filter(|c| c.verifies())
        .map(|c| {
            let mut roots = system.clone();
            roots.extend(c.cas().iter().flat_map(|ca| ca.certs.clone()));
            roots
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
    let probe = run_probe(
        &target,
        &ProbeOptions {
            timeout: inputs.timeout,
            ca_roots,
            trust_stores,
            now,
            credentials,
            allow_insecure_credentials: inputs.insecure_send_credentials,
            client_pair,
        },
    )?;
    facts.dns = probe.dns;
    facts.tcp = probe.tcp;
    facts.tls = probe.tls;
    facts.http = probe.http;
    facts.credentials = source.map(|(source, preset)| CredentialFacts {
        source,
        outcome: preset
            .or(probe.credentials)
            .unwrap_or(CredentialOutcome::Withheld {
                reason: "no HTTP connection to the registry could be made".into(),
            }),
    });
    let assessment = crate::checks::run_all(&facts);
    Ok(Report::from_facts(
        &facts,
        assessment,
        crate::pki::rfc3339(now),
        clock.elapsed().as_millis() as u64,
    ))
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
    Ok(match docker_config::lookup(path, registry)? {
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
        docker_config::Found::Invalid(why) => (
            None,
            Some((
                CredentialSource::DockerConfig {
                    path: shown,
                    key: String::new(),
                },
                Some(CredentialOutcome::Withheld {
                    reason: format!("the Docker config file cannot be used: {why}"),
                }),
            )),
        ),
    })
}
