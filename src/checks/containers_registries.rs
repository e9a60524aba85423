//! `containers-registries`: CRI-O, podman and skopeo (containers/image). Their
//! registries.conf must declare a plain-HTTP registry insecure (there is no implicit
//! localhost exception) and must not mix the v1 and v2 formats; and their certs.d is the
//! *first existing* of `~/.config/containers/certs.d/<host:port>`,
//! `/etc/containers/certs.d/<host:port>`, `/etc/docker/certs.d/<host:port>` — an earlier
//! directory hides the right CA in a later one.

use super::node_common::{any_certs, needed_issuer, pem_certs, plain_http, verify_with};
use super::{Check, Outcome};
use crate::codes::{CheckId, Code};
use crate::facts::Facts;
use crate::facts::Runtime;
use crate::facts::node::{CertsRoot, HostDir, Source, TextFile};
use crate::finding::Finding;
use crate::runtimes::line::{Failure, Step};
use crate::target::Target;

/// The check.
pub struct ContainersRegistries;

impl Check for ContainersRegistries {
    fn id(&self) -> CheckId {
        CheckId::ContainersRegistries
    }
    fn title(&self) -> &'static str {
        "CRI-O/podman registries.conf and certs.d suit this registry"
    }
    fn doc(&self) -> &'static str {
        include_str!("../../checks/containers-registries.md")
    }
    fn network(&self) -> bool {
        false
    }
    fn run(&self, facts: &super::Basis<'_>) -> Outcome {
        if let Some(why) = facts.not_judged_reason(Runtime::CriO) {
            return Outcome::Skip(why);
        }
        let conf = facts.node.registries_conf.read();
        let roots: Vec<&CertsRoot> = facts
            .node
            .containers_certs_d
            .iter()
            .filter_map(|s| s.read())
            .collect();
        let unreadable = matches!(facts.node.registries_conf, Source::Unreadable { .. })
            || facts
                .node
                .containers_certs_d
                .iter()
                .any(|s| matches!(s, Source::Unreadable { .. }));
        if conf.is_none() && roots.is_empty() && !unreadable {
            return Outcome::Skip(match &facts.node.registries_conf {
                Source::Absent { path } => {
                    format!("no {path} and no containers certs.d on this node")
                }
                _ => "not read: --no-node-defaults was given and no path was named".into(),
            });
        }
        let mut findings: Vec<Finding> = std::iter::once(&facts.node.registries_conf)
            .chain(&facts.node.registries_conf_d)
            .filter_map(|s| {
                super::node_common::unreadable_source(
                    s,
                    Code::RegistriesConfUnreadable,
                    "CRI-O (containers/image)",
                    "the TOML registries configuration",
                )
            })
            .collect();
        if let (n @ 1.., Some(conf)) = (facts.node.registries_conf_d_unread, conf) {
            findings.push(
                Finding::new(
                    Code::RegistriesConfUnreadable,
                    format!("the registries.conf.d beside {} holds {n} more .conf drop-ins than the 100 regdoctor reads: the last {n} in name order were not judged (containers/image reads them all)", conf.path),
                )
                .hint("merge the drop-ins into fewer files"),
            );
        }
        findings.extend(facts.node.containers_certs_d.iter().filter_map(|s| {
            super::node_common::unreadable_root(
                s,
                Code::ContainersCertsDUnreadable,
                "CRI-O (containers/image)",
            )
        }));
        let target = facts.target.as_ref().ok();
        if let Some(conf) = conf {
            registries_conf(facts, conf, target, &mut findings);
        }
        if let Some(t) = target {
            certs_d(facts, &roots, t, &mut findings);
        }
        Outcome::Findings(findings)
    }
}

