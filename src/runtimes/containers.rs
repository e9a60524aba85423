//! containers/image's effective client (CRI-O, podman, skopeo, buildah):
//! `pkg/sysregistriesv2` and `pkg/tlsclientconfig`.
//!
//! - registries.conf, then every `registries.conf.d/*.conf` in order: a `[[registry]]`
//!   whose `prefix` (or `location`) matches the registry — the longest match, a later file
//!   replacing an earlier entry with the same prefix — or the v1 `[registries.insecure]`
//!   list, may set `insecure = true`: no verification, and plain HTTP when HTTPS fails.
//! - otherwise trust = the system roots + every `*.crt` (PEM) of the **first existing**
//!   `<root>/<host:port>/` among `~/.config/containers/certs.d`, `/etc/containers/certs.d`,
//!   `/etc/docker/certs.d`; `*.cert` + `*.key` is the client pair. `ca.pem` is ignored.

use super::{Client, Presence, Transport, Verification, docker_style_dir, what_if};
use crate::facts::node::{Source, TextFile, toml_strings};
use crate::facts::{Facts, Runtime};
use crate::target::Target;

/// Whether CRI-O, podman or skopeo is on this node.
pub fn presence(facts: &Facts) -> Presence {
    let install = &facts.node.installs.containers;
    if install.evidence.is_empty() {
        Presence::Absent(super::not_found(
            facts,
            "CRI-O, podman and skopeo were not found (no registries.conf, crio, podman or skopeo)",
        ))
    } else {
        Presence::Found(install.evidence.join(", "))
    }
}

/// One `[[registry]]` entry that matches, where it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryEntry {
    /// The file.
    pub file: String,
    /// Its prefix (or location).
    pub prefix: String,
    /// `insecure = true`.
    pub insecure: bool,
}

/// Whether a registries.conf prefix matches the registry `name` (`host:port`): equal, or a
/// `*.domain` wildcard.
fn prefix_matches(prefix: &str, name: &str) -> bool {
    let prefix = prefix.trim_end_matches('/');
    if let Some(domain) = prefix.strip_prefix("*.") {
        let host = name.split(':').next().unwrap_or(name);
        return host.ends_with(&format!(".{domain}"));
    }
    // A prefix with a repository path governs only images under it; the registry
    // diagnosis has no image, so only the registry itself matches.
    prefix.eq_ignore_ascii_case(name)
}

/// The files in the order they apply: registries.conf, then the drop-ins.
fn files(facts: &Facts) -> Vec<&TextFile> {
    facts
        .node
        .registries_conf
        .read()
        .into_iter()
        .chain(facts.node.registries_conf_d.iter().filter_map(Source::read))
        .collect()
}

/// The `[[registry]]` entry that governs `name` (longest prefix; a later file replaces an
/// earlier entry with the same prefix), and the v1 insecure list entry if there is one.
pub fn governing(facts: &Facts, name: &str) -> Option<RegistryEntry> {
    let mut best: Option<RegistryEntry> = None;
    for f in files(facts) {
        let Ok(table) = crate::formats::toml::table(&f.text) else {
            continue;
        };
        let v1: Vec<String> = table
            .get("registries")
            .and_then(|r| r.get("insecure"))
            .map(|i| toml_strings(i.get("registries")))
            .unwrap_or_default();
        if v1.iter().any(|r| r.eq_ignore_ascii_case(name)) {
            best = Some(RegistryEntry {
                file: f.path.clone(),
                prefix: name.to_string(),
                insecure: true,
            });
        }
        for r in table
            .get("registry")
            .and_then(|r| r.as_array())
            .into_iter()
            .flatten()
            .filter_map(|r| r.as_table())
        {
            let Some(prefix) = r
                .get("prefix")
                .or_else(|| r.get("location"))
                .and_then(|l| l.as_str())
            else {
                continue;
            };
            if !prefix_matches(prefix, name) {
                continue;
            }
            let replaces = best.as_ref().is_none_or(|b| prefix.len() >= b.prefix.len());
            if replaces {
                best = Some(RegistryEntry {
                    file: f.path.clone(),
                    prefix: prefix.to_string(),
                    insecure: r.get("insecure").and_then(|i| i.as_bool()) == Some(true),
                });
            }
        }
    }
    best
}

