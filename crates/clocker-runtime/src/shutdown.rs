//! The one shutdown signal: SIGINT (Ctrl-C) or SIGTERM.

use std::future::Future;

use tokio::signal::unix::{SignalKind, signal};

/// Listens for SIGINT and SIGTERM from the moment it is called (so a signal
/// that arrives before the future is first polled is not lost, nor does it
/// kill the process with the default action); the future resolves on the
/// first of them, and logs which one came.
///
/// Call it before announcing readiness. Must be called inside a runtime.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    let signal = stop_signal();
    async move {
        let name = signal.await;
        tracing::info!("{name} received, shutting down");
    }
}

/// [`shutdown_signal`] without the log line, resolving with the signal's
/// name: for a process's second listener (the one that exits at once on a
/// second Ctrl-C), so that a signal is logged once.
pub fn stop_signal() -> impl Future<Output = &'static str> + Send + 'static {
    let interrupt = signal(SignalKind::interrupt());
    let terminate = signal(SignalKind::terminate());
    async move {
        let wait = |installed: std::io::Result<tokio::signal::unix::Signal>, name: &'static str| async move {
            match installed {
                Ok(mut signal) => {
                    signal.recv().await;
                    name
                }
                Err(err) => {
                    tracing::error!(%err, "cannot listen for {name}");
                    std::future::pending().await
                }
            }
        };
        tokio::select! {
            name = wait(interrupt, "SIGINT") => name,
            name = wait(terminate, "SIGTERM") => name,
        }
    }
}
