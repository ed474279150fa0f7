//! The supervisor behind `clocker up` (parigot's promise kept: a service
//! that hangs is killed).
//!
//! Every service runs as its own child process (`clocker serve NAME`),
//! started in dependency order, each only once the one before it reports
//! ready, with the address of every service handed over in
//! `CLOCKER_<SERVICE>_ADDR`. Each child is probed every
//! [`SupervisorConfig::probe_every`] (gRPC health, or `GET /health`); one
//! that leaves every probe sent to it over [`SupervisorConfig::kill_after`]
//! unanswered — its single thread is stuck — is killed (a stall of the
//! supervisor itself sends no probes, so it never counts), and one that
//! exits or is killed is started again after a backoff (100 ms doubling to
//! 5 s, reset after 30 s healthy).
//!
//! Layout:
//! - [`child`]: one incarnation of a service: spawn, ready line, logs, stop.
//! - [`handover`]: the listeners it binds once and hands to every
//!   incarnation of a service (systemd's `LISTEN_FDS` convention).
//! - [`probe`]: the health probes (liveness: what a child is killed on).
//! - [`readiness`]: why a live child is not ready, for `clocker ps`.
//! - [`silence`]: when a child counts as silent (from the probes sent).
//! - [`status`]: what the supervisor knows of each service (the rows of
//!   `clocker ps`).
//! - [`control`]: the local control endpoint that serves them, and
//!   `supervisor.json`, where `clocker ps` finds it.
//! - [`output`]: the children's lines and its own logs, through bounded
//!   queues to writer threads (dropped and counted, never blocking).
//! - [`runtime_dir`]: the private directory `supervisor.json` lives in.
//! - [`overruns`]: methods that overrun their budget, read from each
//!   service's own metrics and reported.
//!
//! Children die with the supervisor: each asks the kernel for SIGKILL when
//! its parent dies (`clocker serve` does this when `CLOCKER_SUPERVISOR_PID`
//! is set).

pub mod child;
pub mod control;
pub mod handover;
pub mod output;
pub mod overruns;
pub mod probe;
pub mod readiness;
pub mod runtime_dir;
pub mod silence;
pub mod status;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clocker_fleet::ServiceName;
use clocker_runtime::{Backoff, CancellationToken};
use tokio::sync::oneshot;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::child::{Child, Exit};
use crate::handover::Listener;
use crate::output::Output;
use crate::silence::Silence;
use crate::status::{State, Statuses};

/// The variable that tells `clocker serve` it is supervised, and by which pid.
pub const SUPERVISOR_PID_VAR: &str = "CLOCKER_SUPERVISOR_PID";

/// How the fleet is supervised.
#[derive(Debug, Clone)]
pub struct SupervisorConfig {
    /// The `clocker` binary the children run.
    pub program: PathBuf,
    /// The services, in start order.
    pub services: Vec<ServiceName>,
    /// Where each service listens.
    pub addrs: BTreeMap<ServiceName, SocketAddr>,
    /// The listeners each service is handed (bound by the supervisor, kept
    /// across restarts); a service without any binds its own ports.
    pub listeners: BTreeMap<ServiceName, Vec<Listener>>,
    /// Extra arguments of one service's `clocker serve` (the timer service's
    /// `--zmq-addr`).
    pub extra_args: BTreeMap<ServiceName, Vec<String>>,
    /// Environment for every child (settings given to `clocker up`).
    pub env: Vec<(String, String)>,
    pub probe_every: Duration,
    /// How long a child may fail its probes before it is killed.
    pub kill_after: Duration,
    /// How long a child may take to say it listens.
    pub ready_timeout: Duration,
    /// How long a child may take to stop after SIGTERM before SIGKILL.
    pub grace: Duration,
    /// How long a child must stay healthy for its backoff to reset.
    pub healthy_reset: Duration,
    /// Where the children's lines go.
    pub output: Output,
}

impl SupervisorConfig {
    /// The settings of the issue: probe every 100 ms, kill after 1 s.
    pub fn new(program: PathBuf, output: Output) -> Self {
        Self {
            program,
            services: Vec::new(),
            addrs: BTreeMap::new(),
            listeners: BTreeMap::new(),
            extra_args: BTreeMap::new(),
            env: Vec::new(),
            probe_every: Duration::from_millis(100),
            kill_after: Duration::from_secs(1),
            ready_timeout: Duration::from_secs(30),
            grace: Duration::from_secs(6),
            healthy_reset: Duration::from_secs(30),
            output,
        }
    }

    /// Every service's address, as the environment variables children read.
    fn addr_env(&self) -> Vec<(String, String)> {
        self.addrs
            .iter()
            .map(|(name, addr)| (name.addr_env_var(), addr.to_string()))
            .collect()
    }
}

/// Why the fleet could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{service} did not start: {reason}")]
    NotReady {
        service: ServiceName,
        reason: String,
    },
}

