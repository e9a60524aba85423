//! `containerd-hosts`: containerd's `certs.d/<host>/hosts.toml` for this registry (tried as
//! `host_port_`, then `host:port`, then `_default`): valid TOML with known fields (a broken
//! file is silently replaced by a fallback at pull time), `ca` files that exist and verify
//! the presented chain, `skip_verify`, `*.crt` files a hosts.toml stops from loading, and
//! whether config.toml lets the CRI plugin read the directory at all.

use super::node_common::{
    blocked, needed_issuer, pem_certs, plain_http, unread_note, unreadable_file, unreadable_root,
    unreadable_source, verify_with, working_ca_path,
};
use super::{Check, Outcome};
use crate::codes::{CheckId, Code};
use crate::facts::Facts;
use crate::facts::Runtime;
use crate::facts::node::{CertsRoot, HostDir, NOT_FOUND, NodeFile, Source, TextFile, toml_strings};
use crate::finding::Finding;
use crate::finding::evidence::FilePosition;
use crate::pki::Cert;
use crate::runtimes::containerd::{dir_names, entries, resolve};
use crate::runtimes::line::{Failure, Step};
use crate::target::Target;

/// The check.
pub struct ContainerdHosts;

const FIELDS: &[&str] = &[
    "server",
    "capabilities",
    "ca",
    "client",
    "skip_verify",
    "header",
    "override_path",
    "dial_timeout",
    "host",
];
const CAPABILITIES: &[&str] = &["pull", "resolve", "push", "referrers"];

impl Check for ContainerdHosts {
    fn id(&self) -> CheckId {
        CheckId::ContainerdHosts
    }
    fn title(&self) -> &'static str {
        "containerd's hosts.toml for this registry is valid and trusts its CA"
    }
    fn doc(&self) -> &'static str {
        include_str!("../../checks/containerd-hosts.md")
    }
    fn network(&self) -> bool {
        false
    }
    fn run(&self, facts: &super::Basis<'_>) -> Outcome {
        if let Some(why) = facts.not_judged_reason(Runtime::Containerd) {
            return Outcome::Skip(why);
        }
        let mut findings = Vec::new();
        if let Some(cfg) = facts.node.containerd_config.read() {
            config_toml(cfg, &mut findings);
        }
        findings.extend(unreadable_source(
            &facts.node.containerd_config,
            Code::ContainerdConfigUnreadable,
            "containerd's daemon",
            "containerd's TOML configuration",
        ));
        findings.extend(unreadable_root(
            &facts.node.containerd_certs_d,
            Code::HostsTomlUnreadable,
            "containerd",
        ));
        let root = match &facts.node.containerd_certs_d {
            Source::Read(r) => r,
            Source::Absent { path } if findings.is_empty() => {
                return Outcome::Skip(format!("no {path} on this node"));
            }
            Source::NotRead if findings.is_empty() => {
                return Outcome::Skip(
                    "not read: --no-node-defaults was given and no path was named".into(),
                );
            }
            _ => return Outcome::Findings(findings),
        };
        let Ok(t) = &facts.target else {
            // Offline: check every hosts.toml's syntax and fields.
            for d in &root.dirs {
                let base = format!("{}/{}", root.root, d.name);
                if let Some(f) = unreadable_hosts(facts, &base, d) {
                    findings.push(f);
                } else if let Some(f) = d.files.iter().find(|f| f.name == "hosts.toml") {
                    let _ = parse_hosts(facts, root, d, f, &mut findings);
                }
            }
            return Outcome::Findings(findings);
        };
        let candidates = dir_names(t);
        match candidates
            .iter()
            .find_map(|n| root.dirs.iter().find(|d| &d.name == n))
        {
            Some(dir) => directory(facts, root, dir, &mut findings),
            None => missing(facts, root, t, &mut findings),
        }
        Outcome::Findings(findings)
    }
}

