//! The command line: the one clap definition, the pipeline wiring, and exit codes.
//!
//! Exit status: 0 every check passed (warnings allowed), 1 a check failed, 2 bad usage or
//! a named file that cannot be read. Usage errors are one line on stderr; never a panic.

use std::ffi::OsString;
use std::io::{BufRead, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand, ValueEnum};

use crate::facts::Runtime;
use crate::facts::node::NodeFacts;
use crate::local::docker_config;
use crate::pipeline;
use crate::render::{Style, human::render_human, json::render_json};
use crate::report::Report;
use crate::secret::Secret;

/// Finds out why a container runtime cannot talk to a private registry, and says how to fix it.
#[derive(Debug, Parser)]
#[command(
    name = "regdoctor",
    version,
    args_conflicts_with_subcommands = true,
    after_help = crate::manpage::after_help()
)]
pub struct Cli {
    /// The diagnosis's flags.
    #[command(flatten)]
    pub run: RunArgs,
    /// When to use colours (NO_COLOR is honoured by auto)
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,

    /// Other commands
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The flags of a diagnosis (the default command, and `watch`).
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The registry as in an image reference: host, host:port, [v6addr]:port or https://host:port (several may be given)
    #[arg(value_name = "TARGET")]
    pub targets: Vec<String>,

    /// Read more targets from FILE: one per line, `#` comments; `-` reads standard input
    #[arg(long, value_name = "FILE")]
    pub targets_file: Option<PathBuf>,

    /// Add every registry this node's runtimes are configured for (insecure-registries, mirrors, certs.d and hosts.toml directories, registries.conf)
    #[arg(long)]
    pub from_node: bool,

    /// Print only one summary line per target (`host:port  FAIL  san_ip_missing`)
    #[arg(long, short)]
    pub quiet: bool,

    /// What if the runtime were given this CA for the registry (PEM or DER): judged as the system roots + this bundle
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,

    /// The platform asked of an image index, os/arch[/variant] (an image reference as the target) [default: this node's, e.g. linux/amd64]
    #[arg(long, value_name = "OS/ARCH", value_parser = parse_platform)]
    pub platform: Option<crate::facts::pull::Platform>,

    /// What if the runtime were given this client certificate (PEM; with --key)
    #[arg(long, value_name = "FILE", requires = "key")]
    pub cert: Option<PathBuf>,

    /// The private key of --cert (PEM)
    #[arg(long, value_name = "FILE", requires = "cert")]
    pub key: Option<PathBuf>,

    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Deadline for all network work, in seconds
    #[arg(long, value_name = "SECS", default_value = "5", value_parser = parse_timeout, allow_negative_numbers = true)]
    pub timeout: Duration,

    /// User name for the registry; the password is read from stdin (--password-stdin)
    #[arg(long, value_name = "NAME", requires = "password_stdin")]
    pub user: Option<String>,

    /// Read the password for --user from standard input, as `docker login` does
    #[arg(long, requires = "user")]
    pub password_stdin: bool,

    /// Docker config.json to take credentials from [default: $DOCKER_CONFIG/config.json or ~/.docker/config.json]
    #[arg(long, value_name = "PATH")]
    pub docker_config: Option<PathBuf>,

    /// Send credentials even over plain HTTP or a TLS connection that does not verify (unsafe)
    #[arg(long)]
    pub insecure_send_credentials: bool,

    /// Docker's daemon.json to check [default: /etc/docker/daemon.json when present]
    #[arg(long, value_name = "PATH", help_heading = "Node configuration")]
    pub daemon_json: Option<PathBuf>,

    /// Docker's certs.d directory [default: /etc/docker/certs.d]
    #[arg(long, value_name = "DIR", help_heading = "Node configuration")]
    pub docker_certs_d: Option<PathBuf>,

    /// containerd's hosts directory [default: /etc/containerd/certs.d]
    #[arg(long, value_name = "DIR", help_heading = "Node configuration")]
    pub containerd_certs_d: Option<PathBuf>,

