//! Reads what a CA bundle file holds: PEM certificates, DER, private keys, or garbage.

use rustls_pki_types::pem::{PemObject, SectionKind};

use super::cert::Cert;

/// What a bundle file holds.
#[derive(Debug, Clone, Default)]
pub struct BundleContents {
    /// Certificates that parsed.
    pub certs: Vec<Cert>,
    /// Certificate blocks that did not parse, with x509-parser's reason.
    pub bad_certs: Vec<String>,
    /// Kinds of private-key blocks found ("PRIVATE KEY", "RSA PRIVATE KEY", ...).
    pub private_keys: Vec<&'static str>,
    /// Other PEM blocks (CSR, CRL, public key).
    pub other_blocks: Vec<&'static str>,
    /// The file was a single DER certificate.
    pub der: bool,
    /// The file is empty or whitespace only.
    pub empty: bool,
    /// A PEM syntax error, if any.
    pub pem_error: Option<String>,
    /// The file mentions "BEGIN" but no block could be read (garbled PEM).
    pub looks_like_pem: bool,
}

/// Parses bundle bytes. Never fails: what is wrong is recorded.
pub fn parse(bytes: &[u8]) -> BundleContents {
    let mut out = BundleContents {
        empty: bytes.iter().all(u8::is_ascii_whitespace),
        looks_like_pem: bytes.windows(11).any(|w| w == b"-----BEGIN "),
        ..BundleContents::default()
    };
    if out.empty {
        return out;
    }
    for item in <(SectionKind, Vec<u8>)>::pem_slice_iter(bytes) {
        match item {
            Ok((SectionKind::Certificate, der)) => match Cert::parse(&der) {
                Ok(c) => out.certs.push(c),
                Err(e) => out.bad_certs.push(e),
            },
            Ok((SectionKind::PrivateKey, _)) => out.private_keys.push("PRIVATE KEY"),
            Ok((SectionKind::RsaPrivateKey, _)) => out.private_keys.push("RSA PRIVATE KEY"),
            Ok((SectionKind::EcPrivateKey, _)) => out.private_keys.push("EC PRIVATE KEY"),
            Ok((SectionKind::PublicKey, _)) => out.other_blocks.push("PUBLIC KEY"),
            Ok((SectionKind::Crl, _)) => out.other_blocks.push("X509 CRL"),
            Ok((SectionKind::Csr, _)) => out.other_blocks.push("CERTIFICATE REQUEST"),
            Ok(_) => out.other_blocks.push("other"),
            Err(e) => {
                out.pem_error = Some(e.to_string());
                break;
            }
        }
    }
    // PEM's iterator skips blocks it does not know, e.g. "ENCRYPTED PRIVATE KEY".
    if bytes
        .windows(27)
        .any(|w| w == b"-----BEGIN ENCRYPTED PRIVATE")
    {
        out.private_keys.push("ENCRYPTED PRIVATE KEY");
    }
    if !out.looks_like_pem
        && bytes.first() == Some(&0x30)
        && let Ok(c) = Cert::parse(bytes)
    {
        out.certs.push(c);
        out.der = true;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_whitespace_are_empty() {
        assert!(parse(b"").empty);
        assert!(parse(b" \n\t").empty);
    }

    #[test]
    fn garbage_has_no_certificates() {
        let b = parse(b"hello world, not a certificate");
        assert!(!b.empty && b.certs.is_empty() && b.private_keys.is_empty());
    }

    #[test]
    fn private_key_blocks_are_recognised() {
        let pem = b"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIDSat0MacDt2fokpnzuBaXvAQR6RJGS9rgIYOU2mZKld\n-----END PRIVATE KEY-----\n";
        let b = parse(pem);
        assert_eq!(b.private_keys, vec!["PRIVATE KEY"]);
        assert!(b.certs.is_empty());
    }
}
