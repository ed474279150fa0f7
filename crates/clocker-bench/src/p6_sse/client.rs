//! The SSE clients of P6: raw HTTP/1.1 over a tokio `TcpStream` (as a
//! browser's `EventSource` asks), the body decoded by hand (chunked, or
//! until the connection closes, as the stream answers `/stream`), and what
//! each client measures.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use bytes::{Buf, BytesMut};
use clocker_runtime::CancellationToken;
use futures_util::StreamExt;
use futures_util::stream;
use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinSet;

use crate::stats::Samples;

/// What one client saw while the measurement ran.
#[derive(Debug, Default)]
pub struct Received {
    /// Receive wall-clock time − the event's `timestamp`, per event.
    pub lags: Samples,
    /// `data` events received.
    pub events: u64,
    /// Whether the stream ended before the measurement did.
    pub stopped_early: bool,
    /// The first thing that went wrong (a bad event, or why it stopped).
    pub error: Option<String>,
}

/// What every client shares: whether to record, and when to stop.
#[derive(Debug, Clone)]
pub struct Control {
    pub measuring: Arc<AtomicBool>,
    pub stop: CancellationToken,
    /// Events each client expects to record (capacity of its samples).
    pub expected_events: usize,
}

/// Opens `clients` streams on `addr`, `concurrency` at a time, each then
/// read by its own task. Dropping the set ends them all.
pub async fn connect_all(
    addr: SocketAddr,
    clients: usize,
    concurrency: usize,
    control: &Control,
) -> anyhow::Result<JoinSet<Received>> {
    let mut opening = stream::iter(0..clients)
        .map(|_| Sse::open(addr))
        .buffer_unordered(concurrency.max(1));
    let mut tasks = JoinSet::new();
    let step = (clients / 5).max(1);
    while let Some(opened) = opening.next().await {
        let sse = opened.with_context(|| {
            format!("client {} of {clients} could not connect", tasks.len() + 1)
        })?;
        tasks.spawn(listen(sse, control.clone()));
        if tasks.len() % step == 0 || tasks.len() == clients {
            eprintln!("p6:   {} / {clients} clients connected", tasks.len());
        }
    }
    Ok(tasks)
}

/// Opens one stream and waits up to `deadline` for its first `data` event
/// (the stream's upstream is flowing).
pub async fn first_event(addr: SocketAddr, deadline: Duration) -> anyhow::Result<()> {
    let until = Instant::now() + deadline;
    let mut sse = loop {
        match Sse::open(addr).await {
            Ok(sse) => break sse,
            Err(_) if Instant::now() < until => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(err) => return Err(err),
        }
    };
    tokio::time::timeout_at(until.into(), async {
        loop {
            if let Some(event) = sse.next_event() {
                return event.map(|_| ()).map_err(anyhow::Error::msg);
            }
            if !sse.read().await? {
                bail!("the stream ended before its first event");
            }
        }
    })
    .await
    .with_context(|| {
        format!("no event on /stream within {deadline:?} (is the random service up?)")
    })?
}

async fn listen(mut sse: Sse, control: Control) -> Received {
    let mut received = Received {
        lags: Samples::with_capacity(control.expected_events),
        ..Received::default()
    };
    let stopped = control.stop.cancelled();
    tokio::pin!(stopped);
    loop {
        let read = tokio::select! {
            () = &mut stopped => break,
            read = sse.read() => read,
        };
        match read {
            Ok(true) => {}
            Ok(false) => {
                received.stopped_early = true;
                received.error = Some("the stream service ended the stream".into());
                break;
            }
            Err(err) => {
                received.stopped_early = true;
                received.error = Some(format!("{err:#}"));
                break;
            }
        }
        // One read, one receive time for every event it completed.
        let now = unix_nanos_now();
        let measuring = control.measuring.load(Ordering::Relaxed);
        while let Some(event) = sse.next_event() {
            if !measuring {
                continue;
            }
            match event {
                Ok(timestamp_ms) => {
                    received.events += 1;
                    let lag = now.saturating_sub(i128::from(timestamp_ms) * 1_000_000);
                    received
                        .lags
                        .record_nanos(u64::try_from(lag.max(0)).unwrap_or(u64::MAX));
                }
                Err(err) => {
                    received.error.get_or_insert(err);
                }
            }
        }
    }
    received
}

