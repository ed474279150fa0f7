//! The parigot-style runtime every Clocker service is built on.
//!
//! A service is launched on a port ([`bind`], which takes a listener handed
//! over by systemd or `clocker up` when there is one ([`inherited`]),
//! [`GrpcServer::launch`] or [`launch_http`]) and resolves with its bound address once it serves;
//! declares the services it requires and gets typed clients for them from a
//! [`Locator`]; runs single-threaded on its own current-thread runtime
//! ([`ServiceThread`], or the main thread under `clocker serve`); answers every
//! method within its budget ([`BudgetLayer`]) or with `DEADLINE_EXCEEDED`; and
//! stops gracefully on SIGINT/SIGTERM ([`shutdown_signal`]); and tells the
//! truth about its health: liveness (the thread answers) apart from
//! readiness (its [`ReadinessChecks`] pass) ([`health`]).
//!
//! Metrics of every service in a process are scraped from `GET /metrics` on
//! any of its ports (gRPC ports answer HTTP/1.1 there too).

mod address;
mod backoff;
mod budget;
mod deadline;
mod error_chain;
pub mod gate;
pub mod health;
pub mod http;
pub mod inherited;
mod launch;
mod locate;
mod peer;
mod serving;
mod shutdown;
mod telemetry;
mod thread;
mod token;
mod zones;

pub use address::{AddressBook, Authority};
pub use backoff::Backoff;
pub use budget::{BudgetLayer, Budgeted};
pub use deadline::within;
pub use error_chain::ErrorChain;
pub use gate::{Admitted, ConnectionLimits, Gate, Permit};
pub use health::{
    LIVENESS_PATH, LIVENESS_SERVICE, NOT_READY_METADATA, NotReady, READINESS_PATH, Readiness,
    ReadinessChecks, ReadinessSettings, start_readiness,
};
pub use inherited::{adopt_listeners, take_listener, take_service_listener};
pub use launch::{
    GrpcServer, LaunchError, Launched, Settings, bind, configure_accepted, launch_http,
    launch_http_on, local_addr, record_http_request,
};
pub use locate::{LocateError, Locator};
pub use peer::{FORWARDED_FOR, PeerAddr, client_ip, forward_peer};
pub use serving::{GatedListener, serve_http, serve_router};
pub use shutdown::shutdown_signal;
pub use telemetry::{init_logging, prometheus, render_metrics};
pub use thread::{ServiceThread, spawn_single_threaded};
pub use token::session_token;
pub use tokio_util::sync::CancellationToken;
pub use tokio_util::task::TaskTracker;
pub use zones::time_zone;
