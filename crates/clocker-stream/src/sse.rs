//! The stream's SSE responses: a body made of ready-made event bytes
//! (shared between clients, never re-serialized per client; written by
//! [`clocker_fanout::sse`]), a `retry:` hint first, a keep-alive comment
//! while idle, and the counts seed 004's `/metrics` reports.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use clocker_fanout::sse::{HEADERS, KEEP_ALIVE, RETRY};
use clocker_runtime::CancellationToken;
use futures_util::{Stream, StreamExt, stream};
use tokio_stream::wrappers::IntervalStream;

/// What `/metrics` reports: open streams, events sent, time up.
#[derive(Debug)]
pub struct Counters {
    clients: AtomicUsize,
    messages_sent: AtomicU64,
    started: Instant,
}

impl Default for Counters {
    fn default() -> Self {
        Self {
            clients: AtomicUsize::new(0),
            messages_sent: AtomicU64::new(0),
            started: Instant::now(),
        }
    }
}

impl Counters {
    /// Streams open now.
    pub fn clients(&self) -> usize {
        self.clients.load(Ordering::Relaxed)
    }

    /// Events handed to clients' connections since start.
    pub fn messages_sent(&self) -> u64 {
        self.messages_sent.load(Ordering::Relaxed)
    }

    /// Whole seconds since the service started.
    pub fn uptime_seconds(&self) -> u64 {
        self.started.elapsed().as_secs()
    }
}

/// Counts one open stream until dropped (when the client goes away).
struct OpenClient(Arc<Counters>);

impl OpenClient {
    fn new(counters: Arc<Counters>) -> Self {
        counters.clients.fetch_add(1, Ordering::Relaxed);
        metrics::gauge!("clocker_stream_clients").increment(1.0);
        Self(counters)
    }
}

impl Drop for OpenClient {
    fn drop(&mut self) {
        self.0.clients.fetch_sub(1, Ordering::Relaxed);
        metrics::gauge!("clocker_stream_clients").decrement(1.0);
    }
}

/// An SSE response carrying `events` (each a complete event) until they
/// end or `shutdown` fires, with a keep-alive comment every `keep_alive`.
pub fn response(
    events: impl Stream<Item = Bytes> + Send + 'static,
    counters: Arc<Counters>,
    keep_alive: Duration,
    shutdown: CancellationToken,
) -> Response {
    let body = body(events, counters, keep_alive, shutdown).map(Ok::<_, Infallible>);
    let mut response = Body::from_stream(body).into_response();
    for (name, value) in HEADERS {
        response.headers_mut().insert(
            header::HeaderName::from_static(name),
            header::HeaderValue::from_static(value),
        );
    }
    response
}

/// An SSE body: the `retry:` hint, then `events` (each a complete event)
/// with a keep-alive comment every `keep_alive` while idle, until they end
/// or `shutdown` fires; counted as one open client while it lasts.
pub fn body(
    events: impl Stream<Item = Bytes> + Send + 'static,
    counters: Arc<Counters>,
    keep_alive: Duration,
    shutdown: CancellationToken,
) -> impl Stream<Item = Bytes> + Send + 'static {
    let client = OpenClient::new(counters);
    let events = events
        .map(move |bytes| {
            client.0.messages_sent.fetch_add(1, Ordering::Relaxed);
            Some(bytes)
        })
        // The end of the events ends the response, pings or not.
        .chain(stream::once(async { None }));
    let first_ping = tokio::time::Instant::now() + keep_alive;
    let pings = IntervalStream::new(tokio::time::interval_at(first_ping, keep_alive))
        .map(|_| Some(Bytes::from_static(KEEP_ALIVE)));
    stream::once(async { Some(Bytes::from_static(RETRY)) })
        .chain(stream::select(events, pings))
        .take_while(|item| std::future::ready(item.is_some()))
        .filter_map(std::future::ready)
        .take_until(shutdown.cancelled_owned())
}
