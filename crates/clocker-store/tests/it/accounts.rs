use clocker_store::{SessionRecord, StoreError};
use clocker_testdb::test_both_backends;

use crate::support::{account, open};

fn session(digest: &str, account_id: &str, expires_at_ms: i64) -> SessionRecord {
    SessionRecord {
        token_sha256: digest.to_owned(),
        account_id: account_id.to_owned(),
        created_at_ms: 1_700_000_000_000,
        expires_at_ms,
    }
}

test_both_backends! {
    async fn an_account_is_found_by_its_name(db: TestDatabase) {
        let store = open(&db).await;
        let alice = account("id-1", "alice");
        store.insert_account(&alice).await.expect("inserted");
        let found = store.get_account_by_username("alice").await.expect("query");
        assert_eq!(found, Some(alice));
        assert_eq!(store.get_account_by_username("bob").await.expect("query"), None);
    }

    async fn a_taken_name_is_a_conflict(db: TestDatabase) {
        let store = open(&db).await;
        store.insert_account(&account("id-1", "alice")).await.expect("inserted");
        let err = store
            .insert_account(&account("id-2", "alice"))
            .await
            .expect_err("the name is taken");
        assert!(matches!(err, StoreError::Conflict), "{err:?}");
    }

    async fn of_twenty_concurrent_inserts_of_one_name_exactly_one_wins(db: TestDatabase) {
        let store = open(&db).await;
        let attempts = (0..20).map(|i| {
            let store = store.clone();
            tokio::spawn(async move { store.insert_account(&account(&format!("id-{i}"), "carol")).await })
        });
        let mut won = 0;
        for attempt in attempts {
            match attempt.await.expect("task") {
                Ok(()) => won += 1,
                Err(StoreError::Conflict) => {}
                Err(other) => panic!("unexpected error: {other:?}"),
            }
        }
        assert_eq!(won, 1);
    }

    async fn hostile_names_are_stored_as_data(db: TestDatabase) {
        let store = open(&db).await;
        let names = ["o'brien", "'; DROP TABLE accounts; --", "\"quoted\"", "zoë-日本", "a\\b%_"];
        for (i, name) in names.iter().enumerate() {
            store.insert_account(&account(&format!("id-{i}"), name)).await.expect("inserted");
        }
        for name in names {
            let found = store.get_account_by_username(name).await.expect("query");
            assert_eq!(found.map(|a| a.username).as_deref(), Some(name));
        }
        // A LIKE pattern is not a wildcard here.
        assert_eq!(store.get_account_by_username("a%").await.expect("query"), None);
    }

    async fn a_live_session_finds_its_account_until_it_expires(db: TestDatabase) {
        let store = open(&db).await;
        let alice = account("id-1", "alice");
        store.insert_account(&alice).await.expect("inserted");
        store.insert_session(&session("digest-1", "id-1", 2_000)).await.expect("inserted");
        let (found, owner) = store
            .get_live_session("digest-1", 1_999)
            .await
            .expect("query")
            .expect("live");
        assert_eq!(found, session("digest-1", "id-1", 2_000));
        assert_eq!(owner, alice);
        assert_eq!(store.get_live_session("digest-1", 2_000).await.expect("query"), None);
        assert_eq!(store.get_live_session("other", 0).await.expect("query"), None);
    }

    async fn a_deleted_session_is_gone(db: TestDatabase) {
        let store = open(&db).await;
        store.insert_account(&account("id-1", "alice")).await.expect("inserted");
        store.insert_session(&session("digest-1", "id-1", i64::MAX)).await.expect("inserted");
        assert!(store.delete_session("digest-1").await.expect("delete"));
        assert!(!store.delete_session("digest-1").await.expect("delete again"));
        assert_eq!(store.get_live_session("digest-1", 0).await.expect("query"), None);
    }

    async fn expired_sessions_are_swept(db: TestDatabase) {
        let store = open(&db).await;
        store.insert_account(&account("id-1", "alice")).await.expect("inserted");
        store.insert_session(&session("old", "id-1", 1_000)).await.expect("inserted");
        store.insert_session(&session("new", "id-1", 3_000)).await.expect("inserted");
        assert_eq!(store.delete_expired_sessions(2_000).await.expect("sweep"), 1);
        assert!(store.get_live_session("new", 2_000).await.expect("query").is_some());
    }

    async fn a_session_needs_an_existing_account(db: TestDatabase) {
        let store = open(&db).await;
        let err = store
            .insert_session(&session("digest", "nobody", 1))
            .await
            .expect_err("foreign key");
        assert!(matches!(err, StoreError::Internal(_)), "{err:?}");
    }

    async fn data_survives_reopening_the_store(db: TestDatabase) {
        let store = open(&db).await;
        store.insert_account(&account("id-1", "alice")).await.expect("inserted");
        store.close().await;
        let reopened = open(&db).await;
        assert!(reopened.get_account_by_username("alice").await.expect("query").is_some());
    }
}
