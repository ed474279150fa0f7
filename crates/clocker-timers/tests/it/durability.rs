//! Timers outlive the service: a restart reloads them, and the ones whose
//! time passed while it was down fire at once, late, exactly once.

use clocker_proto::v1::timer_event::Kind;
use clocker_proto::v1::{SetTimerRequest, TimerRequest, TimerState};
use clocker_testdb::test_both_backends;
use clocker_timers::TimerClock;
use jiff::SignedDuration;

use crate::support::{TimersUnderTest, next_event, watch_ids};

test_both_backends! {
    async fn timers_due_while_the_service_was_down_fire_once_at_start_up(db: TestDatabase) {
        let services = TimersUnderTest::start(&db, TimerClock::system()).await;
        let mut client = services.client().await;
        let mut ids = Vec::new();
        for minutes in [5, 10] {
            let timer = client
                .set_timer(SetTimerRequest { minutes, label: format!("{minutes} min"), ..Default::default() })
                .await
                .expect("set")
                .into_inner();
            ids.push(timer.id);
        }
        let far = client
            .set_timer(SetTimerRequest { hours: 2, ..Default::default() })
            .await
            .expect("set")
            .into_inner();
        services.stop().await;

        // Back 15 minutes later: the two short ones are due, the long one is not.
        let later = TimerClock::offset(SignedDuration::from_mins(15));
        let services = TimersUnderTest::start(&db, later.clone()).await;
        let mut client = services.client().await;
        let watched: Vec<&str> = ids.iter().map(String::as_str).chain([far.id.as_str()]).collect();
        let mut events = watch_ids(&mut client, &watched, Some(1)).await;
        let mut fired = Vec::new();
        while fired.len() < 2 {
            let event = next_event(&mut events).await;
            if event.kind() == Kind::Fired {
                let timer = event.timer.expect("a timer");
                assert!(timer.late_ms >= 4 * 60 * 1000, "marked late: {} ms", timer.late_ms);
                fired.push(timer.id);
            }
        }
        fired.sort();
        let mut expected = ids.clone();
        expected.sort();
        assert_eq!(fired, expected);
        let far = client.get_timer(TimerRequest { id: far.id, token: String::new() }).await.expect("get").into_inner();
        assert_eq!(far.state(), TimerState::Pending);
        services.stop().await;

        // Once more: nothing fires twice.
        let services = TimersUnderTest::start(&db, later).await;
        let mut client = services.client().await;
        let watched: Vec<&str> = ids.iter().map(String::as_str).chain([far.id.as_str()]).collect();
        let mut replay = watch_ids(&mut client, &watched, Some(0)).await;
        let mut fired_events = 0;
        let mut seen = 0;
        // Three set events and two fired ones are stored; read exactly those.
        while seen < 5 {
            let event = next_event(&mut replay).await;
            seen += 1;
            if event.kind() == Kind::Fired {
                fired_events += 1;
            }
        }
        assert_eq!(fired_events, 2);
        // And nothing after them: the next event is the long one's cancelling.
        client.cancel_timer(TimerRequest { id: far.id.clone(), token: String::new() }).await.expect("cancel");
        let event = next_event(&mut replay).await;
        assert_eq!((event.kind(), event.timer.map(|t| t.id)), (Kind::Cancelled, Some(far.id.clone())));
        for id in ids {
            let timer = client.get_timer(TimerRequest { id, token: String::new() }).await.expect("get").into_inner();
            assert_eq!(timer.state(), TimerState::Fired);
        }
    }

    async fn a_wall_clock_step_while_idle_fires_what_fell_due_within_a_second(db: TestDatabase) {
        let clock = TimerClock::system();
        let services = TimersUnderTest::start(&db, clock.clone()).await;
        let mut client = services.client().await;
        let set = |seconds, hours| SetTimerRequest { hours, seconds, ..Default::default() };
        let far = client.set_timer(set(0, 1)).await.expect("set").into_inner();
        let near = client.set_timer(set(1, 0)).await.expect("set").into_inner();
        let mut events = watch_ids(&mut client, &[&far.id, &near.id], None).await;
        // Once the near one fired, the scheduler has both and sleeps toward
        // the far one, an hour away.
        let first = next_event(&mut events).await;
        assert_eq!((first.kind(), first.timer.map(|t| t.id)), (Kind::Fired, Some(near.id)));
        let stepped = tokio::time::Instant::now();
        // The wall clock steps an hour forward (NTP, a suspend).
        clock.step(SignedDuration::from_hours(1));
        let fired = next_event(&mut events).await;
        assert_eq!((fired.kind(), fired.timer.map(|t| t.id)), (Kind::Fired, Some(far.id)));
        // Within a second of the step, and some slack for a loaded machine.
        let after = stepped.elapsed();
        assert!(after < std::time::Duration::from_secs(5), "fired {after:?} after the step");
        services.stop().await;
    }
}
