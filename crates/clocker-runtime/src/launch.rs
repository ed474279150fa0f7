//! Launch: bind a port, serve, and resolve with the bound address.
//!
//! Every gRPC service gets, on the same port: its own methods behind the
//! method budget, `grpc.health.v1`, server reflection (`v1` and `v1alpha`),
//! and `GET /metrics` over HTTP/1.1 for Prometheus. HTTP services get
//! `/metrics` too. Every accepted socket has TCP_NODELAY and TCP keepalive
//! set, and every port is served by [`crate::serving`], within the
//! connection budgets of [`ConnectionLimits`].

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tonic::server::NamedService;
use tonic::service::Routes;
use tonic_health::ServingStatus;

use crate::gate::{ConnectionLimits, Gate};
use crate::health::{
    LIVENESS_PATH, LIVENESS_SERVICE, READINESS_PATH, Readiness, ReadinessChecks, ReadinessSettings,
    get_liveness, get_readiness, not_ready_metadata, start_readiness,
};
use crate::serving::{GatedListener, serve_router};
use crate::telemetry::{prometheus, render_metrics};
use crate::BudgetLayer;

/// How a service runs: its method budget and how long shutdown may drain.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The longest any method may take before it answers `DEADLINE_EXCEEDED`.
    pub budget: Duration,
    /// How long in-flight calls may finish after shutdown is asked for.
    pub drain: Duration,
    /// The most bytes a socket may hold written but not yet sent
    /// (`TCP_NOTSENT_LOWAT`); writes wait beyond it. `None` leaves it to the
    /// kernel, which queues megabytes. A push service sets it low so a client
    /// that falls behind skips to the newest frame instead of reading old
    /// ones out of the kernel, and one that stops reading is noticed at
    /// once; bulk transfers keep their speed (bytes in flight don't count).
    pub unsent_limit_bytes: Option<u32>,
    /// Where an HTTP service serves its Prometheus metrics (`/metrics`,
    /// unless a seed gives that path another meaning); `None` when they are
    /// served elsewhere (the funnel's admin listener), not on this port.
    pub metrics_path: Option<&'static str>,
    /// What each port lets its clients hold, and for how long.
    pub connections: ConnectionLimits,
    /// How often readiness is checked, and how long one check may take.
    pub readiness: ReadinessSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            budget: Duration::from_millis(50),
            drain: Duration::from_secs(5),
            unsent_limit_bytes: None,
            metrics_path: Some("/metrics"),
            connections: ConnectionLimits::default(),
            readiness: ReadinessSettings::default(),
        }
    }
}

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

/// Binds `addr` for `service` (port 0 picks a free port), or takes the
/// listener handed over for it ([`crate::inherited`]; `addr` is then unused).
pub async fn bind(service: &'static str, addr: SocketAddr) -> Result<TcpListener, LaunchError> {
    let bind_error = |source| LaunchError::Bind {
        service,
        addr,
        source,
    };
    match crate::inherited::take_service_listener(service) {
        Ok(Some(inherited)) => return TcpListener::from_std(inherited).map_err(bind_error),
        Ok(None) => {}
        Err(err) => return Err(bind_error(io::Error::other(err))),
    }
    TcpListener::bind(addr).await.map_err(|source| {
        if source.kind() == io::ErrorKind::AddrInUse {
            LaunchError::PortInUse { service, addr }
        } else {
            LaunchError::Bind {
                service,
                addr,
                source,
            }
        }
    })
}

/// A running service: where it listens and the task serving it.
#[derive(Debug)]
pub struct Launched {
    pub service: &'static str,
    pub addr: SocketAddr,
    /// Other endpoints it serves besides `addr`, such as the timer service's
    /// ZeroMQ socket (`zeromq tcp://127.0.0.1:8888`): a protocol, a space,
    /// the endpoint.
    pub also: Vec<String>,
    task: JoinHandle<io::Result<()>>,
}

