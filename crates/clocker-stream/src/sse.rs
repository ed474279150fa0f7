//! The router's SSE responses (`/stream/timers`, and `/stream` or
//! `/stream/time` when they are not a connection's first request): a body
//! made of ready-made event bytes (written by [`clocker_fanout::sse`]), a
//! `retry:` hint first, a keep-alive comment while idle, each client
//! counted in the service's [`Counters`] as the shards count theirs.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use clocker_fanout::sse::{HEADERS, KEEP_ALIVE, RETRY};
use clocker_fanout::subscribers::Counters;
use clocker_runtime::CancellationToken;
use futures_util::{Stream, StreamExt, stream};
use tokio_stream::wrappers::IntervalStream;

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
    let client = counters.count_client();
    let events = events
        .map(move |bytes| {
            let _counted = &client;
            counters.add_delivered(1);
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
