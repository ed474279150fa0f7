use std::time::Duration;

use clocker_accounts::{AccountsConfig, BAD_CREDENTIALS};
use clocker_proto::v1::{LogoutRequest, RegisterRequest, WhoAmIRequest};
use clocker_testdb::test_both_backends;
use tokio::time::Instant;
use tonic::{Code, Request};

use crate::support::{PASSWORD, Service, assert_code, login, metric, register, who_am_i};

test_both_backends! {
    async fn register_login_whoami_logout(db: TestDatabase) {
        let service = Service::start(&db, AccountsConfig::default()).await;
        let mut client = service.client().await;
        register(&mut client, "Alice", PASSWORD).await.expect("registered");
        let token = login(&mut client, "alice", PASSWORD).await.expect("logged in");
        assert_eq!(token.len(), 43);
        assert_eq!(who_am_i(&mut client, &token).await.expect("live"), "alice");
        client.logout(LogoutRequest { token: token.clone() }).await.expect("logged out");
        assert_code(who_am_i(&mut client, &token).await, Code::Unauthenticated);
        // Logging out twice is not an error.
        client.logout(LogoutRequest { token }).await.expect("idempotent");
    }

    async fn a_taken_name_is_already_exists_whatever_its_case(db: TestDatabase) {
        let service = Service::start(&db, AccountsConfig::default()).await;
        let mut client = service.client().await;
        register(&mut client, "bob", PASSWORD).await.expect("registered");
        assert_code(register(&mut client, "BOB", PASSWORD).await, Code::AlreadyExists);
    }

    async fn a_registration_retried_with_its_idempotency_key_answers_the_account(db: TestDatabase) {
        let service = Service::start(&db, AccountsConfig::default()).await;
        let mut client = service.client().await;
        let keyed = |username: &str, password: &str, key: &str| RegisterRequest {
            username: username.into(),
            password: password.into(),
            idempotency_key: key.into(),
        };
        let first = client.register(keyed("dora", PASSWORD, "reg-1")).await.expect("registered").into_inner();
        // The reply was lost, say: the same request again is the same account.
        let again = client.register(keyed("dora", PASSWORD, "reg-1")).await.expect("repeated").into_inner();
        assert_eq!(again.account, first.account);
        // Not for another password (whoever it is, the name is taken), nor
        // for another name, nor without the key.
        assert_code(client.register(keyed("dora", "another password", "reg-1")).await, Code::AlreadyExists);
        let other = assert_code(client.register(keyed("erin", PASSWORD, "reg-1")).await, Code::InvalidArgument);
        assert!(other.message().contains("idempotency key"), "{other:?}");
        assert_code(register(&mut client, "dora", PASSWORD).await, Code::AlreadyExists);
        assert_code(client.register(keyed("erin", PASSWORD, "no spaces")).await, Code::InvalidArgument);
    }

    async fn unknown_user_and_wrong_password_get_the_same_answer(db: TestDatabase) {
        let service = Service::start(&db, AccountsConfig::default()).await;
        let mut client = service.client().await;
        register(&mut client, "carol", PASSWORD).await.expect("registered");
        let wrong = assert_code(login(&mut client, "carol", "not the password").await, Code::Unauthenticated);
        let unknown = assert_code(login(&mut client, "nobody", PASSWORD).await, Code::Unauthenticated);
        assert_eq!(wrong.message(), BAD_CREDENTIALS);
        assert_eq!(unknown.message(), wrong.message());
    }

    async fn an_unknown_user_costs_one_password_check_like_a_known_one(db: TestDatabase) {
        // Equal work is what makes equal time: count the argon2 verifications.
        let service = Service::start(&db, AccountsConfig::default()).await;
        let mut client = service.client().await;
        let verifications = "clocker_accounts_password_hash_seconds_count{operation=\"verify\"}";
        register(&mut client, "kate", PASSWORD).await.expect("registered");
        let before = metric(service.addr, verifications).await;
        assert_code(login(&mut client, "kate", "not the password").await, Code::Unauthenticated);
        let after_wrong = metric(service.addr, verifications).await;
        assert_code(login(&mut client, "nobody-here", PASSWORD).await, Code::Unauthenticated);
        let after_unknown = metric(service.addr, verifications).await;
        assert_eq!(after_wrong - before, 1.0);
        assert_eq!(after_unknown - after_wrong, 1.0);
    }

    async fn data_survives_a_service_restart(db: TestDatabase) {
        let service = Service::start(&db, AccountsConfig::default()).await;
        let mut client = service.client().await;
        register(&mut client, "dave", PASSWORD).await.expect("registered");
        let token = login(&mut client, "dave", PASSWORD).await.expect("logged in");
        service.stop().await;

        let restarted = Service::start(&db, AccountsConfig::default()).await;
        let mut client = restarted.client().await;
        assert_eq!(who_am_i(&mut client, &token).await.expect("the session lives on"), "dave");
        login(&mut client, "dave", PASSWORD).await.expect("the account lives on");
        assert_code(register(&mut client, "dave", PASSWORD).await, Code::AlreadyExists);
    }

    async fn of_twenty_concurrent_registrations_of_one_name_exactly_one_succeeds(db: TestDatabase) {
        let service = Service::start(&db, AccountsConfig::default()).await;
        let client = service.client().await;
        let attempts = (0..20).map(|_| {
            let mut client = client.clone();
            tokio::spawn(async move { register(&mut client, "erin", PASSWORD).await })
        });
        let mut created = 0;
        for attempt in attempts {
            match attempt.await.expect("task") {
                Ok(()) => created += 1,
                Err(status) => assert_eq!(status.code(), Code::AlreadyExists, "{status:?}"),
            }
        }
        assert_eq!(created, 1);
    }

    async fn an_expired_session_is_refused(db: TestDatabase) {
        let config = AccountsConfig {
            session_ttl: Duration::from_secs(1),
            ..AccountsConfig::default()
        };
        let service = Service::start(&db, config).await;
        let mut client = service.client().await;
        register(&mut client, "frank", PASSWORD).await.expect("registered");
        let token = login(&mut client, "frank", PASSWORD).await.expect("logged in");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match who_am_i(&mut client, &token).await {
                Ok(_) => assert!(Instant::now() < deadline, "the session never expired"),
                Err(status) => {
                    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn the_token_may_come_as_a_bearer_header(db: TestDatabase) {
        let service = Service::start(&db, AccountsConfig::default()).await;
        let mut client = service.client().await;
        register(&mut client, "grace", PASSWORD).await.expect("registered");
        let token = login(&mut client, "grace", PASSWORD).await.expect("logged in");
        let mut request = Request::new(WhoAmIRequest::default());
        request
            .metadata_mut()
            .insert("authorization", format!("Bearer {token}").parse().expect("ascii"));
        let reply = client.who_am_i(request).await.expect("accepted").into_inner();
        assert_eq!(reply.account.expect("an account").username, "grace");
        assert_code(client.who_am_i(WhoAmIRequest::default()).await, Code::Unauthenticated);
    }
}
