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
        #[arg(long, default_value = "2s", value_parser = parse::positive_duration)]
        timeout: Duration,
        /// Probe liveness (the service's thread answers: what clocker up kills on)
        /// instead of readiness (it can work now: its database and the services it
        /// requires answer).
        #[arg(long)]
        live: bool,
    },
    /// Print the time, assembled through the clock services.
    Time(TimeCommand),
    /// Register, log in, show or end your session with the accounts service.
    ///
    /// The service is found at CLOCKER_ACCOUNTS_ADDR, else 127.0.0.1:50006.
    /// The session token is kept in $CLOCKER_CONFIG_DIR (default
    /// ~/.config/clocker) in session.json, readable by you alone.
    Account {
        #[command(subcommand)]
        command: AccountCommand,
    },
    /// Set a countdown timer over ZeroMQ (as seed 002's client), list or cancel them.
    ///
    /// With no arguments it asks for hours, minutes and seconds; then it
    /// counts down until the timer fires and rings the bell. Ctrl-C stops
    /// waiting but leaves the timer set. The service is found at
    /// CLOCKER_TIMERS_ZMQ (default tcp://127.0.0.1:8888); after `clocker
    /// account login` the timers are yours.
    Timer(TimerCommand),
    /// Ask the random service (seed 004) for a number, a string or a stream of points.
    ///
    /// The service is found at CLOCKER_RANDOM_ADDR, else 127.0.0.1:50051.
    Random {
        #[command(subcommand)]
        command: RandomCommand,
    },
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_is_consistent() {
        super::command().debug_assert();
    }
}
