//! The funnel: builds clock frames from the five clock services and pushes
//! them to browsers over WebSocket.
//!
//! # Layout
//! - the frames come from `clocker-fanout`: its tick loop builds each
//!   zone's frame once per tick into a [`Hub`], and teaches a [`FleetClock`]
//!   current-time's clock, so clock-sync pongs share the frames' timebase.
//! - `GET /ws` is answered off the socket by the funnel's front door: the
//!   socket joins its shard's subscribers, whose writer writes it each
//!   tick's frame of its zone, encoded once for everyone, and its messages
//!   (zone changes, clock pings) are answered (`socket`); `GET /health` says whether the funnel and its
//!   dependencies answer; `GET /config.json` tells the page where the
//!   gateway and the stream are (`endpoints`); `GET /status.json` the
//!   supervised services (`status`); every other `GET` is the web UI (`web`).
//! - `admin`: the optional admin listener, with the full `/status.json` and
//!   `/metrics` off the public port.
//! - Every route answers only the hosts of its allow-list, and `/ws` only
//!   pages of allowed origins (`clocker_runtime::http::AllowedHosts`).

mod admin;
mod endpoints;
mod socket;
mod status;
mod web;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::middleware;
use axum::response::Response;
use axum::routing::get;
use clocker_fanout::subscribers::{Counters, Shard};
use clocker_fanout::{CLOCK_SERVICE_NAMES, CLOCK_SERVICES, Encoding, FleetClock, Hub, Signal};
use clocker_proto::doors;
use clocker_runtime::Shard as RuntimeShard;
use clocker_runtime::http::{AllowedHosts, check_host, check_origin};
use clocker_runtime::{
    AddressBook, CancellationToken, Gate, LaunchError, Launched, Locator, NotReady, Readiness,
    ReadinessChecks, RuntimeConfig, TaskTracker, launch_shards, shard_listeners, start_readiness,
};
use endpoints::Endpoints;
use status::{Detail, StatusSource};
use tokio::net::TcpListener;

pub use socket::fuzz_ws_message;

/// What the funnel requires: the clock services it calls. (It also knows
/// where the gateway and the stream are, for `/config.json`, but the clock
/// works without them.)
pub const REQUIRES: &[&str] = CLOCK_SERVICES;

/// The service's name (in logs, metrics and errors).
pub const NAME: &str = doors::FUNNEL;

/// How the funnel builds and sends frames.
#[derive(Debug, Clone)]
pub struct FunnelConfig {
    /// Time between frames (default 50 ms: 20 Hz).
    pub tick: Duration,
    /// The zone of clients that name none (an IANA name).
    pub default_zone: String,
    /// The most bytes a socket may hold written but unsent: about 30 frames
    /// (1.5 s at 20 Hz). A client that falls further behind skips to the
    /// newest frame; one that stops reading is dropped once a send has made no
    /// progress for the runtime's `write_timeout` (`--write-timeout`).
    pub unsent_limit_bytes: u32,
    /// The gateway's base URL for the page ("" for this origin); by
    /// default the browser's host with the gateway's port.
    pub gateway_url: Option<String>,
    /// The stream's base URL for the page, likewise.
    pub stream_url: Option<String>,
    /// The supervisor's control address, when `clocker up` started the
    /// funnel (for `/status.json`).
    pub supervisor: Option<std::net::SocketAddr>,
    /// The token the supervisor's control endpoint asks for.
    pub supervisor_token: Option<String>,
    /// Host names answered besides `localhost` and IP literals (`*`: any);
    /// WebSocket upgrades from pages on them are accepted too.
    pub allowed_hosts: Vec<String>,
    /// Where the full `/status.json` and `/metrics` are served apart from
    /// the public port (whose `/status.json` is then redacted); none by
    /// default.
    pub admin_addr: Option<std::net::SocketAddr>,
}

impl Default for FunnelConfig {
    fn default() -> Self {
        Self {
            tick: Duration::from_millis(50),
            default_zone: "UTC".into(),
            unsent_limit_bytes: 4 * 1024,
            gateway_url: None,
            stream_url: None,
            supervisor: None,
            supervisor_token: None,
            allowed_hosts: Vec::new(),
            admin_addr: None,
        }
    }
}

#[derive(Debug, Clone)]
struct AppState {
    hub: Arc<Hub>,
    /// The WebSockets connected, on every shard.
    clients: Arc<Counters>,
    /// Whether the clock services answer (`/health`).
    readiness: Readiness,
}

