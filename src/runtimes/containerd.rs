//! containerd's effective client for a registry (`remotes/docker/config/hosts.go` and the
//! CRI registry configuration):
//!
//! - With the CRI plugin disabled (`disabled_plugins = ["cri"]`, Docker CE's shipped
//!   config.toml) containerd pulls nothing for kubelet: it is not judged.
//! - The host directory is the first of `host_port_`, `host:port`, `_default` under the
//!   hosts root (`config_path`). In it, `hosts.toml` decides: the `[host."…"]` entry for the
//!   registry (or `server`) gives the scheme, `ca` files added to the system roots,
//!   `client` pairs and `skip_verify`. Without hosts.toml, Docker-style `*.crt`,
//!   `*.cert` + `*.key` files are used.
//! - With no directory, containerd 1.6 speaks plain HTTP (verification off) to a
//!   loopback registry and HTTPS with the system roots to any other.

use std::path::{Path, PathBuf};

use super::{
    CaFile, Client, ClientPair, Presence, Transport, Verification, docker_style_dir, what_if,
};
use crate::facts::node::{CertsRoot, HostDir, NodeFile, TextFile, toml_strings};
use crate::facts::{Facts, Runtime};
use crate::target::{Host, Target};

/// Whether containerd is on this node and pulls for kubelet.
pub fn presence(facts: &Facts) -> Presence {
    let install = &facts.node.installs.containerd;
    if install.evidence.is_empty() {
        return Presence::Absent(super::not_found(
            facts,
            "containerd was not found (no config.toml, containerd binary or socket)",
        ));
    }
    if let Some(cfg) = facts.node.containerd_config.read()
        && cri_disabled(cfg)
    {
        return Presence::Disabled(format!(
            "{} disables the CRI plugin (disabled_plugins = [\"cri\"]): this containerd only serves Docker, and kubelet does not pull through it",
            cfg.path
        ));
    }
    Presence::Found(install.evidence.join(", "))
}

/// `disabled_plugins` lists the CRI plugin.
pub fn cri_disabled(cfg: &TextFile) -> bool {
    let Ok(table) = crate::formats::toml::table(&cfg.text) else {
        return false;
    };
    toml_strings(table.get("disabled_plugins"))
        .iter()
        .any(|p| matches!(p.as_str(), "cri" | "io.containerd.grpc.v1.cri"))
}

/// containerd's directory names for a registry, in its order.
pub fn dir_names(t: &Target) -> Vec<String> {
    let host = t.host_for_url();
    let mut v = Vec::new();
    if t.explicit_port {
        v.push(format!("{host}_{}_", t.port));
    }
    v.push(t.registry_name());
    v.push("_default".into());
    v
}

/// A path named in a hosts.toml (relative to its directory), and the file when it was read.
pub fn resolve<'a>(
    root: &'a CertsRoot,
    dir: &'a HostDir,
    p: &str,
) -> (String, Option<&'a NodeFile>) {
    let base = Path::new(&root.root).join(&dir.name);
    let abs = if p.starts_with('/') {
        PathBuf::from(p)
    } else {
        base.join(p)
    };
    let shown = abs.display().to_string();
    if let Some(f) = root.referenced.get(&shown) {
        return (shown, Some(f));
    }
    let file = (abs.parent() == Some(base.as_path()))
        .then(|| abs.file_name().map(|n| n.to_string_lossy().into_owned()))
        .flatten()
        .and_then(|n| dir.files.iter().find(|f| f.name == n && !f.is_dir));
    (shown, file)
}

/// The `[host."…"]` tables (labelled `host "url"`, with their URL), then the top level
/// (labelled `server …`, with the server URL when set).
pub fn entries(table: &toml::Table) -> Vec<(String, Option<String>, &toml::Table)> {
    let mut v = Vec::new();
    if let Some(toml::Value::Table(hosts)) = table.get("host") {
        for (url, t) in hosts {
            if let toml::Value::Table(t) = t {
                v.push((format!("host \"{url}\""), Some(url.clone()), t));
            }
        }
    }
    let server = table.get("server").and_then(|s| s.as_str());
    v.push((
        format!("server {}", server.unwrap_or("(the registry itself)")),
        server.map(str::to_string),
        table,
    ));
    v
}

/// The host directory containerd uses for the target, if any.
pub fn host_dir<'a>(root: &'a CertsRoot, t: &Target) -> Option<&'a HostDir> {
    dir_names(t)
        .iter()
        .find_map(|n| root.dirs.iter().find(|d| &d.name == n))
}