    /// containerd's config.toml [default: /etc/containerd/config.toml]
    #[arg(long, value_name = "PATH", help_heading = "Node configuration")]
    pub containerd_config: Option<PathBuf>,

    /// CRI-O/podman registries.conf [default: /etc/containers/registries.conf]
    #[arg(long, value_name = "PATH", help_heading = "Node configuration")]
    pub registries_conf: Option<PathBuf>,

    /// containers certs.d roots in search order (repeat) [default: ~/.config/containers/certs.d, /etc/containers/certs.d, /etc/docker/certs.d]
    #[arg(long, value_name = "DIR", help_heading = "Node configuration")]
    pub containers_certs_d: Vec<PathBuf>,

    /// The node's Docker Engine version, e.g. 24.0.7 [default: from `dockerd --version`]
    #[arg(long, value_name = "VERSION", help_heading = "Node configuration", value_parser = parse_version)]
    pub docker_version: Option<String>,

    /// The node's containerd version, e.g. 1.6.20 [default: from `containerd --version`]
    #[arg(long, value_name = "VERSION", help_heading = "Node configuration", value_parser = parse_version)]
    pub containerd_version: Option<String>,

    /// The Go version the runtimes were built with, e.g. 1.19.8 (it changes their error texts) [default: read from their binaries]
    #[arg(long, value_name = "VERSION", help_heading = "Node configuration", value_parser = parse_version)]
    pub go_version: Option<String>,

    /// Read only the files named on the command line: no default /etc paths, binaries, sockets or ~/.docker/config.json
    #[arg(long, help_heading = "Node configuration")]
    pub no_node_defaults: bool,

    /// This node's name in the report, for fleet summaries [default: $NODE_NAME, else the host name (not with --no-node-defaults)]
    #[arg(long, value_name = "NAME", help_heading = "Node configuration")]
    pub node_name: Option<String>,

    /// The node's root directory, when regdoctor runs in a container with the host's / mounted there (e.g. /host)
    #[arg(long, value_name = "DIR", help_heading = "Node configuration")]
    pub host_root: Option<PathBuf>,

    /// Judge only this runtime, and write fixes for it [default: every runtime found on the node]
    #[arg(long, value_enum, value_name = "RUNTIME")]
    pub runtime: Option<Runtime>,
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
        /// The page as text (headings, no Markdown marks) or as its Markdown source [default: text on a terminal, else markdown]
        #[arg(long, value_enum)]
        format: Option<PageFormat>,
    },
    /// List the checks in the order they run
    Checks,
    /// Find known registry errors in log text (karbon_core.out, journalctl, kubectl events)
    Triage {
        /// The log file; `-` or nothing reads standard input
        file: Option<PathBuf>,
        /// Output format
        #[arg(long, value_enum, default_value_t = TriageFormat::Human)]
        format: TriageFormat,
    },
    /// Re-run the diagnosis on an interval and serve Prometheus metrics (/metrics, /healthz, /report)
    Watch {
        /// The diagnosis's flags (targets, --from-node, node files, …)
        #[command(flatten)]
        run: Box<RunArgs>,
        /// Time between rounds: 30s, 5m, 1h
        #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_interval)]
        interval: Duration,
        /// Address to serve on (0 as the port picks a free one; the address is printed on stderr)
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9465")]
        listen: std::net::SocketAddr,
    },
    /// One table for many nodes' reports: per registry, how many nodes pass, and each root cause with its nodes
    Summarize {
        /// regdoctor JSON reports, one-per-line JSON, or `kubectl logs --prefix` output; `-` reads standard input
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Output format
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Print a shell completion script
    Completions {
        /// The shell
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): regdoctor(1), or a subcommand's (regdoctor-explain(1))
    Man {
        /// The subcommand whose page to print (explain, triage, …)
        name: Option<String>,
        /// Write every page (regdoctor.1, regdoctor-explain.1, …) into DIR instead
        #[arg(long, value_name = "DIR", conflicts_with = "name")]
        out_dir: Option<PathBuf>,
    },
}

