//! The command line of `clocker`, as clap parses it: every command, flag and
//! environment variable, and how a service's flags become its [`FleetConfig`](clocker_fleet::FleetConfig).
//!
//! It lives in the library, not in `main.rs`, so tests can check that a
//! command line (a container's, say) is one `clocker` accepts:
//! [`command`]`().try_get_matches_from(["clocker", "serve", …])`.
//!
//! Layout:
//! - here: [`Cli`] and [`Command`], what the user types; the client commands
//!   carry their own flags ([`RandomCommand`], [`AccountCommand`],
//!   [`TimerCommand`], [`TimeCommand`]);
//! - `service`: the settings every service takes ([`ServiceArgs`] and its
//!   groups) and how they become each service's configuration;
//! - `environment`: the `.env` file ([`dotenv_file`]) and the settings `up`
//!   hands its children ([`forwarded_settings`]);
//! - [`parse`]: the parsers of flag values (durations, queue lengths, log
//!   formats, kinds of random data).

mod environment;
pub mod parse;
mod service;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use clap::{CommandFactory, Parser, Subcommand};
use clocker_fleet::ServiceName;
use clocker_supervisor::child::LogFormat;

pub use environment::{dotenv_file, forwarded_settings};
pub use service::{ConnectionArgs, DatabaseArgs, LoginLimitArgs, ServiceArgs};

use crate::account::AccountCommand;
use crate::random::RandomCommand;
use crate::time::TimeCommand;
use crate::timer::TimerCommand;

/// The whole command line, as `clocker` parses it (`Cli::from_arg_matches`
/// turns its matches into a [`Cli`]).
pub fn command() -> clap::Command {
    Cli::command()
}

