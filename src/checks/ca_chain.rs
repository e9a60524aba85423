//! `ca-chain`: the presented chain verifies to the `--ca` bundle (else to the system
//! roots), by Go's rules; and when it does not, why: a missing intermediate, a CA with the
//! right name but the wrong key, a self-signed certificate nobody trusts, a non-CA signer.

use super::{Basis, Check, Outcome};
use crate::codes::{CheckId, Code};
use crate::facts::{Facts, Runtime, WebpkiVerdict};
use crate::finding::Finding;
use crate::finding::evidence::ChainTrust;
use crate::pki::cert::check_signature;
use crate::pki::verify::PARENT_CANNOT_SIGN;
use crate::pki::{Cert, GoError, Node};
use crate::runtimes::Verification;
use crate::runtimes::trust::Store;

/// The check.
pub struct CaChain;

impl Check for CaChain {
    fn id(&self) -> CheckId {
        CheckId::CaChain
    }
    fn title(&self) -> &'static str {
        "the presented chain verifies to a trusted CA"
    }
    fn doc(&self) -> &'static str {
        include_str!("../../checks/ca-chain.md")
    }
    fn run(&self, facts: &Basis<'_>) -> Outcome {
        let chain = &facts.trust.chain;
        if chain.is_empty() {
            return Outcome::Skip(facts.no_chain_reason());
        }
        let judged = facts.clients.judged.len();
        // Verifying runtimes, grouped by their trust store.
        let mut groups: Vec<(usize, Vec<Runtime>)> = Vec::new();
        for (i, c) in facts.judged() {
            if !c.transport.tls_first() {
                continue;
            }
            if let Some(s) = facts.trust.by_client.get(i).copied().flatten() {
                match groups.iter_mut().find(|(g, _)| *g == s) {
                    Some((_, rts)) => rts.push(c.runtime),
                    None => groups.push((s, vec![c.runtime])),
                }
            }
        }
        let mut findings = Vec::new();
        for (store_index, runtimes) in &groups {
            let store = &facts.trust.stores[*store_index];
            let scoped = runtimes.len() < judged;
            let scope = if scoped { runtimes.clone() } else { vec![] };
            let mut out = judge_store(facts, chain, store, runtimes);
            if scoped {
                let who = runtimes
                    .iter()
                    .map(|r| r.display_name())
                    .collect::<Vec<_>>()
                    .join(" and ");
                for f in &mut out {
                    f.message = format!("for {who}: {}", f.message);
                }
            }
            findings.extend(out.into_iter().map(|f| f.for_runtimes(scope.clone())));
        }
        verification_off(facts, &mut findings);
        if groups.is_empty() && findings.is_empty() {
            return Outcome::Skip(
                "no judged runtime verifies this registry's certificate (see tls_verification_off)"
                    .into(),
            );
        }
        Outcome::Findings(findings)
    }
}

/// Go's chain verdict with one trust store, and why it fails.
fn judge_store(
    facts: &Basis<'_>,
    chain: &[Cert],
    store: &Store,
    runtimes: &[Runtime],
) -> Vec<Finding> {
    let cas = &store.roots[store.system_count..];
    let from_ca = !store.ca_paths.is_empty();
    let trusted_from = store.describe(&facts.trust.system);
    let verdict = &store.chain;
    let all_roots = &store.roots;
    let path = verdict.chains.first().map(|c| {
        c.iter()
            .map(|n| match n {
                Node::Presented(i) => chain[*i].display_name(),
                Node::Root(i) => all_roots[*i].display_name(),
            })
            .collect::<Vec<_>>()
            .join(" ⇒ ")
            + if verdict.leaf_in_roots {
                " (trusted as itself: it is in the trusted set byte for byte)"
            } else {
                ""
            }
    });
    let evidence = ChainTrust {
        trusted_from: trusted_from.clone(),
        trusted: if from_ca {
            cas.iter().map(|c| c.subject.clone()).collect()
        } else {
            vec![format!("{} certificates", store.system_count)]
        },
        presented: chain.iter().map(|c| c.subject.clone()).collect(),
        go_error: verdict.error.as_ref().map(GoError::go_text),
        path,
    };
    let Some(err) = &verdict.error else {
        return rustls_side_note(facts, store, evidence);
    };
    let ctx = Ctx {
        facts,
        chain,
        roots: all_roots,
        cas,
        from_ca,
        trusted_from: &trusted_from,
        hint_runtimes: facts.hint_runtimes(runtimes),
    };
    vec![
        ctx.diagnose(err)
            .fails_verification(facts, err.go_text())
            .evidence(evidence),
    ]
}

