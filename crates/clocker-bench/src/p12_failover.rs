//! P12: timer fail-over on PostgreSQL. Two `clocker serve timers` replicas
//! share a throwaway cluster; one schedules (it holds the lease). Each round
//! sets timers through the standby, due one second later, and SIGKILLs the
//! scheduler shortly before they fall due, so they fall due during the
//! takeover; the standby must take over (its `clocker_timers_scheduling`
//! turns 1) and fire them, each once. The killed replica is started again
//! as the new standby before the next round.
//!
//! What counts is what a client sees: each round's timers are watched
//! (`WatchTimers`, on the standby, opened before the kill), lateness is a
//! `fired` event's arrival at the watcher minus the timer's `fires_at`, and
//! "exactly once" counts the `fired` events delivered per timer. The
//! service's own record (`late_ms`, the events in the store) is shown beside.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, bail};
use clocker_fleet::ServiceName;
use clocker_proto::v1::timer_event::Kind;
use clocker_proto::v1::timers_client::TimersClient;
use clocker_proto::v1::{SetTimerRequest, TimerRequest, TimerState, WatchTimersRequest};
use clocker_store::{EventKind, Store, StoreConfig};
use clocker_supervisor::overruns::scrape;
use clocker_testdb::PgCluster;
use clocker_wire::MAX_WATCH_IDS;
use futures_util::StreamExt;
use tokio::time::Instant;

use crate::children::{self, Child, Programs};
use crate::report::Table;
use crate::stats::{Samples, duration, verdict};

/// Options of P12.
#[derive(Debug, Clone, clap::Args)]
pub struct P12Args {
    /// Fail-overs measured, one after the other.
    #[arg(long, default_value_t = 5)]
    pub kills: usize,
    /// Timers set per round, all due one second later.
    #[arg(long, default_value_t = 100)]
    pub timers: usize,
    /// How long before they fall due the scheduler is killed.
    #[arg(long, default_value = "100ms", value_parser = crate::parse_duration)]
    pub kill_before_due: Duration,
}

/// What the issue promises.
const TAKEOVER_TARGET: Duration = Duration::from_secs(2);
/// How long the benchmark waits for a takeover or a firing before it gives up.
const PATIENCE: Duration = Duration::from_secs(20);
const POLL: Duration = Duration::from_millis(5);
/// How long a watch keeps listening after every timer fired, for a second
/// delivery of one.
const DUPLICATE_WINDOW: Duration = Duration::from_millis(500);

/// Lateness as a watcher saw it, and as the service recorded it.
struct Lateness {
    delivered: Samples,
    recorded: Samples,
}

/// Timers with exactly one `fired` event delivered, and stored.
struct Once {
    delivered: usize,
    stored: usize,
}

pub fn run(programs: &Programs, args: &P12Args) -> anyhow::Result<Table> {
    crate::multi_thread(2)?.block_on(measure(programs, args))
}

async fn measure(programs: &Programs, args: &P12Args) -> anyhow::Result<Table> {
    eprintln!("p12: two timer replicas on a throwaway PostgreSQL");
    let cluster = tokio::task::spawn_blocking(PgCluster::start)
        .await?
        .context("cannot start a throwaway PostgreSQL (initdb/pg_ctl)")?;
    cluster.create_database("timers")?;
    let env = [("DATABASE_URL".to_owned(), cluster.url("timers"))];
    let start = || replica(programs, &env);
    let mut replicas = [Some(start().await?), Some(start().await?)];
    let mut takeovers = Samples::with_capacity(args.kills);
    let mut lateness = Samples::with_capacity(args.kills * args.timers);
    let mut delivered_late = Samples::with_capacity(args.kills * args.timers);
    let mut delivered_once = 0;
    let mut set_ids = Vec::with_capacity(args.kills * args.timers);
    for round in 1..=args.kills {
        let holder = scheduler_of(&replicas).await?;
        let standby = 1 - holder;
        eprintln!("p12: fail-over {round} of {}", args.kills);
        let mut client = TimersClient::new(children::channel(addr(&replicas, standby)?).await?);
        let set_at = Instant::now();
        let mut ids = Vec::with_capacity(args.timers);
        for n in 0..args.timers {
            let timer = client
                .set_timer(SetTimerRequest {
                    hours: 0,
                    minutes: 0,
                    seconds: 1,
                    label: format!("p12 round {round} timer {n}"),
                    ..Default::default()
                })
                .await
                .context("SetTimer through the standby failed")?
                .into_inner();
            ids.push(timer.id);
        }
        let watching = watch(&mut client, &ids).await?;
        let kill_at = set_at + Duration::from_secs(1) - args.kill_before_due;
        if Instant::now() >= kill_at {
            bail!(
                "setting {} timers took over a second; use fewer (--timers)",
                args.timers
            );
        }
        tokio::time::sleep_until(kill_at).await;
        let killed = Instant::now();
        if let Some(dead) = replicas[holder].take() {
            dead.stop().await;
        }
        until_scheduling(addr(&replicas, standby)?).await?;
        takeovers.record(killed.elapsed());
        // The killed one comes back as the next standby.
        replicas[holder] = Some(start().await?);
        let seen = watching.await.context("a watcher panicked")??;
        for delivery in seen.values().flatten() {
            delivered_late.record(*delivery);
        }
        delivered_once += ids
            .iter()
            .filter(|id| seen.get(*id).map(Vec::len) == Some(1))
            .count();
        for late_ms in recorded_lateness(&mut client, &ids).await? {
            lateness.record(Duration::from_millis(late_ms));
        }
        set_ids.extend(ids);
    }
    let once = fired_once(&cluster.url("timers"), &set_ids).await?;
    for replica in replicas.into_iter().flatten() {
        replica.stop().await;
    }
    drop(cluster);
    Ok(table(
        args,
        takeovers,
        Lateness {
            delivered: delivered_late,
            recorded: lateness,
        },
        Once {
            delivered: delivered_once,
            stored: once,
        },
        set_ids.len(),
    ))
}

