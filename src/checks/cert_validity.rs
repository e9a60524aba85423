//! `cert-validity`: the dates and the strength of every certificate the server presented.

use super::{Check, Outcome, span};
use crate::codes::{CheckId, Code};
use crate::facts::{Facts, KeyPossession};
use crate::finding::Finding;
use crate::finding::evidence::ClockSkew;
use crate::pki::{Cert, KeyKind, human_date, verify::validity_error};

/// The check.
pub struct CertValidity;

/// Warn when a certificate expires within this many seconds.
const SOON: i64 = 30 * 86_400;

impl Check for CertValidity {
    fn id(&self) -> CheckId {
        CheckId::CertValidity
    }
    fn title(&self) -> &'static str {
        "every presented certificate is within its dates and strong enough"
    }
    fn doc(&self) -> &'static str {
        include_str!("../../checks/cert-validity.md")
    }
    fn run(&self, facts: &super::Basis<'_>) -> Outcome {
        let mut findings = unparseable(facts);
        let chain = facts.presented_chain();
        if chain.is_empty() {
            if findings.is_empty() {
                return Outcome::Skip(facts.no_chain_reason());
            }
            return Outcome::Findings(findings);
        }
        for (i, c) in chain.iter().enumerate() {
            findings.extend(dates(facts, i, c));
            findings.extend(signature(i, c));
            findings.extend(key_size(facts, i, c));
        }
        if let Some(f) = clock_skew(facts) {
            findings.push(f);
        }
        Outcome::Findings(super::to_verifiers(facts, findings))
    }
}

/// "certificate [i] (name)", as the findings name a certificate of the chain.
fn which(i: usize, c: &Cert) -> String {
    format!("certificate [{i}] ({})", c.display_name())
}

/// Certificates the server sent that do not parse: Go refuses them before verifying.
fn unparseable(facts: &super::Basis<'_>) -> Vec<Finding> {
    let raw: &[Vec<u8>] = facts
        .tls
        .as_ref()
        .map(|t| t.chain.as_slice())
        .unwrap_or(&[]);
    let mut findings = Vec::new();
    for (i, der) in raw.iter().enumerate() {
        if let Err(why) = Cert::parse(der) {
            findings.push(
                Finding::new(
                    Code::CertUnparseable,
                    format!("certificate [{i}] sent by the server cannot be parsed ({why}); Go refuses it before any verification, even with verification switched off"),
                )
                .fails_request(facts, format!("tls: failed to parse certificate from server: x509: {why}"))
                .hint("re-issue the certificate with standard tooling (openssl, cfssl, step); check it with `openssl x509 -in registry.crt -noout -text`")
                .for_runtimes(facts.tls_scope().unwrap_or_default()),
            );
        }
    }
    findings
}

/// Expired, not yet valid, or expiring soon; the leaf's date error is what Go prints.
fn dates(facts: &super::Basis<'_>, i: usize, c: &Cert) -> Option<Finding> {
    let now = facts.now;
    let which = which(i, c);
    let go = validity_error(c, now).map(|e| e.go_text());
    let f = if now > c.not_after {
        Finding::new(
            Code::Expired,
            format!(
                "{which} expired on {}, {} ago",
                human_date(c.not_after),
                span(now - c.not_after)
            ),
        )
        .hint(renew_hint(c, i))
    } else if now < c.not_before {
        Finding::new(
            Code::NotYetValid,
            format!(
                "{which} is not valid until {}, {} from now: either it was just issued with a clock ahead, or this node's clock is behind",
                human_date(c.not_before),
                span(c.not_before - now)
            ),
        )
        .hint("compare the clocks: run `date -u` here and on the CA host; fix time sync with `timedatectl set-ntp true` (or chrony), or re-issue the certificate with a start date in the past (openssl x509 ... -not_before 20260101000000Z)")
    } else if c.not_after - now < SOON {
        return Some(
            Finding::new(
                Code::ExpiresSoon,
                format!(
                    "{which} expires on {}, in {}",
                    human_date(c.not_after),
                    span(c.not_after - now)
                ),
            )
            .hint(renew_hint(c, i))
            .evidence(c.summary()),
        );
    } else {
        return None;
    };
    let f = f.evidence(c.summary());
    Some(match go.filter(|_| i == 0) {
        Some(go) => f.fails_verification(facts, go),
        None => f,
    })
}

