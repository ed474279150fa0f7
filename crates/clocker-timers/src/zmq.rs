//! The ZeroMQ front door (seed 002): a ZMTP 3.x server of our own that speaks
//! as a ROUTER socket to any number of REQ (and DEALER) clients.
//!
//! - `zmtp`: the wire protocol, pure: greeting, READY, frames, PING/PONG,
//!   every declared length checked against [`ZmqLimits`] before a byte is
//!   kept for it.
//! - `request`: a message's frames to a [`Request`] (pure), then carried out
//!   against `Timers` and answered with one JSON body.
//! - `connection`: one task per connection; requests answered in order on the
//!   connection they came from, a few in flight, every write with a deadline.
//!
//! Every request gets exactly one JSON reply, `{"ok":true,…}` or
//! `{"ok":false,"error":"…"}` (see `request`). Connections are capped overall
//! and per peer address; one over a cap gets an ERROR command and is closed.
//! A peer that breaks a limit or stops reading is dropped; no peer delays
//! another's reply.

mod connection;
mod request;
mod zmtp;

use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use clocker_runtime::gate::Refused;
use tokio::net::TcpListener;

use clocker_runtime::{CancellationToken, ConnectionLimits, Gate, TaskTracker};

use crate::timers::Timers;

pub use request::{MAX_FRAME_BYTES, Request};
pub use zmtp::FrameLimits;

/// Payload bytes one message may declare before the connection is dropped
/// (larger frames up to this are skipped unread and answered with an error).
pub const MAX_MESSAGE_BYTES: u64 = 4 * 1024 * 1024;
/// Frames one message may have before the connection is dropped (a request
/// has at most four: a delimiter and three fields).
pub const MAX_FRAMES: usize = 32;

/// The door's limits (flags of `clocker serve timers`, see docs/OPERATIONS.md, ZeroMQ limits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZmqLimits {
    /// Open connections at once; more are refused.
    pub max_connections: usize,
    /// Open connections from one IP address at once; more are refused.
    pub max_connections_per_address: usize,
    /// Time a new connection has for its greeting and READY.
    pub handshake_timeout: Duration,
    /// Time a reply (or any write) may take; a peer that does not read
    /// longer is dropped.
    pub write_timeout: Duration,
    pub frames: FrameLimits,
}

impl Default for ZmqLimits {
    fn default() -> Self {
        Self {
            max_connections: 1024,
            max_connections_per_address: 64,
            handshake_timeout: Duration::from_secs(5),
            write_timeout: Duration::from_secs(5),
            frames: FrameLimits {
                max_request_bytes: MAX_FRAME_BYTES,
                max_message_bytes: MAX_MESSAGE_BYTES,
                max_frames: MAX_FRAMES,
            },
        }
    }
}

/// Why the ZeroMQ socket could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum ZmqBindError {
    #[error("cannot listen for ZeroMQ on {0}: expected tcp://host:port (port 0 for any)")]
    Endpoint(String),
    #[error("cannot listen for ZeroMQ on {endpoint}")]
    Bind {
        endpoint: String,
        #[source]
        source: std::io::Error,
    },
}

/// Binds `endpoint` (`tcp://host:port`, `*` for every address, port 0 for
/// any) and serves requests until `shutdown`, in a task of `tasks` that
/// ends once every request taken in was answered; returns the endpoint
/// bound.
pub async fn serve(
    endpoint: &str,
    timers: Arc<Timers>,
    limits: ZmqLimits,
    tasks: &TaskTracker,
    shutdown: CancellationToken,
) -> Result<String, ZmqBindError> {
    let address = endpoint
        .strip_prefix("tcp://")
        .ok_or_else(|| ZmqBindError::Endpoint(endpoint.to_owned()))?;
    let address = match address.strip_prefix("*:") {
        Some(port) => format!("0.0.0.0:{port}"),
        None => address.to_owned(),
    };
    let bind_error = |source| ZmqBindError::Bind {
        endpoint: endpoint.to_owned(),
        source,
    };
    // A listener handed over by systemd or `clocker up` wins over `endpoint`.
    let listener = match clocker_runtime::take_listener(clocker_runtime::inherited::ZEROMQ) {
        Ok(Some(inherited)) => TcpListener::from_std(inherited).map_err(bind_error)?,
        Ok(None) => TcpListener::bind(&address).await.map_err(bind_error)?,
        Err(err) => return Err(bind_error(std::io::Error::other(err))),
    };
    let bound = format!("tcp://{}", listener.local_addr().map_err(bind_error)?);
    tracing::debug!(endpoint = %bound, "timers serving ZeroMQ");
    tasks.spawn(accept(listener, timers, limits, shutdown));
    Ok(bound)
}

/// Accepts connections until `shutdown`, then waits for those open to end.
async fn accept(
    listener: TcpListener,
    timers: Arc<Timers>,
    limits: ZmqLimits,
    shutdown: CancellationToken,
) {
    let tracker = TaskTracker::new();
    let caps = ConnectionLimits {
        max_connections: limits.max_connections,
        max_per_address: limits.max_connections_per_address,
        ..ConnectionLimits::default()
    };
    let gate = Gate::new("timers-zmq", &caps).answering(refusal);
    loop {
        let accepted = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(err) => {
                // Out of descriptors, most likely: let some close.
                tracing::warn!(%err, "ZeroMQ accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        // Over a cap: told why, counted and logged by the gate, closed.
        let Some(permit) = gate.admit(&stream, peer) else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let (timers, shutdown) = (timers.clone(), shutdown.clone());
        tracker.spawn(async move {
            connection::serve(stream, peer, timers, limits, shutdown).await;
            drop(permit);
        });
    }
    tracker.close();
    tracker.wait().await;
}

/// What a connection over a cap is told: a greeting and an ERROR command
/// (best effort: nothing waits for it).
fn refusal(why: Refused) -> Vec<u8> {
    let mut refusal = zmtp::GREETING.to_vec();
    refusal.extend(zmtp::error_command(match why {
        Refused::Full => "too many connections",
        Refused::AddressFull => "too many connections from your address",
    }));
    refusal
}

/// The fuzzing entry point: feeds `data` as the byte stream a peer sends
/// (greeting, handshake, frames) through the decoder, and decodes each
/// complete message into a [`Request`]. Needs no store or socket; never
/// panics, and keeps no more than the default limits allow.
pub fn fuzz_request(data: &[u8]) {
    let mut decoder = zmtp::Decoder::new(ZmqLimits::default().frames);
    let mut buf = BytesMut::new();
    // In pieces, as reads would bring it.
    for piece in data.chunks(1 + data.first().map_or(0, |&b| usize::from(b))) {
        buf.extend_from_slice(piece);
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(zmtp::Event::Message(message))) => {
                    let _ = Request::decode(&message);
                }
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(_) => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuzz_request_survives_a_full_session_and_garbage() {
        let mut session = zmtp::GREETING.to_vec();
        session.extend(zmtp::ready_command()); // any READY decodes the same way
        fuzz_request(&session);
        fuzz_request(b"");
        fuzz_request(&[0xff; 300]);
        let mut long = zmtp::GREETING.to_vec();
        long.extend_from_slice(&[0x06, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
        fuzz_request(&long);
    }
}
