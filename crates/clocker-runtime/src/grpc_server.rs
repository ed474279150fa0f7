//! The gRPC server of one service, assembled: its own methods behind the
//! method budget, `grpc.health.v1` kept true to its readiness, server
//! reflection (`v1` and `v1alpha`), and, over HTTP/1.1 on the same port,
//! `GET /metrics`, `/livez` and `/health`.

use std::convert::Infallible;
use std::time::Duration;

use axum::middleware;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tonic::server::NamedService;
use tonic::service::Routes;
use tonic_health::ServingStatus;

use crate::budget::BudgetLayer;
use crate::config::RuntimeConfig;
use crate::gate::Gate;
use crate::health::{
    LIVENESS_PATH, LIVENESS_SERVICE, READINESS_PATH, Readiness, ReadinessChecks, get_liveness,
    get_readiness, not_ready_metadata, start_readiness,
};
use crate::launch::{LaunchError, Launched, spawn_serving};
use crate::reflection::reflection;
use crate::socket::gated;
use crate::telemetry::{prometheus, render_metrics};

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
        settings: &RuntimeConfig,
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

        let gate = Gate::new(service, &settings.connections);
        let (listener, addr) = gated(service, listener, gate, settings)?;
        spawn_serving(service, listener, addr, router, settings, tasks, shutdown)
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