impl Launched {
    /// Waits until the service has stopped (after its shutdown token fired
    /// and it drained, or when serving failed).
    pub async fn stopped(self) -> io::Result<()> {
        match self.task.await {
            Ok(result) => result,
            Err(join) => Err(io::Error::other(join)),
        }
    }
}

/// The gRPC services one Clocker service serves, before launch.
pub struct GrpcServer {
    service: &'static str,
    routes: Routes,
    names: Vec<&'static str>,
    descriptor_sets: Vec<&'static [u8]>,
    method_budgets: Vec<(&'static str, Duration)>,
    tasks: TaskTracker,
    checks: ReadinessChecks,
}

impl GrpcServer {
    /// A server for `service`; `descriptor_set` is the encoded
    /// `FileDescriptorSet` reflection serves for it.
    pub fn new(service: &'static str, descriptor_set: &'static [u8]) -> Self {
        Self {
            service,
            routes: Routes::default(),
            names: Vec::new(),
            descriptor_sets: vec![descriptor_set],
            method_budgets: Vec::new(),
            tasks: TaskTracker::new(),
            checks: ReadinessChecks::new(),
        }
    }

    /// What the service must pass to be ready (see [`crate::health`]);
    /// without checks it is ready whenever it serves.
    pub fn readiness(mut self, checks: ReadinessChecks) -> Self {
        self.checks = checks;
        self
    }

    /// Gives one method (`/package.Service/Method`) a budget of its own, for
    /// work that is slow by design such as password hashing.
    pub fn method_budget(mut self, path: &'static str, budget: Duration) -> Self {
        self.method_budgets.push((path, budget));
        self
    }

    /// The service's own background work (schedulers, other front doors,
    /// sweepers, streams' tasks): spawned on `tasks`, it is waited for,
    /// within the drain period, before the service counts as stopped. Each
    /// task ends by itself once the shutdown token fires.
    pub fn with_tasks(mut self, tasks: TaskTracker) -> Self {
        self.tasks = tasks;
        self
    }

    /// Adds one generated tonic server; its health is its readiness.
    pub fn add_service<S>(mut self, svc: S) -> Self
    where
        S: tower::Service<
                http::Request<tonic::body::Body>,
                Response = http::Response<tonic::body::Body>,
                Error = Infallible,
            > + NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        self.names.push(S::NAME);
        self.routes = self.routes.add_service(svc);
        self
    }

    /// Serves on `listener` until `shutdown` fires.
    pub async fn launch(
        self,
        listener: TcpListener,
        settings: &Settings,
        shutdown: CancellationToken,
    ) -> Result<Launched, LaunchError> {
        let service = self.service;
        // Install the recorder before anything below yields: tasks the
        // service spawned before launching may set gauges as soon as they
        // run, and what they set before the recorder exists is lost.
        let _ = prometheus();

        let (health, health_service) = tonic_health::server::health_reporter();
        let tasks = self.tasks;
        let readiness = start_readiness(
            service,
            self.checks,
            settings.readiness,
            &tasks,
            shutdown.clone(),
        );
        // Serve what the first round found, not "not checked yet".
        readiness.settled().await;
        publish_health(
            health,
            readiness.clone(),
            self.names.clone(),
            &tasks,
            shutdown.clone(),
        )
        .await;

        let v1 = reflection(&self.descriptor_sets, &self.names)
            .build_v1()
            .map_err(LaunchError::setup(service, "cannot build gRPC reflection"))?;
        let v1alpha = reflection(&self.descriptor_sets, &self.names)
            .build_v1alpha()
            .map_err(LaunchError::setup(service, "cannot build gRPC reflection"))?;

        let budget_layer = self.method_budgets.iter().fold(
            BudgetLayer::new(service, settings.budget),
            |layer, (path, budget)| layer.with_method_budget(*path, *budget),
        );
        let router = self
            .routes
            .add_service(health_service)
            .add_service(v1)
            .add_service(v1alpha)
            .prepare()
            .into_axum_router()
            .layer(budget_layer)
            .layer(middleware::from_fn_with_state(
                readiness.clone(),
                not_ready_metadata,
            ))
            .route("/metrics", get(render_metrics))
            .route(LIVENESS_PATH, get(get_liveness))
            .route(READINESS_PATH, get(get_readiness).with_state(readiness));

        let (listener, addr) = gated(service, listener, settings)?;
        serve(service, listener, addr, router, settings, tasks, shutdown)
    }
}

