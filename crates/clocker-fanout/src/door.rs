//! The front door: answers a service's fan-out routes straight off the
//! socket, and passes every other connection on to its router.
//!
//! A subscriber keeps its connection for as long as it listens, and hyper
//! keeps a read and a write buffer (and a task) for every connection it
//! serves, for the connection's whole life; with ten thousand listeners
//! those were most of a service's memory. So the door reads each new
//! connection's request head itself. A request the service answers here
//! ([`FrontDoor::route`]: the funnel's WebSocket upgrade, the stream's SSE
//! routes) is answered by the service's [`FrontDoor::answer`], and the
//! socket joins its shard's subscribers; every other connection goes on
//! to the router with the bytes already read put back in front
//! ([`Prefixed`]), so hyper sees it as it arrived. Only a connection's
//! first request is looked at.
//!
//! Every connection is admitted by the port's [`Gate`] first (its permit
//! goes with it, to the router too), and must send its head within the
//! header timeout. [`serve_shard`] puts it together: a shard's subscribers,
//! its door, and the router behind it.

mod head;
mod prefixed;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use bytes::Bytes;
use clocker_runtime::{
    Admitted, CancellationToken, Gate, LaunchError, Launched, Permit, RuntimeConfig, TaskTracker,
    configure_accepted, launch_http_on, local_addr,
};
use tokio::io::Join;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use crate::Signal;
use crate::subscribers::{Handler, Shard, Subscription};

pub use head::{Decision, Head, MAX_HEAD, decide};
use head::{HeadBuffer, Read};
pub use prefixed::Prefixed;

/// What a service answers off the socket: requests whose connection then
/// joins a shard's subscribers.
pub trait FrontDoor: Send + Sync + 'static {
    /// What a request answered here carries on to [`FrontDoor::answer`].
    type Route: Send + 'static;
    /// What the service does with its subscribers' messages.
    type Handler: Handler;

    /// How the requests answered here start: a connection whose first
    /// bytes match none goes to the router at once, unparsed.
    fn starts(&self) -> &'static [&'static [u8]];

    /// Whether the complete request `head` is answered here, and how;
    /// `None` passes the connection on to the router (which also answers
    /// every refusal: a bad zone, a foreign origin, a malformed upgrade).
    fn route(&self, head: &Head<'_>) -> Option<Self::Route>;

    /// Answers the request (the response head, within the write timeout),
    /// and says what the connection subscribes to; `None` when it is gone.
    fn answer(
        &self,
        route: Self::Route,
        connection: Connection,
    ) -> impl Future<Output = Option<Subscription<<Self::Handler as Handler>::State>>> + Send;

    /// The shard whose subscribers the answered connections join.
    fn shard(&self) -> &Arc<Shard<Self::Handler>>;
}

/// A connection answered off the socket.
#[derive(Debug)]
pub struct Connection {
    pub tcp: TcpStream,
    /// Its place in the port's gate, held for as long as it lives.
    pub permit: Permit,
    pub peer: SocketAddr,
    /// What the client sent after its request head.
    pub early: Bytes,
}

/// Connections on their way to the router.
const ROUTED_BACKLOG: usize = 256;

/// A connection passed on to the router: what was read of it put back in
/// front, its gate permit held for as long as it lives.
pub type RoutedConnection = Admitted<Join<Prefixed<OwnedReadHalf>, OwnedWriteHalf>>;

/// The connections the door did not answer, for the router (`axum::serve`).
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
            // The door stopped (shutdown): the server stops accepting.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.addr)
    }
}

/// Serves one shard of a fan-out service's port, on the calling thread's
/// runtime: runs its subscribers (woken by `signal`), answers what `door`
/// takes off the socket, and serves `router` on every other connection.
/// `tasks` is what its drain waits for.
pub fn serve_shard<D: FrontDoor>(
    shard: clocker_runtime::Shard,
    door: D,
    signal: &Signal,
    router: Router,
    settings: &RuntimeConfig,
    tasks: TaskTracker,
) -> Result<Launched, LaunchError> {
    let clocker_runtime::Shard {
        service,
        listener,
        gate,
        shutdown,
        ..
    } = shard;
    tasks.spawn(door.shard().clone().run(signal.watch(), shutdown.clone()));
    let addr = local_addr(service, &listener)?;
    let routed = open(
        listener,
        addr,
        settings.clone(),
        gate,
        Arc::new(door),
        tasks.clone(),
        shutdown.clone(),
    );
    launch_http_on(service, routed, addr, router, settings, tasks, shutdown)
}

/// Accepts on `listener` until `shutdown`, admitting each connection
/// through `gate`: answers what `door` routes here (on `tasks`, so the
/// drain waits for it) and passes every other connection to the returned
/// listener.
pub fn open<D: FrontDoor>(
    listener: TcpListener,
    addr: SocketAddr,
    settings: RuntimeConfig,
    gate: Gate,
    door: Arc<D>,
    tasks: TaskTracker,
    shutdown: CancellationToken,
) -> Routed {
    let (routed, connections) = mpsc::channel(ROUTED_BACKLOG);
    let connection_tasks = tasks.clone();
    let buffer = Arc::new(HeadBuffer::default());
    let head_timeout = settings.connections.header_timeout;
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
                        Connection {
                            tcp,
                            permit,
                            peer,
                            early: Bytes::new(),
                        },
                        routed.clone(),
                        door.clone(),
                        buffer.clone(),
                        head_timeout,
                        shutdown.clone(),
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
/// An answered connection joins the shard's subscribers, and this task (its
/// timer, its future) is gone.
async fn answer_or_pass_on<D: FrontDoor>(
    mut connection: Connection,
    routed: mpsc::Sender<(RoutedConnection, SocketAddr)>,
    door: Arc<D>,
    buffer: Arc<HeadBuffer>,
    head_timeout: Duration,
    shutdown: CancellationToken,
) {
    let reading = head::read(&connection.tcp, &buffer, door.starts(), |head| {
        door.route(head)
    });
    let decided = tokio::select! {
        () = shutdown.cancelled() => return,
        decided = tokio::time::timeout(head_timeout, reading) => decided,
    };
    match decided {
        Ok(Ok(Read::Here { route, early })) => {
            drop(routed);
            connection.early = early;
            if let Some(subscription) = door.answer(route, connection).await {
                door.shard().join(subscription);
            }
        }
        Ok(Ok(Read::Router { prefix })) => {
            let (reader, writer) = connection.tcp.into_split();
            let io = tokio::io::join(Prefixed::new(prefix, reader), writer);
            let admitted = Admitted::new(io, connection.permit);
            let _ = routed.send((admitted, connection.peer)).await;
        }
        // Closed, broken or silent before sending a head: nothing to answer.
        Ok(Err(_)) | Err(_) => {}
    }
}