/// Clocker: a live clock made of small services. Start them with `clocker up`, then open the URL it prints, or ask them from here (`clocker time`, `clocker timer`, `clocker random`).
#[derive(Debug, Parser)]
#[command(version, long_about = None, propagate_version = true)]
pub struct Cli {
    /// Show the client commands' log lines on stderr (-v: info, -vv: debug; RUST_LOG then applies). Services log regardless.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
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
    ///
    /// Example: clocker up, then open http://127.0.0.1:8080
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
        #[arg(long, env = "CLOCKER_KILL_AFTER", default_value = "1s", value_parser = parse::positive_duration)]
        kill_after: Duration,
        /// How the services' logs are shown: plain (name | line) or json.
        #[arg(long, default_value = "plain", value_parser = parse::log_format)]
        log_format: LogFormat,
        /// Lines of output held for each of stdout and stderr while they do
        /// not keep up (a paused terminal, a slow log pipe); beyond, lines
        /// are dropped and counted, never waited for.
        #[arg(long, env = "CLOCKER_LOG_QUEUE_LINES", default_value_t = clocker_supervisor::output::DEFAULT_QUEUE_LINES, value_parser = parse::queue_lines)]
        log_queue_lines: usize,
        /// Where the supervisor answers clocker ps (loopback only by default).
        #[arg(long, env = "CLOCKER_CONTROL_ADDR", default_value = "127.0.0.1:0")]
        control_addr: SocketAddr,
        #[command(flatten)]
        service: ServiceArgs,
    },
    /// Show the services `clocker up` runs here: pid, address, state, restarts, uptime, last error.
    ///
    /// With no fleet running here it says so and exits with status 1. The
    /// fleet is found through supervisor.json in $CLOCKER_RUNTIME_DIR
    /// (default $XDG_RUNTIME_DIR/clocker, else /tmp/clocker-UID).
    ///
    /// Example: clocker ps --json
    Ps {
        /// The supervisor's control address [default: from supervisor.json in the runtime directory].
        #[arg(long)]
        control: Option<SocketAddr>,
        /// Print JSON (an array of rows) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Run one service: current-time, hours, minutes, seconds, milliseconds, funnel, accounts, timers, random, gateway or stream.
    ///
    /// What `clocker up` runs once per service; run it yourself to place
    /// services on other machines or in containers. The services it requires
    /// are found at CLOCKER_<SERVICE>_ADDR (for example
    /// CLOCKER_CURRENT_TIME_ADDR=127.0.0.1:50000), else on their default
    /// port on 127.0.0.1. Every flag below can also be set by the environment
    /// variable it names, or in a .env file in the working directory.
    ///
    /// Example: clocker serve hours --addr 127.0.0.1:50001
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
    /// Check that one service is ready (or, with --live, alive): exit 0 if it is, else 1 with one line saying why.
    ///
    /// Ready means it can work now: gRPC services answer their health check,
    /// the web ones (funnel, gateway, stream) GET /health, and one that is
    /// not ready says why (its database, a service it requires). Alive
    /// (--live) means its thread answers: what `clocker up` checks before it
    /// kills a service. Containers' healthchecks run it, so an image needs
    /// no curl. Without --addr it asks where `clocker serve NAME` listens
    /// given the same environment (CLOCKER_LISTEN, else CLOCKER_HOST on the
    /// service's default port; 0.0.0.0 or :: read as loopback).
    ///
    /// Example: clocker health timers --addr 127.0.0.1:50005
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
        #[arg(long, default_value = "2s", value_parser = parse::positive_duration)]
        timeout: Duration,
        /// Probe liveness (the service's thread answers: what clocker up kills on)
        /// instead of readiness (it can work now: its database and the services it
        /// requires answer).
        #[arg(long)]
        live: bool,
        /// Print one JSON object (service, addr, probe, healthy, round_trip_ms, error).
        #[arg(long)]
        json: bool,
    },
    /// Print the time, as the clock services tell it.
    ///
    /// The time is read from current-time and split into hours, minutes,
    /// seconds and milliseconds by their own services, as the web page shows
    /// it. The services are found at CLOCKER_<SERVICE>_ADDR (for example
    /// CLOCKER_CURRENT_TIME_ADDR=127.0.0.1:50000), else on their default
    /// ports on 127.0.0.1.
    ///
    /// Examples: clocker time --tz Asia/Tokyo; clocker time --watch --every 1s
    Time(TimeCommand),
    /// Create an account, log in or out, or show who you are logged in as.
    ///
    /// Logged in, your timers are your own (`clocker timer list` shows
    /// them). The service is found at CLOCKER_ACCOUNTS_ADDR, else
    /// 127.0.0.1:50006. The session is kept in $CLOCKER_CONFIG_DIR (default
    /// ~/.config/clocker) in session.json, readable by you alone.
    ///
    /// Example: clocker account register alice, then clocker account login alice
    Account {
        #[command(subcommand)]
        command: AccountCommand,
    },
    /// Set a countdown timer and wait for it to ring; list or cancel your timers.
    ///
    /// Give the duration as HOURS MINUTES SECONDS, or nothing to be asked for
    /// each. It counts down until the timer fires and rings the bell; Ctrl-C
    /// stops waiting but leaves the timer set. Logged in (clocker account
    /// login), the timers are yours and `clocker timer list` shows them. The
    /// timer service is found at CLOCKER_TIMERS_ZMQ (default
    /// tcp://127.0.0.1:8888).
    ///
    /// Examples: clocker timer 0 1 30 --label tea; clocker timer 0 25 0 --no-wait; clocker timer list
    Timer(TimerCommand),
    /// Ask the random service for a number, a string or a stream of points.
    ///
    /// The service is found at CLOCKER_RANDOM_ADDR, else 127.0.0.1:50051.
    ///
    /// Examples: clocker random number --min 1 --max 6; clocker random stream --count 5
    Random {
        #[command(subcommand)]
        command: RandomCommand,
    },
}

impl Command {
    /// Whether this is a client command (it asks services, and logs only
    /// with -v), not one that runs services (`up`, `serve`).
    pub fn is_client(&self) -> bool {
        !matches!(self, Command::Up { .. } | Command::Serve { .. })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_is_consistent() {
        super::command().debug_assert();
    }
}