/// The registry's directory: its hosts.toml, or without one its `*.crt` files as CAs.
fn directory(
    facts: &super::Basis<'_>,
    root: &CertsRoot,
    dir: &HostDir,
    findings: &mut Vec<Finding>,
) {
    let base = format!("{}/{}", root.root, dir.name);
    let chain = facts.presented_chain();
    let check_chain = !plain_http(facts) && !chain.is_empty();
    let crts: Vec<&NodeFile> = dir
        .files
        .iter()
        .filter(|f| f.name.ends_with(".crt"))
        .collect();
    if let Some(f) = unreadable_hosts(facts, &base, dir) {
        findings.push(f);
        return;
    }
    let hosts = dir
        .files
        .iter()
        .find(|f| f.name == "hosts.toml" && !f.bytes.iter().all(u8::is_ascii_whitespace));
    let Some(hosts) = hosts else {
        // Docker-style fallback: every *.crt is a CA.
        if check_chain {
            let cas: Vec<Cert> = crts.iter().flat_map(|f| pem_certs(f)).collect();
            mismatch(
                facts,
                &chain,
                &cas,
                &format!("{base}/*.crt"),
                &base,
                findings,
            );
        }
        return;
    };
    let Some(table) = parse_hosts(facts, root, dir, hosts, findings) else {
        return;
    };
    let hosts = host_entries(facts, root, dir, &table, findings);
    let ignored: Vec<String> = crts
        .iter()
        .map(|f| format!("{base}/{}", f.name))
        .filter(|p| !hosts.referenced.iter().any(|r| r == p))
        .collect();
    if !ignored.is_empty() {
        findings.push(
            Finding::new(
                Code::HostsTomlCrtIgnored,
                format!(
                    "{} {} not loaded: with a hosts.toml in {base}/, containerd only uses the files its ca entries name",
                    ignored.join(", "),
                    if ignored.len() == 1 { "is" } else { "are" }
                ),
            )
            .hint(format!("reference it in hosts.toml: ca = \"{}\"", ignored[0].rsplit('/').next().unwrap_or("ca.crt"))),
        );
    }
    if check_chain && !hosts.skip_verify {
        let from = format!("{base}/hosts.toml");
        mismatch(facts, &chain, &hosts.cas, &from, &base, findings);
    }
}

/// The directory's hosts.toml, when regdoctor did not read it (a pipe, a device, too
/// large): containerd's os.ReadFile would block, exhaust memory, or read what regdoctor
/// cannot judge.
fn unreadable_hosts(facts: &Facts, base: &str, dir: &HostDir) -> Option<Finding> {
    let f = dir.files.iter().find(|f| f.name == "hosts.toml")?;
    let why = f.error.as_deref()?;
    let path = format!("{base}/hosts.toml");
    let finding = unreadable_file(
        Code::HostsTomlUnreadable,
        "containerd",
        &path,
        "the registry's hosts configuration (a few lines of TOML)",
        why,
    );
    Some(blocked(facts, Runtime::Containerd, finding, &path, why))
}

/// What a valid hosts.toml's host entries configure.
struct HostEntries {
    /// The CAs that load.
    cas: Vec<Cert>,
    /// Every CA path named, as shown.
    referenced: Vec<String>,
    /// Some entry has `skip_verify = true`.
    skip_verify: bool,
}

/// `skip_verify` and the `ca` files of each host entry.
fn host_entries(
    facts: &Facts,
    root: &CertsRoot,
    dir: &HostDir,
    table: &toml::Table,
    findings: &mut Vec<Finding>,
) -> HostEntries {
    let base = format!("{}/{}", root.root, dir.name);
    let mut out = HostEntries {
        cas: Vec::new(),
        referenced: Vec::new(),
        skip_verify: false,
    };
    for (label, _, t) in entries(table) {
        if t.get("skip_verify").and_then(|v| v.as_bool()) == Some(true) {
            out.skip_verify = true;
            findings.push(
                Finding::new(
                    Code::HostsTomlSkipVerify,
                    format!("{base}/hosts.toml sets skip_verify = true for {label}: containerd checks neither the chain nor the host name"),
                )
                .hint("remove skip_verify and set ca = \"ca.crt\" with the registry's CA instead"),
            );
        }
        for p in toml_strings(t.get("ca")) {
            let (shown, file) = resolve(root, dir, &p);
            out.referenced.push(shown.clone());
            match file {
                Some(NodeFile {
                    error: Some(why), ..
                }) if why != NOT_FOUND => {
                    let f = unreadable_file(
                        Code::HostsTomlCaUnreadable,
                        "containerd",
                        &shown,
                        "the registry's CA in PEM",
                        why,
                    );
                    findings.push(blocked(facts, Runtime::Containerd, f, &shown, why));
                }
                None | Some(NodeFile { error: Some(_), .. }) => findings.push(
                    Finding::new(
                        Code::HostsTomlCaUnreadable,
                        format!("{base}/hosts.toml names the CA file {shown} for {label}, which does not exist"),
                    )
                    .fails_for(Runtime::Containerd, Failure::at(Step::Config, format!("unable to read CA cert \"{shown}\": open {shown}: no such file or directory")), facts.target.as_ref().ok())
                    .hint(format!("copy the registry's CA to {shown}, or correct the ca path (relative paths are relative to {base})")),
                ),
                Some(f) if pem_certs(f).is_empty() => findings.push(
                    Finding::new(
                        Code::HostsTomlCaUnreadable,
                        format!("the CA file {shown} named in {base}/hosts.toml holds no PEM certificate"),
                    )
                    .fails_for(Runtime::Containerd, Failure::at(Step::Config, format!("unable to load CA cert \"{shown}\"")), facts.target.as_ref().ok())
                    .hint(format!("convert it to PEM: `openssl x509 -inform der -in {shown} -out {shown}`")),
                ),
                Some(f) => out.cas.extend(pem_certs(f)),
            }
        }
    }
    out
}