async fn replica(programs: &Programs, env: &[(String, String)]) -> anyhow::Result<Child> {
    children::serve(
        programs,
        ServiceName::Timers,
        env,
        // A round's timers are all anonymous, from one address: above the
        // default quota of pending timers when rounds overlap: no quota.
        &[
            "--zmq-addr",
            "tcp://127.0.0.1:0",
            "--timer-quota-anonymous",
            "0",
        ],
    )
    .await
}

/// Whether the replica at `addr` schedules (`clocker_timers_scheduling`).
async fn scheduling(addr: SocketAddr) -> anyhow::Result<bool> {
    let metrics = scrape(addr).await.context("cannot read /metrics")?;
    Ok(metrics
        .lines()
        .find_map(|line| line.strip_prefix("clocker_timers_scheduling "))
        .is_some_and(|value| value.trim() == "1"))
}

/// Where replica `index` listens.
fn addr(replicas: &[Option<Child>; 2], index: usize) -> anyhow::Result<SocketAddr> {
    replicas[index]
        .as_ref()
        .map(Child::addr)
        .context("that replica is not running")
}

/// Polls until the replica at `addr` schedules.
async fn until_scheduling(addr: SocketAddr) -> anyhow::Result<()> {
    let start = Instant::now();
    while !scheduling(addr).await? {
        if start.elapsed() > PATIENCE {
            bail!("the replica at {addr} did not take over within {PATIENCE:?}");
        }
        tokio::time::sleep(POLL).await;
    }
    Ok(())
}

/// Which of the two schedules, once exactly one does.
async fn scheduler_of(replicas: &[Option<Child>; 2]) -> anyhow::Result<usize> {
    let start = Instant::now();
    loop {
        match (
            scheduling(addr(replicas, 0)?).await?,
            scheduling(addr(replicas, 1)?).await?,
        ) {
            (true, false) => return Ok(0),
            (false, true) => return Ok(1),
            _ if start.elapsed() > PATIENCE => bail!("no single replica schedules"),
            _ => tokio::time::sleep(POLL).await,
        }
    }
}

/// Every `fired` event delivered for `ids`, per timer: how late each
/// arrived (arrival at this client − the timer's `fires_at`).
type Deliveries = HashMap<String, Vec<Duration>>;

/// Watches `ids` (a watch per [`MAX_WATCH_IDS`] of them) from now on, until
/// each has had a `fired` event and [`DUPLICATE_WINDOW`] more has passed
/// (a second delivery of one would come in it).
async fn watch(
    client: &mut TimersClient<tonic::transport::Channel>,
    ids: &[String],
) -> anyhow::Result<tokio::task::JoinHandle<anyhow::Result<Deliveries>>> {
    let mut streams = Vec::new();
    for chunk in ids.chunks(MAX_WATCH_IDS) {
        let request = WatchTimersRequest {
            ids: chunk.to_vec(),
            ..Default::default()
        };
        let stream = client
            .watch_timers(request)
            .await
            .context("WatchTimers failed")?;
        streams.push(stream.into_inner());
    }
    let expected = ids.len();
    Ok(tokio::spawn(async move {
        let mut events = futures_util::stream::select_all(streams);
        let mut seen = Deliveries::new();
        let deadline = Instant::now() + PATIENCE;
        let mut quiet_from: Option<Instant> = None;
        loop {
            let until = quiet_from.map_or(deadline, |at| at + DUPLICATE_WINDOW);
            let event = match tokio::time::timeout_at(until, events.next()).await {
                Err(_) if quiet_from.is_some() => return Ok(seen),
                Err(_) => bail!("{} of {expected} timers never fired", expected - seen.len()),
                Ok(None) => bail!("a watch ended before its timers fired"),
                Ok(Some(event)) => event.context("a watch failed")?,
            };
            let arrived_ms = jiff::Timestamp::now().as_millisecond();
            let fired = event.kind() == Kind::Fired;
            let Some(timer) = event.timer.filter(|_| fired) else {
                continue;
            };
            let fires_ms = timer
                .fires_at
                .map_or(0, |at| at.seconds * 1000 + i64::from(at.nanos) / 1_000_000);
            let late = Duration::from_millis(u64::try_from(arrived_ms - fires_ms).unwrap_or(0));
            seen.entry(timer.id).or_default().push(late);
            if seen.len() == expected && quiet_from.is_none() {
                quiet_from = Some(Instant::now());
            }
        }
    }))
}

