//! The clients of the fan-out benchmarks (P4's WebSocket, P6's SSE and
//! WebSocket), one module for both protocols and every server measured.
//!
//! The load generator shares the machine with the server, so it must cost
//! less than what it measures: each client is one tokio task with one
//! `TcpStream`, a fixed read buffer of [`BUFFER`] bytes and a decoder that
//! streams the bytes through (`websocket`, `sse`), reading the one field it
//! needs by byte scan (`scan`). Nothing is allocated per message: the lags
//! go to a `Samples` sized up front.

mod scan;
mod sse;
mod websocket;

use std::net::SocketAddr;
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use clocker_runtime::CancellationToken;
use futures_util::StreamExt;
use futures_util::stream;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinSet;

use crate::stats::Samples;
pub use scan::Stamp;

/// Bytes each client reads at a time (a funnel frame is ~130 bytes).
pub const BUFFER: usize = 2048;

/// What a client speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// A WebSocket; each text message's `unix_ms` is its send time.
    WebSocket,
    /// Server-Sent Events; each `data` event's `timestamp` is its send time.
    Sse,
}

/// Where clients connect, and how.
#[derive(Debug, Clone)]
pub struct Target {
    pub protocol: Protocol,
    pub addr: SocketAddr,
    /// The request path, such as `/ws?tz=UTC`.
    pub path: &'static str,
}

/// What a decoder makes of the bytes it is fed.
#[derive(Debug)]
pub enum Event<'a> {
    /// A message ended; its send time, if it had one.
    Message(Stamp),
    /// Bytes to send back (a WebSocket pong).
    Reply(&'a [u8]),
    /// The server ended the stream; `reply` is sent before closing.
    End {
        reason: &'static str,
        reply: &'a [u8],
    },
    /// Bytes no server of this protocol may send.
    Invalid(&'static str),
}

/// What one client saw while the measurement ran.
#[derive(Debug, Default)]
pub struct Received {
    /// Receive wall-clock time − the message's send time, per message.
    pub lags: Samples,
    /// Messages delivered (those without a send time included).
    pub delivered: u64,
    /// Messages without a send time (a funnel frame with `unix_ms: null`)
    /// or without the field at all.
    pub degraded: u64,
    /// Whether the connection ended before the measurement did.
    pub stopped_early: bool,
    /// The first thing that went wrong (a bad message, or why it stopped).
    pub error: Option<String>,
}

impl Received {
    fn record(&mut self, stamp: Stamp, now_nanos: i128) {
        match stamp {
            Stamp::At(ms) => {
                self.delivered += 1;
                let lag = now_nanos.saturating_sub(i128::from(ms) * 1_000_000);
                self.lags
                    .record_nanos(u64::try_from(lag.max(0)).unwrap_or(u64::MAX));
            }
            Stamp::Null => {
                self.delivered += 1;
                self.degraded += 1;
            }
            Stamp::Absent => {
                self.degraded += 1;
                self.error
                    .get_or_insert_with(|| "a message without its send time".into());
            }
        }
    }
}

/// What every client shares: whether to record, and when to stop.
#[derive(Debug, Clone)]
pub struct Control {
    pub measuring: Arc<AtomicBool>,
    pub stop: CancellationToken,
    /// Messages each client expects to record (capacity of its samples).
    pub expected_messages: usize,
}

/// Connects `clients` clients to `target`, `concurrency` at a time, each
/// then served by its own task; fails if they are not all connected within
/// `deadline`. Dropping the set ends them all. `label` prefixes progress.
pub async fn connect_all(
    label: &str,
    target: &Target,
    clients: usize,
    concurrency: usize,
    deadline: Duration,
    control: &Control,
) -> anyhow::Result<JoinSet<Received>> {
    let mut tasks = JoinSet::new();
    let connecting = async {
        let mut opening = stream::iter(0..clients)
            .map(|_| Connection::open(target))
            .buffer_unordered(concurrency.max(1));
        let step = (clients / 5).max(1);
        while let Some(opened) = opening.next().await {
            let connection = opened.with_context(|| {
                format!("client {} of {clients} could not connect", tasks.len() + 1)
            })?;
            tasks.spawn(listen(connection, control.clone()));
            if tasks.len() % step == 0 || tasks.len() == clients {
                eprintln!("{label}:   {} / {clients} clients connected", tasks.len());
            }
        }
        anyhow::Ok(())
    };
    match tokio::time::timeout(deadline, connecting).await {
        Ok(connected) => connected.map(|()| tasks),
        Err(_) => bail!(
            "only {} of {clients} clients connected within {deadline:?}",
            tasks.len()
        ),
    }
}

/// Opens one client and waits up to `deadline` for its first message with
/// a send time (the server is up and its feed flowing).
pub async fn first_message(target: &Target, deadline: Duration) -> anyhow::Result<()> {
    let until = Instant::now() + deadline;
    let mut connection = loop {
        match Connection::open(target).await {
            Ok(connection) => break connection,
            Err(_) if Instant::now() < until => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(err) => return Err(err),
        }
    };
    tokio::time::timeout_at(until.into(), async {
        let mut timed = false;
        while !timed {
            connection
                .read(&mut |stamp, _| timed |= matches!(stamp, Stamp::At(_)))
                .await
                .map_err(anyhow::Error::msg)?;
        }
        anyhow::Ok(())
    })
    .await
    .with_context(|| {
        format!(
            "no message with a send time from {}{} within {deadline:?}",
            target.addr, target.path
        )
    })?
}

async fn listen(mut connection: Connection, control: Control) -> Received {
    let mut received = Received {
        lags: Samples::with_capacity(control.expected_messages),
        ..Received::default()
    };
    let stopped = control.stop.cancelled();
    tokio::pin!(stopped);
    loop {
        let measuring = &control.measuring;
        let mut record = |stamp, now| {
            if measuring.load(Ordering::Relaxed) {
                received.record(stamp, now);
            }
        };
        let read = tokio::select! {
            () = &mut stopped => break,
            read = connection.read(&mut record) => read,
        };
        if let Err(why) = read {
            received.stopped_early = true;
            received.error = Some(why);
            break;
        }
    }
    received
}

/// One client's socket, its read buffer and its decoder.
struct Connection {
    socket: TcpStream,
    buffer: Box<[u8]>,
    /// Bytes of `buffer` read but not decoded yet (those that came with the
    /// response head).
    pending: Range<usize>,
    decoder: Decoder,
}

#[derive(Debug)]
enum Decoder {
    WebSocket(websocket::Decoder),
    Sse(sse::Decoder),
}

impl Decoder {
    fn next<'a>(&'a mut self, bytes: &[u8], at: &mut usize) -> Option<Event<'a>> {
        match self {
            Decoder::WebSocket(decoder) => decoder.next(bytes, at),
            Decoder::Sse(decoder) => decoder.next(bytes, at),
        }
    }
}

