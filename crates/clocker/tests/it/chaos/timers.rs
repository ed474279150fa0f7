//! The chaos run's timers: sets by both doors (gRPC and ZeroMQ, each with an
//! idempotency key, retried with the same key when no answer came), a
//! watcher that reconnects from the last seq it got, and the ledger that
//! holds what was acknowledged against what was delivered.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use clocker_proto::v1::accounts_client::AccountsClient;
use clocker_proto::v1::timer_event::Kind;
use clocker_proto::v1::timers_client::TimersClient;
use clocker_proto::v1::{
    LoginRequest, RegisterRequest, SetTimerRequest, TimerRequest, TimerState, WatchTimersRequest,
};
use tokio::sync::watch;
use tokio::time::timeout;
use tonic::Code;
use tonic::transport::Channel;
use zeromq::{ReqSocket, Socket, SocketRecv, SocketSend, ZmqMessage};

use super::load::{CALL_DEADLINE, Counters, is_refused, stopped};

/// How long one set is retried (with its key) before it counts as abandoned.
const SET_PATIENCE: Duration = Duration::from_secs(30);

/// A gRPC channel that connects (and reconnects) on use.
pub(super) fn lazy_channel(addr: SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .expect("a valid URI")
        .connect_timeout(CALL_DEADLINE)
        .timeout(CALL_DEADLINE)
        .connect_lazy()
}

/// Nanoseconds since the epoch, now.
fn now_ns() -> i128 {
    jiff::Timestamp::now().as_nanosecond()
}

fn ns_of(at: Option<&prost_types::Timestamp>) -> i128 {
    at.map_or(0, |at| {
        i128::from(at.seconds) * 1_000_000_000 + i128::from(at.nanos)
    })
}

/// A timer some door acknowledged.
#[derive(Debug, Clone)]
pub(super) struct Acked {
    pub(super) id: String,
    pub(super) fires_at_ns: i128,
}

/// What was acknowledged and what the watcher was delivered.
#[derive(Debug, Default)]
pub(super) struct Ledger {
    /// By idempotency key (also the timer's label).
    pub(super) acked: BTreeMap<String, Acked>,
    pub(super) acked_by_grpc: u64,
    pub(super) acked_by_zmq: u64,
    /// Keys given up on after [`SET_PATIENCE`] of retries.
    pub(super) abandoned: Vec<String>,
    /// Sets retried with the same key after no answer.
    pub(super) retries: u64,
    /// Sets answered with an error nobody retries, by code.
    pub(super) rejected: BTreeMap<String, u64>,
    /// `fired` events delivered, per timer id (never deduplicated).
    pub(super) fired: BTreeMap<String, u64>,
    /// When the first `fired` event of each timer arrived (ns since the epoch).
    pub(super) fired_arrival: BTreeMap<String, i128>,
    /// Fired events that arrived before their `fires_at`: (id, how early, ms).
    pub(super) early: Vec<(String, f64)>,
    /// Timer ids per label, from every event: two ids for one label is a
    /// set that happened twice.
    pub(super) ids_by_label: BTreeMap<String, BTreeSet<String>>,
    /// KIND_DROPPED events (retention cut what a replay would have given).
    pub(super) dropped_events: u64,
    /// Watch streams (re)opened.
    pub(super) watches: u64,
}

pub(super) type SharedLedger = Arc<Mutex<Ledger>>;

fn lock(ledger: &SharedLedger) -> std::sync::MutexGuard<'_, Ledger> {
    ledger.lock().expect("no holder of the ledger panics")
}

