use std::time::Duration;

use clocker_accounts::{AccountsConfig, ThrottlePolicy};
use clocker_testdb::test_both_backends;
use tokio::time::Instant;
use tonic::Code;

use crate::support::{PASSWORD, Service, assert_code, login, register};

test_both_backends! {
    async fn throttling_engages_after_the_free_failures_and_releases(db: TestDatabase) {
        let config = AccountsConfig {
            throttle: ThrottlePolicy {
                free_failures: 2,
                first_delay: Duration::from_millis(500),
                ..ThrottlePolicy::default()
            },
            ..AccountsConfig::default()
        };
        let service = Service::start(&db, config).await;
        let mut client = service.client().await;
        register(&mut client, "judy", PASSWORD).await.expect("registered");
        for _ in 0..3 {
            assert_code(login(&mut client, "judy", "wrong password").await, Code::Unauthenticated);
        }
        // Locked: even the right password is refused, with a retry-after.
        let status = assert_code(login(&mut client, "judy", PASSWORD).await, Code::ResourceExhausted);
        let retry_after = status.metadata().get("retry-after").expect("a retry-after");
        assert_eq!(retry_after.to_str().expect("ascii"), "1");
        // Other names are not affected.
        assert_code(login(&mut client, "someone-else", PASSWORD).await, Code::Unauthenticated);

        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match login(&mut client, "judy", PASSWORD).await {
                Ok(_) => break,
                Err(status) => {
                    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
                    assert!(Instant::now() < deadline, "the lock never released");
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
