//! `clocker-testdb -- CMD [ARGS…]`: runs CMD beside a throwaway PostgreSQL
//! cluster, with `CLOCKER_TEST_DATABASE_URL` pointing at it, so every test in
//! the run shares one cluster (each test still gets a database of its own).
//! The cluster is stopped and removed when CMD ends; CMD's exit code is ours.

use std::process::{Command, ExitCode};

use clocker_testdb::{PgCluster, SHARED_URL_VAR};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1).peekable();
    if args.peek().is_some_and(|first| first == "--") {
        args.next();
    }
    let Some(program) = args.next() else {
        eprintln!("usage: clocker-testdb -- COMMAND [ARGS...]");
        eprintln!("runs COMMAND with {SHARED_URL_VAR} set to a throwaway PostgreSQL cluster");
        return ExitCode::from(2);
    };
    if matches!(program.as_str(), "-h" | "--help") {
        println!("usage: clocker-testdb -- COMMAND [ARGS...]");
        println!("runs COMMAND with {SHARED_URL_VAR} set to a throwaway PostgreSQL cluster");
        return ExitCode::SUCCESS;
    }
    let mut cluster = match PgCluster::start() {
        Ok(cluster) => cluster,
        Err(err) => {
            eprintln!("clocker-testdb: cannot start PostgreSQL: {err}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!(
        "clocker-testdb: PostgreSQL on 127.0.0.1:{} for this run",
        cluster.port()
    );
    let status = Command::new(&program)
        .args(args)
        .env(SHARED_URL_VAR, cluster.admin_url())
        .status();
    if let Err(err) = cluster.stop() {
        eprintln!("clocker-testdb: stopping PostgreSQL: {err}");
    }
    match status {
        Ok(status) => match status.code() {
            Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
            None => ExitCode::FAILURE,
        },
        Err(err) => {
            eprintln!("clocker-testdb: cannot run {program}: {err}");
            ExitCode::FAILURE
        }
    }
}
