//! The command line of `clocker`, as clap parses it: every command, flag and
//! environment variable, and how a service's flags become its [`Options`].
//!
//! It lives in the library, not in `main.rs`, so tests can check that a
//! command line (a container's, say) is one `clocker` accepts:
//! [`command`]`().try_get_matches_from(["clocker", "serve", …])`.

use std::ffi::OsString;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::bail;
use clap::parser::ValueSource;
use clap::{Args, CommandFactory, Parser, Subcommand};
use clocker_accounts::{AccountsConfig, ThrottlePolicy};
use clocker_funnel::FunnelConfig;
use clocker_gateway::GatewayConfig;
use clocker_proto::random::DataType;
use clocker_fleet::{Options, ServiceName};
use clocker_runtime::{ConnectionLimits, ReadinessSettings, Settings};
use clocker_store::{DatabaseSettings, StoreConfig};
use clocker_stream::StreamConfig;
use clocker_supervisor::child::LogFormat;
use clocker_time::Clock;
use clocker_timers::{TimerClock, TimerLimits, TimersConfig, ZmqLimits};

use crate::account::AccountCommand;
use crate::random::RandomCommand;
use crate::timer::TimerCommand;

/// The whole command line, as `clocker` parses it (`Cli::from_arg_matches`
/// turns its matches into a [`Cli`]).
pub fn command() -> clap::Command {
    Cli::command()
}

