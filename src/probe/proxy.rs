//! Through a proxy, as Go's transport goes: `CONNECT host:port` to an `http://` proxy,
//! with Go's `User-Agent` and a Basic `Proxy-Authorization` made from the proxy URL's user
//! information (never recorded), under the run's deadline, the answer read byte by byte up
//! to a cap (nothing of the tunnel is read ahead); then the TLS handshake and the requests
//! over the tunnel exactly as over a direct connection.
//!
//! [`connect_via`] opens a tunnel to any host (the pull path reuses it for blob and token
//! hosts); [`probe_via`] probes the registry through it.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout_at};

use super::ProbeOptions;
use crate::facts::HttpFacts;
use crate::facts::proxy::{ProxiedProbe, ProxyFailure, ProxyOutcome};
use crate::facts::pull::PullFacts;
use crate::formats::httpproxy::ProxyUrl;
use crate::target::{Host, Scheme, Target};

/// The most of a `CONNECT` answer's head that is read.
pub const MAX_ANSWER: usize = 16 * 1024;

/// `host:port`, with brackets for IPv6 (Go's `net.JoinHostPort`).
pub fn join_host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// The proxy the judged runtime sends `t` through ([`ProbeOptions::pull_proxy`], Go's
/// decision), if any.
pub fn route(t: &Target, opts: &ProbeOptions) -> Option<ProxyUrl> {
    let host = match &t.host {
        Host::Ip(ip) => ip.to_string(),
        Host::Name(n) => n.clone(),
    };
    match opts
        .pull_proxy
        .as_ref()?
        .decide(t.scheme.as_str(), &host, Some(t.port))
    {
        crate::formats::httpproxy::Decision::Proxy(p) => Some(p),
        _ => None,
    }
}

/// Opens a tunnel to `host:port` (`host` without brackets) through an `http://` proxy:
/// the stream, ready for TLS, or why not. Every step is bounded by `deadline`.
pub async fn connect_via(
    proxy: &ProxyUrl,
    host: &str,
    port: u16,
    deadline: Instant,
) -> Result<TcpStream, ProxyFailure> {
    if proxy.scheme() != "http" {
        return Err(ProxyFailure::Unsupported {
            scheme: proxy.scheme().to_string(),
        });
    }
    let (proxy_host, Some(proxy_port)) = proxy.dial_addr() else {
        return Err(ProxyFailure::Unsupported {
            scheme: proxy.scheme().to_string(),
        });
    };
    let dns = super::tcp::resolve_name(&proxy_host, proxy_port, deadline).await;
    if let Some(e) = dns.error {
        return Err(ProxyFailure::Resolve {
            host: proxy_host,
            detail: e.detail,
            timed_out: e.timed_out,
        });
    }
    let addrs: Vec<SocketAddr> = dns
        .addresses
        .iter()
        .map(|ip| SocketAddr::new(*ip, proxy_port))
        .collect();
    let (tcp, stream) = super::tcp::connect(&addrs, deadline).await;
    let Some(mut stream) = stream else {
        return Err(match tcp.attempts.last() {
            Some(a) => ProxyFailure::Connect(a.clone()),
            None => ProxyFailure::NoAnswer {
                detail: "the deadline came before the proxy could be dialled".into(),
                go_error: None,
            },
        });
    };
    let authority = join_host_port(host, port);
    let mut request = format!(
        "CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: Go-http-client/1.1\r\n"
    );
    if let Some(auth) = proxy.proxy_authorization() {
        request.push_str("Proxy-Authorization: ");
        request.push_str(auth.expose());
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    let written = timeout_at(deadline, stream.write_all(request.as_bytes())).await;
    drop(request);
    match written {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            return Err(ProxyFailure::NoAnswer {
                detail: format!("sending CONNECT failed: {e}"),
                go_error: Some(e.to_string()),
            });
        }
        Err(_) => return Err(timed_out("sending CONNECT")),
    }
    let head = read_head(&mut stream, deadline).await?;
    let answer = parse_head(&head)?;
    if answer.status == 200 {
        Ok(stream)
    } else {
        Err(ProxyFailure::Status {
            status: answer.status,
            proxy_authenticate: answer.header("proxy-authenticate"),
            server: answer.header("server"),
            reason: answer.reason,
        })
    }
}

fn timed_out(what: &str) -> ProxyFailure {
    ProxyFailure::NoAnswer {
        detail: format!("the deadline came while {what}"),
        go_error: None,
    }
}

/// The answer's head, up to the empty line, read one byte at a time so that nothing after
/// it is consumed.
async fn read_head(stream: &mut TcpStream, deadline: Instant) -> Result<Vec<u8>, ProxyFailure> {
    let mut head = Vec::with_capacity(256);
    let mut byte = [0u8; 1];
    loop {
        match timeout_at(deadline, stream.read(&mut byte)).await {
            Err(_) => return Err(timed_out("waiting for the answer to CONNECT")),
            Ok(Err(e)) => {
                return Err(ProxyFailure::NoAnswer {
                    detail: format!("reading the answer to CONNECT failed: {e}"),
                    go_error: Some(e.to_string()),
                });
            }
            Ok(Ok(0)) => {
                return Err(ProxyFailure::NoAnswer {
                    detail: if head.is_empty() {
                        "the proxy closed the connection without answering CONNECT".into()
                    } else {
                        "the proxy closed the connection in the middle of its answer".into()
                    },
                    go_error: Some("unexpected EOF".into()),
                });
            }
            Ok(Ok(_)) => head.push(byte[0]),
        }
        if head.ends_with(b"\r\n\r\n") || head.ends_with(b"\n\n") {
            return Ok(head);
        }
        if head.len() >= MAX_ANSWER {
            return Err(ProxyFailure::NoAnswer {
                detail: format!("the answer to CONNECT is longer than {MAX_ANSWER} bytes"),
                go_error: None,
            });
        }
    }
}