/// The non-empty hosts.toml of a directory.
pub fn hosts_toml(dir: &HostDir) -> Option<&NodeFile> {
    dir.files
        .iter()
        .find(|f| f.name == "hosts.toml" && !f.bytes.iter().all(u8::is_ascii_whitespace))
}

/// `scheme://authority` of a URL, lower-cased; the scheme defaults to https.
fn scheme_authority(url: &str) -> (String, String) {
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (s.to_ascii_lowercase(), r),
        None => ("https".to_string(), url),
    };
    let authority = rest
        .split('/')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    (scheme, authority)
}

/// Whether a loopback name or address (containerd's `docker.IsLocalhost`).
pub fn is_localhost(t: &Target) -> bool {
    match &t.host {
        Host::Ip(ip) => ip.is_loopback(),
        Host::Name(n) => n == "localhost",
    }
}

/// containerd's effective client for the target: its files, then the proxy
/// environment of its systemd service (`containerd.service`).
pub fn client(facts: &Facts, why: String) -> Client {
    let c = files_client(facts, why);
    match &facts.target {
        Ok(t) => {
            let rules = crate::formats::httpproxy::GoRules::for_go(c.go_version.as_deref());
            let env = super::proxy::ProxyEnv::of_service(
                facts.node.containerd_service.as_ref(),
                "containerd.service",
                rules,
            );
            c.with_proxy(env, t)
        }
        Err(_) => c,
    }
}

/// The client from the runtime's files.
fn files_client(facts: &Facts, why: String) -> Client {
    let mut c = Client::default_for(Runtime::Containerd, why);
    let install = &facts.node.installs.containerd;
    c.version = install.version.clone();
    c.go_version = facts
        .go_version
        .clone()
        .or_else(|| install.go_version.clone());
    let Ok(t) = &facts.target else {
        return c;
    };
    let root = facts.node.containerd_certs_d.read();
    let dir = root.and_then(|r| host_dir(r, t).map(|d| (r, d)));
    let Some((root, dir)) = dir else {
        return without_host_dir(facts, c, root, t);
    };
    let base = format!("{}/{}", root.root, dir.name);
    let parsed = hosts_toml(dir)
        .and_then(|f| crate::formats::toml::table(&String::from_utf8_lossy(&f.bytes)).ok());
    if let Some(why) = ignored_because(&c, dir, parsed.as_deref()) {
        c.sources.push(format!(
            "{base}/hosts.toml {why}: containerd ignores it and uses its defaults (HTTPS, the system roots)"
        ));
        return what_if(facts, c);
    }
    let Some(table) = parsed else {
        let (cas, pair) = docker_style_dir(&base, dir);
        c.sources.push(format!(
            "{base}/: {} *.crt file(s) added to the system roots",
            cas.len()
        ));
        c.verification = Verification::On { cas };
        c.client_pair = pair;
        return what_if(facts, c);
    };
    let name = t.registry_name().to_ascii_lowercase();
    let all = entries(&table);
    // The entry that dials the registry itself: a [host."…"] for it, else the server.
    let chosen = all
        .iter()
        .find(|(_, url, _)| {
            url.as_deref()
                .is_some_and(|u| scheme_authority(u).1 == name)
        })
        .or_else(|| all.last());
    let Some((label, url, entry)) = chosen else {
        return what_if(facts, c);
    };
    let scheme = url
        .as_deref()
        .map(|u| scheme_authority(u).0)
        .unwrap_or_else(|| "https".into());
    let c = from_entry(c, root, dir, label, &scheme, entry);
    if scheme == "http" {
        return c;
    }
    what_if(facts, c)
}

/// No host directory for the registry: plain HTTP for a loopback registry, else HTTPS
/// with the system roots.
fn without_host_dir(facts: &Facts, mut c: Client, root: Option<&CertsRoot>, t: &Target) -> Client {
    let looked = match root {
        Some(r) => format!(
            "no host directory for {} under {} (tried {})",
            t.registry_name(),
            r.root,
            dir_names(t).join(", ")
        ),
        None => "no hosts directory".to_string(),
    };
    if is_localhost(t) {
        let origin =
            format!("{looked}: containerd's default for a loopback registry is plain HTTP");
        c.sources.push(origin.clone());
        c.transport = Transport::Http {
            origin: origin.clone(),
        };
        c.verification = Verification::Off { origin };
        return c;
    }
    c.sources
        .push(format!("{looked}: HTTPS with the system roots alone"));
    what_if(facts, c)
}

