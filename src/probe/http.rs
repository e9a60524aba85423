//! HTTP requests over a connection the probe already opened (hyper 1: HTTP/2 when ALPN
//! chose h2, else HTTP/1.1). Bodies are capped, redirects are recorded and not followed,
//! and every wait is bounded by the run's deadline.

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::Request;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::{Instant, timeout_at};

use crate::facts::{Alert, HttpExchange};

/// The most of a body that is read.
pub const BODY_CAP: usize = 1024 * 1024;

/// Response headers worth keeping as evidence (none of them secret).
const KEPT_HEADERS: &[&str] = &[
    "content-type",
    "content-length",
    "docker-distribution-api-version",
    "www-authenticate",
    "location",
    "link",
    "date",
    "server",
];

/// The result of a series of requests on one connection.
pub struct Exchanges {
    /// One per request made.
    pub exchanges: Vec<HttpExchange>,
    /// A TLS alert that arrived instead of a response (TLS 1.3 client auth).
    pub alert: Option<Alert>,
}

/// Sends `GET` for each path on `io`, in order, stopping at the first connection error.
pub async fn get_all<IO>(
    io: IO,
    h2: bool,
    scheme: &str,
    authority: &str,
    paths: &[&str],
    deadline: Instant,
) -> Exchanges
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut out = Exchanges {
        exchanges: Vec::new(),
        alert: None,
    };
    let io = TokioIo::new(io);
    let mut sender = match handshake(io, h2, deadline).await {
        Ok(s) => s,
        Err((msg, alert)) => {
            out.alert = alert;
            out.exchanges.push(HttpExchange {
                method: "GET".into(),
                path: paths.first().unwrap_or(&"/v2/").to_string(),
                error: Some(msg),
                ..HttpExchange::default()
            });
            return out;
        }
    };
    for path in paths {
        let uri = if h2 {
            format!("{scheme}://{authority}{path}")
        } else {
            path.to_string()
        };
        let req = Request::get(uri)
            .header(hyper::header::HOST, authority)
            .header(
                hyper::header::USER_AGENT,
                concat!("regdoctor/", env!("CARGO_PKG_VERSION")),
            )
            .header(hyper::header::ACCEPT, "application/json")
            .body(Empty::<Bytes>::new());
        let mut ex = HttpExchange {
            method: "GET".into(),
            path: path.to_string(),
            ..HttpExchange::default()
        };
        let req = match req {
            Ok(r) => r,
            Err(e) => {
                ex.error = Some(e.to_string());
                out.exchanges.push(ex);
                break;
            }
        };
        match timeout_at(deadline, sender.send(req)).await {
            Ok(Ok(resp)) => {
                ex.status = Some(resp.status().as_u16());
                for (name, value) in resp.headers() {
                    if KEPT_HEADERS.contains(&name.as_str()) {
                        ex.headers.push((
                            name.as_str().to_string(),
                            String::from_utf8_lossy(value.as_bytes()).into_owned(),
                        ));
                    }
                }
                let (body, truncated) = read_body(resp.into_body(), deadline).await;
                ex.body = String::from_utf8_lossy(&body).into_owned();
                ex.truncated = truncated;
                out.exchanges.push(ex);
            }
            Ok(Err(e)) => {
                out.alert = super::tls::alert_in_chain(&e);
                ex.error = Some(error_chain(&e));
                out.exchanges.push(ex);
                break;
            }
            Err(_) => {
                ex.error = Some("no response before the deadline".into());
                out.exchanges.push(ex);
                break;
            }
        }
    }
    out
}

enum Sender {
    H1(hyper::client::conn::http1::SendRequest<Empty<Bytes>>),
    H2(hyper::client::conn::http2::SendRequest<Empty<Bytes>>),
}

impl Sender {
    async fn send(
        &mut self,
        req: Request<Empty<Bytes>>,
    ) -> Result<hyper::Response<hyper::body::Incoming>, hyper::Error> {
        match self {
            Sender::H1(s) => {
                s.ready().await?;
                s.send_request(req).await
            }
            Sender::H2(s) => {
                s.ready().await?;
                s.send_request(req).await
            }
        }
    }
}

async fn handshake<IO>(
    io: TokioIo<IO>,
    h2: bool,
    deadline: Instant,
) -> Result<Sender, (String, Option<Alert>)>
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let fail = |e: hyper::Error| (error_chain(&e), super::tls::alert_in_chain(&e));
    let timeout = || ("no HTTP/2 handshake before the deadline".to_string(), None);
    if h2 {
        let (sender, conn) = timeout_at(
            deadline,
            hyper::client::conn::http2::handshake(TokioExecutor::new(), io),
        )
        .await
        .map_err(|_| timeout())?
        .map_err(fail)?;
        tokio::spawn(conn);
        Ok(Sender::H2(sender))
    } else {
        let (sender, conn) = timeout_at(deadline, hyper::client::conn::http1::handshake(io))
            .await
            .map_err(|_| timeout())?
            .map_err(fail)?;
        tokio::spawn(conn);
        Ok(Sender::H1(sender))
    }
}

async fn read_body(mut body: hyper::body::Incoming, deadline: Instant) -> (Vec<u8>, bool) {
    let mut buf = Vec::new();
    loop {
        match timeout_at(deadline, body.frame()).await {
            Ok(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    let room = BODY_CAP - buf.len();
                    if data.len() > room {
                        buf.extend_from_slice(&data[..room]);
                        return (buf, true);
                    }
                    buf.extend_from_slice(data);
                }
            }
            Ok(None) | Ok(Some(Err(_))) => return (buf, false),
            Err(_) => return (buf, true),
        }
    }
}

/// An error and its causes on one line.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        let t = s.to_string();
        if !parts.iter().any(|p| p.contains(&t)) {
            parts.push(t);
        }
        cur = s.source();
    }
    parts.join(": ")
}
