//! One parsed certificate, owned, with the fields Go's verifier and our checks look at.

use std::net::IpAddr;

use sha2::{Digest, Sha256};
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;

use super::goparse::{self, GoParsed};
use super::summary::CertSummary;

/// The kind of public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyKind {
    /// RSA.
    Rsa,
    /// ECDSA with the named curve ("P-256", "P-384", "P-521" or an OID).
    Ec(String),
    /// Ed25519.
    Ed25519,
    /// Anything else (DSA, GOST...), by OID.
    Other(String),
}

/// The signature algorithm of a certificate, with Go's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigAlg {
    /// md5WithRSAEncryption.
    Md5Rsa,
    /// sha1WithRSAEncryption.
    Sha1Rsa,
    /// sha256WithRSAEncryption.
    Sha256Rsa,
    /// sha384WithRSAEncryption.
    Sha384Rsa,
    /// sha512WithRSAEncryption.
    Sha512Rsa,
    /// RSASSA-PSS.
    RsaPss,
    /// ecdsa-with-SHA1.
    EcdsaSha1,
    /// ecdsa-with-SHA256.
    EcdsaSha256,
    /// ecdsa-with-SHA384.
    EcdsaSha384,
    /// ecdsa-with-SHA512.
    EcdsaSha512,
    /// Ed25519.
    Ed25519,
    /// Not known to regdoctor.
    Unknown,
}

impl SigAlg {
    /// Go's `SignatureAlgorithm.String()`.
    pub fn go_name(self) -> &'static str {
        match self {
            SigAlg::Md5Rsa => "MD5-RSA",
            SigAlg::Sha1Rsa => "SHA1-RSA",
            SigAlg::Sha256Rsa => "SHA256-RSA",
            SigAlg::Sha384Rsa => "SHA384-RSA",
            SigAlg::Sha512Rsa => "SHA512-RSA",
            SigAlg::RsaPss => "SHA256-RSAPSS",
            SigAlg::EcdsaSha1 => "ECDSA-SHA1",
            SigAlg::EcdsaSha256 => "ECDSA-SHA256",
            SigAlg::EcdsaSha384 => "ECDSA-SHA384",
            SigAlg::EcdsaSha512 => "ECDSA-SHA512",
            SigAlg::Ed25519 => "Ed25519",
            SigAlg::Unknown => "unknown",
        }
    }

    /// SHA-1 or MD5: Go ≥ 1.24 refuses these in certificate signatures.
    pub fn is_insecure(self) -> bool {
        matches!(self, SigAlg::Md5Rsa | SigAlg::Sha1Rsa | SigAlg::EcdsaSha1)
    }

    fn from_oid(oid: &str) -> SigAlg {
        match oid {
            "1.2.840.113549.1.1.4" => SigAlg::Md5Rsa,
            "1.2.840.113549.1.1.5" => SigAlg::Sha1Rsa,
            "1.2.840.113549.1.1.11" => SigAlg::Sha256Rsa,
            "1.2.840.113549.1.1.12" => SigAlg::Sha384Rsa,
            "1.2.840.113549.1.1.13" => SigAlg::Sha512Rsa,
            "1.2.840.113549.1.1.10" => SigAlg::RsaPss,
            "1.2.840.10045.4.1" => SigAlg::EcdsaSha1,
            "1.2.840.10045.4.3.2" => SigAlg::EcdsaSha256,
            "1.2.840.10045.4.3.3" => SigAlg::EcdsaSha384,
            "1.2.840.10045.4.3.4" => SigAlg::EcdsaSha512,
            "1.3.101.112" => SigAlg::Ed25519,
            _ => SigAlg::Unknown,
        }
    }
}

/// A parsed certificate. Owns its DER so it can be re-parsed for signature checks.
#[derive(Debug, Clone)]
pub struct Cert {
    /// The DER bytes.
    pub der: Vec<u8>,
    /// Raw DER of the subject name (Go compares names byte for byte).
    pub subject_raw: Vec<u8>,
    /// Raw DER of the issuer name.
    pub issuer_raw: Vec<u8>,
    /// Subject, as text.
    pub subject: String,
    /// Issuer, as text.
    pub issuer: String,
    /// First Common Name of the subject.
    pub common_name: Option<String>,
    /// First Organization of the subject.
    pub organization: Option<String>,
    /// Serial, hex with colons.
    pub serial_hex: String,
    /// Serial, decimal (Go prints "serial:N").
    pub serial_dec: String,
    /// notBefore, unix seconds.
    pub not_before: i64,
    /// notAfter, unix seconds.
    pub not_after: i64,
    /// DNS SANs.
    pub dns_sans: Vec<String>,
    /// IP SANs.
    pub ip_sans: Vec<IpAddr>,
    /// Whether the certificate has a subjectAltName extension at all.
    pub has_san_ext: bool,
    /// basicConstraints: (CA, pathLen) when present.
    pub basic_constraints: Option<(bool, Option<u32>)>,
    /// Subject key identifier.
    pub ski: Option<Vec<u8>>,
    /// Authority key identifier.
    pub aki: Option<Vec<u8>>,
    /// Extended key usage: None when absent, else (any, serverAuth).
    pub eku: Option<(bool, bool)>,
    /// Key kind.
    pub key_kind: KeyKind,
    /// Key size in bits.
    pub key_bits: usize,
    /// The raw subjectPublicKey bits (RSAPublicKey DER, EC point, Ed25519 key).
    pub key_bytes: Vec<u8>,
    /// The certificate's signature algorithm.
    pub sig_alg: SigAlg,
    /// SHA-256 of the DER, hex with colons.
    pub sha256: String,
    /// What Go's own parser makes of it (unhandled critical extensions, key usage...).
    pub go: GoParsed,
}