/// A signature algorithm Go refuses.
fn signature(i: usize, c: &Cert) -> Option<Finding> {
    // Go does not check the signature of a self-signed certificate that is itself
    // trusted, so SHA-1 on a self-signed root is not a problem.
    if !c.sig_alg.is_insecure() || c.is_self_issued() {
        return None;
    }
    Some(
        Finding::new(
            Code::WeakSignature,
            format!(
                "{} is signed with {}, which Go refuses since 1.24 (Docker 28 and later, containerd 2.1 and later)",
                which(i, c),
                c.sig_alg.go_name()
            ),
        )
        .client_error(format!(
            "x509: cannot verify signature: insecure algorithm {}",
            c.sig_alg.go_name()
        ))
        .hint("re-issue the certificate with SHA-256: add -sha256 to the openssl x509 -req / openssl req command that signs it")
        .evidence(c.summary()),
    )
}

/// An RSA key Go refuses (under 1024 bits) or that is weak (under 2048 bits).
fn key_size(facts: &super::Basis<'_>, i: usize, c: &Cert) -> Option<Finding> {
    if c.key_kind != KeyKind::Rsa || c.key_bits >= 2048 {
        return None;
    }
    let which = which(i, c);
    if c.key_bits < 1024 {
        return Some(
            Finding::new(
                Code::KeyTooSmall,
                format!("{which} has a {}-bit RSA key, which Go refuses since 1.24", c.key_bits),
            )
            .fails_request(facts, format!(
                "tls: failed to parse certificate from server: x509: crypto/rsa: {}-bit keys are insecure (see https://go.dev/pkg/crypto/rsa#hdr-Minimum_key_size)",
                c.key_bits
            ))
            .hint(rekey_hint())
            .evidence(c.summary()),
        );
    }
    let unproven = i == 0
        && matches!(
            facts.tls.as_ref().map(|t| &t.key_possession),
            Some(KeyPossession::NotProven(_))
        );
    let note = if unproven {
        "; regdoctor could not check the server's handshake signature with it (ring needs 2048 bits), so the connection was not counted as verified"
    } else {
        ""
    };
    Some(
        Finding::new(
            Code::WeakKey,
            format!(
                "{which} has a {}-bit RSA key: Go (Docker, containerd) still accepts it, but rustls-based clients refuse it and it is below every current policy (2048 bits){note}",
                c.key_bits
            ),
        )
        .hint(rekey_hint())
        .evidence(c.summary()),
    )
}

/// More than a minute between this node's clock and the registry's `Date` header.
fn clock_skew(facts: &Facts) -> Option<Finding> {
    let date = facts
        .http
        .as_ref()?
        .exchanges
        .iter()
        .find_map(|e| e.header("date"))?;
    let server = httpdate::parse_http_date(date)
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs() as i64;
    let skew = facts.now - server;
    if skew.abs() <= 60 {
        return None;
    }
    let way = if skew > 0 { "ahead of" } else { "behind" };
    Some(
        Finding::new(
            Code::ClockSkew,
            format!(
                "this node's clock is {} {way} the registry's (registry Date: {date}; here: {}): certificates can look not yet valid or expired, and tokens expire early or late",
                span(skew),
                human_date(facts.now)
            ),
        )
        .hint("synchronise the clocks of the nodes and the registry with NTP: `timedatectl set-ntp true`, then check with `timedatectl status` or `chronyc tracking`")
        .evidence(ClockSkew {
            registry_date: date.to_string(),
            local_time: crate::pki::rfc3339(facts.now),
            skew_seconds: skew,
        }),
    )
}

fn renew_hint(c: &Cert, i: usize) -> String {
    let hint = renew_command(c, i);
    let n = c.san_list().len();
    if n > KEPT_SANS && i == 0 {
        format!("{hint} (NAMES: those of its {n} names still in use, as DNS:name,IP:address)")
    } else {
        hint
    }
}

fn renew_command(c: &Cert, i: usize) -> String {
    if c.is_self_issued() {
        format!(
            "issue a new certificate with the same names: `openssl req -x509 -newkey rsa:4096 -sha256 -days 365 -nodes -keyout registry.key -out registry.crt -subj \"/CN={}\"{}` and restart the registry with it",
            crate::text::clip(c.common_name.as_deref().unwrap_or("registry")),
            san_ext(c)
        )
    } else if i == 0 {
        format!(
            "renew the server certificate, keeping its names: `openssl x509 -req -in registry.csr -CA ca.crt -CAkey ca.key -CAcreateserial -sha256 -days 365{} -out registry.crt`, then restart the registry",
            san_extfile(c)
        )
    } else {
        "renew this CA certificate (from the CA that issued it), then install the new chain on the registry".to_string()
    }
}

