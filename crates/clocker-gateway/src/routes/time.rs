//! `GET /api/time?tz=Area/City`: the fleet's time in a zone, shaped like
//! worldtimeapi's answer, from one read of current-time; and (`next`)
//! `GET /api/time/next?at=HH:MM&tz=Area/City`, when a time of day next
//! occurs there, from the same read.

mod next;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use clocker_proto::v1::CurrentTimeRequest;
use clocker_runtime::http::ApiError;
use jiff::Timestamp;
use jiff::tz::{TimeZone, TimeZoneDatabase};
use serde::Serialize;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ErrorBody;
use super::params;
use crate::state::Shared;

/// The service behind these routes, as errors name it.
const UPSTREAM: &str = "current-time";

pub fn router() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .routes(routes!(get_time))
        .merge(next::router())
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
    /// The zone's canonical IANA name, as the current-time service names
    /// it (`Asia/Tokyo` for `asia/tokyo`).
    #[schema(example = "Europe/Paris", min_length = 1)]
    timezone: String,
    /// The zone's offset from UTC at that instant.
    #[schema(example = "+01:00")]
    utc_offset: String,
    /// Whether daylight saving time is in effect.
    dst: bool,
    #[schema(example = "CET")]
    abbreviation: String,
}

/// A zone name as `tz` takes it: a name of the tz database built into the
/// binary (the one [`clocker_runtime::time_zone`] looks names up in; its
/// list is read here, never a zone), or empty for UTC.
pub struct ZoneName;

impl PartialSchema for ZoneName {
    fn schema() -> RefOr<Schema> {
        let mut names = bundled_zone_names();
        names.insert(0, String::new());
        zone_schema(
            "An IANA time zone name of the bundled tz database (any ASCII case is accepted and \
             answered by its canonical name); empty for UTC",
            names,
        )
    }
}

impl ToSchema for ZoneName {}

/// A zone name as a world clock holds it: [`ZoneName`]'s names, without
/// the empty one.
pub struct KnownZone;

impl PartialSchema for KnownZone {
    fn schema() -> RefOr<Schema> {
        zone_schema(
            "An IANA time zone name of the bundled tz database (any ASCII case is accepted and \
             answered by its canonical name)",
            bundled_zone_names(),
        )
    }
}

impl ToSchema for KnownZone {}

/// Every name of the bundled tz database, sorted.
fn bundled_zone_names() -> Vec<String> {
    let mut names: Vec<String> = TimeZoneDatabase::bundled()
        .available()
        .map(|name| name.as_str().to_owned())
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

fn zone_schema(description: &str, names: Vec<String>) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .enum_values(Some(names))
        .into()
}

/// The current time in a time zone.
#[utoipa::path(get, path = "/api/time", tag = "time",
    params(("tz" = inline(Option<ZoneName>), Query, description = "IANA time zone, any ASCII case (default UTC)", example = "Europe/Paris")),
    responses(
        (status = 200, body = TimeJson, description = "The time now in the zone"),
        (status = 400, body = ErrorBody, description = "Unknown time zone"),
    ))]
async fn get_time(
    State(state): State<Shared>,
    Query(query): Query<params::QueryParams>,
) -> Result<Json<TimeJson>, ApiError> {
    let (name, zone) = zone_param(&query)?;
    let (at, canonical) = fleet_now(&state, name).await?;
    Ok(Json(time_json(at, &canonical, &zone)))
}

/// The fleet's time: one read of current-time, asked in the zone `name`,
/// with the zone's name as current-time answers it, the canonical one
/// (`Asia/Tokyo` for `asia/tokyo`), as every door of the fleet prints it.
async fn fleet_now(state: &Shared, name: &str) -> Result<(Timestamp, String), ApiError> {
    let message = CurrentTimeRequest {
        tz: name.to_owned(),
    };
    let request = state.request(message, &HeaderMap::new());
    let reply = state
        .call(UPSTREAM, state.clock.clone().get_current_time(request))
        .await?;
    let at =
        Timestamp::from_nanosecond(i128::from(reply.unix_nanos)).map_err(|_| out_of_range())?;
    let canonical = if reply.tz.is_empty() {
        name.to_owned()
    } else {
        reply.tz
    };
    Ok((at, canonical))
}

/// The error for an instant from current-time that jiff cannot hold.
fn out_of_range() -> ApiError {
    ApiError::Upstream {
        service: UPSTREAM,
        status: tonic::Status::internal("an instant out of range"),
    }
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
    fn every_documented_zone_name_is_one_the_gateway_takes() {
        let RefOr::T(Schema::Object(schema)) = ZoneName::schema() else {
            panic!("an object schema");
        };
        let names = schema.enum_values.expect("an enum");
        assert!(names.len() > 300, "{} names", names.len());
        for name in names {
            let name = name.as_str().expect("a string");
            let query = params::QueryParams::from([("tz".to_owned(), name.to_owned())]);
            assert!(zone_param(&query).is_ok(), "{name:?}");
        }
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