/// Registers a fresh account and logs in (retrying while accounts is not
/// ready): its session token.
pub(super) async fn account_token(accounts: SocketAddr, credentials: &(String, String)) -> String {
    let mut client = AccountsClient::new(lazy_channel(accounts));
    let deadline = tokio::time::Instant::now() + SET_PATIENCE;
    let registered = loop {
        let request = RegisterRequest {
            username: credentials.0.clone(),
            password: credentials.1.clone(),
            idempotency_key: format!("register-{}", credentials.0),
        };
        match client.register(request).await {
            Ok(reply) => break reply,
            Err(status) => {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "cannot register: {status}"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    assert!(registered.into_inner().account.is_some());
    loop {
        let request = LoginRequest {
            username: credentials.0.clone(),
            password: credentials.1.clone(),
        };
        match client.login(request).await {
            Ok(reply) => return reply.into_inner().token,
            Err(status) => {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "cannot log in: {status}"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Whether a set answered with `code` may have been lost in flight (and
/// is retried with its key).
fn retryable(code: Code) -> bool {
    matches!(
        code,
        Code::Unavailable | Code::DeadlineExceeded | Code::Unknown | Code::Cancelled
    )
}

/// Sets a timer of 1 to 3 s over gRPC every `every` until `stop`.
pub(super) async fn grpc_setter(
    timers: SocketAddr,
    name: String,
    token: String,
    every: Duration,
    ledger: SharedLedger,
    counters: Arc<Counters>,
    stop: watch::Receiver<bool>,
) {
    let mut client = TimersClient::new(lazy_channel(timers));
    let mut n = 0_u64;
    while !*stop.borrow() {
        n += 1;
        let key = format!("{name}-{n}");
        let request = SetTimerRequest {
            seconds: i64::try_from(1 + n % 3).expect("small"),
            label: key.clone(),
            token: token.clone(),
            idempotency_key: key.clone(),
            ..SetTimerRequest::default()
        };
        let deadline = tokio::time::Instant::now() + SET_PATIENCE;
        let mut first = true;
        loop {
            if !first {
                lock(&ledger).retries += 1;
            }
            first = false;
            match timeout(CALL_DEADLINE, client.set_timer(request.clone())).await {
                Ok(Ok(reply)) => {
                    let timer = reply.into_inner();
                    let mut ledger = lock(&ledger);
                    ledger.acked_by_grpc += 1;
                    ledger.acked.insert(
                        key.clone(),
                        Acked {
                            fires_at_ns: ns_of(timer.fires_at.as_ref()),
                            id: timer.id,
                        },
                    );
                    break;
                }
                Ok(Err(status)) if !retryable(status.code()) => {
                    *lock(&ledger)
                        .rejected
                        .entry(format!("{:?}: {}", status.code(), status.message()))
                        .or_default() += 1;
                    break;
                }
                Ok(Err(status)) => {
                    if is_refused(&status) {
                        counters.refused_grpc.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Err(_) => {}
            }
            if tokio::time::Instant::now() >= deadline {
                lock(&ledger).abandoned.push(key.clone());
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::select! {
            () = stopped(stop.clone()) => return,
            () = tokio::time::sleep(every) => {}
        }
    }
}

/// Sets a timer of 1 to 3 s over ZeroMQ (one JSON frame) every `every`
/// until `stop`; a request with no reply within the deadline is sent again,
/// with the same key, on a new socket (a REQ socket cannot send twice).
pub(super) async fn zmq_setter(
    endpoint: String,
    name: String,
    token: String,
    every: Duration,
    ledger: SharedLedger,
    counters: Arc<Counters>,
    stop: watch::Receiver<bool>,
) {
    let mut socket: Option<ReqSocket> = None;
    let mut n = 0_u64;
    while !*stop.borrow() {
        n += 1;
        let key = format!("{name}-{n}");
        let body = serde_json::json!({
            "seconds": 1 + n % 3,
            "label": key,
            "token": token,
            "idempotency_key": key,
        })
        .to_string();
        let deadline = tokio::time::Instant::now() + SET_PATIENCE;
        let mut first = true;
        loop {
            if !first {
                lock(&ledger).retries += 1;
            }
            first = false;
            if socket.is_none() {
                let mut fresh = ReqSocket::new();
                match timeout(CALL_DEADLINE, fresh.connect(&endpoint)).await {
                    Ok(Ok(())) => socket = Some(fresh),
                    Ok(Err(err)) => {
                        if is_refused(&err) {
                            counters.refused_zmq.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    Err(_) => {}
                }
            }
            if let Some(connected) = socket.as_mut() {
                match zmq_round_trip(connected, &body).await {
                    Some(reply) if reply.get("id").and_then(|id| id.as_str()).is_some() => {
                        let mut ledger = lock(&ledger);
                        ledger.acked_by_zmq += 1;
                        let fires_at_ms = reply["fires_at_unix_ms"].as_i64().unwrap_or(0);
                        ledger.acked.insert(
                            key.clone(),
                            Acked {
                                id: reply["id"].as_str().unwrap_or_default().to_owned(),
                                fires_at_ns: i128::from(fires_at_ms) * 1_000_000,
                            },
                        );
                        break;
                    }
                    // An error reply (unavailable, over budget): try again.
                    Some(_) => {}
                    // No reply: the socket is stuck in its REQ state.
                    None => socket = None,
                }
            }
            if tokio::time::Instant::now() >= deadline {
                lock(&ledger).abandoned.push(key.clone());
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::select! {
            () = stopped(stop.clone()) => return,
            () = tokio::time::sleep(every) => {}
        }
    }
}

/// One request and its JSON reply, or `None` when none came in time.
async fn zmq_round_trip(socket: &mut ReqSocket, body: &str) -> Option<serde_json::Value> {
    let message = ZmqMessage::from(Bytes::from(body.to_owned()));
    timeout(CALL_DEADLINE, socket.send(message))
        .await
        .ok()?
        .ok()?;
    let reply = timeout(CALL_DEADLINE, socket.recv()).await.ok()?.ok()?;
    let frame = reply.into_vec().pop()?;
    serde_json::from_slice(&frame).ok()
}

/// Watches the account's timers until `stop`, from seq 0, reconnecting from
/// the last seq it got whenever the stream ends or breaks; every event goes
/// into the ledger as delivered, duplicates included.
pub(super) async fn watcher(
    timers: SocketAddr,
    token: String,
    ledger: SharedLedger,
    counters: Arc<Counters>,
    stop: watch::Receiver<bool>,
) {
    let mut client = TimersClient::new(lazy_channel(timers));
    let mut last_seq = 0_i64;
    while !*stop.borrow() {
        let request = WatchTimersRequest {
            token: token.clone(),
            after_seq: Some(last_seq),
            ids: Vec::new(),
        };
        let opened = tokio::select! {
            () = stopped(stop.clone()) => return,
            opened = timeout(CALL_DEADLINE, client.watch_timers(request)) => opened,
        };
        let mut events = match opened {
            Ok(Ok(events)) => events.into_inner(),
            Ok(Err(status)) => {
                if is_refused(&status) {
                    counters.refused_grpc.fetch_add(1, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
            Err(_) => continue,
        };
        lock(&ledger).watches += 1;
        loop {
            let next = tokio::select! {
                () = stopped(stop.clone()) => return,
                next = events.message() => next,
            };
            let Ok(Some(event)) = next else { break };
            let arrived_ns = now_ns();
            last_seq = last_seq.max(event.seq);
            let mut ledger = lock(&ledger);
            if event.kind() == Kind::Dropped {
                ledger.dropped_events += 1;
                continue;
            }
            let kind = event.kind();
            let Some(timer) = event.timer else { continue };
            ledger
                .ids_by_label
                .entry(timer.label.clone())
                .or_default()
                .insert(timer.id.clone());
            if kind == Kind::Fired {
                *ledger.fired.entry(timer.id.clone()).or_default() += 1;
                ledger
                    .fired_arrival
                    .entry(timer.id.clone())
                    .or_insert(arrived_ns);
                let fires_at_ns = ns_of(timer.fires_at.as_ref());
                if arrived_ns < fires_at_ns {
                    #[allow(clippy::cast_precision_loss)]
                    let early_ms = (fires_at_ns - arrived_ns) as f64 / 1e6;
                    ledger.early.push((timer.id.clone(), early_ms));
                }
            }
        }
    }
}

/// What GetTimer says of the acknowledged timers.
#[derive(Debug, Default)]
pub(super) struct GetReport {
    pub(super) fired: u64,
    /// Not fired (id, state).
    pub(super) not_fired: Vec<(String, String)>,
    /// Ended before its `fires_at` (id, how early in ms).
    pub(super) early: Vec<(String, f64)>,
    /// Answered with an error after every retry (id, error).
    pub(super) failed: Vec<(String, String)>,
}

/// GetTimer of every acknowledged timer (retried while the service is away).
pub(super) async fn get_each(
    timers: SocketAddr,
    token: &str,
    acked: &BTreeMap<String, Acked>,
) -> GetReport {
    let mut client = TimersClient::new(lazy_channel(timers));
    let mut report = GetReport::default();
    for timer in acked.values() {
        let deadline = tokio::time::Instant::now() + SET_PATIENCE;
        let got = loop {
            let request = TimerRequest {
                id: timer.id.clone(),
                token: token.to_owned(),
            };
            match client.get_timer(request).await {
                Ok(reply) => break Ok(reply.into_inner()),
                Err(status)
                    if retryable(status.code()) && tokio::time::Instant::now() < deadline =>
                {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(status) => break Err(status.to_string()),
            }
        };
        match got {
            Ok(got) if got.state() == TimerState::Fired => {
                report.fired += 1;
                let ended_ns = ns_of(got.ended_at.as_ref());
                let fires_at_ns = ns_of(got.fires_at.as_ref());
                if ended_ns < fires_at_ns {
                    #[allow(clippy::cast_precision_loss)]
                    let early_ms = (fires_at_ns - ended_ns) as f64 / 1e6;
                    report.early.push((got.id, early_ms));
                }
            }
            Ok(got) => {
                let state = format!("{:?}", got.state());
                report.not_fired.push((got.id, state));
            }
            Err(err) => report.failed.push((timer.id.clone(), err)),
        }
    }
    report
}
