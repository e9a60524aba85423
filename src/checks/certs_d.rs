//! `certs-d`: Docker's `/etc/docker/certs.d/<host:port>/` for this registry — named as the
//! registry part of the image reference, verbatim — holds, under names Docker reads, the
//! CA that actually verifies the chain the server presented.

use super::node_common::{
    any_certs, blocked, needed_issuer, pem_certs, plain_http, unread_note, unreadable_file,
    unreadable_root, verify_with, working_ca_path,
};
use super::{Check, Outcome};
use crate::codes::{CheckId, Code};
use crate::facts::node::{CertsRoot, HostDir, NodeFile, Source};
use crate::facts::{Facts, Runtime};
use crate::finding::Finding;
use crate::finding::evidence::CertsDir;
use crate::pki::Cert;
use crate::runtimes::Verification;
use crate::runtimes::line::{Failure, Step};
use crate::target::Target;

/// The check.
pub struct CertsD;

impl Check for CertsD {
    fn id(&self) -> CheckId {
        CheckId::CertsD
    }
    fn title(&self) -> &'static str {
        "Docker's certs.d holds the CA that verifies this registry"
    }
    fn doc(&self) -> &'static str {
        include_str!("../../checks/certs-d.md")
    }
    fn run(&self, facts: &super::Basis<'_>) -> Outcome {
        if facts.not_judged_reason(Runtime::Docker).is_none()
            && let Some(f) = unreadable_root(
                &facts.node.docker_certs_d,
                Code::CertsDFileUnreadable,
                "Docker",
            )
        {
            return Outcome::Findings(vec![f]);
        }
        let (root, t, chain) = match inputs(facts) {
            Ok(inputs) => inputs,
            Err(why) => return Outcome::Skip(why),
        };
        let name = t.registry_name();
        let base = format!("{}/{name}", root.root);
        if let Verification::Off { origin } = &facts.client_of(Runtime::Docker).verification {
            if !root.dirs.iter().any(|d| d.name == name) {
                return Outcome::Skip(format!(
                    "{name} is insecure for Docker ({origin}): Docker does not read certs.d for it"
                ));
            }
            return Outcome::Findings(vec![not_read(&name, &base, origin)]);
        }
        let Some(dir) = root.dirs.iter().find(|d| d.name == name) else {
            return Outcome::Findings(no_directory(facts, root, t, &chain).into_iter().collect());
        };
        let mut findings: Vec<Finding> = dir
            .files
            .iter()
            .filter(|f| {
                [".crt", ".cert", ".key"]
                    .iter()
                    .any(|e| f.name.ends_with(e))
            })
            .filter_map(|f| {
                let why = f.error.as_deref()?;
                let path = format!("{base}/{}", f.name);
                let finding = unreadable_file(
                    Code::CertsDFileUnreadable,
                    "Docker",
                    &path,
                    "the PEM certificate or key",
                    why,
                );
                Some(blocked(facts, Runtime::Docker, finding, &path, why))
            })
            .collect();
        client_pairs(facts, &base, dir, &mut findings);
        ca_files(facts, t, &chain, &base, dir, &mut findings);
        Outcome::Findings(findings)
    }
}

/// The certs.d root, the target and the presented chain; or why the check is skipped.
fn inputs<'a>(
    facts: &'a super::Basis<'_>,
) -> Result<(&'a CertsRoot, &'a Target, Vec<Cert>), String> {
    if let Some(why) = facts.not_judged_reason(Runtime::Docker) {
        return Err(why);
    }
    let root = match &facts.node.docker_certs_d {
        Source::Read(r) => r,
        Source::Absent { path } => return Err(format!("no {path} on this node")),
        Source::NotRead => {
            return Err("not read: --no-node-defaults was given and no path was named".into());
        }
        // Said by run() as certs_d_file_unreadable before the inputs are asked for.
        Source::Unreadable { path, why } => return Err(format!("{path} was not read: {why}")),
    };
    let Ok(t) = &facts.target else {
        return Err("no target to check it against".into());
    };
    if plain_http(facts) {
        return Err("the registry speaks plain HTTP: Docker does not use certs.d for it".into());
    }
    let chain = facts.presented_chain();
    if chain.is_empty() {
        return Err(facts.no_chain_reason());
    }
    Ok((root, t, chain))
}

