//! `GET /api/time?tz=Area/City`: the fleet's time in a zone, shaped like
//! worldtimeapi's answer, from one read of current-time.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use clocker_proto::v1::CurrentTimeRequest;
use clocker_runtime::http::ApiError;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ErrorBody;
use super::params;
use crate::state::Shared;

/// The service behind these routes, as errors name it.
const UPSTREAM: &str = "current-time";

pub fn router() -> OpenApiRouter<Shared> {
    OpenApiRouter::new().routes(routes!(get_time))
}

#[derive(Debug, Serialize, ToSchema, PartialEq)]
pub struct TimeJson {
    /// RFC 3339 with milliseconds and the zone's offset.
    #[schema(example = "2026-11-23T23:15:00.123+01:00")]
    datetime: String,
    /// The wall-clock time, `HH:MM:SS.mmm`.
    #[schema(example = "23:15:00.123")]
    time: String,
    /// Milliseconds since the Unix epoch.
    #[schema(example = 1_795_472_100_123_i64)]
    unix_ms: i64,
    /// The IANA zone.
    #[schema(example = "Europe/Paris")]
    timezone: String,
    /// The zone's offset from UTC at that instant.
    #[schema(example = "+01:00")]
    utc_offset: String,
    /// Whether daylight saving time is in effect.
    dst: bool,
    #[schema(example = "CET")]
    abbreviation: String,
}

/// The current time in a time zone.
#[utoipa::path(get, path = "/api/time", tag = "time",
    params(("tz" = Option<String>, Query, description = "IANA time zone (default UTC)", example = "Europe/Paris")),
    responses(
        (status = 200, body = TimeJson),
        (status = 400, body = ErrorBody, description = "Unknown time zone"),
    ))]
async fn get_time(
    State(state): State<Shared>,
    Query(query): Query<params::QueryParams>,
) -> Result<Json<TimeJson>, ApiError> {
    let (name, zone) = zone_param(&query)?;
    let message = CurrentTimeRequest {
        tz: name.to_owned(),
    };
    let request = state.request(message, &HeaderMap::new());
    let reply = state
        .call(UPSTREAM, state.clock.clone().get_current_time(request))
        .await?;
    let at = Timestamp::from_nanosecond(i128::from(reply.unix_nanos)).map_err(|_| {
        ApiError::Upstream {
            service: UPSTREAM,
            status: tonic::Status::internal("an instant out of range"),
        }
    })?;
    Ok(Json(time_json(at, name, &zone)))
}

/// The `tz` parameter (UTC when missing or empty) and its zone.
pub(super) fn zone_param(query: &params::QueryParams) -> Result<(&str, TimeZone), ApiError> {
    let name = query
        .get("tz")
        .map(String::as_str)
        .filter(|tz| !tz.is_empty())
        .unwrap_or("UTC");
    let zone = clocker_runtime::time_zone(name)
        .map_err(|_| ApiError::Invalid(format!("unknown time zone '{name}'")))?;
    Ok((name, zone))
}

pub(super) fn time_json(at: Timestamp, name: &str, zone: &TimeZone) -> TimeJson {
    let info = zone.to_offset_info(at);
    let zoned = at.to_zoned_datetime(zone.clone());
    TimeJson {
        datetime: zoned.strftime("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string(),
        time: zoned.strftime("%H:%M:%S%.3f").to_string(),
        unix_ms: at.as_millisecond(),
        timezone: name.to_owned(),
        utc_offset: offset_text(info.offset()),
        dst: info.dst().is_dst(),
        abbreviation: info.abbreviation().to_owned(),
    }
}

/// `+01:00` for an offset (whole minutes, as zones have had since 1972).
fn offset_text(offset: jiff::tz::Offset) -> String {
    let seconds = offset.seconds();
    let sign = if seconds < 0 { '-' } else { '+' };
    let seconds = seconds.unsigned_abs();
    format!("{sign}{:02}:{:02}", seconds / 3600, seconds % 3600 / 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paris_in_summer_is_cest_with_dst() {
        let at: Timestamp = "2026-07-01T12:00:00.042Z".parse().expect("literal");
        let zone = clocker_runtime::time_zone("Europe/Paris").expect("bundled");
        let json = time_json(at, "Europe/Paris", &zone);
        assert_eq!(json.datetime, "2026-07-01T14:00:00.042+02:00");
        assert_eq!(json.time, "14:00:00.042");
        assert_eq!(json.utc_offset, "+02:00");
        assert!(json.dst);
        assert_eq!(json.abbreviation, "CEST");
        assert_eq!(json.unix_ms, at.as_millisecond());
    }

    #[test]
    fn negative_half_hour_offsets() {
        let at: Timestamp = "2026-01-01T12:00:00Z".parse().expect("literal");
        let zone = clocker_runtime::time_zone("America/St_Johns").expect("bundled");
        let json = time_json(at, "America/St_Johns", &zone);
        assert_eq!(json.utc_offset, "-03:30");
        assert!(!json.dst);
    }
}
