//! P8: the timer scheduler at scale — the memory a million pending timers
//! take, and how late 100k timers falling due within one second fire; and,
//! for the plot of lateness against load, the same at 1k to 50k a second.
//!
//! Timers are written straight into the service's SQLite file before it
//! starts (setting a million through the API would take minutes); the
//! service loads them as after any restart.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use clocker_runtime::ServiceName;
use clocker_store::{Store, StoreConfig};
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
    late: Summary,
    early: usize,
}

const MEMORY_TARGET_BYTES: u64 = 256 * 1024 * 1024;
const P99_TARGET: Duration = Duration::from_millis(2);
const MAX_TARGET: Duration = Duration::from_millis(10);
/// Rows per INSERT when seeding.
const SEED_CHUNK: usize = 2_000;
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
    seed(full.path(), args.pending, far, 3600 * 1000).await?;
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
        let (late, early) = burst(programs, due, args.window).await?;
        bursts.push(Burst { due, late, early });
    }
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
    for Burst { due, late, early } in args.due.iter().filter_map(|&due| find(due)) {
        let target = *due >= 100_000;
        let shown = format!("{} due within {:?}", stats::count(*due as f64), args.window);
        table.row([
            format!("lateness p50, {shown}"),
            duration(late.p50),
            String::new(),
            String::new(),
        ]);
        table.row([
            format!("lateness p99, {shown}"),
            duration(late.p99),
            if target {
                "≤ 2 ms".to_owned()
            } else {
                String::new()
            },
            if target {
                verdict(late.p99 <= P99_TARGET).to_owned()
            } else {
                String::new()
            },
        ]);
        table.row([
            format!("lateness max, {shown}"),
            duration(late.max),
            if target {
                "≤ 10 ms".to_owned()
            } else {
                String::new()
            },
            if target {
                verdict(late.max <= MAX_TARGET).to_owned()
            } else {
                String::new()
            },
        ]);
        table.row([
            format!("fired early, {shown}"),
            early.to_string(),
            "0".to_owned(),
            verdict(*early == 0).to_owned(),
        ]);
    }
    table.note(format!(
        "`clocker serve timers` (release, SQLite). Memory: resident set of the service once it \
         serves with {} pending timers (written into its database beforehand and loaded at \
         start-up, as after a restart) minus that of the same service with none ({:.0} MB). \
         Lateness: timers due evenly over {:?}, written beforehand, fired by the running \
         service; lateness is `ended_at − fires_at` as the service records it (the millisecond \
         its batch's write began, whole milliseconds), read back from the database afterwards.",
        args.pending,
        baseline as f64 / 1e6,
        args.window
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
            "loads": bursts
                .iter()
                .map(|burst| serde_json::json!({
                    "due": burst.due,
                    "per_second": burst.due as f64 / args.window.as_secs_f64(),
                    "lateness_ms": series::summary(&burst.late),
                    "early": burst.early,
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
                duration(burst.late.p50),
                duration(burst.late.p99),
                duration(burst.late.max),
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

/// Lateness of `due` timers falling due evenly within `window`, and how
/// many fired early.
async fn burst(
    programs: &Programs,
    due: usize,
    window: Duration,
) -> anyhow::Result<(Summary, usize)> {
    eprintln!("p8: {due} timers due within {window:?}, {LEAD:?} from now");
    let dir = tempfile::tempdir()?;
    let first_ms = jiff::Timestamp::now().as_millisecond() + LEAD.as_millis() as i64;
    seed(dir.path(), due, first_ms, window.as_millis() as i64).await?;
    let service = serve(programs, dir.path()).await?;
    if jiff::Timestamp::now().as_millisecond() >= first_ms {
        bail!("the service took longer than {LEAD:?} to start; the burst began before it served");
    }
    let store = Store::connect(&StoreConfig::sqlite_in(dir.path())).await?;
    let deadline = tokio::time::Instant::now() + LEAD + window + FIRE_DEADLINE;
    loop {
        let pending: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM timers WHERE state = 'pending'")
                .fetch_one(store.pool())
                .await?;
        if pending == 0 {
            break;
        }
        if tokio::time::Instant::now() >= deadline {
            bail!("{pending} timers had not fired {FIRE_DEADLINE:?} after their window");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    service.stop().await;
    let rows = sqlx::query("SELECT fires_at_ms, ended_at_ms FROM timers")
        .fetch_all(store.pool())
        .await?;
    let mut lateness = Samples::with_capacity(rows.len());
    let mut early = 0;
    for row in &rows {
        let fires: i64 = row.try_get("fires_at_ms")?;
        let ended: i64 = row.try_get("ended_at_ms")?;
        if ended < fires {
            early += 1;
        }
        lateness.record(Duration::from_millis(
            u64::try_from(ended - fires).unwrap_or(0),
        ));
    }
    store.close().await;
    Ok((lateness.summary(), early))
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

/// Writes `count` pending timers due evenly over `spread_ms` from `first_ms`.
async fn seed(data_dir: &Path, count: usize, first_ms: i64, spread_ms: i64) -> anyhow::Result<()> {
    let store = Store::connect(&StoreConfig::sqlite_in(data_dir))
        .await
        .context("cannot open the benchmark's database")?;
    let now = jiff::Timestamp::now().as_millisecond();
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
                "{separator}('{id}', NULL, '', 0, 0, 0, {now}, {fires}, 'pending', NULL)"
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
