//! The SSE stream (seed 004) on port 8085.
//!
//! - `GET /stream`: seed 004's `event: data` events from ONE upstream
//!   `StreamRandomData` shared by every client, each encoded once as bytes
//!   and written straight to every socket by the shard's writer
//!   (`clocker_fanout::subscribers`); `Last-Event-ID` resumes from a
//!   bounded history. Answered off the socket, before the router: it is
//!   the route with thousands of clients.
//! - `GET /stream/time?tz=`: the funnel's clock frames, built by the same
//!   tick loop the funnel runs (`clocker-fanout`'s).
//! - `GET /stream/timers`: the caller's timer events; `POST`/`DELETE
//!   /stream/session` set and clear the session cookie a browser's
//!   `EventSource` sends it with.
//! - `GET /health`, `GET /metrics` (seed 004's JSON, with real numbers;
//!   Prometheus text is at `/metrics/prometheus`), and `GET /` — the
//!   seed's SSE test page, standalone.
//!
//! # Layout
//! - [`feed`]: the one upstream random stream and its history.
//! - `direct`: the front door's routes, `GET /stream` and `GET
//!   /stream/time` answered off the socket (every other connection goes on
//!   to the router).
//! - [`sse`]: the router's SSE responses and the counts `/metrics` reports.
//! - `clock`: `GET /stream/time`.
//! - `timers`: `GET /stream/timers` and the session cookie.
//! - this file: configuration, launch, the router, `/health`, `/metrics`.

mod clock;
mod direct;
pub mod feed;
pub mod sse;
mod timers;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use clocker_fanout::sse::last_event_id;
use clocker_fanout::subscribers::{Counters, Listening, Shard};
use clocker_fanout::{Encoding, FleetClock, Hub, Signal};
use clocker_proto::doors;
use clocker_proto::random::random_service_client::RandomServiceClient;
use clocker_proto::random::random_service_server;
use clocker_proto::v1::timers_client::TimersClient;
use clocker_proto::v1::{
    current_time_server, hours_server, milliseconds_server, minutes_server, seconds_server,
    timers_server,
};
use clocker_runtime::Shard as RuntimeShard;
use clocker_runtime::http::{ApiError, allowed_origins, cors};
use clocker_runtime::{
    AddressBook, CancellationToken, Gate, LaunchError, Launched, Locator, Readiness,
    ReadinessChecks, RuntimeConfig, TaskTracker, launch_shards, shard_listeners, start_readiness,
};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tonic::transport::Channel;

pub use direct::fuzz_stream_head;
pub use feed::{Feed, FeedConfig};

/// The random service feeds `/stream`, the timer service `/stream/timers`,
/// the clock services `/stream/time`. Any may be away: the streams wait.
pub const REQUIRES: &[&str] = &[
    random_service_server::SERVICE_NAME,
    timers_server::SERVICE_NAME,
    current_time_server::SERVICE_NAME,
    hours_server::SERVICE_NAME,
    minutes_server::SERVICE_NAME,
    seconds_server::SERVICE_NAME,
    milliseconds_server::SERVICE_NAME,
];

/// The service's name (in logs, metrics and errors).
pub const NAME: &str = doors::STREAM;

/// seed 004's SSE test client, as one page with no build step.
const TEST_PAGE: &str = include_str!("../assets/test_sse_client.html");

/// How the stream behaves.
#[derive(Debug, Clone)]
pub struct StreamConfig {
    pub feed: FeedConfig,
    /// Time between clock frames on `/stream/time`.
    pub clock_tick: Duration,
    /// A comment on idle streams, so proxies keep them open.
    pub keep_alive: Duration,
    /// Origins browsers may call from; empty means the funnel's.
    pub cors_origins: Vec<String>,
    /// The most bytes a client's socket may hold written but unsent
    /// (`TCP_NOTSENT_LOWAT`, as the funnel's): a client that stops reading
    /// blocks writes at once, and is dropped after the write timeout.
    pub unsent_limit_bytes: u32,
}