/// Runtimes that do not verify: a warning when Go, verifying, would refuse the chain.
fn verification_off(facts: &Basis<'_>, findings: &mut Vec<Finding>) {
    let Some(system) = &facts.trust.baseline else {
        return;
    };
    let Some(err) = system.error() else {
        return;
    };
    for c in facts
        .clients
        .judged
        .iter()
        .filter(|c| !c.verifies() && c.transport.tls_first())
    {
        let Verification::Off { origin } = &c.verification else {
            continue;
        };
        findings.push(
            Finding::new(
                Code::TlsVerificationOff,
                format!(
                    "verification is off for {} ({origin}): it connects although Go, verifying, would refuse this registry's certificate: {}",
                    c.runtime.display_name(),
                    err.go_text()
                ),
            )
            .hint(format!(
                "fix the certificate (see cert-validity, san-matches-host) and trust its CA, then turn verification back on: {}",
                super::hints::trust_ca(&facts.hint_runtimes(&[c.runtime]), facts, "ca.crt")
            ))
            .for_runtimes(vec![c.runtime]),
        );
    }
}

/// Go accepts the chain; say when rustls-based clients would not (Go wins, so a warning).
fn rustls_side_note(facts: &Facts, store: &Store, ev: ChainTrust) -> Vec<Finding> {
    // Only when Go's whole verdict (dates and name too) is "ok": otherwise the other
    // checks already report what webpki would also refuse.
    if !store.ok() {
        return vec![];
    }
    let message = match facts.tls.as_ref().and_then(|t| t.webpki.as_ref()) {
        Some(WebpkiVerdict::CaUsedAsEndEntity) => format!(
            "the chain verifies by Go's rules because the server's certificate is itself in {} (byte for byte), but it is a CA certificate (CA:TRUE), which rustls-based clients refuse as a server certificate (CaUsedAsEndEntity)",
            ev.trusted_from
        ),
        Some(WebpkiVerdict::Rejected(why)) => {
            format!("the chain verifies by Go's rules, but rustls-webpki refuses it ({why})")
        }
        Some(WebpkiVerdict::Ok) | None => return vec![],
    };
    vec![
        Finding::new(Code::RustlsWouldReject, message)
            .hint("nothing to do for Docker, containerd or CRI-O; for clients built on rustls, issue the server a certificate without CA:TRUE, signed by a separate CA, and trust that CA")
            .evidence(ev),
    ]
}

struct Ctx<'a> {
    facts: &'a Facts,
    chain: &'a [Cert],
    /// Every root of the store (system roots and CA files).
    roots: &'a [Cert],
    /// The CA files' certificates.
    cas: &'a [Cert],
    from_ca: bool,
    trusted_from: &'a str,
    /// The runtimes the fix is written for.
    hint_runtimes: Vec<Runtime>,
}