/// Hex with colons, upper-case, as openssl prints fingerprints.
pub fn colon_hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

impl Cert {
    /// Parses DER. A certificate Go refuses fails with Go's reason, without its `x509: `
    /// prefix (crypto/tls prints `tls: failed to parse certificate from server: x509:
    /// REASON`); one Go accepts but x509-parser cannot read fails with x509-parser's
    /// description.
    pub fn parse(der: &[u8]) -> Result<Cert, String> {
        let go = goparse::parse(der)
            .map_err(|e| e.strip_prefix("x509: ").map(str::to_string).unwrap_or(e))?;
        let (_, x) = X509Certificate::from_der(der).map_err(|e| e.to_string())?;
        let exts = Extensions::of(&x);
        let spki = x.public_key();
        let (key_kind, key_bits) = key_of(&x);
        let serial = x.tbs_certificate.serial.clone();
        Ok(Cert {
            der: der.to_vec(),
            subject_raw: x.subject().as_raw().to_vec(),
            issuer_raw: x.issuer().as_raw().to_vec(),
            subject: x.subject().to_string(),
            issuer: x.issuer().to_string(),
            common_name: x
                .subject()
                .iter_common_name()
                .next()
                .and_then(|a| a.as_str().ok())
                .map(str::to_string),
            organization: x
                .subject()
                .iter_organization()
                .next()
                .and_then(|a| a.as_str().ok())
                .map(str::to_string),
            serial_hex: x.raw_serial_as_string(),
            serial_dec: serial.to_string(),
            not_before: x.validity().not_before.timestamp(),
            not_after: x.validity().not_after.timestamp(),
            dns_sans: exts.dns_sans,
            ip_sans: exts.ip_sans,
            has_san_ext: exts.has_san_ext,
            basic_constraints: exts.basic_constraints,
            ski: exts.ski,
            aki: exts.aki,
            eku: exts.eku,
            key_kind,
            key_bits,
            key_bytes: spki.subject_public_key.data.to_vec(),
            sig_alg: SigAlg::from_oid(&x.signature_algorithm.algorithm.to_id_string()),
            sha256: colon_hex(&Sha256::digest(der)),
            go,
        })
    }

    /// Whether basicConstraints is present with CA:TRUE.
    pub fn is_ca(&self) -> bool {
        matches!(self.basic_constraints, Some((true, _)))
    }

    /// Subject and issuer names are equal (self-issued).
    pub fn is_self_issued(&self) -> bool {
        self.subject_raw == self.issuer_raw
    }

    /// The name Go uses for this certificate in "candidate authority certificate" hints:
    /// the CN, else the first O, else "serial:N".
    pub fn go_name(&self) -> String {
        match (&self.common_name, &self.organization) {
            (Some(cn), _) if !cn.is_empty() => cn.clone(),
            (_, Some(o)) if !o.is_empty() => o.clone(),
            _ => format!("serial:{}", self.serial_dec),
        }
    }

    /// A short name for messages: the CN, else the whole subject.
    pub fn display_name(&self) -> String {
        match &self.common_name {
            Some(cn) if !cn.is_empty() => cn.clone(),
            _ if !self.subject.is_empty() => self.subject.clone(),
            _ => format!("serial {}", self.serial_hex),
        }
    }

    /// "RSA 2048", "ECDSA P-256", "Ed25519".
    pub fn key_description(&self) -> String {
        match &self.key_kind {
            KeyKind::Rsa => format!("RSA {}", self.key_bits),
            KeyKind::Ec(curve) => format!("ECDSA {curve}"),
            KeyKind::Ed25519 => "Ed25519".to_string(),
            KeyKind::Other(oid) => format!("unknown key type {oid}"),
        }
    }

