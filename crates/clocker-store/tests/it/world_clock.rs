//! An account's world clock: empty for a new account, replaced whole, kept
//! per account.

use clocker_store::StoreError;
use clocker_testdb::test_both_backends;

use crate::support::{account, open};

fn zones(names: &[&str]) -> Vec<String> {
    names.iter().map(|name| (*name).to_owned()).collect()
}

test_both_backends! {
    async fn a_new_account_has_an_empty_world_clock(db: TestDatabase) {
        let store = open(&db).await;
        store.insert_account(&account("id-1", "alice")).await.expect("inserted");
        assert_eq!(store.get_world_clock("id-1").await.expect("query"), Some(Vec::new()));
    }

    async fn a_world_clock_is_replaced_whole_and_keeps_its_order(db: TestDatabase) {
        let store = open(&db).await;
        store.insert_account(&account("id-1", "alice")).await.expect("inserted");
        let first = zones(&["Asia/Tokyo", "UTC", "America/Argentina/Buenos_Aires"]);
        assert!(store.set_world_clock("id-1", &first).await.expect("set"));
        assert_eq!(store.get_world_clock("id-1").await.expect("query"), Some(first));
        let second = zones(&["Europe/Paris", "Asia/Tokyo"]);
        assert!(store.set_world_clock("id-1", &second).await.expect("set"));
        assert_eq!(store.get_world_clock("id-1").await.expect("query"), Some(second));
        assert!(store.set_world_clock("id-1", &[]).await.expect("cleared"));
        assert_eq!(store.get_world_clock("id-1").await.expect("query"), Some(Vec::new()));
    }

    async fn one_accounts_world_clock_is_not_anothers(db: TestDatabase) {
        let store = open(&db).await;
        store.insert_account(&account("id-1", "alice")).await.expect("inserted");
        store.insert_account(&account("id-2", "bob")).await.expect("inserted");
        store.set_world_clock("id-1", &zones(&["Asia/Tokyo"])).await.expect("set");
        assert_eq!(store.get_world_clock("id-2").await.expect("query"), Some(Vec::new()));
    }

    async fn an_unknown_account_has_no_world_clock(db: TestDatabase) {
        let store = open(&db).await;
        assert_eq!(store.get_world_clock("nobody").await.expect("query"), None);
        assert!(!store.set_world_clock("nobody", &zones(&["UTC"])).await.expect("set"));
    }

    async fn a_name_that_would_break_the_list_is_refused(db: TestDatabase) {
        let store = open(&db).await;
        store.insert_account(&account("id-1", "alice")).await.expect("inserted");
        for bad in [zones(&["UTC\nAsia/Tokyo"]), zones(&["UTC", ""])] {
            let err = store.set_world_clock("id-1", &bad).await.expect_err("refused");
            assert!(matches!(err, StoreError::Internal(_)), "{err:?}");
        }
        assert_eq!(store.get_world_clock("id-1").await.expect("query"), Some(Vec::new()));
    }
}
