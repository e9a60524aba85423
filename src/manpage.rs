//! The man pages, from the clap definition plus the sections clap has no place for:
//! EXAMPLES, EXIT STATUS, ENVIRONMENT and SEE ALSO. The same lists give `--help` its
//! epilogue ([`after_help`]), so the two cannot drift. One page per subcommand
//! (`regdoctor-explain(1)` …), as the main page's SUBCOMMANDS section names them.

use std::io::Write;

/// Examples: the command line and what it does.
pub const EXAMPLES: &[(&str, &str)] = &[
    (
        "regdoctor 10.0.0.5:5000 --ca cert.pem",
        "will a pull work, if the runtimes were given this CA?",
    ),
    (
        "regdoctor 10.0.0.5:5000/team/app:1.4 --ca cert.pem",
        "follow an image's pull to its first layer byte",
    ),
    (
        "regdoctor registry.local --format json > ticket.json",
        "the report as JSON",
    ),
    (
        "regdoctor --daemon-json /etc/docker/daemon.json",
        "lint a node file offline",
    ),
    (
        "regdoctor explain san_ip_missing",
        "what a finding means, how to fix it",
    ),
];

/// The exit statuses of a diagnosis (docs/exit-codes.md has every subcommand's).
pub const EXIT_STATUS: &[(&str, &str)] = &[
    (
        "0",
        "a pull works for every runtime judged (warnings allowed); triage: no known error",
    ),
    (
        "1",
        "it fails for at least one (offline lint: a check failed; triage: a known error found)",
    ),
    (
        "2",
        "bad usage, or a named file that cannot be read (or a --docker-config that does not parse)",
    ),
];

/// Every environment variable regdoctor reads (a test keeps this in step with the code).
pub const ENVIRONMENT: &[(&str, &str)] = &[
    ("NO_COLOR", "not empty: no colour (as --color never)"),
    (
        "COLUMNS",
        "the width human output is wrapped to (else the terminal's; a pipe is not wrapped without it)",
    ),
    (
        "LC_ALL, LC_CTYPE, LANG",
        "the first set decides the locale: when it does not name UTF-8 (LANG=C), human output is ASCII",
    ),
    (
        "DOCKER_CONFIG",
        "the directory of Docker's config.json (credentials)",
    ),
    (
        "HOME",
        "~/.docker/config.json, and ~/.config/containers/certs.d for CRI-O/podman",
    ),
    ("NODE_NAME", "the node's name in reports (as --node-name)"),
    (
        "HTTPS_PROXY, HTTP_PROXY, NO_PROXY (either case), REQUEST_METHOD",
        "this shell's proxy as Go reads it, compared with each runtime's (proxy_env_mismatch)",
    ),
    (
        "SSL_CERT_FILE, SSL_CERT_DIR",
        "the system roots' bundle and certificate directories, as Go reads them (not with --host-root)",
    ),
];

/// `--help`'s epilogue: the examples, exit statuses and environment.
pub fn after_help() -> String {
    let mut s = String::from("Examples:\n");
    for (cmd, _) in EXAMPLES {
        s.push_str(&format!("  {cmd}\n"));
    }
    s.push_str("\nExit status:\n");
    for (code, what) in EXIT_STATUS {
        s.push_str(&format!("  {code}  {what}\n"));
    }
    s.push_str("\nEnvironment:\n");
    for (name, what) in ENVIRONMENT {
        if name.len() <= 14 {
            s.push_str(&format!("  {name:<14}  {what}\n"));
        } else {
            s.push_str(&format!("  {name}\n  {:<14}  {what}\n", ""));
        }
    }
    s.trim_end().to_string()
}

