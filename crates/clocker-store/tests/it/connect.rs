use std::net::{Ipv4Addr, TcpListener};

use clocker_store::{Backend, ConnectError, DatabaseConfig, Store, StoreConfig};
use clocker_testdb::{TestDatabase, test_both_backends};

use crate::support::{config, open};

test_both_backends! {
    async fn migrations_run_once_and_reopening_is_harmless(db: TestDatabase) {
        let first = open(&db).await;
        let expected = match db.backend() {
            clocker_testdb::Backend::Sqlite => Backend::Sqlite,
            clocker_testdb::Backend::Postgres => Backend::Postgres,
        };
        assert_eq!(first.backend(), expected);
        let second = open(&db).await;
        let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations")
            .fetch_one(second.pool())
            .await
            .expect("count");
        assert_eq!(applied, clocker_store::MIGRATIONS.len() as i64);
    }
}

#[tokio::test]
async fn a_missing_data_dir_is_created() {
    let parent = tempfile::tempdir().expect("temp dir");
    let data_dir = parent.path().join("nested").join("data");
    let config = StoreConfig::resolve(&DatabaseConfig {
        data_dir: data_dir.clone(),
        ..DatabaseConfig::default()
    })
    .expect("valid");
    let store = Store::connect(&config).await.expect("opens");
    assert_eq!(store.backend(), Backend::Sqlite);
    assert!(data_dir.join(clocker_store::SQLITE_FILE).is_file());
}

#[tokio::test]
async fn an_unreachable_server_is_one_line_naming_it_without_the_password() {
    // A port nobody listens on: bound, then released.
    let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let config = StoreConfig::resolve(&DatabaseConfig {
        postgres_host: Some("127.0.0.1".into()),
        postgres_port: Some(port),
        postgres_user: Some("clock".into()),
        postgres_password: Some("hunter2-secret".into()),
        postgres_database: Some("accounts".into()),
        ..DatabaseConfig::default()
    })
    .expect("valid");
    let err = Store::connect(&config).await.expect_err("nothing listens");
    let line = err.to_string();
    assert!(matches!(err, ConnectError::Unreachable(_)), "{err:?}");
    assert!(line.contains(&format!("127.0.0.1:{port}")), "{line}");
    assert!(line.contains("POSTGRES_HOST"), "{line}");
    assert!(!line.contains("hunter2"), "{line}");
    assert!(!line.contains('\n'), "{line}");
}

#[tokio::test]
async fn a_wrong_password_is_named_as_such() {
    let db = TestDatabase::postgres().expect("a PostgreSQL test database");
    let StoreConfig::Postgres { mut url } = config(&db) else {
        panic!("a postgres URL");
    };
    url.set_password(Some("wrong-secret")).expect("settable");
    let err = Store::connect(&StoreConfig::Postgres { url })
        .await
        .expect_err("refused");
    let line = err.to_string();
    assert!(line.contains("POSTGRES_PASSWORD"), "{line}");
    assert!(!line.contains("wrong-secret"), "{line}");
}
