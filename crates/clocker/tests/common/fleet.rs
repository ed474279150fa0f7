//! The integration tests' fleet: the real `clocker` binary, one `clocker
//! serve NAME` process per service, on free ports of 127.0.0.1
//! ([`TestFleet`]).
//!
//! Why one `clocker serve` per service and not `clocker up`: tests stop a
//! service and start it again (a degraded frame, readiness that follows,
//! a goodbye to every client), and under `clocker up` the supervisor would
//! restart it by itself within 100 ms. So the fleet does what the supervisor
//! does, no more: it binds every port once and hands each service its own
//! sockets (`LISTEN_FDS`, with the supervisor's own
//! [`pass_listeners`](clocker_supervisor::handover::pass_listeners)), tells every
//! service where the others are (`CLOCKER_<SERVICE>_ADDR`), starts them in
//! dependency order, and stops them with SIGTERM. As under `clocker up`, a
//! stopped service's port stays bound: connections wait in its backlog, and
//! it comes back on the same address.
//!
//! Settings are the binary's own flags (`--tick 10ms`, `--clock …`), given
//! to every service as `clocker up` forwards them; the fleet adds a generous
//! `--budget 2s` and in-memory databases unless a test says otherwise.
//! Processes are killed when the fleet is dropped.

#![allow(dead_code)] // each test binary uses some of it

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use clocker_fleet::{ServiceName, start_order};
use clocker_runtime::inherited;
use clocker_supervisor::handover::{Listener, bind_listener};

use super::serving::Served;

/// How long a service may take to stop after SIGTERM before it is killed
/// (its drain, 5 s by default, fits).
const STOP_GRACE: Duration = Duration::from_secs(10);

/// Settings the fleet gives unless a test gives its own: every call a
/// generous budget, so that a loaded machine cannot fail a test, and
/// accounts and timers in memory, so that a test leaves nothing behind.
const DEFAULT_SETTINGS: [(&str, &str); 2] =
    [("--budget", "2s"), ("--database-url", "sqlite::memory:")];

/// Services of the real binary, each its own process, with the sockets they
/// serve. Killed when dropped.
pub struct TestFleet {
    /// Every service's sockets, held for the fleet's life as `clocker up`
    /// holds them.
    sockets: BTreeMap<ServiceName, Vec<Listener>>,
    /// In start order.
    order: Vec<ServiceName>,
    addrs: BTreeMap<ServiceName, SocketAddr>,
    zeromq: Option<String>,
    args: Vec<String>,
    /// `CLOCKER_<SERVICE>_ADDR` for every service of the fleet.
    address_env: Vec<(String, String)>,
    running: BTreeMap<ServiceName, Served>,
}

impl TestFleet {
    /// Starts every service with `args` (flags of `clocker serve`).
    pub async fn start(args: &[&str]) -> TestFleet {
        Self::start_only(&ServiceName::ALL, args).await
    }

    /// Starts `services` and what they require, with `args`.
    pub async fn start_only(services: &[ServiceName], args: &[&str]) -> TestFleet {
        let order = start_order(services, ServiceName::requires).expect("the table has no cycle");
        let mut sockets = BTreeMap::new();
        let mut addrs = BTreeMap::new();
        for &name in &order {
            let socket = bind_free_port();
            addrs.insert(name, socket.local_addr().expect("bound"));
            sockets.insert(name, vec![Listener::new(name.as_str(), socket)]);
        }
        let mut zeromq = None;
        if let Some(timers) = sockets.get_mut(&ServiceName::Timers) {
            let socket = bind_free_port();
            zeromq = Some(format!("tcp://{}", socket.local_addr().expect("bound")));
            timers.push(Listener::new(inherited::ZEROMQ, socket));
        }
        let mut fleet = TestFleet {
            sockets,
            order,
            address_env: addrs
                .iter()
                .map(|(name, addr)| (name.addr_env_var(), addr.to_string()))
                .collect(),
            addrs,
            zeromq,
            args: with_defaults(args),
            running: BTreeMap::new(),
        };
        // A service starts once what it requires listens; those that
        // require nothing more start together.
        for wave in fleet.waves() {
            let starting: Vec<_> = wave
                .into_iter()
                .map(|name| (name, fleet.spawn(name)))
                .collect();
            for (name, started) in starting {
                fleet.running.insert(name, listening(started).await);
            }
        }
        fleet
    }

