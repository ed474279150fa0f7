use clocker_store::{EventKind, TimerRecord, TimerState};
use clocker_testdb::test_both_backends;

use crate::support::open;

fn timer(id: &str, owner: Option<&str>, fires_at_ms: i64) -> TimerRecord {
    TimerRecord {
        id: id.to_owned(),
        owner_id: owner.map(str::to_owned),
        label: "tea".to_owned(),
        hours: 0,
        minutes: 1,
        seconds: 30,
        created_at_ms: 1_000,
        fires_at_ms,
        state: TimerState::Pending,
        ended_at_ms: None,
    }
}

test_both_backends! {
    async fn a_timer_is_stored_with_its_set_event(db: TestDatabase) {
        let store = open(&db).await;
        let tea = timer("t1", None, 91_000);
        assert_eq!(store.insert_timer(&tea).await.expect("inserted"), 1);
        assert_eq!(store.get_timer("t1").await.expect("query"), Some(tea.clone()));
        assert_eq!(store.get_timer("t2").await.expect("query"), None);
        let events = store.list_events_since(0, 10).await.expect("events");
        assert_eq!(events.len(), 1);
        assert_eq!((events[0].seq, events[0].kind), (1, EventKind::Set));
        assert_eq!(events[0].timer, tea);
        assert_eq!(store.max_event_seq().await.expect("max"), 1);
    }

    async fn a_timer_ends_once(db: TestDatabase) {
        let store = open(&db).await;
        store.insert_timer(&timer("t1", None, 5_000)).await.expect("inserted");
        store.insert_timer(&timer("t2", None, 6_000)).await.expect("inserted");
        let ids = ["t1".to_owned(), "t2".to_owned()];
        let fired = store.end_timers(&ids, EventKind::Fired, 6_001).await.expect("fired");
        let fired_ids: Vec<_> = fired.iter().map(|e| (e.seq, e.timer.id.as_str(), e.timer.state)).collect();
        assert_eq!(fired_ids, [(3, "t1", TimerState::Fired), (4, "t2", TimerState::Fired)]);
        // A second attempt (as after a crash, or by another replica) changes nothing and numbers nothing.
        let again = store.end_timers(&ids, EventKind::Cancelled, 7_000).await.expect("no-op");
        assert!(again.is_empty());
        assert_eq!(store.max_event_seq().await.expect("max"), 4);
        store.insert_timer(&timer("t3", None, 8_000)).await.expect("inserted");
        assert_eq!(store.max_event_seq().await.expect("max"), 5, "no number was skipped");
        let t1 = store.get_timer("t1").await.expect("query").expect("found");
        assert_eq!((t1.state, t1.ended_at_ms), (TimerState::Fired, Some(6_001)));
        let kinds: Vec<_> = store
            .list_events_since(2, 10)
            .await
            .expect("events")
            .into_iter()
            .map(|e| (e.seq, e.kind, e.timer.id))
            .collect();
        assert_eq!(
            kinds,
            [
                (3, EventKind::Fired, "t1".to_owned()),
                (4, EventKind::Fired, "t2".to_owned()),
                (5, EventKind::Set, "t3".to_owned()),
            ]
        );
        assert_eq!(store.list_pending_timers(None, 10).await.expect("pending"), [("t3".to_owned(), 8_000)]);
    }

    async fn a_batch_larger_than_one_statement_ends_every_timer_in_the_order_asked(db: TestDatabase) {
        let store = open(&db).await;
        // Two statements' worth (1,000 timers each), the second one partly full.
        let ids: Vec<String> = (0..1_234).map(|n| format!("t{n:04}")).collect();
        for id in &ids {
            store.insert_timer(&timer(id, None, 5_000)).await.expect("inserted");
        }
        let asked: Vec<String> = ids.iter().rev().cloned().collect();
        let fired = store.end_timers(&asked, EventKind::Fired, 5_001).await.expect("fired");
        let fired_ids: Vec<&str> = fired.iter().map(|e| e.timer.id.as_str()).collect();
        assert_eq!(fired_ids, asked.iter().map(String::as_str).collect::<Vec<_>>());
        let seqs: Vec<i64> = fired.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (1_235..=2_468).collect::<Vec<_>>());
        assert!(fired.iter().all(|e| e.timer.state == TimerState::Fired && e.timer.ended_at_ms == Some(5_001)));
        let logged = store.list_events_since(1_234, 2_000).await.expect("events");
        assert_eq!(logged.len(), 1_234);
        assert!(logged.iter().zip(&fired).all(|(logged, fired)| (logged.seq, &logged.timer.id, logged.kind) == (fired.seq, &fired.timer.id, EventKind::Fired)));
        assert_eq!(store.list_pending_timers(None, 10).await.expect("pending"), []);
    }

    async fn pending_timers_come_soonest_first(db: TestDatabase) {
        let store = open(&db).await;
        store.insert_timer(&timer("late", None, 9_000)).await.expect("inserted");
        store.insert_timer(&timer("soon", None, 2_000)).await.expect("inserted");
        store.insert_timer(&timer("gone", None, 1_000)).await.expect("inserted");
        store.end_timers(&["gone".to_owned()], EventKind::Cancelled, 1_500).await.expect("cancelled");
        let pending = store.list_pending_timers(None, 10).await.expect("pending");
        assert_eq!(pending, [("soon".to_owned(), 2_000), ("late".to_owned(), 9_000)]);
        // Page by page.
        let first = store.list_pending_timers(None, 1).await.expect("page");
        assert_eq!(first, [("soon".to_owned(), 2_000)]);
        let second = store.list_pending_timers(Some(("soon", 2_000)), 1).await.expect("page");
        assert_eq!(second, [("late".to_owned(), 9_000)]);
        assert!(store.list_pending_timers(Some(("late", 9_000)), 1).await.expect("page").is_empty());
    }

    async fn timers_are_listed_by_owner(db: TestDatabase) {
        let store = open(&db).await;
        store.insert_timer(&timer("anon", None, 1)).await.expect("inserted");
        store.insert_timer(&timer("alice-1", Some("alice"), 1)).await.expect("inserted");
        store.insert_timer(&timer("bob-1", Some("bob"), 1)).await.expect("inserted");
        let ids = |timers: Vec<TimerRecord>| timers.into_iter().map(|t| t.id).collect::<Vec<_>>();
        assert_eq!(ids(store.list_timers("alice", 10).await.expect("list")), ["alice-1"]);
        assert!(store.list_timers("carol", 10).await.expect("list").is_empty());
    }

    async fn a_set_event_shows_the_timer_as_it_was_set(db: TestDatabase) {
        let store = open(&db).await;
        let tea = timer("t1", None, 5_000);
        store.insert_timer(&tea).await.expect("inserted");
        store.end_timers(&["t1".to_owned()], EventKind::Fired, 5_002).await.expect("fired");
        let events = store.list_events_since(0, 10).await.expect("events");
        assert_eq!(events[0].kind, EventKind::Set);
        assert_eq!(events[0].timer, tea, "replayed later, the set event still shows it pending");
        assert_eq!((events[1].kind, events[1].timer.state), (EventKind::Fired, TimerState::Fired));
    }

    async fn writers_on_two_connections_never_share_a_number(db: TestDatabase) {
        // As two timer replicas on one PostgreSQL: separate stores, one database.
        let first = open(&db).await;
        let second = open(&db).await;
        let writes = (0..40).map(|n| {
            let store = if n % 2 == 0 { first.clone() } else { second.clone() };
            async move { store.insert_timer(&timer(&format!("t{n}"), None, 1_000 + n)).await }
        });
        let mut seqs: Vec<i64> = spawn_all(writes).await;
        seqs.sort_unstable();
        assert_eq!(seqs, (1..=40).collect::<Vec<_>>());
    }
}

