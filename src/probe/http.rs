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
    "docker-content-digest",
    "content-range",
];

/// A request beyond the anonymous JSON `GET`: its method, `Accept`, `Range` and how much
/// of the body to read.
#[derive(Debug, Clone, Copy)]
pub struct Req<'a> {
    /// GET or HEAD.
    pub method: &'static str,
    /// Path and query.
    pub path: &'a str,
    /// The `Accept` header.
    pub accept: &'a str,
    /// A `Range` header (`bytes=0-0`).
    pub range: Option<&'a str>,
    /// The most of the body read; the rest is never downloaded.
    pub cap: usize,
}

impl<'a> Req<'a> {
    /// `GET path`, JSON, the usual cap.
    pub fn get(path: &'a str) -> Req<'a> {
        Req {
            method: "GET",
            path,
            accept: "application/json",
            range: None,
            cap: BODY_CAP,
        }
    }
}

/// An HTTP connection on which requests are made one after the other.
pub struct Session {
    sender: Sender,
    h2: bool,
    scheme: &'static str,
    authority: String,
    deadline: Instant,
    /// A TLS alert that arrived instead of a response (TLS 1.3 client auth).
    pub alert: Option<Alert>,
    /// Set once the connection failed; later requests are not attempted.
    pub broken: bool,
}

/// The value of an `Authorization` header. Its text is secret: it is never recorded; the
/// exchange only records which kind was sent.
pub enum Authorization<'a> {
    /// `Basic base64(user:password)`.
    Basic(&'a crate::secret::Credentials),
    /// `Bearer <token>`.
    Bearer(&'a crate::secret::Secret),
}

impl Authorization<'_> {
    fn kind(&self) -> &'static str {
        match self {
            Authorization::Basic(_) => "basic",
            Authorization::Bearer(_) => "bearer",
        }
    }
    fn header_value(&self) -> String {
        match self {
            Authorization::Basic(c) => format!("Basic {}", c.basic_token()),
            Authorization::Bearer(t) => format!("Bearer {}", t.expose()),
        }
    }
}

impl Session {
    /// Opens an HTTP session on `io` (HTTP/2 when `h2`).
    pub async fn open<IO>(
        io: IO,
        h2: bool,
        scheme: &'static str,
        authority: &str,
        deadline: Instant,
    ) -> Result<Session, (String, Option<Alert>)>
    where
        IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let io = super::budget::ReadBudget::new(io, super::budget::CONNECTION_BUDGET);
        let sender = handshake(TokioIo::new(io), h2, deadline).await?;
        Ok(Session {
            sender,
            h2,
            scheme,
            authority: authority.to_string(),
            deadline,
            alert: None,
            broken: false,
        })
    }

    /// `GET path_and_query`, anonymously or with credentials (the caller must hold a
    /// [`crate::probe::SendPermit`] to pass an [`Authorization`]).
    pub async fn get(
        &mut self,
        path: &str,
        auth: Option<(&Authorization<'_>, &super::SendPermit)>,
    ) -> HttpExchange {
        self.send(&Req::get(path), auth).await.0
    }

    /// Sends a request; the exchange (its body as text) and the body's bytes (at most
    /// `req.cap`).
    pub async fn send(
        &mut self,
        r: &Req<'_>,
        auth: Option<(&Authorization<'_>, &super::SendPermit)>,
    ) -> (HttpExchange, Vec<u8>) {
        let mut ex = HttpExchange {
            method: r.method.into(),
            path: r.path.to_string(),
            auth: auth.map(|(a, _)| a.kind()),
            ..HttpExchange::default()
        };
        if self.broken {
            ex.error = Some("not sent: the connection had already failed".into());
            return (ex, vec![]);
        }
        let uri = if self.h2 {
            format!("{}://{}{}", self.scheme, self.authority, r.path)
        } else {
            r.path.to_string()
        };
        let mut req = Request::builder()
            .method(r.method)
            .uri(uri)
            .header(hyper::header::HOST, self.authority.as_str())
            .header(
                hyper::header::USER_AGENT,
                concat!("regdoctor/", env!("CARGO_PKG_VERSION")),
            )
            .header(hyper::header::ACCEPT, r.accept);
        if let Some(range) = r.range {
            req = req.header(hyper::header::RANGE, range);
        }
        if let Some((a, _permit)) = auth {
            req = req.header(hyper::header::AUTHORIZATION, a.header_value());
        }
        let req = match req.body(Empty::<Bytes>::new()) {
            Ok(r) => r,
            Err(e) => {
                ex.error = Some(e.to_string());
                return (ex, vec![]);
            }
        };
        let mut bytes = Vec::new();
        match timeout_at(self.deadline, self.sender.send(req)).await {
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
                let (body, cut) = read_body(resp.into_body(), self.deadline, r.cap).await;
                ex.body = String::from_utf8_lossy(&body[..body.len().min(BODY_CAP)]).into_owned();
                ex.truncated = cut.is_some();
                if let Some(Cut::Failed(why)) = cut {
                    // The answer started but did not end: not a complete (empty) body.
                    ex.error = Some(why);
                }
                bytes = body;
            }
            Ok(Err(e)) => {
                self.alert = self.alert.take().or_else(|| super::tls::alert_in_chain(&e));
                self.broken = true;
                ex.error = Some(error_chain(&e));
            }
            Err(_) => {
                self.broken = true;
                ex.error = Some("no response before the deadline".into());
            }
        }
        (ex, bytes)
    }

    /// The session's origin, `scheme://authority`.
    pub fn origin(&self) -> String {
        format!("{}://{}", self.scheme, self.authority)
    }
}

