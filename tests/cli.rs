//! End-to-end runs of the built binary (assert_cmd), and usage errors.

use assert_cmd::Command;
use predicates::prelude::*;

use crate::common::pki::*;
use crate::common::server::{self, Behaviour};
use crate::common::*;

/// Runs `c`, expects exit status `code`, and returns its standard output as text.
fn stdout_of(c: &mut Command, code: i32) -> String {
    let out = c.assert().code(code).get_output().stdout.clone();
    String::from_utf8(out).unwrap()
}

fn regdoctor() -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin!("regdoctor"));
    c.env_remove("NO_COLOR")
        .env_remove("SSL_CERT_FILE")
        .env_remove("SSL_CERT_DIR")
        .env_remove("DOCKER_CONFIG");
    c
}

#[test]
fn binary_human_report_for_a_san_failure() {
    let root = ca("Registry CA", now());
    let l = leaf(&root, &["registry.local"], now());
    let s = scenario(&root.pem, std::slice::from_ref(&l.der), &l.key_der);
    let ca_path = s.ca_path.clone();
    regdoctor()
        .args([&s.target(), "--ca", &ca_path, "--no-node-defaults"])
        .env("HOME", s.dir())
        .assert()
        .code(1)
        .stdout(predicate::str::contains("fail  san-matches-host"))
        .stdout(predicate::str::contains("error[san_ip_missing]"))
        .stdout(predicate::str::contains("Will a pull work on this node?"))
        .stdout(predicate::str::contains(
            "any runtime  FAIL  san_ip_missing",
        ))
        .stdout(predicate::str::contains(
            "      CRI-O:      pinging container registry ",
        ))
        .stdout(predicate::str::contains("regdoctor explain san_ip_missing"))
        .stdout(predicate::str::contains("\u{1b}[").not());
}

#[test]
fn binary_json_report_has_the_contract_shape() {
    let root = ca("Registry CA", now());
    let l = leaf(&root, &["127.0.0.1"], now());
    let s = scenario(&root.pem, std::slice::from_ref(&l.der), &l.key_der);
    let ca_path = s.ca_path.clone();
    let out = regdoctor()
        .args([
            &s.target(),
            "--ca",
            &ca_path,
            "--format",
            "json",
            "--no-node-defaults",
        ])
        .env("HOME", s.dir())
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let r: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(r["schema"], "regdoctor.report/v1");
    assert_eq!(r["tool"]["name"], "regdoctor");
    assert_eq!(r["target"]["host"], "127.0.0.1");
    assert_eq!(r["target"]["port"], s.server.addr.port());
    assert_eq!(r["target"]["scheme"], "https");
    assert!(r["started_at"].as_str().unwrap().ends_with('Z'));
    assert!(r["duration_ms"].is_u64());
    assert_eq!(r["verdict"], "pass");
    let ids: Vec<&str> = r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "target",
            "tcp-connect",
            "proxy",
            "tls-handshake",
            "ca-file",
            "cert-validity",
            "san-matches-host",
            "ca-chain",
            "registry-api",
            "catalog",
            "credentials",
            "pull",
            "daemon-json",
            "certs-d",
            "containerd-hosts",
            "containers-registries"
        ]
    );
    let cert = &r["evidence"]["tls"]["chain"][0];
    for key in [
        "subject",
        "issuer",
        "serial",
        "not_before",
        "not_after",
        "san",
        "sha256",
        "key",
        "signature",
    ] {
        assert!(!cert[key].is_null(), "chain[0].{key} missing");
    }
    assert_eq!(cert["san"][0], "IP:127.0.0.1");
    assert_eq!(cert["key"], "ECDSA P-256");
    assert_eq!(r["evidence"]["tls"]["version"], "TLSv1.3");
}

