//! Docker Engine's effective client for a registry (moby `registry/`):
//!
//! - **insecure**: the registry's name is an `insecure-registries` entry (daemon.json or
//!   `--insecure-registry` on dockerd's command line), or one of its addresses is in an
//!   entry's CIDR or in the built-in `127.0.0.0/8` (and `::1/128` from v28). Then dockerd
//!   tries HTTPS *without verification*, then plain HTTP, and does not read certs.d at all.
//! - otherwise **trust** = the system roots + every `*.crt` (PEM) in
//!   `certs.d/<host[:port]>/`, named as the registry part of the image reference; the
//!   first `*.cert` + `*.key` pair is the client certificate.
//! - dockerd's own command line (the systemd unit's `ExecStart=` after drop-ins): a setting
//!   given both as a flag and in daemon.json stops dockerd ([`flag_conflicts`]).

pub mod insecure;

use super::proxy::ProxyEnv;
use super::{Client, Presence, Transport, Verification, docker_style_dir, what_if};
use crate::facts::{Facts, Runtime};
use crate::jsonpos::{Kind, Member};
use crate::target::Target;

/// Whether Docker is on this node.
pub fn presence(facts: &Facts) -> Presence {
    let install = &facts.node.installs.docker;
    if install.evidence.is_empty() {
        Presence::Absent(super::not_found(
            facts,
            "Docker Engine was not found (no daemon.json, dockerd or docker.sock)",
        ))
    } else {
        Presence::Found(install.evidence.join(", "))
    }
}

/// The parsed daemon.json members (None when the file is absent or not an object).
pub fn daemon_json_members(facts: &Facts) -> Option<(String, Vec<Member>)> {
    let file = facts.node.daemon_json.read()?;
    match crate::jsonpos::parse(&file.text).value.map(|v| v.kind) {
        Some(Kind::Object(members)) => Some((file.path.clone(), members)),
        _ => None,
    }
}

/// The values of a dockerd flag on its command line (`--flag v`, `--flag=v`, `-f v`).
pub fn flag_values(argv: &[String], long: &str, short: Option<&str>) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 1;
    while i < argv.len() {
        let a = &argv[i];
        let eq = format!("--{long}=");
        if a == &format!("--{long}") || short.is_some_and(|s| a == &format!("-{s}")) {
            if let Some(v) = argv.get(i + 1) {
                out.push(v.clone());
            }
            i += 2;
            continue;
        }
        if let Some(v) = a.strip_prefix(&eq) {
            out.push(v.to_string());
        } else if let Some(s) = short
            && let Some(v) = a.strip_prefix(&format!("-{s}"))
            && !v.is_empty()
            && !a.starts_with("--")
        {
            out.push(v.trim_start_matches('=').to_string());
        }
        i += 1;
    }
    out
}

/// Why Docker treats the target as insecure (the entry and where it is written), if it does.
pub fn insecure_origin(facts: &Facts, t: &Target) -> Option<String> {
    let addrs = facts.resolved_addresses();
    if let Some((path, members)) = daemon_json_members(facts) {
        for (raw, pos) in insecure::strings_of(&members, "insecure-registries") {
            let entry = match insecure::parse_entry(&raw) {
                insecure::Verdict::Ok(e) | insecure::Verdict::SchemeStripped(e, _) => e,
                insecure::Verdict::Invalid(_) => continue,
            };
            if insecure::covers(&entry, t, &addrs) {
                return Some(format!(
                    "{path}:{}: insecure-registries \"{raw}\"",
                    pos.line
                ));
            }
        }
    }
    if let Some(svc) = &facts.node.docker_service {
        let svc = svc.service();
        if let Some(exec) = &svc.exec_start {
            for raw in flag_values(&exec.argv, "insecure-registry", None) {
                if let insecure::Verdict::Ok(e) | insecure::Verdict::SchemeStripped(e, _) =
                    insecure::parse_entry(&raw)
                    && insecure::covers(&e, t, &addrs)
                {
                    return Some(format!("{}: --insecure-registry {raw}", exec.origin));
                }
            }
        }
    }
    let v28 = facts
        .node
        .docker_version
        .as_deref()
        .and_then(super::parse_version)
        .is_none_or(|v| v >= (28, 0));
    insecure::builtin()
        .into_iter()
        .filter(|e| v28 || !matches!(e, insecure::Entry::Cidr(std::net::IpAddr::V6(_), _)))
        .find(|e| insecure::covers(e, t, &addrs))
        .map(|e| match e {
            insecure::Entry::Cidr(net, bits) => {
                format!("Docker's built-in insecure range {net}/{bits}")
            }
            insecure::Entry::Host(h) => format!("Docker's built-in insecure registry {h}"),
        })
}