    /// SANs as `DNS:x` / `IP:y`.
    pub fn san_list(&self) -> Vec<String> {
        self.dns_sans
            .iter()
            .map(|d| format!("DNS:{d}"))
            .chain(self.ip_sans.iter().map(|ip| format!("IP:{ip}")))
            .collect()
    }

    /// The report's view of this certificate.
    pub fn summary(&self) -> CertSummary {
        CertSummary {
            subject: self.subject.clone(),
            issuer: self.issuer.clone(),
            serial: self.serial_hex.clone(),
            not_before: super::rfc3339(self.not_before),
            not_after: super::rfc3339(self.not_after),
            san: self.san_list(),
            san_total: (self.dns_sans.len() + self.ip_sans.len() > crate::text::EVIDENCE_ITEMS)
                .then_some(self.dns_sans.len() + self.ip_sans.len()),
            sha256: self.sha256.clone(),
            key: self.key_description(),
            signature: self.sig_alg.go_name().to_string(),
            is_ca: self.is_ca(),
            self_signed: self.is_self_issued(),
            validity: None,
        }
    }

    /// The report's view, with the dates judged at `now`.
    pub fn summary_at(&self, now: i64) -> CertSummary {
        use super::summary::Validity;
        let validity = if now < self.not_before {
            Validity::NotYetValid
        } else if now > self.not_after {
            Validity::Expired
        } else if self.not_after - now < 30 * 86_400 {
            Validity::ExpiresSoon
        } else {
            Validity::Valid
        };
        CertSummary {
            validity: Some(validity),
            ..self.summary()
        }
    }
}

/// What [`Cert`] keeps from the extensions x509-parser reads.
#[derive(Default)]
struct Extensions {
    dns_sans: Vec<String>,
    ip_sans: Vec<IpAddr>,
    has_san_ext: bool,
    basic_constraints: Option<(bool, Option<u32>)>,
    ski: Option<Vec<u8>>,
    aki: Option<Vec<u8>>,
    eku: Option<(bool, bool)>,
}

impl Extensions {
    fn of(x: &X509Certificate<'_>) -> Extensions {
        let mut out = Extensions::default();
        for ext in x.extensions() {
            match ext.parsed_extension() {
                ParsedExtension::SubjectAlternativeName(san) => {
                    out.has_san_ext = true;
                    for name in &san.general_names {
                        match name {
                            GeneralName::DNSName(d) => out.dns_sans.push(d.to_string()),
                            GeneralName::IPAddress(b) => {
                                if let Some(ip) = ip_from_bytes(b) {
                                    out.ip_sans.push(ip);
                                }
                            }
                            _ => {}
                        }
                    }
                }
                ParsedExtension::SubjectKeyIdentifier(k) => out.ski = Some(k.0.to_vec()),
                ParsedExtension::AuthorityKeyIdentifier(a) => {
                    out.aki = a.key_identifier.as_ref().map(|k| k.0.to_vec())
                }
                ParsedExtension::ExtendedKeyUsage(e) => out.eku = Some((e.any, e.server_auth)),
                ParsedExtension::BasicConstraints(bc) => {
                    out.basic_constraints = Some((bc.ca, bc.path_len_constraint))
                }
                _ => {}
            }
        }
        out
    }
}

/// The key's kind (with the curve's name) and size in bits.
fn key_of(x: &X509Certificate<'_>) -> (KeyKind, usize) {
    let spki = x.public_key();
    match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => (KeyKind::Rsa, rsa_bits(rsa.modulus)),
        Ok(PublicKey::EC(point)) => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|o| o.to_id_string())
                .unwrap_or_default();
            let name = match curve.as_str() {
                "1.2.840.10045.3.1.7" => "P-256".to_string(),
                "1.3.132.0.34" => "P-384".to_string(),
                "1.3.132.0.35" => "P-521".to_string(),
                other => other.to_string(),
            };
            (KeyKind::Ec(name), point.key_size())
        }
        _ => {
            let oid = spki.algorithm.algorithm.to_id_string();
            if oid == "1.3.101.112" {
                (KeyKind::Ed25519, 256)
            } else {
                (KeyKind::Other(oid), 0)
            }
        }
    }
}

fn rsa_bits(modulus: &[u8]) -> usize {
    let trimmed: &[u8] = {
        let first = modulus
            .iter()
            .position(|b| *b != 0)
            .unwrap_or(modulus.len());
        &modulus[first..]
    };
    match trimmed.first() {
        Some(b) => (trimmed.len() - 1) * 8 + (8 - b.leading_zeros() as usize),
        None => 0,
    }
}

fn ip_from_bytes(b: &[u8]) -> Option<IpAddr> {
    match b.len() {
        4 => <[u8; 4]>::try_from(b).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(b).ok().map(IpAddr::from),
        _ => None,
    }
}

