//! A hostile HTTP/2 server: it answers every request `200` and then sends DATA for that
//! stream without end, ignoring RST_STREAM and the stream's window, but staying inside the
//! connection's window (so the client keeps granting it). Counts what it managed to send.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

use super::server::{self, Behaviour, Server};

/// What the server counts, over all connections.
#[derive(Default)]
pub struct Counters {
    /// Bytes of DATA sent.
    pub sent: AtomicU64,
    /// RST_STREAM frames received from the client.
    pub resets: AtomicU64,
    /// TLS connections served.
    pub connections: AtomicU64,
}

/// The running server (stopped when dropped, as every [`Server`]).
pub struct Flood {
    /// The server.
    pub server: Server,
    /// What it counted.
    pub counters: Arc<Counters>,
}

fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = payload.len() as u32;
    let mut f = vec![(len >> 16) as u8, (len >> 8) as u8, len as u8, kind, flags];
    f.extend_from_slice(&stream.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// Starts the server on 127.0.0.1 with `cfg` (its ALPN is set to h2 here).
pub fn start(mut cfg: rustls::ServerConfig) -> Flood {
    cfg.alpn_protocols = vec![b"h2".to_vec()];
    let counters = Arc::new(Counters::default());
    let server = server::start(
        "127.0.0.1:0",
        Behaviour::H2Flood(Arc::new(cfg), counters.clone()),
    );
    Flood { server, counters }
}

enum Event {
    Request(u32),
    Window(u64),
    SettingsAck,
}

/// Serves one TLS connection (from [`server::start`]'s accept loop).
pub async fn serve<S>(tls: S, counters: Arc<Counters>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    counters.connections.fetch_add(1, Ordering::Relaxed);
    let (mut rd, mut wr) = tokio::io::split(tls);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let reader_counters = counters.clone();
    tokio::spawn(async move {
        let mut preface = [0u8; 24];
        if rd.read_exact(&mut preface).await.is_err() {
            return;
        }
        loop {
            let mut head = [0u8; 9];
            if rd.read_exact(&mut head).await.is_err() {
                return;
            }
            let len = u32::from_be_bytes([0, head[0], head[1], head[2]]) as usize;
            let mut payload = vec![0u8; len];
            if rd.read_exact(&mut payload).await.is_err() {
                return;
            }
            let stream = u32::from_be_bytes([head[5], head[6], head[7], head[8]]) & 0x7fff_ffff;
            let ev = match head[3] {
                0x1 => Event::Request(stream),
                0x8 if stream == 0 && len == 4 => Event::Window(u32::from_be_bytes([
                    payload[0], payload[1], payload[2], payload[3],
                ]) as u64),
                0x4 if head[4] & 1 == 0 => Event::SettingsAck,
                0x3 => {
                    reader_counters.resets.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                _ => continue,
            };
            if tx.send(ev).is_err() {
                return;
            }
        }
    });
    if wr.write_all(&frame(0x4, 0, 0, &[])).await.is_err() {
        return;
    }
    let mut window: u64 = 65_535;
    let mut streams: Vec<u32> = Vec::new();
    let chunk = vec![b'x'; 16_384];
    loop {
        // Take every event waiting; block for one only when there is nothing to send.
        let wait = streams.is_empty() || window < chunk.len() as u64;
        let ev = if wait {
            match rx.recv().await {
                Some(ev) => Some(ev),
                None => return,
            }
        } else {
            rx.try_recv().ok()
        };
        match ev {
            Some(Event::Request(s)) => {
                // :status 200 (HPACK static index 8), END_HEADERS.
                if wr.write_all(&frame(0x1, 0x4, s, &[0x88])).await.is_err() {
                    return;
                }
                streams.push(s);
            }
            Some(Event::Window(n)) => window += n,
            Some(Event::SettingsAck) if wr.write_all(&frame(0x4, 0x1, 0, &[])).await.is_err() => {
                return;
            }
            Some(Event::SettingsAck) => {}
            None => {}
        }
        if !streams.is_empty() && window >= chunk.len() as u64 {
            let s = streams[0];
            if wr.write_all(&frame(0x0, 0, s, &chunk)).await.is_err() {
                return;
            }
            window -= chunk.len() as u64;
            counters
                .sent
                .fetch_add(chunk.len() as u64, Ordering::Relaxed);
        }
    }
}
