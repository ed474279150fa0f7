//! Assembling a clock frame: ONE instant from current-time, then the four
//! component services called IN PARALLEL with that instant. A frame can
//! therefore never mix two instants, whatever boundary it stands on.

use std::time::Duration;

use clocker_proto::v1::{
    ComponentReply, ComponentRequest, CurrentTimeRequest, current_time_client::CurrentTimeClient,
    hours_client::HoursClient, milliseconds_client::MillisecondsClient,
    minutes_client::MinutesClient, seconds_client::SecondsClient,
};
use clocker_runtime::{LocateError, Locator, ServiceName};
use tonic::transport::Channel;
use tonic::{Request, Status};

use crate::Frame;

/// What the funnel requires.
pub const REQUIRES: &[ServiceName] = &[
    ServiceName::CurrentTime,
    ServiceName::Hours,
    ServiceName::Minutes,
    ServiceName::Seconds,
    ServiceName::Milliseconds,
];

/// Clients for the five clock services, and the deadline each call gets.
#[derive(Debug, Clone)]
pub struct Assembler {
    current_time: CurrentTimeClient<Channel>,
    hours: HoursClient<Channel>,
    minutes: MinutesClient<Channel>,
    seconds: SecondsClient<Channel>,
    milliseconds: MillisecondsClient<Channel>,
    call_timeout: Duration,
}

/// The instant one tick is built from, in unix nanoseconds.
pub type Instant = Result<i64, Status>;

impl Assembler {
    /// Locates the five clock services; every call gets `call_timeout`.
    pub fn locate(locator: &Locator, call_timeout: Duration) -> Result<Self, LocateError> {
        Ok(Self {
            current_time: locator.locate()?,
            hours: locator.locate()?,
            minutes: locator.locate()?,
            seconds: locator.locate()?,
            milliseconds: locator.locate()?,
            call_timeout,
        })
    }

    /// Reads one instant from current-time.
    pub async fn read_instant(&self) -> Instant {
        let mut request = Request::new(CurrentTimeRequest { tz: "UTC".into() });
        request.set_timeout(self.call_timeout);
        let reply = self.current_time.clone().get_current_time(request).await?;
        Ok(reply.into_inner().unix_nanos)
    }

    /// Builds the frame for `zone` (a valid IANA name) from `instant`,
    /// asking the four component services in parallel.
    pub async fn frame(&self, seq: u64, zone: &str, instant: &Instant) -> Frame {
        let unix_nanos = match instant {
            Ok(nanos) => *nanos,
            Err(_) => return Frame::without_instant(seq, zone),
        };
        let request = || {
            let mut request = Request::new(ComponentRequest {
                at: Some(prost_types::Timestamp {
                    seconds: unix_nanos.div_euclid(1_000_000_000),
                    nanos: i32::try_from(unix_nanos.rem_euclid(1_000_000_000))
                        .expect("a remainder of 1e9 fits in i32"),
                }),
                tz: zone.to_owned(),
            });
            request.set_timeout(self.call_timeout);
            request
        };
        let (mut hours, mut minutes, mut seconds, mut milliseconds) = (
            self.hours.clone(),
            self.minutes.clone(),
            self.seconds.clone(),
            self.milliseconds.clone(),
        );
        let (h, m, s, ms) = tokio::join!(
            hours.get_hours(request()),
            minutes.get_minutes(request()),
            seconds.get_seconds(request()),
            milliseconds.get_milliseconds(request()),
        );
        let value = |reply: Result<tonic::Response<ComponentReply>, Status>| {
            reply.ok().map(|r| r.into_inner().value)
        };
        Frame::new(
            seq,
            zone,
            unix_nanos,
            [value(h), value(m), value(s), value(ms)],
        )
    }
}