/// One open `GET /stream`: the socket, and the bytes read but not yet used.
struct Sse {
    socket: TcpStream,
    /// Bytes off the socket, chunk framing included.
    raw: BytesMut,
    /// The decoded body: SSE text not yet split into events.
    body: BytesMut,
    /// How the body is framed: chunks, or none (it ends with the connection).
    chunks: Option<Chunked>,
}

/// Headers larger than this are not a stream's.
const MAX_HEAD: usize = 16 * 1024;

impl Sse {
    /// Connects, asks for `/stream`, and reads the response head.
    async fn open(addr: SocketAddr) -> anyhow::Result<Self> {
        let mut socket = TcpStream::connect(addr).await?;
        let request = format!(
            "GET /stream HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n"
        );
        socket.write_all(request.as_bytes()).await?;
        let mut raw = BytesMut::with_capacity(1024);
        let end = loop {
            if let Some(at) = find(&raw, b"\r\n\r\n") {
                break at;
            }
            if raw.len() > MAX_HEAD || socket.read_buf(&mut raw).await? == 0 {
                bail!("no complete response head from {addr}");
            }
        };
        let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
        if !head.starts_with("http/1.1 200") {
            bail!(
                "GET /stream answered: {}",
                head.lines().next().unwrap_or("")
            );
        }
        let chunks = if head.contains("transfer-encoding: chunked") {
            Some(Chunked::default())
        } else if head.contains("connection: close") && !head.contains("content-length:") {
            None
        } else {
            bail!("GET /stream is neither chunked nor ended by closing: {head}");
        };
        raw.advance(end + 4);
        let mut sse = Self {
            socket,
            raw,
            body: BytesMut::new(),
            chunks,
        };
        // Body bytes that came with the head are used now, not after the
        // next read.
        sse.decode()?;
        Ok(sse)
    }

    /// Reads once and decodes what came; `false` once the stream ended.
    async fn read(&mut self) -> anyhow::Result<bool> {
        self.raw.reserve(4096);
        if self.socket.read_buf(&mut self.raw).await? == 0 {
            return Ok(false);
        }
        Ok(!self.decode()?)
    }

    /// Moves what `raw` holds of the body into `body`; `true` once the last
    /// chunk of a chunked body has come.
    fn decode(&mut self) -> anyhow::Result<bool> {
        match &mut self.chunks {
            Some(chunks) => chunks.decode(&mut self.raw, &mut self.body),
            None => {
                self.body.extend_from_slice(&self.raw);
                self.raw.clear();
                Ok(false)
            }
        }
    }

    /// The `timestamp` of the next complete `data` event (comments, the
    /// `retry:` hint and other events skipped), or why it is not one.
    fn next_event(&mut self) -> Option<Result<i64, String>> {
        while let Some(at) = find(&self.body, b"\n\n") {
            let event = self.body.split_to(at + 2);
            if let Some(parsed) = timestamp(&event) {
                return Some(parsed);
            }
        }
        None
    }
}

/// The only field of `data:` P6 reads.
#[derive(Debug, Deserialize)]
struct Wire {
    timestamp: i64,
}

/// The timestamp of one `event: data` block; `None` when it is not one.
fn timestamp(event: &[u8]) -> Option<Result<i64, String>> {
    let (mut name, mut data) = (None, None);
    for line in event.split(|&b| b == b'\n') {
        if let Some(value) = line.strip_prefix(b"event: ") {
            name = Some(value);
        } else if let Some(value) = line.strip_prefix(b"data: ") {
            data = Some(value);
        }
    }
    let data = data?;
    if name.is_some_and(|name| name != b"data") {
        return None;
    }
    Some(
        serde_json::from_slice::<Wire>(data)
            .map(|wire| wire.timestamp)
            .map_err(|err| format!("not an event: {err}: {}", String::from_utf8_lossy(data))),
    )
}