/// Keeps gRPC health true: `""` and every name in `names` SERVING while
/// `readiness` holds and NOT_SERVING while it does not, [`LIVENESS_SERVICE`]
/// SERVING throughout. When shutdown starts every name but liveness is told
/// NOT_SERVING, so load balancers and the supervisor stop sending work while
/// calls drain (new connections are refused from then on); then every
/// status is forgotten, which ends the `Watch` streams.
async fn publish_health(
    mut health: tonic_health::server::HealthReporter,
    mut readiness: Readiness,
    names: Vec<&'static str>,
    tasks: &TaskTracker,
    shutdown: CancellationToken,
) {
    let readiness_names: Vec<&'static str> = names.into_iter().chain([""]).collect();
    health
        .set_service_status(LIVENESS_SERVICE, ServingStatus::Serving)
        .await;
    set_all(&mut health, &readiness_names, readiness.is_ready()).await;
    tasks.spawn(async move {
        loop {
            tokio::select! {
                () = shutdown.cancelled() => break,
                more = readiness.changed() => {
                    if !more {
                        shutdown.cancelled().await;
                        break;
                    }
                    set_all(&mut health, &readiness_names, readiness.is_ready()).await;
                }
            }
        }
        set_all(&mut health, &readiness_names, false).await;
        // Forgetting the statuses ends every Watch stream (after it has
        // seen NOT_SERVING); otherwise they would hold the drain open.
        for name in readiness_names.iter().copied().chain([LIVENESS_SERVICE]) {
            health.clear_service_status(name).await;
        }
    });
}

async fn set_all(health: &mut tonic_health::server::HealthReporter, names: &[&str], ready: bool) {
    let status = if ready {
        ServingStatus::Serving
    } else {
        ServingStatus::NotServing
    };
    for name in names {
        health.set_service_status(*name, status).await;
    }
}

/// A reflection builder that advertises exactly what this port serves: the
/// service's own gRPC services, health, and both reflection versions.
fn reflection<'a>(
    descriptor_sets: &[&'a [u8]],
    names: &[&'static str],
) -> tonic_reflection::server::Builder<'a> {
    let mut builder = tonic_reflection::server::Builder::configure()
        .include_reflection_service(false)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET);
    for set in descriptor_sets {
        builder = builder.register_encoded_file_descriptor_set(set);
    }
    let served = names.iter().copied().chain([
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
    ]);
    for name in served {
        builder = builder.with_service_name(name);
    }
    builder
}

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
    settings: &Settings,
    tasks: TaskTracker,
    shutdown: CancellationToken,
) -> Result<Launched, LaunchError> {
    let (listener, addr) = gated(service, listener, settings)?;
    launch_http_on(service, listener, addr, router, settings, tasks, shutdown)
}

/// `listener`, admitting every socket it accepts through a [`Gate`] of
/// `settings`' caps and giving it [`configure_accepted`], and the address
/// it is bound to.
fn gated(
    service: &'static str,
    listener: TcpListener,
    settings: &Settings,
) -> Result<(GatedListener, SocketAddr), LaunchError> {
    let addr = local_addr(service, &listener)?;
    let gate = Gate::new(service, &settings.connections);
    Ok((GatedListener::new(listener, gate, settings.clone()), addr))
}

