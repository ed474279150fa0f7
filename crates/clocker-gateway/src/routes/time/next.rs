//! `GET /api/time/next?at=HH:MM[:SS]&tz=Area/City`: when a time of day next
//! occurs in a zone, by the fleet's clock (one read of current-time, as
//! `GET /api/time`) and the bundled tz rules, for alarms the web page sets
//! as timers ([`crate::next_occurrence`] says what DST days do to it).

use axum::Json;
use axum::extract::{Query, State};
use clocker_runtime::http::ApiError;
use jiff::civil::Time;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ZoneName, fleet_now, out_of_range, zone_param};
use crate::next_occurrence::{Adjustment, next_occurrence, wall_time_text};
use crate::routes::{ErrorBody, params};
use crate::state::Shared;

pub fn router() -> OpenApiRouter<Shared> {
    OpenApiRouter::new().routes(routes!(get_next_time))
}

#[derive(Debug, Serialize, ToSchema, PartialEq)]
pub struct NextTimeJson {
    /// The time of day asked for, `HH:MM`, or `HH:MM:SS` when its seconds
    /// are not zero.
    #[schema(
        example = "02:30",
        pattern = "^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"
    )]
    at: String,
    /// The zone's canonical IANA name.
    #[schema(example = "Europe/Berlin", min_length = 1)]
    timezone: String,
    /// When the alarm rings: RFC 3339 with the zone's offset then.
    #[schema(example = "2027-03-28T03:30:00+02:00", format = DateTime)]
    fires_at: String,
    /// The same instant, in milliseconds since the Unix epoch.
    #[schema(example = 1_806_197_400_000_i64)]
    unix_ms: i64,
    /// Whole seconds from the fleet's now to `fires_at`, rounded up: a
    /// timer of this many seconds rings at or just after `fires_at`.
    #[schema(example = 52_200, minimum = 1)]
    in_seconds: i64,
    adjustment: AdjustmentJson,
    /// One sentence saying what the clocks do that day and when the alarm
    /// rings, when `adjustment` is not `none`; empty when it is.
    #[schema(
        example = "02:30 does not exist in Europe/Berlin on Sunday 28 March 2027 (clocks go forward from 02:00 to 03:00); the alarm rings at 03:30 CEST."
    )]
    note: String,
}

/// What became of the time of day on the day it next occurs: `none`;
/// `skipped`, when the clocks jump over it (spring forward) and the alarm
/// rings as far after the jump as the time was into it (02:30 in a
/// 02:00→03:00 jump rings at 03:30); `repeated`, when it happens twice
/// (fall back) and the alarm rings at the first.
#[derive(Debug, Serialize, ToSchema, PartialEq, Eq, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub enum AdjustmentJson {
    None,
    Skipped,
    Repeated,
}

impl From<Adjustment> for AdjustmentJson {
    fn from(adjustment: Adjustment) -> Self {
        match adjustment {
            Adjustment::None => AdjustmentJson::None,
            Adjustment::Skipped => AdjustmentJson::Skipped,
            Adjustment::Repeated => AdjustmentJson::Repeated,
        }
    }
}

/// When a time of day next occurs in a zone: today if it is still ahead by
/// the fleet's clock, else on the next day; on a day the clocks skip it or
/// show it twice, as `adjustment` says.
#[utoipa::path(get, path = "/api/time/next", tag = "time",
    params(
        ("at" = String, Query, description = "The time of day, HH:MM or HH:MM:SS (00:00 to 23:59:59)",
            pattern = "^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$", example = "07:30"),
        ("tz" = inline(Option<ZoneName>), Query, description = "IANA time zone, any ASCII case (default UTC)", example = "Europe/Berlin"),
    ),
    responses(
        (status = 200, body = NextTimeJson, description = "When the time of day next occurs"),
        (status = 400, body = ErrorBody, description = "A missing or malformed time of day, or an unknown time zone"),
    ))]
