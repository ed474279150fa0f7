//! P8: the timer scheduler at scale — the memory a million pending timers
//! take, and how late 100k timers falling due within one second fire; and,
//! for the plot of lateness against load, the same at 1k to 50k a second.
//!
//! Timers are written straight into the service's SQLite file before it
//! starts (setting a million through the API would take minutes); the
//! service loads them as after any restart.
//!
//! Lateness is what a client sees: the timers belong to an account whose
//! watch (`WatchTimers` with its session) is open before they fall due, and
//! a timer's lateness is its `fired` event's arrival minus its `fires_at`
//! (one that arrives before it counts as early). The service's own record
//! (`ended_at − fires_at`) is shown beside. Rates swing between days on
//! these machines, so the same run also measures the store's own capacity
//! (the firing write alone, in a loop, on a database of the same kind) and
//! reports the highest load fired with p99 ≤ 2 ms as a share of it.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use clocker_fleet::ServiceName;
use clocker_proto::v1::accounts_client::AccountsClient;
use clocker_proto::v1::timer_event::Kind;
use clocker_proto::v1::timers_client::TimersClient;
use clocker_proto::v1::{LoginRequest, RegisterRequest, WatchTimersRequest};
use clocker_store::{EventKind, Store, StoreConfig};
use sqlx::{AssertSqlSafe, Row};

use crate::children::{self, Programs};
use crate::procfs;
use crate::report::Table;
use crate::series;
use crate::stats::{self, Samples, Summary, duration, verdict};

/// Options of P8.
#[derive(Debug, Clone, clap::Args)]
pub struct P8Args {
    /// Pending timers for the memory measurement.
    #[arg(long, default_value_t = 1_000_000)]
    pub pending: usize,
    /// Timers falling due together for the lateness measurement, one run
    /// per count (the target is for 100k).
    #[arg(long, value_delimiter = ',', default_value = "10000,100000")]
    pub due: Vec<usize>,
    /// Further counts, measured like `--due` for the curve of lateness
    /// against load (the plot, and one line each under the table).
    #[arg(long, value_delimiter = ',', default_value = "1000,3000,30000,50000")]
    pub sweep: Vec<usize>,
    /// The window they fall due in.
    #[arg(long, default_value = "1s", value_parser = crate::parse_duration)]
    pub window: Duration,
}

/// What one burst of timers measured.
#[derive(Debug)]
struct Burst {
    due: usize,
    /// At the watcher: a fired event's arrival − fires_at.
    delivered: Summary,
    /// Events that arrived before their timer's fires_at.
    early: usize,
    /// As the service recorded it: ended_at − fires_at.
    recorded: Summary,
    /// Watches that fell behind and resumed with `after_seq` (replay).
    resumed: usize,
}

const MEMORY_TARGET_BYTES: u64 = 256 * 1024 * 1024;
const P99_TARGET: Duration = Duration::from_millis(2);
const MAX_TARGET: Duration = Duration::from_millis(10);
/// Rows per INSERT when seeding.
const SEED_CHUNK: usize = 2_000;
/// Timers the store's own firing rate is measured with.
const STORE_CAPACITY_TIMERS: usize = 100_000;
/// The scheduler's batch (timers ended per write).
const FIRE_BATCH: usize = 1024;
/// Time for the service to start and load before the first timer is due.
const LEAD: Duration = Duration::from_secs(10);
/// How long after the window the timers must all have fired.
const FIRE_DEADLINE: Duration = Duration::from_secs(60);

pub fn run(programs: &Programs, args: &P8Args) -> anyhow::Result<Table> {
    crate::multi_thread(2)?.block_on(measure(programs, args))
}

