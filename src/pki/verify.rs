//! Go's `x509.Certificate.Verify`, reproduced: which error a Go client prints for a
//! presented chain, a set of roots, a host and a time.
//!
//! Order (Go `verify.go`): the leaf's critical extensions Go does not handle, then its
//! validity dates; the host name; if the leaf is byte-identical to a root it is trusted
//! as is (leaf-in-roots); else chains are built, trying for each certificate the roots,
//! then the presented intermediates, whose subject equals its issuer (matching key ids
//! first). Like Go's `CertPool`, each pool holds a certificate once however often it was
//! given, and a candidate with the subject, key and SANs of a certificate already in the
//! chain is skipped (`alreadyInChain`). A candidate whose signature fails, or that is
//! itself invalid, becomes the "possibly because of" hint; an invalid candidate's error
//! replaces "unknown authority", as in Go. The signature check is Go's
//! `CheckSignatureFrom`, which first refuses a parent that may not sign certificates (no
//! CA:TRUE on a v3 certificate, a keyUsage without keyCertSign): Go then says "unknown
//! authority (possibly because of ... parent certificate cannot sign ...)", and says
//! "not authorized to sign" only for a v1 certificate used as an intermediate. Finally
//! the extended key usage.
//!
//! Unhandled critical extensions are Go 1.19's (see [`super::goparse`]): Go 1.22 and
//! later also handle the policy extensions.

use std::net::IpAddr;

use super::cert::{Cert, check_signature};
use crate::target::Host;

/// Go's limit on signature checks while building chains.
const MAX_SIGNATURE_CHECKS: usize = 100;

/// A host-name mismatch, in Go's five flavours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostnameError {
    /// No SAN extension, and the CN matches: Go ≥ 1.17 refuses the CN.
    CnOnly {
        /// The dialled host.
        host: String,
    },
    /// The target is an IP and the certificate has no IP SANs.
    NoIpSans {
        /// The dialled IP.
        ip: IpAddr,
    },
    /// The target IP is not among the IP SANs.
    IpMismatch {
        /// The dialled IP.
        ip: IpAddr,
        /// The certificate's IP SANs.
        valid: Vec<IpAddr>,
    },
    /// The DNS name is not matched by any DNS SAN.
    DnsMismatch {
        /// The dialled name.
        host: String,
        /// The certificate's DNS SANs.
        valid: Vec<String>,
    },
    /// The DNS name was wanted and the certificate has no DNS names.
    NoNames {
        /// The dialled name.
        host: String,
    },
}

impl HostnameError {
    /// Go's `HostnameError.Error()`.
    pub fn go_text(&self) -> String {
        match self {
            HostnameError::CnOnly { .. } => {
                "x509: certificate relies on legacy Common Name field, use SANs instead".into()
            }
            HostnameError::NoIpSans { ip } => format!(
                "x509: cannot validate certificate for {ip} because it doesn't contain any IP SANs"
            ),
            // Go names every SAN; the report names as many as fit (10,000 IP SANs made
            // a 139 KB line).
            HostnameError::IpMismatch { ip, valid } => format!(
                "x509: certificate is valid for {}, not {ip}",
                crate::text::clip_list(valid.iter().map(ToString::to_string), ", ")
            ),
            HostnameError::DnsMismatch { host, valid } => {
                format!(
                    "x509: certificate is valid for {}, not {host}",
                    crate::text::clip_list(valid, ", ")
                )
            }
            HostnameError::NoNames { host } => {
                format!("x509: certificate is not valid for any names, but wanted to match {host}")
            }
        }
    }
}

/// The single error Go returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GoError {
    /// A certificate is outside its validity period.
    Expired {
        /// Which certificate (display name).
        subject: String,
        /// The verification time.
        now: i64,
        /// notBefore or notAfter.
        bound: i64,
        /// True for "before notBefore".
        not_yet: bool,
    },
    /// The leaf does not match the host.
    Hostname(HostnameError),
    /// No chain to a root.
    UnknownAuthority {
        /// Go's hint: the error and the candidate's name.
        hint: Option<(String, String)>,
    },
    /// A non-CA certificate was used as an issuer.
    NotAuthorizedToSign,
    /// Path length constraint violated.
    TooManyIntermediates,
    /// No chain allows serverAuth.
    IncompatibleUsage,
    /// Go's signature-check limit.
    SignatureLimit,
    /// A certificate has a critical extension Go does not handle.
    UnhandledCriticalExtension {
        /// Which certificate (display name).
        subject: String,
        /// The extensions, as dotted OIDs.
        oids: Vec<String>,
    },
}