/// A running, supervised fleet.
#[derive(Debug)]
pub struct Supervisor {
    statuses: Statuses,
    /// One stop token per service, in start order.
    stops: Vec<(ServiceName, CancellationToken)>,
    tasks: BTreeMap<ServiceName, tokio::task::JoinHandle<bool>>,
    /// Stops the overrun watch.
    stop_overrun_watch: CancellationToken,
}

impl Supervisor {
    /// Starts every service in order, each once the previous one is ready.
    /// On failure, what was started is stopped.
    pub async fn start(config: SupervisorConfig) -> Result<Self, StartError> {
        let config = Arc::new(config);
        let statuses = Statuses::new(&config.services, &config.addrs);
        let mut supervisor = Supervisor {
            statuses: statuses.clone(),
            stops: Vec::new(),
            tasks: BTreeMap::new(),
            stop_overrun_watch: CancellationToken::new(),
        };
        tokio::spawn(overruns::watch(
            statuses.clone(),
            supervisor.stop_overrun_watch.clone(),
        ));
        for &service in &config.services {
            let stop = CancellationToken::new();
            let (ready_tx, ready_rx) = oneshot::channel();
            let task = tokio::spawn(supervise(
                service,
                config.clone(),
                statuses.clone(),
                ready_tx,
                stop.clone(),
            ));
            supervisor.stops.push((service, stop));
            supervisor.tasks.insert(service, task);
            let ready = ready_rx
                .await
                .unwrap_or_else(|_| Err("supervision ended".into()));
            if let Err(reason) = ready {
                supervisor.stop().await;
                return Err(StartError::NotReady { service, reason });
            }
        }
        Ok(supervisor)
    }

    /// What `clocker ps` shows.
    pub fn statuses(&self) -> Statuses {
        self.statuses.clone()
    }

    /// Stops every service in reverse start order, each within its grace;
    /// true when every one stopped cleanly (exit status 0).
    pub async fn stop(mut self) -> bool {
        self.stop_overrun_watch.cancel();
        let mut clean = true;
        while let Some((service, stop)) = self.stops.pop() {
            stop.cancel();
            if let Some(task) = self.tasks.remove(&service) {
                clean &= task.await.unwrap_or(false);
            }
        }
        clean
    }
}

/// Keeps `service` running until `stop`: spawn, wait until ready, probe,
/// kill when hung, restart after backoff. Reports the first readiness (or
/// why there was none) on `ready`. Returns whether the last incarnation
/// stopped cleanly.
async fn supervise(
    service: ServiceName,
    config: Arc<SupervisorConfig>,
    statuses: Statuses,
    ready: oneshot::Sender<Result<(), String>>,
    stop: CancellationToken,
) -> bool {
    let mut ready = Some(ready);
    let mut backoff = Backoff::default();
    let addr = config.addrs[&service];
    let mut env = config.addr_env();
    env.extend(config.env.iter().cloned());
    let extra = config.extra_args.get(&service).cloned().unwrap_or_default();
    let listeners = config.listeners.get(&service).cloned().unwrap_or_default();
    loop {
        statuses.update(service, |s| s.state = State::Starting);
        let mut child = match Child::spawn(
            &config.program,
            service,
            addr,
            &extra,
            &env,
            &listeners,
            &config.output,
        ) {
            Ok(child) => child,
            Err(err) => {
                let reason = format!("cannot start: {err}");
                if let Some(ready) = ready.take() {
                    let _ = ready.send(Err(reason));
                    return false;
                }
                statuses.update(service, |s| s.last_error = Some(reason.clone()));
                tracing::error!(%service, %reason);
                if stopped_during(backoff.step(), &stop).await {
                    return false;
                }
                continue;
            }
        };
        statuses.update(service, |s| s.pid = Some(child.pid()));
        let started = Instant::now();
        tokio::select! {
            result = child.ready(config.ready_timeout) => match result {
                Ok(()) => {}
                Err(reason) => {
                    child.kill().await;
                    if let Some(ready) = ready.take() {
                        let _ = ready.send(Err(reason));
                        return false;
                    }
                    mark_restarting(&statuses, service, &reason);
                    if stopped_during(backoff.step(), &stop).await {
                        return false;
                    }
                    continue;
                }
            },
            () = stop.cancelled() => return child.stop(config.grace).await,
        }
        statuses.update(service, |s| {
            s.state = State::Ready;
            s.since = Some(std::time::SystemTime::now());
        });
        if let Some(ready) = ready.take() {
            let _ = ready.send(Ok(()));
        }
        let reason = probe_until_down(service, &mut child, &config, &statuses, &stop).await;
        let Some(reason) = reason else {
            return child.stop(config.grace).await;
        };
        if started.elapsed() >= config.healthy_reset {
            backoff.reset();
        }
        let wait = backoff.step();
        tracing::warn!(%service, %reason, restart_in = ?wait, "restarting");
        mark_restarting(&statuses, service, &reason);
        statuses.update(service, |s| s.restarts += 1);
        if stopped_during(wait, &stop).await {
            return false;
        }
    }
}