impl Ctx<'_> {
    fn registry(&self) -> String {
        self.facts
            .target
            .as_ref()
            .map(|t| t.registry_name())
            .unwrap_or_default()
    }

    fn authority(&self) -> String {
        self.facts
            .target
            .as_ref()
            .map(|t| t.authority())
            .unwrap_or_default()
    }

    /// The last certificate reachable from the leaf through the presented chain.
    fn top(&self) -> &Cert {
        let mut top = &self.chain[0];
        let mut used = vec![0usize];
        while let Some((i, p)) = self.chain.iter().enumerate().find(|(i, p)| {
            !used.contains(i) && p.subject_raw == top.issuer_raw && check_signature(top, p).is_ok()
        }) {
            used.push(i);
            top = p;
        }
        top
    }

    fn diagnose(&self, err: &GoError) -> Finding {
        match err {
            GoError::IncompatibleUsage => Finding::new(
                Code::IncompatibleUsage,
                format!(
                    "the certificate's extended key usage does not include serverAuth, so it may not be used by a TLS server (presented: {})",
                    self.chain[0].display_name()
                ),
            )
            .hint("re-issue the server certificate with extendedKeyUsage=serverAuth (openssl: -extfile <(printf \"extendedKeyUsage=serverAuth\"))"),
            GoError::NotAuthorizedToSign | GoError::TooManyIntermediates => self.not_a_ca(),
            GoError::UnknownAuthority {
                hint: Some((why, _)),
            } if why == PARENT_CANNOT_SIGN => self.not_a_ca(),
            GoError::Expired { subject, .. } => Finding::new(
                Code::ChainExpired,
                format!("the CA certificate \"{subject}\" that the chain needs is outside its validity dates"),
            )
            .hint(format!(
                "renew that CA certificate (keeping its key) and install it in {} and on the registry",
                self.trusted_from
            )),
            GoError::UnhandledCriticalExtension { subject, oids } => Finding::new(
                Code::UnhandledCriticalExtension,
                format!(
                    "the certificate \"{subject}\" has an extension marked critical that Go does not handle ({}), so Go refuses it, and any chain through it",
                    oids.join(", ")
                ),
            )
            .hint("re-issue that certificate without the extension, or with it marked non-critical (openssl: drop \"critical,\" from the extension's line in the -extfile)"),
            GoError::SignatureLimit => {
                let mut names: Vec<(&[u8], usize)> = Vec::new();
                for c in self.chain.iter().skip(1) {
                    match names.iter_mut().find(|(n, _)| *n == c.subject_raw.as_slice()) {
                        Some((_, count)) => *count += 1,
                        None => names.push((&c.subject_raw, 1)),
                    }
                }
                let crowd = names
                    .iter()
                    .max_by_key(|(_, count)| *count)
                    .and_then(|(n, count)| {
                        self.chain
                            .iter()
                            .find(|c| c.subject_raw.as_slice() == *n)
                            .map(|c| format!("{count} different certificates named \"{}\"", c.subject))
                    })
                    .unwrap_or_else(|| "many certificates".into());
                Finding::new(
                    Code::UnknownAuthority,
                    format!(
                        "the server sends {crowd}; Go tries each as an issuer and gives up after 100 signature checks, before it reaches one that works"
                    ),
                )
                .hint("make the registry send only its own certificate followed by the intermediate CA certificates of its chain, each once")
            }
            GoError::Hostname(_) | GoError::UnknownAuthority { .. } => self.unknown_authority(),
        }
    }

    /// A certificate that signs another may not sign certificates: no CA:TRUE, a keyUsage
    /// without keyCertSign, or a path length that forbids it.
    fn not_a_ca(&self) -> Finding {
        let cannot_sign =
            |c: &Cert| !c.is_ca() || (c.go.key_usage != 0 && c.go.key_usage & (1 << 5) == 0);
        let signer = self
            .chain
            .iter()
            .enumerate()
            .skip(1)
            .find(|(_, c)| cannot_sign(c))
            .map(|(i, c)| format!("certificate [{i}] ({})", c.display_name()))
            .or_else(|| {
                self.roots
                    .iter()
                    .find(|r| r.subject_raw == self.chain[0].issuer_raw && cannot_sign(r))
                    .map(|r| format!("the trusted certificate \"{}\"", r.display_name()))
            })
            .unwrap_or_else(|| "a certificate of the chain".into());
        Finding::new(
            Code::NotACa,
            format!("{signer} is used to sign another certificate of the chain, but it may not sign certificates (it is not a CA certificate, its keyUsage lacks keyCertSign, or its path length forbids it)"),
        )
        .hint("send only the server certificate followed by its real intermediate CA certificates, and give CA certificates basicConstraints=critical,CA:TRUE and keyUsage=keyCertSign,cRLSign; a server or client certificate must not appear as an issuer")
    }

    fn unknown_authority(&self) -> Finding {
        let top = self.top();
        let same_name: Vec<&Cert> = self
            .roots
            .iter()
            .filter(|r| r.subject_raw == top.issuer_raw && r.der != top.der)
            .collect();
        if let Some(imposter) = same_name.first() {
            return self.wrong_ca(imposter);
        }
        if top.is_self_issued() {
            return self.self_signed_untrusted();
        }
        if self.from_ca && !self.cas.is_empty() {
            return self.missing_intermediate();
        }
        let name = self.registry();
        let where_ = self.trusted_from;
        let detail = if self.from_ca {
            format!("{where_} holds no usable CA certificate")
        } else {
            format!(
                "\"{}\", the issuer of \"{}\", is not among {where_}: a private CA must be configured on the nodes, or the server does not send its intermediate certificate",
                top.issuer,
                top.display_name()
            )
        };
        Finding::new(Code::UnknownAuthority, format!("no chain to a trusted CA: {detail}")).hint(format!(
            "get the CA certificate that issued the registry's certificate and check with `regdoctor {name} --ca ca.crt`; then install it: {}",
            super::hints::trust_ca(&self.hint_runtimes, self.facts, "ca.crt")
        ))
    }

    /// A trusted CA has the issuer's name but did not sign the chain's top.
    fn wrong_ca(&self, imposter: &Cert) -> Finding {
        let top = self.top();
        let name = self.registry();
        Finding::new(
            Code::WrongCa,
            format!(
                "{} holds a CA named \"{}\" (SHA-256 {}), but that CA did not sign \"{}\": same name, different key; the CA was probably re-created after the server's certificate was issued",
                self.trusted_from,
                imposter.subject,
                short_fp(&imposter.sha256),
                top.display_name()
            ),
        )
        .hint(format!(
            "find the CA that really issued the server's certificate: compare `openssl x509 -noout -issuer -ext authorityKeyIdentifier -in registry.crt` on the registry host with `openssl x509 -noout -subject -ext subjectKeyIdentifier -in {}`; then give that CA (and copy it to /etc/docker/certs.d/{name}/ca.crt on every node), or re-issue the server's certificate with the current CA",
            self.facts.ca_file.as_ref().map(|c| c.path.as_str()).unwrap_or("ca.crt")
        ))
    }

    /// The chain ends at a self-signed certificate nobody trusts.
    fn self_signed_untrusted(&self) -> Finding {
        let top = self.top();
        let name = self.registry();
        let where_ = self.trusted_from;
        let what = if std::ptr::eq(top, &self.chain[0]) {
            format!(
                "the server's certificate \"{}\" is self-signed",
                top.subject
            )
        } else {
            format!("the chain ends at the self-signed root \"{}\"", top.subject)
        };
        Finding::new(Code::UnknownAuthority, format!("{what}, and it is not in {where_}"))
            .hint(format!(
                "trust it: save it with `openssl s_client -showcerts -connect {} </dev/null 2>/dev/null | openssl x509 -out ca.crt`, check its fingerprint with the registry's administrator (SHA-256 {}), check with `regdoctor {name} --ca ca.crt`, then install it: {}",
                self.authority(),
                short_fp(&top.sha256),
                super::hints::trust_ca(&self.hint_runtimes, self.facts, "ca.crt")
            ))
    }

    /// The `--ca` bundle holds CAs, but not the issuer of the chain's top.
    fn missing_intermediate(&self) -> Finding {
        let top = self.top();
        let where_ = self.trusted_from;
        let held: Vec<String> = self
            .cas
            .iter()
            .map(|r| format!("\"{}\"", r.subject))
            .collect();
        Finding::new(
            Code::MissingIntermediate,
            format!(
                "the chain the server sends ends at \"{}\", issued by \"{}\", and that issuer is neither sent by the server nor in {where_} (which holds {}): the server must send its intermediate CA certificate",
                top.subject,
                top.issuer,
                super::or_list(&held).replace(" or ", " and ")
            ),
        )
        .hint(format!(
            "make the registry send the full chain: `cat registry.crt intermediate.crt > fullchain.crt` and serve fullchain.crt (distribution: REGISTRY_HTTP_TLS_CERTIFICATE=/certs/fullchain.crt), then restart it; if \"{}\" is your root CA, put its certificate in {where_} instead",
            top.issuer
        ))
    }
}

