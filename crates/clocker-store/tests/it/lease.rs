use std::time::{Duration, Instant};

use clocker_store::{Backend, Lease};
use clocker_testdb::test_both_backends;

use crate::support::open;

const KEY: i64 = 42;

/// Asks until granted, failing after `within`.
async fn take_within(lease: &mut Lease, within: Duration, what: &str) {
    let deadline = Instant::now() + within;
    while !lease.try_take().await.expect("asked") {
        assert!(Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

test_both_backends! {
    async fn one_holder_at_a_time_and_the_next_once_it_is_gone(db: TestDatabase) {
        let first = open(&db).await;
        let second = open(&db).await;
        let mut held = first.lease(KEY);
        assert!(held.try_take().await.expect("asked"), "a free lease is granted");
        held.check().await.expect("still held");
        let mut waiting = second.lease(KEY);
        if first.backend() == Backend::Sqlite {
            // One file, one process: always granted.
            assert!(waiting.try_take().await.expect("asked"));
            return;
        }
        assert!(!waiting.try_take().await.expect("asked"), "held by the first");
        assert!(!waiting.try_take().await.expect("asked"), "asking again on the same connection");
        assert!(second.lease(KEY + 1).try_take().await.expect("asked"), "another lease is free");
        held.release().await;
        assert!(held.check().await.is_err(), "a released lease is not held");
        // The server frees it as it ends the released session, a moment later.
        take_within(&mut waiting, Duration::from_secs(10), "a released lease was never freed").await;
        // A holder that vanishes without releasing (a killed process) loses it too.
        drop(waiting);
        let mut next = first.lease(KEY);
        take_within(&mut next, Duration::from_secs(10), "a dropped lease was never freed").await;
    }

    async fn a_holder_that_falls_silent_loses_the_lease(db: TestDatabase) {
        let holder = open(&db).await;
        let other = open(&db).await;
        // Taken, and never checked again: as a holder whose host vanished.
        let mut silent = holder.lease(KEY);
        assert!(silent.try_take().await.expect("asked"));
        if holder.backend() == Backend::Sqlite {
            return;
        }
        let mut next = other.lease(KEY);
        take_within(&mut next, Duration::from_secs(15), "a silent holder kept the lease").await;
        assert!(silent.check().await.is_err(), "the silent holder finds it lost");
        next.release().await;
    }
}