/// Text for roff: backslashes and hyphens escaped, a line never starting as a request.
fn roff(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    escaped
        .lines()
        .map(|l| {
            if l.starts_with('.') || l.starts_with('\'') {
                format!("\\&{l}")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A section of tagged paragraphs: `.TP` with the tag in bold, then its text.
fn tagged(out: &mut dyn Write, title: &str, rows: &[(&str, &str)]) -> std::io::Result<()> {
    writeln!(out, ".SH \"{title}\"")?;
    tagged_rows(out, rows)
}

/// The `.TP` paragraphs of a section: each tag in bold, then its text.
fn tagged_rows(out: &mut dyn Write, rows: &[(&str, &str)]) -> std::io::Result<()> {
    for (tag, text) in rows {
        writeln!(out, ".TP\n\\fB{}\\fR\n{}", roff(tag), roff(text))?;
    }
    Ok(())
}

/// The page of `cmd` (the root, or a subcommand of a built root: `regdoctor-explain`).
fn page(cmd: &clap::Command, root: &clap::Command, out: &mut dyn Write) -> std::io::Result<()> {
    let man = clap_mangen::Man::new(cmd.clone())
        .title(page_name(cmd, root))
        .source(format!("regdoctor {}", env!("CARGO_PKG_VERSION")));
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(out)?;
    }
    let is_root = cmd.get_name() == root.get_name();
    if is_root {
        man.render_subcommands_section(out)?;
        writeln!(out, ".SH EXAMPLES")?;
        tagged_rows(out, EXAMPLES)?;
        tagged(out, "EXIT STATUS", EXIT_STATUS)?;
        tagged(out, "ENVIRONMENT", ENVIRONMENT)?;
    }
    let others: Vec<String> = std::iter::once(root)
        .chain(root.get_subcommands())
        .filter(|c| c.get_name() != cmd.get_name())
        .map(|c| format!("{}(1)", roff(&page_name(c, root))))
        .collect();
    writeln!(out, ".SH \"SEE ALSO\"\n{}", others.join(", "))?;
    if cmd.get_version().is_some() {
        man.render_version_section(out)?;
    }
    Ok(())
}

/// `regdoctor`, or `regdoctor-explain` for a subcommand.
fn page_name(cmd: &clap::Command, root: &clap::Command) -> String {
    if cmd.get_name() == root.get_name() {
        root.get_name().to_string()
    } else {
        format!("{}-{}", root.get_name(), cmd.get_name())
    }
}

/// The root as the pages show it: built, without clap's `help` subcommand.
fn built(root: clap::Command) -> clap::Command {
    let mut root = root.disable_help_subcommand(true);
    root.build();
    root
}

/// Writes the page of `root`, or of its subcommand `name` (`explain`).
pub fn render(root: clap::Command, name: Option<&str>, out: &mut dyn Write) -> anyhow::Result<()> {
    let root = built(root);
    let cmd = match name {
        None => &root,
        Some(n) => root.find_subcommand(n).ok_or_else(|| {
            let names: Vec<&str> = root
                .get_subcommands()
                .map(clap::Command::get_name)
                .collect();
            anyhow::anyhow!("man: no subcommand {n:?}: give one of {}", names.join(", "))
        })?,
    };
    page(cmd, &root, out)?;
    Ok(())
}

/// Writes every page into `dir` (`regdoctor.1`, `regdoctor-explain.1`, …); returns their paths.
pub fn write_all(
    root: clap::Command,
    dir: &std::path::Path,
) -> anyhow::Result<Vec<std::path::PathBuf>> {
    let root = built(root);
    let mut written = Vec::new();
    for cmd in std::iter::once(&root).chain(root.get_subcommands()) {
        let path = dir.join(format!("{}.1", page_name(cmd, &root)));
        let mut text = Vec::new();
        page(cmd, &root, &mut text)?;
        std::fs::write(&path, text).map_err(|e| {
            anyhow::anyhow!(
                "man --out-dir: {}: {}",
                path.display(),
                crate::local::io_reason(&e)
            )
        })?;
        written.push(path);
    }
    Ok(written)
}