/// The registry is insecure for Docker, which then ignores its certs.d directory.
fn not_read(name: &str, base: &str, origin: &str) -> Finding {
    Finding::new(
        Code::CertsDNotRead,
        format!("{name} is insecure for Docker ({origin}), so Docker does not read {base}/ at all: it verifies nothing and sends no client certificate"),
    )
    .hint(format!("remove {name} from insecure-registries in daemon.json to have the CA (and client certificate) in {base}/ used"))
}

/// No directory named as the registry: missing, or there under a near name.
fn no_directory(
    facts: &super::Basis<'_>,
    root: &CertsRoot,
    t: &Target,
    chain: &[Cert],
) -> Option<Finding> {
    verify_with(facts, chain, &[])?;
    let name = t.registry_name();
    let base = format!("{}/{name}", root.root);
    let host = t.host_for_url();
    let near: Vec<&str> = root
        .dirs
        .iter()
        .map(|d| d.name.as_str())
        .filter(|d| {
            *d == host
                || d.split(':').next() == Some(host.as_str())
                || d.eq_ignore_ascii_case(&name)
                || d.trim() == name
        })
        .collect();
    let near_text = match near.first() {
        Some(n) => format!(
            "; there is {}/{n}/, but Docker only reads the directory named exactly as the registry in the image reference ({name})",
            root.root
        ),
        None => unread_note(root),
    };
    let ca = working_ca_path(facts, chain).unwrap_or_else(|| "ca.crt".into());
    let hint = match near.first() {
        Some(n) => format!("`mv '{}/{n}' '{base}'` (no restart needed)", root.root),
        None => format!(
            "`mkdir -p '{base}' && cp {ca} '{base}/ca.crt'` on every node ({ca} must be the CA that issued the server's certificate: \"{}\"); no restart needed",
            needed_issuer(chain)
        ),
    };
    let code = if near.is_empty() {
        Code::CertsDMissing
    } else {
        Code::CertsDDirMisnamed
    };
    Some(
        Finding::new(
            code,
            format!(
                "{base}/ does not exist, and the server's chain (issued by \"{}\") does not verify with the system roots alone{near_text}",
                needed_issuer(chain)
            ),
        )
        .client_error(format!("Get \"https://{name}/v2/\": tls: failed to verify certificate: x509: certificate signed by unknown authority"))
        .hint(hint),
    )
}

/// The CA files of the registry's directory: files Docker ignores when the chain verifies,
/// else why it does not.
fn ca_files(
    facts: &super::Basis<'_>,
    t: &Target,
    chain: &[Cert],
    base: &str,
    dir: &HostDir,
    findings: &mut Vec<Finding>,
) {
    let loaded: Vec<_> = dir
        .files
        .iter()
        .filter(|f| f.name.ends_with(".crt"))
        .flat_map(pem_certs)
        .collect();
    let Some(err) = verify_with(facts, chain, &loaded) else {
        findings.extend(ignored_files(base, dir));
        return;
    };
    let evidence = CertsDir {
        directory: base.to_string(),
        files: dir.files.iter().map(|f| f.name.clone()).collect(),
        cas: loaded.iter().map(|c| c.subject.clone()).collect(),
    };
    let name = t.registry_name();
    // A CA that would verify, saved under a name Docker ignores (or as DER)?
    let misnamed = dir.files.iter().find(|f| {
        let certs = any_certs(f);
        let usable_as_is = f.name.ends_with(".crt") && !pem_certs(f).is_empty();
        !usable_as_is && !certs.is_empty() && verify_with(facts, chain, &certs).is_none()
    });
    let f = match misnamed {
        Some(f) => wrong_extension(base, f).client_error(format!(
            "Get \"https://{name}/v2/\": {}",
            err.tls_text()
        )),
        None if loaded.is_empty() => Finding::new(
            Code::CertsDMissing,
            format!(
                "{base}/ holds no CA file Docker loads (*.crt, PEM), and the server's chain (issued by \"{}\") does not verify with the system roots alone",
                needed_issuer(chain)
            ),
        )
        .client_error(Failure::verification(err.go_text()).generic(Some(t)))
        .hint(format!(
            "`cp {} '{base}/ca.crt'` on every node (the CA that issued the server's certificate); no restart needed",
            working_ca_path(facts, chain).unwrap_or_else(|| "ca.crt".into())
        )),
        None => ca_mismatch(facts, chain, base, &loaded).client_error(format!(
            "Get \"https://{name}/v2/\": {}",
            err.tls_text()
        )),
    };
    findings.push(f.evidence(evidence));
}