/// Docker's effective client for the target: its files, then its proxy environment.
pub fn client(facts: &Facts, why: String) -> Client {
    let c = files_client(facts, why);
    match &facts.target {
        Ok(t) => {
            let env = proxy_env(facts, c.go_version.as_deref());
            c.with_proxy(env, t)
        }
        Err(_) => c,
    }
}

/// The settings of daemon.json `"proxies"` and of dockerd's flags, with the variables they
/// set.
const PROXY_SETTINGS: &[(&str, [&str; 2])] = &[
    ("http-proxy", ["HTTP_PROXY", "http_proxy"]),
    ("https-proxy", ["HTTPS_PROXY", "https_proxy"]),
    ("no-proxy", ["NO_PROXY", "no_proxy"]),
];

/// dockerd's proxy environment: its systemd unit's, then (Docker ≥ 23, or an unknown
/// version) daemon.json `"proxies"` and the `--http-proxy`, `--https-proxy` and
/// `--no-proxy` flags, each non-empty value setting both spellings of its variable (moby
/// `configureProxyEnv`; dockerd < 23 refuses to start with `"proxies"`, see daemon-json).
pub fn proxy_env(facts: &Facts, go_version: Option<&str>) -> ProxyEnv {
    let rules = crate::formats::httpproxy::GoRules::for_go(go_version);
    let files = facts.node.docker_service.as_ref();
    let mut env = ProxyEnv::of_service(files, "docker.service", rules);
    let v23 = facts
        .node
        .docker_version
        .as_deref()
        .and_then(super::parse_version)
        .is_none_or(|v| v >= (23, 0));
    if !v23 {
        return env;
    }
    if let Some((path, members)) = daemon_json_members(facts)
        && let Some(Kind::Object(proxies)) = members
            .iter()
            .rev()
            .find(|m| m.key == "proxies")
            .map(|m| &m.value.kind)
    {
        for (key, names) in PROXY_SETTINGS {
            if let Some(m) = proxies.iter().rev().find(|m| m.key == *key)
                && let Kind::String(v) = &m.value.kind
                && !v.is_empty()
            {
                let origin = format!("{path}:{}: \"proxies\": {{\"{key}\"}}", m.key_pos.line);
                for n in names {
                    env.set(n, v, &origin);
                }
            }
        }
        env.source = format!("docker.service and {path}");
    }
    if let Some(exec) = files.and_then(|f| f.service().exec_start) {
        for (key, names) in PROXY_SETTINGS {
            if let Some(v) = flag_values(&exec.argv, key, None)
                .last()
                .filter(|v| !v.is_empty())
            {
                let origin = format!("{}: --{key}", exec.origin);
                for n in names {
                    env.set(n, v, &origin);
                }
            }
        }
    }
    env
}

/// Docker's client from its files: insecure, certs.d, client certificate.
fn files_client(facts: &Facts, why: String) -> Client {
    let mut c = Client::default_for(Runtime::Docker, why);
    c.version = facts.node.docker_version.clone();
    c.go_version = facts
        .go_version
        .clone()
        .or_else(|| facts.node.installs.docker.go_version.clone());
    let Ok(t) = &facts.target else {
        return c;
    };
    if let Some(origin) = insecure_origin(facts, t) {
        c.sources.push(format!(
            "{origin}: HTTPS without verification, then plain HTTP; certs.d is not read"
        ));
        c.verification = Verification::Off {
            origin: origin.clone(),
        };
        c.transport = Transport::HttpsThenHttp { origin };
        return c;
    }
    let name = t.registry_name();
    if let Some(root) = facts.node.docker_certs_d.read() {
        let base = format!("{}/{name}", root.root);
        match root.dirs.iter().find(|d| d.name == name) {
            Some(dir) => {
                let (cas, pair) = docker_style_dir(&base, dir);
                c.sources.push(format!(
                    "{base}/: {} CA file(s) added to the system roots{}",
                    cas.len(),
                    match &pair {
                        Some(p) => format!(", client certificate {}", p.cert),
                        None => String::new(),
                    }
                ));
                c.verification = Verification::On { cas };
                c.client_pair = pair;
            }
            None => c.sources.push(format!(
                "{base}/ does not exist: the system roots alone are trusted"
            )),
        }
    }
    what_if(facts, c)
}