/// A parsed answer head.
struct Answer {
    status: u16,
    reason: String,
    headers: Vec<(String, String)>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    }
}

/// The status line and headers, read as Go's `http.ReadResponse` reads them.
fn parse_head(head: &[u8]) -> Result<Answer, ProxyFailure> {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split('\n').map(|l| l.trim_end_matches('\r'));
    let line = lines.next().unwrap_or_default();
    let malformed = |what: &str| ProxyFailure::NoAnswer {
        detail: format!("the proxy's answer is not HTTP: {line}"),
        go_error: Some(format!("{what} {line:?}")),
    };
    let Some((proto, status)) = line.split_once(' ') else {
        return Err(malformed("malformed HTTP response"));
    };
    if !proto.starts_with("HTTP/") {
        return Err(malformed("malformed HTTP version"));
    }
    let status = status.trim_start_matches(' ');
    let (code, reason) = status.split_once(' ').unwrap_or((status, ""));
    let code: u16 = match code.parse() {
        Ok(c) if code.len() == 3 => c,
        _ => return Err(malformed("malformed HTTP status code")),
    };
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Ok(Answer {
        status: code,
        reason: reason.to_string(),
        headers,
    })
}

/// Probes the registry through `proxy`: the tunnel, the TLS handshake (the chain recorded
/// as directly) and the anonymous requests.
pub async fn probe_via(
    target: &Target,
    proxy: &ProxyUrl,
    opts: &ProbeOptions,
    deadline: Instant,
) -> (ProxiedProbe, Option<PullFacts>) {
    let probe = probe_tunnel(target, proxy, opts, deadline).await;
    // The pull path through the proxy, when the judged runtime sends the registry there.
    let pull = match &probe.outcome {
        ProxyOutcome::Tunnel { tls, http, .. } if route(target, opts).as_ref() == Some(proxy) => {
            let dial = super::pull::Dial::Proxy(proxy);
            super::pull_after(target, dial, opts, deadline, http.as_ref(), tls.as_ref()).await
        }
        _ => None,
    };
    (probe, pull)
}

/// The tunnel, the TLS handshake and the anonymous requests through `proxy`.
async fn probe_tunnel(
    target: &Target,
    proxy: &ProxyUrl,
    opts: &ProbeOptions,
    deadline: Instant,
) -> ProxiedProbe {
    let outcome = if target.scheme == Scheme::Http {
        ProxyOutcome::NotProbed {
            why: "a plain-HTTP registry: Go sends its requests to the proxy as absolute URLs, without CONNECT, which regdoctor does not probe".into(),
        }
    } else {
        let host = match &target.host {
            Host::Ip(ip) => ip.to_string(),
            Host::Name(n) => n.clone(),
        };
        match connect_via(proxy, &host, target.port, deadline).await {
            Err(f) => ProxyOutcome::Failed(f),
            Ok(stream) => {
                let proxy_addr = stream
                    .peer_addr()
                    .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
                let (mut tls_facts, tls) = super::tls::handshake(
                    stream,
                    target,
                    &opts.ca_roots,
                    opts.client_pair.as_ref(),
                    deadline,
                )
                .await;
                let http = match tls {
                    Some(tls) => {
                        let h2 = tls_facts.outcome.is_h2();
                        let (_, exchanges, alert) = super::http::get_all(
                            tls,
                            h2,
                            "https",
                            &target.registry_name(),
                            super::PATHS,
                            deadline,
                        )
                        .await;
                        tls_facts.post_handshake_alert = alert;
                        Some(HttpFacts::https(h2, exchanges))
                    }
                    None => None,
                };
                ProxyOutcome::Tunnel {
                    proxy_addr,
                    tls: Some(tls_facts),
                    http,
                }
            }
        }
    };
    ProxiedProbe {
        proxy: proxy.clone(),
        outcome,
    }
}

/// The registry through each of `opts.proxies` at once, and the pull path through the
/// one that carries the judged runtime's pull.
pub async fn probe_all(
    target: &Target,
    opts: &ProbeOptions,
    deadline: Instant,
) -> (Vec<ProxiedProbe>, Option<PullFacts>) {
    let runs = opts
        .proxies
        .iter()
        .map(|p| probe_via(target, p, opts, deadline))
        .collect();
    let mut pull = None;
    let probes = super::join_all(runs)
        .await
        .into_iter()
        .map(|(probe, p)| {
            pull = pull.take().or(p);
            probe
        })
        .collect();
    (probes, pull)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answer_heads_as_go_reads_them() {
        let a = parse_head(b"HTTP/1.0 403 Access violation\r\nServer: tinyproxy/1.11.1\r\n\r\n")
            .ok()
            .unwrap();
        assert_eq!((a.status, a.reason.as_str()), (403, "Access violation"));
        assert_eq!(a.header("server").as_deref(), Some("tinyproxy/1.11.1"));
        let bare = parse_head(b"HTTP/1.1 407\r\n\r\n").ok().unwrap();
        assert_eq!((bare.status, bare.reason.as_str()), (407, ""));
        match parse_head(b"SSH-2.0-OpenSSH_9.2\r\n\r\n") {
            Err(ProxyFailure::NoAnswer { go_error, .. }) => {
                assert_eq!(
                    go_error.as_deref(),
                    Some("malformed HTTP response \"SSH-2.0-OpenSSH_9.2\"")
                );
            }
            _ => panic!("not HTTP"),
        }
    }
}