impl Session {
    /// `n` sessions sharing this HTTP/2 connection (None over HTTP/1.1).
    fn twins(&self, n: usize) -> Option<Vec<Session>> {
        let Sender::H2(s) = &self.sender else {
            return None;
        };
        Some(
            (0..n)
                .map(|_| Session {
                    sender: Sender::H2(s.clone()),
                    h2: true,
                    scheme: self.scheme,
                    authority: self.authority.clone(),
                    deadline: self.deadline,
                    alert: None,
                    broken: false,
                })
                .collect(),
        )
    }
}

/// Each twin asks its path, all at once; the answers in the order of `paths`.
async fn twins_get(twins: &mut [Session], paths: &[&str]) -> Vec<HttpExchange> {
    let futures = twins
        .iter_mut()
        .zip(paths)
        .map(|(t, p)| t.get_following(p))
        .collect();
    super::join_all(futures).await
}

/// Go's `http.Client` follows at most this many redirects.
pub const MAX_REDIRECTS: usize = 10;

impl Session {
    /// `GET path` anonymously, following redirects on this connection as Go's client
    /// does (at most 10) while they stay on the same scheme and host; a redirect to
    /// another host is recorded, not followed. The exchange is the last answer, with the
    /// redirects in `redirects`.
    pub async fn get_following(&mut self, path: &str) -> HttpExchange {
        let mut ex = self.get(path, None).await;
        let mut redirects: Vec<(u16, String)> = Vec::new();
        while let (Some(status), Some(location)) = (ex.status, ex.header("location")) {
            if !matches!(status, 301 | 302 | 303 | 307 | 308) {
                break;
            }
            let Some(next) = self.same_origin_path(location) else {
                break;
            };
            redirects.push((status, location.to_string()));
            if redirects.len() >= MAX_REDIRECTS {
                ex = HttpExchange {
                    method: "GET".into(),
                    path: path.to_string(),
                    error: Some(format!("stopped after {MAX_REDIRECTS} redirects")),
                    ..HttpExchange::default()
                };
                break;
            }
            ex = self.get(&next, None).await;
            if self.broken {
                break;
            }
        }
        ex.path = path.to_string();
        ex.redirects = redirects;
        ex
    }

    /// The path of a Location on this session's origin (relative, or absolute with the
    /// same scheme and authority).
    fn same_origin_path(&self, location: &str) -> Option<String> {
        if location.starts_with('/') && !location.starts_with("//") {
            return Some(location.to_string());
        }
        let (scheme, rest) = location.split_once("://")?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        (scheme.eq_ignore_ascii_case(self.scheme)
            && authority.eq_ignore_ascii_case(&self.authority))
        .then(|| path.to_string())
    }
}

/// Opens a session and sends `GET` for each path anonymously, in order.
pub async fn get_all<IO>(
    io: IO,
    h2: bool,
    scheme: &'static str,
    authority: &str,
    paths: &[&str],
    deadline: Instant,
) -> (Option<Session>, Vec<HttpExchange>, Option<Alert>)
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut session = match Session::open(io, h2, scheme, authority, deadline).await {
        Ok(s) => s,
        Err((msg, alert)) => {
            let ex = HttpExchange {
                method: "GET".into(),
                path: paths.first().copied().unwrap_or("/v2/").to_string(),
                error: Some(msg),
                ..HttpExchange::default()
            };
            return (None, vec![ex], alert);
        }
    };
    let mut exchanges = Vec::new();
    // Over HTTP/2 the requests go out at once on the one connection (their answers do not
    // depend on each other); over HTTP/1.1, one after the other.
    if let Some(mut twins) = session.twins(paths.len()) {
        let answers = twins_get(&mut twins, paths).await;
        session.broken = twins.iter().any(|t| t.broken);
        session.alert = twins.iter().find_map(|t| t.alert.clone());
        exchanges = answers;
    } else {
        for path in paths {
            exchanges.push(session.get_following(path).await);
            if session.broken {
                break;
            }
        }
    }
    let alert = session.alert.clone();
    (Some(session), exchanges, alert)
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
        drive_until(deadline, conn);
        Ok(Sender::H2(sender))
    } else {
        let (sender, conn) = timeout_at(deadline, hyper::client::conn::http1::handshake(io))
            .await
            .map_err(|_| timeout())?
            .map_err(fail)?;
        drive_until(deadline, conn);
        Ok(Sender::H1(sender))
    }
}

/// Drives a connection in the background for no longer than the run: at the deadline it
/// is dropped, and with it every stream still open (however the server behaves).
fn drive_until<F>(deadline: Instant, conn: F)
where
    F: std::future::Future + Send + 'static,
    F::Output: Send,
{
    tokio::spawn(async move { timeout_at(deadline, conn).await });
}

/// Why a body was not read to its end.
enum Cut {
    /// The size cap or the deadline: regdoctor stopped reading.
    Stopped,
    /// The stream or the connection failed mid-body.
    Failed(String),
}

async fn read_body(
    mut body: hyper::body::Incoming,
    deadline: Instant,
    cap: usize,
) -> (Vec<u8>, Option<Cut>) {
    let mut buf = Vec::new();
    loop {
        match timeout_at(deadline, body.frame()).await {
            Ok(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    let room = cap - buf.len();
                    if data.len() > room {
                        buf.extend_from_slice(&data[..room]);
                        // Dropping the body resets an HTTP/2 stream (RST_STREAM CANCEL)
                        // and closes an HTTP/1.1 connection.
                        return (buf, Some(Cut::Stopped));
                    }
                    buf.extend_from_slice(data);
                }
            }
            Ok(None) => return (buf, None),
            Ok(Some(Err(e))) => return (buf, Some(Cut::Failed(error_chain(&e)))),
            Err(_) => return (buf, Some(Cut::Stopped)),
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
