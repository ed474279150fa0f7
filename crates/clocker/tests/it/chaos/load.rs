//! The chaos run's load that is not timers: WebSocket clients on the funnel
//! (each measuring its gaps in complete frames), SSE clients on the stream,
//! logins through the accounts service; and the counters they all share.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use clocker_proto::v1::LoginRequest;
use clocker_proto::v1::accounts_client::AccountsClient;
use futures_util::StreamExt;
use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;

/// How long any one connect or call of a load client may take.
pub(super) const CALL_DEADLINE: Duration = Duration::from_secs(5);

/// Milliseconds since the run began, on the monotonic clock.
#[derive(Debug, Clone, Copy)]
pub(super) struct RunClock(pub(super) tokio::time::Instant);

impl RunClock {
    pub(super) fn now_ms(self) -> u64 {
        u64::try_from(self.0.elapsed().as_millis()).unwrap_or(u64::MAX)
    }
}

/// Everything the clients count, read by the report.
#[derive(Debug, Default)]
pub(super) struct Counters {
    /// ECONNREFUSED on a connect, by client kind.
    pub(super) refused_websocket: AtomicU64,
    pub(super) refused_sse: AtomicU64,
    pub(super) refused_zmq: AtomicU64,
    pub(super) refused_grpc: AtomicU64,
    pub(super) refused_login: AtomicU64,
    /// WebSocket connections that ended while the client still wanted them.
    pub(super) websocket_dropped: AtomicU64,
    /// WebSocket connects that failed (other than refused).
    pub(super) websocket_connect_failed: AtomicU64,
    pub(super) websocket_frames: AtomicU64,
    pub(super) sse_bytes: AtomicU64,
    /// SSE connections ended by the server (expected when the stream dies).
    pub(super) sse_ended: AtomicU64,
    pub(super) logins_ok: AtomicU64,
    pub(super) logins_failed: AtomicU64,
}

impl Counters {
    pub(super) fn refused_total(&self) -> u64 {
        [
            &self.refused_websocket,
            &self.refused_sse,
            &self.refused_zmq,
            &self.refused_grpc,
            &self.refused_login,
        ]
        .iter()
        .map(|count| count.load(Ordering::Relaxed))
        .sum()
    }
}

/// Whether `err` or one of its causes is a refused connect.
pub(super) fn is_refused(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(err);
    while let Some(err) = cause {
        if let Some(io) = err.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::ConnectionRefused
        {
            return true;
        }
        // Some layers keep only the text of the io::Error.
        let text = err.to_string();
        if text.contains("Connection refused") || text.contains("os error 111") {
            return true;
        }
        cause = err.source();
    }
    false
}

/// Resolves once the run says stop.
pub(super) async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

/// What one WebSocket client saw, shared with the driver.
#[derive(Debug, Default)]
pub(super) struct FrameWatch {
    /// Run time (ms) of the last complete frame (0: none yet).
    pub(super) last_complete: AtomicU64,
    /// The driver's mark: the run time its component was back.
    pub(super) mark: AtomicU64,
    /// Run time of the first complete frame after `mark` (0: none yet).
    pub(super) resumed: AtomicU64,
    /// The largest gap between complete frames since the driver last took it.
    pub(super) largest_gap: AtomicU64,
}

impl FrameWatch {
    /// Starts a new measurement: frames must resume after `back_ms`.
    pub(super) fn mark_back(&self, back_ms: u64) {
        self.mark.store(back_ms, Ordering::SeqCst);
        self.resumed.store(0, Ordering::SeqCst);
    }

    fn complete_frame(&self, at: u64) {
        let last = self.last_complete.swap(at, Ordering::SeqCst);
        if last > 0 {
            self.largest_gap
                .fetch_max(at.saturating_sub(last), Ordering::SeqCst);
        }
        if at > self.mark.load(Ordering::SeqCst) {
            let _ = self
                .resumed
                .compare_exchange(0, at, Ordering::SeqCst, Ordering::SeqCst);
        }
    }
}

/// The part of a clock frame the chaos run looks at.
#[derive(Debug, Deserialize)]
struct FrameHead {
    unix_ms: Option<i64>,
    #[serde(default)]
    degraded: Vec<String>,
}

