//! Each service on its own thread with a current-thread tokio runtime: single
//! threaded inside (no locks needed), parallel with the other services.

use std::future::Future;
use std::io;
use std::net::SocketAddr;

use tokio::sync::oneshot;
use tokio_util::sync::{CancellationToken, DropGuard};

use crate::{LaunchError, Launched};

/// A service running on its own thread; dropping it stops the service
/// (without waiting for the thread).
#[derive(Debug)]
pub struct ServiceThread {
    pub service: &'static str,
    pub addr: SocketAddr,
    /// Its other endpoints ([`Launched::other_endpoints`]).
    pub other_endpoints: Vec<String>,
    shutdown: CancellationToken,
    _stop_on_drop: DropGuard,
    done: oneshot::Receiver<()>,
}

impl ServiceThread {
    /// Starts `launch` on a new thread and resolves once it is serving.
    ///
    /// `launch` gets the service's shutdown token and runs inside the new
    /// thread's runtime, so the clients it locates live there too.
    pub async fn start<F, Fut>(service: &'static str, launch: F) -> Result<Self, LaunchError>
    where
        F: FnOnce(CancellationToken) -> Fut + Send + 'static,
        Fut: Future<Output = Result<Launched, LaunchError>>,
    {
        let shutdown = CancellationToken::new();
        let token = shutdown.clone();
        let (ready_tx, ready_rx) = oneshot::channel();
        let done = spawn_single_threaded(service, move || async move {
            match launch(token).await {
                Ok(launched) => {
                    let _ = ready_tx.send(Ok((launched.addr, launched.other_endpoints.clone())));
                    if let Err(err) = launched.stopped().await {
                        tracing::error!(%service, %err, "service failed");
                    }
                }
                Err(err) => {
                    let _ = ready_tx.send(Err(err));
                }
            }
        })
        .map_err(LaunchError::setup(service, "cannot start a thread"))?;
        let (addr, other_endpoints) = ready_rx.await.map_err(|_| {
            LaunchError::refused(service, "the service thread ended before it was ready")
        })??;
        Ok(Self {
            service,
            addr,
            other_endpoints,
            _stop_on_drop: shutdown.clone().drop_guard(),
            shutdown,
            done,
        })
    }

    /// A token that stops this service when cancelled.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Stops the service and waits until its thread has finished.
    pub async fn stop(self) {
        self.shutdown.cancel();
        let _ = self.done.await;
    }

    /// Waits until the service stops by itself or is stopped.
    pub async fn stopped(&mut self) {
        let _ = (&mut self.done).await;
    }
}

/// Runs the future `make` returns to completion on a new thread named
/// `name`, with a current-thread runtime of its own. The receiver resolves
/// once that runtime, and every task left on it, is gone (or the thread
/// could not build its runtime, which is logged).
pub fn spawn_single_threaded<F, Fut>(name: &str, make: F) -> io::Result<oneshot::Receiver<()>>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = ()>,
{
    let (done_tx, done) = oneshot::channel();
    let thread_name = name.to_owned();
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || {
            match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                // Dropping the runtime when block_on returns ends every task left.
                Ok(runtime) => runtime.block_on(make()),
                Err(err) => tracing::error!(thread = thread_name, %err, "cannot start a runtime"),
            }
            let _ = done_tx.send(());
        })?;
    Ok(done)
}