/// Parses and validates a hosts.toml as containerd does; None when containerd would
/// discard it.
fn parse_hosts(
    facts: &Facts,
    root: &CertsRoot,
    dir: &HostDir,
    f: &NodeFile,
    findings: &mut Vec<Finding>,
) -> Option<std::sync::Arc<toml::Table>> {
    let path = format!("{}/{}/hosts.toml", root.root, dir.name);
    let text = String::from_utf8_lossy(&f.bytes).into_owned();
    let table = match crate::formats::toml::table(&text) {
        Ok(t) => t,
        Err(e) => {
            findings.push(syntax_error(&path, dir, &text, &e));
            return None;
        }
    };
    if let Some(f) = hostless_before_1_7(facts, &path, &table) {
        findings.push(f);
        return None;
    }
    if let Some(why) = fields(&path, &table, findings) {
        findings.push(
            Finding::new(
                Code::HostsTomlInvalid,
                format!("{path} has a field error ({why}); {FALLBACK}"),
            )
            .hint("correct the field: capabilities is a list of \"pull\", \"resolve\", \"push\"; ca a path or a list of paths; skip_verify true or false"),
        );
        return None;
    }
    Some(table)
}

/// What containerd does with a hosts.toml it cannot use.
const FALLBACK: &str = "containerd logs \"failed to decode hosts.toml\" and silently uses its defaults (HTTPS, the system roots), so the configuration has no effect";

/// A hosts.toml that is not TOML, with the line.
fn syntax_error(path: &str, dir: &HostDir, text: &str, e: &toml::de::Error) -> Finding {
    let (line, col) = e.span().map(|s| line_col(text, s.start)).unwrap_or((1, 1));
    let quoted = text.lines().nth(line - 1).unwrap_or("").trim_end();
    let quoted = crate::text::clip(quoted);
    Finding::new(
        Code::HostsTomlSyntax,
        format!("{path} is not valid TOML at line {line}, column {col} (`{quoted}`): {}; {FALLBACK}", crate::text::clip(e.message())),
    )
    .hint(format!("fix line {line} of {path}; strings need double quotes and tables look like [host.\"https://{}\"]", dir.name))
    .evidence(FilePosition {
        file: path.to_string(),
        line,
        column: col,
        key: None,
        text: quoted.into_owned(),
        others: Vec::new(),
        others_total: None,
    })
}

/// containerd before 1.7 refuses a hosts.toml without a `[host."…"]` table.
fn hostless_before_1_7(facts: &Facts, path: &str, table: &toml::Table) -> Option<Finding> {
    let before_1_7 = facts
        .node
        .installs
        .containerd
        .version
        .as_deref()
        .and_then(crate::runtimes::parse_version)
        .is_some_and(|v| v < (1, 7));
    if !before_1_7 || table.contains_key("host") {
        return None;
    }
    Some(
        Finding::new(
            Code::HostsTomlInvalid,
            format!("{path} has no [host.\"…\"] table: containerd before 1.7 refuses such a file (it logs \"invalid `host` tree\", containerd#10027) and silently uses its defaults (HTTPS, the system roots), so server, ca and skip_verify at the top level have no effect"),
        )
        .hint(format!(
            "repeat the settings in a table: [host.\"{}\"] with capabilities = [\"pull\", \"resolve\"] and the same ca / skip_verify; edit {path}",
            table.get("server").and_then(|s| s.as_str()).unwrap_or("https://HOST:PORT")
        )),
    )
}

