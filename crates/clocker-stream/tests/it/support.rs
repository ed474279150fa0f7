//! A random service and a stream on free ports, and an SSE reader.

use std::net::SocketAddr;
use std::time::Duration;

use clocker_runtime::{AddressBook, CancellationToken, Launched, RuntimeConfig, bind};
use clocker_stream::{FeedConfig, StreamConfig};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedReadHalf;

/// How long a test waits for something that should happen soon.
pub const PATIENCE: Duration = Duration::from_secs(15);

fn settings() -> RuntimeConfig {
    RuntimeConfig {
        budget: Duration::from_secs(2),
        drain: Duration::from_secs(2),
        ..RuntimeConfig::default()
    }
}

/// Where the stream is told the funnel (the page it admits) is.
pub const FUNNEL: &str = "127.0.0.1:8080";

/// The random service and the stream; stopped on drop.
pub struct StreamUnderTest {
    pub stream: SocketAddr,
    pub random: SocketAddr,
    random_stop: CancellationToken,
    random_launched: Option<Launched>,
    shutdown: CancellationToken,
}

impl Drop for StreamUnderTest {
    fn drop(&mut self) {
        self.random_stop.cancel();
        self.shutdown.cancel();
    }
}

async fn launch_random(addr: SocketAddr, stop: CancellationToken) -> Launched {
    let listener = bind("random", addr).await.expect("port");
    clocker_random::launch(listener, &settings(), stop)
        .await
        .expect("random starts")
}

impl StreamUnderTest {
    /// A random feed at `every`, remembering `history` events.
    pub async fn start(every: Duration, history: usize) -> StreamUnderTest {
        let random_stop = CancellationToken::new();
        let random =
            launch_random("127.0.0.1:0".parse().expect("literal"), random_stop.clone()).await;
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port");
        let mut book = AddressBook::default();
        for name in clocker_stream::REQUIRES {
            book.set(name, closed);
        }
        book.set(
            clocker_proto::random::random_service_server::SERVICE_NAME,
            random.addr,
        );
        book.set_authority(clocker_proto::doors::FUNNEL, FUNNEL.to_owned());
        let config = StreamConfig {
            feed: FeedConfig {
                every,
                history,
                ..FeedConfig::default()
            },
            ..StreamConfig::default()
        };
        let shutdown = CancellationToken::new();
        let listener = bind("stream", "127.0.0.1:0".parse().expect("literal"))
            .await
            .expect("port");
        let stream = clocker_stream::launch(listener, book, &config, &settings(), shutdown.clone())
            .await
            .expect("stream starts");
        StreamUnderTest {
            stream: stream.addr,
            random: random.addr,
            random_stop,
            random_launched: Some(random),
            shutdown,
        }
    }

    /// Stops the stream service (as on Ctrl-C).
    pub fn stop_stream(&self) {
        self.shutdown.cancel();
    }

    /// Stops the random service, as if it died.
    pub async fn stop_random(&mut self) {
        self.random_stop.cancel();
        if let Some(launched) = self.random_launched.take() {
            let _ = launched.stopped().await;
        }
    }

    /// Starts the random service again where it was.
    pub async fn restart_random(&mut self) {
        self.random_stop = CancellationToken::new();
        self.random_launched = Some(launch_random(self.random, self.random_stop.clone()).await);
    }

    /// `GET path`: the body as text.
    pub async fn get(&self, path: &str) -> String {
        let mut reader = Sse::open(self.stream, path, None).await;
        let mut body = String::new();
        tokio::io::AsyncReadExt::read_to_string(&mut reader.lines, &mut body)
            .await
            .expect("body");
        body
    }

    /// `GET path` as JSON.
    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        let body = self.get(path).await;
        serde_json::from_str(&body).unwrap_or_else(|_| panic!("JSON from {path}: {body}"))
    }
}

/// One SSE event.
#[derive(Debug, Default, Clone)]
pub struct Event {
    pub event: String,
    pub id: Option<u64>,
    pub data: String,
}

/// An SSE connection (HTTP/1.0, so the body is the raw event stream).
pub struct Sse {
    lines: BufReader<OwnedReadHalf>,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    _write: tokio::net::tcp::OwnedWriteHalf,
}

impl Sse {
    pub async fn open(addr: SocketAddr, path: &str, last_event_id: Option<u64>) -> Sse {
        let mut request = format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\n");
        if let Some(id) = last_event_id {
            request.push_str(&format!("Last-Event-ID: {id}\r\n"));
        }
        request.push_str("\r\n");
        Sse::send(addr, &[request.as_bytes()]).await
    }

    /// Sends `pieces`, each in a write (and segment) of its own, then reads
    /// the response head.
    pub async fn send(addr: SocketAddr, pieces: &[&[u8]]) -> Sse {
        let tcp = TcpStream::connect(addr).await.expect("connects");
        tcp.set_nodelay(true).expect("nodelay");
        let (read, mut write) = tcp.into_split();
        for piece in pieces {
            write.write_all(piece).await.expect("sends");
        }
        let mut lines = BufReader::new(read);
        let mut status_line = String::new();
        lines.read_line(&mut status_line).await.expect("status");
        let status = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("a status line, got {status_line:?}"));
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            lines.read_line(&mut line).await.expect("header");
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
            }
        }
        Sse {
            lines,
            status,
            headers,
            _write: write,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The next line of the body, as sent; `None` at the end.
    pub async fn line(&mut self) -> Option<String> {
        let mut line = String::new();
        let read = tokio::time::timeout(PATIENCE, self.lines.read_line(&mut line))
            .await
            .expect("a line within the patience");
        (read.expect("reads") > 0).then_some(line)
    }

    /// The next event (comments and `retry:` are skipped); `None` at the end.
    pub async fn next(&mut self) -> Option<Event> {
        let mut event = Event::default();
        let mut seen = false;
        loop {
            let mut line = String::new();
            let read = tokio::time::timeout(PATIENCE, self.lines.read_line(&mut line))
                .await
                .expect("an event within the patience");
            if read.expect("reads") == 0 {
                return None;
            }
            let line = line.trim_end_matches(['\r', '\n']);
            if line.is_empty() {
                if seen {
                    return Some(event);
                }
                continue;
            }
            if line.starts_with(':') {
                continue;
            }
            let (field, value) = line.split_once(':').unwrap_or((line, ""));
            let value = value.strip_prefix(' ').unwrap_or(value);
            match field {
                "event" => event.event = value.to_owned(),
                "id" => event.id = value.parse().ok(),
                "data" => event.data.push_str(value),
                _ => continue,
            }
            seen = true;
        }
    }
}
