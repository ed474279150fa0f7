//! A service on every core: N shards, each a thread with a current-thread
//! runtime of its own that accepts on its own listener of the service's port
//! and serves what it accepts. A shard is single-threaded inside, as a
//! service is; the kernel spreads new connections over the shards'
//! `SO_REUSEPORT` listeners (issue 17).
//!
//! How a service shards its port:
//! 1. [`shard_listeners`] turns the port's listener into one listener per
//!    shard (sockets of one `SO_REUSEPORT` group; clones of the one socket
//!    when the address cannot be shared).
//! 2. [`launch_shards`] builds and launches each shard on its own thread
//!    (shard 0 on the caller's runtime) with a [`Shard`]: its listener, the
//!    port's one [`Gate`] (a client's connection caps hold across shards)
//!    and the one shutdown token. What a shard builds there (its gRPC
//!    clients, its router) lives on its runtime: no request hops threads.
//!
//! The launch resolves once every shard serves, or fails with the first
//! shard that could not start (the others are stopped). It stops when
//! shutdown fires and every shard has drained; a shard that stops by
//! itself stops the others (the shards are one service, with one shutdown
//! token: it is cancelled).

use std::future::Future;
use std::io;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

mod heartbeats;

use heartbeats::Heartbeats;
pub use heartbeats::{SILENT_LIMIT, stuck_shard};

use crate::gate::Gate;
use crate::launch::{LaunchError, Launched};
use crate::socket::{listen_beside, local_addr};
use crate::thread::spawn_single_threaded;

/// The most shards a service runs (more threads than this help no machine
/// Clocker runs on, and each holds its own upstream connections).
pub const MAX_SHARDS: usize = 256;

/// The default shard count: the cores this process may use (its CPU
/// affinity and cgroup quota count), 1 when that cannot be told.
pub fn default_shards() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

/// `shards` listeners on `listener`'s address: `listener` itself and
/// `shards - 1` more bound with `SO_REUSEPORT` (the kernel spreads new
/// connections over them). When the address cannot be shared (an inherited
/// listener bound without `SO_REUSEPORT`), falls back to clones of the one
/// socket (each shard then accepts from the same queue), and logs it.
pub fn shard_listeners(
    service: &'static str,
    listener: TcpListener,
    shards: usize,
) -> Result<Vec<std::net::TcpListener>, LaunchError> {
    let addr = local_addr(service, &listener)?;
    let first = listener
        .into_std()
        .map_err(LaunchError::setup(service, "cannot take the listener over"))?;
    let mut listeners = Vec::with_capacity(shards.max(1));
    let more = shards.saturating_sub(1);
    let shared: io::Result<Vec<_>> = (0..more).map(|_| listen_beside(&first)).collect();
    match shared {
        Ok(shared) => listeners.extend(shared),
        Err(err) => {
            tracing::warn!(
                service,
                %addr,
                %err,
                shards,
                "cannot open the port once more per shard (SO_REUSEPORT); every shard accepts from the one socket"
            );
            for _ in 0..more {
                let clone = first.try_clone().map_err(|source| LaunchError::Bind {
                    service,
                    addr,
                    source,
                })?;
                listeners.push(clone);
            }
        }
    }
    listeners.insert(0, first);
    Ok(listeners)
}

/// One shard of a service, as [`launch_shards`] hands it to the code that
/// builds and launches it, on the shard's own thread.
#[derive(Debug)]
pub struct Shard {
    pub service: &'static str,
    /// Which shard this is, from 0 (on the caller's runtime) to `count - 1`.
    pub index: usize,
    pub count: usize,
    /// This shard's listener, registered on its runtime.
    pub listener: TcpListener,
    /// The port's gate, one for every shard: a client's caps hold across
    /// them.
    pub gate: Gate,
    /// The service's one shutdown token: fires when the service is asked
    /// to stop, or when a shard stopped by itself or failed to start.
    pub shutdown: CancellationToken,
}