impl GoError {
    /// The exact text of Go's error (crypto/x509 layer only).
    pub fn go_text(&self) -> String {
        match self {
            GoError::Expired {
                now,
                bound,
                not_yet,
                ..
            } => format!(
                "x509: certificate has expired or is not yet valid: current time {} is {} {}",
                super::rfc3339(*now),
                if *not_yet { "before" } else { "after" },
                super::rfc3339(*bound)
            ),
            GoError::Hostname(h) => h.go_text(),
            GoError::UnknownAuthority { hint: None } => {
                "x509: certificate signed by unknown authority".into()
            }
            GoError::UnknownAuthority {
                hint: Some((err, name)),
            } => format!(
                "x509: certificate signed by unknown authority (possibly because of {err:?} while trying to verify candidate authority certificate {name:?})"
            ),
            GoError::NotAuthorizedToSign => {
                "x509: certificate is not authorized to sign other certificates".into()
            }
            GoError::TooManyIntermediates => {
                "x509: too many intermediates for path length constraint".into()
            }
            GoError::IncompatibleUsage => {
                "x509: certificate specifies an incompatible key usage".into()
            }
            GoError::SignatureLimit => {
                "x509: signature check attempts limit reached while verifying certificate chain"
                    .into()
            }
            GoError::UnhandledCriticalExtension { .. } => {
                "x509: unhandled critical extension".into()
            }
        }
    }

    /// The line Docker ≥ 23 / containerd print, wrapped by Go ≥ 1.20's crypto/tls.
    pub fn tls_text(&self) -> String {
        format!("tls: failed to verify certificate: {}", self.go_text())
    }
}

/// What Go decided.
#[derive(Debug, Clone)]
pub struct GoVerdict {
    /// `None` when Go accepts the chain.
    pub error: Option<GoError>,
    /// The verified chains, as indices: `Presented(i)` or `Root(i)`, leaf first.
    pub chains: Vec<Vec<Node>>,
    /// The leaf was accepted because it is byte-identical to a root.
    pub leaf_in_roots: bool,
}

impl GoVerdict {
    /// Go refuses the chain with this error.
    fn failed(e: GoError) -> GoVerdict {
        GoVerdict {
            error: Some(e),
            chains: vec![],
            leaf_in_roots: false,
        }
    }
}

/// A certificate in a chain: presented by the server, or from the roots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Node {
    /// Index into the presented chain.
    Presented(usize),
    /// Index into the roots.
    Root(usize),
}

/// Runs Go's verification. `presented[0]` is the leaf; `host` is the dialled host (None
/// skips the host check).
pub fn verify(presented: &[Cert], roots: &[Cert], host: Option<&Host>, now: i64) -> GoVerdict {
    let Some(leaf) = presented.first() else {
        return GoVerdict::failed(GoError::UnknownAuthority { hint: None });
    };
    if let Some(e) = unhandled_error(leaf) {
        return GoVerdict::failed(e);
    }
    if let Some(e) = validity_error(leaf, now) {
        return GoVerdict::failed(e);
    }
    if let Some(host) = host
        && let Err(h) = verify_hostname(leaf, host)
    {
        return GoVerdict::failed(GoError::Hostname(h));
    }
    verify_chain(presented, roots, now)
}