/// How `explain` prints a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PageFormat {
    /// Plain text with headings, wrapped to the terminal
    Text,
    /// The page's Markdown source
    Markdown,
}

/// Triage output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TriageFormat {
    /// For people
    Human,
    /// regdoctor.triage/v1 JSON
    Json,
    /// Markdown for a ticket
    Markdown,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people; coloured on a terminal
    Human,
    /// The regdoctor.report/v1 JSON document
    Json,
    /// Markdown for a ticket (GitHub, GitLab, Jira)
    Markdown,
    /// One JSON report per line (for pod logs and `regdoctor summarize`)
    JsonLines,
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

/// `30s`, `5m`, `1h`, or seconds.
fn parse_interval(s: &str) -> Result<Duration, String> {
    let (num, unit) = match s.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, "s"),
    };
    let n: f64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration (30s, 5m, 1h)"))?;
    let secs = match unit {
        "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(format!("{s:?}: the unit is s, m or h")),
    };
    if !(1.0..=7.0 * 86400.0).contains(&secs) {
        return Err(format!("{s} is out of range: from 1s to 7 days"));
    }
    Ok(Duration::from_secs_f64(secs))
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

/// A version as the runtimes print it: digits and dots (`24.0.7`, `1.19.8`), a leading
/// `v` or `go` and a `+`/`-`/`~` suffix allowed (`20.10.24+dfsg1`, `go1.19.8`).
fn parse_version(s: &str) -> Result<String, String> {
    let core = s.trim_start_matches("go").trim_start_matches('v');
    let core = core.split(['+', '-', '~']).next().unwrap_or_default();
    let ok = !core.is_empty()
        && core
            .split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if ok {
        Ok(s.to_string())
    } else {
        Err(format!(
            "{s:?} is not a version: give it as the runtime prints it, e.g. 24.0.7"
        ))
    }
}

/// Runs regdoctor with these arguments, writing to `out` and `err`.
pub fn run<I, T>(args: I, out: &mut dyn Write, err: &mut dyn Write) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    ExitCode::from(run_in(
        args,
        &mut std::io::stdin().lock(),
        out,
        err,
        Output::detect(),
    ))
}

/// Where the output goes, decided once per run: whether stdout is a terminal, and the
/// [`Style`] (auto colour, width, ASCII) worked out from it and the environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct Output {
    /// stdout is a terminal.
    pub tty: bool,
    /// How human text is shown (`color` is the auto choice; `--color` overrides it).
    pub style: Style,
}

impl Output {
    /// This process's stdout and environment.
    pub fn detect() -> Output {
        let tty = std::io::stdout().is_terminal();
        let get = |k: &str| std::env::var(k).ok();
        let no_color = get("NO_COLOR").is_some_and(|v| !v.is_empty());
        let width = tty
            .then(|| console::Term::stdout().size_checked())
            .flatten()
            .map(|(_, w)| usize::from(w));
        Output {
            tty,
            style: Style::for_output(tty && !no_color, width, &get),
        }
    }
}

/// [`run`], with the terminal decision made by the caller (tests); returns the exit status.
pub fn run_with<I, T>(args: I, out: &mut dyn Write, err: &mut dyn Write, auto_color: bool) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    run_full(args, &mut std::io::stdin().lock(), out, err, auto_color)
}

/// [`run_with`], with standard input given by the caller (tests of --password-stdin).
pub fn run_full<I, T>(
    args: I,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
    err: &mut dyn Write,
    auto_color: bool,
) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let output = Output {
        tty: false,
        style: Style {
            color: auto_color,
            ..Style::default()
        },
    };
    run_in(args, input, out, err, output)
}

/// Runs regdoctor with the output decided by the caller; returns the exit status.
pub fn run_in<I, T>(
    args: I,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
    err: &mut dyn Write,
    output: Output,
) -> u8
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
                writeln!(err, "{}", one_line(&text))
            };
            return code;
        }
    };
    match execute(cli, input, out, output) {
        Ok(code) => code,
        // `regdoctor … | head`: the reader left; stop quietly, as other Unix tools do.
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            0
        }
        Err(e) => {
            let _ = writeln!(err, "error: {e:#}");
            2
        }
    }
}

