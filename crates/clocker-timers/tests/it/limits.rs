//! What one client may hold: quotas of pending timers (per account, per
//! anonymous address, the gateway's forwarded address trusted only from a
//! trusted proxy), anonymous watches that see only the timers they name, and
//! retention, which deletes ended timers and tells a replaying watcher.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use clocker_proto::v1::timer_event::Kind;
use clocker_proto::v1::timers_client::TimersClient;
use clocker_proto::v1::{SetTimerRequest, TimerRequest, WatchTimersRequest};
use clocker_testdb::test_both_backends;
use clocker_timers::{TimerClock, TimerLimits};
use tonic::Code;
use tonic::transport::{Channel, Endpoint};

use crate::owners::token_for;
use crate::support::{PATIENCE, TimersUnderTest, assert_code, next_event, watch, watch_ids};

fn limits() -> TimerLimits {
    TimerLimits {
        pending_per_account: 2,
        pending_per_address: 3,
        ..TimerLimits::default()
    }
}

fn minutes(minutes: i64) -> SetTimerRequest {
    SetTimerRequest {
        minutes,
        ..Default::default()
    }
}

/// A client connecting from `from` (127.0.0.2 is "another host").
async fn client_from(services: &TimersUnderTest, from: IpAddr) -> TimersClient<Channel> {
    let channel = Endpoint::from_shared(format!("http://{}", services.timers))
        .expect("a URL")
        .local_address(Some(from))
        .connect()
        .await
        .expect("connects");
    TimersClient::new(channel)
}

const ATTACKER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