async fn get_next_time(
    State(state): State<Shared>,
    Query(query): Query<params::QueryParams>,
) -> Result<Json<NextTimeJson>, ApiError> {
    let at = at_param(&query)?;
    let (name, zone) = zone_param(&query)?;
    let (now, canonical) = fleet_now(&state, name).await?;
    let next = next_occurrence(now, at, &zone).ok_or_else(out_of_range)?;
    let fires_at = next.fires_at.timestamp();
    // Strictly after now: at least 1 ns, so at least 1 s rounded up.
    let nanos = now.duration_until(fires_at).as_nanos();
    let in_seconds =
        i64::try_from((nanos + 999_999_999) / 1_000_000_000).map_err(|_| out_of_range())?;
    Ok(Json(NextTimeJson {
        at: wall_time_text(at),
        timezone: canonical,
        fires_at: next.fires_at.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(),
        unix_ms: fires_at.as_millisecond(),
        in_seconds,
        adjustment: next.adjustment.into(),
        note: next.note,
    }))
}

/// The `at` parameter: `HH:MM` or `HH:MM:SS`, two digits each, in range.
fn at_param(query: &params::QueryParams) -> Result<Time, ApiError> {
    let Some(text) = query.get("at").filter(|at| !at.is_empty()) else {
        return Err(ApiError::Invalid(
            "Missing 'at' parameter: a time of day, HH:MM or HH:MM:SS".into(),
        ));
    };
    parse_wall_time(text).ok_or_else(|| {
        ApiError::Invalid(
            "Invalid 'at' parameter: a time of day is HH:MM or HH:MM:SS, from 00:00 to 23:59:59"
                .into(),
        )
    })
}

/// `HH:MM` or `HH:MM:SS` (what the document's pattern for `at` matches),
/// as a time of day.
fn parse_wall_time(text: &str) -> Option<Time> {
    let bytes = text.as_bytes();
    if !matches!(bytes.len(), 5 | 8) {
        return None;
    }
    let field = |at: usize| -> Option<i8> {
        let (tens, ones) = (bytes[at], bytes[at + 1]);
        (tens.is_ascii_digit() && ones.is_ascii_digit())
            .then(|| i8::try_from((tens - b'0') * 10 + (ones - b'0')).ok())
            .flatten()
    };
    let hour = field(0)?;
    let minute = (bytes[2] == b':').then(|| field(3)).flatten()?;
    let second = match bytes.len() {
        8 => (bytes[5] == b':').then(|| field(6)).flatten()?,
        _ => 0,
    };
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    Time::new(hour, minute, second, 0).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `at` takes, as the document declares it (twice: the parameter
    /// and the reply's field).
    const AT_PATTERN: &str = "^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$";

    #[test]
    fn times_of_day_are_hh_mm_or_hh_mm_ss() {
        let parsed = |text: &str| parse_wall_time(text).map(wall_time_text);
        assert_eq!(parsed("00:00").as_deref(), Some("00:00"));
        assert_eq!(parsed("23:59:59").as_deref(), Some("23:59:59"));
        assert_eq!(parsed("07:30:00").as_deref(), Some("07:30"));
        for bad in [
            "24:00",
            "23:60",
            "12:00:60",
            "7:30",
            "07:3",
            "0730",
            "07-30",
            "07:30:",
            "07:30:5",
            "+1:30",
            "07:30 ",
            "",
            "٠٧:٣٠",
            "12:00:00.5",
            "99:99",
        ] {
            assert_eq!(parse_wall_time(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_document_declares_the_pattern_the_parser_keeps() {
        let document = serde_json::to_value(crate::routes::openapi()).expect("serializes");
        let parameters = &document["paths"]["/api/time/next"]["get"]["parameters"];
        let at = parameters
            .as_array()
            .and_then(|all| all.iter().find(|p| p["name"] == "at"))
            .expect("an at parameter");
        assert_eq!(at["required"], true);
        assert_eq!(at["schema"]["pattern"], AT_PATTERN);
        let reply = &document["components"]["schemas"]["NextTimeJson"]["properties"]["at"];
        assert_eq!(reply["pattern"], AT_PATTERN);
    }
}
