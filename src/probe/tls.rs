//! The TLS handshake: offer h2 and http/1.1, record the chain whatever it is, and
//! classify how the handshake ended — in one function, by error variant and by the bytes
//! the server sent, never by message text.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use rustls::pki_types::ServerName;
use rustls::{AlertDescription, ClientConfig, PeerIncompatible};
use tokio::io::{AsyncRead, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout_at};
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use super::recording_verifier::{Recorded, RecordingClientAuth, RecordingVerifier};
use crate::facts::{Alert, KeyPossession, TlsFacts, TlsOutcome};
use crate::target::{Host, Target};

/// How many of the server's first bytes are kept, to recognise HTTP or other protocols.
const PEEK: usize = 64;

/// A TCP stream that remembers the first bytes the server sent.
pub struct PeekStream {
    inner: TcpStream,
    seen: Arc<Mutex<Vec<u8>>>,
}

impl AsyncRead for PeekStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let res = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = res
            && let Ok(mut seen) = self.seen.lock()
            && seen.len() < PEEK
        {
            let new = &buf.filled()[before..];
            let take = new.len().min(PEEK - seen.len());
            seen.extend_from_slice(&new[..take]);
        }
        res
    }
}

write_through!(PeekStream);

/// The established TLS stream.
pub type Tls = TlsStream<PeekStream>;

/// A client certificate and key, loaded for rustls; None (with why) when the files do not
/// hold a certificate and a key ring can use.
pub fn load_identity(
    pair: &crate::facts::ClientPair,
) -> Result<Arc<rustls::sign::CertifiedKey>, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&pair.cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: {e}", pair.cert))?;
    if certs.is_empty() {
        return Err(format!("{} holds no PEM certificate", pair.cert));
    }
    let key =
        PrivateKeyDer::from_pem_slice(&pair.key_pem).map_err(|e| format!("{}: {e}", pair.key))?;
    let signer = rustls::crypto::ring::sign::any_supported_type(&key)
        .map_err(|e| format!("{}: {e}", pair.key))?;
    Ok(Arc::new(rustls::sign::CertifiedKey::new(certs, signer)))
}

/// Runs the handshake, presenting `identity` when the server asks for a client
/// certificate. `ca_roots` only feed the rustls-webpki comparison.
pub async fn handshake(
    tcp: TcpStream,
    target: &Target,
    ca_roots: &[Vec<u8>],
    identity: Option<&crate::facts::ClientPair>,
    deadline: Instant,
) -> (TlsFacts, Option<Tls>) {
    let identity = identity.and_then(|p| load_identity(p).ok());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Arc::new(RecordingVerifier::new(provider.clone(), ca_roots));
    let recorded = verifier.recorded.clone();
    let mut config = match client_config(provider, verifier, recorded.clone(), identity) {
        Ok(c) => c,
        Err(detail) => return (facts(TlsOutcome::Failed { detail }, &recorded), None),
    };
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let peer_ip = tcp.peer_addr().ok().map(|a| a.ip());
    let server_name = server_name(&target.host, peer_ip);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let stream = PeekStream {
        inner: tcp,
        seen: seen.clone(),
    };
    let start = Instant::now();
    let connector = TlsConnector::from(Arc::new(config));
    let result = timeout_at(deadline, connector.connect(server_name, stream)).await;
    let first_bytes = seen.lock().map(|s| s.clone()).unwrap_or_default();
    match result {
        Ok(Ok(tls)) => {
            let (_, conn) = tls.get_ref();
            let outcome = established(conn);
            (facts(outcome, &recorded), Some(tls))
        }
        Ok(Err(e)) => (facts(classify(&e, &first_bytes), &recorded), None),
        Err(_) => {
            let outcome = if first_bytes.is_empty() || is_tls_record(&first_bytes) {
                TlsOutcome::Timeout {
                    after_ms: start.elapsed().as_millis() as u64,
                }
            } else {
                classify_bytes(&first_bytes).unwrap_or(TlsOutcome::Timeout {
                    after_ms: start.elapsed().as_millis() as u64,
                })
            };
            (facts(outcome, &recorded), None)
        }
    }
}

/// rustls's client configuration: TLS 1.3 and 1.2, the recording verifier, the client
/// certificate resolver that records the server's request.
fn client_config(
    provider: Arc<rustls::crypto::CryptoProvider>,
    verifier: Arc<RecordingVerifier>,
    recorded: Arc<Mutex<Recorded>>,
    identity: Option<Arc<rustls::sign::CertifiedKey>>,
) -> Result<ClientConfig, String> {
    let builder = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| e.to_string())?;
    Ok(builder
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_client_cert_resolver(Arc::new(RecordingClientAuth { recorded, identity })))
}

/// The name sent in SNI (an IP target sends none, as Go).
fn server_name(host: &Host, peer_ip: Option<std::net::IpAddr>) -> ServerName<'static> {
    match (host, peer_ip) {
        (Host::Ip(ip), _) => ServerName::IpAddress((*ip).into()),
        (Host::Name(n), ip) => match ServerName::try_from(n.clone()) {
            Ok(s) => s,
            // A name rustls will not put in SNI (e.g. with '_'): dial without SNI.
            Err(_) => match ip {
                Some(ip) => ServerName::IpAddress(ip.into()),
                None => ServerName::IpAddress(std::net::Ipv4Addr::LOCALHOST.into()),
            },
        },
    }
}