fn execute(
    cli: Cli,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
    output: Output,
) -> anyhow::Result<u8> {
    let style = Style {
        color: match cli.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => output.style.color,
        },
        ..output.style
    };
    if let Some(command) = &cli.command {
        return subcommand(command, &style, output.tty, input, out);
    }
    let (mut raw_targets, mut named_by) = given_targets(&cli.run, input)?;
    let node = read_node(&cli.run, &raw_targets)?;
    node_targets(&cli.run, &node, &mut raw_targets, &mut named_by);
    if raw_targets.is_empty() {
        let named = cli.run.daemon_json.is_some()
            || cli.run.docker_certs_d.is_some()
            || cli.run.containerd_certs_d.is_some()
            || cli.run.containerd_config.is_some()
            || cli.run.registries_conf.is_some()
            || !cli.run.containers_certs_d.is_empty();
        if cli.run.from_node && !named {
            bail!("--from-node: no registry is configured in this node's runtime files");
        }
        if !named {
            bail!(
                "a target is required, e.g. `regdoctor 10.0.0.5:5000 --ca ca.crt`, or name node files to lint offline, e.g. `regdoctor --daemon-json /etc/docker/daemon.json` (see --help)"
            );
        }
        let inputs = pipeline::Inputs {
            node,
            only_runtime: cli.run.runtime,
            go_version: cli.run.go_version.clone(),
            ..pipeline::Inputs::default()
        };
        let report = pipeline::lint(&inputs);
        return write_reports(&cli.run, &[report], out, &style);
    }
    let targets = raw_targets
        .iter()
        .map(|raw| crate::target::parse(raw).with_context(|| format!("invalid target {raw:?}")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let inputs = lower(&cli.run, node, input)?;
    let progress = crate::progress::Progress::new(
        &targets,
        cli.run.format == Format::Human && std::io::stderr().is_terminal(),
    );
    let mut reports = pipeline::diagnose_all(&targets, &inputs, &|e| progress.event(e))?;
    progress.finish();
    for (r, by) in reports.iter_mut().zip(named_by) {
        if let Some(by) = by {
            r.notes.push(by);
        }
    }
    write_reports(&cli.run, &reports, out, &style)
}

/// The subcommands other than a diagnosis.
fn subcommand(
    command: &Command,
    style: &Style,
    tty: bool,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    match command {
        Command::Checks => {
            human_out(out, style, &crate::explain::list())?;
            Ok(0)
        }
        Command::Watch {
            run,
            interval,
            listen,
        } => watch(run, *interval, *listen, input, out),
        Command::Summarize { files, format } => summarize(files, *format, style, input, out),
        Command::Triage { file, format } => triage(file.as_deref(), *format, style, input, out),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            clap_complete::generate(*shell, &mut Cli::command(), "regdoctor", out);
            Ok(0)
        }
        Command::Man { name, out_dir } => {
            use clap::CommandFactory;
            match out_dir {
                Some(dir) => {
                    for path in crate::manpage::write_all(Cli::command(), dir)? {
                        writeln!(out, "{}", path.display())?;
                    }
                }
                None => crate::manpage::render(Cli::command(), name.as_deref(), out)?,
            }
            Ok(0)
        }
        Command::Explain { name, list, format } => {
            if *list || name.is_none() {
                human_out(out, style, &crate::explain::list())?;
                return Ok(0);
            }
            let name = name.as_deref().unwrap_or_default();
            let page = crate::explain::explain(name)?;
            // Text for a person at a terminal; the Markdown source when piped or saved.
            let format = format.unwrap_or(if tty {
                PageFormat::Text
            } else {
                PageFormat::Markdown
            });
            match format {
                PageFormat::Text => human_out(out, style, &crate::explain::to_text(&page, style))?,
                PageFormat::Markdown => writeln!(out, "{}", page.trim_end())?,
            }
            Ok(0)
        }
    }
}