/// Go's chain building alone (the leaf's unhandled critical extensions, leaf-in-roots,
/// candidates, extended key usage), without the leaf's dates and host name: what the
/// `ca-chain` check judges.
pub fn verify_chain(presented: &[Cert], roots: &[Cert], now: i64) -> GoVerdict {
    let Some(leaf) = presented.first() else {
        return GoVerdict::failed(GoError::UnknownAuthority { hint: None });
    };
    if let Some(e) = unhandled_error(leaf) {
        return GoVerdict::failed(e);
    }
    let leaf_in_roots = roots.iter().any(|r| r.der == leaf.der);
    let candidates = if leaf_in_roots {
        vec![vec![Node::Presented(0)]]
    } else {
        let mut builder = Builder {
            presented,
            roots,
            now,
            sig_checks: 0,
        };
        match builder.build(vec![Node::Presented(0)]) {
            Ok(chains) => chains,
            Err(e) => return GoVerdict::failed(e),
        }
    };
    let chains: Vec<Vec<Node>> = candidates
        .into_iter()
        .filter(|chain| chain_allows_server_auth(chain, presented, roots))
        .collect();
    if chains.is_empty() {
        return GoVerdict::failed(GoError::IncompatibleUsage);
    }
    GoVerdict {
        error: None,
        chains,
        leaf_in_roots,
    }
}

/// Go's first `isValid` check: a critical extension its parser did not handle.
pub fn unhandled_error(c: &Cert) -> Option<GoError> {
    (!c.go.unhandled_critical.is_empty()).then(|| GoError::UnhandledCriticalExtension {
        subject: c.display_name(),
        oids: c.go.unhandled_critical.clone(),
    })
}

/// Go's `isValid` date check.
pub fn validity_error(c: &Cert, now: i64) -> Option<GoError> {
    if now < c.not_before {
        Some(GoError::Expired {
            subject: c.display_name(),
            now,
            bound: c.not_before,
            not_yet: true,
        })
    } else if now > c.not_after {
        Some(GoError::Expired {
            subject: c.display_name(),
            now,
            bound: c.not_after,
            not_yet: false,
        })
    } else {
        None
    }
}

/// Go's `VerifyHostname` (no Common Name fallback).
pub fn verify_hostname(c: &Cert, host: &Host) -> Result<(), HostnameError> {
    match host {
        Host::Ip(ip) => {
            if c.ip_sans
                .iter()
                .any(|s| s.to_canonical() == ip.to_canonical())
            {
                return Ok(());
            }
            if !c.has_san_ext && cn_matches(c, &ip.to_string()) {
                return Err(HostnameError::CnOnly {
                    host: ip.to_string(),
                });
            }
            if c.ip_sans.is_empty() {
                Err(HostnameError::NoIpSans { ip: *ip })
            } else {
                Err(HostnameError::IpMismatch {
                    ip: *ip,
                    valid: c.ip_sans.clone(),
                })
            }
        }
        Host::Name(name) => {
            let wanted = name.trim_end_matches('.').to_ascii_lowercase();
            if c.dns_sans.iter().any(|p| match_hostname(p, &wanted)) {
                return Ok(());
            }
            if !c.has_san_ext && cn_matches(c, &wanted) {
                return Err(HostnameError::CnOnly { host: name.clone() });
            }
            if c.dns_sans.is_empty() {
                Err(HostnameError::NoNames { host: name.clone() })
            } else {
                Err(HostnameError::DnsMismatch {
                    host: name.clone(),
                    valid: c.dns_sans.clone(),
                })
            }
        }
    }
}

fn cn_matches(c: &Cert, host: &str) -> bool {
    c.common_name
        .as_deref()
        .is_some_and(|cn| match_hostname(cn, host))
}

/// Go's `matchHostnames`: case-insensitive, `*` only as the whole left-most label.
pub fn match_hostname(pattern: &str, host: &str) -> bool {
    let pattern = pattern.to_ascii_lowercase();
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if pattern.is_empty() || host.is_empty() {
        return false;
    }
    let p: Vec<&str> = pattern.split('.').collect();
    let h: Vec<&str> = host.split('.').collect();
    if p.len() != h.len() {
        return false;
    }
    p.iter()
        .zip(&h)
        .enumerate()
        .all(|(i, (pp, hp))| (i == 0 && *pp == "*" && !hp.is_empty()) || pp == hp)
}

struct Builder<'a> {
    presented: &'a [Cert],
    roots: &'a [Cert],
    now: i64,
    sig_checks: usize,
}

