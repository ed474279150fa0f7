use clocker_proto::v1::timer_event::Kind;
use clocker_proto::v1::{ListTimersRequest, SetTimerRequest, TimerRequest, TimerState};
use clocker_testdb::test_both_backends;
use clocker_timers::TimerClock;
use tonic::Code;

use crate::support::{TimersUnderTest, assert_code, next_event, watch_ids};

fn request(hours: i64, minutes: i64, seconds: i64, label: &str) -> SetTimerRequest {
    SetTimerRequest {
        hours,
        minutes,
        seconds,
        label: label.into(),
        ..Default::default()
    }
}

test_both_backends! {
    async fn set_get_list_cancel(db: TestDatabase) {
        let services = TimersUnderTest::start(&db, TimerClock::system()).await;
        let mut client = services.client().await;
        let tea = client.set_timer(request(0, 3, 0, "tea")).await.expect("set").into_inner();
        assert_eq!((tea.hours, tea.minutes, tea.seconds, tea.label.as_str()), (0, 3, 0, "tea"));
        assert_eq!(tea.state(), TimerState::Pending);
        let created = tea.created_at.expect("created");
        let fires = tea.fires_at.expect("fires");
        assert_eq!(fires.seconds - created.seconds, 180);

        let got = client.get_timer(TimerRequest { id: tea.id.clone(), token: String::new() }).await.expect("get").into_inner();
        assert_eq!(got.id, tea.id);
        // Anonymous timers are never listed: the id is the only way to one.
        assert_code(client.list_timers(ListTimersRequest::default()).await, Code::Unauthenticated);

        let cancelled = client.cancel_timer(TimerRequest { id: tea.id.clone(), token: String::new() }).await.expect("cancel").into_inner();
        assert_eq!(cancelled.state(), TimerState::Cancelled);
        // Cancelling again returns it unchanged.
        let again = client.cancel_timer(TimerRequest { id: tea.id.clone(), token: String::new() }).await.expect("cancel").into_inner();
        assert_eq!(again, cancelled);
        assert_code(client.get_timer(TimerRequest { id: "nope".into(), token: String::new() }).await, Code::NotFound);
    }

    async fn a_set_retried_with_its_idempotency_key_answers_the_first_timer(db: TestDatabase) {
        let services = TimersUnderTest::start(&db, TimerClock::system()).await;
        let mut client = services.client().await;
        let keyed = |label: &str, key: &str| SetTimerRequest { idempotency_key: key.into(), ..request(0, 5, 0, label) };
        let first = client.set_timer(keyed("tea", "retry-1")).await.expect("set").into_inner();
        // The reply was lost, say: the client sends the same request again.
        let again = client.set_timer(keyed("tea", "retry-1")).await.expect("set").into_inner();
        assert_eq!(again, first, "the first timer, not a second");
        let mut events = watch_ids(&mut client, &[&first.id, &again.id], Some(0)).await;
        let set = next_event(&mut events).await;
        assert_eq!(set.timer.map(|t| t.id), Some(first.id.clone()));
        // The key for another timer is refused; a new key sets a new timer.
        let refused = assert_code(client.set_timer(keyed("coffee", "retry-1")).await, Code::InvalidArgument);
        assert!(refused.message().contains("idempotency key"), "{refused:?}");
        let other = client.set_timer(keyed("tea", "retry-2")).await.expect("set").into_inner();
        assert_ne!(other.id, first.id);
        for bad in ["", "a b", &"k".repeat(129)] {
            if bad.is_empty() {
                continue; // empty: no key
            }
            assert_code(client.set_timer(keyed("tea", bad)).await, Code::InvalidArgument);
        }
    }

    async fn bad_durations_and_labels_are_invalid_arguments(db: TestDatabase) {
        let services = TimersUnderTest::start(&db, TimerClock::system()).await;
        let mut client = services.client().await;
        let bad_labels = [&"x".repeat(201), "tea\0", "two\nlines", "bell\u{7}"];
        let bad_durations = [request(0, -1, 0, ""), request(8785, 0, 0, ""), request(i64::MAX, i64::MAX, 0, ""), request(0, 0, 0, "")];
        for bad in bad_durations.into_iter().chain(bad_labels.iter().map(|label| request(0, 0, 1, label))) {
            assert_code(client.set_timer(bad).await, Code::InvalidArgument);
        }
        client.set_timer(request(8784, 0, 0, "a year")).await.expect("366 days is allowed");
    }

    async fn a_timer_fires_once_never_early_and_watchers_see_it(db: TestDatabase) {
        let services = TimersUnderTest::start(&db, TimerClock::system()).await;
        let mut client = services.client().await;
        let timer = client.set_timer(request(0, 0, 1, "soon")).await.expect("set").into_inner();
        let mut events = watch_ids(&mut client, &[&timer.id], Some(0)).await;
        let set = next_event(&mut events).await;
        assert_eq!((set.kind(), set.timer.as_ref().map(|t| t.id.as_str())), (Kind::Set, Some(timer.id.as_str())));
        let fired = next_event(&mut events).await;
        assert_eq!(fired.kind(), Kind::Fired);
        assert_eq!(fired.seq, set.seq + 1);
        let fired_timer = fired.timer.expect("a timer");
        assert_eq!(fired_timer.state(), TimerState::Fired);
        let (fires_at, ended_at) = (fired_timer.fires_at.expect("fires"), fired_timer.ended_at.expect("ended"));
        let ms = |t: &prost_types::Timestamp| t.seconds * 1000 + i64::from(t.nanos) / 1_000_000;
        assert!(ms(&ended_at) >= ms(&fires_at), "fired early: {ended_at:?} < {fires_at:?}");
        assert_eq!(fired_timer.late_ms, ms(&ended_at) - ms(&fires_at));
    }

    async fn a_cancelled_timer_never_fires(db: TestDatabase) {
        let services = TimersUnderTest::start(&db, TimerClock::system()).await;
        let mut client = services.client().await;
        let doomed = client.set_timer(request(0, 0, 1, "doomed")).await.expect("set").into_inner();
        client.cancel_timer(TimerRequest { id: doomed.id.clone(), token: String::new() }).await.expect("cancel");
        let later = client.set_timer(request(0, 0, 2, "later")).await.expect("set").into_inner();
        let mut events = watch_ids(&mut client, &[&doomed.id, &later.id], Some(0)).await;
        // Every event until the later timer fired: none fires the cancelled one.
        loop {
            let event = next_event(&mut events).await;
            let id = event.timer.as_ref().map(|t| t.id.clone()).unwrap_or_default();
            if event.kind() == Kind::Fired {
                assert_ne!(id, doomed.id, "a cancelled timer fired");
                if id == later.id {
                    break;
                }
            }
        }
        let doomed = client.get_timer(TimerRequest { id: doomed.id, token: String::new() }).await.expect("get").into_inner();
        assert_eq!(doomed.state(), TimerState::Cancelled);
    }

    async fn a_watcher_that_reconnects_gets_what_it_missed(db: TestDatabase) {
        let services = TimersUnderTest::start(&db, TimerClock::system()).await;
        let mut client = services.client().await;
        let first = client.set_timer(request(1, 0, 0, "one")).await.expect("set").into_inner();
        let second = client.set_timer(request(2, 0, 0, "two")).await.expect("set").into_inner();
        let third = client.set_timer(request(3, 0, 0, "three")).await.expect("set").into_inner();
        let ids = [first.id.as_str(), second.id.as_str(), third.id.as_str()];
        let mut all = watch_ids(&mut client, &ids, Some(0)).await;
        let firsts = next_event(&mut all).await;
        assert_eq!(firsts.timer.map(|t| t.id), Some(first.id.clone()));
        // After the first event: the second and the third, in order, once.
        let mut replay = watch_ids(&mut client, &ids, Some(firsts.seq)).await;
        let ids = [next_event(&mut replay).await, next_event(&mut replay).await]
            .map(|e| e.timer.map(|t| t.id).unwrap_or_default());
        assert_eq!(ids, [second.id, third.id]);
        let _ = first;
    }
}
