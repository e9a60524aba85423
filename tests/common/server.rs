//! In-process servers on loopback for the integration tests: real tokio-rustls TLS
//! servers with rcgen certificates, a plain-HTTP server, a server that stalls, and a
//! closed port. Each runs on its own thread and stops when dropped.

use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::{ServerConfig, WebPkiClientVerifier};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// A running server; dropping it stops it.
pub struct Server {
    /// Where it listens.
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// `host:port` for the command line (`[::1]:port` for IPv6).
    pub fn target(&self) -> String {
        self.addr.to_string()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// What a server does with each connection.
#[derive(Clone)]
pub enum Behaviour {
    /// TLS, then answer HTTP/1.1 requests as a registry would.
    Tls(Arc<ServerConfig>),
    /// TLS, then answer every request 401 with a Basic challenge (the seed article's case).
    TlsBasicAuth(Arc<ServerConfig>),
    /// TLS, then answer every request 200 with `{"token": "…"}`: a token service that
    /// issues a token the registry will not accept.
    TlsTokenService(Arc<ServerConfig>),
    /// TLS, then a token service behind a redirect: `GET /token?…` answers 302 to
    /// `/issued?…` (and closes), `GET /issued?…` answers 200 with a token.
    TlsTokenRedirect(Arc<ServerConfig>),
    /// Plain HTTP registry: a TLS hello gets "400 Bad Request".
    PlainHttp,
    /// Accept and never answer.
    Stall,
    /// Read the client's first bytes, answer with these raw bytes, close.
    Raw(&'static [u8]),
    /// TLS, then answer every HTTP request with this raw response (a web server, a proxy).
    TlsStatic(Arc<ServerConfig>, &'static str),
    /// TLS, then `/v2/` answers 200 as a registry and every other path (the catalog)
    /// this raw response: a registry whose catalog is huge, or a proxy's page in front.
    TlsCatalog(Arc<ServerConfig>, &'static str),
    /// TLS with ALPN h2, then the hostile HTTP/2 server of [`super::h2flood`].
    H2Flood(Arc<ServerConfig>, Arc<super::h2flood::Counters>),
    /// Answer with an SSH banner.
    Ssh,
}

/// Starts a server on `bind` (e.g. "127.0.0.1:0").
pub fn start(bind: &str, behaviour: Behaviour) -> Server {
    let std_listener = std::net::TcpListener::bind(bind).unwrap();
    std_listener.set_nonblocking(true).unwrap();
    let addr = std_listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = TcpListener::from_std(std_listener).unwrap();
            let accept = async {
                loop {
                    let Ok((sock, _)) = listener.accept().await else {
                        continue;
                    };
                    let b = behaviour.clone();
                    tokio::spawn(async move { serve(sock, b).await });
                }
            };
            tokio::select! {
                _ = accept => {}
                _ = rx => {}
            }
        });
    });
    Server {
        addr,
        stop: Some(tx),
        thread: Some(thread),
    }
}

/// A port on 127.0.0.1 where nothing listens.
pub fn closed_port() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

async fn serve(mut sock: TcpStream, b: Behaviour) {
    match b {
        Behaviour::Stall => {
            let mut buf = [0u8; 1024];
            // Read and ignore until the client gives up.
            while let Ok(n) = sock.read(&mut buf).await {
                if n == 0 {
                    break;
                }
            }
        }
        Behaviour::TlsStatic(cfg, response) => {
            let acceptor = tokio_rustls::TlsAcceptor::from(cfg);
            if let Ok(mut tls) = acceptor.accept(sock).await {
                let mut buf = vec![0u8; 8192];
                while let Ok(n) = tls.read(&mut buf).await {
                    if n == 0 || tls.write_all(response.as_bytes()).await.is_err() {
                        break;
                    }
                }
            }
        }
        Behaviour::TlsCatalog(cfg, response) => {
            let acceptor = tokio_rustls::TlsAcceptor::from(cfg);
            if let Ok(mut tls) = acceptor.accept(sock).await {
                let mut buf = vec![0u8; 8192];
                while let Ok(n) = tls.read(&mut buf).await {
                    let head = String::from_utf8_lossy(&buf[..n]).to_string();
                    let v2 = head.split_whitespace().nth(1) == Some("/v2/");
                    let reply = if v2 {
                        "HTTP/1.1 200 OK\r\nDocker-Distribution-Api-Version: registry/2.0\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
                    } else {
                        response
                    };
                    if n == 0 || tls.write_all(reply.as_bytes()).await.is_err() {
                        break;
                    }
                }
            }
        }
        Behaviour::H2Flood(cfg, counters) => {
            let acceptor = tokio_rustls::TlsAcceptor::from(cfg);
            if let Ok(tls) = acceptor.accept(sock).await {
                super::h2flood::serve(tls, counters).await;
            }
        }
        Behaviour::Raw(bytes) => {
            let mut buf = [0u8; 4096];
            let _ = sock.read(&mut buf).await;
            let _ = sock.write_all(bytes).await;
            let _ = sock.shutdown().await;
        }
        Behaviour::Ssh => {
            let _ = sock.write_all(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n").await;
            let mut buf = [0u8; 1024];
            let _ = sock.read(&mut buf).await;
        }
        Behaviour::PlainHttp => {
            let mut first = [0u8; 1];
            if sock.peek(&mut first).await.is_ok() && first[0] == 0x16 {
                let _ = sock
                    .write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    .await;
                return;
            }
            registry_http(sock, false).await;
        }
        Behaviour::Tls(cfg) => {
            let acceptor = tokio_rustls::TlsAcceptor::from(cfg);
            if let Ok(tls) = acceptor.accept(sock).await {
                registry_http(tls, false).await;
            }
        }
        Behaviour::TlsBasicAuth(cfg) => {
            let acceptor = tokio_rustls::TlsAcceptor::from(cfg);
            if let Ok(tls) = acceptor.accept(sock).await {
                registry_http(tls, true).await;
            }
        }
        Behaviour::TlsTokenRedirect(cfg) => {
            let acceptor = tokio_rustls::TlsAcceptor::from(cfg);
            if let Ok(mut tls) = acceptor.accept(sock).await {
                let mut buf = vec![0u8; 8192];
                let n = tls.read(&mut buf).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]).to_string();
                let target = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                let resp = match target.strip_prefix("/token") {
                    Some(query) => format!(
                        "HTTP/1.1 302 Found\r\nLocation: /issued{query}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    ),
                    None => {
                        let body = r#"{"token":"not-a-jwt-the-registry-accepts","expires_in":300}"#;
                        format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                            body.len()
                        )
                    }
                };
                let _ = tls.write_all(resp.as_bytes()).await;
                let _ = tls.shutdown().await;
            }
        }
        Behaviour::TlsTokenService(cfg) => {
            let acceptor = tokio_rustls::TlsAcceptor::from(cfg);
            if let Ok(mut tls) = acceptor.accept(sock).await {
                let mut buf = vec![0u8; 8192];
                let _ = tls.read(&mut buf).await;
                let body = r#"{"token":"not-a-jwt-the-registry-accepts","expires_in":300}"#;
                let resp = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(resp.as_bytes()).await;
                let _ = tls.shutdown().await;
            }
        }
    }
}

