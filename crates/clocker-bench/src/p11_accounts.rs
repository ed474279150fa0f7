//! P11: the accounts service — Login and WhoAmI latency and throughput on
//! SQLite and on PostgreSQL, the argon2id hash time alone beside them, and
//! WhoAmI latency while logins keep the hashing pool busy.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use clocker_accounts::{Password, PasswordHasher};
use clocker_fleet::ServiceName;
use clocker_proto::v1::accounts_client::AccountsClient;
use clocker_proto::v1::{LoginRequest, RegisterRequest, WhoAmIRequest};
use clocker_testdb::PgCluster;
use tonic::transport::Channel;

use crate::children::{self, Child, Programs};
use crate::report::Table;
use crate::stats::{self, Samples, Summary, duration, verdict};

/// Options of P11.
#[derive(Debug, Clone, clap::Args)]
pub struct P11Args {
    /// Measured logins, one in flight.
    #[arg(long, default_value_t = 100)]
    pub logins: usize,
    /// Measured WhoAmI calls, one in flight.
    #[arg(long, default_value_t = 3_000)]
    pub whoami: usize,
    /// Length of each throughput window.
    #[arg(long, default_value = "3s", value_parser = crate::parse_duration)]
    pub duration: Duration,
    /// Calls in flight in the throughput windows and the login load.
    #[arg(long, default_value_t = 8)]
    pub in_flight: usize,
    /// Argon2id hashes timed in-process for the "hash alone" row.
    #[arg(long, default_value_t = 20)]
    pub hashes: usize,
}

/// WhoAmI must stay inside the method budget, even while logins run.
const WHOAMI_TARGET: Duration = Duration::from_millis(50);
/// Users the benchmark registers (logins rotate over them).
const USERS: usize = 16;
const PASSWORD: &str = "benchmark password";
/// Unmeasured hashes before the timed ones.
const HASH_WARMUP: usize = 3;

/// What one backend measured.
struct Backend {
    name: &'static str,
    login: Summary,
    login_per_second: f64,
    whoami: Summary,
    whoami_per_second: f64,
    whoami_under_logins: Summary,
    logins_meanwhile_per_second: f64,
    /// Calls that failed (a deadline overrun, say), per measurement: they
    /// are in the latencies and not in the rates.
    failed: Failed,
}

/// Failed calls of each measurement.
#[derive(Debug, Default, Clone, Copy)]
struct Failed {
    logins: u64,
    whoami: u64,
    whoami_throughput: u64,
    whoami_under_logins: u64,
}

pub fn run(programs: &Programs, args: &P11Args) -> anyhow::Result<Table> {
    crate::multi_thread(2)?.block_on(measure(programs, args))
}

async fn measure(programs: &Programs, args: &P11Args) -> anyhow::Result<Table> {
    eprintln!("p11: argon2id hash alone, {} hashes", args.hashes);
    let hash = hash_alone(args.hashes).await?;

    eprintln!("p11: accounts on SQLite");
    let data = tempfile::tempdir().context("cannot make a temporary data directory")?;
    let data_dir = data.path().display().to_string();
    let service = children::serve(
        programs,
        ServiceName::Accounts,
        &[],
        &["--data-dir", &data_dir],
    )
    .await?;
    let sqlite = backend("SQLite", &service, args).await;
    service.stop().await;

    eprintln!("p11: accounts on PostgreSQL (a throwaway cluster)");
    let cluster = tokio::task::spawn_blocking(PgCluster::start)
        .await?
        .context("cannot start a throwaway PostgreSQL (initdb/pg_ctl)")?;
    cluster.create_database("accounts")?;
    let env = [("DATABASE_URL".to_owned(), cluster.url("accounts"))];
    let service = children::serve(programs, ServiceName::Accounts, &env, &[]).await?;
    let postgres = backend("PostgreSQL", &service, args).await;
    service.stop().await;
    drop(cluster);

    Ok(table(hash, [sqlite?, postgres?], args))
}

/// The in-process hash time with the service's parameters, one at a time.
async fn hash_alone(hashes: usize) -> anyhow::Result<Summary> {
    let hasher = PasswordHasher::new(1).map_err(|err| anyhow::anyhow!("{err}"))?;
    let mut samples = Samples::with_capacity(hashes);
    // The first hashes also fault in the 19 MiB working memory: not measured.
    for n in 0..HASH_WARMUP + hashes {
        let password = Password::parse(PASSWORD.into()).map_err(|err| anyhow::anyhow!("{err}"))?;
        let start = Instant::now();
        hasher
            .hash(password)
            .await
            .map_err(|err| anyhow::anyhow!("{err}"))?;
        if n >= HASH_WARMUP {
            samples.record(start.elapsed());
        }
    }
    Ok(samples.summary())
}

