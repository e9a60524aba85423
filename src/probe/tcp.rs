//! DNS and TCP: resolve every address, then connect to them in order until one answers.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::time::{Instant, timeout_at};

use crate::facts::{ConnectAttempt, ConnectOutcome, DnsError, DnsFacts, TcpFacts};
use crate::target::{Host, Target};

/// Resolves the target's host. An IP resolves to itself.
pub async fn resolve(target: &Target, deadline: Instant) -> DnsFacts {
    match &target.host {
        Host::Ip(ip) => DnsFacts {
            addresses: vec![*ip],
            error: None,
        },
        Host::Name(n) => resolve_name(n, target.port, deadline).await,
    }
}

/// Resolves a host name (or an IP literal, to itself), under the deadline.
pub async fn resolve_name(name: &str, port: u16, deadline: Instant) -> DnsFacts {
    if let Ok(ip) = name.parse::<std::net::IpAddr>() {
        return DnsFacts {
            addresses: vec![ip],
            error: None,
        };
    }
    match timeout_at(deadline, tokio::net::lookup_host((name, port))).await {
        Ok(Ok(addrs)) => {
            let mut addresses: Vec<_> = addrs.map(|a| a.ip()).collect();
            addresses.dedup();
            let error = addresses.is_empty().then(|| DnsError {
                timed_out: false,
                detail: "the name resolved to no addresses".into(),
            });
            DnsFacts { addresses, error }
        }
        Ok(Err(e)) => DnsFacts {
            addresses: vec![],
            error: Some(DnsError {
                timed_out: false,
                detail: e.to_string(),
            }),
        },
        Err(_) => DnsFacts {
            addresses: vec![],
            error: Some(DnsError {
                timed_out: true,
                detail: "no answer from the resolver before the deadline".into(),
            }),
        },
    }
}

/// Resolves the target and connects to its addresses in turn: the DNS and TCP facts, and
/// the stream when one address answered.
pub async fn dial(
    target: &Target,
    deadline: Instant,
) -> (DnsFacts, Option<(TcpFacts, Option<TcpStream>)>) {
    let dns = resolve(target, deadline).await;
    let addrs: Vec<SocketAddr> = dns
        .addresses
        .iter()
        .map(|ip| SocketAddr::new(*ip, target.port))
        .collect();
    if addrs.is_empty() {
        return (dns, None);
    }
    let tcp = connect(&addrs, deadline).await;
    (dns, Some(tcp))
}

/// Connects to each address in turn. Like Go's dialer, each attempt gets a fair share of
/// the time left (at least 2 s), so one black-holed address does not use up the run.
pub async fn connect(addrs: &[SocketAddr], deadline: Instant) -> (TcpFacts, Option<TcpStream>) {
    let mut attempts = Vec::new();
    for (i, addr) in addrs.iter().enumerate() {
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        let left = (addrs.len() - i) as u32;
        let share = (deadline - now) / left;
        let attempt_deadline = (now + share.max(Duration::from_secs(2))).min(deadline);
        let outcome = timeout_at(attempt_deadline, TcpStream::connect(addr)).await;
        let elapsed_ms = now.elapsed().as_millis() as u64;
        let (outcome, stream) = match outcome {
            Ok(Ok(s)) => (ConnectOutcome::Connected, Some(s)),
            Ok(Err(e)) => (classify(&e), None),
            Err(_) => (ConnectOutcome::TimedOut, None),
        };
        attempts.push(ConnectAttempt {
            addr: *addr,
            outcome,
            elapsed_ms,
        });
        if let Some(s) = stream {
            let _ = s.set_nodelay(true);
            let facts = TcpFacts {
                attempts,
                connected: Some(*addr),
            };
            return (facts, Some(s));
        }
    }
    (
        TcpFacts {
            attempts,
            connected: None,
        },
        None,
    )
}

/// Opens one more connection to an address that already answered (plain-HTTP check).
pub async fn reconnect(addr: SocketAddr, deadline: Instant) -> Option<TcpStream> {
    match timeout_at(deadline, TcpStream::connect(addr)).await {
        Ok(Ok(s)) => Some(s),
        _ => None,
    }
}

fn classify(e: &io::Error) -> ConnectOutcome {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => ConnectOutcome::Refused,
        io::ErrorKind::TimedOut => ConnectOutcome::TimedOut,
        // Go's wording, so the finding can quote the runtime's line.
        io::ErrorKind::HostUnreachable => ConnectOutcome::Unreachable("no route to host".into()),
        io::ErrorKind::NetworkUnreachable => {
            ConnectOutcome::Unreachable("network is unreachable".into())
        }
        _ => ConnectOutcome::Other(e.to_string()),
    }
}