/// Serves the funnel on `listener`, with the clock services found in `book`.
pub async fn launch(
    listener: TcpListener,
    book: AddressBook,
    config: &FunnelConfig,
    settings: &RuntimeConfig,
    shutdown: CancellationToken,
) -> Result<Launched, LaunchError> {
    let service = NAME;
    if clocker_runtime::time_zone(&config.default_zone).is_err() {
        return Err(LaunchError::refused(
            service,
            format!("unknown default time zone '{}'", config.default_zone),
        ));
    }
    let hosts = AllowedHosts::new(&config.allowed_hosts);
    let admin = match config.admin_addr {
        Some(addr) => Some(admin::bind(addr).map_err(LaunchError::setup(
            service,
            format!("cannot listen for the admin endpoint on {addr} (--admin-addr)"),
        ))?),
        None => None,
    };
    let status = StatusSource {
        control: config.supervisor,
        token: config.supervisor_token.clone(),
        // With an admin listener the details live there alone.
        detail: match admin {
            Some(_) => Detail::Redacted,
            None => Detail::for_listener(
                listener
                    .local_addr()
                    .map_err(LaunchError::setup(service, "cannot read the bound address"))?,
            ),
        },
    };
    let admin_status = StatusSource {
        detail: Detail::Full,
        ..status.clone()
    };
    let endpoints = Endpoints::new(
        config.gateway_url.as_deref(),
        config.stream_url.as_deref(),
        &book,
        hosts.clone(),
    );
    let locator = Locator::new(NAME, REQUIRES, book);
    let hub = Arc::new(Hub::new(Encoding::WebSocket, Signal::default()));
    let clock = Arc::new(FleetClock::default());
    // Until the funnel serves, a failure must also stop the tick thread.
    let stop_on_failure = shutdown.clone().drop_guard();
    let ticker = clocker_fanout::start_ticker(
        hub.clone(),
        clock.clone(),
        locator,
        settings.budget,
        config.tick,
        Some(config.default_zone.clone()),
        shutdown.clone(),
    )
    .await
    .map_err(|why| LaunchError::refused(service, why))?;
    let tasks = TaskTracker::new();
    let readiness = start_readiness(
        NAME,
        clock_services_answer(&hub),
        settings.readiness,
        &tasks,
        shutdown.clone(),
    );
    let stopping = shutdown.clone();
    tasks.spawn(async move {
        let _ = ticker.await;
        if !stopping.is_cancelled() {
            tracing::error!("the tick loop ended unexpectedly; stopping the funnel");
            stopping.cancel();
        }
    });
    let clients = Counters::new("clocker_funnel_clients");
    let state = AppState {
        hub: hub.clone(),
        clients: clients.clone(),
        readiness,
    };
    let settings = RuntimeConfig {
        unsent_limit_bytes: Some(config.unsent_limit_bytes),
        // With an admin listener, metrics are served there only.
        metrics_path: if admin.is_some() {
            None
        } else {
            settings.metrics_path
        },
        ..settings.clone()
    };
    let admin_tasks = tasks.clone();
    let admin_hosts = hosts.clone();
    let admin_shutdown = shutdown.clone();
    let admin_limits = settings.connections.clone();
    let port = Port {
        messages: Arc::new(socket::ClientMessages {
            hub: hub.clone(),
            clock,
        }),
        hub,
        clients,
        default_zone: Arc::from(config.default_zone.as_str()),
        router: router(state, hosts.clone())
            .merge(config_router(endpoints))
            .route("/status.json", get(status::get_status).with_state(status))
            .layer(middleware::from_fn_with_state(hosts.clone(), check_host)),
        hosts,
        settings,
    };
    let listeners = shard_listeners(service, listener, port.settings.shards)?;
    let gate = Gate::new(service, &port.settings.connections);
    let mut launched = launch_shards(service, listeners, gate, shutdown, move |shard| {
        std::future::ready(port.serve_shard(shard, tasks.clone()))
    })
    .await?;
    if let Some(listener) = admin {
        let addr = listener
            .local_addr()
            .map_err(LaunchError::setup(service, "cannot read the admin address"))?;
        admin::spawn(
            listener,
            admin_status,
            admin_hosts,
            admin_limits,
            &admin_tasks,
            admin_shutdown,
        );
        launched
            .other_endpoints
            .push(format!("admin http://{addr}"));
    }
    stop_on_failure.disarm();
    Ok(launched)
}

/// What every shard of the funnel's port shares.
#[derive(Debug, Clone)]
struct Port {
    messages: Arc<socket::ClientMessages>,
    hub: Arc<Hub>,
    /// The WebSockets connected, on every shard.
    clients: Arc<Counters>,
    default_zone: Arc<str>,
    hosts: AllowedHosts,
    /// Every route but the WebSocket upgrades the front door answers.
    router: Router,
    settings: RuntimeConfig,
}

