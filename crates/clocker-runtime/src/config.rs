//! How a service runs: its method budget, how long shutdown may drain, what
//! each socket and port lets its clients hold, how readiness is checked, and
//! on how many shards.

use std::time::Duration;

use crate::gate::ConnectionLimits;
use crate::health::ReadinessConfig;

/// How a service runs: its method budget and how long shutdown may drain.
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// The longest any method may take before it answers `DEADLINE_EXCEEDED`.
    pub budget: Duration,
    /// How long in-flight calls may finish after shutdown is asked for.
    pub drain: Duration,
    /// The most bytes a socket may hold written but not yet sent
    /// (`TCP_NOTSENT_LOWAT`); writes wait beyond it. `None` leaves it to the
    /// kernel, which queues megabytes. A push service sets it low so a client
    /// that falls behind skips to the newest frame instead of reading old
    /// ones out of the kernel, and one that stops reading is noticed at
    /// once; bulk transfers keep their speed (bytes in flight don't count).
    pub unsent_limit_bytes: Option<u32>,
    /// Where an HTTP service serves its Prometheus metrics (`/metrics`,
    /// unless a seed gives that path another meaning); `None` when they are
    /// served elsewhere (the funnel's admin listener), not on this port.
    pub metrics_path: Option<&'static str>,
    /// What each port lets its clients hold, and for how long.
    pub connections: ConnectionLimits,
    /// How often readiness is checked, and how long one check may take.
    pub readiness: ReadinessConfig,
    /// How many shards an HTTP service that has them runs: each a thread
    /// of its own accepting on its own `SO_REUSEPORT` listener of the port
    /// (see [`crate::shards`]). 1 here, so tests and embedded fleets stay on
    /// one thread; the command line defaults to the cores
    /// ([`crate::shards::default_shards`]).
    pub shards: usize,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        Self {
            budget: Duration::from_millis(50),
            drain: Duration::from_secs(5),
            unsent_limit_bytes: None,
            metrics_path: Some("/metrics"),
            connections: ConnectionLimits::default(),
            readiness: ReadinessConfig::default(),
            shards: 1,
        }
    }
}