/// containers/image's effective client for the target: its files, then the proxy
/// environment of its systemd service (`crio.service`).
pub fn client(facts: &Facts, why: String) -> Client {
    let c = files_client(facts, why);
    match &facts.target {
        Ok(t) => {
            let rules = crate::formats::httpproxy::GoRules::for_go(c.go_version.as_deref());
            let env = super::proxy::ProxyEnv::of_service(
                facts.node.crio_service.as_ref(),
                "crio.service",
                rules,
            );
            c.with_proxy(env, t)
        }
        Err(_) => c,
    }
}

/// The client from the runtime's files.
fn files_client(facts: &Facts, why: String) -> Client {
    let mut c = Client::default_for(Runtime::CriO, why);
    let install = &facts.node.installs.containers;
    c.version = install.version.clone();
    c.go_version = facts
        .go_version
        .clone()
        .or_else(|| install.go_version.clone());
    let Ok(t) = &facts.target else {
        return c;
    };
    let name = t.registry_name();
    if let Some(e) = governing(facts, &name)
        && e.insecure
    {
        let origin = format!("{}: [[registry]] \"{}\" insecure = true", e.file, e.prefix);
        c.sources.push(format!(
            "{origin}: no verification, and plain HTTP when HTTPS fails"
        ));
        c.verification = Verification::Off {
            origin: origin.clone(),
        };
        c.transport = Transport::HttpsThenHttp { origin };
        return c;
    }
    certs_d(facts, t, &mut c);
    what_if(facts, c)
}

/// The first existing `<root>/<host:port>/` wins.
fn certs_d(facts: &Facts, t: &Target, c: &mut Client) {
    let name = t.registry_name();
    let found = facts
        .node
        .containers_certs_d
        .iter()
        .filter_map(|s| s.read())
        .find_map(|r| r.dirs.iter().find(|d| d.name == name).map(|d| (r, d)));
    match found {
        Some((root, dir)) => {
            let base = format!("{}/{name}", root.root);
            let (cas, pair) = docker_style_dir(&base, dir);
            c.sources.push(format!(
                "{base}/ (the first existing certs.d directory): {} CA file(s) added to the system roots",
                cas.len()
            ));
            c.verification = Verification::On { cas };
            c.client_pair = pair;
        }
        None => c.sources.push(format!(
            "no certs.d directory for {name}: the system roots alone are trusted"
        )),
    }
}

/// The registries containers/image is configured for: `[[registry]]` locations and their
/// mirrors, the v1 lists, and its certs.d directories.
pub fn node_targets(
    node: &crate::facts::node::NodeFacts,
    add: &mut dyn FnMut(&str, Runtime, String),
) {
    let files = node
        .registries_conf
        .read()
        .into_iter()
        .chain(node.registries_conf_d.iter().filter_map(Source::read));
    for f in files {
        let Ok(table) = crate::formats::toml::table(&f.text) else {
            continue;
        };
        let host_of = |loc: &str| loc.split('/').next().unwrap_or(loc).to_string();
        for r in table
            .get("registry")
            .and_then(|r| r.as_array())
            .into_iter()
            .flatten()
            .filter_map(|r| r.as_table())
        {
            if let Some(loc) = r.get("location").and_then(|l| l.as_str())
                && !loc.contains('*')
            {
                add(
                    &host_of(loc),
                    Runtime::CriO,
                    format!("{} [[registry]]", f.path),
                );
            }
            for m in r
                .get("mirror")
                .and_then(|m| m.as_array())
                .into_iter()
                .flatten()
                .filter_map(|m| m.get("location").and_then(|l| l.as_str()))
            {
                add(
                    &host_of(m),
                    Runtime::CriO,
                    format!("{} [[registry.mirror]]", f.path),
                );
            }
        }
        if let Some(v1) = table.get("registries").and_then(|r| r.as_table()) {
            for list in ["insecure", "search", "block"] {
                for reg in toml_strings(v1.get(list).and_then(|l| l.get("registries"))) {
                    add(
                        &host_of(&reg),
                        Runtime::CriO,
                        format!("{} [registries.{list}]", f.path),
                    );
                }
            }
        }
    }
    for root in node.containers_certs_d.iter().filter_map(|s| s.read()) {
        for d in &root.dirs {
            add(&d.name, Runtime::CriO, format!("{}/{}/", root.root, d.name));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        assert!(prefix_matches("10.0.0.5:5000", "10.0.0.5:5000"));
        assert!(!prefix_matches("10.0.0.5:5000/team", "10.0.0.5:5000"));
        assert!(!prefix_matches("10.0.0.5", "10.0.0.5:5000"));
        assert!(prefix_matches("*.example.com", "reg.example.com:5000"));
        assert!(!prefix_matches("*.example.com", "example.com"));
    }
}
