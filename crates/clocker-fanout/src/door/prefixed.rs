//! A connection's read side with the bytes already read from it put back in
//! front, so the router sees the connection as it arrived.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes};
use tokio::io::{AsyncRead, ReadBuf};

/// A reader with bytes already read from it put back in front (writes go
/// to the other half of a [`tokio::io::join`]).
#[derive(Debug)]
pub struct Prefixed<R> {
    prefix: Bytes,
    inner: R,
}

impl<R> Prefixed<R> {
    pub fn new(prefix: Bytes, inner: R) -> Self {
        Self { prefix, inner }
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for Prefixed<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.prefix.has_remaining() {
            let n = self.prefix.len().min(buf.remaining());
            buf.put_slice(&self.prefix[..n]);
            self.prefix.advance(n);
            if !self.prefix.has_remaining() {
                // Let go of the head's buffer, not just of its bytes.
                self.prefix = Bytes::new();
            }
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    #[tokio::test]
    async fn the_bytes_put_back_are_read_before_the_rest_of_the_connection() {
        let (mut client, server) = tokio::io::duplex(64);
        client.write_all(b" HTTP/1.1\r\n").await.expect("writes");
        drop(client);
        let mut prefixed = Prefixed::new(Bytes::from_static(b"GET /health"), server);
        let mut read = Vec::new();
        prefixed.read_to_end(&mut read).await.expect("reads");
        assert_eq!(read, b"GET /health HTTP/1.1\r\n");
    }
}