fn registries_conf(
    facts: &Facts,
    conf: &TextFile,
    target: Option<&Target>,
    findings: &mut Vec<Finding>,
) {
    let table = match crate::formats::toml::table(&conf.text) {
        Ok(t) => t,
        Err(e) => {
            let line = e
                .span()
                .map(|s| {
                    conf.text[..s.start.min(conf.text.len())]
                        .matches('\n')
                        .count()
                        + 1
                })
                .unwrap_or(1);
            findings.push(
                Finding::new(
                    Code::RegistriesConfSyntax,
                    format!("{} is not valid TOML at line {line}: {}; podman, skopeo and CRI-O refuse to pull", conf.path, crate::text::clip(e.message())),
                )
                .hint(format!("fix line {line} of {}", conf.path)),
            );
            return;
        }
    };
    let v1 = table.get("registries").is_some_and(|r| r.is_table());
    let v2 = table.contains_key("registry") || table.contains_key("unqualified-search-registries");
    if v1 && v2 {
        findings.push(
            Finding::new(
                Code::RegistriesConfMixedVersions,
                format!("{} mixes the v1 format ([registries.insecure], [registries.search]) with the v2 format ([[registry]]): containers/image refuses the file", conf.path),
            )
            .fails_for(Runtime::CriO, Failure::at(Step::Config, "mixing sysregistry v1/v2 is not supported"), target)
            .hint("convert the [registries.*] tables to [[registry]] entries (location = \"host:port\", insecure = true) and unqualified-search-registries"),
        );
    }
    let Some(t) = target else { return };
    if !plain_http(facts) {
        return;
    }
    let name = t.registry_name();
    // registries.conf and its drop-ins, as containers/image merges them.
    let insecure = crate::runtimes::containers::governing(facts, &name).is_some_and(|e| e.insecure);
    if !insecure {
        findings.push(
            Finding::new(
                Code::RegistriesConfNotInsecure,
                format!("{name} serves plain HTTP, and {} does not mark it insecure: CRI-O, podman and skopeo only try HTTPS (there is no localhost exception)", conf.path),
            )
            .client_error(format!("pinging container registry {name}: Get \"https://{name}/v2/\": http: server gave HTTP response to HTTPS client"))
            .hint(format!("add this to {}, then restart CRI-O (`systemctl restart crio`):\n[[registry]]\nlocation = \"{name}\"\ninsecure = true", conf.path)),
        );
    }
}

fn certs_d(
    facts: &super::Basis<'_>,
    roots: &[&CertsRoot],
    t: &Target,
    findings: &mut Vec<Finding>,
) {
    let name = t.registry_name();
    let dirs: Vec<(String, &HostDir)> = roots
        .iter()
        .filter_map(|r| {
            r.dirs
                .iter()
                .find(|d| d.name == name)
                .map(|d| (format!("{}/{name}", r.root), d))
        })
        .collect();
    let Some((used, dir)) = dirs.first() else {
        return;
    };
    // containers/image loads client pairs whatever `insecure` says, and refuses the
    // directory when one is incomplete.
    client_pairs(facts, used, dir, findings);
    findings.extend(untrusted_dir(facts, t, &dirs));
}