#[test]
fn missing_ca_file_is_exit_2_with_one_line() {
    regdoctor()
        .args(["127.0.0.1:1", "--ca", "/nonexistent/ca.pem"])
        .assert()
        .code(2)
        .stderr("error: --ca /nonexistent/ca.pem: no such file or directory\n");
}

/// Every file or directory the user names: missing, a FIFO (refused before the open, which
/// would block), a device, a link to a device, and the wrong kind (a directory for a file,
/// a file for a directory). Each is exit 2 with one line naming the flag and the path.
#[test]
fn every_named_file_that_cannot_be_read_is_one_line_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = fifo(&dir, "fifo");
    let link = dir.path().join("link-to-zero");
    std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
    let link = link.display().to_string();
    let file = write(&dir, "plain.txt", b"x");
    let folder = dir.path().display().to_string();
    let not_regular = "it is not a regular file (a device, pipe or socket)";
    let files = [
        "--ca",
        "--daemon-json",
        "--containerd-config",
        "--registries-conf",
        "--docker-config",
        "--targets-file",
    ];
    let dirs = [
        "--docker-certs-d",
        "--containerd-certs-d",
        "--containers-certs-d",
    ];
    let mut cases = Vec::new();
    for flag in files {
        cases.push((
            flag,
            "/nonexistent/x".to_string(),
            "no such file or directory",
        ));
        cases.push((flag, fifo.clone(), not_regular));
        cases.push((flag, "/dev/zero".to_string(), not_regular));
        cases.push((flag, link.clone(), not_regular));
        cases.push((flag, folder.clone(), "it is a directory"));
    }
    for flag in dirs {
        cases.push((
            flag,
            "/nonexistent/x".to_string(),
            "no such file or directory",
        ));
        cases.push((flag, file.clone(), "it is not a directory"));
        cases.push((flag, "/dev/zero".to_string(), "it is not a directory"));
    }
    for (flag, path, why) in cases {
        let started = std::time::Instant::now();
        regdoctor()
            .args(["127.0.0.1:1", "--no-node-defaults", flag, &path])
            .timeout(std::time::Duration::from_secs(20))
            .assert()
            .code(2)
            .stdout("")
            .stderr(format!("error: {flag} {path}: {why}\n"));
        assert!(started.elapsed().as_secs() < 10, "{flag} {path}");
    }
    for (flag, other) in [("--cert", "--key"), ("--key", "--cert")] {
        regdoctor()
            .args([
                "127.0.0.1:1",
                "--no-node-defaults",
                flag,
                &fifo,
                other,
                &file,
            ])
            .timeout(std::time::Duration::from_secs(20))
            .assert()
            .code(2)
            .stderr(format!("error: {flag} {fifo}: {not_regular}\n"));
    }
}

/// A `--docker-config` the user named that does not parse is exit 2, naming the flag, the
/// file, the line and the column; found by default, it is said in the credentials check.
#[test]
fn a_malformed_docker_config_is_exit_2_when_named_and_said_when_found() {
    let dir = tempfile::tempdir().unwrap();
    let syntax = write(
        &dir,
        "syntax.json",
        b"{\"auths\": {\n  \"r:5000\": {},,\n}}",
    );
    regdoctor()
        .args(["127.0.0.1:1", "--no-node-defaults", "--docker-config", &syntax])
        .assert()
        .code(2)
        .stdout("")
        .stderr(format!(
            "error: --docker-config {syntax}: not valid JSON at line 2, column 16: invalid character ',' looking for beginning of object key string\n"
        ));
    let shape = write(&dir, "shape.json", b"{\"auths\": {\n  \"r:5000\": 1}}");
    regdoctor()
        .args(["127.0.0.1:1", "--no-node-defaults", "--docker-config", &shape])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with(format!(
            "error: --docker-config {shape}: not a Docker config.json at line 2, column 13: invalid type: integer `1`, expected an object"
        )))
        .stderr(predicate::function(|s: &str| s.lines().count() == 1));
    // Found by default ($DOCKER_CONFIG/config.json), the same file is not an exit 2: a
    // finding of the credentials check says why it was not used.
    std::fs::copy(&syntax, dir.path().join("config.json")).unwrap();
    let root = tempfile::tempdir().unwrap();
    let root = root.path().display().to_string();
    let out = regdoctor()
        .args(["127.0.0.1:1", "--format", "json", "--host-root", &root])
        .env("DOCKER_CONFIG", dir.path())
        .env("HOME", dir.path())
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let r: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let credentials = r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "credentials")
        .unwrap();
    assert_eq!(credentials["status"], "warn", "{credentials:#}");
    let f = &credentials["findings"][0];
    assert_eq!(f["code"], "docker_config_invalid", "{credentials:#}");
    let why = f["message"].as_str().unwrap_or_default();
    assert!(
        why.contains(&format!(
            "{}/config.json cannot be used: not valid JSON at line 2, column 16",
            dir.path().display()
        )),
        "{credentials:#}"
    );
}