/// Each timer's lateness as the service recorded it (`late_ms`), ms.
async fn recorded_lateness(
    client: &mut TimersClient<tonic::transport::Channel>,
    ids: &[String],
) -> anyhow::Result<Vec<u64>> {
    let mut late = Vec::with_capacity(ids.len());
    for id in ids {
        let timer = client
            .get_timer(TimerRequest {
                id: id.clone(),
                token: String::new(),
            })
            .await
            .context("GetTimer failed")?
            .into_inner();
        if timer.state() != TimerState::Fired {
            bail!(
                "timer {id} was delivered as fired but reads {:?}",
                timer.state()
            );
        }
        late.push(u64::try_from(timer.late_ms).unwrap_or(0));
    }
    Ok(late)
}

/// How many of `ids` have exactly one `fired` event in the store.
async fn fired_once(url: &str, ids: &[String]) -> anyhow::Result<usize> {
    let store = Store::connect(&StoreConfig::from_url(url).context("a cluster URL")?).await?;
    let mut fired: HashMap<String, usize> = HashMap::new();
    let mut after = 0;
    loop {
        let page = store.list_events_since(after, 1000).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for event in page {
            if event.kind == EventKind::Fired {
                *fired.entry(event.timer.id).or_default() += 1;
            }
        }
    }
    store.close().await;
    Ok(ids
        .iter()
        .filter(|id| fired.get(id.as_str()) == Some(&1))
        .count())
}

fn table(args: &P12Args, takeovers: Samples, lateness: Lateness, once: Once, set: usize) -> Table {
    let takeover = takeovers.summary();
    let delivered = lateness.delivered.summary();
    let recorded = lateness.recorded.summary();
    let mut table = Table::new(
        "P12 — timer fail-over on PostgreSQL",
        &["", "measured", "target", "met"],
    );
    table.row([
        format!("takeover after SIGKILL, p50 / max of {}", takeover.count),
        format!("{} / {}", duration(takeover.p50), duration(takeover.max)),
        format!("≤ {}", duration(TAKEOVER_TARGET)),
        verdict(takeover.max <= TAKEOVER_TARGET).to_owned(),
    ]);
    table.row([
        format!(
            "lateness at a watcher (fired event's arrival − fires_at) of timers falling due from \
             {} after the kill, p50 / p99 / max",
            duration(args.kill_before_due)
        ),
        format!(
            "{} / {} / {}",
            duration(delivered.p50),
            duration(delivered.p99),
            duration(delivered.max)
        ),
        String::new(),
        String::new(),
    ]);
    table.row([
        "the same as the service records it (`late_ms`), p50 / p99 / max".to_owned(),
        format!(
            "{} / {} / {}",
            duration(recorded.p50),
            duration(recorded.p99),
            duration(recorded.max)
        ),
        String::new(),
        String::new(),
    ]);
    table.row([
        "timers whose `fired` event reached the watcher exactly once".to_owned(),
        format!("{} of {set}", once.delivered),
        "all".to_owned(),
        verdict(once.delivered == set).to_owned(),
    ]);
    table.row([
        "timers with exactly one `fired` event in the store".to_owned(),
        format!("{} of {set}", once.stored),
        "all".to_owned(),
        verdict(once.stored == set).to_owned(),
    ]);
    table.note(format!(
        "Two `clocker serve timers` replicas (release) on a throwaway PostgreSQL (initdb, fsync off). \
         Each of {} rounds sets {} timers through the standby, due 1 s later, watches them there \
         (WatchTimers by id, opened before the kill), and SIGKILLs the scheduling replica {} \
         before they fall due; takeover is the time from the kill until the standby's \
         `clocker_timers_scheduling` reads 1 (polled every {}; the standby asks for the lease every \
         250 ms). A watch listens {} past the last timer's firing for a second delivery. The \
         client is the benchmark itself (tonic, same machine, same clock). The killed replica is \
         started again as the next standby.",
        args.kills,
        args.timers,
        duration(args.kill_before_due),
        duration(POLL),
        duration(DUPLICATE_WINDOW),
    ));
    table
}