/// The most names a suggested command repeats; a certificate with more gets a command
/// without them and a word to add back those still in use.
const KEPT_SANS: usize = 20;

fn san_ext(c: &Cert) -> String {
    let sans = c.san_list();
    if sans.is_empty() {
        String::new()
    } else if sans.len() > KEPT_SANS {
        " -addext \"subjectAltName=NAMES\"".into()
    } else {
        format!(" -addext \"subjectAltName={}\"", sans.join(","))
    }
}

fn san_extfile(c: &Cert) -> String {
    let sans = c.san_list();
    if sans.is_empty() {
        String::new()
    } else if sans.len() > KEPT_SANS {
        " -extfile <(printf \"subjectAltName=NAMES\")".into()
    } else {
        format!(" -extfile <(printf \"subjectAltName={}\")", sans.join(","))
    }
}

fn rekey_hint() -> String {
    "re-issue the certificate with a 2048-bit RSA or an ECDSA P-256 key: `openssl req -new -newkey rsa:2048 -nodes -keyout registry.key -out registry.csr ...` (or -newkey ec -pkeyopt ec_paramgen_curve:P-256)".into()
}

#[cfg(test)]
pub(crate) fn examples() -> Vec<(Facts, Vec<Code>)> {
    use crate::checks::examples::pki::*;
    use crate::checks::examples::*;
    let root = ca("Registry CA", NOW);
    let make = |nb: i64, na: i64| leaf_with(&root, params("registry", &["10.0.0.5"], nb, na)).der;
    let f = |chain: Vec<Vec<u8>>| with_chain(facts_for("10.0.0.5:5000"), chain);
    vec![
        (f(vec![make(NOW - DAY, NOW + 365 * DAY)]), vec![]),
        (
            f(vec![b"\x30\x03\x02\x01\x01".to_vec()]),
            vec![Code::CertUnparseable],
        ),
        (
            f(vec![make(NOW - 400 * DAY, NOW - 35 * DAY)]),
            vec![Code::Expired],
        ),
        (
            f(vec![make(NOW + 3600, NOW + 365 * DAY)]),
            vec![Code::NotYetValid],
        ),
        (
            f(vec![make(NOW - DAY, NOW + 10 * DAY)]),
            vec![Code::ExpiresSoon],
        ),
        (f(vec![fixture("sha1-leaf.der")]), vec![Code::WeakSignature]),
        (f(vec![fixture("rsa1024-leaf.der")]), vec![Code::WeakKey]),
        (f(vec![fixture("rsa512-leaf.der")]), vec![Code::KeyTooSmall]),
        (
            // NOW is 2027-01-15T08:00:00Z; the registry says ten minutes earlier.
            with_http(
                f(vec![make(NOW - DAY, NOW + 365 * DAY)]),
                vec![ex(
                    "/v2/",
                    200,
                    &[API, ("date", "Fri, 15 Jan 2027 07:50:00 GMT")],
                    "{}",
                )],
            ),
            vec![Code::ClockSkew],
        ),
        (
            with_http(
                f(vec![make(NOW - DAY, NOW + 365 * DAY)]),
                vec![ex(
                    "/v2/",
                    200,
                    &[API, ("date", "Fri, 15 Jan 2027 07:59:30 GMT")],
                    "{}",
                )],
            ),
            vec![],
        ),
    ]
}

#[cfg(test)]
fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::examples::pki::*;
    use crate::checks::examples::*;

    #[test]
    fn expired_leaf_quotes_gos_exact_line() {
        let root = ca("Registry CA", NOW);
        let l = leaf_with(
            &root,
            params("registry", &["10.0.0.5"], NOW - 400 * DAY, NOW - 35 * DAY),
        );
        let out = findings_of(
            &CertValidity,
            &with_chain(facts_for("10.0.0.5:5000"), vec![l.der]),
        );
        assert_eq!(out[0].code, Code::Expired);
        assert!(out[0].message.contains("35 days ago"), "{}", out[0].message);
        let ce = out[0].client_error.as_deref().unwrap();
        assert!(ce.starts_with("Get \"https://10.0.0.5:5000/v2/\": tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time 2027-01-15T08:00:00Z is after "), "{ce}");
    }

    #[test]
    fn fixtures_are_what_they_claim() {
        let c = Cert::parse(&fixture("rsa1024-leaf.der")).unwrap();
        assert_eq!((c.key_kind.clone(), c.key_bits), (KeyKind::Rsa, 1024));
        let s = Cert::parse(&fixture("sha1-leaf.der")).unwrap();
        assert!(s.sig_alg.is_insecure());
    }
}
