//! Input meant to break things gets a clear error, and the service goes on.

use clocker_accounts::AccountsConfig;
use clocker_testdb::test_both_backends;
use tonic::Code;

use crate::support::{PASSWORD, Service, assert_code, login, register, who_am_i};

test_both_backends! {
    async fn hostile_usernames_are_invalid_arguments(db: TestDatabase) {
        let service = Service::start(&db, AccountsConfig::default()).await;
        let mut client = service.client().await;
        let overlong = "a".repeat(100_000);
        for name in [
            "o'brien",
            "'; DROP TABLE accounts; --",
            "\"quoted\"",
            "zoë",
            "日本語のなまえ",
            "nul\0byte",
            "ab",
            overlong.as_str(),
        ] {
            let status = assert_code(register(&mut client, name, PASSWORD).await, Code::InvalidArgument);
            assert!(status.message().starts_with("usernames"), "{}", status.message());
            assert_code(login(&mut client, name, PASSWORD).await, Code::InvalidArgument);
        }
        // Still serving, and the table is still there.
        register(&mut client, "henry", PASSWORD).await.expect("registered");
        login(&mut client, "henry", PASSWORD).await.expect("logged in");
    }

    async fn passwords_outside_8_to_1024_bytes_are_invalid(db: TestDatabase) {
        let service = Service::start(&db, AccountsConfig::default()).await;
        let mut client = service.client().await;
        let status = assert_code(register(&mut client, "irene", "7 bytes").await, Code::InvalidArgument);
        assert!(status.message().contains("8 to 1024 bytes"), "{}", status.message());
        assert_code(register(&mut client, "irene", &"x".repeat(1025)).await, Code::InvalidArgument);
        register(&mut client, "irene", &"é".repeat(512)).await.expect("1024 bytes is allowed");
    }

    async fn garbage_tokens_are_unauthenticated(db: TestDatabase) {
        let service = Service::start(&db, AccountsConfig::default()).await;
        let mut client = service.client().await;
        let long = "A".repeat(10_000);
        for token in ["x", "'; DROP TABLE sessions; --", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", long.as_str()] {
            assert_code(who_am_i(&mut client, token).await, Code::Unauthenticated);
        }
    }
}
