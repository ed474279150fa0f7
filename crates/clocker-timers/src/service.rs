//! The gRPC front door, `clocker.v1.Timers`: conversion only (how a watch
//! runs is in `watches`).

use std::pin::Pin;
use std::sync::Arc;

use clocker_proto::v1::{
    self, ListTimersReply, ListTimersRequest, SetTimerRequest, Timer, TimerEvent, TimerRequest,
    WatchTimersRequest, timer_event,
};
use clocker_runtime::{PeerAddr, client_ip, session_token};
use clocker_store::{EventKind, EventRecord, TimerRecord, TimerState};
use clocker_wire::TimerDuration;
use tokio_stream::Stream;
use tonic::{Request, Response, Status};

use crate::TimerError;
use crate::sessions::Caller;
use crate::timers::{Timers, late_ms};
use crate::watches::Watches;

/// `clocker.v1.Timers`.
#[derive(Debug, Clone)]
pub struct TimersService {
    timers: Arc<Timers>,
    watches: Watches,
}

impl TimersService {
    pub fn new(timers: Arc<Timers>, watches: Watches) -> Self {
        Self { timers, watches }
    }

    /// The caller of `request`: the session `field` (or metadata) names, or
    /// anonymous from the client's address.
    async fn caller<T>(&self, request: &Request<T>, field: &str) -> Result<Caller, Status> {
        Ok(self
            .timers
            .caller(
                &session_token(request.metadata(), field),
                self.client(request),
            )
            .await?)
    }

    /// The client's address: the peer's, or the one a trusted proxy forwards.
    fn client<T>(&self, request: &Request<T>) -> Option<std::net::IpAddr> {
        client_ip(
            PeerAddr::of_request(request).map(|addr| addr.ip()),
            request.metadata(),
            &self.timers.limits().trusted_proxies,
        )
    }
}

type EventStream = Pin<Box<dyn Stream<Item = Result<TimerEvent, Status>> + Send>>;

#[tonic::async_trait]
impl v1::timers_server::Timers for TimersService {
    async fn set_timer(
        &self,
        request: Request<SetTimerRequest>,
    ) -> Result<Response<Timer>, Status> {
        let caller = self.caller(&request, &request.get_ref().token).await?;
        let SetTimerRequest {
            hours,
            minutes,
            seconds,
            label,
            idempotency_key,
            ..
        } = request.into_inner();
        let duration = TimerDuration::new(hours, minutes, seconds).map_err(TimerError::from)?;
        let timer = self
            .timers
            .set(duration, label, &caller, &idempotency_key)
            .await?;
        Ok(Response::new(timer_message(&timer)))
    }

    async fn get_timer(&self, request: Request<TimerRequest>) -> Result<Response<Timer>, Status> {
        let caller = self.caller(&request, &request.get_ref().token).await?;
        let timer = self.timers.get(&request.get_ref().id, &caller).await?;
        Ok(Response::new(timer_message(&timer)))
    }

    async fn list_timers(
        &self,
        request: Request<ListTimersRequest>,
    ) -> Result<Response<ListTimersReply>, Status> {
        let caller = self.caller(&request, &request.get_ref().token).await?;
        let timers = self.timers.list(&caller, request.get_ref().limit).await?;
        Ok(Response::new(ListTimersReply {
            timers: timers.iter().map(timer_message).collect(),
        }))
    }

    async fn cancel_timer(
        &self,
        request: Request<TimerRequest>,
    ) -> Result<Response<Timer>, Status> {
        let caller = self.caller(&request, &request.get_ref().token).await?;
        let timer = self.timers.cancel(&request.get_ref().id, &caller).await?;
        Ok(Response::new(timer_message(&timer)))
    }

    type WatchTimersStream = EventStream;

    async fn watch_timers(
        &self,
        request: Request<WatchTimersRequest>,
    ) -> Result<Response<Self::WatchTimersStream>, Status> {
        let token = session_token(request.metadata(), &request.get_ref().token);
        let session = self.timers.session(&token, self.client(&request)).await?;
        let events = self
            .watches
            .open(
                self.timers.clone(),
                token,
                session,
                &request.get_ref().ids,
                request.get_ref().after_seq,
            )
            .await?;
        Ok(Response::new(Box::pin(events)))
    }
}

/// A stored event as the API shows it.
pub(crate) fn event_message(event: &EventRecord) -> TimerEvent {
    let kind = match event.kind {
        EventKind::Set => timer_event::Kind::Set,
        EventKind::Fired => timer_event::Kind::Fired,
        EventKind::Cancelled => timer_event::Kind::Cancelled,
    };
    TimerEvent {
        seq: event.seq,
        kind: kind.into(),
        timer: Some(timer_message(&event.timer)),
    }
}

/// A stored timer as the API shows it.
pub fn timer_message(timer: &TimerRecord) -> Timer {
    let state = match timer.state {
        TimerState::Pending => v1::TimerState::Pending,
        TimerState::Fired => v1::TimerState::Fired,
        TimerState::Cancelled => v1::TimerState::Cancelled,
    };
    Timer {
        id: timer.id.clone(),
        label: timer.label.clone(),
        hours: timer.hours,
        minutes: timer.minutes,
        seconds: timer.seconds,
        created_at: Some(timestamp(timer.created_at_ms)),
        fires_at: Some(timestamp(timer.fires_at_ms)),
        state: state.into(),
        ended_at: timer.ended_at_ms.map(timestamp),
        late_ms: late_ms(timer),
        owned: timer.owner_id.is_some(),
    }
}

fn timestamp(unix_ms: i64) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: unix_ms.div_euclid(1000),
        nanos: (unix_ms.rem_euclid(1000) * 1_000_000) as i32,
    }
}
