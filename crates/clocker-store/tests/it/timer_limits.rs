//! Quotas, owner-filtered replay and retention, on both backends.

use clocker_store::{
    EventKind, IdempotencyKey, QuotaKey, Recorded, TimerInsert, TimerRecord, TimerState,
};
use clocker_testdb::test_both_backends;

use crate::support::open;

fn timer(id: &str, owner: Option<&str>, fires_at_ms: i64) -> TimerRecord {
    TimerRecord {
        id: id.to_owned(),
        owner_id: owner.map(str::to_owned),
        label: format!("label of {id}"),
        hours: 0,
        minutes: 1,
        seconds: 0,
        created_at_ms: 1_000,
        fires_at_ms,
        state: TimerState::Pending,
        ended_at_ms: None,
    }
}

test_both_backends! {
    async fn the_quota_counts_pending_timers_per_address_and_per_account(db: TestDatabase) {
        let store = open(&db).await;
        let here = QuotaKey::Address("127.0.0.2");
        for n in 0..3 {
            let inserted = store
                .insert_timer_within_quota(&timer(&format!("a{n}"), None, 60_000), here, Some(3), None)
                .await
                .expect("insert");
            assert!(matches!(inserted, TimerInsert::Inserted { .. }), "timer {n} is within the quota");
        }
        let over = store
            .insert_timer_within_quota(&timer("a3", None, 60_000), here, Some(3), None)
            .await
            .expect("insert");
        assert_eq!(over, TimerInsert::OverQuota, "the fourth is refused");
        assert_eq!(store.get_timer("a3").await.expect("query"), None, "nothing was written");
        assert_eq!(store.count_pending_timers(here).await.expect("count"), 3);
        // Another address and an account have quotas of their own.
        let there = QuotaKey::Address("127.0.0.1");
        assert!(matches!(store.insert_timer_within_quota(&timer("b0", None, 60_000), there, Some(3), None).await.expect("insert"), TimerInsert::Inserted { .. }));
        let alice = QuotaKey::Account("alice");
        assert!(matches!(store.insert_timer_within_quota(&timer("c0", Some("alice"), 60_000), alice, Some(1), None).await.expect("insert"), TimerInsert::Inserted { .. }));
        assert_eq!(store.insert_timer_within_quota(&timer("c1", Some("alice"), 60_000), alice, Some(1), None).await.expect("insert"), TimerInsert::OverQuota);
        // An ended timer frees its place.
        store.end_timers(&["a0".to_owned()], EventKind::Cancelled, 2_000).await.expect("cancel");
        assert!(matches!(store.insert_timer_within_quota(&timer("a4", None, 60_000), here, Some(3), None).await.expect("insert"), TimerInsert::Inserted { .. }));
        // No number was taken by a refused insert.
        assert_eq!(store.max_event_seq().await.expect("max"), 7);
        // Without a quota nothing is counted: any number may be pending.
        assert!(matches!(store.insert_timer_within_quota(&timer("a5", None, 60_000), here, None, None).await.expect("insert"), TimerInsert::Inserted { .. }));
        assert_eq!(store.count_pending_timers(here).await.expect("count"), 4);
    }

    async fn an_idempotency_key_repeats_its_first_write_and_refuses_another(db: TestDatabase) {
        let store = open(&db).await;
        let here = QuotaKey::Address("127.0.0.2");
        let key = |scope, fingerprint| IdempotencyKey { scope, key: "k-1", fingerprint };
        let first = key("timer address:127.0.0.2", "0:1:30 tea");
        let stored = store.insert_timer_within_quota(&timer("t1", None, 60_000), here, Some(2), Some(first)).await.expect("insert");
        assert!(matches!(stored, TimerInsert::Inserted { .. }), "{stored:?}");
        // The retry: the first timer, and nothing written.
        let again = store.insert_timer_within_quota(&timer("t2", None, 60_000), here, Some(2), Some(first)).await.expect("insert");
        assert_eq!(again, TimerInsert::Replayed(Recorded::Same("t1".into())));
        assert_eq!(store.get_timer("t2").await.expect("query"), None);
        // The key for another request is refused; in another scope it is another key.
        let other = store.insert_timer_within_quota(&timer("t3", None, 60_000), here, Some(2), Some(key("timer address:127.0.0.2", "0:0:5 "))).await.expect("insert");
        assert_eq!(other, TimerInsert::Replayed(Recorded::Other));
        let elsewhere = key("timer address:127.0.0.1", "0:1:30 tea");
        let there = QuotaKey::Address("127.0.0.1");
        assert!(matches!(store.insert_timer_within_quota(&timer("t4", None, 60_000), there, Some(2), Some(elsewhere)).await.expect("insert"), TimerInsert::Inserted { .. }));
        // A write refused by its quota does not use up its key.
        store.insert_timer_within_quota(&timer("t5", None, 60_000), here, Some(2), None).await.expect("insert");
        let fresh = key("timer address:127.0.0.2", "0:2:0 ");
        let fresh = IdempotencyKey { key: "k-2", ..fresh };
        assert_eq!(store.insert_timer_within_quota(&timer("t6", None, 60_000), here, Some(2), Some(fresh)).await.expect("insert"), TimerInsert::OverQuota);
        assert_eq!(store.recorded(&fresh).await.expect("query"), None);
        // Keys expire.
        assert_eq!(store.delete_idempotency_keys(61_000, 100).await.expect("pruned"), 2);
        assert_eq!(store.recorded(&first).await.expect("query"), None);
    }

    async fn replay_reads_only_the_owners_events_or_the_named_anonymous_timers(db: TestDatabase) {
        let store = open(&db).await;
        store.insert_timer(&timer("alice1", Some("alice"), 5_000)).await.expect("insert");
        store.insert_timer(&timer("bob1", Some("bob"), 5_000)).await.expect("insert");
        store.insert_timer(&timer("anon1", None, 5_000)).await.expect("insert");
        store.insert_timer(&timer("anon2", None, 5_000)).await.expect("insert");
        store.insert_timer(&timer("alice2", Some("alice"), 6_000)).await.expect("insert");
        let all: Vec<String> = ["alice1", "bob1", "anon1", "anon2", "alice2"].map(str::to_owned).into();
        store.end_timers(&all, EventKind::Fired, 7_000).await.expect("fire");
        let ids = |events: Vec<clocker_store::EventRecord>| -> Vec<(i64, String)> {
            events.into_iter().map(|event| (event.seq, event.timer.id)).collect()
        };
        let alice = ids(store.list_owner_events_since("alice", 0, 100).await.expect("replay"));
        assert_eq!(
            alice,
            [(1, "alice1".to_owned()), (5, "alice2".to_owned()), (6, "alice1".to_owned()), (10, "alice2".to_owned())]
        );
        let after = ids(store.list_owner_events_since("alice", 5, 1).await.expect("replay"));
        assert_eq!(after, [(6, "alice1".to_owned())], "after a number, bounded by the limit");
        let named = ids(
            store
                .list_anonymous_events_since(&["anon2".to_owned(), "bob1".to_owned(), "nope".to_owned()], 0, 100)
                .await
                .expect("replay"),
        );
        assert_eq!(named, [(4, "anon2".to_owned()), (9, "anon2".to_owned())], "never an owned timer, even named");
        assert!(store.list_anonymous_events_since(&[], 0, 100).await.expect("replay").is_empty());
    }

    async fn retention_deletes_only_timers_that_ended_before_the_cutoff(db: TestDatabase) {
        let store = open(&db).await;
        for id in ["old1", "old2", "recent", "pending"] {
            store.insert_timer(&timer(id, None, 5_000)).await.expect("insert");
        }
        store.end_timers(&["old1".to_owned()], EventKind::Fired, 10_000).await.expect("fire");
        store.end_timers(&["old2".to_owned()], EventKind::Cancelled, 11_000).await.expect("cancel");
        store.end_timers(&["recent".to_owned()], EventKind::Fired, 50_000).await.expect("fire");
        assert_eq!(store.dropped_event_seq().await.expect("dropped"), 0);
        // Bounded batches: one at a time.
        let first = store.delete_ended_timers(20_000, 1).await.expect("prune");
        assert_eq!(first.timers, 1);
        let second = store.delete_ended_timers(20_000, 1).await.expect("prune");
        assert_eq!(second.timers, 1);
        let third = store.delete_ended_timers(20_000, 1).await.expect("prune");
        assert_eq!(third.timers, 0, "nothing else ended before the cutoff");
        assert_eq!(store.get_timer("old1").await.expect("query"), None);
        assert_eq!(store.get_timer("old2").await.expect("query"), None);
        assert!(store.get_timer("recent").await.expect("query").is_some());
        assert!(store.get_timer("pending").await.expect("query").is_some());
        // old1: set 1, fired 5; old2: set 2, cancelled 6.
        assert_eq!(store.dropped_event_seq().await.expect("dropped"), 6);
        let left: Vec<(i64, String)> = store
            .list_events_since(0, 100)
            .await
            .expect("events")
            .into_iter()
            .map(|event| (event.seq, event.timer.id))
            .collect();
        assert_eq!(
            left,
            [(3, "recent".to_owned()), (4, "pending".to_owned()), (7, "recent".to_owned())]
        );
        // Pending timers are never deleted, however old.
        assert_eq!(store.delete_ended_timers(i64::MAX, 100).await.expect("prune").timers, 1);
        assert!(store.get_timer("pending").await.expect("query").is_some());
    }
}