impl Default for StreamConfig {
    fn default() -> Self {
        Self {
            feed: FeedConfig::default(),
            clock_tick: Duration::from_millis(100),
            keep_alive: Duration::from_secs(15),
            cors_origins: Vec::new(),
            unsent_limit_bytes: 4 * 1024,
        }
    }
}

#[derive(Debug, Clone)]
struct AppState {
    feed: Arc<Feed>,
    /// Clients and events sent, the shards' and the router's.
    counters: Arc<Counters>,
    started: Instant,
    hub: Arc<Hub>,
    timers: TimersClient<Channel>,
    call_timeout: Duration,
    keep_alive: Duration,
    shutdown: CancellationToken,
    /// Whether the services the streams come from answer (`/health`).
    readiness: Readiness,
}

/// Serves the stream on `listener`: opens the upstream random stream and
/// the clock tick loop, then answers.
pub async fn launch(
    listener: TcpListener,
    book: AddressBook,
    config: &StreamConfig,
    settings: &RuntimeConfig,
    shutdown: CancellationToken,
) -> Result<Launched, LaunchError> {
    let service = NAME;
    let locator = Locator::new(service, REQUIRES, book.clone());
    let random: RandomServiceClient<Channel> = locator.locate().map_err(LaunchError::setup(
        service,
        "cannot find the random service",
    ))?;
    let timers: TimersClient<Channel> = locator
        .locate()
        .map_err(LaunchError::setup(service, "cannot find the timer service"))?;
    // Ready while every service the streams come from answers: one health
    // call each per round, on a connection kept for it.
    let checks = ReadinessChecks::new().requirements(&locator);
    // Until the stream serves, a failure must also stop the tick thread.
    let stop_on_failure = shutdown.clone().drop_guard();
    // The feed and the clock raise one signal: each shard waits on it.
    let signal = Signal::default();
    let hub = Arc::new(Hub::new(Encoding::Sse, signal.clone()));
    let ticker = clocker_fanout::start_ticker(
        hub.clone(),
        Arc::new(FleetClock::default()),
        locator,
        settings.budget,
        config.clock_tick,
        None,
        shutdown.clone(),
    )
    .await
    .map_err(|why| LaunchError::refused(service, why))?;
    let feed = feed::new(config.feed.history, signal.clone());
    let tasks = TaskTracker::new();
    let readiness = start_readiness(
        service,
        checks,
        settings.readiness,
        &tasks,
        shutdown.clone(),
    );
    tasks.spawn(feed::run(
        feed.clone(),
        random,
        config.feed.clone(),
        shutdown.clone(),
    ));
    tasks.spawn(async move {
        let _ = ticker.await;
    });
    let counters = Counters::new("clocker_stream_clients");
    let origins = allowed_origins(
        &config.cors_origins,
        book.resolve(doors::FUNNEL).map(String::as_str),
    );
    let state = AppState {
        feed: feed.clone(),
        counters: counters.clone(),
        started: Instant::now(),
        hub: hub.clone(),
        timers,
        call_timeout: Duration::from_secs(2),
        keep_alive: config.keep_alive,
        shutdown: shutdown.clone(),
        readiness,
    };
    // The session cookie crosses origins (the page's is the funnel's), so
    // browsers must be told they may send it; never with `*`.
    let any_origin = origins.iter().any(|origin| origin == "*");
    let port = Port {
        feed,
        hub,
        signal,
        counters,
        router: router(state).layer(cors(&origins).allow_credentials(!any_origin)),
        origins,
        keep_alive: config.keep_alive,
        settings: RuntimeConfig {
            unsent_limit_bytes: Some(config.unsent_limit_bytes),
            metrics_path: Some("/metrics/prometheus"),
            ..settings.clone()
        },
    };
    let listeners = shard_listeners(service, listener, port.settings.shards)?;
    let gate = Gate::new(service, &port.settings.connections);
    let launched = launch_shards(service, listeners, gate, shutdown, move |shard| {
        std::future::ready(port.serve_shard(shard, tasks.clone()))
    })
    .await?;
    stop_on_failure.disarm();
    Ok(launched)
}

