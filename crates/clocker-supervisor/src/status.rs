//! What the supervisor knows of each service: the rows of `clocker ps`
//! ([`Row`], a `clocker-wire` type: the funnel passes them on), served by
//! the control endpoint ([`crate::control`]).

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use clocker_fleet::ServiceName;
use clocker_wire::Row;

/// Where a service is in its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    Starting,
    Ready,
    Unhealthy(String),
    Restarting,
}

/// One service as the supervisor sees it.
#[derive(Debug, Clone)]
pub struct Status {
    pub name: ServiceName,
    pub addr: SocketAddr,
    pub pid: Option<u32>,
    pub state: State,
    pub restarts: u32,
    /// When the current incarnation became ready.
    pub since: Option<SystemTime>,
    pub last_error: Option<String>,
    /// The method that overran its budget most in the last window, with
    /// its share of calls (only when over 1 %).
    pub overruns: Option<String>,
    /// Why a live service is not ready (its database or a service it
    /// requires is away), as its `/health` said last ([`crate::readiness`]).
    pub not_ready: Option<String>,
    /// Recent health-probe round trips.
    probes: VecDeque<Duration>,
}

/// How many recent probes the p99 covers.
const PROBES_KEPT: usize = 100;

impl Status {
    pub fn record_probe(&mut self, rtt: Duration) {
        if self.probes.len() == PROBES_KEPT {
            self.probes.pop_front();
        }
        self.probes.push_back(rtt);
    }

    fn probe_p99(&self) -> Option<Duration> {
        let mut sorted: Vec<Duration> = self.probes.iter().copied().collect();
        sorted.sort_unstable();
        let index = (sorted.len() * 99).div_ceil(100).checked_sub(1)?;
        sorted.get(index).copied()
    }

    fn row(&self) -> Row {
        let (state, unhealthy) = match &self.state {
            State::Starting => ("starting", None),
            State::Ready if self.not_ready.is_some() => ("not ready", None),
            State::Ready => ("ready", None),
            State::Unhealthy(why) => ("unhealthy", Some(why.clone())),
            State::Restarting => ("restarting", None),
        };
        Row {
            name: self.name.as_str().to_owned(),
            pid: self.pid,
            addr: self.addr.to_string(),
            state: state.to_owned(),
            restarts: self.restarts,
            uptime_s: self
                .since
                .and_then(|since| since.elapsed().ok())
                .map(|up| up.as_secs()),
            last_error: unhealthy.or_else(|| self.last_error.clone()),
            probe_p99_ms: self.probe_p99().map(|p99| p99.as_secs_f64() * 1000.0),
            overruns: self.overruns.clone(),
            not_ready: match self.state {
                State::Ready => self.not_ready.clone(),
                _ => None,
            },
        }
    }
}

/// The statuses of every service, shared with their supervising tasks.
#[derive(Debug, Clone)]
pub struct Statuses(Arc<Mutex<Vec<Status>>>);

impl Statuses {
    pub fn new(services: &[ServiceName], addrs: &BTreeMap<ServiceName, SocketAddr>) -> Self {
        let rows = services
            .iter()
            .map(|&name| Status {
                name,
                addr: addrs[&name],
                pid: None,
                state: State::Starting,
                restarts: 0,
                since: None,
                last_error: None,
                overruns: None,
                not_ready: None,
                probes: VecDeque::with_capacity(PROBES_KEPT),
            })
            .collect();
        Self(Arc::new(Mutex::new(rows)))
    }

    pub fn update(&self, service: ServiceName, change: impl FnOnce(&mut Status)) {
        let mut rows = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(status) = rows.iter_mut().find(|s| s.name == service) {
            change(status);
        }
    }

    /// A copy of every status.
    pub fn snapshot(&self) -> Vec<Status> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn rows(&self) -> Vec<Row> {
        let rows = self.0.lock().unwrap_or_else(|p| p.into_inner());
        rows.iter().map(Status::row).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p99_of_probes() {
        let addrs = BTreeMap::from([(ServiceName::Hours, "127.0.0.1:1".parse().expect("addr"))]);
        let statuses = Statuses::new(&[ServiceName::Hours], &addrs);
        statuses.update(ServiceName::Hours, |s| {
            for ms in 1..=100 {
                s.record_probe(Duration::from_millis(ms));
            }
        });
        let row = &statuses.rows()[0];
        assert_eq!(row.probe_p99_ms, Some(99.0));
        assert_eq!(row.state, "starting");
    }

    #[test]
    fn a_ready_service_whose_checks_fail_is_shown_not_ready_with_the_reason() {
        let addrs = BTreeMap::from([(ServiceName::Timers, "127.0.0.1:1".parse().expect("addr"))]);
        let statuses = Statuses::new(&[ServiceName::Timers], &addrs);
        statuses.update(ServiceName::Timers, |s| {
            s.state = State::Ready;
            s.not_ready = Some("database: unreachable".into());
        });
        let row = &statuses.rows()[0];
        assert_eq!(row.state, "not ready");
        assert_eq!(row.not_ready.as_deref(), Some("database: unreachable"));
        // A service that is down is not "not ready": it is restarting.
        statuses.update(ServiceName::Timers, |s| s.state = State::Restarting);
        let row = &statuses.rows()[0];
        assert_eq!(
            (row.state.as_str(), row.not_ready.as_deref()),
            ("restarting", None)
        );
    }
}
