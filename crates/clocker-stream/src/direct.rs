//! `GET /stream` answered straight off the socket, without hyper.
//!
//! An SSE client keeps its connection for as long as it listens, and hyper
//! keeps a read and a write buffer for every connection it serves, for the
//! connection's whole life. With ten thousand listeners those buffers were
//! most of the stream's memory: 30 KiB per client against a WebSocket's 8 in
//! P6. So the stream reads each new connection's request head itself. The
//! seed's feed, `GET /stream` (the route with thousands of listeners), is
//! answered here, with the body every SSE route has ([`sse::body`]). Every
//! other request goes on to the router, with the bytes already read put back
//! in front ([`prefixed`]), so hyper sees the connection as it arrived.
//! Only a connection's first request is looked at: a `GET /stream` that
//! follows another request on a kept-alive connection is the router's, and
//! answered the same way, with hyper's buffers.
//!
//! The answer is HTTP/1.1 with `Connection: close`: the body is the raw event
//! stream, ending when the connection does (no chunked framing, so every
//! client is sent the very bytes the feed serialized once).
//!
//! Every connection is admitted by the port's [`Gate`] first (its permit
//! goes with it, to the router too), must send its head within the header
//! timeout, and, streaming, is dropped when a write makes no progress for
//! the write timeout (with `TCP_NOTSENT_LOWAT`, a client that stops reading
//! blocks writes at once) — as the funnel's WebSocket sends.
//!
//! # Layout
//! - this file: the listener, which admits each connection, reads its head
//!   and answers it here or passes it on to the router ([`Routed`]).
//! - [`head`]: the request-head parser (`GET /stream`, or the router's).
//! - [`response`]: the SSE response writer (head, CORS, events, timeouts).
//! - [`prefixed`]: the read side with the head's bytes put back in front.

mod head;
mod prefixed;
mod response;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use clocker_runtime::{
    Admitted, CancellationToken, Gate, Permit, RuntimeConfig, TaskTracker, configure_accepted,
};
use tokio::io::Join;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use crate::feed::Feed;
use crate::sse::Counters;
use head::{Head, read_head};
use prefixed::Prefixed;

pub use response::fuzz_stream_head;

/// The route answered here.
const ROUTE: &str = "/stream";
/// Connections on their way to the router.
const ROUTED_BACKLOG: usize = 256;

/// What a `GET /stream` connection is answered from.
#[derive(Debug)]
pub struct StreamResponder {
    pub feed: Arc<Feed>,
    pub counters: Arc<Counters>,
    pub keep_alive: Duration,
    /// How long a new connection may take to send its request head.
    pub head_timeout: Duration,
    /// How long a write may make no progress before the client is dropped.
    pub write_timeout: Duration,
    /// Origins whose pages may read the stream (CORS).
    pub origins: Vec<String>,
    pub shutdown: CancellationToken,
}

/// A connection passed on to the router: what was read of it put back in
/// front, its gate permit held for as long as it lives.
pub type RoutedConnection = Admitted<Join<Prefixed<OwnedReadHalf>, OwnedWriteHalf>>;

/// The connections that do not start with `GET /stream`, for the router
/// (`axum::serve`).
#[derive(Debug)]
pub struct Routed {
    connections: mpsc::Receiver<(RoutedConnection, SocketAddr)>,
    addr: SocketAddr,
}

impl axum::serve::Listener for Routed {
    type Io = RoutedConnection;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.connections.recv().await {
            Some(connection) => connection,
            // The acceptor stopped (shutdown): the server stops accepting.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.addr)
    }
}

/// Accepts on `listener` until `shutdown`, admitting each connection
/// through `gate`: answers `GET /stream` itself (on `tasks`, so the drain
/// waits for it) and passes every other connection to the returned listener.
pub fn accept(
    listener: TcpListener,
    addr: SocketAddr,
    settings: RuntimeConfig,
    gate: Gate,
    responder: Arc<StreamResponder>,
    tasks: TaskTracker,
) -> Routed {
    let (routed, connections) = mpsc::channel(ROUTED_BACKLOG);
    let shutdown = responder.shutdown.clone();
    let connection_tasks = tasks.clone();
    tasks.spawn(async move {
        loop {
            let accepted = tokio::select! {
                () = shutdown.cancelled() => return,
                accepted = listener.accept() => accepted,
            };
            match accepted {
                Ok((tcp, peer)) => {
                    // A refused client has been answered; dropping closes it.
                    let Some(permit) = gate.admit(&tcp, peer) else {
                        continue;
                    };
                    configure_accepted(&tcp, &settings);
                    connection_tasks.spawn(answer_or_pass_on(
                        tcp,
                        permit,
                        peer,
                        routed.clone(),
                        responder.clone(),
                    ));
                }
                // One client gave up while it was being accepted: no matter.
                Err(err) if is_connection_error(&err) => {}
                Err(err) => {
                    // Out of file descriptors, usually: give it a moment.
                    tracing::warn!(%err, "cannot accept a connection");
                    tokio::select! {
                        () = shutdown.cancelled() => return,
                        () = tokio::time::sleep(Duration::from_millis(100)) => {}
                    }
                }
            }
        }
    });
    Routed { connections, addr }
}

fn is_connection_error(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// Reads the request head and answers it here or passes it on to the router.
async fn answer_or_pass_on(
    mut tcp: TcpStream,
    permit: Permit,
    peer: SocketAddr,
    routed: mpsc::Sender<(RoutedConnection, SocketAddr)>,
    responder: Arc<StreamResponder>,
) {
    let mut read = BytesMut::with_capacity(1024);
    let head = tokio::select! {
        () = responder.shutdown.cancelled() => return,
        head = tokio::time::timeout(responder.head_timeout, read_head(&mut tcp, &mut read)) => head,
    };
    match head {
        Ok(Ok(Head::Stream {
            last_event_id,
            origin,
        })) => {
            // Whatever followed the head (a pipelined request) is dropped
            // with the buffer: this connection ends with the stream.
            drop(read);
            drop(routed);
            response::send_events(tcp, last_event_id, origin.as_deref(), &responder).await;
            drop(permit);
        }
        Ok(Ok(_)) => {
            let (reader, writer) = tcp.into_split();
            let io = tokio::io::join(Prefixed::new(read.freeze(), reader), writer);
            let _ = routed.send((Admitted::new(io, permit), peer)).await;
        }
        // Closed, broken or silent before sending a head: nothing to answer.
        Ok(Err(_)) | Err(_) => {}
    }
}
