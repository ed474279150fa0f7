//! Logged-in users' timers are theirs.

use clocker_proto::v1::accounts_client::AccountsClient;
use clocker_proto::v1::{
    ListTimersRequest, LoginRequest, LogoutRequest, RegisterRequest, SetTimerRequest, TimerRequest,
};
use clocker_testdb::test_both_backends;
use clocker_timers::TimerClock;
use tonic::Code;

use crate::support::{PATIENCE, TimersUnderTest, assert_code, next_event, watch};

pub async fn token_for(services: &TimersUnderTest, username: &str) -> String {
    let mut accounts = AccountsClient::connect(format!("http://{}", services.accounts))
        .await
        .expect("connects");
    let password = "timer owner password".to_owned();
    accounts
        .register(RegisterRequest {
            username: username.into(),
            password: password.clone(),
            ..Default::default()
        })
        .await
        .expect("registered");
    accounts
        .login(LoginRequest {
            username: username.into(),
            password,
        })
        .await
        .expect("logged in")
        .into_inner()
        .token
}

test_both_backends! {
    async fn a_users_timers_are_theirs_alone(db: TestDatabase) {
        let services = TimersUnderTest::start(&db, TimerClock::system()).await;
        let alice = token_for(&services, "alice").await;
        let bob = token_for(&services, "bob").await;
        let mut client = services.client().await;
        let mine = client
            .set_timer(SetTimerRequest { minutes: 5, token: alice.clone(), ..Default::default() })
            .await
            .expect("set")
            .into_inner();
        assert!(mine.owned);
        let anonymous = client.set_timer(SetTimerRequest { minutes: 5, ..Default::default() }).await.expect("set").into_inner();

        let list = |token: &str| ListTimersRequest { token: token.into(), limit: 0 };
        let ids = |reply: clocker_proto::v1::ListTimersReply| reply.timers.into_iter().map(|t| t.id).collect::<Vec<_>>();
        assert_eq!(ids(client.list_timers(list(&alice)).await.expect("list").into_inner()), [mine.id.as_str()]);
        assert_code(client.list_timers(list("")).await, Code::Unauthenticated);
        assert!(ids(client.list_timers(list(&bob)).await.expect("list").into_inner()).is_empty());

        for token in ["", bob.as_str()] {
            let request = TimerRequest { id: mine.id.clone(), token: token.into() };
            assert_code(client.get_timer(request.clone()).await, Code::PermissionDenied);
            assert_code(client.cancel_timer(request).await, Code::PermissionDenied);
        }
        client
            .cancel_timer(TimerRequest { id: mine.id.clone(), token: alice.clone() })
            .await
            .expect("the owner cancels");
        // An anonymous timer is anyone's who knows its id.
        client.get_timer(TimerRequest { id: anonymous.id, token: bob }).await.expect("visible");
    }

    async fn a_bad_token_is_unauthenticated(db: TestDatabase) {
        let services = TimersUnderTest::start(&db, TimerClock::system()).await;
        let mut client = services.client().await;
        let request = SetTimerRequest { minutes: 1, token: "not-a-session".into(), ..Default::default() };
        assert_code(client.set_timer(request).await, Code::Unauthenticated);
    }
}

test_both_backends! {
    async fn a_watch_ends_when_its_session_is_logged_out(db: TestDatabase) {
        let services = TimersUnderTest::start(&db, TimerClock::system()).await;
        let alice = token_for(&services, "alice").await;
        let mut client = services.client().await;
        let mut events = watch(&mut client, &alice, None).await;
        client
            .set_timer(SetTimerRequest { minutes: 5, token: alice.clone(), ..Default::default() })
            .await
            .expect("set");
        next_event(&mut events).await;

        let mut accounts = AccountsClient::connect(format!("http://{}", services.accounts))
            .await
            .expect("connects");
        accounts.logout(LogoutRequest { token: alice.clone() }).await.expect("logged out");
        let ended = tokio::time::timeout(PATIENCE, events.message())
            .await
            .expect("the watch ends within the patience");
        assert_code(ended, Code::Unauthenticated);
        // And a new watch with the old token is refused at once.
        assert_code(
            client
                .watch_timers(clocker_proto::v1::WatchTimersRequest { token: alice, ..Default::default() })
                .await,
            Code::Unauthenticated,
        );
    }
}