#[test]
fn bad_usage_is_exit_2_never_a_panic() {
    for args in [
        vec!["host:99999"],
        vec!["ftp://host"],
        vec![],
        vec!["127.0.0.1:5000", "--timeout", "0"],
        vec!["127.0.0.1:5000", "--format", "yaml"],
        vec!["explain", "no-such-check"],
        vec!["--no-such-flag"],
        vec!["127.0.0.1:5000", "--user", "bob"],
        vec!["triage", "--format", "xml"],
    ] {
        regdoctor()
            .args(&args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("panicked").not())
            .stderr(predicate::str::starts_with("error: "))
            .stderr(predicate::function(|s: &str| s.lines().count() == 1));
    }
}

#[test]
fn an_ipv6_zone_id_is_refused_with_the_reason_and_what_to_use() {
    regdoctor()
        .args(["[fe80::1%eth0]:5000", "--no-node-defaults"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::starts_with(
            "error: invalid target \"[fe80::1%eth0]:5000\": an IPv6 zone ID (%eth0) cannot be part of an image reference: Docker, containerd and CRI-O refuse",
        ))
        .stderr(predicate::str::contains("give the registry a DNS name"))
        .stderr(predicate::function(|s: &str| s.lines().count() == 1));
}

/// The locale and the width, through the binary: with `LANG=C` only ASCII is printed,
/// and with `COLUMNS=60` prose is wrapped to 60 columns; the runtime's quoted words, the
/// `explain` commands and code spans stay whole. With a UTF-8 locale and no width (a
/// pipe), nothing changes.
#[test]
fn the_report_follows_the_locale_and_the_width() {
    let port = server::closed_port().to_string();
    let run = |env: &[(&str, &str)]| {
        let mut c = regdoctor();
        c.args([&port, "--no-node-defaults", "--runtime", "docker"])
            .env_remove("LC_ALL")
            .env_remove("LC_CTYPE")
            .env_remove("LANG")
            .env_remove("COLUMNS");
        for (k, v) in env {
            c.env(k, v);
        }
        stdout_of(&mut c, 1)
    };
    let ascii = run(&[("LANG", "C"), ("COLUMNS", "60")]);
    assert!(ascii.is_ascii(), "{ascii}");
    assert!(ascii.contains(" - 127.0.0.1:"), "{ascii}");
    assert!(ascii.contains("  x tcp_refused"), "{ascii}");
    let whole = |l: &str| {
        let t = l.trim_start();
        l.starts_with("regdoctor ")
            || l.contains('`')
            || !t.contains(' ')
            || ["Docker:", "runtime:", "regdoctor explain"]
                .iter()
                .any(|p| t.starts_with(p))
    };
    for line in ascii.lines().filter(|l| !whole(l)) {
        assert!(
            line.chars().count() <= 60,
            "{} columns: {line}\n{ascii}",
            line.chars().count()
        );
    }
    // (A word longer than the room left, e.g. a path, is not cut either.)
    // The continuation of a wrapped message starts under the message.
    let summary = ascii
        .lines()
        .position(|l| l.starts_with("  x tcp_refused"))
        .unwrap();
    let column = ascii
        .lines()
        .nth(summary)
        .unwrap()
        .find("the connection")
        .unwrap();
    let next = ascii.lines().nth(summary + 1).unwrap();
    assert_eq!(next.len() - next.trim_start().len(), column, "{ascii}");
    // LC_ALL wins over LANG.
    assert!(run(&[("LC_ALL", "C"), ("LANG", "C.UTF-8")]).is_ascii());
    let utf8 = run(&[("LANG", "C.UTF-8")]);
    assert!(
        utf8.contains(" — 127.0.0.1:") && utf8.contains("  ✗ tcp_refused"),
        "{utf8}"
    );
    assert!(
        utf8.lines().any(|l| !whole(l) && l.chars().count() > 60),
        "{utf8}"
    );
}

/// `explain` prints the page's Markdown when piped, and text with headings when asked
/// (`--format text`, the default on a terminal), wrapped to COLUMNS.
#[test]
fn explain_as_text_or_markdown() {
    regdoctor()
        .args(["explain", "san_ip_missing", "--format", "markdown"])
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with("# san-matches-host:"))
        .stdout(predicate::str::contains("**Meaning:**"));
    let text = stdout_of(
        regdoctor()
            .args(["explain", "san_ip_missing", "--format", "text"])
            .env("COLUMNS", "50"),
        0,
    );
    assert!(
        text.starts_with(
            "san-matches-host: the certificate is valid for the dialled name or IP\n====="
        ),
        "{text}"
    );
    assert!(!text.contains("**") && !text.contains("# "), "{text}");
    assert!(
        text.contains("\nsan_ip_missing (error)\nMeaning: you dialled an IP"),
        "{text}"
    );
    assert!(
        text.lines()
            .skip(2)
            .all(|l| l.chars().count() <= 50 || l.contains('`')),
        "{text}"
    );
}