/// Unknown keys (ignored by containerd, each a finding); the first field error that makes
/// containerd discard the file.
fn fields(path: &str, table: &toml::Table, findings: &mut Vec<Finding>) -> Option<String> {
    let mut invalid = None;
    let mut unknown = 0;
    let mut more: Vec<String> = Vec::new();
    for (label, _, t) in entries(table) {
        for key in t.keys() {
            if !FIELDS.contains(&key.as_str()) || (key == "host" && !label.starts_with("server")) {
                // The first few one by one; the others named once, in one finding.
                unknown += 1;
                if unknown <= UNKNOWN_SHOWN {
                    findings.push(unknown_key(path, &label, key));
                } else if more.len() < crate::text::EVIDENCE_ITEMS {
                    more.push(format!(
                        "\"{}\" in {}",
                        crate::text::clip(key),
                        crate::text::clip(&label)
                    ));
                }
            }
        }
        if let Some(caps) = t.get("capabilities").and_then(|c| c.as_array()) {
            for c in caps {
                let s = c.as_str().unwrap_or("").to_ascii_lowercase();
                if !CAPABILITIES.contains(&s.as_str()) {
                    invalid.get_or_insert_with(|| {
                        format!("unknown capability {}", crate::text::clip(&c.to_string()))
                    });
                }
            }
        }
        if let Some(ca) = t.get("ca")
            && !(ca.is_str() || ca.as_array().is_some_and(|a| a.iter().all(|x| x.is_str())))
        {
            invalid.get_or_insert_with(|| {
                format!(
                    "invalid type {} for \"ca\"",
                    crate::text::clip(&ca.to_string())
                )
            });
        }
        if let Some(sv) = t.get("skip_verify")
            && !sv.is_bool()
        {
            invalid.get_or_insert_with(|| {
                format!(
                    "skip_verify must be true or false, not {}",
                    crate::text::clip(&sv.to_string())
                )
            });
        }
    }
    if unknown > UNKNOWN_SHOWN {
        let rest = unknown - UNKNOWN_SHOWN;
        let list = crate::text::clip_list_of(&more, rest, ", ");
        findings.push(
            Finding::new(
                Code::HostsTomlUnknownKey,
                format!("{path}: and {rest} more keys that are not hosts.toml fields: {list}; containerd ignores them silently"),
            )
            .hint("use the hosts.toml fields: server, capabilities, ca, client, skip_verify, header, override_path, dial_timeout"),
        );
    }
    invalid
}

/// Unknown hosts.toml keys reported one by one; the others are named in one more finding.
const UNKNOWN_SHOWN: usize = 10;

/// A key that is not a hosts.toml field, with the field meant.
fn unknown_key(path: &str, label: &str, key: &str) -> Finding {
    let hint = match key {
        "insecure_skip_verify" | "insecure" => {
            "skip_verify = true (if you really want verification off)"
        }
        "ca_file" | "ca_cert" | "tls_ca" => "ca = \"ca.crt\"",
        "cert_file" | "key_file" => "client = [[\"client.cert\", \"client.key\"]]",
        _ => {
            "one of server, capabilities, ca, client, skip_verify, header, override_path, dial_timeout"
        }
    };
    Finding::new(
        Code::HostsTomlUnknownKey,
        format!(
            "{path}: \"{}\" in {} is not a hosts.toml field; containerd ignores it silently, so that setting has no effect",
            crate::text::clip(key),
            crate::text::clip(label)
        ),
    )
    .hint(format!("use {hint}"))
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, col)
}