test_both_backends! {
    async fn anonymous_timers_stop_at_the_quota_of_their_address(db: TestDatabase) {
        let services = TimersUnderTest::start_with(&db, TimerClock::system(), limits()).await;
        let mut attacker = client_from(&services, ATTACKER).await;
        let mut ids = Vec::new();
        for _ in 0..3 {
            ids.push(attacker.set_timer(minutes(5)).await.expect("within the quota").into_inner().id);
        }
        let refused = assert_code(attacker.set_timer(minutes(5)).await, Code::ResourceExhausted);
        assert!(refused.message().contains("3 anonymous timers are pending"), "{refused:?}");
        // Another address is not held up; an ended timer frees a place.
        let mut neighbour = services.client().await;
        neighbour.set_timer(minutes(5)).await.expect("another address has its own quota");
        attacker.cancel_timer(TimerRequest { id: ids[0].clone(), token: String::new() }).await.expect("cancel");
        attacker.set_timer(minutes(5)).await.expect("a place was freed");
        // An x-forwarded-for from a peer that is not a trusted proxy changes nothing.
        let mut spoofed = tonic::Request::new(minutes(5));
        spoofed.metadata_mut().insert("x-forwarded-for", "203.0.113.9".parse().expect("ascii"));
        assert_code(attacker.set_timer(spoofed).await, Code::ResourceExhausted);
    }

    async fn a_trusted_proxy_names_the_client_the_quota_counts(db: TestDatabase) {
        let services = TimersUnderTest::start_with(&db, TimerClock::system(), limits()).await;
        // 127.0.0.1 is a trusted proxy by default (the gateway of `clocker up`).
        let mut gateway = services.client().await;
        let forwarded = |client: &str| {
            let mut request = tonic::Request::new(minutes(5));
            request.metadata_mut().insert("x-forwarded-for", client.parse().expect("ascii"));
            request
        };
        for _ in 0..3 {
            gateway.set_timer(forwarded("203.0.113.9")).await.expect("within the quota");
        }
        assert_code(gateway.set_timer(forwarded("203.0.113.9")).await, Code::ResourceExhausted);
        gateway.set_timer(forwarded("198.51.100.1")).await.expect("another client of the proxy");
        gateway.set_timer(minutes(5)).await.expect("the proxy's own address");
    }

    async fn an_account_stops_at_its_quota(db: TestDatabase) {
        let services = TimersUnderTest::start_with(&db, TimerClock::system(), limits()).await;
        let alice = token_for(&services, "alice").await;
        let mut client = services.client().await;
        let owned = || SetTimerRequest { minutes: 5, token: alice.clone(), ..Default::default() };
        client.set_timer(owned()).await.expect("set");
        client.set_timer(owned()).await.expect("set");
        let refused = assert_code(client.set_timer(owned()).await, Code::ResourceExhausted);
        assert!(refused.message().contains("this account has 2 pending timers"), "{refused:?}");
        client.set_timer(minutes(5)).await.expect("anonymous timers count apart");
    }

    async fn an_anonymous_watch_sees_only_the_timers_it_names(db: TestDatabase) {
        let services = TimersUnderTest::start(&db, TimerClock::system()).await;
        let mut client = services.client().await;
        let alice = token_for(&services, "alice").await;
        let mine = client.set_timer(minutes(5)).await.expect("set").into_inner();
        let theirs = client.set_timer(minutes(6)).await.expect("set").into_inner();
        let owned = client
            .set_timer(SetTimerRequest { minutes: 5, token: alice.clone(), ..Default::default() })
            .await
            .expect("set")
            .into_inner();
        // Nothing named, nothing seen: refused outright.
        let none = client
            .watch_timers(WatchTimersRequest { after_seq: Some(0), ..Default::default() })
            .await;
        assert_code(none, Code::InvalidArgument);
        let too_many = WatchTimersRequest { ids: vec!["x".into(); 101], ..Default::default() };
        assert_code(client.watch_timers(too_many).await, Code::InvalidArgument);
        // Replay and live events: the named anonymous timer's, never another's,
        // nor an account's even when named.
        let mut events = watch_ids(&mut client, &[&mine.id, &owned.id], Some(0)).await;
        let set = next_event(&mut events).await;
        assert_eq!((set.kind(), set.timer.map(|t| t.id)), (Kind::Set, Some(mine.id.clone())));
        for id in [&theirs.id, &mine.id] {
            client.cancel_timer(TimerRequest { id: id.clone(), token: String::new() }).await.expect("cancel");
        }
        let cancelled = next_event(&mut events).await;
        assert_eq!((cancelled.kind(), cancelled.timer.map(|t| t.id)), (Kind::Cancelled, Some(mine.id.clone())));
        // The account's own watch replays its own timers only.
        let mut own = watch(&mut client, &alice, Some(0)).await;
        let first = next_event(&mut own).await;
        assert_eq!(first.timer.map(|t| t.id), Some(owned.id.clone()));
    }

    async fn ended_timers_are_deleted_after_the_retention_and_a_replay_is_told(db: TestDatabase) {
        // Retention goes by the system's time: a short one stands for a week.
        let week = TimerLimits { retention: Duration::from_millis(200), ..TimerLimits::default() };
        let services = TimersUnderTest::start_with(&db, TimerClock::system(), week.clone()).await;
        let mut client = services.client().await;
        let old = client.set_timer(minutes(5)).await.expect("set").into_inner();
        client.cancel_timer(TimerRequest { id: old.id.clone(), token: String::new() }).await.expect("cancel");
        let cancelled_at = jiff::Timestamp::now().as_millisecond();
        let pending = client.set_timer(minutes(5)).await.expect("set").into_inner();
        services.stop().await;

        // Past the retention: the cancelled timer goes, the pending one stays.
        while jiff::Timestamp::now().as_millisecond() <= cancelled_at + 200 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let services = TimersUnderTest::start_with(&db, TimerClock::system(), week).await;
        let mut client = services.client().await;
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let got = client.get_timer(TimerRequest { id: old.id.clone(), token: String::new() }).await;
            match got {
                Err(status) if status.code() == Code::NotFound => break,
                Ok(_) if tokio::time::Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                other => panic!("the old timer should be deleted within {PATIENCE:?}: {other:?}"),
            }
        }
        client.get_timer(TimerRequest { id: pending.id.clone(), token: String::new() }).await.expect("kept");
        // A replay from before what was deleted starts by saying so.
        let mut replay = watch_ids(&mut client, &[&old.id, &pending.id], Some(0)).await;
        let dropped = next_event(&mut replay).await;
        assert_eq!((dropped.kind(), dropped.timer), (Kind::Dropped, None));
        assert_eq!(dropped.seq, 2, "the old timer's set and cancelled events were 1 and 2");
        let next = next_event(&mut replay).await;
        assert_eq!((next.kind(), next.timer.map(|t| t.id)), (Kind::Set, Some(pending.id.clone())));
        // From after the deleted events: nothing to say.
        let mut recent = watch_ids(&mut client, &[&pending.id], Some(2)).await;
        assert_eq!(next_event(&mut recent).await.kind(), Kind::Set);
    }
}
