//! `schema.sql` and the migrations describe the same schema.

use clocker_store::Backend;
use clocker_testdb::{TestDatabase, test_both_backends};
use sqlx::{AnyPool, AssertSqlSafe, Row};

use crate::support::open;

const SCHEMA_SQL: &str = include_str!("../../schema.sql");

/// Tables, columns and indexes, one line each, sorted.
async fn describe(pool: &AnyPool, backend: Backend) -> Vec<String> {
    let query = match backend {
        Backend::Sqlite => {
            "SELECT m.name || '.' || p.name || ' ' || p.type || \
                    CASE WHEN p.\"notnull\" = 1 THEN ' not null' ELSE '' END || \
                    CASE WHEN p.pk > 0 THEN ' pk' ELSE '' END AS line \
             FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE '\\_sqlx%' ESCAPE '\\' \
             UNION ALL \
             SELECT 'index ' || m.tbl_name || '.' || m.name || ' ' || \
                    (SELECT group_concat(name, ',') FROM pragma_index_info(m.name)) AS line \
             FROM sqlite_master m WHERE m.type = 'index' AND m.tbl_name NOT LIKE '\\_sqlx%' ESCAPE '\\'"
        }
        Backend::Postgres => {
            "SELECT table_name || '.' || column_name || ' ' || data_type || \
                    CASE WHEN is_nullable = 'NO' THEN ' not null' ELSE '' END AS line \
             FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name NOT LIKE '\\_sqlx%' \
             UNION ALL \
             SELECT 'index ' || tablename || '.' || indexname || ' ' || indexdef AS line \
             FROM pg_indexes WHERE schemaname = 'public' AND tablename NOT LIKE '\\_sqlx%'"
        }
    };
    let mut lines: Vec<String> = sqlx::query(query)
        .fetch_all(pool)
        .await
        .expect("schema query")
        .iter()
        .map(|row| row.try_get::<String, _>("line").expect("a line"))
        .collect();
    lines.sort();
    lines
}

test_both_backends! {
    async fn schema_sql_matches_the_migrations(db: TestDatabase) {
        let migrated = open(&db).await;
        let by_file = TestDatabase::new(db.backend()).expect("a second database");
        // A plain pool, so the second database gets schema.sql, not the migrations.
        let url = match db.backend() {
            clocker_testdb::Backend::Sqlite => format!("{}?mode=rwc", by_file.url()),
            clocker_testdb::Backend::Postgres => by_file.url().to_owned(),
        };
        let from_file = AnyPool::connect(&url).await.expect("connects");
        sqlx::raw_sql(AssertSqlSafe(SCHEMA_SQL))
            .execute(&from_file)
            .await
            .expect("schema.sql applies");
        let backend = migrated.backend();
        let expected = describe(migrated.pool(), backend).await;
        assert!(expected.iter().any(|line| line.starts_with("accounts.username")), "{expected:?}");
        assert_eq!(describe(&from_file, backend).await, expected);
    }
}