/// Clocker: a live clock assembled from gRPC microservices.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run every service on this machine, supervised, and print the URL to open.
    ///
    /// Each service runs as its own process (clocker serve NAME), started in
    /// dependency order once what it requires is ready. A service that stops
    /// answering its health probe for --kill-after is killed; one that exits
    /// is restarted with backoff (100 ms doubling to 5 s). Ctrl-C, SIGTERM or
    /// SIGHUP (the terminal closed) stops them in reverse order. `clocker ps`
    /// shows them.
    Up {
        /// Interface every service listens on.
        #[arg(long, env = "CLOCKER_HOST", default_value = "127.0.0.1")]
        host: IpAddr,
        /// Pick free ports instead of the default ones.
        #[arg(long)]
        ephemeral: bool,
        /// Only these services (comma-separated), and what they require.
        #[arg(long, value_delimiter = ',')]
        only: Vec<ServiceName>,
        /// Kill a service whose health probe fails for this long.
        #[arg(long, env = "CLOCKER_KILL_AFTER", default_value = "1s", value_parser = parse_positive_duration)]
        kill_after: Duration,
        /// How the services' logs are shown: plain (name | line) or json.
        #[arg(long, default_value = "plain", value_parser = parse_log_format)]
        log_format: LogFormat,
        /// Lines of output held for each of stdout and stderr while they do
        /// not keep up (a paused terminal, a slow log pipe); beyond, lines
        /// are dropped and counted, never waited for.
        #[arg(long, env = "CLOCKER_LOG_QUEUE_LINES", default_value_t = clocker_supervisor::output::DEFAULT_QUEUE_LINES, value_parser = parse_queue_lines)]
        log_queue_lines: usize,
        /// Where the supervisor answers clocker ps (loopback only by default).
        #[arg(long, env = "CLOCKER_CONTROL_ADDR", default_value = "127.0.0.1:0")]
        control_addr: SocketAddr,
        #[command(flatten)]
        service: ServiceArgs,
    },
    /// Show the services clocker up supervises: pid, address, state, restarts, uptime, last error.
    Ps {
        /// The supervisor's control address [default: from supervisor.json in the runtime directory].
        #[arg(long)]
        control: Option<SocketAddr>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Run one service: current-time, hours, minutes, seconds, milliseconds, funnel, accounts, timers, random, gateway or stream.
    ///
    /// The services it requires are found at CLOCKER_<SERVICE>_ADDR (for
    /// example CLOCKER_CURRENT_TIME_ADDR=127.0.0.1:50000), else on their default
    /// port on 127.0.0.1.
    Serve {
        /// The service to run.
        name: ServiceName,
        /// Where to listen [default: --host on the service's default port]; port 0 picks one.
        #[arg(long, env = "CLOCKER_LISTEN")]
        addr: Option<SocketAddr>,
        /// The interface to listen on when --addr is not given (0.0.0.0 in a
        /// container); timers' ZeroMQ socket listens there too unless --zmq-addr says otherwise.
        #[arg(long, env = "CLOCKER_HOST", default_value = "127.0.0.1")]
        host: IpAddr,
        #[command(flatten)]
        service: ServiceArgs,
    },
    /// Probe one service's readiness (or, with --live, its liveness): exit 0 if it is healthy, else 1 with one line saying why.
    ///
    /// Readiness: gRPC services are asked grpc.health.v1.Health/Check, the
    /// HTTP ones (funnel, gateway, stream) GET /health; a service that is not
    /// ready says why (its database, a service it requires). Liveness (what
    /// clocker up probes): Check for clocker.liveness, GET /livez. What a
    /// container's healthcheck runs: the image needs no curl. Without --addr it probes where `clocker
    /// serve NAME` listens given the same environment (CLOCKER_LISTEN, else
    /// CLOCKER_HOST on the service's default port), 0.0.0.0 or :: read as
    /// loopback.
    Health {
        /// The service to probe.
        name: ServiceName,
        /// Where it listens [default: CLOCKER_LISTEN, else 127.0.0.1 on the service's default port].
        #[arg(long, env = "CLOCKER_LISTEN")]
        addr: Option<SocketAddr>,
        /// The interface `clocker serve` listens on without --addr (as serve's --host).
        #[arg(long, env = "CLOCKER_HOST", default_value = "127.0.0.1", hide = true)]
        host: IpAddr,
        /// How long to wait for the answer.
        #[arg(long, default_value = "2s", value_parser = parse_positive_duration)]
        timeout: Duration,
        /// Probe liveness (the service's thread answers: what clocker up kills on)
        /// instead of readiness (it can work now: its database and the services it
        /// requires answer).
        #[arg(long)]
        live: bool,
    },
    /// Print the time, assembled through the clock services.
    Time {
        /// IANA time zone [default: this machine's].
        #[arg(long)]
        tz: Option<String>,
        /// Keep printing, one line per tick, until Ctrl-C.
        #[arg(long)]
        watch: bool,
        /// Time between lines with --watch.
        #[arg(long, default_value = "100ms", value_parser = parse_positive_duration)]
        every: Duration,
        /// Print the JSON frame the funnel would send.
        #[arg(long)]
        json: bool,
    },
    /// Register, log in, show or end your session with the accounts service.
    ///
    /// The service is found at CLOCKER_ACCOUNTS_ADDR, else 127.0.0.1:50006.
    /// The session token is kept in $CLOCKER_CONFIG_DIR (default
    /// ~/.config/clocker) in session.json, readable by you alone.
    Account {
        #[command(subcommand)]
        command: AccountArgs,
    },
    /// Set a countdown timer over ZeroMQ (as seed 002's client), list or cancel them.
    ///
    /// With no arguments it asks for hours, minutes and seconds; then it
    /// counts down until the timer fires and rings the bell. Ctrl-C stops
    /// waiting but leaves the timer set. The service is found at
    /// CLOCKER_TIMERS_ZMQ (default tcp://127.0.0.1:8888); after `clocker
    /// account login` the timers are yours.
    Timer(TimerArgs),
    /// Ask the random service (seed 004) for a number, a string or a stream of points.
    ///
    /// The service is found at CLOCKER_RANDOM_ADDR, else 127.0.0.1:50051.
    Random {
        #[command(subcommand)]
        command: RandomArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum RandomArgs {
    /// A number uniform in [MIN, MAX] (any 32-bit range).
    Number {
        #[arg(long, default_value_t = 1, allow_negative_numbers = true)]
        min: i32,
        #[arg(long, default_value_t = 100, allow_negative_numbers = true)]
        max: i32,
    },
    /// A string of letters, plus digits and special characters when asked.
    String {
        /// 1 to 1000 characters.
        #[arg(long, default_value_t = 10)]
        length: i32,
        /// Include 0-9.
        #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
        digits: bool,
        /// Include !@#$%^&*()-_=+[]{}|;:,.<>?/
        #[arg(long)]
        special: bool,
    },
    /// Points as they come, until Ctrl-C or --count.
    Stream {
        /// numeric, percentage or boolean.
        #[arg(long = "type", default_value = "numeric", value_parser = parse_data_type)]
        kind: DataType,
        /// Time between points (10ms to 1h).
        #[arg(long, default_value = "1s", value_parser = parse_positive_duration)]
        every: Duration,
        #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
        min: i32,
        #[arg(long, default_value_t = 100, allow_negative_numbers = true)]
        max: i32,
        /// Stop after this many points.
        #[arg(long)]
        count: Option<u64>,
        /// One JSON object per line, as the stream service's events.
        #[arg(long)]
        json: bool,
    },
}

impl From<RandomArgs> for RandomCommand {
    fn from(args: RandomArgs) -> Self {
        match args {
            RandomArgs::Number { min, max } => RandomCommand::Number { min, max },
            RandomArgs::String {
                length,
                digits,
                special,
            } => RandomCommand::String {
                length,
                digits,
                special,
            },
            RandomArgs::Stream {
                kind,
                every,
                min,
                max,
                count,
                json,
            } => RandomCommand::Stream {
                kind,
                every,
                min,
                max,
                count,
                json,
            },
        }
    }
}

fn parse_data_type(input: &str) -> Result<DataType, String> {
    match input {
        "numeric" => Ok(DataType::Numeric),
        "percentage" => Ok(DataType::Percentage),
        "boolean" => Ok(DataType::Boolean),
        _ => Err(format!("'{input}' is not numeric, percentage or boolean")),
    }
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct TimerArgs {
    #[command(subcommand)]
    pub action: Option<TimerAction>,
    /// HOURS MINUTES SECONDS (asked for when left out).
    #[arg(num_args = 3, value_names = ["HOURS", "MINUTES", "SECONDS"])]
    pub duration: Option<Vec<String>>,
    /// A name for the timer.
    #[arg(long)]
    pub label: Option<String>,
    /// Print the reply and exit instead of counting down.
    #[arg(long)]
    pub no_wait: bool,
    /// The timer service's ZeroMQ endpoint.
    #[arg(long, env = "CLOCKER_TIMERS_ZMQ", default_value = clocker_timers::DEFAULT_ZMQ_ENDPOINT)]
    pub zmq: String,
}

#[derive(Debug, Subcommand)]
pub enum TimerAction {
    /// Your timers, newest first (log in first: anonymous timers are never listed).
    List {
        #[arg(long, env = "CLOCKER_TIMERS_ZMQ", default_value = clocker_timers::DEFAULT_ZMQ_ENDPOINT)]
        zmq: String,
    },
    /// Cancel a pending timer.
    Cancel {
        id: String,
        #[arg(long, env = "CLOCKER_TIMERS_ZMQ", default_value = clocker_timers::DEFAULT_ZMQ_ENDPOINT)]
        zmq: String,
    },
}

impl TimerArgs {
    pub fn command(self) -> (TimerCommand, String) {
        match self.action {
            Some(TimerAction::List { zmq }) => (TimerCommand::List, zmq),
            Some(TimerAction::Cancel { id, zmq }) => (TimerCommand::Cancel { id }, zmq),
            None => {
                let fields = self.duration.and_then(|d| <[String; 3]>::try_from(d).ok());
                let command = TimerCommand::Set {
                    fields,
                    label: self.label,
                    no_wait: self.no_wait,
                };
                (command, self.zmq)
            }
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum AccountArgs {
    /// Create an account (the password is asked twice, without echo).
    Register {
        /// 3-32 of a-z, 0-9, '_', '.', '-' (upper case is folded to lower).
        username: Option<String>,
        /// Read the password as one line from standard input (for scripts).
        #[arg(long)]
        password_stdin: bool,
    },
    /// Log in and keep the session token for the other commands.
    Login {
        username: Option<String>,
        /// Read the password as one line from standard input (for scripts).
        #[arg(long)]
        password_stdin: bool,
    },
    /// Show who the saved session belongs to.
    #[command(name = "whoami")]
    WhoAmI,
    /// End the saved session and forget its token.
    Logout,
}

impl From<AccountArgs> for AccountCommand {
    fn from(args: AccountArgs) -> Self {
        match args {
            AccountArgs::Register {
                username,
                password_stdin,
            } => AccountCommand::Register {
                username,
                password_stdin,
            },
            AccountArgs::Login {
                username,
                password_stdin,
            } => AccountCommand::Login {
                username,
                password_stdin,
            },
            AccountArgs::WhoAmI => AccountCommand::WhoAmI,
            AccountArgs::Logout => AccountCommand::Logout,
        }
    }
}

/// Settings every service takes (each uses the ones that concern it).
#[derive(Debug, Args)]
pub struct ServiceArgs {
    /// The longest a gRPC method may take before it answers DEADLINE_EXCEEDED.
    #[arg(long, env = "CLOCKER_BUDGET", default_value = "50ms", value_parser = parse_positive_duration)]
    pub budget: Duration,
    /// How long in-flight calls may finish after Ctrl-C or SIGTERM.
    #[arg(long, env = "CLOCKER_DRAIN", default_value = "5s", value_parser = parse_duration)]
    pub drain: Duration,
    /// Time between two rounds of readiness checks (a database answers, the
    /// services a service requires answer): what /health and gRPC health report.
    #[arg(long, env = "CLOCKER_READINESS_EVERY", default_value = "1s", value_parser = parse_positive_duration)]
    pub readiness_every: Duration,
    /// How long one readiness check may take before it counts as failed.
    #[arg(long, env = "CLOCKER_READINESS_TIMEOUT", default_value = "1s", value_parser = parse_positive_duration)]
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
    #[arg(long, env = "CLOCKER_TICK", default_value = "50ms", value_parser = parse_positive_duration)]
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
    #[arg(long, env = "CLOCKER_ZMQ_HANDSHAKE_TIMEOUT", default_value = "5s", value_parser = parse_positive_duration)]
    pub zmq_handshake_timeout: Duration,
    /// timers: time a ZeroMQ reply may take to write; a peer that does not read longer is dropped.
    #[arg(long, env = "CLOCKER_ZMQ_WRITE_TIMEOUT", default_value = "5s", value_parser = parse_positive_duration)]
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
    #[arg(long, env = "CLOCKER_SESSION_TTL", default_value = "30d", value_parser = parse_positive_duration)]
    pub session_ttl: Duration,
    /// timers: how often an open watch (WatchTimers, the stream's /stream/timers)
    /// checks that its session is still valid; a logout ends it within this.
    #[arg(long, env = "CLOCKER_SESSION_RECHECK", default_value = "5s", value_parser = parse_positive_duration)]
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
    #[arg(long, env = "CLOCKER_TIMER_RETENTION", default_value = "7d", value_parser = parse_positive_duration)]
    pub timer_retention: Duration,
    #[command(flatten)]
    pub database: DatabaseArgs,
}

/// What every port (HTTP, gRPC, the supervisor's control endpoint) lets
/// its clients hold, and for how long. See the README's connection budgets.
#[derive(Debug, Args)]
pub struct ConnectionArgs {
    /// Connections open at once on one port (lowered to fit the open-file limit).
    #[arg(long, env = "CLOCKER_MAX_CONNECTIONS", default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,
    /// Connections open at once on one port from one client address.
    #[arg(long, env = "CLOCKER_MAX_CONNECTIONS_PER_ADDRESS", default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections_per_address: u32,
    /// How long a client may take to send a request head (also how long a kept-alive HTTP/1 connection may wait for its next request).
    #[arg(long, env = "CLOCKER_HEADER_TIMEOUT", default_value = "10s", value_parser = parse_positive_duration)]
    pub header_timeout: Duration,
    /// How long a connection may stay open with no request in flight.
    #[arg(long, env = "CLOCKER_IDLE_TIMEOUT", default_value = "60s", value_parser = parse_positive_duration)]
    pub idle_timeout: Duration,
    /// How long a write to a client may make no progress before the connection is closed (the stream's /stream).
    #[arg(long, env = "CLOCKER_WRITE_TIMEOUT", default_value = "10s", value_parser = parse_positive_duration)]
    pub write_timeout: Duration,
    /// Time between HTTP/2 keepalive pings.
    #[arg(long, env = "CLOCKER_HTTP2_KEEPALIVE", default_value = "20s", value_parser = parse_positive_duration)]
    pub http2_keepalive: Duration,
    /// How long an HTTP/2 keepalive ping may go unanswered before the connection is closed.
    #[arg(long, env = "CLOCKER_HTTP2_KEEPALIVE_TIMEOUT", default_value = "10s", value_parser = parse_positive_duration)]
    pub http2_keepalive_timeout: Duration,
    /// Requests in flight at once on one HTTP/2 (gRPC) connection.
    #[arg(long, env = "CLOCKER_MAX_STREAMS", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_streams: u32,
    /// Idle time before TCP keepalive probes (a peer that vanished is closed about twice this later).
    #[arg(long, env = "CLOCKER_TCP_KEEPALIVE", default_value = "30s", value_parser = parse_positive_duration)]
    pub tcp_keepalive: Duration,
}

impl ConnectionArgs {
    pub fn limits(&self) -> ConnectionLimits {
        ConnectionLimits {
            max_connections: self.max_connections as usize,
            max_per_address: self.max_connections_per_address as usize,
            header_timeout: self.header_timeout,
            idle_timeout: self.idle_timeout,
            http2_keepalive: self.http2_keepalive,
            http2_keepalive_timeout: self.http2_keepalive_timeout,
            tcp_keepalive: self.tcp_keepalive,
            max_streams: self.max_streams,
            write_timeout: self.write_timeout,
        }
    }
}

/// accounts: how password hashing and guessing are limited (README, Accounts).
#[derive(Debug, Args)]
pub struct LoginLimitArgs {
    /// accounts and timers: peers whose x-forwarded-for names the client (the gateway's addresses), comma-separated.
    #[arg(
        long,
        env = "CLOCKER_TRUSTED_PROXIES",
        value_delimiter = ',',
        default_value = "127.0.0.1,::1"
    )]
    pub trusted_proxies: Vec<IpAddr>,
    /// accounts: passwords hashed at once, each on a thread of its own (16 more may wait each) [default: one per core].
    #[arg(long, env = "CLOCKER_HASH_THREADS", value_parser = clap::value_parser!(u16).range(1..))]
    pub hash_threads: Option<u16>,
    /// accounts: failed logins for one name from one address before each further one delays the next (1 s, doubling).
    #[arg(long, env = "CLOCKER_LOGIN_FREE_FAILURES", default_value_t = 5)]
    pub login_free_failures: u32,
    /// accounts: failed logins from one address, whatever the names, before delays begin.
    #[arg(
        long,
        env = "CLOCKER_LOGIN_ADDRESS_FREE_FAILURES",
        default_value_t = 30
    )]
    pub login_address_free_failures: u32,
    /// accounts: failed logins for one name from all addresses before delays begin for addresses it never logged in from.
    #[arg(long, env = "CLOCKER_LOGIN_NAME_FREE_FAILURES", default_value_t = 100)]
    pub login_name_free_failures: u32,
    /// accounts: the longest delay between failed logins.
    #[arg(long, env = "CLOCKER_LOGIN_MAX_DELAY", default_value = "15m", value_parser = parse_positive_duration)]
    pub login_max_delay: Duration,
    /// accounts: registrations one address may make at once; then one per --register-every.
    #[arg(long, env = "CLOCKER_REGISTER_BURST", default_value_t = 20)]
    pub register_burst: u32,
    /// accounts: how often an address gets one more registration once its burst is spent.
    #[arg(long, env = "CLOCKER_REGISTER_EVERY", default_value = "6s", value_parser = parse_positive_duration)]
    pub register_every: Duration,
}

impl LoginLimitArgs {
    fn apply(self, config: AccountsConfig) -> AccountsConfig {
        AccountsConfig {
            hash_concurrency: self
                .hash_threads
                .map_or(config.hash_concurrency, usize::from),
            trusted_proxies: self.trusted_proxies,
            throttle: ThrottlePolicy {
                free_failures: self.login_free_failures,
                address_free_failures: self.login_address_free_failures,
                name_free_failures: self.login_name_free_failures,
                max_delay: self.login_max_delay,
                register_burst: self.register_burst,
                register_every: self.register_every,
                ..config.throttle
            },
            ..config
        }
    }
}

/// Where accounts (and later timers) are stored: SQLite under --data-dir
/// unless PostgreSQL is configured. Also read from a .env file.
#[derive(Debug, Args)]
pub struct DatabaseArgs {
    /// Directory of the SQLite database [default: $XDG_DATA_HOME/clocker or ~/.local/share/clocker].
    #[arg(long, env = "CLOCKER_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// postgres://user:password@host:port/database (wins over POSTGRES_*), or sqlite://path.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// PostgreSQL host; setting it (or POSTGRES_DATABASE) selects PostgreSQL.
    #[arg(long, env = "POSTGRES_HOST")]
    pub postgres_host: Option<String>,
    /// PostgreSQL port [default: 5432].
    #[arg(long, env = "POSTGRES_PORT")]
    pub postgres_port: Option<u16>,
    /// PostgreSQL user [default: postgres].
    #[arg(long, env = "POSTGRES_USER")]
    pub postgres_user: Option<String>,
    /// PostgreSQL password (prefer the environment or .env to the command line).
    #[arg(long, env = "POSTGRES_PASSWORD", hide_env_values = true)]
    pub postgres_password: Option<String>,
    /// PostgreSQL database [default: the user name].
    #[arg(long, env = "POSTGRES_DATABASE")]
    pub postgres_database: Option<String>,
}

impl DatabaseArgs {
    pub fn store_config(self) -> anyhow::Result<StoreConfig> {
        let settings = DatabaseSettings {
            url: self.database_url,
            postgres_host: self.postgres_host,
            postgres_port: self.postgres_port,
            postgres_user: self.postgres_user,
            postgres_password: self.postgres_password,
            postgres_database: self.postgres_database,
            data_dir: self
                .data_dir
                .unwrap_or_else(clocker_store::default_data_dir),
        };
        Ok(StoreConfig::resolve(&settings)?)
    }
}

impl ServiceArgs {
    pub fn options(self) -> anyhow::Result<Options> {
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
        Ok(Options {
            settings: Settings {
                budget: self.budget,
                drain: self.drain,
                connections: self.connections.limits(),
                readiness: ReadinessSettings {
                    every: self.readiness_every,
                    timeout: self.readiness_timeout,
                },
                ..Settings::default()
            },
            clock: self.clock,
            funnel: FunnelConfig {
                tick: self.tick,
                default_zone: self.tz.unwrap_or_else(local_zone_name),
                gateway_url: self.gateway_url,
                stream_url: self.stream_url,
                supervisor: self.supervisor_control,
                unsent_limit_bytes: self.unsent_limit,
                supervisor_token: self.supervisor_token,
                allowed_hosts: self.allowed_hosts.clone(),
                admin_addr: self.admin_addr,
                ..FunnelConfig::default()
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
                    trusted_proxies: trusted_proxies.clone(),
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

pub fn parse_duration(input: &str) -> Result<Duration, String> {
    let not_a_duration = || format!("'{input}' is not a duration (for example 50ms, 2s, 1m, 30d)");
    let signed: jiff::SignedDuration = match input.parse() {
        Ok(signed) => signed,
        // Days and weeks, counted as 24 hours each.
        Err(_) => input
            .parse::<jiff::Span>()
            .and_then(|span| span.to_duration(jiff::SpanRelativeTo::days_are_24_hours()))
            .map_err(|_| not_a_duration())?,
    };
    Duration::try_from(signed).map_err(|_| format!("'{input}' must not be negative"))
}

pub fn parse_positive_duration(input: &str) -> Result<Duration, String> {
    match parse_duration(input)? {
        zero if zero.is_zero() => Err(format!("'{input}' must be longer than 0")),
        positive => Ok(positive),
    }
}

/// The settings given on `up`'s command line, as the environment variables
/// `clocker serve` reads them from.
pub fn forwarded_settings(up: &clap::ArgMatches) -> Vec<(String, String)> {
    let command = Cli::command();
    let Some(up_command) = command.find_subcommand("up") else {
        return Vec::new();
    };
    up_command
        .get_arguments()
        .filter(|arg| up.value_source(arg.get_id().as_str()) == Some(ValueSource::CommandLine))
        .filter_map(|arg| {
            let var = arg.get_env()?.to_str()?.to_owned();
            // Handled by `up` itself.
            if [
                "CLOCKER_HOST",
                "CLOCKER_KILL_AFTER",
                "CLOCKER_CONTROL_ADDR",
                "CLOCKER_ZMQ_ADDR",
                "CLOCKER_LOG_QUEUE_LINES",
            ]
            .contains(&var.as_str())
            {
                return None;
            }
            let values: Vec<String> = up
                .get_raw(arg.get_id().as_str())?
                .map(|value| value.to_string_lossy().into_owned())
                .collect();
            Some((var, values.join(",")))
        })
        .collect()
}

/// A queue length in lines: 1 to a million.
fn parse_queue_lines(input: &str) -> Result<usize, String> {
    match input.parse::<usize>() {
        Ok(lines @ 1..=1_000_000) => Ok(lines),
        _ => Err(format!(
            "'{input}' is not a number of lines from 1 to 1000000"
        )),
    }
}

fn parse_log_format(input: &str) -> Result<LogFormat, String> {
    match input {
        "plain" => Ok(LogFormat::Plain),
        "json" => Ok(LogFormat::Json),
        _ => Err(format!("'{input}' is not plain or json")),
    }
}

/// The `.env` file the command line `args` reads: only `serve` and `up`
/// read one, and only from the working directory `cwd`, never from a parent
/// (whose `.env` could send another command — and a password — elsewhere).
pub fn dotenv_file(args: &[OsString], cwd: &Path) -> Option<PathBuf> {
    let command = args.get(1)?.to_str()?;
    matches!(command, "serve" | "up").then(|| cwd.join(".env"))
}

pub fn local_zone_name() -> String {
    clocker_time::fields::zone_name(&clocker_time::fields::local_zone()).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &[&str]) -> Vec<OsString> {
        line.iter().map(OsString::from).collect()
    }

    #[test]
    fn only_serve_and_up_read_the_working_directorys_env_file() {
        let cwd = Path::new("/work/here");
        for line in [&["clocker", "serve", "hours"][..], &["clocker", "up"]] {
            assert_eq!(
                dotenv_file(&args(line), cwd),
                Some(PathBuf::from("/work/here/.env")),
                "{line:?}"
            );
        }
        for line in [
            &["clocker", "account", "login", "alice"][..],
            &["clocker", "ps"],
            &["clocker", "time"],
            &["clocker"],
        ] {
            assert_eq!(dotenv_file(&args(line), cwd), None, "{line:?}");
        }
    }
}