/// A daemon.json key dockerd also takes as a flag: (long flag, short flag, key in the file).
const FLAG_KEYS: &[(&str, Option<&str>, &str)] = &[
    ("host", Some("H"), "hosts"),
    ("data-root", None, "data-root"),
    ("exec-root", None, "exec-root"),
    ("debug", Some("D"), "debug"),
    ("log-level", Some("l"), "log-level"),
    ("storage-driver", Some("s"), "storage-driver"),
    ("storage-opt", None, "storage-opts"),
    ("insecure-registry", None, "insecure-registries"),
    ("registry-mirror", None, "registry-mirrors"),
    ("containerd", None, "containerd"),
    ("containerd-namespace", None, "containerd-namespace"),
    ("pidfile", Some("p"), "pidfile"),
    ("group", Some("G"), "group"),
    ("bridge", Some("b"), "bridge"),
    ("bip", None, "bip"),
    ("iptables", None, "iptables"),
    ("ip6tables", None, "ip6tables"),
    ("ipv6", None, "ipv6"),
    ("tls", None, "tls"),
    ("tlsverify", None, "tlsverify"),
    ("tlscacert", None, "tlscacert"),
    ("tlscert", None, "tlscert"),
    ("tlskey", None, "tlskey"),
    ("dns", None, "dns"),
    ("label", None, "labels"),
    ("live-restore", None, "live-restore"),
    ("userland-proxy", None, "userland-proxy"),
    ("default-runtime", None, "default-runtime"),
    ("cgroup-parent", None, "cgroup-parent"),
    ("exec-opt", None, "exec-opts"),
    ("log-driver", None, "log-driver"),
    ("mtu", None, "mtu"),
    ("max-concurrent-downloads", None, "max-concurrent-downloads"),
    ("experimental", None, "experimental"),
];

/// Keys whose flag is a list: dockerd prints them as `[a b]`.
const LIST_KEYS: &[&str] = &[
    "hosts",
    "storage-opts",
    "insecure-registries",
    "registry-mirrors",
    "dns",
    "labels",
    "exec-opts",
];

/// A setting given both on dockerd's command line and in daemon.json.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The daemon.json key.
    pub key: String,
    /// The flag's value as dockerd prints it.
    pub from_flag: String,
    /// The file's value as dockerd prints it.
    pub from_file: String,
    /// The daemon.json line of the key.
    pub line: usize,
}

/// Every setting given both as a flag and in the file, in dockerd's order (by flag name),
/// and the line dockerd prints for them.
pub fn flag_conflicts(argv: &[String], members: &[Member]) -> Vec<Conflict> {
    let mut flags: Vec<&(&str, Option<&str>, &str)> = FLAG_KEYS.iter().collect();
    flags.sort_by_key(|(long, _, _)| *long);
    let mut out = Vec::new();
    for (long, short, key) in flags {
        let values = flag_values(argv, long, *short);
        let bool_flag = matches!(
            *key,
            "debug"
                | "iptables"
                | "ip6tables"
                | "ipv6"
                | "tls"
                | "tlsverify"
                | "live-restore"
                | "userland-proxy"
                | "experimental"
        );
        let bare = argv
            .iter()
            .skip(1)
            .any(|a| a == &format!("--{long}") || short.is_some_and(|s| a == &format!("-{s}")));
        let set = !values.is_empty() || (bool_flag && bare);
        if !set {
            continue;
        }
        let Some(m) = members.iter().rev().find(|m| m.key == *key) else {
            continue;
        };
        let from_flag = if LIST_KEYS.contains(key) {
            format!("[{}]", values.join(" "))
        } else if bool_flag && values.is_empty() {
            "true".to_string()
        } else {
            values.last().cloned().unwrap_or_default()
        };
        out.push(Conflict {
            key: key.to_string(),
            from_flag,
            from_file: go_print(&m.value.kind),
            line: m.key_pos.line,
        });
    }
    out
}