/// On a real terminal (a pty from util-linux's `script`, 70 columns): `explain` is text
/// by default and the report is wrapped to the terminal's width without COLUMNS.
#[test]
fn on_a_terminal_explain_is_text_and_the_report_fits_its_width() {
    let Some(script) = tool("script") else { return };
    let bin = assert_cmd::cargo::cargo_bin!("regdoctor")
        .display()
        .to_string();
    let on_tty = |args: &str| {
        let out = std::process::Command::new(&script)
            .args([
                "-qec",
                &format!("stty rows 40 cols 70; {bin} {args} --color never"),
                "/dev/null",
            ])
            .env_remove("COLUMNS")
            .env("LANG", "C.UTF-8")
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().replace("\r\n", "\n")
    };
    let page = on_tty("explain san_ip_missing");
    assert!(
        page.starts_with("san-matches-host: the certificate"),
        "{page}"
    );
    assert!(!page.contains("**Meaning:**"), "{page}");
    let port = server::closed_port().to_string();
    let report = on_tty(&format!("{port} --no-node-defaults"));
    assert!(
        report.contains("\n  ✗ tcp_refused  the connection to"),
        "{report}"
    );
    let summary: Vec<&str> = report
        .lines()
        .skip_while(|l| !l.starts_with("Summary:"))
        .take_while(|l| !l.is_empty())
        .collect();
    assert!(summary.len() > 2, "the message is wrapped: {report}");
    assert!(summary.iter().all(|l| l.chars().count() <= 70), "{report}");
}