impl Builder<'_> {
    fn cert(&self, n: Node) -> &Cert {
        match n {
            Node::Presented(i) => &self.presented[i],
            Node::Root(i) => &self.roots[i],
        }
    }

    /// Candidate parents in Go's order: same key id, then one side without a key id,
    /// then mismatched key ids.
    fn potential_parents(&self, child: &Cert, pool: &[(Node, &Cert)]) -> Vec<Node> {
        let mut ranked: Vec<(u8, Node)> = pool
            .iter()
            .filter(|(_, c)| c.subject_raw == child.issuer_raw)
            .map(|(n, c)| {
                let rank = match (&c.ski, &child.aki) {
                    (a, b) if a == b => 0,
                    (None, Some(_)) | (Some(_), None) => 1,
                    _ => 2,
                };
                (rank, *n)
            })
            .collect();
        ranked.sort_by_key(|(r, _)| *r);
        ranked.into_iter().map(|(_, n)| n).collect()
    }

    fn build(&mut self, chain: Vec<Node>) -> Result<Vec<Vec<Node>>, GoError> {
        let Some(&last) = chain.last() else {
            return Err(GoError::UnknownAuthority { hint: None });
        };
        let child = self.cert(last).clone();
        let mut chains = Vec::new();
        let mut err: Option<GoError> = None;
        let mut hint: Option<(String, String)> = None;
        for (is_root, cand) in self.candidates(&child) {
            let cand_cert = self.cert(cand).clone();
            if chain
                .iter()
                .any(|n| already_in_chain(&cand_cert, self.cert(*n)))
            {
                continue;
            }
            self.sig_checks += 1;
            if self.sig_checks > MAX_SIGNATURE_CHECKS {
                err = Some(GoError::SignatureLimit);
                continue;
            }
            if let Err(e) = check_signature_from(&child, &cand_cert) {
                if hint.is_none() {
                    hint = Some((e, cand_cert.go_name()));
                }
                continue;
            }
            match self.candidate_error(&cand_cert, is_root, chain.len()) {
                Some(e) => {
                    if hint.is_none() {
                        hint = Some((e.go_text(), cand_cert.go_name()));
                    }
                    err = Some(e);
                    continue;
                }
                None => err = None,
            }
            let mut next = chain.clone();
            next.push(cand);
            if is_root {
                chains.push(next);
            } else {
                match self.build(next) {
                    Ok(mut c) => chains.append(&mut c),
                    Err(e) => err = Some(e),
                }
            }
        }
        if !chains.is_empty() {
            return Ok(chains);
        }
        Err(err.unwrap_or(GoError::UnknownAuthority { hint }))
    }

    /// The potential parents of `child`, roots first (true), then the presented
    /// intermediates (false), each pool in Go's order.
    fn candidates(&self, child: &Cert) -> Vec<(bool, Node)> {
        let roots = pool(
            self.roots
                .iter()
                .enumerate()
                .map(|(i, c)| (Node::Root(i), c)),
        );
        // Go puts every presented certificate except the leaf into the intermediates pool.
        let inters = pool(
            self.presented
                .iter()
                .enumerate()
                .skip(1)
                .map(|(i, c)| (Node::Presented(i), c)),
        );
        let root_parents = self.potential_parents(child, &roots);
        let inter_parents = self.potential_parents(child, &inters);
        root_parents
            .into_iter()
            .map(|n| (true, n))
            .chain(inter_parents.into_iter().map(|n| (false, n)))
            .collect()
    }

    /// Go's `isValid` for an intermediate or root candidate.
    fn candidate_error(&self, c: &Cert, is_root: bool, chain_len: usize) -> Option<GoError> {
        if let Some(e) = unhandled_error(c) {
            return Some(e);
        }
        if let Some(e) = validity_error(c, self.now) {
            return Some(e);
        }
        if !is_root && !c.is_ca() {
            return Some(GoError::NotAuthorizedToSign);
        }
        if let Some((true, Some(max))) = c.basic_constraints {
            let intermediates = chain_len.saturating_sub(1);
            if intermediates > max as usize {
                return Some(GoError::TooManyIntermediates);
            }
        }
        None
    }
}

/// Go's `ConstraintViolationError`: the parent may not sign certificates.
pub const PARENT_CANNOT_SIGN: &str =
    "x509: invalid signature: parent certificate cannot sign this kind of certificate";