async fn measure(programs: &Programs, args: &P8Args) -> anyhow::Result<Table> {
    eprintln!("p8: the timer service with no timers");
    let empty = tempfile::tempdir()?;
    let baseline = resident_after_start(programs, empty.path()).await?;

    eprintln!("p8: writing {} pending timers", args.pending);
    let full = tempfile::tempdir()?;
    let far = jiff::Timestamp::now().as_millisecond() + 24 * 3600 * 1000;
    seed(full.path(), args.pending, far, 3600 * 1000, None).await?;
    eprintln!("p8: the timer service loading them");
    let loaded = resident_after_start(programs, full.path()).await?;
    let extra = loaded.saturating_sub(baseline);

    // Every count once, smallest first: the table's and the curve's.
    let mut loads: Vec<usize> = args.due.iter().chain(&args.sweep).copied().collect();
    loads.sort_unstable();
    loads.dedup();
    let mut bursts = Vec::with_capacity(loads.len());
    for (n, &due) in loads.iter().enumerate() {
        eprintln!("p8: lateness {} of {}", n + 1, loads.len());
        bursts.push(burst(programs, due, args.window).await?);
    }
    eprintln!("p8: the store's own firing rate");
    let capacity = store_capacity(STORE_CAPACITY_TIMERS).await?;
    let find = |due: usize| bursts.iter().find(|burst| burst.due == due);
    let mut table = Table::new("P8 — timers at scale", &["", "measured", "target", "met"]);
    table.row([
        format!(
            "extra memory, {} pending",
            stats::count(args.pending as f64)
        ),
        format!("{:.0} MB", extra as f64 / 1e6),
        "≤ 256 MB".to_owned(),
        verdict(extra <= MEMORY_TARGET_BYTES).to_owned(),
    ]);
    for burst in args.due.iter().filter_map(|&due| find(due)) {
        let (due, late, early) = (&burst.due, &burst.delivered, &burst.early);
        // The targets are for bursts of 100k and more.
        let has_targets = *due >= 100_000;
        let shown = format!("{} due within {:?}", stats::count(*due as f64), args.window);
        let lateness = [
            ("p50", late.p50, None),
            ("p99", late.p99, Some(("≤ 2 ms", late.p99 <= P99_TARGET))),
            ("max", late.max, Some(("≤ 10 ms", late.max <= MAX_TARGET))),
        ];
        for (which, measured, target) in lateness {
            let (target, met) = match target.filter(|_| has_targets) {
                Some((target, met)) => (target.to_owned(), verdict(met).to_owned()),
                None => (String::new(), String::new()),
            };
            table.row([
                format!("lateness {which} at a watcher, {shown}"),
                duration(measured),
                target,
                met,
            ]);
        }
        table.row([
            format!("fired events delivered before fires_at, {shown}"),
            early.to_string(),
            "0".to_owned(),
            verdict(*early == 0).to_owned(),
        ]);
        table.row([
            format!("lateness p50 / p99 / max as the service records it, {shown}"),
            format!(
                "{} / {} / {}",
                duration(burst.recorded.p50),
                duration(burst.recorded.p99),
                duration(burst.recorded.max)
            ),
            String::new(),
            String::new(),
        ]);
    }
    let within = bursts
        .iter()
        .filter(|burst| burst.delivered.p99 <= P99_TARGET)
        .map(|burst| burst.due as f64 / args.window.as_secs_f64())
        .fold(0.0, f64::max);
    table.row([
        "the store's own firing rate (the firing write alone, batches of 1,024)".to_owned(),
        format!("{} timers/s", stats::count(capacity)),
        String::new(),
        String::new(),
    ]);
    table.row([
        "highest load fired with p99 ≤ 2 ms at a watcher, share of the store's rate".to_owned(),
        format!(
            "{} timers/s ({:.0} %)",
            stats::count(within),
            100.0 * stats::divide(within, capacity)
        ),
        String::new(),
        String::new(),
    ]);
    table.note(format!(
        "`clocker serve timers` (release, SQLite). Memory: resident set of the service once it \
         serves with {} pending timers (written into its database beforehand and loaded at \
         start-up, as after a restart) minus that of the same service with none ({:.0} MB). \
         Lateness: timers of one account due evenly over {:?}, written beforehand, fired by \
         the running service and watched by the benchmark (one WatchTimers stream with the \
         account's session, tonic, same machine and clock; a watch that falls behind resumes \
         with after_seq and its replayed events count as they arrive): a fired event's arrival \
         − its fires_at. Beside it, `ended_at − fires_at` as the service records it (the \
         millisecond its batch's write began). The store's rate: {} pending timers due in the \
         past on a fresh SQLite file, ended by the same write the scheduler uses, 1,024 at a \
         time, in a loop.",
        args.pending,
        baseline as f64 / 1e6,
        args.window,
        stats::count(STORE_CAPACITY_TIMERS as f64),
    ));
    table.note(curve(&bursts, args.window));
    series::write(
        "p8",
        &serde_json::json!({
            "benchmark": "P8",
            "title": "timers at scale",
            "window_s": args.window.as_secs_f64(),
            "pending": args.pending,
            "extra_memory_bytes": extra,
            "baseline_memory_bytes": baseline,
            "lateness_p99_target_ms": series::ms(P99_TARGET),
            "lateness_max_target_ms": series::ms(MAX_TARGET),
            "target_due": 100_000,
            "store_timers_per_second": capacity,
            "loads": bursts
                .iter()
                .map(|burst| serde_json::json!({
                    "due": burst.due,
                    "per_second": burst.due as f64 / args.window.as_secs_f64(),
                    "lateness_ms": series::summary(&burst.delivered),
                    "recorded_lateness_ms": series::summary(&burst.recorded),
                    "early": burst.early,
                    "resumed_watches": burst.resumed,
                }))
                .collect::<Vec<_>>(),
        }),
    );
    Ok(table)
}

