//! `ca-file`: the `--ca` bundle holds CA certificates (PEM or DER), and they are valid.

use super::{Check, Outcome};
use crate::codes::{CheckId, Code};
use crate::facts::Facts;
use crate::finding::Finding;
use crate::finding::evidence::Bundle;
use crate::pki::Cert;
use crate::pki::bundle::{self, BundleContents};

/// The check.
pub struct CaFile;

impl Check for CaFile {
    fn id(&self) -> CheckId {
        CheckId::CaFile
    }
    fn title(&self) -> &'static str {
        "the --ca bundle holds valid CA certificates"
    }
    fn doc(&self) -> &'static str {
        include_str!("../../checks/ca-file.md")
    }
    fn run(&self, facts: &super::Basis<'_>) -> Outcome {
        let Some(ca) = &facts.ca_file else {
            return Outcome::Skip(match &facts.system_roots {
                Some(s) => format!(
                    "no --ca given: the chain is judged against the system roots ({}), as the runtimes do without a configured CA",
                    s.source
                ),
                None => "no --ca given, and no system trust store was found".into(),
            });
        };
        let path = ca.path.as_str();
        let b = bundle::parse(&ca.bytes);
        if b.empty {
            return Outcome::Findings(vec![
                Finding::new(Code::CaEmpty, format!("{path} is empty"))
                    .hint(export_hint(facts))
                    .evidence(evidence(path, &b, None)),
            ]);
        }
        let mut findings = Vec::new();
        findings.extend(private_key(path, &b));
        findings.extend(no_certificate(facts, path, &b));
        findings.extend(der_bundle(path, &b));
        let presented_leaf = facts.tls.as_ref().and_then(|t| t.chain.first());
        for (i, c) in b.certs.iter().enumerate() {
            findings.extend(ca_expired(facts, path, i, c));
            if !c.is_ca() {
                findings.push(not_a_ca(path, i, c, presented_leaf));
            }
        }
        Outcome::Findings(findings)
    }
}

/// The bundle as evidence.
fn evidence(path: &str, b: &BundleContents, problem: Option<String>) -> Bundle {
    Bundle {
        path: path.to_string(),
        certificates: b.certs.iter().map(|c| c.summary()).collect(),
        private_keys: b.private_keys.clone(),
        problem,
    }
}

/// A private key in the bundle.
fn private_key(path: &str, b: &BundleContents) -> Option<Finding> {
    let kind = b.private_keys.first()?;
    let also = match b.certs.len() {
        0 => String::from(" and no certificate"),
        n => format!(" next to {n} certificate(s)"),
    };
    Some(
        Finding::new(
            Code::CaPrivateKey,
            format!("{path} holds a private key ({kind}){also}: a CA bundle must hold only certificates, and a private key must never be copied to the nodes"),
        )
        .hint(format!(
            "give the CA certificate instead (the file that begins with -----BEGIN CERTIFICATE-----, often ca.crt); keep the key on the CA host only. To keep only the certificates of this file: `openssl crl2pkcs7 -nocrl -certfile {path} | openssl pkcs7 -print_certs -out ca-only.crt`"
        ))
        .evidence(evidence(path, b, None)),
    )
}

/// Neither a certificate nor a key: why.
fn no_certificate(facts: &Facts, path: &str, b: &BundleContents) -> Option<Finding> {
    if !b.certs.is_empty() || !b.private_keys.is_empty() {
        return None;
    }
    let why = if let Some(e) = &b.pem_error {
        format!("its PEM is broken ({e})")
    } else if let Some(e) = b.bad_certs.first() {
        format!("its CERTIFICATE block does not parse ({e})")
    } else if !b.other_blocks.is_empty() {
        format!("it holds only {} block(s)", b.other_blocks.join(", "))
    } else if b.looks_like_pem {
        "its PEM blocks could not be read".into()
    } else {
        "it is neither PEM nor a DER certificate".into()
    };
    Some(
        Finding::new(
            Code::CaNotCertificate,
            format!("{path} holds no certificate: {why}"),
        )
        .hint(format!(
            "check the file with `openssl x509 -in {path} -noout -subject -issuer`; {}",
            export_hint(facts)
        ))
        .evidence(evidence(path, b, Some(why))),
    )
}

/// A DER bundle: readable here, ignored by the runtimes.
fn der_bundle(path: &str, b: &BundleContents) -> Option<Finding> {
    if b.looks_like_pem || b.certs.is_empty() {
        return None;
    }
    let pem_name = path
        .rsplit_once('.')
        .map(|(stem, _)| format!("{stem}.crt"))
        .filter(|p| p != path)
        .unwrap_or_else(|| format!("{path}.crt"));
    Some(
        Finding::new(
            Code::CaDer,
            format!("{path} is DER (binary): regdoctor reads it, but the runtimes load CA files as PEM only (Docker's and containers' certs.d, containerd's hosts.toml ca): copied as it is, it would be ignored"),
        )
        .hint(format!(
            "convert it before copying it to the nodes: `openssl x509 -inform der -in {path} -out {pem_name}`"
        ))
        .evidence(evidence(path, b, None)),
    )
}

