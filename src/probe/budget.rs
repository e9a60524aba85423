//! A byte budget for everything one connection may receive. Each body is capped where it
//! is read, but an HTTP/2 server can go on sending DATA for a stream regdoctor abandoned
//! (at its size cap or the deadline): h2 answers with RST_STREAM and discards the frames,
//! yet keeps returning their connection window, so a hostile server that ignores the reset
//! could stream gigabytes until the deadline. Past the budget the connection's reads fail
//! and hyper closes it.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, ReadBuf};

/// The most one connection may receive: many capped answers (1 MiB each), with room for
/// what a server already sent when a stream was reset.
pub const CONNECTION_BUDGET: u64 = 32 * 1024 * 1024;

/// `IO` that fails reads once `left` bytes have been received.
pub struct ReadBudget<IO> {
    inner: IO,
    left: u64,
}

impl<IO> ReadBudget<IO> {
    /// Wraps `inner` with a budget of `bytes`.
    pub fn new(inner: IO, bytes: u64) -> ReadBudget<IO> {
        ReadBudget { inner, left: bytes }
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for ReadBudget<IO> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.left == 0 {
            return Poll::Ready(Err(io::Error::other(format!(
                "the server sent more than {} MiB on one connection; regdoctor closed it",
                CONNECTION_BUDGET >> 20
            ))));
        }
        if buf.remaining() as u64 <= self.left {
            let before = buf.filled().len();
            ready!(Pin::new(&mut self.inner).poll_read(cx, buf))?;
            self.left -= (buf.filled().len() - before) as u64;
            return Poll::Ready(Ok(()));
        }
        // The last read of the budget: into a buffer of exactly what is left.
        let mut last = vec![0u8; self.left as usize];
        let mut small = ReadBuf::new(&mut last);
        ready!(Pin::new(&mut self.inner).poll_read(cx, &mut small))?;
        let n = small.filled().len();
        buf.put_slice(small.filled());
        self.left -= n as u64;
        Poll::Ready(Ok(()))
    }
}

write_through!(ReadBudget<IO>, IO);

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    #[tokio::test]
    async fn reads_stop_at_the_budget_and_then_fail() {
        let data = vec![7u8; 10_000];
        let mut r = ReadBudget::new(&data[..], 4_100);
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        let err = loop {
            match r.read(&mut buf).await {
                Ok(0) => panic!("end of data before the budget"),
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) => break e,
            }
        };
        assert_eq!(got.len(), 4_100);
        assert!(err.to_string().contains("more than 32 MiB"), "{err}");
    }
}
