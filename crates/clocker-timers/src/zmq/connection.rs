//! One ZeroMQ peer's connection, in a task of its own: the handshake within
//! its deadline, then requests read, carried out (a few at once) and answered
//! in order on the same connection, each reply written within its deadline.
//!
//! A peer that stops reading stops being read (at most [`IN_FLIGHT`] requests
//! are taken in), and is dropped when a reply cannot be written in time; no
//! other peer ever waits for it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use futures_util::StreamExt;
use futures_util::stream::FuturesOrdered;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

use clocker_runtime::CancellationToken;

use super::ZmqLimits;
use super::request::{answer, error_body};
use super::zmtp::{self, Decoder, Event, ProtocolError};
use crate::timers::Timers;

/// Requests of one connection taken in before their replies are written.
pub const IN_FLIGHT: usize = 4;
/// Bytes asked of the socket per read.
const READ_CHUNK: usize = 8 * 1024;

/// Why a connection ended early.
#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    #[error("{0}")]
    Protocol(#[from] ProtocolError),
    #[error("no handshake within {0:?}")]
    HandshakeTimeout(Duration),
    #[error("not reading: a reply could not be written within {0:?}")]
    WriteTimeout(Duration),
    #[error("socket error")]
    Io(#[from] std::io::Error),
}

/// Serves one accepted connection until the peer leaves, breaks a rule or
/// `shutdown` (then what was taken in is still answered).
pub async fn serve(
    stream: TcpStream,
    peer: SocketAddr,
    timers: Arc<Timers>,
    limits: ZmqLimits,
    shutdown: CancellationToken,
) {
    let (reader, writer) = stream.into_split();
    let mut connection = Connection {
        reader,
        writer,
        buf: BytesMut::with_capacity(READ_CHUNK),
        decoder: Decoder::new(limits.frames),
        limits,
        peer,
    };
    match connection.run(timers, shutdown).await {
        Ok(()) => tracing::debug!(%peer, "ZeroMQ peer left"),
        // Gone before its reply (or reset): not an error of ours.
        Err(ConnectionError::Io(err)) => tracing::debug!(%peer, %err, "ZeroMQ peer gone"),
        Err(err) => {
            metrics::counter!("clocker_timers_zmq_dropped_total").increment(1);
            tracing::warn!(%peer, reason = %err, "ZeroMQ peer dropped");
        }
    }
}

struct Connection {
    reader: OwnedReadHalf,
    writer: OwnedWriteHalf,
    buf: BytesMut,
    decoder: Decoder,
    limits: ZmqLimits,
    /// Anonymous requests are counted by this address (quotas).
    peer: SocketAddr,
}

impl Connection {
    async fn run(
        &mut self,
        timers: Arc<Timers>,
        shutdown: CancellationToken,
    ) -> Result<(), ConnectionError> {
        self.write(&zmtp::GREETING).await?;
        let deadline = self.limits.handshake_timeout;
        let handshake = tokio::select! {
            () = shutdown.cancelled() => return Ok(()),
            handshake = tokio::time::timeout(deadline, self.next_event()) => handshake,
        };
        match handshake {
            Err(_) => return Err(ConnectionError::HandshakeTimeout(deadline)),
            Ok(Ok(Some(Event::Ready(_)))) => self.write(&zmtp::ready_command()).await?,
            Ok(Ok(_)) => return Ok(()),
            Ok(Err(ConnectionError::Protocol(err))) => {
                // Tell a ZMTP 3 peer why (best effort), then close.
                if !matches!(
                    err,
                    ProtocolError::Signature | ProtocolError::Version { .. }
                ) {
                    let _ = self.write(&zmtp::error_command(&err.to_string())).await;
                }
                return Err(err.into());
            }
            Ok(Err(err)) => return Err(err),
        }
        let mut pending = FuturesOrdered::new();
        let mut reading = true;
        loop {
            tokio::select! {
                biased;
                () = shutdown.cancelled(), if reading => reading = false,
                Some((delimited, body)) = pending.next() => self.reply(delimited, &body).await?,
                event = self.next_event(), if reading && pending.len() < IN_FLIGHT => match event {
                    Ok(Some(Event::Message(message))) => {
                        let (timers, from) = (timers.clone(), self.peer.ip());
                        pending.push_back(async move {
                            (message.delimited, answer(&timers, &message, from).await)
                        });
                    }
                    Ok(Some(Event::Ping { context })) => {
                        self.write(&zmtp::pong_command(&context)).await?;
                    }
                    Ok(Some(Event::Ready(_))) => {}
                    // The peer left: what it asked is still done.
                    Ok(None) => reading = false,
                    Err(ConnectionError::Protocol(err)) if err.is_over_limit() => {
                        while let Some((delimited, body)) = pending.next().await {
                            self.reply(delimited, &body).await?;
                        }
                        let refusal = error_body(&format!("{err}; closing the connection"));
                        let _ = self.reply(self.decoder.delimited(), &refusal).await;
                        return Err(err.into());
                    }
                    Err(err) => return Err(err),
                },
                else => return Ok(()),
            }
        }
    }

    /// The next event, reading as needed; `None` when the peer closed.
    /// Cancel-safe: what was read stays in `buf` and the decoder.
    async fn next_event(&mut self) -> Result<Option<Event>, ConnectionError> {
        loop {
            if let Some(event) = self.decoder.decode(&mut self.buf)? {
                self.shrink_buffer();
                return Ok(Some(event));
            }
            self.buf.reserve(READ_CHUNK);
            if self.reader.read_buf(&mut self.buf).await? == 0 {
                return Ok(None);
            }
        }
    }

    /// Lets go of a buffer a large frame grew, once it is empty.
    fn shrink_buffer(&mut self) {
        if self.buf.is_empty() && self.buf.capacity() > 4 * READ_CHUNK {
            self.buf = BytesMut::with_capacity(READ_CHUNK);
        }
    }

    async fn reply(&mut self, delimited: bool, body: &Value) -> Result<(), ConnectionError> {
        let body = body.to_string();
        let mut out = Vec::with_capacity(body.len() + 16);
        if delimited {
            zmtp::encode_message(&[b"", body.as_bytes()], &mut out);
        } else {
            zmtp::encode_message(&[body.as_bytes()], &mut out);
        }
        self.write(&out).await
    }

    async fn write(&mut self, bytes: &[u8]) -> Result<(), ConnectionError> {
        // A reply almost always fits the socket's buffer at once: then no
        // deadline needs arming.
        let written = match self.writer.try_write(bytes) {
            Ok(written) => written,
            Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => 0,
            Err(err) => return Err(err.into()),
        };
        let Some(rest) = bytes.get(written..).filter(|rest| !rest.is_empty()) else {
            return Ok(());
        };
        let deadline = self.limits.write_timeout;
        tokio::time::timeout(deadline, self.writer.write_all(rest))
            .await
            .map_err(|_| ConnectionError::WriteTimeout(deadline))??;
        Ok(())
    }
}