/// What every shard of the stream's port shares.
#[derive(Debug, Clone)]
struct Port {
    feed: Arc<Feed>,
    hub: Arc<Hub>,
    /// What the feed and the clock raise when they publish.
    signal: Signal,
    /// Clients and events sent, on every shard and the router.
    counters: Arc<Counters>,
    /// Every route, for the requests the front door passes on.
    router: Router,
    /// Origins whose pages may read the streams (CORS).
    origins: Vec<String>,
    keep_alive: Duration,
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
        let door = direct::StreamDoor {
            shard: Shard::new(
                shard.index,
                Arc::new(Listening),
                direct::shard_config(write_timeout, self.keep_alive),
                self.counters.clone(),
            ),
            feed: self.feed.clone(),
            hub: self.hub.clone(),
            origins: self.origins.clone(),
            write_timeout,
            shutdown: shard.shutdown.clone(),
        };
        clocker_fanout::door::serve_shard(
            shard,
            door,
            &self.signal,
            self.router.clone(),
            &self.settings,
            tasks,
        )
    }
}

fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(test_page))
        .route("/stream", get(stream_data))
        .route("/stream/time", get(clock::stream_frames))
        .route("/stream/timers", get(timers::stream_timer_events))
        .route(
            "/stream/session",
            post(timers::open_session).delete(timers::close_session),
        )
        .route("/health", get(health))
        .route("/metrics", get(seed_metrics))
        .fallback(not_found)
        .with_state(state)
}

async fn test_page() -> Html<&'static str> {
    Html(TEST_PAGE)
}

#[derive(Debug, Deserialize)]
struct ResumeQuery {
    last_event_id: Option<String>,
}

/// `GET /stream`: seed 004's events, from where the client left off, for
/// the requests [`direct`] leaves to the router: those after another on a
/// kept-alive connection, and heads beyond its size or header bounds.
async fn stream_data(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<ResumeQuery>,
) -> Response {
    let last = last_event_id(&headers, query.last_event_id.as_deref());
    let after = state.feed.resume_after(last);
    let events = state.feed.clone().follow(after).map(|event| event.bytes);
    sse::response(events, state.counters, state.keep_alive, state.shutdown)
}

/// `GET /health`: `{"status":"ok","time":"2025-04-15T13:25:47Z"}` (seed
/// 004's), or 503 with `"status":"not ready"` and `failing` while a service
/// the streams come from does not answer. `GET /livez` only says the
/// stream answers.
async fn health(State(state): State<AppState>) -> Response {
    let now = jiff::Timestamp::now();
    let mut fields = serde_json::Map::new();
    fields.insert(
        "time".into(),
        format!("{:.0}", now.round(jiff::Unit::Second).unwrap_or(now)).into(),
    );
    state.readiness.answer(fields).await
}

#[derive(Debug, Serialize)]
struct MetricsJson {
    clients: usize,
    messages_sent: u64,
    uptime: u64,
}

/// `GET /metrics`: seed 004's numbers, real ones.
async fn seed_metrics(State(state): State<AppState>) -> Json<MetricsJson> {
    Json(MetricsJson {
        clients: state.counters.clients(),
        messages_sent: state.counters.delivered(),
        uptime: state.started.elapsed().as_secs(),
    })
}

async fn not_found(uri: axum::http::Uri) -> Response {
    let message = format!(
        "no route for {}; the streams are /stream, /stream/time and /stream/timers",
        uri.path()
    );
    let mut response = ApiError::Status(axum::http::StatusCode::NOT_FOUND, message).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}
