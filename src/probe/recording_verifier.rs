//! DANGER: a rustls certificate verifier that accepts every chain.
//!
//! Its one job is to record what the server presented, so that the chain can be judged
//! afterwards by Go's rules (`pki`) and the rest of the report (HTTP, `/v2/`) can still be
//! observed when the chain is bad. It never decides trust. It still delegates the TLS 1.2
//! and 1.3 handshake-signature checks to rustls, and records whether the server proved
//! possession of its key; a connection whose key possession was not proven is never
//! treated as verified (see [`crate::probe::VerifiedConnection`]).

use std::sync::{Arc, Mutex};

use rustls::DigitallySignedStruct;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, Error, SignatureScheme};

use crate::facts::{KeyPossession, WebpkiVerdict};

/// What the verifier saw.
#[derive(Debug, Default, Clone)]
pub struct Recorded {
    /// The presented chain, DER, leaf first.
    pub chain: Vec<Vec<u8>>,
    /// rustls-webpki's verdict against the --ca roots, when there were any.
    pub webpki: Option<WebpkiVerdict>,
    /// The handshake-signature result.
    pub key_possession: Option<KeyPossession>,
    /// Whether the server asked for a client certificate.
    pub client_cert_requested: bool,
    /// Whether one was sent in answer.
    pub client_cert_sent: bool,
}

/// The recording verifier.
#[derive(Debug)]
pub struct RecordingVerifier {
    provider: Arc<CryptoProvider>,
    webpki: Option<Arc<WebPkiServerVerifier>>,
    /// Shared with the probe, which reads it after the handshake.
    pub recorded: Arc<Mutex<Recorded>>,
}

impl RecordingVerifier {
    /// A verifier that also asks rustls-webpki about `roots` (DER), for comparison.
    pub fn new(provider: Arc<CryptoProvider>, roots: &[Vec<u8>]) -> RecordingVerifier {
        let mut store = rustls::RootCertStore::empty();
        for der in roots {
            // A root webpki cannot use is simply not part of the comparison.
            let _ = store.add(CertificateDer::from(der.clone()));
        }
        let webpki = if store.is_empty() {
            None
        } else {
            WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider.clone())
                .build()
                .ok()
        };
        RecordingVerifier {
            provider,
            webpki,
            recorded: Arc::default(),
        }
    }

    fn record<F: FnOnce(&mut Recorded)>(&self, f: F) {
        if let Ok(mut r) = self.recorded.lock() {
            f(&mut r);
        }
    }

    fn record_signature(&self, result: &Result<HandshakeSignatureValid, Error>) {
        let possession = match result {
            Ok(_) => KeyPossession::Proven,
            Err(e) => KeyPossession::NotProven(e.to_string()),
        };
        self.record(|r| r.key_possession = Some(possession));
    }
}

fn webpki_verdict(result: Result<ServerCertVerified, Error>) -> WebpkiVerdict {
    match result {
        Ok(_) => WebpkiVerdict::Ok,
        Err(Error::InvalidCertificate(CertificateError::Other(other)))
            if other.0.downcast_ref::<webpki::Error>()
                == Some(&webpki::Error::CaUsedAsEndEntity) =>
        {
            WebpkiVerdict::CaUsedAsEndEntity
        }
        Err(Error::InvalidCertificate(e)) => WebpkiVerdict::Rejected(format!("{e:?}")),
        Err(e) => WebpkiVerdict::Rejected(format!("{e:?}")),
    }
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let webpki = self.webpki.as_ref().map(|v| {
            webpki_verdict(v.verify_server_cert(
                end_entity,
                intermediates,
                server_name,
                ocsp_response,
                now,
            ))
        });
        self.record(|r| {
            r.chain = std::iter::once(end_entity)
                .chain(intermediates)
                .map(|c| c.as_ref().to_vec())
                .collect();
            r.webpki = webpki;
        });
        // Recorded, not judged: the verdict is computed later with Go's rules.
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        let result = rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        );
        self.finish_signature(result)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        let result = rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        );
        self.finish_signature(result)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

impl RecordingVerifier {
    /// A signature that fails because ring cannot handle the key (an RSA key under
    /// 2048 bits, which Go accepts) must not abort the diagnosis: it is recorded as
    /// "not proven" and the handshake goes on so the rest can be observed. The
    /// connection is then never counted as verified.
    fn finish_signature(
        &self,
        result: Result<HandshakeSignatureValid, Error>,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.record_signature(&result);
        Ok(HandshakeSignatureValid::assertion())
    }
}

/// A client-certificate resolver that records the request and offers the runtime's
/// client certificate, when it has one (as Go's `tls.Config.Certificates` does).
#[derive(Debug)]
pub struct RecordingClientAuth {
    /// Shared with the verifier's record.
    pub recorded: Arc<Mutex<Recorded>>,
    /// The client certificate and key to present.
    pub identity: Option<Arc<rustls::sign::CertifiedKey>>,
}

impl rustls::client::ResolvesClientCert for RecordingClientAuth {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        _sigschemes: &[SignatureScheme],
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        if let Ok(mut r) = self.recorded.lock() {
            r.client_cert_requested = true;
            r.client_cert_sent = self.identity.is_some();
        }
        self.identity.clone()
    }

    fn has_certs(&self) -> bool {
        self.identity.is_some()
    }
}