/// The most probes out to one child at once (each has its own deadline, so
/// a few overlap while a child is slow).
const MAX_PROBES_IN_FLIGHT: usize = 8;

/// How the probes of one child are paced, from the kill threshold: a probe
/// every `probe_every` (more often for a short `kill_after`, so that at
/// least [`silence::MIN_UNANSWERED`] fit in it), each with a deadline of
/// half of `kill_after` (500 ms at most), and a supervisor that wakes up
/// later than half a deadline has stalled.
#[derive(Debug, Clone, Copy)]
struct Pacing {
    every: Duration,
    deadline: Duration,
    stalled_after: Duration,
}

impl Pacing {
    fn of(config: &SupervisorConfig) -> Self {
        let every = config
            .probe_every
            .min(config.kill_after / 5)
            .max(Duration::from_millis(1));
        let deadline = (config.kill_after / 2).min(Duration::from_millis(500));
        Self {
            every,
            deadline,
            stalled_after: (deadline / 2).max(every),
        }
    }
}

/// Probes a ready child until it exits, hangs (then kills it) or `stop`
/// fires. Returns why it went down, or `None` when asked to stop.
///
/// Silence is measured from the probes sent ([`silence::Silence`]): a child
/// is killed only when every probe sent to it over `kill_after` went
/// unanswered by its own deadline. When the supervisor notices it did not
/// run for a while (a tick or a probe's deadline came late), it forgets
/// what it measured, as it cannot know what the child did meanwhile.
async fn probe_until_down(
    service: ServiceName,
    child: &mut Child,
    config: &SupervisorConfig,
    statuses: &Statuses,
    stop: &CancellationToken,
) -> Option<String> {
    let prober = probe::Prober::new(service, config.addrs[&service]);
    let pacing = Pacing::of(config);
    let mut silence = Silence::new(config.kill_after, Instant::now());
    let mut ticks = tokio::time::interval(pacing.every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut probes: JoinSet<(Instant, Instant, probe::Answer)> = JoinSet::new();
    loop {
        tokio::select! {
            // Ticks first: a late one says the supervisor stalled, before
            // the probes that timed out meanwhile are counted.
            biased;
            exit = child.exited() => return Some(exit_reason(exit)),
            () = stop.cancelled() => return None,
            scheduled = ticks.tick() => {
                let now = Instant::now();
                let late = now.saturating_duration_since(scheduled);
                if late > pacing.stalled_after {
                    tracing::warn!(
                        %service,
                        late_ms = late.as_millis(),
                        "the supervisor itself did not run meanwhile; its probes start anew"
                    );
                    silence.stalled(now);
                }
                if let Some(silent) = silence.silent_for(now) {
                    let reason = format!(
                        "no health answer for {} ms; killed (its thread is stuck)",
                        silent.as_millis()
                    );
                    child.kill().await;
                    return Some(reason);
                }
                if probes.len() < MAX_PROBES_IN_FLIGHT {
                    let probe = prober.clone();
                    let deadline = pacing.deadline;
                    probes.spawn(async move {
                        let sent = Instant::now();
                        let answer = probe.ask(deadline).await;
                        (sent, Instant::now(), answer)
                    });
                }
            }
            Some(Ok((sent, back, answer))) = probes.join_next(), if !probes.is_empty() => {
                if answer.answered() {
                    silence.answered(sent);
                } else if back.saturating_duration_since(sent) > pacing.deadline + pacing.stalled_after {
                    // Its deadline fired late: the supervisor was not running.
                    silence.stalled(back);
                } else {
                    silence.unanswered(sent);
                }
                match answer {
                    probe::Answer::Healthy(rtt) => statuses.update(service, |s| {
                        s.record_probe(rtt);
                        if s.state != State::Ready {
                            s.state = State::Ready;
                        }
                    }),
                    probe::Answer::Unhealthy(err) | probe::Answer::Silent(err) => {
                        statuses.update(service, |s| s.state = State::Unhealthy(err));
                    }
                }
            }
        }
    }
}

fn exit_reason(exit: Exit) -> String {
    match exit {
        Exit::Code(code) => format!("exited with status {code}"),
        Exit::Signal(signal) => format!("killed by {signal}"),
        Exit::Unknown(err) => format!("ended ({err})"),
    }
}

/// Shows `service` as down for `reason`, to be started again.
fn mark_restarting(statuses: &Statuses, service: ServiceName, reason: &str) {
    statuses.update(service, |s| {
        s.state = State::Restarting;
        s.pid = None;
        s.since = None;
        s.last_error = Some(reason.to_owned());
    });
}

/// Waits `wait`, or less when `stop` fires meanwhile; whether it did.
async fn stopped_during(wait: Duration, stop: &CancellationToken) -> bool {
    tokio::select! {
        () = tokio::time::sleep(wait) => false,
        () = stop.cancelled() => true,
    }
}
