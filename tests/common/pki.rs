//! rcgen certificate builders shared by the unit tests (included by `src/checks/examples.rs`)
//! and the integration tests. Every builder takes `now` so unit tests can use a fixed time.

// Test builders: a failure to build a fixture should stop the test loudly.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use time::OffsetDateTime;

/// One day in seconds.
pub const DAY: i64 = 86_400;

/// A CA that can sign.
pub struct Ca {
    /// The CA certificate, DER.
    pub der: Vec<u8>,
    /// The CA certificate, PEM.
    pub pem: String,
    /// The signer.
    pub issuer: Issuer<'static, KeyPair>,
}

/// A server certificate and its key.
pub struct Leaf {
    /// DER.
    pub der: Vec<u8>,
    /// PEM.
    pub pem: String,
    /// The private key, PKCS#8 DER.
    pub key_der: Vec<u8>,
    /// The private key, PEM.
    pub key_pem: String,
}

fn ts(t: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(t).unwrap()
}

/// Parameters with a CN, SANs (IP literals become IP SANs) and a validity window.
pub fn params(cn: &str, sans: &[&str], not_before: i64, not_after: i64) -> CertificateParams {
    let mut p =
        CertificateParams::new(sans.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    p.distinguished_name = dn;
    p.not_before = ts(not_before);
    p.not_after = ts(not_after);
    p
}

fn ca_params(cn: &str, now: i64) -> CertificateParams {
    let mut p = params(cn, &[], now - DAY, now + 3650 * DAY);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p
}

/// A self-signed root CA.
pub fn ca(cn: &str, now: i64) -> Ca {
    let key = KeyPair::generate().unwrap();
    let p = ca_params(cn, now);
    let cert = p.self_signed(&key).unwrap();
    Ca {
        der: cert.der().to_vec(),
        pem: cert.pem(),
        issuer: Issuer::new(p, key),
    }
}

/// An intermediate CA signed by `parent`.
pub fn intermediate(parent: &Ca, cn: &str, now: i64) -> Ca {
    let key = KeyPair::generate().unwrap();
    let p = ca_params(cn, now);
    let cert = p.signed_by(&key, &parent.issuer).unwrap();
    Ca {
        der: cert.der().to_vec(),
        pem: cert.pem(),
        issuer: Issuer::new(p, key),
    }
}

/// A server certificate for `sans`, valid from a day ago for a year.
pub fn leaf(issuer: &Ca, sans: &[&str], now: i64) -> Leaf {
    leaf_with(issuer, params("registry", sans, now - DAY, now + 365 * DAY))
}

/// A server certificate from explicit parameters, signed by `issuer`.
pub fn leaf_with(issuer: &Ca, mut p: CertificateParams) -> Leaf {
    let key = KeyPair::generate().unwrap();
    if p.extended_key_usages.is_empty() {
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    }
    let cert = p.signed_by(&key, &issuer.issuer).unwrap();
    Leaf {
        der: cert.der().to_vec(),
        pem: cert.pem(),
        key_der: key.serialize_der(),
        key_pem: key.serialize_pem(),
    }
}

/// A self-signed server certificate with CA:TRUE, as `openssl req -x509` makes it.
pub fn self_signed_ca_leaf(cn: &str, sans: &[&str], now: i64) -> Leaf {
    let key = KeyPair::generate().unwrap();
    let mut p = params(cn, sans, now - DAY, now + 365 * DAY);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let cert = p.self_signed(&key).unwrap();
    Leaf {
        der: cert.der().to_vec(),
        pem: cert.pem(),
        key_der: key.serialize_der(),
        key_pem: key.serialize_pem(),
    }
}
