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
//! in front ([`Prefixed`]), so hyper sees the connection as it arrived.
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

use std::io;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use bytes::{Buf, Bytes, BytesMut};
use clocker_runtime::http::allowed_origin;
use clocker_runtime::{
    Admitted, CancellationToken, Gate, Permit, Settings, TaskTracker, configure_accepted,
    record_http_request, within,
};
use futures_util::StreamExt;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use crate::feed::Feed;
use crate::sse::{self, Counters};
use clocker_fanout::sse::{HEADERS, resume_after};

/// The route answered here.
const ROUTE: &str = "/stream";
/// How a request for it starts; anything else goes to the router as soon as
/// it differs.
const REQUEST_START: &[u8] = b"GET /stream";
/// A request head longer than this goes to the router (hyper's bounds are
/// wider).
const MAX_HEAD: usize = 8 * 1024;
/// Headers parsed; a request with more goes to the router.
const MAX_HEADERS: usize = 32;
/// Connections on their way to the router.
const ROUTED_BACKLOG: usize = 256;

/// What a `GET /stream` connection is answered from.
#[derive(Debug)]
pub struct Direct {
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

/// The connections that do not start with `GET /stream`, for the router
/// (`axum::serve`), each with what was read of it put back.
#[derive(Debug)]
pub struct Routed {
    connections: mpsc::Receiver<(Admitted<Prefixed>, SocketAddr)>,
    addr: SocketAddr,
}

impl axum::serve::Listener for Routed {
    type Io = Admitted<Prefixed>;
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
/// waits for it) and hands every other connection to the returned listener.
pub fn accept(
    listener: TcpListener,
    addr: SocketAddr,
    settings: Settings,
    gate: Gate,
    direct: Arc<Direct>,
    tasks: TaskTracker,
) -> Routed {
    let (routed, connections) = mpsc::channel(ROUTED_BACKLOG);
    let shutdown = direct.shutdown.clone();
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
                    connection_tasks.spawn(route(
                        tcp,
                        permit,
                        peer,
                        routed.clone(),
                        direct.clone(),
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

/// What a connection's request head asks for.
#[derive(Debug, PartialEq, Eq)]
enum Head {
    /// Not yet known: read more.
    Partial,
    /// `GET /stream`: resume after this id, answer this origin.
    Stream {
        last_event_id: Option<u64>,
        origin: Option<String>,
    },
    /// Anything else: the router's.
    Other,
}

/// Reads the request head and answers it here or hands it on.
async fn route(
    mut tcp: TcpStream,
    permit: Permit,
    peer: SocketAddr,
    routed: mpsc::Sender<(Admitted<Prefixed>, SocketAddr)>,
    direct: Arc<Direct>,
) {
    let mut read = BytesMut::with_capacity(1024);
    let head = tokio::select! {
        () = direct.shutdown.cancelled() => return,
        head = tokio::time::timeout(direct.head_timeout, read_head(&mut tcp, &mut read)) => head,
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
            stream(tcp, last_event_id, origin.as_deref(), &direct).await;
            drop(permit);
        }
        Ok(Ok(_)) => {
            let connection = Admitted::new(Prefixed::new(read.freeze(), tcp), permit);
            let _ = routed.send((connection, peer)).await;
        }
        // Closed, broken or silent before sending a head: nothing to answer.
        Ok(Err(_)) | Err(_) => {}
    }
}

/// Reads until the head says whether it is `GET /stream`.
async fn read_head(io: &mut (impl AsyncRead + Unpin), read: &mut BytesMut) -> io::Result<Head> {
    loop {
        if io.read_buf(read).await? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        match parse_head(read) {
            Head::Partial => {}
            decided => return Ok(decided),
        }
    }
}

/// Decides from the bytes read so far.
fn parse_head(read: &[u8]) -> Head {
    let known = read.len().min(REQUEST_START.len());
    if read[..known] != REQUEST_START[..known] {
        return Head::Other;
    }
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(read) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) if read.len() < MAX_HEAD => return Head::Partial,
        // Too long, too many headers or malformed: the router says so.
        Ok(httparse::Status::Partial) | Err(_) => return Head::Other,
    }
    let target = request.path.unwrap_or_default();
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if request.method != Some("GET") || path != ROUTE {
        return Head::Other;
    }
    let header = |name: &str| {
        request
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .and_then(|h| std::str::from_utf8(h.value).ok())
    };
    let query_id = form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "last_event_id")
        .map(|(_, value)| value);
    Head::Stream {
        last_event_id: resume_after(header("last-event-id"), query_id.as_deref()),
        origin: header("origin").map(str::to_owned),
    }
}

/// Fuzzing entry point (`fuzz/fuzz_targets/stream_head.rs`, replayed on
/// stable from `fuzz/corpus/stream_head`): decides `data` as the first bytes
/// of a connection, as [`route`] does, and for a `GET /stream` builds the
/// response head it would send. Panics only on a defect: a head that is
/// not one well-formed HTTP head (CORS must not let a request add lines).
pub fn fuzz_stream_head(data: &[u8]) {
    let Head::Stream { origin, .. } = parse_head(data) else {
        return;
    };
    let allowed = ["http://127.0.0.1:8080".to_owned(), "*".to_owned()];
    for origins in [&allowed[..1], &allowed[1..]] {
        let head = response_head(origin.as_deref(), origins);
        let lines = head.split(|&b| b == b'\n').count();
        let cors_lines = if origin
            .as_deref()
            .is_some_and(|o| allowed_origin(origins, o).is_some())
        {
            2
        } else {
            0
        };
        assert_eq!(
            lines,
            HEADERS.len() + cors_lines + 4,
            "a response head of unexpected shape: {:?}",
            String::from_utf8_lossy(&head)
        );
        assert!(head.ends_with(b"\r\n\r\n"));
    }
}

/// The response head: the SSE [`HEADERS`], `Connection: close`, and CORS for an
/// allowed origin (as the router's CORS layer answers a simple `GET`).
fn response_head(origin: Option<&str>, origins: &[String]) -> Vec<u8> {
    let mut head = String::from("HTTP/1.1 200 OK\r\n");
    for (name, value) in HEADERS {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("connection: close\r\n");
    if let Some(allowed) = origin.and_then(|origin| allowed_origin(origins, origin)) {
        head.push_str(&format!(
            "access-control-allow-origin: {allowed}\r\nvary: origin\r\n"
        ));
    }
    head.push_str("\r\n");
    head.into_bytes()
}

/// Sends the feed to `tcp` until the client goes, the feed ends or shutdown.
async fn stream(tcp: TcpStream, last_event_id: Option<u64>, origin: Option<&str>, direct: &Direct) {
    let started = Instant::now();
    let (mut reader, mut writer) = tcp.into_split();
    let head = response_head(origin, &direct.origins);
    let write_timeout = direct.write_timeout;
    let stop = &direct.shutdown;
    if !matches!(
        within(write_timeout, stop, writer.write_all(&head)).await,
        Some(Ok(()))
    ) {
        return;
    }
    record_http_request(
        crate::NAME,
        ROUTE.to_owned(),
        StatusCode::OK,
        started.elapsed(),
    );
    let events = direct
        .feed
        .subscribe(last_event_id)
        .map(|event| event.bytes);
    let mut body = pin!(sse::body(
        events,
        direct.counters.clone(),
        direct.keep_alive,
        direct.shutdown.clone(),
    ));
    // Anything the client sends now is ignored; its end is the stream's.
    let mut ignored = [0u8; 64];
    loop {
        let bytes = tokio::select! {
            bytes = body.next() => match bytes {
                Some(bytes) => bytes,
                None => break,
            },
            read = reader.read(&mut ignored) => match read {
                Ok(0) | Err(_) => return,
                Ok(_) => continue,
            },
        };
        // A client that stopped reading is dropped, and cannot hold up
        // shutdown.
        match within(write_timeout, stop, writer.write_all(&bytes)).await {
            Some(Ok(())) => {}
            Some(Err(_)) => return,
            None => {
                if !stop.is_cancelled() {
                    tracing::debug!(
                        ?write_timeout,
                        "dropping a /stream client that stopped reading"
                    );
                }
                return;
            }
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(1), writer.shutdown()).await;
}

/// A connection with bytes already read from it put back in front.
#[derive(Debug)]
pub struct Prefixed {
    prefix: Bytes,
    inner: TcpStream,
}

impl Prefixed {
    fn new(prefix: Bytes, inner: TcpStream) -> Self {
        Self { prefix, inner }
    }
}

impl AsyncRead for Prefixed {
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

impl AsyncWrite for Prefixed {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_get_of_the_stream_is_answered_here_with_its_resume_id_and_origin() {
        let head = b"GET /stream?last_event_id=7 HTTP/1.1\r\nHost: x\r\nOrigin: http://a:1\r\n\r\n";
        assert_eq!(
            parse_head(head),
            Head::Stream {
                last_event_id: Some(7),
                origin: Some("http://a:1".to_owned())
            }
        );
        let header_wins = b"GET /stream?last_event_id=7 HTTP/1.1\r\nlast-event-id: 9\r\n\r\n";
        assert!(matches!(
            parse_head(header_wins),
            Head::Stream {
                last_event_id: Some(9),
                ..
            }
        ));
    }

    #[test]
    fn other_requests_go_to_the_router_as_soon_as_they_differ() {
        for head in [
            &b"GET /stream/time?tz=UTC HTTP/1.1\r\n\r\n"[..],
            b"GET /streams HTTP/1.1\r\n\r\n",
            b"GET /health HTTP/1.1\r\n\r\n",
            b"POST /stream HTTP/1.1\r\n\r\n",
            b"OPTIONS /stream HTTP/1.1\r\n\r\n",
            b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
            b"GET /h",
            b"\x16\x03\x01",
        ] {
            assert_eq!(parse_head(head), Head::Other, "{head:?}");
        }
    }

    #[test]
    fn a_head_still_arriving_is_waited_for_up_to_a_bound() {
        assert_eq!(parse_head(b"GET /str"), Head::Partial);
        assert_eq!(
            parse_head(b"GET /stream HTTP/1.1\r\nHost: x\r\n"),
            Head::Partial
        );
        let mut endless = b"GET /stream HTTP/1.1\r\n".to_vec();
        while endless.len() < MAX_HEAD {
            endless.extend_from_slice(b"X-Filler: aaaaaaaaaaaaaaaa\r\n");
        }
        assert_eq!(parse_head(&endless), Head::Other);
    }

    #[tokio::test]
    async fn a_head_read_in_pieces_is_decided_once_it_can_be() {
        let (mut client, mut server) = tokio::io::duplex(1024);
        let mut read = BytesMut::new();
        let decided = {
            let mut head = pin!(read_head(&mut server, &mut read));
            client.write_all(b"GET /str").await.expect("writes");
            // The first piece is read, and is not enough to decide.
            tokio::select! {
                biased;
                decided = &mut head => panic!("decided on a partial head: {decided:?}"),
                () = std::future::ready(()) => {}
            }
            client
                .write_all(b"eam?last_event_id=4 HTTP/1.1\r\nHost: x\r\n\r\n")
                .await
                .expect("writes");
            head.await.expect("a head")
        };
        assert_eq!(
            decided,
            Head::Stream {
                last_event_id: Some(4),
                origin: None
            }
        );
        assert!(read.starts_with(b"GET /stream?last_event_id=4 HTTP/1.1\r\n"));
    }

    #[tokio::test]
    async fn a_connection_closed_before_its_head_is_not_routed() {
        let (client, mut server) = tokio::io::duplex(1024);
        drop(client);
        let mut read = BytesMut::new();
        assert!(read_head(&mut server, &mut read).await.is_err());
    }

    #[tokio::test]
    async fn a_client_that_stops_reading_is_dropped_after_the_write_timeout() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let client = TcpStream::connect(listener.local_addr().expect("addr"))
            .await
            .expect("connect");
        let (server, _) = listener.accept().await.expect("accept");
        let feed = Feed::new(16);
        let write_timeout = Duration::from_millis(300);
        let direct = Direct {
            feed: feed.clone(),
            counters: Arc::default(),
            keep_alive: Duration::from_secs(15),
            head_timeout: Duration::from_secs(1),
            write_timeout,
            origins: Vec::new(),
            shutdown: CancellationToken::new(),
        };
        let streaming = tokio::spawn(async move { stream(server, None, None, &direct).await });
        let started = Instant::now();
        let chunk = Bytes::from(vec![b'x'; 64 * 1024]);
        // The client never reads: its buffers fill, then writes stall.
        for id in 1.. {
            if streaming.is_finished() {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "a client that stopped reading is still streamed to"
            );
            feed.publish(crate::feed::Event {
                id,
                bytes: chunk.clone(),
            });
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(started.elapsed() >= write_timeout);
        drop(client);
    }

    #[test]
    fn cors_is_answered_for_allowed_origins_only() {
        let origins = vec!["http://127.0.0.1:8080".to_owned()];
        let head = String::from_utf8(response_head(Some("http://127.0.0.1:8080"), &origins))
            .expect("ASCII");
        assert!(head.starts_with("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"));
        assert!(head.contains("access-control-allow-origin: http://127.0.0.1:8080\r\n"));
        assert!(head.ends_with("\r\n\r\n"));
        let head = String::from_utf8(response_head(Some("http://evil"), &origins)).expect("ASCII");
        assert!(!head.contains("access-control"));
        let any = vec!["*".to_owned()];
        let head = String::from_utf8(response_head(Some("http://any"), &any)).expect("ASCII");
        assert!(head.contains("access-control-allow-origin: *\r\n"));
    }
}
