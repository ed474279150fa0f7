//! The WebSocket clients of P4: connecting them, and what each one measures.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;
use clocker_runtime::CancellationToken;
use futures_util::StreamExt;
use futures_util::stream;
use serde::Deserialize;
use tokio::net::TcpStream;
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

use crate::stats::Samples;

/// What one client saw while the measurement ran.
#[derive(Debug, Default)]
pub struct Received {
    /// Receive wall-clock time − the frame's `unix_ms`, per frame.
    pub lags: Samples,
    /// Frames received (degraded ones included).
    pub frames: u64,
    /// Frames without an instant (`unix_ms: null`) or not understood.
    pub degraded: u64,
    /// Whether the socket ended before the measurement did.
    pub stopped_early: bool,
    /// The first thing that went wrong (a bad frame, or why it stopped).
    pub error: Option<String>,
}

/// The only frame field P4 reads.
#[derive(Debug, Deserialize)]
struct Wire {
    unix_ms: Option<i64>,
}

/// What every client shares: whether to record, and when to stop.
#[derive(Debug, Clone)]
pub struct Control {
    pub measuring: Arc<AtomicBool>,
    pub stop: CancellationToken,
    /// Frames each client expects to record (capacity of its samples).
    pub expected_frames: usize,
}

/// Connects `clients` WebSockets to `url`, `concurrency` handshakes at a
/// time, each then served by its own task. Dropping the set ends them all.
pub async fn connect_all(
    url: &str,
    clients: usize,
    concurrency: usize,
    control: &Control,
) -> anyhow::Result<JoinSet<Received>> {
    let mut handshakes = stream::iter(0..clients)
        .map(|_| connect_async(url))
        .buffer_unordered(concurrency.max(1));
    let mut tasks = JoinSet::new();
    let step = (clients / 5).max(1);
    while let Some(handshake) = handshakes.next().await {
        let (socket, _) = handshake.with_context(|| {
            format!("client {} of {clients} could not connect", tasks.len() + 1)
        })?;
        tasks.spawn(listen(socket, control.clone()));
        if tasks.len() % step == 0 || tasks.len() == clients {
            eprintln!("p4:   {} / {clients} clients connected", tasks.len());
        }
    }
    Ok(tasks)
}

async fn listen(
    mut socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    control: Control,
) -> Received {
    let mut received = Received {
        lags: Samples::with_capacity(control.expected_frames),
        ..Received::default()
    };
    let stopped = control.stop.cancelled();
    tokio::pin!(stopped);
    loop {
        let message = tokio::select! {
            () = &mut stopped => break,
            message = socket.next() => message,
        };
        match message {
            Some(Ok(Message::Text(text))) => {
                if !control.measuring.load(Ordering::Relaxed) {
                    continue;
                }
                let now = unix_nanos_now();
                match serde_json::from_str::<Wire>(text.as_str()) {
                    Ok(Wire {
                        unix_ms: Some(unix_ms),
                    }) => {
                        received.frames += 1;
                        let lag = now.saturating_sub(i128::from(unix_ms) * 1_000_000);
                        received
                            .lags
                            .record_nanos(u64::try_from(lag.max(0)).unwrap_or(u64::MAX));
                    }
                    Ok(Wire { unix_ms: None }) => {
                        received.frames += 1;
                        received.degraded += 1;
                    }
                    Err(err) => {
                        received.degraded += 1;
                        received
                            .error
                            .get_or_insert_with(|| format!("not a frame: {err}: {text}"));
                    }
                }
            }
            Some(Ok(_)) => {}
            Some(Err(err)) => {
                received.stopped_early = true;
                received.error = Some(err.to_string());
                break;
            }
            None => {
                received.stopped_early = true;
                received.error = Some("the funnel closed the socket".into());
                break;
            }
        }
    }
    received
}

fn unix_nanos_now() -> i128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            i128::try_from(since.as_nanos()).unwrap_or(i128::MAX)
        })
}