/// Renders the reports in the chosen format; the exit status is the worst verdict's.
fn write_reports(
    cli: &RunArgs,
    reports: &[Report],
    out: &mut dyn Write,
    style: &Style,
) -> anyhow::Result<u8> {
    let text = match (cli.format, reports) {
        (Format::JsonLines, many) => many.iter().map(crate::render::json_line).collect(),
        (Format::Json, [one]) => render_json(one),
        (Format::Json, many) => crate::render::json::render_json_many(many),
        (Format::Human, many) if cli.quiet => crate::render::human::summary_lines(many, style),
        (Format::Human, [one]) => render_human(one, style),
        (Format::Human, many) => {
            let mut text = many
                .iter()
                .map(|r| render_human(r, style))
                .collect::<Vec<_>>()
                .join("\n");
            text.push_str("\nTargets:\n");
            text.push_str(&crate::render::human::summary_lines(many, style));
            text
        }
        (Format::Markdown, many) => many
            .iter()
            .map(crate::render::markdown::render_markdown)
            .collect::<Vec<_>>()
            .join("\n---\n\n"),
    };
    // JSON and Markdown are documents in UTF-8 whatever the locale; text for a person
    // follows it.
    if cli.format == Format::Human {
        human_out(out, style, &text)?;
    } else {
        out.write_all(text.as_bytes())?;
    }
    Ok(reports
        .iter()
        .map(|r| r.verdict.exit_code())
        .max()
        .unwrap_or(0))
}