/// Why containerd ignores the directory's hosts.toml, when it does.
fn ignored_because(
    c: &Client,
    dir: &HostDir,
    parsed: Option<&toml::Table>,
) -> Option<&'static str> {
    hosts_toml(dir)?;
    let before_1_7 = c
        .version
        .as_deref()
        .and_then(super::parse_version)
        .is_some_and(|v| v < (1, 7));
    match parsed {
        None => Some("cannot be decoded"),
        // containerd 1.6 refuses a file without [host] tables ("invalid `host` tree",
        // containerd#10027; fixed in 1.7).
        Some(t) if before_1_7 && !t.contains_key("host") => {
            Some("has no [host] table, which containerd 1.6 refuses (\"invalid `host` tree\")")
        }
        Some(_) => None,
    }
}

/// The client a hosts.toml entry configures: plain HTTP, or HTTPS with `skip_verify` or
/// its `ca` files, and its client certificate.
fn from_entry(
    mut c: Client,
    root: &CertsRoot,
    dir: &HostDir,
    label: &str,
    scheme: &str,
    entry: &toml::Table,
) -> Client {
    let file = format!("{}/{}/hosts.toml", root.root, dir.name);
    if scheme == "http" {
        let origin = format!("{file}: {label}");
        c.transport = Transport::Http {
            origin: origin.clone(),
        };
        c.verification = Verification::Off { origin };
        c.sources.push(format!("{file}: {label} is plain HTTP"));
        return c;
    }
    if entry.get("skip_verify").and_then(|v| v.as_bool()) == Some(true) {
        let origin = format!("{file}: skip_verify = true for {label}");
        c.sources.push(origin.clone());
        c.verification = Verification::Off { origin };
    } else {
        let cas: Vec<CaFile> = toml_strings(entry.get("ca"))
            .iter()
            .filter_map(|p| {
                let (shown, f) = resolve(root, dir, p);
                f.filter(|f| f.error.is_none())
                    .map(|f| CaFile::from_pem(shown, &f.bytes))
            })
            .collect();
        c.sources.push(format!(
            "{file}: {label} adds {} CA file(s) to the system roots",
            cas.len()
        ));
        c.verification = Verification::On { cas };
    }
    c.client_pair = client_pair(root, dir, entry.get("client"));
    if let Some(p) = &c.client_pair {
        c.sources
            .push(format!("{file}: client certificate {}", p.cert));
    }
    c
}

/// The first `client` entry: `"both.pem"`, `["cert", "key"]` or `[["cert", "key"], …]`.
fn client_pair(root: &CertsRoot, dir: &HostDir, v: Option<&toml::Value>) -> Option<ClientPair> {
    let (cert, key) = match v? {
        toml::Value::String(s) => (s.clone(), s.clone()),
        toml::Value::Array(a) => match a.first()? {
            toml::Value::String(c) => (c.clone(), a.get(1)?.as_str()?.to_string()),
            toml::Value::Array(p) => (
                p.first()?.as_str()?.to_string(),
                p.get(1)?.as_str()?.to_string(),
            ),
            _ => return None,
        },
        _ => return None,
    };
    let (cert_path, cert_file) = resolve(root, dir, &cert);
    let (key_path, key_file) = resolve(root, dir, &key);
    Some(ClientPair {
        cert: cert_path,
        key: key_path,
        cert_pem: cert_file?.bytes.clone(),
        key_pem: key_file?.bytes.clone(),
    })
}

/// The registries containerd is configured for: its host directories (`host_port_` read
/// as `host:port`; not `_default`) and the hosts their hosts.toml files name.
pub fn node_targets(
    node: &crate::facts::node::NodeFacts,
    add: &mut dyn FnMut(&str, Runtime, String),
) {
    let Some(root) = node.containerd_certs_d.read() else {
        return;
    };
    for d in &root.dirs {
        if d.name == "_default" {
            continue;
        }
        let name = match d.name.strip_suffix('_').and_then(|n| n.rsplit_once('_')) {
            Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => {
                format!("{host}:{port}")
            }
            _ => d.name.clone(),
        };
        let base = format!("{}/{}", root.root, d.name);
        add(&name, Runtime::Containerd, format!("{base}/"));
        let Some(table) = hosts_toml(d)
            .and_then(|f| crate::formats::toml::table(&String::from_utf8_lossy(&f.bytes)).ok())
        else {
            continue;
        };
        for (_, url, _) in entries(&table) {
            if let Some(url) = url {
                add(&url, Runtime::Containerd, format!("{base}/hosts.toml"));
            }
        }
    }
}
