//! Assembling clock frames: ONE instant from current-time, then the four
//! component services called IN PARALLEL with that instant. A frame can
//! therefore never mix two instants, whatever boundary it stands on.
//!
//! Zones that share a UTC offset at that instant share their fields, so the
//! components are asked once per distinct offset, not once per zone: a tick
//! costs 1 + 4 × (distinct offsets in use) RPCs, whatever the number of zones
//! clients pick (the tz database has about 40 offsets in use at any time).

use std::future::Future;
use std::time::Duration;

use clocker_proto::v1::{
    ComponentRequest, CurrentTimeRequest, current_time_client::CurrentTimeClient,
    current_time_server, hours_client::HoursClient, hours_server,
    milliseconds_client::MillisecondsClient, milliseconds_server, minutes_client::MinutesClient,
    minutes_server, seconds_client::SecondsClient, seconds_server,
};
use clocker_runtime::{LocateError, Locator};
use clocker_wire::Frame;
use futures_util::future::join_all;
use jiff::tz::Offset;
use tonic::transport::Channel;
use tonic::{Response, Status};

use crate::{ZoneInUse, frame};

/// The clock services a frame is assembled from.
pub const CLOCK_SERVICES: &[&str] = &[
    current_time_server::SERVICE_NAME,
    hours_server::SERVICE_NAME,
    minutes_server::SERVICE_NAME,
    seconds_server::SERVICE_NAME,
    milliseconds_server::SERVICE_NAME,
];

/// The instant one tick is built from (unix nanoseconds), or why there is none.
pub type InstantRead = Result<i64, Status>;

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
    pub async fn read_instant(&self) -> InstantRead {
        let mut client = self.current_time.clone();
        let reply = self
            .bounded(client.get_current_time(CurrentTimeRequest { tz: "UTC".into() }))
            .await?;
        Ok(reply.unix_nanos)
    }

    /// The frames of every zone in `zones` for `instant`, in the same order.
    pub async fn frames(&self, seq: u64, zones: &[ZoneInUse], instant: &InstantRead) -> Vec<Frame> {
        let unix_nanos = match instant {
            Ok(nanos) => *nanos,
            Err(_) => {
                return zones
                    .iter()
                    .map(|zone| frame::without_instant(seq, &zone.name))
                    .collect();
            }
        };
        let at = jiff::Timestamp::from_nanosecond(i128::from(unix_nanos))
            .expect("every i64 of nanoseconds is in range");
        let offsets: Vec<Offset> = zones.iter().map(|zone| zone.tz.to_offset(at)).collect();
        let mut distinct: Vec<(Offset, &str)> = Vec::new();
        for (zone, offset) in zones.iter().zip(&offsets) {
            if !distinct.iter().any(|(seen, _)| seen == offset) {
                distinct.push((*offset, &zone.name));
            }
        }
        let fields = join_all(
            distinct
                .iter()
                .map(|(_, zone)| self.fields(unix_nanos, zone)),
        )
        .await;
        zones
            .iter()
            .zip(&offsets)
            .map(|(zone, offset)| {
                let group = distinct
                    .iter()
                    .position(|(seen, _)| seen == offset)
                    .expect("every offset was recorded");
                frame::build(seq, &zone.name, unix_nanos, fields[group])
            })
            .collect()
    }

    /// The frame for one `zone` (a valid IANA name) from `instant`.
    pub async fn frame(&self, seq: u64, zone: &str, instant: &InstantRead) -> Frame {
        match instant {
            Ok(unix_nanos) => {
                let fields = self.fields(*unix_nanos, zone).await;
                frame::build(seq, zone, *unix_nanos, fields)
            }
            Err(_) => frame::without_instant(seq, zone),
        }
    }

    /// Hours, minutes, seconds and milliseconds of `unix_nanos` in `zone`,
    /// from the four component services in parallel; `None` where one did
    /// not answer in time.
    async fn fields(&self, unix_nanos: i64, zone: &str) -> [Option<u32>; 4] {
        let request = || ComponentRequest {
            at: Some(prost_types::Timestamp {
                seconds: unix_nanos.div_euclid(1_000_000_000),
                nanos: i32::try_from(unix_nanos.rem_euclid(1_000_000_000))
                    .expect("a remainder of 1e9 fits in i32"),
            }),
            tz: zone.to_owned(),
        };
        let (mut hours, mut minutes, mut seconds, mut milliseconds) = (
            self.hours.clone(),
            self.minutes.clone(),
            self.seconds.clone(),
            self.milliseconds.clone(),
        );
        let (h, m, s, ms) = tokio::join!(
            self.bounded(hours.get_hours(request())),
            self.bounded(minutes.get_minutes(request())),
            self.bounded(seconds.get_seconds(request())),
            self.bounded(milliseconds.get_milliseconds(request())),
        );
        [h, m, s, ms].map(|reply| reply.ok().map(|reply| reply.value))
    }

    /// Runs one call within `call_timeout`, connecting included (tonic's
    /// own `grpc-timeout` only starts once a connection is ready, so an
    /// unreachable host would otherwise hold a tick for the connect timeout).
    async fn bounded<T>(
        &self,
        call: impl Future<Output = Result<Response<T>, Status>>,
    ) -> Result<T, Status> {
        match tokio::time::timeout(self.call_timeout, call).await {
            Ok(reply) => reply.map(Response::into_inner),
            Err(_) => Err(Status::deadline_exceeded(format!(
                "no answer within {} ms",
                self.call_timeout.as_millis()
            ))),
        }
    }
}