/// Lateness at every count measured, one line each (the plot's points).
fn curve(bursts: &[Burst], window: Duration) -> String {
    let mut text = format!(
        "Lateness against load (every count measured as above, the plot's points), timers due \
         within {window:?}: "
    );
    let points: Vec<String> = bursts
        .iter()
        .map(|burst| {
            format!(
                "{} due: p50 {}, p99 {}, max {}{}",
                stats::count(burst.due as f64),
                duration(burst.delivered.p50),
                duration(burst.delivered.p99),
                duration(burst.delivered.max),
                if burst.early > 0 {
                    format!(", {} early", burst.early)
                } else {
                    String::new()
                }
            )
        })
        .collect();
    text.push_str(&points.join("; "));
    text.push('.');
    text
}

/// Lateness of `due` timers of one account falling due evenly within
/// `window`, at a watcher and as recorded.
async fn burst(programs: &Programs, due: usize, window: Duration) -> anyhow::Result<Burst> {
    eprintln!("p8: {due} timers due within {window:?}, {LEAD:?} from now");
    let dir = tempfile::tempdir()?;
    let data_dir = dir.path().display().to_string();
    let accounts = children::serve(
        programs,
        ServiceName::Accounts,
        &[],
        &["--data-dir", &data_dir],
    )
    .await?;
    let (owner, token) = account(accounts.addr()).await?;
    let first_ms = jiff::Timestamp::now().as_millisecond() + LEAD.as_millis() as i64;
    seed(
        dir.path(),
        due,
        first_ms,
        window.as_millis() as i64,
        Some(&owner),
    )
    .await?;
    let env = [(
        ServiceName::Accounts.addr_env_var(),
        accounts.addr().to_string(),
    )];
    let service = children::serve(
        programs,
        ServiceName::Timers,
        &env,
        &["--zmq-addr", "tcp://127.0.0.1:0", "--data-dir", &data_dir],
    )
    .await?;
    let watching = tokio::spawn(watch_all(service.addr(), token, due));
    if jiff::Timestamp::now().as_millisecond() >= first_ms {
        bail!("the service took longer than {LEAD:?} to start; the burst began before it served");
    }
    let watched = watching.await.context("the watcher panicked")??;
    service.stop().await;
    accounts.stop().await;
    let store = Store::connect(&StoreConfig::sqlite_in(dir.path())).await?;
    let rows = sqlx::query("SELECT fires_at_ms, ended_at_ms FROM timers")
        .fetch_all(store.pool())
        .await?;
    let mut recorded = Samples::with_capacity(rows.len());
    for row in &rows {
        let fires: i64 = row.try_get("fires_at_ms")?;
        let ended: Option<i64> = row.try_get("ended_at_ms")?;
        let ended = ended.context("a timer the watcher saw fire is not ended in the store")?;
        recorded.record(Duration::from_millis(
            u64::try_from(ended - fires).unwrap_or(0),
        ));
    }
    store.close().await;
    Ok(Burst {
        due,
        delivered: watched.late.summary(),
        early: watched.early,
        recorded: recorded.summary(),
        resumed: watched.resumed,
    })
}

/// A new account on the accounts service at `addr`: its id and a session.
async fn account(addr: std::net::SocketAddr) -> anyhow::Result<(String, String)> {
    let mut client = AccountsClient::new(children::channel(addr).await?);
    let (username, password) = ("p8_bench".to_owned(), "p8 benchmark password".to_owned());
    let registered = client
        .register(RegisterRequest {
            username: username.clone(),
            password: password.clone(),
            ..Default::default()
        })
        .await
        .context("Register failed")?
        .into_inner();
    let id = registered
        .account
        .context("Register answered no account")?
        .id;
    let login = client
        .login(LoginRequest { username, password })
        .await
        .context("Login failed")?
        .into_inner();
    Ok((id, login.token))
}

/// What the account's watcher saw of `due` timers firing.
struct Watched {
    late: Samples,
    early: usize,
    resumed: usize,
}

