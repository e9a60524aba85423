//! Helpers shared by the node-configuration checks (certs-d, containerd-hosts): which
//! CAs a directory offers and whether they, with the system roots, verify the chain.

use super::Basis;
use crate::facts::node::NodeFile;
use crate::facts::{Facts, TlsOutcome};
use crate::pki::{Cert, GoError, bundle, verify_chain};
use crate::target::Scheme;

/// Go's chain verdict with the system roots (parsed once, in the basis) plus `extra` (how
/// the runtimes add configured CAs to the system pool).
pub fn verify_with(facts: &Basis<'_>, chain: &[Cert], extra: &[Cert]) -> Option<GoError> {
    let mut roots = facts.trust.system_roots.clone();
    roots.extend(extra.iter().cloned());
    verify_chain(chain, &roots, facts.now).error
}

/// "; N other entries of ROOT were not read", when a root held more than regdoctor
/// lists (the target's own directory is always looked up by name, so this only limits
/// the near-name suggestion).
pub fn unread_note(root: &crate::facts::node::CertsRoot) -> String {
    match root.unread {
        0 => String::new(),
        n => format!(
            "; {} holds more directories than regdoctor lists: {n} other entries were not read, so a directory with a near name among them is not suggested",
            root.root
        ),
    }
}

/// What a file regdoctor refused to read (`why`, from [`crate::local::LoadError::reason`])
/// does to a runtime that reads it with Go's `os.ReadFile` at every pull.
pub fn unreadable_consequence(runtime: &str, why: &str) -> String {
    let when = if runtime == "Docker's daemon" || runtime == "containerd's daemon" {
        "when it starts"
    } else {
        "at every pull"
    };
    if why.starts_with("it is not a regular file") {
        format!(
            "{runtime} reads it with Go's os.ReadFile {when}: a pipe blocks it until something writes to the pipe, and a device such as /dev/zero is read until memory runs out"
        )
    } else if why.starts_with("it is larger than") {
        format!(
            "regdoctor did not read past its size limit and did not judge it ({runtime} reads it whole; such a file is a few KiB)"
        )
    } else {
        format!("regdoctor cannot judge it ({runtime} runs as root and may still read it)")
    }
}

/// A node file or directory found by default that regdoctor did not read, as a finding.
pub fn unreadable_source<T>(
    source: &crate::facts::node::Source<T>,
    code: crate::codes::Code,
    runtime: &str,
    what: &str,
) -> Option<crate::finding::Finding> {
    match source {
        crate::facts::node::Source::Unreadable { path, why } => {
            Some(unreadable_file(code, runtime, path, what, why))
        }
        _ => None,
    }
}

/// A pipe or a device that `runtime` reads with os.ReadFile at every pull blocks the pull
/// (or runs it out of memory): the client prints nothing until it is stopped (observed
/// with ctr on a FIFO hosts.toml and dockerd on a FIFO ca.crt), so the finding fails that
/// runtime's pull.
pub fn blocked(
    facts: &Facts,
    runtime: crate::facts::Runtime,
    finding: crate::finding::Finding,
    path: &str,
    why: &str,
) -> crate::finding::Finding {
    if !why.starts_with("it is not a regular file") {
        return finding;
    }
    let failure = crate::runtimes::line::Failure::at(
        crate::runtimes::line::Step::Blocked,
        format!(
            "(no error: the pull hangs while {} reads {path}, a pipe or a device, until the client gives up)",
            runtime.display_name()
        ),
    );
    finding.fails_for(runtime, failure, facts.target.as_ref().ok())
}

/// A certs.d root found on the node that regdoctor could not list (a file where the
/// directory belongs, no permission), as a finding: nothing under it was judged.
pub fn unreadable_root<T>(
    source: &crate::facts::node::Source<T>,
    code: crate::codes::Code,
    runtime: &str,
) -> Option<crate::finding::Finding> {
    let crate::facts::node::Source::Unreadable { path, why } = source else {
        return None;
    };
    Some(
        crate::finding::Finding::new(
            code,
            format!(
                "regdoctor could not list {path}: {why}; the registries' directories {runtime} looks for under it were not judged"
            ),
        )
        .hint(format!(
            "`ls -ld '{path}'` shows what it is: it must be a directory holding one directory per registry (host:port)"
        )),
    )
}

/// A file of a certs.d directory that regdoctor did not read, as a finding.
pub fn unreadable_file(
    code: crate::codes::Code,
    runtime: &str,
    path: &str,
    what: &str,
    why: &str,
) -> crate::finding::Finding {
    crate::finding::Finding::new(
        code,
        format!(
            "regdoctor did not read {path}: {why}; {}",
            unreadable_consequence(runtime, why)
        ),
    )
    .hint(format!(
        "`ls -lL '{path}'` shows what it is: make it a regular file holding {what}"
    ))
}

/// The PEM certificates of a file (Go's `AppendCertsFromPEM`: DER is ignored).
pub fn pem_certs(f: &NodeFile) -> Vec<Cert> {
    if f.bytes.windows(11).any(|w| w == b"-----BEGIN ") {
        bundle::parse(&f.bytes).certs
    } else {
        vec![]
    }
}

/// Any certificates in a file, PEM or DER (to find a CA saved under the wrong name).
pub fn any_certs(f: &NodeFile) -> Vec<Cert> {
    bundle::parse(&f.bytes).certs
}

/// The target speaks plain HTTP (asked for, or found).
pub fn plain_http(facts: &Facts) -> bool {
    facts
        .target
        .as_ref()
        .is_ok_and(|t| t.scheme == Scheme::Http)
        || matches!(
            facts.tls.as_ref().map(|t| &t.outcome),
            Some(TlsOutcome::PlainHttp { .. })
        )
}

/// The issuer the chain needs: the issuer of the last certificate the server sent.
pub fn needed_issuer(chain: &[Cert]) -> String {
    chain
        .last()
        .map(|c| crate::text::clip(&c.issuer).into_owned())
        .unwrap_or_default()
}

/// A CA the user gave with --ca, when it verifies the chain: the file to copy.
pub fn working_ca_path(facts: &Basis<'_>, chain: &[Cert]) -> Option<String> {
    let ca = facts.ca_file.as_ref()?;
    let certs = bundle::parse(&ca.bytes).certs;
    verify_with(facts, chain, &certs)
        .is_none()
        .then(|| ca.path.clone())
}