/// Under --no-node-defaults the report says no node file was read, and the credentials
/// check does not point at a config.json it never read; without it, it does.
#[test]
fn no_node_defaults_says_nothing_of_files_it_did_not_read() {
    let port = server::closed_port().to_string();
    let home = tempfile::tempdir().unwrap();
    let home = home.path().display().to_string();
    let out = stdout_of(
        regdoctor()
            .args([&port, "--no-node-defaults", "--color", "never"])
            .env("HOME", &home),
        1,
    );
    assert!(
        out.contains("(default: --no-node-defaults, so no node file was read)"),
        "{out}"
    );
    assert!(!out.contains("no runtime configuration found"), "{out}");
    assert!(
        out.contains(
            "skip  credentials            no credentials given (--user NAME --password-stdin)\n"
        ),
        "{out}"
    );
    assert!(!out.contains("config.json"), "{out}");
    let out = stdout_of(
        regdoctor()
            .args([&port, "--host-root", &home, "--color", "never"])
            .env("HOME", &home),
        1,
    );
    assert!(out.contains("or an entry for 127.0.0.1:"), "{out}");
    assert!(out.contains("in the Docker config.json)"), "{out}");
}

#[test]
fn explain_prints_a_page_and_a_code_section() {
    regdoctor()
        .args(["explain", "san_ip_missing"])
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with("# san-matches-host:"))
        .stdout(predicate::str::contains("doesn't contain any IP SANs"));
    regdoctor()
        .args(["checks"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("ca-chain"));
}

/// `regdoctor checks` is a two-column table in 80 columns: every check and every code
/// appears, each code whole, and the second column starts at the same place on every line.
#[test]
fn the_checks_table_fits_80_columns() {
    let text = stdout_of(regdoctor().args(["checks"]), 0);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("CHECK "), "{text}");
    let column = lines[0].find("WHAT IT CHECKS").unwrap();
    for line in &lines {
        assert!(
            line.chars().count() <= 80,
            "{} columns: {line}",
            line.chars().count()
        );
        assert!(!line.ends_with(' '), "{line:?}");
        assert!(line[..column].trim_end().len() + 2 <= column, "{line}");
        // The second column, or the codes continued under the first code.
        let cell = &line[column..];
        let indent = cell.len() - cell.trim_start().len();
        assert!(indent == 0 || indent == "codes: ".len(), "{line}");
    }
    for id in ["target", "containers-registries", "ca-chain"] {
        assert!(
            lines.iter().any(|l| l.starts_with(&format!("{id} "))),
            "{id}"
        );
    }
    for code in [
        "san_ip_missing",
        "tls_key_possession_unproven",
        "proxy_env_mismatch",
        "daemon_json_syntax",
    ] {
        let whole = |l: &&str| l.split([' ', ',']).any(|w| w == code);
        assert!(lines.iter().any(whole), "{code}");
    }
}

