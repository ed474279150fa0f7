//! The timer indexes hold only the rows their queries read, so a set writes
//! as few index pages as it can, and those queries still use them (SQLite's
//! plans; `INDEXED BY` fails with "no query solution" when a partial index
//! cannot hold the rows a condition asks for).

use clocker_testdb::{Backend, TestDatabase};
use sqlx::{AnyPool, AssertSqlSafe, Row};

use crate::support::open;

async fn sqlite_store() -> (TestDatabase, clocker_store::Store) {
    let db = TestDatabase::new(Backend::Sqlite).expect("a test database");
    let store = open(&db).await;
    (db, store)
}

/// SQLite's plan of `sql`, its steps joined.
async fn plan(pool: &AnyPool, sql: &str) -> String {
    let rows = sqlx::query(AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")))
        .fetch_all(pool)
        .await
        .unwrap_or_else(|err| panic!("no plan for {sql}: {err}"));
    rows.iter()
        .map(|row| row.try_get::<String, _>("detail").expect("a detail"))
        .collect::<Vec<_>>()
        .join("; ")
}

#[tokio::test]
async fn anonymous_timers_are_in_no_owner_index_and_owned_ones_in_no_address_index() {
    let (_db, store) = sqlite_store().await;
    for (index, table, rows) in [
        ("timers_by_owner", "timers", "owner_id IS NULL"),
        (
            "timers_pending_by_owner",
            "timers",
            "state = 'pending' AND owner_id IS NULL",
        ),
        (
            "timers_pending_by_addr",
            "timers",
            "state = 'pending' AND client_addr IS NULL",
        ),
        (
            "timer_events_by_owner",
            "timer_events",
            "timer_owner_id IS NULL",
        ),
    ] {
        let sql = format!("SELECT COUNT(*) FROM {table} INDEXED BY {index} WHERE {rows}");
        let held = sqlx::query_scalar::<_, i64>(AssertSqlSafe(sql))
            .fetch_one(store.pool())
            .await;
        let err = held.expect_err(&format!("{index} holds rows where {rows}"));
        assert!(
            err.to_string().contains("no query solution"),
            "{index}: {err}"
        );
    }
}

#[tokio::test]
async fn the_queries_that_need_an_index_use_it() {
    let (_db, store) = sqlite_store().await;
    for (sql, index) in [
        (
            "SELECT id FROM timers WHERE owner_id = 'a' ORDER BY created_at_ms DESC, id DESC LIMIT 5",
            "timers_by_owner",
        ),
        (
            "SELECT COUNT(*) FROM timers WHERE state = 'pending' AND owner_id = 'a'",
            "timers_pending_by_owner",
        ),
        (
            "SELECT COUNT(*) FROM timers WHERE state = 'pending' AND client_addr = '127.0.0.2'",
            "timers_pending_by_addr",
        ),
        (
            "SELECT seq FROM timer_events WHERE timer_owner_id = 'a' AND seq > 3 ORDER BY seq LIMIT 5",
            "timer_events_by_owner",
        ),
        (
            "SELECT seq FROM timer_events WHERE timer_id IN ('x', 'y') AND timer_owner_id IS NULL \
             AND seq > 3 ORDER BY seq LIMIT 5",
            "timer_events_by_timer",
        ),
    ] {
        let plan = plan(store.pool(), sql).await;
        assert!(plan.contains(index), "{sql}\n uses {plan}, not {index}");
    }
}