/// Go's `CheckSignatureFrom`: the parent must be allowed to sign certificates (a v3
/// certificate needs basicConstraints CA:TRUE, a keyUsage must include keyCertSign) and
/// have a key Go knows, before the signature itself is checked. The error is Go's text.
pub fn check_signature_from(child: &Cert, parent: &Cert) -> Result<(), String> {
    let g = &parent.go;
    if (g.version == 3 && !g.basic_constraints_valid) || (g.basic_constraints_valid && !g.is_ca) {
        return Err(PARENT_CANNOT_SIGN.into());
    }
    if g.key_usage != 0 && g.key_usage & KEY_USAGE_CERT_SIGN == 0 {
        return Err(PARENT_CANNOT_SIGN.into());
    }
    if !g.known_key_algorithm {
        return Err("x509: cannot verify signature: algorithm unimplemented".into());
    }
    check_signature(child, parent).map_err(|e| e.go_text())
}

/// Go's `KeyUsageCertSign`.
const KEY_USAGE_CERT_SIGN: u32 = 1 << 5;

/// A `CertPool`: each certificate once (Go's `AddCert` drops a byte-identical copy), in
/// the order given.
fn pool<'a>(certs: impl Iterator<Item = (Node, &'a Cert)>) -> Vec<(Node, &'a Cert)> {
    let mut out: Vec<(Node, &Cert)> = Vec::new();
    for (n, c) in certs {
        if !out.iter().any(|(_, seen)| seen.der == c.der) {
            out.push((n, c));
        }
    }
    out
}

/// Go's `alreadyInChain`: same subject, same public key, and the same subjectAltName
/// extension (or none on both).
fn already_in_chain(candidate: &Cert, in_chain: &Cert) -> bool {
    candidate.subject_raw == in_chain.subject_raw
        && candidate.key_kind == in_chain.key_kind
        && candidate.key_bytes == in_chain.key_bytes
        && candidate.go.san_value == in_chain.go.san_value
}

