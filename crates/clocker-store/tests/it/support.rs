//! Opening a store on a test database.

use clocker_store::{Store, StoreConfig};
use clocker_testdb::TestDatabase;

/// The config for `db`.
pub fn config(db: &TestDatabase) -> StoreConfig {
    StoreConfig::from_url(db.url()).expect("test database URLs are valid")
}

/// A connected, migrated store on `db`.
pub async fn open(db: &TestDatabase) -> Store {
    Store::connect(&config(db))
        .await
        .unwrap_or_else(|err| panic!("cannot open the test store: {err}"))
}