/// Files Docker does not read (only `*.crt`, `*.cert` and `*.key`).
fn ignored_files(base: &str, dir: &HostDir) -> Vec<Finding> {
    dir.files
        .iter()
        .filter(|f| {
            !f.is_dir
                && !f.name.ends_with(".crt")
                && !f.name.ends_with(".cert")
                && !f.name.ends_with(".key")
        })
        .map(|f| {
            Finding::new(
                Code::CertsDIgnoredFile,
                format!(
                    "{base}/{} is ignored by Docker (only *.crt, *.cert and *.key are read)",
                    f.name
                ),
            )
        })
        .collect()
}

/// A file that holds the CA that verifies, under a name (or in a form) Docker ignores.
fn wrong_extension(base: &str, f: &NodeFile) -> Finding {
    let stem = f.name.rsplit_once('.').map(|(s, _)| s).unwrap_or(&f.name);
    let der = !f.bytes.windows(11).any(|w| w == b"-----BEGIN ");
    let fix = if der {
        format!(
            "`openssl x509 -inform der -in '{base}/{}' -out '{base}/{stem}.crt'`",
            f.name
        )
    } else {
        format!("`mv '{base}/{}' '{base}/{stem}.crt'`", f.name)
    };
    let why = if der {
        "it is DER, and Docker reads only PEM"
    } else {
        "Docker only loads CA files ending in .crt"
    };
    Finding::new(
        Code::CertsDWrongExtension,
        format!(
            "{base}/{} holds the CA that verifies the server's chain, but Docker ignores it: {why}",
            f.name
        ),
    )
    .hint(format!("{fix}; no restart needed"))
}

/// The CAs Docker loads from the directory do not verify the chain.
fn ca_mismatch(facts: &super::Basis<'_>, chain: &[Cert], base: &str, loaded: &[Cert]) -> Finding {
    let have = if loaded.is_empty() {
        "no CA certificate Docker can load".to_string()
    } else {
        // A bundle of a thousand CAs is named by its first few.
        crate::text::clip_list(loaded.iter().map(|c| format!("\"{}\"", c.subject)), ", ")
    };
    let ca = working_ca_path(facts, chain).unwrap_or_else(|| "the right CA".into());
    Finding::new(
        Code::CertsDCaMismatch,
        format!(
            "{base}/ holds {have}, which does not verify the server's chain: it needs \"{}\"",
            needed_issuer(chain)
        ),
    )
    .hint(format!(
        "replace the CA: `cp {ca} '{base}/ca.crt'` (the CA that issued the server's certificate)"
    ))
}

