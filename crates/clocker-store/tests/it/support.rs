//! Opening a store on a test database.

use clocker_store::{AccountRecord, Store, StoreConfig};
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

/// An account row named `username`, with a fixed password hash.
pub fn account(id: &str, username: &str) -> AccountRecord {
    AccountRecord {
        id: id.to_owned(),
        username: username.to_owned(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned(),
        created_at_ms: 1_700_000_000_000,
    }
}