/// What the completed handshake negotiated.
fn established(conn: &rustls::ClientConnection) -> TlsOutcome {
    TlsOutcome::Established {
        version: match conn.protocol_version() {
            Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3".into(),
            Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2".into(),
            Some(v) => format!("{v:?}"),
            None => "unknown".into(),
        },
        cipher: conn
            .negotiated_cipher_suite()
            .and_then(|c| c.suite().as_str())
            .unwrap_or("unknown")
            .to_string(),
        alpn: conn
            .alpn_protocol()
            .map(|p| String::from_utf8_lossy(p).into_owned()),
    }
}

fn facts(outcome: TlsOutcome, recorded: &Arc<Mutex<Recorded>>) -> TlsFacts {
    let r = recorded.lock().map(|r| r.clone()).unwrap_or_default();
    TlsFacts {
        outcome,
        chain: r.chain,
        client_cert_requested: r.client_cert_requested,
        client_cert_sent: r.client_cert_sent,
        post_handshake_alert: None,
        key_possession: r.key_possession.unwrap_or(KeyPossession::Unknown),
        webpki: r.webpki,
    }
}

fn is_tls_record(bytes: &[u8]) -> bool {
    matches!(bytes.first(), Some(0x14..=0x17))
}

/// Printable form of the server's first bytes.
pub fn printable(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| match b {
            b'\r' => "\\r".to_string(),
            b'\n' => "\\n".to_string(),
            0x20..=0x7e => (b as char).to_string(),
            _ => format!("\\x{b:02x}"),
        })
        .collect()
}

/// Go decides "HTTP response to HTTPS client" from the first five bytes being `HTTP/`;
/// anything else that is not a TLS record is "does not look like a TLS handshake".
fn classify_bytes(first: &[u8]) -> Option<TlsOutcome> {
    if first.is_empty() || is_tls_record(first) {
        return None;
    }
    let first_bytes = printable(first);
    Some(if first.starts_with(b"HTTP/") {
        TlsOutcome::PlainHttp { first_bytes }
    } else {
        TlsOutcome::NotTls { first_bytes }
    })
}

/// The one place handshake errors are classified.
pub fn classify(e: &io::Error, first_bytes: &[u8]) -> TlsOutcome {
    if let Some(o) = classify_bytes(first_bytes) {
        return o;
    }
    match rustls_error(e) {
        Some(rustls::Error::AlertReceived(AlertDescription::ProtocolVersion)) => {
            TlsOutcome::ProtocolTooOld {
                detail: "the server answered with a protocol_version alert".into(),
            }
        }
        Some(rustls::Error::AlertReceived(desc)) => TlsOutcome::Alert(alert(*desc)),
        Some(rustls::Error::PeerIncompatible(
            PeerIncompatible::ServerDoesNotSupportTls12Or13
            | PeerIncompatible::ServerTlsVersionIsDisabledByOurConfig,
        )) => TlsOutcome::ProtocolTooOld {
            detail: "the server selected a TLS version below 1.2".into(),
        },
        Some(other) => TlsOutcome::Failed {
            detail: other.to_string(),
        },
        None => match e.kind() {
            io::ErrorKind::UnexpectedEof
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::ConnectionAborted => TlsOutcome::Closed {
                detail: e.to_string(),
            },
            _ => TlsOutcome::Failed {
                detail: e.to_string(),
            },
        },
    }
}

fn rustls_error(e: &io::Error) -> Option<&rustls::Error> {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
}

/// Finds a TLS alert anywhere in an error's source chain (hyper → io → rustls).
pub fn alert_in_chain(e: &(dyn std::error::Error + 'static)) -> Option<Alert> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(rustls::Error::AlertReceived(d)) = err.downcast_ref::<rustls::Error>() {
            return Some(alert(*d));
        }
        if let Some(io) = err.downcast_ref::<io::Error>()
            && let Some(rustls::Error::AlertReceived(d)) = rustls_error(io)
        {
            return Some(alert(*d));
        }
        cur = err.source();
    }
    None
}

/// A rustls alert as a fact, with Go's name for it (crypto/tls alert.go).
pub fn alert(desc: AlertDescription) -> Alert {
    let code = u8::from(desc);
    let go_name = match code {
        0 => "close notify",
        10 => "unexpected message",
        20 => "bad record MAC",
        40 => "handshake failure",
        42 => "bad certificate",
        43 => "unsupported certificate",
        44 => "revoked certificate",
        45 => "expired certificate",
        46 => "unknown certificate",
        47 => "illegal parameter",
        48 => "unknown certificate authority",
        49 => "access denied",
        50 => "error decoding message",
        51 => "error decrypting message",
        70 => "protocol version not supported",
        71 => "insufficient security level",
        80 => "internal error",
        86 => "inappropriate fallback",
        90 => "user canceled",
        109 => "missing extension",
        110 => "unsupported extension",
        112 => "unrecognized name",
        116 => "certificate required",
        120 => "no application protocol",
        _ => "alert",
    };
    Alert {
        code,
        go_name: if go_name == "alert" {
            format!("alert({code})")
        } else {
            go_name.to_string()
        },
    }
}