/// `.cert` needs `<base>.key` and `.key` needs `<base>.cert` (Docker's exact errors).
fn client_pairs(facts: &Facts, base: &str, dir: &HostDir, findings: &mut Vec<Finding>) {
    let target = facts.target.as_ref().ok();
    // dockerd before 23.0 words the missing key differently.
    let legacy = facts
        .node
        .docker_version
        .as_deref()
        .and_then(crate::runtimes::parse_version)
        .is_some_and(|v| v < (23, 0));
    let has = |n: &str| dir.files.iter().any(|f| f.name == n);
    for f in &dir.files {
        if let Some(stem) = f.name.strip_suffix(".cert") {
            if has(&format!("{stem}.key")) {
                if dir.mismatched_pairs.iter().any(|m| m == stem) {
                    findings.push(
                        Finding::new(
                            Code::CertsDClientPair,
                            format!("{base}/{stem}.key is not the key of {base}/{stem}.cert: Docker fails every pull from this registry"),
                        )
                        .fails(Failure::at(Step::Config, "tls: private key does not match public key"), target)
                        .hint(format!("put the key that was generated with {stem}.cert's request in '{base}/{stem}.key' (compare `openssl x509 -noout -pubkey -in {stem}.cert` with `openssl pkey -pubout -in {stem}.key`)")),
                    );
                }
                continue;
            }
            findings.push(missing_key(base, stem, f, legacy, target));
        }
        if let Some(stem) = f.name.strip_suffix(".key")
            && !has(&format!("{stem}.cert"))
        {
            findings.push(
                Finding::new(
                    Code::CertsDClientPair,
                    format!("{base}/{stem}.key has no {stem}.cert beside it: Docker fails every pull from this registry"),
                )
                .fails(Failure::at(Step::Config, format!(
                    "missing client certificate {stem}.cert for key {stem}.key"
                )), target)
                .hint(format!("add the client certificate as '{base}/{stem}.cert', or remove the key")),
            );
        }
    }
}

/// A `.cert` without its `.key`: often a CA saved under the wrong extension.
fn missing_key(
    base: &str,
    stem: &str,
    f: &NodeFile,
    legacy: bool,
    target: Option<&Target>,
) -> Finding {
    let is_ca = any_certs(f).iter().any(|c| c.is_ca());
    let hint = if is_ca {
        format!("this file holds a CA certificate: `mv '{base}/{stem}.cert' '{base}/{stem}.crt'`")
    } else {
        format!("put the client certificate's key next to it as '{base}/{stem}.key'")
    };
    Finding::new(
        Code::CertsDClientPair,
        format!("{base}/{stem}.cert has no {stem}.key beside it: Docker fails every pull from this registry"),
    )
    .fails(
        Failure::at(
            Step::Config,
            format!(
                "missing key {stem}.key for client certificate {stem}.cert. {}",
                if legacy {
                    "Note that CA certificates should use the extension .crt"
                } else {
                    "CA certificates must use the extension .crt"
                }
            ),
        ),
        target,
    )
    .hint(hint)
}

