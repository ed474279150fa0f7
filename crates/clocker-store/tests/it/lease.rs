use clocker_store::Backend;
use clocker_testdb::test_both_backends;

use crate::support::open;

const KEY: i64 = 42;

test_both_backends! {
    async fn one_holder_at_a_time_and_the_next_once_it_is_gone(db: TestDatabase) {
        let first = open(&db).await;
        let second = open(&db).await;
        let mut held = first.try_lease(KEY).await.expect("asked").expect("granted");
        held.check().await.expect("still held");
        if first.backend() == Backend::Sqlite {
            // One file, one process: always granted.
            assert!(second.try_lease(KEY).await.expect("asked").is_some());
            return;
        }
        assert!(second.try_lease(KEY).await.expect("asked").is_none(), "held by the first");
        assert!(second.try_lease(KEY + 1).await.expect("asked").is_some(), "another lease is free");
        held.release().await;
        let taken = second.try_lease(KEY).await.expect("asked").expect("released, so granted");
        // A holder that vanishes without releasing (a killed process) loses it too.
        drop(taken);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            if first.try_lease(KEY).await.expect("asked").is_some() {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "a dropped lease was never freed");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}

test_both_backends! {
    async fn a_holder_that_falls_silent_loses_the_lease(db: TestDatabase) {
        let holder = open(&db).await;
        let other = open(&db).await;
        // Held, and never checked again: as a holder whose host vanished.
        let silent = holder.try_lease(KEY).await.expect("asked").expect("granted");
        if holder.backend() == Backend::Sqlite {
            return;
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        let taken = loop {
            if let Some(taken) = other.try_lease(KEY).await.expect("asked") {
                break taken;
            }
            assert!(std::time::Instant::now() < deadline, "a silent holder kept the lease");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        };
        taken.release().await;
        drop(silent);
    }
}