fn chain_allows_server_auth(chain: &[Node], presented: &[Cert], roots: &[Cert]) -> bool {
    chain.iter().all(|n| {
        let c = match n {
            Node::Presented(i) => &presented[*i],
            Node::Root(i) => &roots[*i],
        };
        match c.eku {
            None => true,
            Some((any, server_auth)) => any || server_auth,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::examples::NOW;
    use crate::checks::examples::pki::*;

    fn cert(der: &[u8]) -> Cert {
        Cert::parse(der).unwrap()
    }

    fn critical_private(mut p: rcgen::CertificateParams) -> rcgen::CertificateParams {
        let mut e =
            rcgen::CustomExtension::from_oid_content(&[1, 3, 6, 1, 4, 1, 55555, 1], vec![5, 0]);
        e.set_criticality(true);
        p.custom_extensions.push(e);
        p
    }

    #[test]
    fn an_unhandled_critical_extension_on_the_leaf_comes_before_its_dates() {
        let root = ca("Registry CA", NOW);
        let expired = leaf_with(
            &root,
            critical_private(params("registry", &["10.0.0.5"], NOW - 9 * DAY, NOW - DAY)),
        );
        let host = Host::Ip("10.0.0.5".parse().unwrap());
        let v = verify(&[cert(&expired.der)], &[cert(&root.der)], Some(&host), NOW);
        let e = v.error.unwrap();
        assert_eq!(e.go_text(), "x509: unhandled critical extension");
        assert!(matches!(
            e,
            GoError::UnhandledCriticalExtension { ref oids, .. } if oids == &["1.3.6.1.4.1.55555.1"]
        ));
        // The chain check alone sees it too (ca-chain reports it).
        let v = verify_chain(&[cert(&expired.der)], &[cert(&root.der)], NOW);
        assert!(matches!(
            v.error,
            Some(GoError::UnhandledCriticalExtension { .. })
        ));
    }

    #[test]
    fn an_unhandled_critical_extension_on_a_candidate_fails_the_chain() {
        let root = ca("Registry CA", NOW);
        let key = rcgen::KeyPair::generate().unwrap();
        let mut p = params("Registry Intermediate", &[], NOW - DAY, NOW + 365 * DAY);
        p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let p = critical_private(p);
        let inter_der = p.signed_by(&key, &root.issuer).unwrap().der().to_vec();
        let inter = Ca {
            der: inter_der.clone(),
            pem: String::new(),
            issuer: rcgen::Issuer::new(p, key),
        };
        let l = leaf(&inter, &["10.0.0.5"], NOW);
        let v = verify_chain(&[cert(&l.der), cert(&inter_der)], &[cert(&root.der)], NOW);
        assert_eq!(
            v.error.map(|e| e.go_text()).as_deref(),
            Some("x509: unhandled critical extension")
        );
    }

    #[test]
    fn copies_of_one_presented_certificate_count_once_as_in_go_s_cert_pool() {
        let root = ca("Registry CA", NOW);
        let inter = intermediate(&root, "Registry Intermediate", NOW);
        let l = leaf(&inter, &["10.0.0.5"], NOW);
        let fake = ca("Registry Intermediate", NOW);
        let roots = [cert(&root.der)];
        let mut chain = vec![cert(&l.der)];
        chain.extend(std::iter::repeat_n(cert(&fake.der), 120));
        let v = verify_chain(&chain, &roots, NOW);
        assert_eq!(
            v.error.map(|e| e.go_text()).as_deref(),
            Some(
                "x509: certificate signed by unknown authority (possibly because of \"x509: ECDSA verification failure\" while trying to verify candidate authority certificate \"Registry Intermediate\")"
            )
        );
        chain.push(cert(&inter.der));
        assert!(verify_chain(&chain, &roots, NOW).error.is_none());
        // 120 different certificates with that name are 120 signature checks: Go's limit.
        let mut chain = vec![cert(&l.der)];
        chain.extend((0..120).map(|_| cert(&ca("Registry Intermediate", NOW).der)));
        chain.push(cert(&inter.der));
        assert_eq!(
            verify_chain(&chain, &roots, NOW).error,
            Some(GoError::SignatureLimit)
        );
    }

    #[test]
    fn a_parent_that_may_not_sign_fails_go_s_check_signature_from() {
        let root = ca("Registry CA", NOW);
        let mut p = params("Signer", &[], NOW - DAY, NOW + 365 * DAY);
        p.is_ca = rcgen::IsCa::ExplicitNoCa;
        let key = rcgen::KeyPair::generate().unwrap();
        let signer_der = p.signed_by(&key, &root.issuer).unwrap().der().to_vec();
        let signer = Ca {
            der: signer_der.clone(),
            pem: String::new(),
            issuer: rcgen::Issuer::new(p, key),
        };
        let l = leaf(&signer, &["10.0.0.5"], NOW);
        assert_eq!(
            check_signature_from(&cert(&l.der), &cert(&signer_der)),
            Err(PARENT_CANNOT_SIGN.to_string())
        );
        // The signature itself is good: only Go's CA rule refuses it.
        assert!(check_signature(&cert(&l.der), &cert(&signer_der)).is_ok());
        let v = verify_chain(&[cert(&l.der), cert(&signer_der)], &[cert(&root.der)], NOW);
        assert_eq!(
            v.error,
            Some(GoError::UnknownAuthority {
                hint: Some((PARENT_CANNOT_SIGN.into(), "Signer".into()))
            })
        );
        // A CA whose keyUsage lacks keyCertSign is refused the same way.
        let mut c = cert(&root.der);
        c.go.key_usage = 1;
        assert_eq!(
            check_signature_from(&cert(&l.der), &c),
            Err(PARENT_CANNOT_SIGN.to_string())
        );
    }

    #[test]
    fn already_in_chain_compares_subject_key_and_sans() {
        let root = ca("Registry CA", NOW);
        let a = cert(&root.der);
        let mut b = a.clone();
        b.der.push(0);
        assert!(already_in_chain(&a, &b));
        b.key_bytes[5] ^= 1;
        assert!(!already_in_chain(&a, &b));
        let mut c = a.clone();
        c.go.san_value = Some(vec![0x30, 0x00]);
        assert!(!already_in_chain(&a, &c));
    }
}