/// One browser on the funnel's WebSocket until `stop`: a connection that
/// ends before is counted as dropped, and the client connects again.
pub(super) async fn websocket_client(
    funnel: SocketAddr,
    watch: Arc<FrameWatch>,
    counters: Arc<Counters>,
    clock: RunClock,
    stop: watch::Receiver<bool>,
) {
    let url = format!("ws://{funnel}/ws?tz=UTC");
    while !*stop.borrow() {
        let connecting = timeout(CALL_DEADLINE, tokio_tungstenite::connect_async(&url));
        let mut socket = match connecting.await {
            Ok(Ok((socket, _))) => socket,
            Ok(Err(err)) => {
                if is_refused(&err) {
                    counters.refused_websocket.fetch_add(1, Ordering::Relaxed);
                } else {
                    counters
                        .websocket_connect_failed
                        .fetch_add(1, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
            Err(_) => {
                counters
                    .websocket_connect_failed
                    .fetch_add(1, Ordering::Relaxed);
                continue;
            }
        };
        loop {
            let message = tokio::select! {
                () = stopped(stop.clone()) => {
                    let _ = timeout(CALL_DEADLINE, socket.close(None)).await;
                    return;
                }
                message = socket.next() => message,
            };
            match message {
                Some(Ok(Message::Text(text))) => {
                    counters.websocket_frames.fetch_add(1, Ordering::Relaxed);
                    if let Ok(frame) = serde_json::from_str::<FrameHead>(&text)
                        && frame.unix_ms.is_some()
                        && frame.degraded.is_empty()
                    {
                        watch.complete_frame(clock.now_ms());
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => {
                    counters.websocket_dropped.fetch_add(1, Ordering::Relaxed);
                    break;
                }
            }
        }
    }
}

/// One SSE client on the stream's clock frames until `stop`, reconnecting
/// when the stream ends it (as when the stream service is killed).
pub(super) async fn sse_client(
    stream: SocketAddr,
    counters: Arc<Counters>,
    stop: watch::Receiver<bool>,
) {
    let request = format!(
        "GET /stream/time?tz=UTC HTTP/1.1\r\nHost: {stream}\r\nAccept: text/event-stream\r\n\r\n"
    );
    let mut buffer = vec![0_u8; 16 * 1024];
    while !*stop.borrow() {
        let mut connection = match timeout(CALL_DEADLINE, TcpStream::connect(stream)).await {
            Ok(Ok(connection)) => connection,
            Ok(Err(err)) => {
                if err.kind() == std::io::ErrorKind::ConnectionRefused {
                    counters.refused_sse.fetch_add(1, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
            Err(_) => continue,
        };
        if connection.write_all(request.as_bytes()).await.is_err() {
            counters.sse_ended.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        loop {
            let read = tokio::select! {
                () = stopped(stop.clone()) => return,
                read = timeout(CALL_DEADLINE, connection.read(&mut buffer)) => read,
            };
            match read {
                Ok(Ok(n)) if n > 0 => {
                    counters
                        .sse_bytes
                        .fetch_add(u64::try_from(n).unwrap_or(0), Ordering::Relaxed);
                }
                // Ended, failed, or silent for longer than any frame period.
                _ => {
                    counters.sse_ended.fetch_add(1, Ordering::Relaxed);
                    break;
                }
            }
        }
    }
}

/// Logs in every `every` until `stop`, counting what it got.
pub(super) async fn login_loop(
    accounts: SocketAddr,
    credentials: (String, String),
    every: Duration,
    counters: Arc<Counters>,
    stop: watch::Receiver<bool>,
) {
    let channel = super::timers::lazy_channel(accounts);
    let mut client = AccountsClient::new(channel);
    while !*stop.borrow() {
        let request = LoginRequest {
            username: credentials.0.clone(),
            password: credentials.1.clone(),
        };
        match timeout(CALL_DEADLINE, client.login(request)).await {
            Ok(Ok(_)) => {
                counters.logins_ok.fetch_add(1, Ordering::Relaxed);
            }
            Ok(Err(status)) => {
                if is_refused(&status) {
                    counters.refused_login.fetch_add(1, Ordering::Relaxed);
                }
                counters.logins_failed.fetch_add(1, Ordering::Relaxed);
            }
            Err(_) => {
                counters.logins_failed.fetch_add(1, Ordering::Relaxed);
            }
        }
        tokio::select! {
            () = stopped(stop.clone()) => return,
            () = tokio::time::sleep(every) => {}
        }
    }
}
