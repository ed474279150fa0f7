//! The runtime every Clocker service is built on: it launches a service on
//! its port, bounds every call by a deadline, tells the truth about its
//! health and stops it gracefully; it knows no service by name.
//!
//! # Layout
//!
//! Launching a service:
//! - `socket`: binds its port ([`bind`], or takes the one [`inherited`]),
//!   the options of every accepted socket ([`configure_accepted`]).
//! - `grpc_server`: a gRPC service's port assembled ([`GrpcServer`]): its
//!   methods, gRPC health, `reflection`, `/metrics`.
//! - `http_server`: an HTTP service's router served ([`launch_http`], or
//!   on one shard: [`launch_http_shard`]).
//! - `launch`: the serving task ([`Launched`]) and why a launch failed
//!   ([`LaunchError`]); `config`: how a service runs ([`RuntimeConfig`]).
//! - `thread`: a service on a thread of its own ([`ServiceThread`]).
//! - [`shards`]: an HTTP service on every core, each shard a thread with its
//!   own `SO_REUSEPORT` listener of the port ([`launch_shards`]).
//!
//! Serving and holding up:
//! - `serving`: the connection loop of every port, with its deadlines;
//!   [`gate`]: how many connections a port holds; `peer`: who is calling.
//! - `budget`: `DEADLINE_EXCEEDED` for a call over its budget
//!   ([`BudgetLayer`]); `grpc_timeout`: the client's deadline; `deadline`:
//!   a write bounded in time ([`within`]).
//! - [`health`]: liveness apart from readiness.
//! - `shutdown`: the one shutdown signal ([`shutdown_signal`], and
//!   [`stop_signal`] for a second listener that logs nothing).
//!
//! Finding other services: `address` ([`AddressBook`]), `locate`
//! ([`Locator`]), `backoff` (retry pacing, [`Backoff`]).
//!
//! Observing: `telemetry` (logs, Prometheus, per-route and per-method
//! metrics), `log_rate_limit` (one line a second about a flood),
//! `error_chain` ([`ErrorChain`]).
//!
//! HTTP front doors: [`http`] (JSON errors, CORS, Host checks, the one
//! HTTP/1 [`http::client`]); `token` (the caller's bearer token, from HTTP
//! headers to gRPC metadata); `zones` (time zones by name, [`time_zone`]).
//!
//! Metrics of every service in a process are scraped from `GET /metrics` on
//! any of its ports (gRPC ports answer HTTP/1.1 there too).

mod address;
mod backoff;
mod budget;
mod config;
mod deadline;
mod error_chain;
pub mod gate;
mod grpc_server;
mod grpc_timeout;
pub mod health;
pub mod http;
mod http_server;
pub mod inherited;
mod launch;
mod locate;
mod log_rate_limit;
mod peer;
mod reflection;
mod serving;
pub mod shards;
mod shutdown;
mod socket;
mod telemetry;
mod thread;
mod token;
mod zones;

pub use address::{AddressBook, Authority};
pub use backoff::Backoff;
pub use budget::{BudgetLayer, Budgeted};
pub use config::RuntimeConfig;
pub use deadline::within;
pub use error_chain::ErrorChain;
pub use gate::{Admitted, ConnectionLimits, Gate, Permit};
pub use grpc_server::GrpcServer;
pub use health::{
    LIVENESS_PATH, LIVENESS_SERVICE, NOT_READY_METADATA, NotReady, READINESS_PATH, Readiness,
    ReadinessChecks, ReadinessConfig, start_readiness,
};
pub use http_server::{launch_http, launch_http_on, launch_http_shard};
pub use inherited::{adopt_listeners, take_listener, take_service_listener};
pub use launch::{BoxError, LaunchError, Launched};
pub use locate::{LocateError, Locator};
pub use peer::{FORWARDED_FOR, PeerAddr, client_ip, client_network, forward_peer};
pub use serving::{GatedListener, serve_http, serve_router};
pub use shards::{Shard, default_shards, launch_shards, shard_listeners};
pub use shutdown::{shutdown_signal, stop_signal};
pub use socket::{BACKLOG, bind, configure_accepted, listen_shareable, local_addr};
pub use telemetry::{
    init_logging, init_logging_with, prometheus, record_http_request, render_metrics,
};
pub use thread::{ServiceThread, spawn_single_threaded};
pub use token::{bearer_token, forward_bearer, session_token};
pub use tokio_util::sync::CancellationToken;
pub use tokio_util::task::TaskTracker;
pub use zones::{time_zone, zone_name};