async fn backend(name: &'static str, service: &Child, args: &P11Args) -> anyhow::Result<Backend> {
    let client = AccountsClient::new(children::channel(service.addr()).await?);
    let users: Vec<String> = (0..USERS).map(|n| format!("bench-user-{n}")).collect();
    for user in &users {
        client
            .clone()
            .register(RegisterRequest {
                username: user.clone(),
                password: PASSWORD.into(),
                ..Default::default()
            })
            .await
            .context("Register failed")?;
    }

    eprintln!("p11: {name}: {} logins, 1 in flight", args.logins);
    let mut login = Samples::with_capacity(args.logins);
    let mut tokens = Vec::new();
    for n in 0..args.logins {
        let start = Instant::now();
        let token = log_in(&client, &users[n % USERS]).await?;
        login.record(start.elapsed());
        if tokens.len() < USERS {
            tokens.push(token);
        }
    }
    eprintln!(
        "p11: {name}: logins for {:?}, {} in flight",
        args.duration, args.in_flight
    );
    let (logins, failed_logins) = throughput(args, &client, &users, &tokens, Call::Login).await?;

    eprintln!("p11: {name}: {} WhoAmI, 1 in flight", args.whoami);
    let mut whoami = Samples::with_capacity(args.whoami);
    let mut failed_whoami = 0;
    for n in 0..args.whoami {
        let start = Instant::now();
        let answered = who_am_i(&client, &tokens[n % tokens.len()]).await;
        whoami.record(start.elapsed());
        failed_whoami += u64::from(answered.is_err());
    }
    eprintln!(
        "p11: {name}: WhoAmI for {:?}, {} in flight",
        args.duration, args.in_flight
    );
    let (whoamis, failed_whoamis) =
        throughput(args, &client, &users, &tokens, Call::WhoAmI).await?;

    eprintln!(
        "p11: {name}: WhoAmI, 1 in flight, while {} logins are in flight",
        args.in_flight
    );
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let load: Vec<_> = (0..args.in_flight)
        .map(|n| {
            let (client, user) = (client.clone(), users[n % USERS].clone());
            let (stop, done) = (stop.clone(), done.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    if log_in(&client, &user).await.is_ok() {
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    let started = Instant::now();
    let mut under_logins = Samples::with_capacity(4096);
    let mut failed_under_logins = 0;
    while started.elapsed() < args.duration {
        let start = Instant::now();
        let answered = who_am_i(&client, &tokens[under_logins.len() % tokens.len()]).await;
        under_logins.record(start.elapsed());
        failed_under_logins += u64::from(answered.is_err());
    }
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    for task in load {
        let _ = task.await;
    }
    Ok(Backend {
        name,
        login: login.summary(),
        login_per_second: logins,
        whoami: whoami.summary(),
        whoami_per_second: whoamis,
        whoami_under_logins: under_logins.summary(),
        logins_meanwhile_per_second: stats::divide(
            done.load(Ordering::Relaxed) as f64,
            elapsed.as_secs_f64(),
        ),
        failed: Failed {
            logins: failed_logins,
            whoami: failed_whoami,
            whoami_throughput: failed_whoamis,
            whoami_under_logins: failed_under_logins,
        },
    })
}

#[derive(Debug, Clone, Copy)]
enum Call {
    Login,
    WhoAmI,
}

/// Calls answered OK per second with `in_flight` callers for the duration,
/// and how many failed (each failure counted, none stopping the run).
async fn throughput(
    args: &P11Args,
    client: &AccountsClient<Channel>,
    users: &[String],
    tokens: &[String],
    call: Call,
) -> anyhow::Result<(f64, u64)> {
    let deadline = Instant::now() + args.duration;
    let started = Instant::now();
    let callers: Vec<_> = (0..args.in_flight)
        .map(|n| {
            let client = client.clone();
            let user = users[n % users.len()].clone();
            let token = tokens[n % tokens.len()].clone();
            tokio::spawn(async move {
                let (mut answered, mut failed) = (0u64, 0u64);
                while Instant::now() < deadline {
                    let result = match call {
                        Call::Login => log_in(&client, &user).await.map(|_| ()),
                        Call::WhoAmI => who_am_i(&client, &token).await,
                    };
                    match result {
                        Ok(()) => answered += 1,
                        Err(_) => failed += 1,
                    }
                }
                (answered, failed)
            })
        })
        .collect();
    let (mut answered, mut failed) = (0, 0);
    for caller in callers {
        let (ok, failures) = caller.await?;
        answered += ok;
        failed += failures;
    }
    Ok((
        stats::divide(answered as f64, started.elapsed().as_secs_f64()),
        failed,
    ))
}

async fn log_in(client: &AccountsClient<Channel>, user: &str) -> anyhow::Result<String> {
    let reply = client
        .clone()
        .login(LoginRequest {
            username: user.to_owned(),
            password: PASSWORD.into(),
        })
        .await
        .context("Login failed")?;
    Ok(reply.into_inner().token)
}

async fn who_am_i(client: &AccountsClient<Channel>, token: &str) -> anyhow::Result<()> {
    client
        .clone()
        .who_am_i(WhoAmIRequest {
            token: token.to_owned(),
        })
        .await
        .context("WhoAmI failed")?;
    Ok(())
}

fn table(hash: Summary, backends: [Backend; 2], args: &P11Args) -> Table {
    let [sqlite, postgres] = &backends;
    let mut table = Table::new(
        "P11 — accounts: Login and WhoAmI",
        &["", sqlite.name, postgres.name, "target", "met"],
    );
    let both = |pick: &dyn Fn(&Backend) -> String| [pick(sqlite), pick(postgres)];
    let pair = |s: &Summary| format!("{} / {}", duration(s.p50), duration(s.p99));
    let within =
        |pick: fn(&Backend) -> &Summary| backends.iter().all(|b| pick(b).p99 < WHOAMI_TARGET);
    let rows: [(&str, [String; 2], &str, Option<bool>); 7] = [
        (
            "argon2id hash alone, p50 / p99 (in-process)",
            [pair(&hash), pair(&hash)],
            "",
            None,
        ),
        (
            "Login p50 / p99, 1 in flight",
            both(&|b| pair(&b.login)),
            "",
            None,
        ),
        (
            "Login calls/s answered OK (failed)",
            both(&|b| format!("{} ({})", stats::count(b.login_per_second), b.failed.logins)),
            "",
            None,
        ),
        (
            "WhoAmI p50 / p99, 1 in flight (failed calls included)",
            both(&|b| format!("{} ({} failed)", pair(&b.whoami), b.failed.whoami)),
            "p99 < 50 ms",
            Some(within(|b| &b.whoami)),
        ),
        (
            "WhoAmI calls/s answered OK (failed)",
            both(&|b| {
                format!(
                    "{} ({})",
                    stats::count(b.whoami_per_second),
                    b.failed.whoami_throughput
                )
            }),
            "",
            None,
        ),
        (
            "WhoAmI p50 / p99 while logins run (failed calls included)",
            both(&|b| {
                format!(
                    "{} ({} failed)",
                    pair(&b.whoami_under_logins),
                    b.failed.whoami_under_logins
                )
            }),
            "p99 < 50 ms",
            Some(within(|b| &b.whoami_under_logins)),
        ),
        (
            "logins/s meanwhile",
            both(&|b| stats::count(b.logins_meanwhile_per_second)),
            "",
            None,
        ),
    ];
    for (name, [a, b], target, met) in rows {
        table.row([
            name.to_owned(),
            a,
            b,
            target.to_owned(),
            met.map_or("", verdict).to_owned(),
        ]);
    }
    table.note(format!(
        "`clocker serve accounts` (release) on SQLite (a file in a temporary directory) and on \
         PostgreSQL 15 (a throwaway cluster from initdb, fsync off, on the same machine), \
         {USERS} registered users. Login verifies an argon2id hash (19 MiB, 2 passes, 1 lane) \
         on the blocking pool, at most one per core; {} logins and {} WhoAmI one after another; \
         calls/s with {} in flight for {:?} from a 2-thread tokio client. \"While logins run\": \
         WhoAmI one at a time while {} callers log in continuously. The hash alone is timed in \
         the benchmark process with the same parameters ({} hashes).",
        args.logins, args.whoami, args.in_flight, args.duration, args.in_flight, hash.count,
    ));
    table
}