/// Runs every write at once and collects the numbers they were given.
async fn spawn_all<F>(writes: impl Iterator<Item = F>) -> Vec<i64>
where
    F: std::future::Future<Output = Result<i64, clocker_store::StoreError>> + Send + 'static,
{
    let tasks: Vec<_> = writes.map(tokio::spawn).collect();
    let mut seqs = Vec::new();
    for task in tasks {
        seqs.push(task.await.expect("joined").expect("inserted"));
    }
    seqs
}

test_both_backends! {
    async fn numbers_given_out_by_an_older_writer_are_stepped_over(db: TestDatabase) {
        // A replica from before timer_sequence numbers its events itself
        // (as during a rolling upgrade): later writes must not collide.
        let store = open(&db).await;
        store.insert_timer(&timer("t1", None, 5_000)).await.expect("inserted");
        sqlx::query("INSERT INTO timer_events (seq, timer_id, kind, at_ms) VALUES (2, 't1', 'set', 1000)")
            .execute(store.pool())
            .await
            .expect("an event numbered by an old writer");
        assert_eq!(store.insert_timer(&timer("t2", None, 6_000)).await.expect("inserted"), 3);
        let ended = store.end_timers(&["t2".to_owned()], EventKind::Cancelled, 1_500).await.expect("ended");
        assert_eq!(ended[0].seq, 4);
    }
}