/// Standard input read whole, at most [`crate::local::MAX_FILE`]: more is refused, not cut.
fn stdin_capped(input: &mut dyn BufRead, what: &str) -> anyhow::Result<Vec<u8>> {
    let mut buf = Vec::new();
    std::io::Read::take(&mut *input, crate::local::MAX_FILE + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > crate::local::MAX_FILE {
        bail!("{what}: standard input is larger than 16 MiB");
    }
    Ok(buf)
}

/// Writes text meant for a person: in ASCII when the locale cannot show UTF-8.
fn human_out(out: &mut dyn Write, style: &Style, text: &str) -> std::io::Result<()> {
    if style.ascii {
        out.write_all(crate::render::ascii(text).as_bytes())
    } else {
        out.write_all(text.as_bytes())
    }
}

/// The targets the user gave: the arguments, then `--targets-file`; with, for each, the
/// note saying which runtimes name it (none: see [`node_targets`]).
fn given_targets(
    cli: &RunArgs,
    input: &mut dyn BufRead,
) -> anyhow::Result<(Vec<String>, Vec<Option<String>>)> {
    let mut targets: Vec<String> = cli.targets.clone();
    if let Some(path) = &cli.targets_file {
        let text = if path.as_os_str() == "-" {
            if cli.password_stdin {
                bail!("--targets-file - and --password-stdin both want standard input");
            }
            String::from_utf8_lossy(&stdin_capped(input, "--targets-file -")?).into_owned()
        } else {
            String::from_utf8_lossy(
                &crate::local::read_file(path).map_err(named("--targets-file"))?,
            )
            .into_owned()
        };
        targets.extend(
            text.lines()
                .map(|l| l.split('#').next().unwrap_or_default().trim())
                .filter(|l| !l.is_empty())
                .map(str::to_string),
        );
    }
    let notes = vec![None; targets.len()];
    Ok((targets, notes))
}

/// With `--from-node`, the registries the node's runtime files name, after the given
/// targets, each with the note saying which runtimes name it.
fn node_targets(
    cli: &RunArgs,
    node: &NodeFacts,
    targets: &mut Vec<String>,
    notes: &mut Vec<Option<String>>,
) {
    if cli.from_node {
        for (target, runtimes) in crate::runtimes::node_targets(node) {
            let names: Vec<&str> = runtimes.iter().map(|(r, _)| r.display_name()).collect();
            let how: Vec<String> = runtimes.iter().map(|(_, how)| how.clone()).collect();
            notes.push(Some(format!(
                "named by {} on this node ({})",
                names.join(" and "),
                how.join("; ")
            )));
            targets.push(target);
        }
    }
}

/// `regdoctor watch`: rounds until the process is stopped, each reading the node's files
/// afresh; one summary line per target per round on stdout.
fn watch(
    run: &RunArgs,
    interval: Duration,
    listen: std::net::SocketAddr,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    if run.password_stdin {
        bail!("watch: --password-stdin is read once and would not last; use --docker-config");
    }
    if run.format == Format::Markdown {
        bail!("watch: --format markdown is a document, not a stream; use --format json-lines");
    }
    let mut round = || -> Result<Vec<Report>, String> {
        let (mut targets, mut named_by) =
            given_targets(run, input).map_err(|e| format!("{e:#}"))?;
        let node = read_node(run, &targets).map_err(|e| format!("{e:#}"))?;
        node_targets(run, &node, &mut targets, &mut named_by);
        if targets.is_empty() {
            return Err("no target: give targets or --from-node".into());
        }
        let targets = targets
            .iter()
            .map(|raw| {
                crate::target::parse(raw).map_err(|e| format!("invalid target {raw:?}: {e}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let inputs = lower(run, node, input).map_err(|e| format!("{e:#}"))?;
        let mut reports =
            pipeline::diagnose_all(&targets, &inputs, &|_| {}).map_err(|e| e.to_string())?;
        for (r, by) in reports.iter_mut().zip(named_by) {
            if let Some(by) = by {
                r.notes.push(by);
            }
        }
        // Each round is a stream record: one JSON line per report (what `kubectl logs`
        // collects from a DaemonSet for `regdoctor summarize`), or one summary line each.
        let text: String = match run.format {
            Format::Json | Format::JsonLines => {
                reports.iter().map(crate::render::json_line).collect()
            }
            Format::Human | Format::Markdown => {
                crate::render::human::summary_lines(&reports, &Style::default())
            }
        };
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
        Ok(reports)
    };
    crate::watch::run(listen, interval, &mut round, &mut |addr| {
        eprintln!("regdoctor watch: serving http://{addr}/metrics, /healthz and /report");
    })?;
    Ok(0)
}

/// `regdoctor summarize`: exit 1 when a registry fails on some node, 0 when none does.
fn summarize(
    files: &[PathBuf],
    format: Format,
    style: &Style,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    let mut texts = Vec::new();
    for f in files {
        let (name, bytes) = if f.as_os_str() == "-" {
            (
                "standard input".to_string(),
                stdin_capped(input, "summarize -")?,
            )
        } else {
            (f.display().to_string(), crate::local::read_file(f)?)
        };
        texts.push((name, String::from_utf8_lossy(&bytes).into_owned()));
    }
    let s = crate::summarize::summarize(&texts);
    let text = match format {
        Format::Human => crate::render::summary::human(&s),
        Format::Markdown => crate::render::summary::markdown(&s),
        Format::Json | Format::JsonLines => serde_json::to_string_pretty(&s)? + "\n",
    };
    if format == Format::Human {
        human_out(out, style, &text)?;
    } else {
        out.write_all(text.as_bytes())?;
    }
    if s.reports == 0 {
        bail!("no regdoctor report was found in the input");
    }
    Ok(u8::from(s.registries.iter().any(|r| r.fail > 0)))
}

/// Reads the --password-stdin password once, for every target.
/// The most `--password-stdin` reads.
const PASSWORD_CAP: u64 = 4096;

fn read_password(cli: &RunArgs, input: &mut dyn BufRead) -> anyhow::Result<Option<Secret>> {
    if cli.user.is_none() {
        return Ok(None);
    }
    // At most a few KiB: a password is one line, and stdin may be a device.
    let mut bytes = Vec::new();
    input
        .take(PASSWORD_CAP + 1)
        .read_until(b'\n', &mut bytes)
        .context("cannot read the password from standard input")?;
    if bytes.len() as u64 > PASSWORD_CAP {
        bail!(
            "--password-stdin: the first line of standard input is over {PASSWORD_CAP} bytes: not a password"
        );
    }
    let line = String::from_utf8(bytes)
        .map_err(|_| anyhow::anyhow!("--password-stdin: the password is not UTF-8"))?;
    let password = line.trim_end_matches(['\n', '\r']).to_string();
    if password.is_empty() {
        bail!("--password-stdin: standard input held no password");
    }
    Ok(Some(Secret::new(password)))
}

/// clap's multi-line usage error as one line: the error and its detail, without the usage
/// block ("error: invalid value 'yaml' for '--format <FORMAT>'; possible values: …; see --help").
fn one_line(text: &str) -> String {
    let mut parts: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| {
            !l.is_empty()
                && !l.starts_with("Usage:")
                && !l.starts_with("regdoctor ")
                && !l.starts_with("For more information")
        })
        .map(|l| l.trim_start_matches('[').trim_end_matches(']').to_string())
        .collect();
    parts.push("see --help".into());
    let mut line = String::new();
    for p in parts {
        if !line.is_empty() {
            line.push_str(if line.ends_with(':') { " " } else { "; " });
        }
        line.push_str(&p);
    }
    line
}

/// Reads this node's runtime configuration (named paths must exist; defaults may not),
/// looking up the certs.d directories of `targets` by name.
fn read_node(cli: &RunArgs, targets: &[String]) -> anyhow::Result<NodeFacts> {
    if let Some(root) = &cli.host_root
        && !root.is_dir()
    {
        bail!("--host-root {}: not a directory", root.display());
    }
    let opts = crate::local::node::NodeOptions {
        host_root: crate::local::HostRoot(cli.host_root.clone()),
        no_defaults: cli.no_node_defaults,
        daemon_json: cli.daemon_json.clone(),
        docker_certs_d: cli.docker_certs_d.clone(),
        containerd_certs_d: cli.containerd_certs_d.clone(),
        containerd_config: cli.containerd_config.clone(),
        registries_conf: cli.registries_conf.clone(),
        containers_certs_d: cli.containers_certs_d.clone(),
        docker_version: cli.docker_version.clone(),
        containerd_version: cli.containerd_version.clone(),
        home: std::env::var_os("HOME").map(PathBuf::from),
        // A target that does not parse is refused later, with its error.
        wanted_dirs: targets
            .iter()
            .filter_map(|raw| crate::target::parse(raw).ok())
            .flat_map(|t| crate::runtimes::containerd::dir_names(&t))
            .collect(),
    };
    crate::local::node::read(&opts).map_err(|e| {
        let named = |p: &Option<PathBuf>| p.as_deref() == Some(e.path());
        let flag = [
            ("--daemon-json", &cli.daemon_json),
            ("--docker-certs-d", &cli.docker_certs_d),
            ("--containerd-certs-d", &cli.containerd_certs_d),
            ("--containerd-config", &cli.containerd_config),
            ("--registries-conf", &cli.registries_conf),
        ]
        .into_iter()
        .find(|(_, p)| named(p))
        .map(|(flag, _)| flag)
        .or_else(|| {
            cli.containers_certs_d
                .iter()
                .any(|p| p == e.path())
                .then_some("--containers-certs-d")
        });
        match flag {
            Some(flag) => anyhow::anyhow!(e.with_flag(flag)),
            None => e.into(),
        }
    })
}

/// A file named by `flag` that cannot be read, as one line naming both.
fn named(flag: &'static str) -> impl Fn(crate::local::LoadError) -> anyhow::Error {
    move |e| anyhow::anyhow!(e.with_flag(flag))
}

/// A `--docker-config` the user named must read and parse: regdoctor would otherwise
/// judge the registry without the credentials the user meant to give.
fn check_docker_config(path: &std::path::Path) -> anyhow::Result<()> {
    match docker_config::check(path).map_err(named("--docker-config"))? {
        Ok(()) => Ok(()),
        Err(malformed) => bail!("--docker-config {}: {malformed}", path.display()),
    }
}

/// Lowers the flags into the pipeline's inputs: reads the named files (a file that
/// cannot be read is exit 2) and the password.
fn lower(
    cli: &RunArgs,
    node: NodeFacts,
    input: &mut dyn BufRead,
) -> anyhow::Result<pipeline::Inputs> {
    let password = read_password(cli, input)?;
    let docker_config = match &cli.docker_config {
        Some(p) => {
            check_docker_config(p)?;
            pipeline::DockerConfig::Named(p.clone())
        }
        None if cli.no_node_defaults => pipeline::DockerConfig::None,
        None => pipeline::DockerConfig::Default(docker_config::default_path()),
    };
    Ok(pipeline::Inputs {
        timeout: cli.timeout,
        ca_file: cli
            .ca
            .as_deref()
            .map(crate::local::read_ca)
            .transpose()
            .map_err(named("--ca"))?,
        client_cert: read_client_cert(cli)?,
        user: cli.user.clone().zip(password),
        docker_config,
        insecure_send_credentials: cli.insecure_send_credentials,
        system_roots: crate::local::system_roots(&crate::local::HostRoot(cli.host_root.clone())),
        node,
        only_runtime: cli.runtime,
        go_version: cli.go_version.clone(),
        node_name: node_name(cli),
        platform: cli.platform.clone(),
    })
}

fn parse_platform(s: &str) -> Result<crate::facts::pull::Platform, String> {
    crate::facts::pull::Platform::parse(s).ok_or_else(|| {
        format!("{s:?} is not a platform: write os/arch[/variant], e.g. linux/amd64")
    })
}

/// `--node-name`, else `$NODE_NAME` (a DaemonSet's downward API), else the node's host name.
fn node_name(cli: &RunArgs) -> Option<String> {
    cli.node_name
        .clone()
        .or_else(|| std::env::var("NODE_NAME").ok().filter(|n| !n.is_empty()))
        .or_else(|| {
            // Not with --no-node-defaults: nothing of the node is read then.
            (!cli.no_node_defaults)
                .then(|| crate::local::hostname(&crate::local::HostRoot(cli.host_root.clone())))
                .flatten()
        })
}

/// Reads --cert and --key.
fn read_client_cert(cli: &RunArgs) -> anyhow::Result<Option<crate::facts::ClientPair>> {
    let (Some(cert), Some(key)) = (&cli.cert, &cli.key) else {
        return Ok(None);
    };
    Ok(Some(crate::facts::ClientPair {
        cert: cert.display().to_string(),
        key: key.display().to_string(),
        cert_pem: crate::local::read_file(cert).map_err(named("--cert"))?,
        key_pem: crate::local::read_file(key).map_err(named("--key"))?,
    }))
}

/// `regdoctor triage`: exit 1 when a known error was found, 0 when none.
fn triage(
    file: Option<&std::path::Path>,
    format: TriageFormat,
    style: &Style,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    let result = match file.filter(|p| p.as_os_str() != "-") {
        Some(p) => {
            let (f, _) = crate::local::open_regular(p)?;
            let mut reader = std::io::BufReader::with_capacity(1 << 16, f);
            crate::triage::triage(&mut reader, &p.display().to_string())
                .with_context(|| format!("cannot read {}", p.display()))?
        }
        None => {
            crate::triage::triage(input, "standard input").context("cannot read standard input")?
        }
    };
    match format {
        TriageFormat::Human => {
            human_out(out, style, &crate::render::triage::render_human(&result))?;
        }
        TriageFormat::Json => {
            out.write_all((serde_json::to_string_pretty(&result)? + "\n").as_bytes())?;
        }
        TriageFormat::Markdown => {
            out.write_all(crate::render::triage::render_markdown(&result).as_bytes())?;
        }
    }
    Ok(u8::from(!result.matches.is_empty()))
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