fn short_fp(fp: &str) -> String {
    fp.split(':').take(8).collect::<Vec<_>>().join(":") + "…"
}

#[cfg(test)]
pub(crate) fn examples() -> Vec<(Facts, Vec<Code>)> {
    use crate::checks::examples::pki::*;
    use crate::checks::examples::*;
    let t = || facts_for("10.0.0.5:5000");
    let root = ca("Registry CA", NOW);
    let inter = intermediate(&root, "Registry Intermediate", NOW);
    let via_inter = leaf(&inter, &["10.0.0.5"], NOW);
    let direct = leaf(&root, &["10.0.0.5"], NOW);
    let imposter = ca("Registry CA", NOW);
    let selfsigned = self_signed_ca_leaf("10.0.0.5", &["10.0.0.5"], NOW);
    let old_inter = intermediate(&root, "Old Intermediate", NOW - 4000 * DAY);
    let via_old = leaf(&old_inter, &["10.0.0.5"], NOW);
    let mut client_only = params("registry", &["10.0.0.5"], NOW - DAY, NOW + 365 * DAY);
    client_only.is_ca = rcgen::IsCa::ExplicitNoCa;
    let non_ca = leaf_with(&root, client_only);
    let under_leaf = {
        let issuer = Ca {
            der: non_ca.der.clone(),
            pem: non_ca.pem.clone(),
            issuer: rcgen::Issuer::from_ca_cert_der(
                &non_ca.der.clone().into(),
                rcgen::KeyPair::try_from(non_ca.key_der.as_slice()).unwrap(),
            )
            .unwrap(),
        };
        leaf(&issuer, &["10.0.0.5"], NOW)
    };
    let mut client_auth = params("registry", &["10.0.0.5"], NOW - DAY, NOW + 365 * DAY);
    client_auth.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let client_auth_only = leaf_with(&root, client_auth);
    let mut private_ext = params("registry", &["10.0.0.5"], NOW - DAY, NOW + 365 * DAY);
    let mut critical =
        rcgen::CustomExtension::from_oid_content(&[1, 3, 6, 1, 4, 1, 55555, 1], vec![0x05, 0x00]);
    critical.set_criticality(true);
    private_ext.custom_extensions.push(critical);
    let unhandled = leaf_with(&root, private_ext);
    let mut ws = with_ca(
        with_chain(t(), vec![selfsigned.der.clone()]),
        selfsigned.pem.as_bytes(),
    );
    ws.tls.as_mut().unwrap().webpki = Some(WebpkiVerdict::CaUsedAsEndEntity);
    vec![
        (
            with_ca(
                with_chain(t(), vec![direct.der.clone()]),
                root.pem.as_bytes(),
            ),
            vec![],
        ),
        (
            with_ca(
                with_chain(t(), vec![via_inter.der.clone(), inter.der.clone()]),
                root.pem.as_bytes(),
            ),
            vec![],
        ),
        (
            with_ca(
                with_chain(t(), vec![via_inter.der.clone()]),
                root.pem.as_bytes(),
            ),
            vec![Code::MissingIntermediate],
        ),
        (
            with_ca(
                with_chain(t(), vec![direct.der.clone()]),
                imposter.pem.as_bytes(),
            ),
            vec![Code::WrongCa],
        ),
        (
            with_chain(t(), vec![selfsigned.der.clone()]),
            vec![Code::UnknownAuthority],
        ),
        (ws, vec![Code::RustlsWouldReject]),
        (
            with_ca(
                with_chain(t(), vec![via_old.der, old_inter.der]),
                root.pem.as_bytes(),
            ),
            vec![Code::ChainExpired],
        ),
        (
            with_ca(
                with_chain(t(), vec![under_leaf.der, non_ca.der]),
                root.pem.as_bytes(),
            ),
            vec![Code::NotACa],
        ),
        (
            with_ca(
                with_chain(t(), vec![client_auth_only.der]),
                root.pem.as_bytes(),
            ),
            vec![Code::IncompatibleUsage],
        ),
        (
            with_ca(with_chain(t(), vec![unhandled.der]), root.pem.as_bytes()),
            vec![Code::UnhandledCriticalExtension],
        ),
        (
            present(
                with_daemon_json(
                    with_chain(t(), vec![direct.der.clone()]),
                    "{\"insecure-registries\": [\"10.0.0.0/8\"]}",
                ),
                crate::facts::Runtime::Docker,
            ),
            vec![Code::TlsVerificationOff],
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::examples::pki::*;
    use crate::checks::examples::*;

    #[test]
    fn wrong_ca_predicts_gos_possibly_because_of_line() {
        let root = ca("Registry CA", NOW);
        let imposter = ca("Registry CA", NOW);
        let l = leaf(&root, &["10.0.0.5"], NOW);
        let f = with_ca(
            with_chain(facts_for("10.0.0.5:5000"), vec![l.der]),
            imposter.pem.as_bytes(),
        );
        let out = findings_of(&CaChain, &f);
        assert_eq!(out[0].code, Code::WrongCa);
        assert!(out[0].client_error.as_deref().unwrap().ends_with(
            "x509: certificate signed by unknown authority (possibly because of \"x509: ECDSA verification failure\" while trying to verify candidate authority certificate \"Registry CA\")"
        ), "{:?}", out[0].client_error);
    }

    #[test]
    fn missing_intermediate_names_the_issuer_and_the_fix() {
        let root = ca("Registry CA", NOW);
        let inter = intermediate(&root, "Registry Intermediate", NOW);
        let l = leaf(&inter, &["10.0.0.5"], NOW);
        let f = with_ca(
            with_chain(facts_for("10.0.0.5:5000"), vec![l.der]),
            root.pem.as_bytes(),
        );
        let out = findings_of(&CaChain, &f);
        assert_eq!(out[0].code, Code::MissingIntermediate);
        assert!(
            out[0]
                .message
                .contains("issued by \"CN=Registry Intermediate\""),
            "{}",
            out[0].message
        );
        assert!(out[0].hint.as_deref().unwrap().contains("fullchain.crt"));
        assert!(
            out[0]
                .client_error
                .as_deref()
                .unwrap()
                .ends_with("x509: certificate signed by unknown authority")
        );
    }

    #[test]
    fn self_signed_ca_leaf_trusted_as_itself_passes_go() {
        let s = self_signed_ca_leaf("10.0.0.5", &["10.0.0.5"], NOW);
        let f = with_ca(
            with_chain(facts_for("10.0.0.5:5000"), vec![s.der.clone()]),
            s.pem.as_bytes(),
        );
        assert!(findings_of(&CaChain, &f).is_empty());
    }
}
