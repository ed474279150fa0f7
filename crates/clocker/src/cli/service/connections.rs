//! What every port of a service lets its clients hold, and for how long.

use std::time::Duration;

use clap::Args;
use clocker_runtime::ConnectionLimits;

use crate::cli::parse;

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
    #[arg(long, env = "CLOCKER_HEADER_TIMEOUT", default_value = "10s", value_parser = parse::positive_duration)]
    pub header_timeout: Duration,
    /// How long a connection may stay open with no request in flight.
    #[arg(long, env = "CLOCKER_IDLE_TIMEOUT", default_value = "60s", value_parser = parse::positive_duration)]
    pub idle_timeout: Duration,
    /// How long a write to a client may make no progress before the connection is closed (the stream's /stream, the funnel's /ws).
    #[arg(long, env = "CLOCKER_WRITE_TIMEOUT", default_value = "10s", value_parser = parse::positive_duration)]
    pub write_timeout: Duration,
    /// Time between HTTP/2 keepalive pings.
    #[arg(long, env = "CLOCKER_HTTP2_KEEPALIVE", default_value = "20s", value_parser = parse::positive_duration)]
    pub http2_keepalive: Duration,
    /// How long an HTTP/2 keepalive ping may go unanswered before the connection is closed.
    #[arg(long, env = "CLOCKER_HTTP2_KEEPALIVE_TIMEOUT", default_value = "10s", value_parser = parse::positive_duration)]
    pub http2_keepalive_timeout: Duration,
    /// Requests in flight at once on one HTTP/2 (gRPC) connection.
    #[arg(long, env = "CLOCKER_MAX_STREAMS", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_streams: u32,
    /// Idle time before TCP keepalive probes (a peer that vanished is closed about twice this later).
    #[arg(long, env = "CLOCKER_TCP_KEEPALIVE", default_value = "30s", value_parser = parse::positive_duration)]
    pub tcp_keepalive: Duration,
}

impl ConnectionArgs {
    /// The limits every port of the service enforces.
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