impl Port {
    /// Serves `shard` of the port: its subscribers, its front door, and
    /// the router for what the door passes on. `tasks` is what its drain
    /// waits for.
    fn serve_shard(
        &self,
        shard: RuntimeShard,
        tasks: TaskTracker,
    ) -> Result<Launched, LaunchError> {
        let write_timeout = self.settings.connections.write_timeout;
        let door = socket::WebSocketDoor {
            shard: Shard::new(
                shard.index,
                self.messages.clone(),
                socket::shard_config(write_timeout),
                self.clients.clone(),
            ),
            hosts: self.hosts.clone(),
            hub: self.hub.clone(),
            default_zone: self.default_zone.clone(),
            write_timeout,
            shutdown: shard.shutdown.clone(),
        };
        clocker_fanout::door::serve_shard(
            shard,
            door,
            self.hub.signal(),
            self.router.clone(),
            &self.settings,
            tasks,
        )
    }
}

/// `/ws` (refused to pages of foreign origins) and `/health`.
fn router(state: AppState, hosts: AllowedHosts) -> Router {
    Router::new()
        .route(
            "/ws",
            get(socket::refuse).route_layer(middleware::from_fn_with_state(hosts, check_origin)),
        )
        .route("/health", get(health))
        .with_state(state)
}

/// `/config.json`, and the page (whose Content-Security-Policy lets it
/// connect to the gateway and the stream).
fn config_router(endpoints: Endpoints) -> Router {
    Router::new()
        .route("/config.json", get(endpoints::get_config))
        .fallback(get(web::serve))
        .with_state(Arc::new(endpoints))
}

/// The funnel is ready while every clock service answers, as its tick
/// loop already learns (each tick, or every 2 s with no client): no calls
/// of its own.
fn clock_services_answer(hub: &Arc<Hub>) -> ReadinessChecks {
    CLOCK_SERVICE_NAMES
        .iter()
        .fold(ReadinessChecks::new(), |checks, &service| {
            let hub = hub.clone();
            checks.check(service, move || {
                let missed = hub.degraded().iter().any(|name| name == service);
                async move {
                    if missed {
                        Err(NotReady::new("not answering (the last tick missed it)"))
                    } else {
                        Ok(())
                    }
                }
            })
        })
}

/// `GET /health`: `{"status":"ok","degraded":[…],"clients":n}`, naming the
/// clock services its last tick (or, with no client connected, its last
/// idle probe) missed; 503 with `"status":"not ready"` and `failing` while
/// any is missed. `GET /livez` only says the funnel answers.
async fn health(State(state): State<AppState>) -> Response {
    let mut fields = serde_json::Map::new();
    fields.insert("degraded".into(), serde_json::json!(state.hub.degraded()));
    fields.insert("clients".into(), state.clients.clients().into());
    state.readiness.answer(fields).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    fn state() -> AppState {
        AppState {
            hub: Arc::new(Hub::default()),
            clients: Counters::new("clocker_funnel_clients"),
            readiness: Readiness::always(),
        }
    }

    /// `GET /health` of a funnel in `state`: the status and the body.
    async fn get_health(state: AppState) -> (StatusCode, axum::body::Bytes) {
        let response = router(state, AllowedHosts::default())
            .oneshot(
                Request::get("/health")
                    .body(Body::empty())
                    .expect("request"),
            )
            .await
            .expect("infallible");
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .expect("body");
        (status, body)
    }

    #[tokio::test]
    async fn health_answers_ok_with_the_degraded_services() {
        let state = state();
        state.hub.set_degraded(vec!["minutes".into()]);
        let (status, body) = get_health(state).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            &body[..],
            br#"{"clients":0,"degraded":["minutes"],"status":"ok"}"#
        );
    }

    #[tokio::test]
    async fn health_is_503_naming_the_clock_services_the_ticks_miss() {
        let mut state = state();
        let tasks = TaskTracker::new();
        let shutdown = CancellationToken::new();
        state.hub.set_degraded(vec!["minutes".into()]);
        state.readiness = start_readiness(
            NAME,
            clock_services_answer(&state.hub),
            clocker_runtime::ReadinessConfig::default(),
            &tasks,
            shutdown.clone(),
        );
        let (status, body) = get_health(state).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        let json: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
        assert_eq!(json["status"], "not ready");
        assert_eq!(json["degraded"], serde_json::json!(["minutes"]));
        assert_eq!(json["failing"][0]["check"], "minutes", "{json}");
        shutdown.cancel();
    }

    #[tokio::test]
    async fn ws_without_upgrade_is_a_client_error() {
        let response = router(state(), AllowedHosts::default())
            .oneshot(Request::get("/ws").body(Body::empty()).expect("request"))
            .await
            .expect("infallible");
        assert!(response.status().is_client_error(), "{}", response.status());
    }
}
