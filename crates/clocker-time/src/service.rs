//! The gRPC wrappers: they only convert requests, call the pure functions in
//! `fields`, and convert replies.
//!
//! The four component services are one type, [`ComponentService`], that
//! knows which [`Component`] it extracts; a small macro implements the four
//! generated traits on it by delegating to the same method.

use clocker_proto::v1::{
    self, ComponentReply, ComponentRequest, CurrentTimeReply, CurrentTimeRequest,
    current_time_client::CurrentTimeClient,
};
use std::time::Duration;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use tonic::transport::Channel;
use tonic::{Request, Response, Status};

use clocker_runtime::zone_name;

use crate::fields::{
    format_time, resolve_zone, timestamp_from_nanos, timestamp_from_proto, timestamp_to_nanos,
    timestamp_to_proto,
};
use crate::{Clock, Component, TimeError};

/// `clocker.v1.CurrentTime`: reads the clock.
#[derive(Debug, Clone)]
pub struct CurrentTimeService {
    clock: Clock,
    default_zone: TimeZone,
}

impl CurrentTimeService {
    /// A service reading `clock`, formatting in `default_zone` unless asked otherwise.
    pub fn new(clock: Clock, default_zone: TimeZone) -> Self {
        Self {
            clock,
            default_zone,
        }
    }

    fn answer(&self, request: &CurrentTimeRequest) -> Result<CurrentTimeReply, TimeError> {
        let zone = resolve_zone(&request.tz, &self.default_zone)?;
        let now = self.clock.now();
        let zoned = now.to_zoned_datetime(zone);
        Ok(CurrentTimeReply {
            time: format_time(&zoned),
            unix_nanos: timestamp_to_nanos(now),
            tz: zone_name(zoned.time_zone()).to_owned(),
        })
    }
}

#[tonic::async_trait]
impl v1::current_time_server::CurrentTime for CurrentTimeService {
    async fn get_current_time(
        &self,
        request: Request<CurrentTimeRequest>,
    ) -> Result<Response<CurrentTimeReply>, Status> {
        Ok(Response::new(self.answer(request.get_ref())?))
    }
}

/// One component service: `clocker.v1.Hours`, `Minutes`, `Seconds` or
/// `Milliseconds`, depending on `component`.
#[derive(Debug, Clone)]
pub struct ComponentService {
    component: Component,
    current_time: CurrentTimeClient<Channel>,
    default_zone: TimeZone,
    upstream_timeout: Duration,
}

impl ComponentService {
    /// A service extracting `component`; it asks `current_time` for the
    /// instant when a request carries none, and waits `upstream_timeout` at
    /// most (keep it inside the method budget so the caller gets
    /// `UNAVAILABLE`, not `DEADLINE_EXCEEDED`).
    pub fn new(
        component: Component,
        current_time: CurrentTimeClient<Channel>,
        default_zone: TimeZone,
        upstream_timeout: Duration,
    ) -> Self {
        Self {
            component,
            current_time,
            default_zone,
            upstream_timeout,
        }
    }

    async fn answer(&self, request: ComponentRequest) -> Result<ComponentReply, TimeError> {
        let zone = resolve_zone(&request.tz, &self.default_zone)?;
        let at = match request.at {
            Some(at) => timestamp_from_proto(at)?,
            None => self.read_current_time().await?,
        };
        let zoned = at.to_zoned_datetime(zone);
        let value = self.component.of(&zoned);
        Ok(ComponentReply {
            value,
            text: self.component.text(value),
            at: Some(timestamp_to_proto(at)),
            tz: zone_name(zoned.time_zone()).to_owned(),
        })
    }

    async fn read_current_time(&self) -> Result<Timestamp, TimeError> {
        let mut client = self.current_time.clone();
        let mut request = Request::new(CurrentTimeRequest { tz: "UTC".into() });
        request.set_timeout(self.upstream_timeout);
        // The outer timeout also bounds connecting, which grpc-timeout does not.
        let reply = tokio::time::timeout(self.upstream_timeout, client.get_current_time(request))
            .await
            .map_err(|_| {
                TimeError::CurrentTimeUnavailable(format!(
                    "no answer within {} ms",
                    self.upstream_timeout.as_millis()
                ))
            })?
            .map_err(|status| {
                TimeError::CurrentTimeUnavailable(format!(
                    "{:?}: {}",
                    status.code(),
                    status.message()
                ))
            })?;
        Ok(timestamp_from_nanos(reply.into_inner().unix_nanos))
    }
}

/// Implements a generated component trait by delegating to
/// [`ComponentService::answer`].
macro_rules! component_trait {
    ($($module:ident::$service:ident::$method:ident),* $(,)?) => {
        $(#[tonic::async_trait]
        impl v1::$module::$service for ComponentService {
            async fn $method(
                &self,
                request: Request<ComponentRequest>,
            ) -> Result<Response<ComponentReply>, Status> {
                Ok(Response::new(self.answer(request.into_inner()).await?))
            }
        })*
    };
}

component_trait! {
    hours_server::Hours::get_hours,
    minutes_server::Minutes::get_minutes,
    seconds_server::Seconds::get_seconds,
    milliseconds_server::Milliseconds::get_milliseconds,
}
