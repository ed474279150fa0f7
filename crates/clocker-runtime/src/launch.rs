//! A launched service: why one could not start ([`LaunchError`]), and the
//! task that serves its port and drains it on shutdown ([`Launched`]).

use std::io;
use std::net::SocketAddr;

use axum::Router;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::RuntimeConfig;
use crate::serving::serve_router;
use crate::telemetry::prometheus;

/// Why a service could not start.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    #[error(
        "{service}: port {addr} is already in use (stop what holds it, or choose another port)"
    )]
    PortInUse {
        service: &'static str,
        addr: SocketAddr,
    },
    #[error("{service}: cannot listen on {addr}: {source}")]
    Bind {
        service: &'static str,
        addr: SocketAddr,
        source: io::Error,
    },
    /// Something the service needs at start-up failed: `what`, and the
    /// error that says why (printed as `service: what: cause: …`).
    #[error("{service}: {what}")]
    Setup {
        service: &'static str,
        what: String,
        #[source]
        source: Option<BoxError>,
    },
}

/// Any error, kept as a [`LaunchError::Setup`]'s cause.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl LaunchError {
    /// `err` as the cause of `service`'s failure to do `what`, for
    /// `map_err`: `.map_err(LaunchError::setup(service, "cannot open the store"))`.
    pub fn setup<E: Into<BoxError>>(
        service: &'static str,
        what: impl Into<String>,
    ) -> impl FnOnce(E) -> LaunchError {
        let what = what.into();
        move |err| LaunchError::Setup {
            service,
            what,
            source: Some(err.into()),
        }
    }

    /// `service` cannot start for the reason `what`, with no error behind it.
    pub fn refused(service: &'static str, what: impl Into<String>) -> LaunchError {
        LaunchError::Setup {
            service,
            what: what.into(),
            source: None,
        }
    }
}

/// A running service: where it listens and the task serving it.
#[derive(Debug)]
pub struct Launched {
    pub service: &'static str,
    pub addr: SocketAddr,
    /// Other endpoints it serves besides `addr`, such as the timer service's
    /// ZeroMQ socket (`zeromq tcp://127.0.0.1:8888`): a protocol, a space,
    /// the endpoint.
    pub other_endpoints: Vec<String>,
    task: JoinHandle<io::Result<()>>,
}

impl Launched {
    /// A service at `addr` that stops when `task` ends.
    pub(crate) fn new(
        service: &'static str,
        addr: SocketAddr,
        other_endpoints: Vec<String>,
        task: JoinHandle<io::Result<()>>,
    ) -> Self {
        Self {
            service,
            addr,
            other_endpoints,
            task,
        }
    }

    /// Waits until the service has stopped (after its shutdown token fired
    /// and it drained, or when serving failed).
    pub async fn stopped(self) -> io::Result<()> {
        match self.task.await {
            Ok(result) => result,
            Err(join) => Err(io::Error::other(join)),
        }
    }
}

/// Serves `router` on `listener` on a task of its own until `shutdown`
/// fires, then waits for its connections and `tasks` to finish, within
/// `settings.drain`: what every launch ends with.
pub(crate) fn spawn_serving<L>(
    service: &'static str,
    listener: L,
    addr: SocketAddr,
    router: Router,
    settings: &RuntimeConfig,
    tasks: TaskTracker,
    shutdown: CancellationToken,
) -> Result<Launched, LaunchError>
where
    L: axum::serve::Listener<Addr = SocketAddr>,
{
    let drain = settings.drain;
    // Install the recorder before the first request can be counted.
    let _ = prometheus();
    let limits = settings.connections.clone();
    let stop = shutdown.clone();
    let server = async move { serve_router(listener, router, &limits, stop).await };
    let task = tokio::spawn(async move {
        let served_and_drained = async {
            let result = server.await;
            tasks.close();
            tasks.wait().await;
            result
        };
        tokio::select! {
            result = served_and_drained => result,
            () = async {
                shutdown.cancelled().await;
                tokio::time::sleep(drain).await;
            } => {
                tracing::warn!(%service, ?drain, "connections or tasks still busy after the drain period; stopping anyway");
                Ok(())
            }
        }
    });
    tracing::debug!(%service, %addr, "serving");
    Ok(Launched::new(service, addr, Vec::new(), task))
}