#[cfg(test)]
pub(crate) fn examples() -> Vec<(Facts, Vec<Code>)> {
    use crate::checks::examples::pki::*;
    use crate::checks::examples::*;
    let root = ca("Registry CA", NOW);
    let other = ca("Other CA", NOW);
    let l = leaf(&root, &["10.0.0.5"], NOW);
    let ca_pem = root.pem.clone().into_bytes();
    let f = |dirs: Dirs<'_>| {
        let mut f = with_chain(facts_for("10.0.0.5:5000"), vec![l.der.clone()]);
        f.node.docker_certs_d = certs_root("/etc/docker/certs.d", dirs);
        f
    };
    let insecure = with_daemon_json(
        f(vec![("10.0.0.5:5000", vec![("ca.crt", ca_pem.clone())])]),
        r#"{"insecure-registries": ["10.0.0.5:5000"]}"#,
    );
    let mut fifo = f(vec![("10.0.0.5:5000", vec![("ca.crt", ca_pem.clone())])]);
    unreadable(
        &mut fifo.node.docker_certs_d,
        "ca.crt",
        "it is not a regular file (a device, pipe or socket)",
    );
    vec![
        (
            f(vec![("10.0.0.5:5000", vec![("ca.crt", ca_pem.clone())])]),
            vec![],
        ),
        (fifo, vec![Code::CertsDFileUnreadable, Code::CertsDMissing]),
        (f(vec![]), vec![Code::CertsDMissing]),
        (
            f(vec![("10.0.0.5", vec![("ca.crt", ca_pem.clone())])]),
            vec![Code::CertsDDirMisnamed],
        ),
        (
            f(vec![("10.0.0.5:5000", vec![("ca.pem", ca_pem.clone())])]),
            vec![Code::CertsDWrongExtension],
        ),
        (
            f(vec![(
                "10.0.0.5:5000",
                vec![("ca.crt", other.pem.clone().into_bytes())],
            )]),
            vec![Code::CertsDCaMismatch],
        ),
        (
            f(vec![(
                "10.0.0.5:5000",
                vec![
                    ("ca.crt", ca_pem.clone()),
                    ("client.cert", l.pem.clone().into_bytes()),
                ],
            )]),
            vec![Code::CertsDClientPair],
        ),
        (insecure, vec![Code::CertsDNotRead]),
        (
            f(vec![(
                "10.0.0.5:5000",
                vec![("ca.crt", ca_pem.clone()), ("README", b"notes".to_vec())],
            )]),
            vec![Code::CertsDIgnoredFile],
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::examples::pki::*;
    use crate::checks::examples::*;

    #[test]
    fn dir_without_port_is_named_with_the_mv_command() {
        let root = ca("Registry CA", NOW);
        let l = leaf(&root, &["10.0.0.5"], NOW);
        let mut f = with_chain(facts_for("10.0.0.5:5000"), vec![l.der]);
        f.node.docker_certs_d = certs_root(
            "/etc/docker/certs.d",
            vec![("10.0.0.5", vec![("ca.crt", root.pem.into_bytes())])],
        );
        let out = findings_of(&CertsD, &f);
        assert!(
            out[0]
                .message
                .contains("there is /etc/docker/certs.d/10.0.0.5/"),
            "{}",
            out[0].message
        );
        assert!(
            out[0]
                .hint
                .as_deref()
                .unwrap()
                .contains("mv '/etc/docker/certs.d/10.0.0.5' '/etc/docker/certs.d/10.0.0.5:5000'")
        );
    }

    #[test]
    fn a_client_key_that_does_not_match_its_certificate() {
        let root = ca("Registry CA", NOW);
        let l = leaf(&root, &["10.0.0.5"], NOW);
        let other = leaf(&root, &["10.0.0.6"], NOW);
        let mut f = with_chain(facts_for("10.0.0.5:5000"), vec![l.der.clone()]);
        let dir = |key: &str| {
            vec![(
                "10.0.0.5:5000",
                vec![
                    ("ca.crt", root.pem.clone().into_bytes()),
                    ("client.cert", l.pem.clone().into_bytes()),
                    ("client.key", key.as_bytes().to_vec()),
                ],
            )]
        };
        f.node.docker_certs_d = certs_root("/etc/docker/certs.d", dir(&other.key_pem));
        let out = findings_of(&CertsD, &f);
        assert_eq!(
            out[0].client_error.as_deref(),
            Some("Error response from daemon: tls: private key does not match public key")
        );
        f.node.docker_certs_d = certs_root("/etc/docker/certs.d", dir(&l.key_pem));
        assert!(findings_of(&CertsD, &f).is_empty());
    }

    #[test]
    fn ca_saved_as_cert_is_a_client_pair_error_with_the_rename() {
        let root = ca("Registry CA", NOW);
        let l = leaf(&root, &["10.0.0.5"], NOW);
        let mut f = with_chain(facts_for("10.0.0.5:5000"), vec![l.der]);
        f.node.docker_certs_d = certs_root(
            "/etc/docker/certs.d",
            vec![("10.0.0.5:5000", vec![("ca.cert", root.pem.into_bytes())])],
        );
        let out = findings_of(&CertsD, &f);
        assert_eq!(out[0].code, Code::CertsDClientPair);
        assert_eq!(
            out[0].client_error.as_deref(),
            Some(
                "Error response from daemon: missing key ca.key for client certificate ca.cert. CA certificates must use the extension .crt"
            )
        );
        assert!(out[0].hint.as_deref().unwrap().contains("mv '/etc/docker/certs.d/10.0.0.5:5000/ca.cert' '/etc/docker/certs.d/10.0.0.5:5000/ca.crt'"));
    }
}
