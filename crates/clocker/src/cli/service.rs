//! The settings every service takes (`clocker serve` and `clocker up`), and
//! how they become each service's configuration ([`FleetConfig`]).
//!
//! Layout: [`ServiceArgs`] here, with its groups beside it:
//! `connections` (what a port lets its clients hold), `login_limits`
//! (accounts' guessing limits) and `database` (where accounts and timers
//! keep their data).

mod connections;
mod database;
mod login_limits;

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::bail;
use clap::Args;
use clocker_accounts::AccountsConfig;
use clocker_funnel::FunnelConfig;
use clocker_gateway::GatewayConfig;
use clocker_runtime::{ReadinessConfig, RuntimeConfig, default_shards};
use clocker_stream::StreamConfig;
use clocker_time::Clock;
use clocker_timers::{TimerClock, TimerLimits, TimersConfig, ZmqLimits};

pub use connections::ConnectionArgs;
pub use database::DatabaseArgs;
pub use login_limits::LoginLimitArgs;

use super::parse;
use clocker_fleet::FleetConfig;

/// Settings every service takes (each uses the ones that concern it).
#[derive(Debug, Args)]
pub struct ServiceArgs {
    /// The longest a gRPC method may take before it answers DEADLINE_EXCEEDED.
    #[arg(long, env = "CLOCKER_BUDGET", default_value = "50ms", value_parser = parse::positive_duration)]
    pub budget: Duration,
    /// How long in-flight calls may finish after Ctrl-C or SIGTERM.
    #[arg(long, env = "CLOCKER_DRAIN", default_value = "5s", value_parser = parse::duration)]
    pub drain: Duration,
    /// gateway, funnel, stream: shards to run, each a thread accepting on its own SO_REUSEPORT listener of the port (the kernel spreads connections over them), 1 to 256 [default: the cores this process may use].
    #[arg(long, env = "CLOCKER_SHARDS", value_parser = parse::shards)]
    pub shards: Option<usize>,
    /// Time between two rounds of readiness checks (a database answers, the
    /// services a service requires answer): what /health and gRPC health report.
    #[arg(long, env = "CLOCKER_READINESS_EVERY", default_value = "1s", value_parser = parse::positive_duration)]
    pub readiness_every: Duration,
    /// How long one readiness check may take before it counts as failed.
    #[arg(long, env = "CLOCKER_READINESS_TIMEOUT", default_value = "1s", value_parser = parse::positive_duration)]
    pub readiness_timeout: Duration,
    /// current-time's clock (no other service's): system, offset:<duration> (offset:-90s),
    /// start:<RFC 3339> (a running clock that starts there), frozen:<RFC 3339>,
    /// or stepping:<RFC 3339>/<step> (one step further at every read).
    #[arg(long, env = "CLOCKER_CLOCK", default_value = "system")]
    pub clock: Clock,
    /// timers: the clock timers are set and fired by: system, or
    /// offset:<duration> (offset:+15m) to see timers that fell due while the
    /// service was down. Never current-time's --clock.
    #[arg(long, env = "CLOCKER_TIMERS_CLOCK", default_value = "system")]
    pub timers_clock: TimerClock,
    /// funnel: time between frames (50ms is 20 Hz).
    #[arg(long, env = "CLOCKER_TICK", default_value = "50ms", value_parser = parse::positive_duration)]
    pub tick: Duration,
    /// funnel: time zone of clients that name none [default: this machine's].
    #[arg(long, env = "CLOCKER_TZ")]
    pub tz: Option<String>,
    /// timers: where the ZeroMQ socket listens [default: tcp://127.0.0.1:8888; with up, on --host].
    #[arg(long, env = "CLOCKER_ZMQ_ADDR")]
    pub zmq_addr: Option<String>,
    /// timers: ZeroMQ connections open at once; more are refused.
    #[arg(long, env = "CLOCKER_ZMQ_MAX_CONNECTIONS", default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..))]
    pub zmq_max_connections: u32,
    /// timers: ZeroMQ connections open at once from one IP address; more are refused.
    #[arg(long, env = "CLOCKER_ZMQ_MAX_CONNECTIONS_PER_ADDRESS", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..))]
    pub zmq_max_connections_per_address: u32,
    /// timers: time a new ZeroMQ connection has for its greeting and READY.
    #[arg(long, env = "CLOCKER_ZMQ_HANDSHAKE_TIMEOUT", default_value = "5s", value_parser = parse::positive_duration)]
    pub zmq_handshake_timeout: Duration,
    /// timers: time a ZeroMQ reply may take to write; a peer that does not read longer is dropped.
    #[arg(long, env = "CLOCKER_ZMQ_WRITE_TIMEOUT", default_value = "5s", value_parser = parse::positive_duration)]
    pub zmq_write_timeout: Duration,
    /// gateway, stream: origins browsers may call from, comma-separated ('*' for any) [default: the funnel's].
    #[arg(
        long = "cors-origin",
        env = "CLOCKER_CORS_ORIGINS",
        value_delimiter = ','
    )]
    pub cors_origins: Vec<String>,
    /// funnel, stream: the most bytes a client's socket may hold written but unsent (TCP_NOTSENT_LOWAT); a client that stops reading then blocks writes, and is dropped after the send or write timeout.
    #[arg(long, env = "CLOCKER_UNSENT_LIMIT", default_value_t = 4096, value_parser = clap::value_parser!(u32).range(1..))]
    pub unsent_limit: u32,
    /// funnel: the gateway's URL as the page should use it ('/' for the page's own origin) [default: the browser's host with the gateway's port].
    #[arg(long, env = "CLOCKER_GATEWAY_URL")]
    pub gateway_url: Option<String>,
    /// funnel: the stream's URL as the page should use it ('/' for the page's own origin) [default: the browser's host with the stream's port].
    #[arg(long, env = "CLOCKER_STREAM_URL")]
    pub stream_url: Option<String>,
    /// funnel: the supervisor's control address (set by clocker up), for /status.json.
    #[arg(long, env = "CLOCKER_SUPERVISOR_CONTROL", hide = true)]
    pub supervisor_control: Option<SocketAddr>,
    /// funnel: the token the supervisor's control endpoint asks for (set by clocker up).
    #[arg(
        long,
        env = "CLOCKER_SUPERVISOR_TOKEN",
        hide = true,
        hide_env_values = true
    )]
    pub supervisor_token: Option<String>,
    /// funnel, gateway: host names they answer besides localhost and IP addresses, comma-separated (an Ingress's host; '*' for any); pages on them may also open the funnel's WebSocket.
    #[arg(
        long = "allowed-host",
        env = "CLOCKER_ALLOWED_HOSTS",
        value_delimiter = ','
    )]
    pub allowed_hosts: Vec<String>,
    /// funnel: also serve the full /status.json (pids, addresses, errors) and /metrics here, e.g. 127.0.0.1:9080; the public port's /status.json is then redacted [default: none].
    #[arg(long, env = "CLOCKER_ADMIN_ADDR")]
    pub admin_addr: Option<SocketAddr>,
    /// accounts: how long a session lasts after login.
    #[arg(long, env = "CLOCKER_SESSION_TTL", default_value = "30d", value_parser = parse::positive_duration)]
    pub session_ttl: Duration,
    /// timers: how often an open watch (WatchTimers, the stream's /stream/timers)
    /// checks that its session is still valid; a logout ends it within this.
    #[arg(long, env = "CLOCKER_SESSION_RECHECK", default_value = "5s", value_parser = parse::positive_duration)]
    pub session_recheck: Duration,
    #[command(flatten)]
    pub connections: ConnectionArgs,
    #[command(flatten)]
    pub login_limits: LoginLimitArgs,
    /// timers: pending timers one account may have (0: no quota).
    #[arg(long, env = "CLOCKER_TIMER_QUOTA_ACCOUNT", default_value_t = clocker_timers::DEFAULT_PENDING_PER_ACCOUNT)]
    pub timer_quota_account: u32,
    /// timers: pending anonymous timers one client address (an IPv6 /64) may have (0: no quota).
    #[arg(long, env = "CLOCKER_TIMER_QUOTA_ANONYMOUS", default_value_t = clocker_timers::DEFAULT_PENDING_PER_ADDRESS)]
    pub timer_quota_anonymous: u32,
    /// timers: how long ended timers and their events are kept.
    #[arg(long, env = "CLOCKER_TIMER_RETENTION", default_value = "7d", value_parser = parse::positive_duration)]
    pub timer_retention: Duration,
    #[command(flatten)]
    pub database: DatabaseArgs,
}