/// The CAs of the directory containers/image reads (the first of `dirs`) do not verify
/// the chain: misnamed, in a directory it never reads, or the wrong ones.
fn untrusted_dir(
    facts: &super::Basis<'_>,
    t: &Target,
    dirs: &[(String, &HostDir)],
) -> Option<Finding> {
    let name = t.registry_name();
    let (used, dir) = dirs.first()?;
    let chain = facts.presented_chain();
    if plain_http(facts) || chain.is_empty() {
        return None;
    }
    let cas_of = |d: &HostDir| -> Vec<crate::pki::Cert> {
        d.files
            .iter()
            .filter(|f| f.name.ends_with(".crt"))
            .flat_map(pem_certs)
            .collect()
    };
    let cas = cas_of(dir);
    let err = verify_with(facts, &chain, &cas)?;
    let untrusted = Failure::verification(err.go_text()).generic(Some(t));
    let misnamed = dir.files.iter().find(|f| {
        !f.name.ends_with(".crt") && {
            let certs = any_certs(f);
            !certs.is_empty() && verify_with(facts, &chain, &certs).is_none()
        }
    });
    if let Some(f) = misnamed {
        let stem = f.name.rsplit_once('.').map(|(s, _)| s).unwrap_or(&f.name);
        return Some(
            Finding::new(
                Code::ContainersCertsDWrongExtension,
                format!("{used}/{} holds the CA that verifies the server's chain, but containers/image only loads CA files ending in .crt", f.name),
            )
            .client_error(untrusted)
            .hint(format!("`mv '{used}/{}' '{used}/{stem}.crt'` (PEM); no restart needed", f.name)),
        );
    }
    let later = dirs
        .iter()
        .skip(1)
        .find(|(_, d)| verify_with(facts, &chain, &cas_of(d)).is_none());
    match later {
        Some((good, _)) => Some(
            Finding::new(
                Code::ContainersCertsDShadowed,
                format!("{used}/ exists, so containers/image reads only it and never {good}/, which holds the CA that verifies the server; {used}/ does not"),
            )
            .client_error(untrusted)
            .hint(format!("copy the CA into the directory that is read: `cp {good}/*.crt {used}/`, or remove {used}/")),
        ),
        None if !cas.is_empty() => Some(
            Finding::new(
                Code::ContainersCertsDCaMismatch,
                format!("{used}/ is the certs.d directory containers/image reads for {name}, and its CAs do not verify the server's chain (which needs \"{}\")", needed_issuer(&chain)),
            )
            .client_error(untrusted)
            .hint(format!("put the CA that issued the server's certificate in {used}/ca.crt")),
        ),
        // An empty directory and no CA anywhere: ca-chain says it.
        None => None,
    }
}

/// `.cert` needs `<base>.key` and `.key` needs `<base>.cert` (containers/image's words).
fn client_pairs(facts: &Facts, base: &str, dir: &HostDir, findings: &mut Vec<Finding>) {
    let target = facts.target.as_ref().ok();
    let has = |n: &str| dir.files.iter().any(|f| f.name == n);
    for f in &dir.files {
        let (missing, cause) = if let Some(stem) = f.name.strip_suffix(".cert") {
            if has(&format!("{stem}.key")) {
                continue;
            }
            (
                format!("{stem}.key"),
                format!(
                    "missing key {stem}.key for client certificate {}. Note that CA certificates should use the extension .crt",
                    f.name
                ),
            )
        } else if let Some(stem) = f.name.strip_suffix(".key") {
            if has(&format!("{stem}.cert")) {
                continue;
            }
            (
                format!("{stem}.cert"),
                format!("missing client certificate {stem}.cert for key {}", f.name),
            )
        } else {
            continue;
        };
        let is_ca = any_certs(f).iter().any(|c| c.is_ca());
        let hint = if is_ca && f.name.ends_with(".cert") {
            let stem = f.name.trim_end_matches(".cert");
            format!(
                "this file holds a CA certificate: `mv '{base}/{}' '{base}/{stem}.crt'`",
                f.name
            )
        } else {
            format!(
                "add {base}/{missing} beside it, or remove {base}/{}",
                f.name
            )
        };
        findings.push(
            Finding::new(
                Code::ContainersCertsDClientPair,
                format!("{base}/{} has no {missing} beside it: CRI-O, podman and skopeo fail every pull from this registry", f.name),
            )
            .fails_for(Runtime::CriO, Failure::at(Step::Config, cause), target)
            .hint(hint),
        );
    }
}

