//! The fleet of processes ([`TestFleet`]), a WebSocket client, frame
//! checks, plain HTTP requests, and `clocker serve` as a process of its own.

use std::net::SocketAddr;
use std::time::Duration;

use clocker_fleet::FleetConfig;
use clocker_wire::Frame;
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long any single wait in these tests may take before it fails.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// The funnel's tick in tests that read many frames: 10 ms (100 Hz).
pub const FAST_TICKS: [&str; 2] = ["--tick", "10ms"];

/// Options for services run in this process, as [`TestFleet`] runs its
/// processes: a generous budget (so a loaded machine cannot fail a test)
/// and accounts and timers in memory (so a test leaves nothing behind).
pub fn in_process_options() -> FleetConfig {
    let mut options = FleetConfig::default();
    options.settings.budget = Duration::from_secs(2);
    let memory = clocker_store::StoreConfig::from_url("sqlite::memory:").expect("a valid URL");
    options.accounts.database = memory.clone();
    options.timers.database = memory;
    options
}

pub async fn connect(funnel: SocketAddr, query: &str) -> Socket {
    let (socket, _) = tokio_tungstenite::connect_async(format!("ws://{funnel}/ws{query}"))
        .await
        .expect("the funnel accepts WebSockets");
    socket
}

/// The next text message, as JSON.
pub async fn next_json(socket: &mut Socket) -> serde_json::Value {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let message = timeout(deadline - Instant::now(), socket.next())
            .await
            .expect("a message within the deadline")
            .expect("the socket stays open")
            .expect("a readable message");
        if let Message::Text(text) = message {
            return serde_json::from_str(&text).expect("messages are JSON");
        }
    }
}

pub async fn next_frame(socket: &mut Socket) -> Frame {
    let json = next_json(socket).await;
    serde_json::from_value(json.clone())
        .unwrap_or_else(|err| panic!("{json} is not a frame: {err}"))
}

/// Reads frames until `done` says so, or fails after [`PATIENCE`].
pub async fn frames_until(socket: &mut Socket, mut done: impl FnMut(&Frame) -> bool) -> Vec<Frame> {
    let deadline = Instant::now() + PATIENCE;
    let mut frames = Vec::new();
    loop {
        assert!(
            Instant::now() < deadline,
            "condition not met; last frames: {:?}",
            frames.last()
        );
        let frame = next_frame(socket).await;
        let stop = done(&frame);
        frames.push(frame);
        if stop {
            return frames;
        }
    }
}

pub async fn send_json(socket: &mut Socket, json: &str) {
    socket
        .send(Message::Text(json.into()))
        .await
        .expect("the socket accepts messages");
}

/// Fails unless every field of `frame` is what its own `unix_ms` gives in its zone.
pub fn assert_untorn(frame: &Frame) {
    let unix_ms = frame.unix_ms.expect("a complete frame has its instant");
    let zone = clocker_runtime::time_zone(&frame.tz).expect("frames name IANA zones");
    let zoned = jiff::Timestamp::from_millisecond(unix_ms)
        .expect("in range")
        .to_zoned_datetime(zone);
    let expected = (
        u32::try_from(zoned.hour()).expect("hour"),
        u32::try_from(zoned.minute()).expect("minute"),
        u32::try_from(zoned.second()).expect("second"),
        u32::try_from(zoned.millisecond()).expect("millisecond"),
    );
    let got = (
        frame.hours.expect("hours"),
        frame.minutes.expect("minutes"),
        frame.seconds.expect("seconds"),
        frame.milliseconds.expect("milliseconds"),
    );
    assert_eq!(got, expected, "frame {frame:?} is torn");
    let text = format!(
        "{:02}:{:02}:{:02}.{:03}",
        expected.0, expected.1, expected.2, expected.3
    );
    assert_eq!(
        frame.time, text,
        "frame {frame:?} text disagrees with its fields"
    );
}

/// An HTTP response as [`http_request`] reads it.
#[derive(Debug)]
pub struct HttpResponse {
    pub status: u16,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// A plain HTTP/1.1 GET with `extra` header lines (no client library needed).
pub async fn http_request(addr: SocketAddr, path: &str, extra: &[&str]) -> HttpResponse {
    http_send(addr, "GET", path, extra, None).await
}

/// A plain HTTP/1.1 request: `method` on `path` with `extra` header lines
/// and, if given, a JSON body.
pub async fn http_send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    extra: &[&str],
    json: Option<&str>,
) -> HttpResponse {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = TcpStream::connect(addr).await.expect("connects");
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for line in extra {
        request.push_str(line);
        request.push_str("\r\n");
    }
    if let Some(json) = json {
        request.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            json.len()
        ));
    }
    request.push_str("\r\n");
    request.push_str(json.unwrap_or_default());
    stream.write_all(request.as_bytes()).await.expect("writes");
    let mut response = String::new();
    timeout(PATIENCE, stream.read_to_string(&mut response))
        .await
        .expect("answers in time")
        .expect("reads");
    let (head, body) = response.split_once("\r\n\r\n").expect("an HTTP response");
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {head}"));
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(key, value)| (key.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    HttpResponse {
        status,
        headers,
        body: body.to_owned(),
    }
}

/// A plain HTTP GET that must answer 200, returning the body.
pub async fn http_get(addr: SocketAddr, path: &str) -> String {
    let response = http_request(addr, path, &[]).await;
    assert_eq!(response.status, 200, "{response:?}");
    response.body
}

#[path = "../common/fleet.rs"]
mod fleet;
#[path = "../common/serving.rs"]
mod serving;
/// Runs `command` (the `clocker` binary with its arguments and
/// environment) with `stdin` as its input, and waits for all it printed.
pub fn run_with_stdin(command: &mut std::process::Command, stdin: &str) -> std::process::Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(stdin.as_bytes())
        .expect("stdin written");
    child.wait_with_output().expect("finished")
}

pub use fleet::TestFleet;
pub use serving::{Served, spawn_serving};