    /// The services in start order, grouped so each group needs only the
    /// groups before it.
    fn waves(&self) -> Vec<Vec<ServiceName>> {
        let mut wave_of: BTreeMap<ServiceName, usize> = BTreeMap::new();
        let mut waves: Vec<Vec<ServiceName>> = Vec::new();
        for &name in &self.order {
            let wave = name
                .requires()
                .iter()
                .filter_map(|required| wave_of.get(required))
                .map(|wave| wave + 1)
                .max()
                .unwrap_or(0);
            wave_of.insert(name, wave);
            if waves.len() <= wave {
                waves.resize_with(wave + 1, Vec::new);
            }
            waves[wave].push(name);
        }
        waves
    }

    /// Starts `name`'s process on its sockets; resolves once it listens.
    fn spawn(&self, name: ServiceName) -> tokio::task::JoinHandle<Served> {
        let sockets = self.sockets[&name].clone();
        let mut args = vec!["--addr".to_owned(), self.addrs[&name].to_string()];
        if let (ServiceName::Timers, Some(zeromq)) = (name, &self.zeromq) {
            args.extend(["--zmq-addr".to_owned(), zeromq.clone()]);
        }
        args.extend(self.args.iter().cloned());
        let env = self.address_env.clone();
        tokio::task::spawn_blocking(move || {
            Served::start_given(name.as_str(), &sockets, &args, &env)
        })
    }

    /// Where `name` listens.
    ///
    /// # Panics
    /// When `name` is not part of this fleet.
    pub fn addr(&self, name: ServiceName) -> SocketAddr {
        *self
            .addrs
            .get(&name)
            .unwrap_or_else(|| panic!("{name} is not part of this fleet"))
    }

    /// The services and their addresses, in start order.
    pub fn addrs(&self) -> Vec<(ServiceName, SocketAddr)> {
        self.order
            .iter()
            .map(|&name| (name, self.addrs[&name]))
            .collect()
    }

    /// `CLOCKER_<SERVICE>_ADDR` for every service: what a client command
    /// (`clocker time`, `clocker account`) needs to find them.
    pub fn address_env(&self) -> &[(String, String)] {
        &self.address_env
    }

    /// The timer service's ZeroMQ endpoint (`tcp://127.0.0.1:PORT`).
    ///
    /// # Panics
    /// When the timer service is not part of this fleet.
    pub fn zeromq_endpoint(&self) -> &str {
        self.zeromq
            .as_deref()
            .expect("the timer service is part of this fleet")
    }

    /// The running process of `name`.
    ///
    /// # Panics
    /// When `name` is stopped or not part of this fleet.
    pub fn process(&mut self, name: ServiceName) -> &mut Served {
        self.running
            .get_mut(&name)
            .unwrap_or_else(|| panic!("{name} is not running"))
    }

    /// Stops `name` as `clocker up` would (SIGTERM, a bounded drain); the
    /// others keep running and its port stays bound. Whether it exited by
    /// itself within the grace period (else it was killed).
    pub async fn stop_service(&mut self, name: ServiceName) -> bool {
        match self.running.remove(&name) {
            Some(mut served) => served.stop_within(STOP_GRACE).await,
            None => true,
        }
    }

    /// Starts `name` again (stopping it first if it runs), on the sockets
    /// and address it had; resolves once it listens.
    pub async fn restart_service(&mut self, name: ServiceName) {
        self.stop_service(name).await;
        let served = listening(self.spawn(name)).await;
        self.running.insert(name, served);
    }

    /// Stops every service, in reverse start order.
    pub async fn stop(mut self) {
        for name in self.order.clone().into_iter().rev() {
            self.stop_service(name).await;
        }
    }
}

/// The process `started` once it listens; its start's panic (no listening
/// line, with the service's log) as this test's own.
async fn listening(started: tokio::task::JoinHandle<Served>) -> Served {
    match started.await {
        Ok(served) => served,
        Err(failed) => std::panic::resume_unwind(failed.into_panic()),
    }
}

/// A socket on a free port of 127.0.0.1, bound as the supervisor binds.
fn bind_free_port() -> std::net::TcpListener {
    bind_listener(SocketAddr::from(([127, 0, 0, 1], 0))).expect("a free port on 127.0.0.1")
}

/// `args` plus each of [`DEFAULT_SETTINGS`] they do not set.
fn with_defaults(args: &[&str]) -> Vec<String> {
    let mut all: Vec<String> = args.iter().map(|&arg| arg.to_owned()).collect();
    for (flag, value) in DEFAULT_SETTINGS {
        if !args.contains(&flag) {
            all.extend([flag.to_owned(), value.to_owned()]);
        }
    }
    all
}