/// Where `needle` first starts in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// An HTTP/1.1 chunked body, decoded as bytes arrive.
#[derive(Debug, Default)]
enum Chunked {
    /// Expecting `<hex size>[;ext]\r\n`.
    #[default]
    Size,
    /// Inside a chunk, this many bytes left.
    Data(usize),
    /// Expecting the `\r\n` after a chunk's data.
    DataEnd,
}

impl Chunked {
    /// Moves the body bytes of `raw` to `body`, leaving an incomplete
    /// frame in `raw`; `true` once the last (empty) chunk has come.
    fn decode(&mut self, raw: &mut BytesMut, body: &mut BytesMut) -> anyhow::Result<bool> {
        loop {
            match *self {
                Chunked::Size => {
                    let Some(end) = find(raw, b"\r\n") else {
                        if raw.len() > 1024 {
                            bail!("a chunk size line longer than 1 KiB");
                        }
                        return Ok(false);
                    };
                    let line = std::str::from_utf8(&raw[..end]).context("chunk size")?;
                    let hex = line.split(';').next().unwrap_or("").trim();
                    let size = usize::from_str_radix(hex, 16)
                        .with_context(|| format!("bad chunk size '{line}'"))?;
                    raw.advance(end + 2);
                    if size == 0 {
                        return Ok(true);
                    }
                    *self = Chunked::Data(size);
                }
                Chunked::Data(left) => {
                    if raw.is_empty() {
                        return Ok(false);
                    }
                    let take = left.min(raw.len());
                    body.extend_from_slice(&raw[..take]);
                    raw.advance(take);
                    *self = if take == left {
                        Chunked::DataEnd
                    } else {
                        Chunked::Data(left - take)
                    };
                }
                Chunked::DataEnd => {
                    if raw.len() < 2 {
                        return Ok(false);
                    }
                    if &raw[..2] != b"\r\n" {
                        bail!("a chunk does not end with CRLF");
                    }
                    raw.advance(2);
                    *self = Chunked::Size;
                }
            }
        }
    }
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

    #[test]
    fn chunks_decode_whatever_the_reads_cut() {
        let wire = b"d\r\nretry: 1000\n\n\r\n43\r\nevent: data\nid: 7\ndata: {\"timestamp\":1795,\"value\":5,\"sequence\":7}\n\n\r\n0\r\n\r\n";
        // Cut anywhere before the last chunk's size line is complete.
        for cut in 1..wire.len() - 2 {
            let (mut chunks, mut body) = (Chunked::default(), BytesMut::new());
            let mut raw = BytesMut::from(&wire[..cut]);
            assert!(!chunks.decode(&mut raw, &mut body).expect("decodes"));
            raw.extend_from_slice(&wire[cut..]);
            assert!(chunks.decode(&mut raw, &mut body).expect("decodes"));
            assert_eq!(
                &body[..],
                &b"retry: 1000\n\nevent: data\nid: 7\ndata: {\"timestamp\":1795,\"value\":5,\"sequence\":7}\n\n"[..],
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn only_data_events_have_a_timestamp() {
        assert_eq!(timestamp(b"retry: 1000\n\n"), None);
        assert_eq!(timestamp(b": keep-alive\n\n"), None);
        assert_eq!(
            timestamp(b"event: frame\nid: 1\ndata: {\"timestamp\":1}\n\n"),
            None
        );
        assert_eq!(
            timestamp(b"event: data\nid: 7\ndata: {\"timestamp\":1795,\"value\":5}\n\n"),
            Some(Ok(1795))
        );
        assert!(matches!(
            timestamp(b"event: data\ndata: nonsense\n\n"),
            Some(Err(_))
        ));
    }
}