/// Answers HTTP/1.1 requests like an anonymous registry (200 on /v2/, a catalog), or like
/// the seed article's restricted one (401 Basic with the UNAUTHORIZED body).
async fn registry_http<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    mut s: S,
    auth: bool,
) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let Ok(n) = s.read(&mut chunk).await else {
            return;
        };
        if n == 0 {
            return;
        }
        buf.extend_from_slice(&chunk[..n]);
        while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            buf.drain(..end + 4);
            let path = head.split_whitespace().nth(1).unwrap_or("/");
            let body = if path.starts_with("/v2/_catalog") {
                r#"{"repositories":["library/alpine"]}"#
            } else {
                "{}"
            };
            let resp = if auth {
                let body = r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":[{"Type":"registry","Class":"","Name":"catalog","Action":"*"}]}]}"#;
                format!(
                    "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json; charset=utf-8\r\nDocker-Distribution-Api-Version: registry/2.0\r\nWww-Authenticate: Basic realm=\"Registry Realm\"\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                )
            } else {
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nDocker-Distribution-Api-Version: registry/2.0\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                )
            };
            if s.write_all(resp.as_bytes()).await.is_err() {
                return;
            }
        }
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A TLS server config presenting `chain` (DER, leaf first) with a PKCS#8 key.
pub fn tls_config(chain: &[Vec<u8>], key_der: &[u8]) -> Arc<ServerConfig> {
    let certs: Vec<CertificateDer<'static>> = chain
        .iter()
        .map(|c| CertificateDer::from(c.clone()))
        .collect();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_der.to_vec()));
    let mut cfg = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(cfg)
}

