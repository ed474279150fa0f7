//! Whether a connection is idle: the requests in flight on it (each one
//! until its response body is sent), and since when it has had none.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use http_body::{Frame, SizeHint};
use tokio::sync::watch;
use tokio::time::Instant;

/// Requests in flight on one connection, and since when it has had none.
#[derive(Debug, Clone)]
pub(super) struct Activity(Arc<watch::Sender<Load>>);

#[derive(Debug, Clone, Copy)]
struct Load {
    in_flight: usize,
    requests: u64,
    idle_since: Instant,
}

impl Activity {
    pub(super) fn new() -> Self {
        Self(Arc::new(watch::Sender::new(Load {
            in_flight: 0,
            requests: 0,
            idle_since: Instant::now(),
        })))
    }

    /// One request starts; it ends when the returned guard (kept by the
    /// response body) is dropped.
    pub(super) fn begin(&self) -> Busy {
        self.0.send_modify(|load| {
            load.in_flight += 1;
            load.requests += 1;
        });
        Busy(self.0.clone())
    }

    /// Resolves once the connection has had no request in flight for
    /// `first` (before its first request) or `between` (after one).
    pub(super) async fn idle_longer_than(&self, first: Duration, between: Duration) {
        let mut changes = self.0.subscribe();
        loop {
            let load = *changes.borrow_and_update();
            if load.in_flight > 0 {
                // The sender lives as long as `self`: this never errs.
                let _ = changes.changed().await;
                continue;
            }
            let allowed = if load.requests == 0 { first } else { between };
            tokio::select! {
                () = tokio::time::sleep_until(load.idle_since + allowed) => return,
                _ = changes.changed() => {}
            }
        }
    }
}

/// A request in flight; dropped with its response body.
#[derive(Debug)]
pub(super) struct Busy(Arc<watch::Sender<Load>>);

impl Busy {
    /// `body`, keeping this request in flight until it is sent (or dropped).
    pub(super) fn until_sent(self, body: Body) -> Body {
        Body::new(Tracked { body, _busy: self })
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.send_modify(|load| {
            load.in_flight = load.in_flight.saturating_sub(1);
            if load.in_flight == 0 {
                load.idle_since = Instant::now();
            }
        });
    }
}

/// A response body that keeps its request counted as in flight.
struct Tracked {
    body: Body,
    _busy: Busy,
}

impl HttpBody for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