#[cfg(test)]
pub(crate) fn examples() -> Vec<(Facts, Vec<Code>)> {
    use crate::checks::examples::pki::*;
    use crate::checks::examples::*;
    use crate::facts::TlsOutcome;
    let root = ca("Registry CA", NOW);
    let other = ca("Other CA", NOW);
    let l = leaf(&root, &["10.0.0.5"], NOW);
    let conf = |mut f: Facts, text: &str| {
        f.node.registries_conf = Source::Read(TextFile {
            path: "/etc/containers/registries.conf".into(),
            text: text.into(),
        });
        f
    };
    let plain = || {
        with_tls_outcome(
            facts_for("10.0.0.5:5000"),
            TlsOutcome::PlainHttp {
                first_bytes: "HTTP/1.1 400".into(),
            },
        )
    };
    let tls = |dirs: Vec<Dirs<'_>>| {
        let mut f = with_chain(facts_for("10.0.0.5:5000"), vec![l.der.clone()]);
        f.node.containers_certs_d = dirs
            .into_iter()
            .enumerate()
            .map(|(i, d)| certs_root(&format!("/root{i}/certs.d"), d))
            .collect();
        f
    };
    let d = "10.0.0.5:5000";
    let mut conf_fifo = facts_for("10.0.0.5:5000");
    conf_fifo.node.registries_conf = Source::Unreadable {
        path: "/etc/containers/registries.conf".into(),
        why: "it is not a regular file (a device, pipe or socket)".into(),
    };
    let mut root_file = facts_for("10.0.0.5:5000");
    root_file.node.containers_certs_d = vec![Source::Unreadable {
        path: "/etc/containers/certs.d".into(),
        why: "it is not a directory".into(),
    }];
    vec![
        (conf_fifo, vec![Code::RegistriesConfUnreadable]),
        (root_file, vec![Code::ContainersCertsDUnreadable]),
        (
            conf(
                plain(),
                "[[registry]]\nlocation = \"10.0.0.5:5000\"\ninsecure = true\n",
            ),
            vec![],
        ),
        (
            conf(
                plain(),
                "[[registry]]\nlocation = \"10.0.0.6:5000\"\ninsecure = true\n",
            ),
            vec![Code::RegistriesConfNotInsecure],
        ),
        (
            conf(offline(), "[[registry]\nlocation = \"x\"\n"),
            vec![Code::RegistriesConfSyntax],
        ),
        (
            conf(
                offline(),
                "[registries.insecure]\nregistries = [\"a:5000\"]\n\n[[registry]]\nlocation = \"b:5000\"\n",
            ),
            vec![Code::RegistriesConfMixedVersions],
        ),
        (
            tls(vec![vec![(
                d,
                vec![("ca.crt", root.pem.clone().into_bytes())],
            )]]),
            vec![],
        ),
        (
            tls(vec![
                vec![(d, vec![])],
                vec![(d, vec![("ca.crt", root.pem.clone().into_bytes())])],
            ]),
            vec![Code::ContainersCertsDShadowed],
        ),
        (
            tls(vec![vec![(
                d,
                vec![("ca.crt", other.pem.clone().into_bytes())],
            )]]),
            vec![Code::ContainersCertsDCaMismatch],
        ),
        (
            tls(vec![vec![(
                d,
                vec![("ca.pem", root.pem.clone().into_bytes())],
            )]]),
            vec![Code::ContainersCertsDWrongExtension],
        ),
        (
            tls(vec![vec![(
                d,
                vec![("ca.cert", root.pem.clone().into_bytes())],
            )]]),
            vec![
                Code::ContainersCertsDClientPair,
                Code::ContainersCertsDWrongExtension,
            ],
        ),
    ]
}

#[cfg(test)]
mod drop_in_tests {
    use super::*;
    use crate::checks::examples::*;

    /// More drop-ins than regdoctor reads are said with their number, not dropped.
    #[test]
    fn drop_ins_past_the_limit_are_counted() {
        let mut f = present(facts_for("10.0.0.5:5000"), Runtime::CriO);
        f.node.registries_conf = Source::Read(TextFile {
            path: "/etc/containers/registries.conf".into(),
            text: "unqualified-search-registries = []\n".into(),
        });
        f.node.registries_conf_d_unread = 5;
        let found = findings_of(&ContainersRegistries, &f);
        assert!(
            found
                .iter()
                .any(|x| x.code == Code::RegistriesConfUnreadable
                    && x.message
                        .contains("holds 5 more .conf drop-ins than the 100")),
            "{found:?}"
        );
    }
}