fn missing(facts: &super::Basis<'_>, root: &CertsRoot, t: &Target, findings: &mut Vec<Finding>) {
    let chain = facts.presented_chain();
    if plain_http(facts) || chain.is_empty() || verify_with(facts, &chain, &[]).is_none() {
        return;
    }
    let name = t.registry_name();
    let dir = format!("{}/{name}", root.root);
    let host = t.host_for_url();
    // A directory that is almost the registry's: the host without the port, another case.
    let near = root.dirs.iter().map(|d| d.name.as_str()).find(|d| {
        *d == host || d.split(':').next() == Some(host.as_str()) || d.eq_ignore_ascii_case(&name)
    });
    if let Some(near) = near {
        findings.push(
            Finding::new(
                Code::HostsTomlDirMisnamed,
                format!(
                    "containerd has no directory for {name} under {}: there is {}/{near}/, but containerd only tries {}",
                    root.root,
                    root.root,
                    dir_names(t).join(", ")
                ),
            )
            .client_error(format!("failed to do request: Head \"https://{name}/v2/IMAGE/manifests/TAG\": tls: failed to verify certificate: x509: certificate signed by unknown authority"))
            .hint(format!("`mv '{}/{near}' '{dir}'` on every node (no restart needed)", root.root)),
        );
        return;
    }
    let ca = working_ca_path(facts, &chain).unwrap_or_else(|| "ca.crt".into());
    findings.push(
        Finding::new(
            Code::HostsTomlMissing,
            format!(
                "containerd has no directory for {name} under {} (it tries {}), and the server's chain (issued by \"{}\") does not verify with the system roots{}",
                root.root,
                dir_names(t).join(", "),
                needed_issuer(&chain),
                unread_note(root)
            ),
        )
        .client_error(format!("failed to do request: Head \"https://{name}/v2/IMAGE/manifests/TAG\": tls: failed to verify certificate: x509: certificate signed by unknown authority"))
        .hint(format!(
            "`mkdir -p '{dir}' && cp -n {ca} '{dir}/ca.crt' && {{ [ -e '{dir}/hosts.toml' ] || printf 'server = \"https://{name}\"\\n\\n[host.\"https://{name}\"]\\n  capabilities = [\"pull\", \"resolve\"]\\n  ca = \"ca.crt\"\\n' > '{dir}/hosts.toml'; }}` on every node (an existing hosts.toml is kept: add ca = \"ca.crt\" to its [host] table)"
        )),
    );
}