/// Watches the account's timers on the service at `addr` until `due`
/// distinct ones fired; a watch that falls behind resumes from the last
/// event it had (`after_seq`), its replay counted as it arrives.
async fn watch_all(
    addr: std::net::SocketAddr,
    token: String,
    due: usize,
) -> anyhow::Result<Watched> {
    let mut client = TimersClient::new(children::channel(addr).await?);
    let deadline = tokio::time::Instant::now() + LEAD + FIRE_DEADLINE;
    let mut seen = std::collections::HashSet::with_capacity(due);
    let mut watched = Watched {
        late: Samples::with_capacity(due),
        early: 0,
        resumed: 0,
    };
    let mut after_seq = None;
    while seen.len() < due {
        let request = WatchTimersRequest {
            token: token.clone(),
            after_seq,
            ..Default::default()
        };
        let mut events = client
            .watch_timers(request)
            .await
            .context("WatchTimers failed")?
            .into_inner();
        loop {
            let next = tokio::time::timeout_at(deadline, events.message()).await;
            let event = match next {
                Err(_) => bail!(
                    "{} of {due} timers had not fired {FIRE_DEADLINE:?} after their window",
                    due - seen.len()
                ),
                Ok(Ok(Some(event))) => event,
                Ok(Ok(None)) => bail!("the watch ended"),
                Ok(Err(status)) if status.code() == tonic::Code::Aborted => {
                    watched.resumed += 1;
                    break;
                }
                Ok(Err(status)) => bail!("the watch failed: {status}"),
            };
            let arrived_ms = jiff::Timestamp::now().as_millisecond();
            after_seq = Some(event.seq);
            let fired = event.kind() == Kind::Fired;
            let Some(timer) = event.timer.filter(|_| fired) else {
                continue;
            };
            if !seen.insert(timer.id) {
                continue;
            }
            let fires_ms = timer
                .fires_at
                .map_or(0, |at| at.seconds * 1000 + i64::from(at.nanos) / 1_000_000);
            if arrived_ms < fires_ms {
                watched.early += 1;
            }
            watched.late.record(Duration::from_millis(
                u64::try_from(arrived_ms - fires_ms).unwrap_or(0),
            ));
            if seen.len() == due {
                break;
            }
        }
    }
    Ok(watched)
}

/// Timers per second the store ends when the firing write is all there is:
/// `count` pending timers due in the past on a fresh SQLite file, ended
/// [`FIRE_BATCH`] at a time, as the scheduler does.
async fn store_capacity(count: usize) -> anyhow::Result<f64> {
    let dir = tempfile::tempdir()?;
    let past = jiff::Timestamp::now().as_millisecond() - 60_000;
    seed(dir.path(), count, past, 1_000, None).await?;
    let store = Store::connect(&StoreConfig::sqlite_in(dir.path())).await?;
    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM timers ORDER BY fires_at_ms")
        .fetch_all(store.pool())
        .await?;
    let started = std::time::Instant::now();
    for batch in ids.chunks(FIRE_BATCH) {
        let now = jiff::Timestamp::now().as_millisecond();
        store.end_timers(batch, EventKind::Fired, now).await?;
    }
    let rate = stats::divide(ids.len() as f64, started.elapsed().as_secs_f64());
    store.close().await;
    Ok(rate)
}

/// `clocker serve timers` on `data_dir` with free ports.
async fn serve(programs: &Programs, data_dir: &Path) -> anyhow::Result<children::Child> {
    let data_dir = data_dir.display().to_string();
    children::serve(
        programs,
        ServiceName::Timers,
        &[],
        &["--zmq-addr", "tcp://127.0.0.1:0", "--data-dir", &data_dir],
    )
    .await
}

/// The resident set of the timer service once it serves on `data_dir`.
async fn resident_after_start(programs: &Programs, data_dir: &Path) -> anyhow::Result<u64> {
    let service = serve(programs, data_dir).await?;
    let rss = procfs::rss_bytes(service.pid())?;
    service.stop().await;
    Ok(rss)
}

/// Writes `count` pending timers of `owner` (anonymous for `None`) due
/// evenly over `spread_ms` from `first_ms`.
async fn seed(
    data_dir: &Path,
    count: usize,
    first_ms: i64,
    spread_ms: i64,
    owner: Option<&str>,
) -> anyhow::Result<()> {
    let store = Store::connect(&StoreConfig::sqlite_in(data_dir))
        .await
        .context("cannot open the benchmark's database")?;
    let now = jiff::Timestamp::now().as_millisecond();
    // An account id is a UUID: nothing to inject.
    let owner = owner.map_or_else(|| "NULL".to_owned(), |owner| format!("'{owner}'"));
    let mut tx = store.pool().begin().await?;
    let mut written = 0;
    while written < count {
        let chunk = SEED_CHUNK.min(count - written);
        let mut sql = String::from(
            "INSERT INTO timers (id, owner_id, label, hours, minutes, seconds, created_at_ms, \
             fires_at_ms, state, ended_at_ms) VALUES ",
        );
        for k in 0..chunk {
            let n = (written + k) as i64;
            let fires = first_ms + n * spread_ms / count.max(1) as i64;
            let separator = if k == 0 { "" } else { "," };
            let id = uuid::Uuid::now_v7();
            write!(
                sql,
                "{separator}('{id}', {owner}, '', 0, 0, 0, {now}, {fires}, 'pending', NULL)"
            )?;
        }
        // Generated numbers and UUIDs only: nothing to inject.
        sqlx::query(AssertSqlSafe(sql)).execute(&mut *tx).await?;
        written += chunk;
    }
    tx.commit().await?;
    store.close().await;
    Ok(())
}
