//! Work that must finish within a deadline unless stopped first: a write
//! to a client that may have stopped reading (the funnel's WebSocket sends,
//! the stream's direct `GET /stream`).

use std::future::Future;
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// `work`'s output, or `None` when it is still pending after `limit` or
/// `stop` fires first. Work that completes at once (a write into a socket
/// with room, the usual case) arms no timer.
pub async fn within<F: Future>(
    limit: Duration,
    stop: &CancellationToken,
    work: F,
) -> Option<F::Output> {
    let mut work = pin!(work);
    if let Poll::Ready(done) = std::future::poll_fn(|cx| Poll::Ready(work.as_mut().poll(cx))).await
    {
        return Some(done);
    }
    tokio::select! {
        done = tokio::time::timeout(limit, work) => done.ok(),
        () = stop.cancelled() => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn ready_work_is_done_stuck_work_times_out_and_stop_wins() {
        let stop = CancellationToken::new();
        assert_eq!(
            within(Duration::from_secs(1), &stop, async { 7 }).await,
            Some(7)
        );
        let stuck = std::future::pending::<()>();
        assert_eq!(within(Duration::from_secs(1), &stop, stuck).await, None);
        stop.cancel();
        let slow = tokio::time::sleep(Duration::from_millis(1));
        assert_eq!(within(Duration::from_secs(1), &stop, slow).await, None);
    }
}