impl Connection {
    /// Connects, sends the request, and reads the response head.
    async fn open(target: &Target) -> anyhow::Result<Self> {
        let mut socket = TcpStream::connect(target.addr).await?;
        socket.set_nodelay(true)?;
        let (request, status) = match target.protocol {
            Protocol::WebSocket => (
                websocket::upgrade_request(target.addr, target.path),
                &b"HTTP/1.1 101"[..],
            ),
            Protocol::Sse => (sse::request(target.addr, target.path), &b"HTTP/1.1 200"[..]),
        };
        socket.write_all(request.as_bytes()).await?;
        let mut buffer = vec![0u8; BUFFER].into_boxed_slice();
        let mut filled = 0;
        let head_end = loop {
            if let Some(at) = find(&buffer[..filled], b"\r\n\r\n") {
                break at + 4;
            }
            if filled == buffer.len() {
                bail!("a response head longer than {BUFFER} bytes");
            }
            let read = socket.read(&mut buffer[filled..]).await?;
            if read == 0 {
                bail!("the server closed the connection before answering");
            }
            filled += read;
        };
        let head = &buffer[..head_end];
        if !head.starts_with(status) {
            let line = head.split(|&b| b == b'\r').next().unwrap_or_default();
            bail!(
                "GET {} answered '{}', not {}",
                target.path,
                String::from_utf8_lossy(line),
                String::from_utf8_lossy(status)
            );
        }
        let decoder = match target.protocol {
            Protocol::WebSocket => Decoder::WebSocket(websocket::Decoder::default()),
            Protocol::Sse => {
                Decoder::Sse(sse::Decoder::for_head(head).map_err(anyhow::Error::msg)?)
            }
        };
        Ok(Self {
            socket,
            buffer,
            pending: head_end..filled,
            decoder,
        })
    }