fn mismatch(
    facts: &super::Basis<'_>,
    chain: &[Cert],
    cas: &[Cert],
    from: &str,
    base: &str,
    findings: &mut Vec<Finding>,
) {
    let Some(err) = verify_with(facts, chain, cas) else {
        return;
    };
    let have = if cas.is_empty() {
        "no CA".to_string()
    } else {
        cas.iter()
            .map(|c| format!("\"{}\"", c.subject))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let ca = working_ca_path(facts, chain)
        .unwrap_or_else(|| "the CA that issued the server's certificate".into());
    findings.push(
        Finding::new(
            Code::HostsTomlCaMismatch,
            format!(
                "the CAs configured for containerd in {from} ({have}) do not verify the server's chain, which needs \"{}\"",
                needed_issuer(chain)
            ),
        )
        .client_error(format!("failed to do request: Head \"https://{}/v2/IMAGE/manifests/TAG\": {}", base.rsplit('/').next().unwrap_or(""), err.tls_text()))
        .hint(format!("`cp {ca} '{base}/ca.crt'` and reference it with ca = \"ca.crt\" in hosts.toml")),
    );
}

/// config.toml: is `config_path` set for the CRI registry, and are the deprecated
/// `registry.mirrors` / `registry.configs` sections used?
fn config_toml(cfg: &TextFile, findings: &mut Vec<Finding>) {
    let Ok(table) = crate::formats::toml::table(&cfg.text) else {
        return;
    };
    let plugins = table.get("plugins").and_then(|p| p.as_table());
    let registry = ["io.containerd.cri.v1.images", "io.containerd.grpc.v1.cri"]
        .iter()
        .find_map(|name| {
            plugins
                .and_then(|p| p.get(*name))
                .and_then(|p| p.get("registry"))
                .and_then(|r| r.as_table())
                .map(|r| (*name, r))
        });
    let config_path = registry
        .and_then(|(_, r)| r.get("config_path"))
        .and_then(|c| c.as_str())
        .unwrap_or("");
    if config_path.is_empty() {
        let section = registry
            .map(|(n, _)| n)
            .unwrap_or("io.containerd.grpc.v1.cri");
        findings.push(
            Finding::new(
                Code::ContainerdConfigPathUnset,
                format!("{} does not set config_path for the CRI registry: containerd 1.x to 2.1 then ignores /etc/containerd/certs.d for kubelet pulls (2.2 and later default to /etc/containerd/certs.d:/etc/docker/certs.d)", cfg.path),
            )
            .hint(format!("add config_path = \"/etc/containerd/certs.d\" under [plugins.\"{section}\".registry] in {}, then `systemctl restart containerd`", cfg.path)),
        );
    }
    if let Some((name, r)) = registry {
        for key in ["mirrors", "configs", "auths"] {
            if r.contains_key(key) {
                findings.push(
                    Finding::new(
                        Code::ContainerdRegistryDeprecated,
                        format!("{} uses the deprecated [plugins.\"{name}\".registry.{key}] section", cfg.path),
                    )
                    .hint("move the settings to hosts.toml files under config_path (configs.tls is ignored by containerd 2.x, so its TLS settings are silently lost)"),
                );
            }
        }
    }
}

#[cfg(test)]
pub(crate) fn examples() -> Vec<(Facts, Vec<Code>)> {
    use crate::checks::examples::pki::*;
    use crate::checks::examples::*;
    use crate::facts::node::{Source, TextFile};
    let root = ca("Registry CA", NOW);
    let other = ca("Other CA", NOW);
    let l = leaf(&root, &["10.0.0.5"], NOW);
    let ca_pem = root.pem.clone().into_bytes();
    let toml = |s: &str| s.as_bytes().to_vec();
    let good = "server = \"https://10.0.0.5:5000\"\n[host.\"https://10.0.0.5:5000\"]\n  capabilities = [\"pull\", \"resolve\"]\n  ca = \"ca.crt\"\n";
    let f = |dirs: Dirs<'_>| {
        let mut f = with_chain(facts_for("10.0.0.5:5000"), vec![l.der.clone()]);
        f.node.containerd_certs_d = certs_root("/etc/containerd/certs.d", dirs);
        f
    };
    let with_config = |text: &str| {
        let mut f = f(vec![(
            "10.0.0.5:5000",
            vec![("hosts.toml", toml(good)), ("ca.crt", ca_pem.clone())],
        )]);
        f.node.containerd_config = Source::Read(TextFile {
            path: "/etc/containerd/config.toml".into(),
            text: text.into(),
        });
        f
    };
    let d = "10.0.0.5:5000";
    let mut fifo = f(vec![(
        d,
        vec![("hosts.toml", toml(good)), ("ca.crt", ca_pem.clone())],
    )]);
    unreadable(
        &mut fifo.node.containerd_certs_d,
        "hosts.toml",
        "it is not a regular file (a device, pipe or socket)",
    );
    let mut big_ca = f(vec![(
        d,
        vec![("hosts.toml", toml(good)), ("ca.crt", ca_pem.clone())],
    )]);
    unreadable(
        &mut big_ca.node.containerd_certs_d,
        "ca.crt",
        "it is larger than 1 MiB",
    );
    let mut config_fifo = f(vec![]);
    config_fifo.node.containerd_config = Source::Unreadable {
        path: "/etc/containerd/config.toml".into(),
        why: "it is not a regular file (a device, pipe or socket)".into(),
    };
    let mut root_unreadable = f(vec![]);
    root_unreadable.node.containerd_certs_d = Source::Unreadable {
        path: "/etc/containerd/certs.d".into(),
        why: "Permission denied (os error 13)".into(),
    };
    vec![
        (fifo, vec![Code::HostsTomlUnreadable]),
        (
            config_fifo,
            vec![Code::ContainerdConfigUnreadable, Code::HostsTomlMissing],
        ),
        (root_unreadable, vec![Code::HostsTomlUnreadable]),
        (
            big_ca,
            vec![Code::HostsTomlCaUnreadable, Code::HostsTomlCaMismatch],
        ),
        (
            f(vec![(
                d,
                vec![("hosts.toml", toml(good)), ("ca.crt", ca_pem.clone())],
            )]),
            vec![],
        ),
        (
            f(vec![("10.0.0.5_5000_", vec![("ca.crt", ca_pem.clone())])]),
            vec![],
        ),
        (f(vec![]), vec![Code::HostsTomlMissing]),
        (
            f(vec![("10.0.0.5", vec![("ca.crt", ca_pem.clone())])]),
            vec![Code::HostsTomlDirMisnamed],
        ),
        (
            f(vec![(
                d,
                vec![
                    ("hosts.toml", toml("server = https://10.0.0.5:5000\n")),
                    ("ca.crt", ca_pem.clone()),
                ],
            )]),
            vec![Code::HostsTomlSyntax],
        ),
        (
            f(vec![(
                d,
                vec![
                    (
                        "hosts.toml",
                        toml(
                            "[host.\"https://10.0.0.5:5000\"]\n  capabilities = [\"pul\"]\n  ca = \"ca.crt\"\n",
                        ),
                    ),
                    ("ca.crt", ca_pem.clone()),
                ],
            )]),
            vec![Code::HostsTomlInvalid],
        ),
        (
            f(vec![(
                d,
                vec![
                    (
                        "hosts.toml",
                        toml(
                            "[host.\"https://10.0.0.5:5000\"]\n  ca = \"ca.crt\"\n  insecure_skip_verify = true\n",
                        ),
                    ),
                    ("ca.crt", ca_pem.clone()),
                ],
            )]),
            vec![Code::HostsTomlUnknownKey],
        ),
        (
            f(vec![(
                d,
                vec![(
                    "hosts.toml",
                    toml(
                        "[host.\"https://10.0.0.5:5000\"]\n  ca = \"/etc/containerd/certs.d/10.0.0.5:5000/missing.crt\"\n",
                    ),
                )],
            )]),
            vec![Code::HostsTomlCaUnreadable, Code::HostsTomlCaMismatch],
        ),
        (
            f(vec![(
                d,
                vec![(
                    "hosts.toml",
                    toml("[host.\"https://10.0.0.5:5000\"]\n  skip_verify = true\n"),
                )],
            )]),
            vec![Code::HostsTomlSkipVerify],
        ),
        (
            f(vec![(
                d,
                vec![
                    ("ca.crt", ca_pem.clone()),
                    ("hosts.toml", toml("server = \"https://10.0.0.5:5000\"\n")),
                ],
            )]),
            vec![Code::HostsTomlCrtIgnored, Code::HostsTomlCaMismatch],
        ),
        (
            f(vec![(
                d,
                vec![
                    ("hosts.toml", toml(good)),
                    ("ca.crt", other.pem.clone().into_bytes()),
                ],
            )]),
            vec![Code::HostsTomlCaMismatch],
        ),
        (
            with_config(
                "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".registry]\n  config_path = \"\"\n",
            ),
            vec![Code::ContainerdConfigPathUnset],
        ),
        (
            with_config(
                "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".registry]\n  config_path = \"/etc/containerd/certs.d\"\n[plugins.\"io.containerd.grpc.v1.cri\".registry.configs.\"10.0.0.5:5000\".tls]\n  insecure_skip_verify = true\n",
            ),
            vec![Code::ContainerdRegistryDeprecated],
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::examples::*;

    #[test]
    fn the_missing_hosts_toml_fix_never_overwrites_a_file() {
        let mut seen = 0;
        for (facts, _) in examples() {
            for f in findings_of(&ContainerdHosts, &facts) {
                let Some(hint) = f
                    .hint
                    .as_deref()
                    .filter(|_| f.code == Code::HostsTomlMissing)
                else {
                    continue;
                };
                seen += 1;
                assert!(hint.contains("cp -n "), "{hint}");
                assert!(
                    hint.contains("[ -e '") && hint.contains("/hosts.toml' ] || printf"),
                    "{hint}"
                );
            }
        }
        assert!(seen > 0, "an example has hosts_toml_missing");
    }

    #[test]
    fn directory_names_in_containerds_order() {
        let t = crate::target::parse("10.0.0.5:5000").unwrap();
        assert_eq!(
            dir_names(&t),
            ["10.0.0.5_5000_", "10.0.0.5:5000", "_default"]
        );
        let t = crate::target::parse("reg.example.com").unwrap();
        assert_eq!(dir_names(&t), ["reg.example.com", "_default"]);
    }

    #[test]
    fn syntax_errors_have_line_and_column() {
        let (f, _) = examples()
            .into_iter()
            .find(|(_, codes)| codes == &[Code::HostsTomlSyntax])
            .unwrap();
        let out = findings_of(&ContainerdHosts, &f);
        assert!(
            out[0].message.contains("at line 1, column 10"),
            "{}",
            out[0].message
        );
        assert!(out[0].message.contains("silently uses its defaults"));
    }
}
