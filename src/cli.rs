//! The command line: the one clap definition, the pipeline wiring, and exit codes.
//!
//! Exit status: 0 every check passed (warnings allowed), 1 a check failed, 2 bad usage or
//! a named file that cannot be read. Usage errors are one line on stderr; never a panic.

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use clap::{Parser, Subcommand, ValueEnum};

use crate::facts::Facts;
use crate::probe::{ProbeOptions, run as run_probe};
use crate::render::{Style, human::render_human, json::render_json};
use crate::report::Report;

/// Finds out why a container runtime cannot talk to a private registry, and says how to fix it.
#[derive(Debug, Parser)]
#[command(
    name = "regdoctor",
    version,
    args_conflicts_with_subcommands = true,
    after_help = "Examples:\n  regdoctor 10.0.0.5:5000 --ca cert.pem\n  regdoctor registry.local --format json > ticket.json\n  regdoctor explain san_ip_missing"
)]
pub struct Cli {
    /// The registry as in an image reference: host, host:port, [v6addr]:port or https://host:port
    pub target: Option<String>,

    /// The CA certificate(s) the runtime is given for this registry (PEM or DER)
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,

    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Deadline for all network work, in seconds
    #[arg(long, value_name = "SECS", default_value = "5", value_parser = parse_timeout)]
    pub timeout: Duration,

    /// When to use colours (NO_COLOR is honoured by auto)
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Other commands
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Explain a check (by id) or a finding code: what it means and how to fix it
    Explain {
        /// A check id (san-matches-host) or a finding code (san_ip_missing)
        name: Option<String>,
        /// List every check with its codes
        #[arg(long)]
        list: bool,
    },
    /// List the checks in the order they run
    Checks,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people; coloured on a terminal
    Human,
    /// The regdoctor.report/v1 JSON document
    Json,
}

/// Colour choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal and NO_COLOR is unset
    Auto,
    /// Always colour
    Always,
    /// Never colour
    Never,
}

fn parse_timeout(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if !(secs > 0.0 && secs <= 600.0) {
        return Err(format!("{s} is out of range: give 0 < SECS <= 600"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Runs regdoctor with these arguments, writing to `out` and `err`.
pub fn run<I, T>(args: I, out: &mut dyn Write, err: &mut dyn Write) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let is_tty = std::io::stdout().is_terminal();
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    ExitCode::from(run_with(args, out, err, is_tty && !no_color))
}

/// [`run`], with the terminal decision made by the caller (tests); returns the exit status.
pub fn run_with<I, T>(args: I, out: &mut dyn Write, err: &mut dyn Write, auto_color: bool) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind;
            let code = match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => 0,
                _ => 2,
            };
            let text = e.render().to_string();
            let _ = if code == 0 {
                write!(out, "{text}")
            } else {
                write!(err, "{text}")
            };
            return code;
        }
    };
    match execute(cli, out, auto_color) {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(err, "error: {e:#}");
            2
        }
    }
}

fn execute(cli: Cli, out: &mut dyn Write, auto_color: bool) -> anyhow::Result<u8> {
    let style = Style {
        color: match cli.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => auto_color,
        },
    };
    match &cli.command {
        Some(Command::Checks) => {
            write!(out, "{}", crate::explain::list())?;
            return Ok(0);
        }
        Some(Command::Explain { name, list }) => {
            if *list || name.is_none() {
                write!(out, "{}", crate::explain::list())?;
                return Ok(0);
            }
            let name = name.as_deref().unwrap_or_default();
            let page = crate::explain::explain(name)?;
            writeln!(out, "{}", page.trim_end())?;
            return Ok(0);
        }
        None => {}
    }
    let Some(raw) = &cli.target else {
        bail!("a target is required, e.g. `regdoctor 10.0.0.5:5000 --ca ca.crt` (see --help)");
    };
    let target = crate::target::parse(raw).with_context(|| format!("invalid target {raw:?}"))?;
    let ca_file = cli.ca.as_deref().map(crate::local::read_ca).transpose()?;
    let started = SystemTime::now();
    let clock = Instant::now();
    let now = started
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default();
    let ca_roots = ca_file
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
            timeout: cli.timeout,
            ca_roots,
        },
    )
    .context("cannot start the network runtime")?;
    let mut facts = Facts::new(Ok(target), now);
    facts.timeout_ms = cli.timeout.as_millis() as u64;
    facts.dns = probe.dns;
    facts.tcp = probe.tcp;
    facts.tls = probe.tls;
    facts.http = probe.http;
    facts.ca_file = ca_file;
    facts.system_roots = crate::local::system_roots();
    let results = crate::checks::run_all(&facts);
    let report = Report::from_facts(
        &facts,
        results,
        crate::pki::rfc3339(now),
        clock.elapsed().as_millis() as u64,
    );
    let text = match cli.format {
        Format::Human => render_human(&report, &style),
        Format::Json => render_json(&report),
    };
    out.write_all(text.as_bytes())?;
    Ok(report.verdict.exit_code())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn timeout_must_be_positive_and_bounded() {
        assert!(parse_timeout("0").is_err());
        assert!(parse_timeout("-1").is_err());
        assert!(parse_timeout("abc").is_err());
        assert!(parse_timeout("601").is_err());
        assert_eq!(parse_timeout("1.5").unwrap(), Duration::from_millis(1500));
    }
}
