//! Crafted certificates for the Go-fidelity tests: DER surgery on rcgen certificates
//! (a malformed time, a public key off its curve) and a TLS server that presents ANY
//! chain, parseable or not, as long as the handshake can be signed with the key.

// Test builders: a failure to build a fixture should stop the test loudly.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::ServerConfig;

use super::server::{self, Behaviour, Server};

/// A TLS server config that presents `chain` (DER, leaf first) as is: unlike
/// [`server::tls_config`] nothing parses the chain or matches the key to the leaf, so
/// the chain may hold certificates no parser accepts. `key_der` (PKCS#8) signs the
/// handshake.
pub fn raw_tls_config(chain: &[Vec<u8>], key_der: &[u8]) -> Arc<ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_der.to_vec()));
    let signing = provider.key_provider.load_private_key(key).unwrap();
    let certs: Vec<CertificateDer<'static>> = chain
        .iter()
        .map(|c| CertificateDer::from(c.clone()))
        .collect();
    let certified = Arc::new(rustls::sign::CertifiedKey::new(certs, signing));
    let mut cfg = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(Always(certified)));
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(cfg)
}

#[derive(Debug)]
struct Always(Arc<rustls::sign::CertifiedKey>);

impl rustls::server::ResolvesServerCert for Always {
    fn resolve(
        &self,
        _: rustls::server::ClientHello<'_>,
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        Some(self.0.clone())
    }
}

/// A registry-like TLS server on 127.0.0.1 presenting `chain` as is.
pub fn raw_server(chain: &[Vec<u8>], key_der: &[u8]) -> Server {
    server::start(
        "127.0.0.1:0",
        Behaviour::Tls(raw_tls_config(chain, key_der)),
    )
}

/// Replaces the only occurrence of `old` in `der` by `new`, of the same length (so no
/// enclosing length changes). Panics when `old` is absent or not unique.
pub fn replace_once(der: &[u8], old: &[u8], new: &[u8]) -> Vec<u8> {
    assert_eq!(old.len(), new.len(), "same-length edits only");
    let hits: Vec<usize> = der
        .windows(old.len())
        .enumerate()
        .filter(|(_, w)| *w == old)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(
        hits.len(),
        1,
        "{} occurrences of the bytes to replace",
        hits.len()
    );
    let mut out = der.to_vec();
    out[hits[0]..hits[0] + new.len()].copy_from_slice(new);
    out
}

/// The first UTCTime (notBefore, for a certificate valid before 2050) of a certificate:
/// its offset and its 13 characters `YYMMDDhhmmssZ`.
pub fn first_utctime(der: &[u8]) -> (usize, String) {
    let i = der
        .windows(2)
        .enumerate()
        .find(|(i, w)| {
            *w == [0x17, 0x0d]
                && der
                    .get(i + 2..i + 15)
                    .is_some_and(|t| t[..12].iter().all(u8::is_ascii_digit) && t[12] == b'Z')
        })
        .map(|(i, _)| i)
        .expect("no UTCTime in the certificate");
    (
        i + 2,
        String::from_utf8(der[i + 2..i + 15].to_vec()).unwrap(),
    )
}

/// The certificate with its notBefore UTCTime text replaced by `text` (13 characters).
pub fn with_not_before_text(der: &[u8], text: &str) -> Vec<u8> {
    assert_eq!(text.len(), 13);
    let (at, _) = first_utctime(der);
    let mut out = der.to_vec();
    out[at..at + 13].copy_from_slice(text.as_bytes());
    out
}

/// The certificate with its uncompressed P-256 public key point moved off the curve
/// (the last byte of Y changed): Go's parser refuses it.
pub fn with_point_off_curve(der: &[u8]) -> Vec<u8> {
    // BIT STRING, 66 bytes, no padding, uncompressed point.
    let i = der
        .windows(4)
        .position(|w| w == [0x03, 0x42, 0x00, 0x04])
        .expect("no P-256 public key in the certificate");
    let last = i + 4 + 63;
    let mut out = der.to_vec();
    out[last] ^= 0x01;
    out
}