/// [`launch_http`] on connections that `listener` hands over (already
/// admitted by a [`Gate`] and given [`configure_accepted`]): for a service
/// that answers some connections itself, before any router, and passes on
/// the rest.
pub fn launch_http_on<L>(
    service: &'static str,
    listener: L,
    addr: SocketAddr,
    router: Router,
    settings: &Settings,
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
    serve(service, listener, addr, router, settings, tasks, shutdown)
}

/// The address `listener` is bound to, or a launch error naming `service`.
pub fn local_addr(service: &'static str, listener: &TcpListener) -> Result<SocketAddr, LaunchError> {
    listener
        .local_addr()
        .map_err(LaunchError::setup(service, "cannot read the bound address"))
}

/// What every accepted socket gets: TCP_NODELAY, TCP keepalive (a peer
/// that vanished is noticed), and the unsent-bytes limit when `settings`
/// sets one.
pub fn configure_accepted(tcp: &tokio::net::TcpStream, settings: &Settings) {
    if let Err(err) = tcp.set_nodelay(true) {
        tracing::warn!(%err, "cannot set TCP_NODELAY");
    }
    let idle = settings.connections.tcp_keepalive;
    let keepalive = socket2::TcpKeepalive::new()
        .with_time(idle)
        .with_interval((idle / 3).max(Duration::from_secs(1)))
        .with_retries(3);
    if let Err(err) = socket2::SockRef::from(tcp).set_tcp_keepalive(&keepalive) {
        tracing::warn!(%err, "cannot set TCP keepalive");
    }
    if let Some(bytes) = settings.unsent_limit_bytes {
        limit_unsent(tcp, bytes);
    }
}

fn serve<L>(
    service: &'static str,
    listener: L,
    addr: SocketAddr,
    router: Router,
    settings: &Settings,
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
    tracing::info!(%service, %addr, "serving");
    Ok(Launched {
        service,
        addr,
        also: Vec::new(),
        task,
    })
}

/// Sets `TCP_NOTSENT_LOWAT` where the platform has it (Linux, Android).
#[cfg(any(target_os = "linux", target_os = "android"))]
fn limit_unsent(tcp: &tokio::net::TcpStream, bytes: u32) {
    if let Err(err) = socket2::SockRef::from(tcp).set_tcp_notsent_lowat(bytes) {
        tracing::warn!(%err, bytes, "cannot set TCP_NOTSENT_LOWAT");
    }
}

/// Elsewhere the kernel's own buffering stands.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn limit_unsent(_tcp: &tokio::net::TcpStream, _bytes: u32) {}

async fn count_http_request(
    axum::extract::State(service): axum::extract::State<&'static str>,
    request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |path| path.as_str())
        .to_owned();
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    record_http_request(service, route, response.status(), started.elapsed());
    response
}

/// Counts one answered request in the per-route HTTP metrics (what every
/// router's requests get; for requests a service answers before any).
pub fn record_http_request(
    service: &'static str,
    route: String,
    status: axum::http::StatusCode,
    took: Duration,
) {
    metrics::histogram!(
        "clocker_http_duration_seconds",
        "service" => service,
        "route" => route.clone(),
    )
    .record(took.as_secs_f64());
    metrics::counter!(
        "clocker_http_requests_total",
        "service" => service,
        "route" => route,
        "status" => status.as_str().to_owned(),
    )
    .increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_taken_port_is_a_one_line_error_naming_port_and_service() {
        let taken = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = taken.local_addr().expect("addr");
        let err = bind("hours", addr)
            .await
            .expect_err("port is taken");
        assert!(matches!(err, LaunchError::PortInUse { .. }));
        let message = err.to_string();
        assert!(message.starts_with("hours: port 127.0.0.1:"), "{message}");
        assert!(message.contains(&addr.port().to_string()), "{message}");
        assert!(!message.contains('\n'));
    }

    #[tokio::test]
    async fn port_zero_binds_a_free_port() {
        let listener = bind("hours", "127.0.0.1:0".parse().expect("literal"))
            .await
            .expect("bind");
        assert_ne!(listener.local_addr().expect("addr").port(), 0);
    }
}
