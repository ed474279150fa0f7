//! `/random/number` and `/random/string`, exactly as seed 004's gateway:
//! same parameters, defaults, JSON and `Invalid '<name>' parameter` errors.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use clocker_proto::random::{NumberRequest, StringRequest};
use clocker_runtime::http::ApiError;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ErrorBody;
use super::params::{self, parse, parse_bool};
use crate::state::Shared;

/// The service behind these routes, as errors name it.
const UPSTREAM: &str = "random";

/// The longest string the random service makes.
const MAX_LENGTH: i32 = 1000;

pub fn router() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .routes(routes!(get_number))
        .routes(routes!(get_string))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NumberJson {
    /// Uniform in [min, max] (the bounds swapped when reversed).
    #[schema(example = 42)]
    number: i32,
    #[schema(example = 1)]
    min: i32,
    #[schema(example = 100)]
    max: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StringJson {
    #[schema(example = "aB3cDe4fGh")]
    string: String,
    #[schema(example = 10)]
    length: i32,
    include_digits: bool,
    include_special: bool,
}

/// A random number.
#[utoipa::path(get, path = "/random/number", tag = "random",
    params(
        ("min" = Option<i32>, Query, minimum = -2147483648, maximum = 2147483647, description = "Lower bound, inclusive, a 32-bit integer (default 1)"),
        ("max" = Option<i32>, Query, minimum = -2147483648, maximum = 2147483647, description = "Upper bound, inclusive, a 32-bit integer (default 100)"),
    ),
    responses(
        (status = 200, body = NumberJson, description = "A number and the bounds it was drawn within"),
        (status = 400, body = ErrorBody, description = "A parameter is not a 32-bit integer"),
    ))]
async fn get_number(
    State(state): State<Shared>,
    Query(query): Query<params::QueryParams>,
) -> Result<Json<NumberJson>, ApiError> {
    let message = number_request(&query)?;
    let NumberRequest { min, max } = message;
    let request = state.request(message, &HeaderMap::new());
    let reply = state
        .call(UPSTREAM, state.random.clone().get_random_number(request))
        .await?;
    Ok(Json(NumberJson {
        number: reply.value,
        min,
        max,
    }))
}

/// A random string.
#[utoipa::path(get, path = "/random/string", tag = "random",
    params(
        ("length" = Option<i32>, Query, minimum = 1, maximum = 1000, description = "Characters, 1 to 1000 (default 10)"),
        ("digits" = Option<bool>, Query, description = "Include 0-9 (default true)"),
        ("special" = Option<bool>, Query, description = "Include !@#$%^&*()-_=+[]{}|;:,.<>?/ (default false)"),
    ),
    responses(
        (status = 200, body = StringJson, description = "A string and the parameters it was made with"),
        (status = 400, body = ErrorBody, description = "A parameter is malformed or out of range"),
    ))]
async fn get_string(
    State(state): State<Shared>,
    Query(query): Query<params::QueryParams>,
) -> Result<Json<StringJson>, ApiError> {
    let message = string_request(&query)?;
    let StringRequest {
        length,
        include_digits,
        include_special,
    } = message;
    let request = state.request(message, &HeaderMap::new());
    let reply = state
        .call(UPSTREAM, state.random.clone().get_random_string(request))
        .await?;
    Ok(Json(StringJson {
        string: reply.value,
        length,
        include_digits,
        include_special,
    }))
}

/// `/random/number`'s query: `min` and `max`, 1 and 100 by default.
pub(super) fn number_request(query: &params::QueryParams) -> Result<NumberRequest, ApiError> {
    Ok(NumberRequest {
        min: parse(query, "min", 1)?,
        max: parse(query, "max", 100)?,
    })
}

/// `/random/string`'s query: `length` (1 to 1000, 10 by default), `digits`
/// and `special`.
pub(super) fn string_request(query: &params::QueryParams) -> Result<StringRequest, ApiError> {
    let length = parse(query, "length", 10)?;
    let include_digits = parse_bool(query, "digits", true)?;
    let include_special = parse_bool(query, "special", false)?;
    if !(1..=MAX_LENGTH).contains(&length) {
        return Err(ApiError::Invalid(format!(
            "Invalid 'length' parameter: must be between 1 and {MAX_LENGTH}"
        )));
    }
    Ok(StringRequest {
        length,
        include_digits,
        include_special,
    })
}