#[test]
fn completions_and_man_page_are_generated_from_the_clap_definition() {
    regdoctor()
        .args(["completions", "bash"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("_regdoctor()"))
        .stdout(predicate::str::contains("--daemon-json"));
    regdoctor()
        .args(["completions", "zsh"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("#compdef regdoctor"));
    regdoctor()
        .args(["man"])
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with(".ie"))
        .stdout(predicate::str::contains(".TH regdoctor 1"))
        .stdout(predicate::str::contains("\\-\\-password\\-stdin"));
}

/// The man page has EXIT STATUS and ENVIRONMENT sections, and every page it names
/// (regdoctor-explain(1) …) is generated: by `man NAME`, and all of them by `--out-dir`.
#[test]
fn the_man_pages_have_exit_status_environment_and_every_page_they_name() {
    let page = stdout_of(regdoctor().args(["man"]), 0);
    for section in [
        ".SH \"EXIT STATUS\"",
        ".SH \"ENVIRONMENT\"",
        ".SH EXAMPLES",
        ".SH \"SEE ALSO\"",
    ] {
        assert!(page.contains(section), "{section}");
    }
    for name in [
        "NO_COLOR",
        "DOCKER_CONFIG",
        "HTTPS_PROXY",
        "COLUMNS",
        "LC_ALL",
    ] {
        assert!(page.contains(&format!("\\fB{name}")), "{name}");
    }
    assert!(
        !page.contains("regdoctor\\-help(1)"),
        "clap's help subcommand has no page"
    );
    let named: std::collections::BTreeSet<String> = page
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter_map(|w| {
            w.strip_prefix("regdoctor\\-")?
                .strip_suffix("(1)")
                .map(str::to_string)
        })
        .collect();
    assert!(
        named.contains("explain") && named.contains("triage"),
        "{named:?}"
    );
    let dir = tempfile::tempdir().unwrap();
    let listed = stdout_of(regdoctor().args(["man", "--out-dir"]).arg(dir.path()), 0);
    assert_eq!(listed.lines().count(), named.len() + 1, "{listed}");
    for name in &named {
        let file = dir.path().join(format!("regdoctor-{name}.1"));
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.contains(&format!(".TH regdoctor-{name} 1")), "{text}");
        assert!(text.contains(".SH \"SEE ALSO\"\nregdoctor(1)"), "{text}");
        assert_eq!(stdout_of(regdoctor().args(["man", name]), 0), text);
    }
    assert_eq!(
        std::fs::read_to_string(dir.path().join("regdoctor.1")).unwrap(),
        page
    );
    regdoctor()
        .args(["man", "nope"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with(
            "error: man: no subcommand \"nope\"",
        ));
}

#[test]
fn markdown_report_is_ticket_ready() {
    let root = ca("Registry CA", now());
    let l = leaf(&root, &["127.0.0.1"], now());
    let s = scenario(&root.pem, std::slice::from_ref(&l.der), &l.key_der);
    let ca_path = s.ca_path.clone();
    regdoctor()
        .args([
            &s.target(),
            "--ca",
            &ca_path,
            "--format",
            "markdown",
            "--no-node-defaults",
        ])
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with("## regdoctor: `127.0.0.1:"))
        .stdout(predicate::str::contains("| check | status | findings |"))
        .stdout(predicate::str::contains("<details><summary>Evidence"));
}

/// A fix with a file's content (registries.conf's TOML) is a fenced block in Markdown, its
/// prose a paragraph; in the human report the block keeps the fix's indent, never wrapped.
#[test]
fn a_fix_with_a_file_block_is_a_code_block() {
    let dir = tempfile::tempdir().unwrap();
    let conf = write(
        &dir,
        "registries.conf",
        b"[registries.search]\nregistries = []\n",
    );
    let target = format!("http://{}", server::closed_port());
    let args = |format: &str| {
        let mut c = regdoctor();
        c.args([&target, "--no-node-defaults", "--runtime", "cri-o"])
            .args(["--registries-conf", &conf, "--format", format]);
        c
    };
    let md = stdout_of(&mut args("markdown"), 1);
    let name = target.trim_start_matches("http://");
    let block = format!(
        "**Fix:** add this to {conf}, then restart CRI-O (`systemctl restart crio`):\n\n```\n[[registry]]\nlocation = \"{name}\"\ninsecure = true\n```\n"
    );
    assert!(md.contains(&block), "{md}");
    let mut human = args("human");
    let human = stdout_of(human.env("COLUMNS", "40"), 1);
    assert!(
        human.contains(&format!("\n                [[registry]]\n                location = \"{name}\"\n                insecure = true\n")),
        "{human}"
    );
}