/// Runs `serve(shard)` for each of `listeners`: shard 0 on the calling
/// runtime, the others each on a thread of its own with a current-thread
/// runtime ([`spawn_single_threaded`]), every shard admitting connections
/// through `gate`, all stopping on `shutdown`. Returns one [`Launched`]
/// that stops when `shutdown` fires and every shard has drained.
///
/// The shards are one service: a shard that fails to start fails the
/// launch, and one that stops by itself stops the service with its error;
/// either way `shutdown` is cancelled, so the other shards, and whatever
/// else the service runs on that token (its readiness checks), stop and
/// drain with them.
pub async fn launch_shards<F, Fut>(
    service: &'static str,
    listeners: Vec<std::net::TcpListener>,
    gate: Gate,
    shutdown: CancellationToken,
    serve: F,
) -> Result<Launched, LaunchError>
where
    F: Fn(Shard) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Launched, LaunchError>>,
{
    let count = listeners.len();
    let mut listeners = listeners.into_iter();
    let Some(first) = listeners.next() else {
        return Err(LaunchError::refused(service, "no listener to serve"));
    };
    let listener = TcpListener::from_std(first)
        .map_err(LaunchError::setup(service, "cannot serve the listener"))?;
    if count == 1 {
        return serve(Shard {
            service,
            index: 0,
            count,
            listener,
            gate,
            shutdown,
        })
        .await;
    }
    let serve = Arc::new(serve);
    let heartbeats = Heartbeats::new(count);
    let mut threads = Vec::with_capacity(count - 1);
    for (index, listener) in (1..).zip(listeners) {
        let shard = ThreadShard {
            service,
            index,
            count,
            listener,
            gate: gate.clone(),
            shutdown: shutdown.clone(),
            heartbeats: heartbeats.clone(),
        };
        match shard.start(serve.clone()) {
            Ok(thread) => threads.push(thread),
            Err(err) => {
                shutdown.cancel();
                stop_all(threads.into_iter().map(|thread| thread.running)).await;
                return Err(err);
            }
        }
    }
    heartbeats.start(0, shutdown.clone());
    let first = serve(Shard {
        service,
        index: 0,
        count,
        listener,
        gate,
        shutdown: shutdown.clone(),
    })
    .await;
    let mut started = Vec::with_capacity(threads.len());
    let mut failed = None;
    for thread in threads {
        match thread.ready().await {
            Ok(running) => started.push(running),
            Err(err) => failed = failed.or(Some(err)),
        }
    }
    let first = match (first, failed) {
        (Ok(first), None) => first,
        (first, failed) => {
            shutdown.cancel();
            let first_failed = match first {
                Ok(launched) => {
                    let _ = launched.stopped().await;
                    None
                }
                Err(err) => Some(start_failed(service, 0, count, Some(err))),
            };
            stop_all(started).await;
            // The lowest shard that failed says why.
            return Err(first_failed.or(failed).expect("a shard failed"));
        }
    };
    let addr = first.addr;
    let other_endpoints = first.other_endpoints.clone();
    let task = tokio::spawn(watch_shards(service, count, first, started, shutdown));
    tracing::debug!(%service, %addr, shards = count, "serving on every shard");
    Ok(Launched::new(service, addr, other_endpoints, task))
}

/// A shard to start on a thread of its own.
struct ThreadShard {
    service: &'static str,
    index: usize,
    count: usize,
    listener: std::net::TcpListener,
    gate: Gate,
    shutdown: CancellationToken,
    heartbeats: Arc<Heartbeats>,
}

/// A shard's thread, starting.
struct Starting {
    index: usize,
    count: usize,
    service: &'static str,
    ready: oneshot::Receiver<Result<(), LaunchError>>,
    running: Running,
}

/// A shard's thread, once it serves: resolves with how its service stopped,
/// once the thread's runtime is gone.
struct Running {
    index: usize,
    stopped: oneshot::Receiver<io::Result<()>>,
    done: oneshot::Receiver<()>,
}