/// A CA certificate outside its dates.
fn ca_expired(facts: &Facts, path: &str, i: usize, c: &Cert) -> Option<Finding> {
    if facts.now <= c.not_after && facts.now >= c.not_before {
        return None;
    }
    let when = if facts.now > c.not_after {
        format!("expired on {}", crate::pki::human_date(c.not_after))
    } else {
        format!(
            "is not valid until {}",
            crate::pki::human_date(c.not_before)
        )
    };
    Some(
        Finding::new(
            Code::CaExpired,
            format!("certificate #{} in {path} ({}) {when}", i + 1, c.display_name()),
        )
        .hint(format!(
            "renew the CA certificate with the same key so issued certificates stay valid: `openssl x509 -new -key ca.key -subj \"{}\" -days 3650 -out ca.crt` (or `openssl req -x509 -key ca.key -days 3650 -subj ... -out ca.crt`), then replace {path} on every node",
            slash_subject(&c.subject)
        ))
        .evidence(c.summary()),
    )
}

/// A certificate in the bundle that is not a CA.
fn not_a_ca(path: &str, i: usize, c: &Cert, presented_leaf: Option<&Vec<u8>>) -> Finding {
    let is_server_cert = presented_leaf.is_some_and(|l| *l == c.der);
    let note = if is_server_cert {
        "it is the server's own certificate, which Go accepts as a trusted copy, but it must be replaced on every node whenever the server's certificate changes"
    } else {
        "Go accepts it only as an exact copy of the server's certificate, and the server presents a different one"
    };
    Finding::new(
        Code::CaIsLeaf,
        format!(
            "certificate #{} in {path} ({}) is not a CA certificate (no CA:TRUE basic constraint): {note}",
            i + 1,
            c.display_name()
        ),
    )
    .hint(format!(
        "give the certificate of the CA that issued the server's certificate (issuer \"{}\"): on the registry host it is usually ca.crt",
        c.issuer
    ))
    .evidence(c.summary())
}

/// "CN=x, O=y" → "/CN=x/O=y" for openssl -subj.
fn slash_subject(subject: &str) -> String {
    subject
        .split(", ")
        .map(|part| format!("/{part}"))
        .collect::<String>()
}

fn export_hint(facts: &Facts) -> String {
    let authority = facts
        .target
        .as_ref()
        .map(|t| t.authority())
        .unwrap_or_else(|_| "HOST:PORT".into());
    format!(
        "get the CA certificate from the registry's administrator (or from the registry host, often ca.crt); `openssl s_client -showcerts -connect {authority} </dev/null` shows the chain the server sends, whose last certificate's issuer is the CA you need"
    )
}

#[cfg(test)]
pub(crate) fn examples() -> Vec<(Facts, Vec<Code>)> {
    use crate::checks::examples::pki::*;
    use crate::checks::examples::*;
    let t = || facts_for("10.0.0.5:5000");
    let root = ca("Registry CA", NOW);
    let expired_root = ca("Old CA", NOW - 4000 * DAY);
    let server = leaf(&root, &["10.0.0.5"], NOW);
    let key = b"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIDSat0MacDt2fokpnzuBaXvAQR6RJGS9rgIYOU2mZKld\n-----END PRIVATE KEY-----\n";
    let mut der_only = with_ca(t(), &root.der);
    der_only.ca_file.as_mut().unwrap().path = "ca.der".into();
    vec![
        (with_ca(t(), root.pem.as_bytes()), vec![]),
        (der_only, vec![Code::CaDer]),
        (with_ca(t(), b"\n  \n"), vec![Code::CaEmpty]),
        (
            with_ca(t(), b"this is not a certificate"),
            vec![Code::CaNotCertificate],
        ),
        (with_ca(t(), key), vec![Code::CaPrivateKey]),
        (with_ca(t(), server.pem.as_bytes()), vec![Code::CaIsLeaf]),
        (
            with_ca(t(), expired_root.pem.as_bytes()),
            vec![Code::CaExpired],
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::examples::pki::*;
    use crate::checks::examples::*;

    #[test]
    fn no_ca_given_skips_naming_the_system_roots() {
        assert!(matches!(
            CaFile.run(&crate::checks::Basis::new(&facts_for("10.0.0.5:5000"))),
            Outcome::Skip(_)
        ));
    }

    #[test]
    fn key_file_given_as_ca_says_so() {
        let key = ca("x", NOW).issuer.key().serialize_pem();
        let out = findings_of(
            &CaFile,
            &with_ca(facts_for("10.0.0.5:5000"), key.as_bytes()),
        );
        let codes: Vec<_> = out.iter().map(|f| f.code).collect();
        assert_eq!(codes, vec![Code::CaPrivateKey]);
        assert!(
            out[0]
                .message
                .contains("ca.pem holds a private key (PRIVATE KEY) and no certificate")
        );
    }

    #[test]
    fn the_servers_own_certificate_in_the_bundle_is_only_a_warning() {
        let root = ca("Registry CA", NOW);
        let server = leaf(&root, &["10.0.0.5"], NOW);
        let f = with_ca(
            with_chain(facts_for("10.0.0.5:5000"), vec![server.der.clone()]),
            server.pem.as_bytes(),
        );
        let out = findings_of(&CaFile, &f);
        assert_eq!(out[0].code, Code::CaIsLeaf);
        assert!(out[0].message.contains("server's own certificate"));
    }
}