#[test]
fn several_targets_give_one_document_with_reports() {
    let a = server::closed_port().to_string();
    let p = server::start("127.0.0.1:0", Behaviour::PlainHttp);
    let out = regdoctor()
        .args([
            a.as_str(),
            &p.target(),
            "--format",
            "json",
            "--no-node-defaults",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema"], "regdoctor.report/v1");
    let reports = v["reports"].as_array().unwrap();
    assert_eq!(reports.len(), 2);
    assert_eq!(reports[0]["target"]["input"], a);
    assert_eq!(reports[1]["target"]["input"], p.target());
}

/// Several targets are probed at once under the one deadline: four stalled servers at
/// `--timeout 1` end together (not one after another), the reports come in the order
/// given, and a target given twice is probed once, with a note.
#[test]
fn several_targets_share_one_deadline_and_keep_their_order() {
    let stalled: Vec<server::Server> = (0..4)
        .map(|_| server::start("127.0.0.1:0", Behaviour::Stall))
        .collect();
    let closed = server::closed_port().to_string();
    let mut args: Vec<String> = stalled.iter().map(|s| s.target()).collect();
    args.push(closed.clone());
    args.push(stalled[0].target());
    let started = std::time::Instant::now();
    let out = regdoctor()
        .args(&args)
        .args(["--timeout", "1", "--format", "json", "--no-node-defaults"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let elapsed = started.elapsed();
    // One deadline for all: sequential runs would take four seconds.
    assert!(
        elapsed < std::time::Duration::from_millis(2500),
        "{elapsed:?}"
    );
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let reports = v["reports"].as_array().unwrap();
    let inputs: Vec<&str> = reports
        .iter()
        .map(|r| r["target"]["input"].as_str().unwrap())
        .collect();
    let expected: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_eq!(inputs, expected);
    assert_eq!(codes(&reports[0]), vec!["tls_handshake_timeout"]);
    assert_eq!(codes(&reports[4]), vec!["tcp_refused"]);
    assert_eq!(
        reports[5]["notes"][0],
        format!(
            "{} was given 2 times; it was probed once",
            stalled[0].target()
        )
    );
    // --quiet: one line per target.
    let quiet = regdoctor()
        .args([&stalled[0].target(), &closed])
        .args([
            "--timeout",
            "1",
            "--quiet",
            "--no-node-defaults",
            "--color",
            "never",
        ])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(quiet).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].ends_with("FAIL  tls_handshake_timeout"), "{text}");
    assert!(lines[1].ends_with("FAIL  tcp_refused"), "{text}");
}

/// `--targets-file` reads targets, one per line, with `#` comments; `-` is standard input.
#[test]
fn targets_come_from_a_file_and_from_stdin() {
    let closed = server::closed_port().to_string();
    let dir = tempfile::tempdir().unwrap();
    let list = write(
        &dir,
        "targets.txt",
        format!("# registries\n{closed}   # the test one\n\n").as_bytes(),
    );
    for (file, stdin) in [(list.as_str(), ""), ("-", format!("{closed}\n").as_str())] {
        let out = regdoctor()
            .args(["--targets-file", file, "--quiet", "--no-node-defaults"])
            .args(["--timeout", "1", "--color", "never"])
            .write_stdin(stdin.to_string())
            .assert()
            .code(1)
            .get_output()
            .stdout
            .clone();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(text.starts_with(&closed), "{text}");
    }
}

/// `regdoctor summarize` over real reports of three "nodes" (two without the CA, one with
/// it), as files and as `kubectl logs --prefix` lines; a report of another schema version is
/// skipped with a clear message, and input with no report at all is an error.
#[test]
fn summarize_real_reports_from_several_nodes() {
    let root = ca("Registry CA", now());
    let l = leaf(&root, &["127.0.0.1"], now());
    let s = scenario(&root.pem, std::slice::from_ref(&l.der), &l.key_der);
    let ca_path = s.ca_path.clone();
    let run = |node: &str, with_ca: bool| -> String {
        let mut args = vec![s.target(), "--node-name".into(), node.into()];
        if with_ca {
            args.extend(["--ca".into(), ca_path.clone()]);
        }
        let out = regdoctor()
            .args(&args)
            .args(["--format", "json-lines", "--no-node-defaults"])
            .env("HOME", s.dir())
            .assert()
            .get_output()
            .stdout
            .clone();
        String::from_utf8(out).unwrap()
    };
    let dir = tempfile::tempdir().unwrap();
    let n1 = write(&dir, "n1.json", run("n1", false).as_bytes());
    let pods = format!(
        "[pod/regdoctor-a/regdoctor] {}[pod/regdoctor-b/regdoctor] {}[pod/regdoctor-b/regdoctor] a line that is not a report\n",
        run("n2", false),
        run("n3", true)
    );
    let pods = write(&dir, "pods.log", pods.as_bytes());
    let newer = write(
        &dir,
        "newer.json",
        br#"{"schema": "regdoctor.report/v2", "target": {"input": "x"}}"#,
    );
    let out = regdoctor()
        .args(["summarize", &n1, &pods, &newer, "--format", "json"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["reports"], 3, "{v:#}");
    let reg = &v["registries"][0];
    assert_eq!(reg["registry"], s.target());
    assert_eq!(
        (reg["pass"].as_u64(), reg["fail"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(reg["causes"][0]["code"], "unknown_authority");
    assert_eq!(
        reg["causes"][0]["node_names"],
        serde_json::json!(["n1", "n2"])
    );
    assert!(
        v["skipped"][0]["why"]
            .as_str()
            .unwrap()
            .contains("regdoctor.report/v2"),
        "{v:#}"
    );
    // The human table.
    regdoctor()
        .args(["summarize", &n1, &pods])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(format!(
            "{}  1/3 nodes pass, 2 fail",
            s.target()
        )))
        .stdout(predicate::str::contains("FAIL  unknown_authority"));
    // No report at all.
    let junk = write(&dir, "junk.txt", b"hello\n");
    regdoctor()
        .args(["summarize", &junk])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no regdoctor report"));
}

/// `--password-stdin` reads one line of at most 4 KiB: /dev/zero as stdin is refused at
/// once (it used to be read until memory ran out), with exit 2 and no report.
#[test]
fn password_stdin_from_a_device_is_refused_quickly() {
    let zero = std::fs::File::open("/dev/zero").unwrap();
    let started = std::time::Instant::now();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin!("regdoctor"))
        .args([
            "127.0.0.1:1",
            "--user",
            "alice",
            "--password-stdin",
            "--no-node-defaults",
        ])
        .args(["--timeout", "2"])
        .stdin(zero)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Bounded, and stopped by its PID: a regression would read /dev/zero until memory ran out.
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(30) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("regdoctor still reading /dev/zero after 30 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("over 4096 bytes"), "{err}");
}

/// A version that is not one, and a negative timeout, are usage errors that say what to
/// give (not clap's "use -- -1" tip, which would make -1 a target).
#[test]
fn bad_versions_and_negative_timeouts_are_usage_errors() {
    regdoctor()
        .args([
            "127.0.0.1:1",
            "--no-node-defaults",
            "--docker-version",
            "banana",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("\"banana\" is not a version"));
    regdoctor()
        .args(["--timeout", "-1", "127.0.0.1:1", "--no-node-defaults"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("-1 is out of range"))
        .stderr(predicate::str::contains("-- -1").not());
    regdoctor()
        .args(["127.0.0.1:1", "--no-node-defaults", "--timeout", "1"])
        .args([
            "--docker-version",
            "20.10.24+dfsg1",
            "--go-version",
            "go1.19.8",
        ])
        .assert()
        .code(1);
}

/// Standard input over 16 MiB (`--targets-file -`, `summarize -`) is refused with exit 2,
/// not silently cut.
#[test]
fn standard_input_over_the_cap_is_refused_not_cut() {
    let big = vec![b'#'; 17 * 1024 * 1024];
    for args in [vec!["--targets-file", "-"], vec!["summarize", "-"]] {
        regdoctor()
            .args(&args)
            .write_stdin(big.clone())
            .timeout(std::time::Duration::from_secs(60))
            .assert()
            .code(2)
            .stderr(predicate::str::contains(
                "standard input is larger than 16 MiB",
            ));
    }
}