impl ServiceArgs {
    /// Every service's configuration, from these flags; fails on a bad
    /// setting (an unknown --tz, an unusable database setting).
    pub fn config(self) -> anyhow::Result<FleetConfig> {
        let database = self.database.store_config()?;
        if let Some(tz) = &self.tz
            && clocker_runtime::time_zone(tz).is_err()
        {
            bail!(
                "--tz: unknown time zone '{tz}' (expected an IANA name such as Europe/Paris or UTC)"
            );
        }
        // Both accounts and timers key limits on the client a proxy names.
        let trusted_proxies = self.login_limits.trusted_proxies.clone();
        Ok(FleetConfig {
            settings: RuntimeConfig {
                budget: self.budget,
                drain: self.drain,
                shards: self.shards.unwrap_or_else(default_shards),
                connections: self.connections.limits(),
                readiness: ReadinessConfig {
                    every: self.readiness_every,
                    timeout: self.readiness_timeout,
                },
                ..RuntimeConfig::default()
            },
            clock: self.clock,
            funnel: FunnelConfig {
                tick: self.tick,
                default_zone: self.tz.unwrap_or_else(crate::time::local_zone_name),
                gateway_url: self.gateway_url,
                stream_url: self.stream_url,
                supervisor: self.supervisor_control,
                unsent_limit_bytes: self.unsent_limit,
                supervisor_token: self.supervisor_token,
                allowed_hosts: self.allowed_hosts.clone(),
                admin_addr: self.admin_addr,
            },
            gateway: GatewayConfig {
                cors_origins: self.cors_origins.clone(),
                allowed_hosts: self.allowed_hosts,
                ..GatewayConfig::default()
            },
            stream: StreamConfig {
                cors_origins: self.cors_origins,
                unsent_limit_bytes: self.unsent_limit,
                ..StreamConfig::default()
            },
            accounts: self.login_limits.apply(AccountsConfig {
                database: database.clone(),
                session_ttl: self.session_ttl,
                ..AccountsConfig::default()
            }),
            timers: TimersConfig {
                database,
                zmq_endpoint: self
                    .zmq_addr
                    .unwrap_or_else(|| clocker_timers::DEFAULT_ZMQ_ENDPOINT.to_owned()),
                session_recheck: self.session_recheck,
                clock: self.timers_clock,
                limits: TimerLimits {
                    pending_per_account: self.timer_quota_account,
                    pending_per_address: self.timer_quota_anonymous,
                    retention: self.timer_retention,
                    trusted_proxies,
                },
                zmq_limits: ZmqLimits {
                    max_connections: self.zmq_max_connections as usize,
                    max_connections_per_address: self.zmq_max_connections_per_address as usize,
                    handshake_timeout: self.zmq_handshake_timeout,
                    write_timeout: self.zmq_write_timeout,
                    ..ZmqLimits::default()
                },
            },
        })
    }
}