    /// Reads once (or takes the bytes that came with the head) and decodes
    /// them: each message goes to `on_message` with the read's wall-clock
    /// time (unix ns), replies are sent. Why, once the connection ended.
    async fn read(&mut self, on_message: &mut impl FnMut(Stamp, i128)) -> Result<(), String> {
        let Self {
            socket,
            buffer,
            pending,
            decoder,
        } = self;
        let mut at = pending.start;
        let end = if pending.start == pending.end {
            at = 0;
            match socket.read(buffer).await {
                Ok(0) => return Err("the server closed the connection".into()),
                Ok(read) => read,
                Err(err) => return Err(format!("reading: {err}")),
            }
        } else {
            pending.end
        };
        *pending = 0..0;
        // One read, one receive time for every message it completed.
        let now = unix_nanos_now();
        while let Some(event) = decoder.next(&buffer[..end], &mut at) {
            match event {
                Event::Message(stamp) => on_message(stamp, now),
                Event::Reply(reply) => {
                    if let Err(err) = socket.write_all(reply).await {
                        return Err(format!("replying: {err}"));
                    }
                }
                Event::End { reason, reply } => {
                    // A goodbye the server may not wait for: best effort.
                    let _ = socket.write_all(reply).await;
                    return Err(reason.into());
                }
                Event::Invalid(why) => return Err(why.into()),
            }
        }
        Ok(())
    }
}

/// Where `needle` first starts in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

fn unix_nanos_now() -> i128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            i128::try_from(since.as_nanos()).unwrap_or(i128::MAX)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    /// Reads an HTTP request head off `socket`.
    async fn request_head(socket: &mut TcpStream) -> Vec<u8> {
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            socket.read_exact(&mut byte).await.expect("a request head");
            head.push(byte[0]);
        }
        head
    }

    #[tokio::test]
    async fn a_websocket_client_reads_past_the_head_answers_a_ping_and_ends_on_close() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let sent_ms = i64::try_from(unix_nanos_now() / 1_000_000).expect("ms fit");
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.expect("accept");
            let head = request_head(&mut socket).await;
            assert!(head.starts_with(b"GET /ws?tz=UTC HTTP/1.1\r\n"));
            assert!(find(&head, b"Upgrade: websocket\r\n").is_some());
            // The head, a frame and a ping in one write: the frame comes
            // with the head's read.
            let frame = format!(r#"{{"unix_ms":{sent_ms},"seq":1}}"#);
            let mut out =
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n".to_vec();
            out.extend_from_slice(&[0x81, u8::try_from(frame.len()).expect("short")]);
            out.extend_from_slice(frame.as_bytes());
            out.extend_from_slice(&[0x89, 0x01, b'p']);
            socket.write_all(&out).await.expect("write");
            let mut pong = [0u8; 7];
            socket.read_exact(&mut pong).await.expect("a pong");
            assert_eq!(&pong[..2], &[0x8A, 0x81], "a masked pong of 1 byte");
            assert_eq!(pong[6] ^ pong[2], b'p', "the ping's payload, unmasked");
            socket
                .write_all(&[0x88, 0x02, 0x03, 0xe8])
                .await
                .expect("close");
            let mut close = [0u8; 8];
            socket.read_exact(&mut close).await.expect("a close reply");
            assert_eq!(
                &close[..2],
                &[0x88, 0x82],
                "a masked close echoing the code"
            );
        });
        let control = Control {
            measuring: Arc::new(AtomicBool::new(true)),
            stop: CancellationToken::new(),
            expected_messages: 4,
        };
        let target = Target {
            protocol: Protocol::WebSocket,
            addr,
            path: "/ws?tz=UTC",
        };
        let mut tasks = connect_all("test", &target, 1, 1, Duration::from_secs(5), &control)
            .await
            .expect("connects");
        let received = tokio::time::timeout(Duration::from_secs(5), tasks.join_next())
            .await
            .expect("the client ends when the server closes")
            .expect("one client")
            .expect("no panic");
        server.await.expect("the server's side holds");
        assert_eq!(received.delivered, 1);
        assert_eq!(received.lags.len(), 1);
        assert!(received.stopped_early);
        assert_eq!(
            received.error.as_deref(),
            Some("the server closed the WebSocket")
        );
    }

    #[tokio::test]
    async fn a_client_refused_an_upgrade_says_what_it_got() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.expect("accept");
            request_head(&mut socket).await;
            socket
                .write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
                .await
                .expect("write");
        });
        let target = Target {
            protocol: Protocol::WebSocket,
            addr,
            path: "/nowhere",
        };
        let err = Connection::open(&target).await.err().expect("refused");
        assert!(err.to_string().contains("HTTP/1.1 404 Not Found"), "{err}");
        server.await.expect("server");
    }
}