/// Why a signature did not verify, in Go's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureError {
    /// The signature does not match the key (Go: "crypto/rsa: verification error", ...).
    Mismatch(String),
    /// SHA-1/MD5: "x509: cannot verify signature: insecure algorithm SHA1-RSA".
    Insecure(SigAlg),
    /// An algorithm regdoctor cannot check (RSA-PSS, P-521).
    Unsupported(String),
}

impl SignatureError {
    /// The text Go prints.
    pub fn go_text(&self) -> String {
        match self {
            SignatureError::Mismatch(t) => t.clone(),
            SignatureError::Insecure(alg) => {
                format!(
                    "x509: cannot verify signature: insecure algorithm {}",
                    alg.go_name()
                )
            }
            SignatureError::Unsupported(t) => t.clone(),
        }
    }
}

/// Checks that `child` was signed by the key of `issuer` (Go's `CheckSignatureFrom`,
/// without its CA checks, which the chain builder does itself).
///
/// Uses ring directly rather than x509-parser's helper so that 1024-bit RSA issuers,
/// which Go accepts, can be checked with ring's legacy verification algorithms.
pub fn check_signature(child: &Cert, issuer: &Cert) -> Result<(), SignatureError> {
    use ring::signature as sig;
    if child.sig_alg.is_insecure() {
        return Err(SignatureError::Insecure(child.sig_alg));
    }
    let (_, x) = X509Certificate::from_der(&child.der)
        .map_err(|e| SignatureError::Unsupported(e.to_string()))?;
    let message = x.tbs_certificate.as_ref();
    let signature = x.signature_value.data.as_ref();
    let mismatch_for = |kind: &KeyKind| match kind {
        KeyKind::Rsa => "crypto/rsa: verification error".to_string(),
        KeyKind::Ec(_) => "x509: ECDSA verification failure".to_string(),
        KeyKind::Ed25519 => "x509: Ed25519 verification failure".to_string(),
        KeyKind::Other(_) => "x509: cannot verify signature: algorithm unimplemented".to_string(),
    };
    let small_rsa = issuer.key_bits < 2048;
    let alg: &dyn sig::VerificationAlgorithm = match (child.sig_alg, &issuer.key_kind) {
        (SigAlg::Sha256Rsa, KeyKind::Rsa) if small_rsa => {
            &sig::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY
        }
        (SigAlg::Sha512Rsa, KeyKind::Rsa) if small_rsa => {
            &sig::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY
        }
        (SigAlg::Sha256Rsa, KeyKind::Rsa) => &sig::RSA_PKCS1_2048_8192_SHA256,
        (SigAlg::Sha384Rsa, KeyKind::Rsa) => &sig::RSA_PKCS1_2048_8192_SHA384,
        (SigAlg::Sha512Rsa, KeyKind::Rsa) => &sig::RSA_PKCS1_2048_8192_SHA512,
        (SigAlg::EcdsaSha256, KeyKind::Ec(c)) if c == "P-256" => &sig::ECDSA_P256_SHA256_ASN1,
        (SigAlg::EcdsaSha384, KeyKind::Ec(c)) if c == "P-256" => &sig::ECDSA_P256_SHA384_ASN1,
        (SigAlg::EcdsaSha256, KeyKind::Ec(c)) if c == "P-384" => &sig::ECDSA_P384_SHA256_ASN1,
        (SigAlg::EcdsaSha384, KeyKind::Ec(c)) if c == "P-384" => &sig::ECDSA_P384_SHA384_ASN1,
        (SigAlg::Ed25519, KeyKind::Ed25519) => &sig::ED25519,
        (alg, key) => {
            let wrong_type = !matches!(
                (alg, key),
                (
                    SigAlg::Sha256Rsa | SigAlg::Sha384Rsa | SigAlg::Sha512Rsa | SigAlg::RsaPss,
                    KeyKind::Rsa,
                ) | (
                    SigAlg::EcdsaSha256 | SigAlg::EcdsaSha384 | SigAlg::EcdsaSha512,
                    KeyKind::Ec(_)
                )
            );
            return Err(if wrong_type {
                SignatureError::Mismatch(format!(
                    "x509: signature algorithm specifies a different public key type than the issuer's {}",
                    issuer.key_description()
                ))
            } else {
                SignatureError::Unsupported(format!(
                    "regdoctor cannot check {} signatures made with {} keys",
                    alg.go_name(),
                    issuer.key_description()
                ))
            });
        }
    };
    sig::UnparsedPublicKey::new(alg, &issuer.key_bytes)
        .verify(message, signature)
        .map_err(|_| SignatureError::Mismatch(mismatch_for(&issuer.key_kind)))
}