/// A TLS server that requires a client certificate issued by `client_ca` (DER).
pub fn mtls_config(
    chain: &[Vec<u8>],
    key_der: &[u8],
    client_ca: &[u8],
    tls12_only: bool,
) -> Arc<ServerConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from(client_ca.to_vec())).unwrap();
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
        .build()
        .unwrap();
    let versions: &[&rustls::SupportedProtocolVersion] = if tls12_only {
        &[&rustls::version::TLS12]
    } else {
        &[&rustls::version::TLS13]
    };
    let certs: Vec<CertificateDer<'static>> = chain
        .iter()
        .map(|c| CertificateDer::from(c.clone()))
        .collect();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_der.to_vec()));
    let cfg = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(versions)
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(certs, key)
        .unwrap();
    Arc::new(cfg)
}

/// A TLS server whose certificate has a 1024-bit RSA key (the fixture), signing the
/// handshake with the RustCrypto `rsa` crate because ring refuses such keys.
pub fn rsa1024_config() -> Arc<ServerConfig> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
    let cert = std::fs::read(format!("{dir}/rsa1024-leaf.der")).unwrap();
    let key = std::fs::read(format!("{dir}/rsa1024-leaf.key.der")).unwrap();
    let signing = Arc::new(Rsa1024::from_pkcs8(&key));
    let certified = Arc::new(rustls::sign::CertifiedKey::new(
        vec![CertificateDer::from(cert)],
        signing,
    ));
    let mut cfg = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(Fixed(certified)));
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(cfg)
}

#[derive(Debug)]
struct Fixed(Arc<rustls::sign::CertifiedKey>);

impl rustls::server::ResolvesServerCert for Fixed {
    fn resolve(
        &self,
        _: rustls::server::ClientHello<'_>,
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        Some(self.0.clone())
    }
}

#[derive(Debug)]
struct Rsa1024(rsa::RsaPrivateKey);

impl Rsa1024 {
    fn from_pkcs8(der: &[u8]) -> Rsa1024 {
        use rsa::pkcs8::DecodePrivateKey;
        Rsa1024(rsa::RsaPrivateKey::from_pkcs8_der(der).unwrap())
    }
}

impl rustls::sign::SigningKey for Rsa1024 {
    fn choose_scheme(
        &self,
        offered: &[rustls::SignatureScheme],
    ) -> Option<Box<dyn rustls::sign::Signer>> {
        use rustls::SignatureScheme::*;
        [RSA_PSS_SHA256, RSA_PKCS1_SHA256]
            .into_iter()
            .find(|s| offered.contains(s))
            .map(|scheme| {
                Box::new(Rsa1024Signer(self.0.clone(), scheme)) as Box<dyn rustls::sign::Signer>
            })
    }
    fn algorithm(&self) -> rustls::SignatureAlgorithm {
        rustls::SignatureAlgorithm::RSA
    }
}

#[derive(Debug)]
struct Rsa1024Signer(rsa::RsaPrivateKey, rustls::SignatureScheme);

impl rustls::sign::Signer for Rsa1024Signer {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, rustls::Error> {
        use rsa::signature::{RandomizedSigner, SignatureEncoding, Signer};
        let sig = if self.1 == rustls::SignatureScheme::RSA_PSS_SHA256 {
            let k = rsa::pss::BlindedSigningKey::<rsa::sha2::Sha256>::new(self.0.clone());
            k.sign_with_rng(&mut rsa::rand_core::OsRng, message)
                .to_vec()
        } else {
            let k = rsa::pkcs1v15::SigningKey::<rsa::sha2::Sha256>::new(self.0.clone());
            k.sign(message).to_vec()
        };
        Ok(sig)
    }
    fn scheme(&self) -> rustls::SignatureScheme {
        self.1
    }
}
