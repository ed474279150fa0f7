//! Serving an HTTP service's router (the funnel, the gateway, the stream):
//! with Prometheus metrics, liveness and per-route request metrics added;
//! on its whole port ([`launch_http`]) or on one of its shards
//! ([`launch_http_shard`]).

use std::net::SocketAddr;

use axum::Router;
use axum::middleware;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::RuntimeConfig;
use crate::gate::Gate;
use crate::health::{LIVENESS_PATH, get_liveness};
use crate::launch::{LaunchError, Launched, spawn_serving};
use crate::shards::Shard;
use crate::socket::gated;
use crate::telemetry::{count_http_request, render_metrics};

/// Serves an HTTP service (such as the funnel) on `listener` until
/// `shutdown` fires, with Prometheus metrics at `settings.metrics_path` and
/// per-route request metrics added.
///
/// `tasks` holds the service's own background work (such as upgraded
/// WebSockets); it is waited for, within the drain period, before the
/// service counts as stopped.
pub fn launch_http(
    service: &'static str,
    listener: TcpListener,
    router: Router,
    settings: &RuntimeConfig,
    tasks: TaskTracker,
    shutdown: CancellationToken,
) -> Result<Launched, LaunchError> {
    let gate = Gate::new(service, &settings.connections);
    let (listener, addr) = gated(service, listener, gate, settings)?;
    launch_http_on(service, listener, addr, router, settings, tasks, shutdown)
}

/// [`launch_http`] on one shard of the service's port (see
/// [`crate::shards`]): its connections are admitted by the port's gate,
/// which every shard shares, and it stops on the shards' shutdown.
pub fn launch_http_shard(
    shard: Shard,
    router: Router,
    settings: &RuntimeConfig,
    tasks: TaskTracker,
) -> Result<Launched, LaunchError> {
    let Shard {
        service,
        listener,
        gate,
        shutdown,
        ..
    } = shard;
    let (listener, addr) = gated(service, listener, gate, settings)?;
    launch_http_on(service, listener, addr, router, settings, tasks, shutdown)
}

/// [`launch_http`] on connections that `listener` hands over (already
/// admitted by a [`crate::Gate`] and given [`crate::configure_accepted`]):
/// for a service that answers some connections itself, before any router,
/// and passes on the rest.
pub fn launch_http_on<L>(
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
    let router = match settings.metrics_path {
        Some(path) => router.route(path, get(render_metrics)),
        None => router,
    };
    let router = router.route(LIVENESS_PATH, get(get_liveness));
    let router = router.layer(middleware::from_fn_with_state(service, count_http_request));
    spawn_serving(service, listener, addr, router, settings, tasks, shutdown)
}