impl ThreadShard {
    fn start<F, Fut>(self, serve: Arc<F>) -> Result<Starting, LaunchError>
    where
        F: Fn(Shard) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Launched, LaunchError>>,
    {
        let ThreadShard {
            service,
            index,
            count,
            listener,
            gate,
            shutdown,
            heartbeats,
        } = self;
        let (ready_tx, ready) = oneshot::channel();
        let (stopped_tx, stopped) = oneshot::channel();
        let name = format!("{service}-{index}");
        let done = spawn_single_threaded(&name, move || async move {
            heartbeats.start(index, shutdown.clone());
            let launched = match TcpListener::from_std(listener) {
                Ok(listener) => {
                    serve(Shard {
                        service,
                        index,
                        count,
                        listener,
                        gate,
                        shutdown,
                    })
                    .await
                }
                Err(err) => Err(LaunchError::setup(service, "cannot serve the listener")(
                    err,
                )),
            };
            match launched {
                Ok(launched) => {
                    let _ = ready_tx.send(Ok(()));
                    let _ = stopped_tx.send(launched.stopped().await);
                }
                Err(err) => {
                    let _ = ready_tx.send(Err(err));
                }
            }
        })
        .map_err(LaunchError::setup(service, "cannot start a shard's thread"))?;
        Ok(Starting {
            index,
            count,
            service,
            ready,
            running: Running {
                index,
                stopped,
                done,
            },
        })
    }
}

impl Starting {
    /// Waits until the shard serves, or says why it could not.
    async fn ready(self) -> Result<Running, LaunchError> {
        let Starting {
            index,
            count,
            service,
            ready,
            running,
        } = self;
        let cause = match ready.await {
            Ok(Ok(())) => return Ok(running),
            Ok(Err(err)) => Some(err),
            // Its thread ended without a word (it could not build a runtime).
            Err(_) => None,
        };
        // Nothing of the shard is left once its thread is done.
        let _ = running.done.await;
        Err(start_failed(service, index, count, cause))
    }
}

impl Running {
    /// How the shard's service stopped, once its thread is done.
    async fn stopped(self) -> (usize, io::Result<()>) {
        let result = self.stopped.await.unwrap_or_else(|_| {
            Err(io::Error::other(
                "the shard's thread ended without stopping",
            ))
        });
        let _ = self.done.await;
        (self.index, result)
    }
}

/// Waits until every shard thread started so far has stopped (after their
/// shutdown token fired): a launch that failed leaves nothing running.
async fn stop_all(threads: impl IntoIterator<Item = Running>) {
    for thread in threads {
        let _ = thread.stopped().await;
    }
}

/// Why shard `index` of `count` could not start, and the cause if it said.
fn start_failed(
    service: &'static str,
    index: usize,
    count: usize,
    cause: Option<LaunchError>,
) -> LaunchError {
    LaunchError::Setup {
        service,
        what: format!("shard {index} of {count} could not start"),
        source: cause.map(Into::into),
    }
}

/// Waits for every shard to stop; the first to stop before `shutdown`
/// fired stops the others, and its error (or the fact) is the service's.
async fn watch_shards(
    service: &'static str,
    count: usize,
    first: Launched,
    threads: Vec<Running>,
    shutdown: CancellationToken,
) -> io::Result<()> {
    let mut shards = JoinSet::new();
    shards.spawn(async move { (0, first.stopped().await) });
    for thread in threads {
        shards.spawn(thread.stopped());
    }
    let mut outcome = Ok(());
    while let Some(joined) = shards.join_next().await {
        let (index, result) =
            joined.unwrap_or_else(|join| (usize::MAX, Err(io::Error::other(join))));
        let unexpected = !shutdown.is_cancelled();
        if unexpected {
            tracing::error!(%service, shard = index, shards = count, ?result, "a shard stopped by itself; stopping the others");
            shutdown.cancel();
        }
        let result = match result {
            Ok(()) if unexpected => Err(io::Error::other(format!(
                "shard {index} of {count} stopped by itself"
            ))),
            other => other,
        };
        if outcome.is_ok() {
            outcome = result;
        }
    }
    outcome
}

#[cfg(test)]
mod tests;