/// A JSON value as Go's `%v` prints the `interface{}` it decodes to.
fn go_print(k: &Kind) -> String {
    match k {
        Kind::String(s) => s.clone(),
        Kind::Bool(b) => b.to_string(),
        Kind::Null => "<nil>".into(),
        Kind::Number(n) => n.clone(),
        Kind::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(|i| go_print(&i.kind))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        Kind::Object(members) => {
            let mut kv: Vec<(&str, String)> = members
                .iter()
                .map(|m| (m.key.as_str(), go_print(&m.value.kind)))
                .collect();
            kv.sort();
            format!(
                "map[{}]",
                kv.iter()
                    .map(|(k, v)| format!("{k}:{v}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            )
        }
    }
}

/// dockerd's line for flag/file conflicts.
pub fn conflict_text(file: &str, conflicts: &[Conflict]) -> String {
    format!(
        "unable to configure the Docker daemon with file {file}: the following directives are specified both as a flag and in the configuration file: {}",
        conflicts
            .iter()
            .map(|c| format!(
                "{}: (from flag: {}, from file: {})",
                c.key, c.from_flag, c.from_file
            ))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// The registries Docker is configured for: insecure-registries host entries, mirrors,
/// certs.d directories.
pub fn node_targets(
    node: &crate::facts::node::NodeFacts,
    add: &mut dyn FnMut(&str, Runtime, String),
) {
    if let Some(file) = node.daemon_json.read()
        && let Some(Kind::Object(members)) = crate::jsonpos::parse(&file.text).value.map(|v| v.kind)
    {
        for (raw, pos) in insecure::strings_of(&members, "insecure-registries") {
            if let insecure::Verdict::Ok(insecure::Entry::Host(h))
            | insecure::Verdict::SchemeStripped(insecure::Entry::Host(h), _) =
                insecure::parse_entry(&raw)
            {
                add(
                    &h,
                    Runtime::Docker,
                    format!("{}:{} insecure-registries", file.path, pos.line),
                );
            }
        }
        for (raw, pos) in insecure::strings_of(&members, "registry-mirrors") {
            add(
                &raw,
                Runtime::Docker,
                format!("{}:{} registry-mirrors", file.path, pos.line),
            );
        }
    }
    if let Some(root) = node.docker_certs_d.read() {
        for d in &root.dirs {
            add(
                &d.name,
                Runtime::Docker,
                format!("{}/{}/", root.root, d.name),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn flags_in_their_spellings() {
        let a = argv("dockerd -H fd:// --data-root=/x --insecure-registry 10.0.0.5:5000 -D");
        assert_eq!(flag_values(&a, "host", Some("H")), ["fd://"]);
        assert_eq!(flag_values(&a, "data-root", None), ["/x"]);
        assert_eq!(
            flag_values(&a, "insecure-registry", None),
            ["10.0.0.5:5000"]
        );
    }

    #[test]
    fn hosts_in_the_file_and_h_on_the_command_line_conflict() {
        let parsed = crate::jsonpos::parse(
            "{\n  \"hosts\": [\"tcp://127.0.0.1:2375\"],\n  \"debug\": true\n}",
        );
        let Some(Kind::Object(members)) = parsed.value.map(|v| v.kind) else {
            panic!()
        };
        let c = flag_conflicts(
            &argv("/usr/sbin/dockerd -H fd:// --containerd=/run/c.sock"),
            &members,
        );
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].line, 2);
        assert_eq!(
            conflict_text("/etc/docker/daemon.json", &c),
            "unable to configure the Docker daemon with file /etc/docker/daemon.json: the following directives are specified both as a flag and in the configuration file: hosts: (from flag: [fd://], from file: [tcp://127.0.0.1:2375])"
        );
        assert!(flag_conflicts(&argv("/usr/sbin/dockerd --containerd=/x"), &members).is_empty());
    }
}
