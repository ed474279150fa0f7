//! JSON request bodies: read as axum reads them (Content-Type, size), then
//! checked field by field against the body type's [`BodyFields`] before
//! serde sees them, so a bad body is answered in plain words that name the
//! field (`"hours" must be a whole number from 0 to 8784`, `unknown field
//! "colour"`), never with the parser's `at line 1 column 16`.
//!
//! The limits here are the ones `/openapi.json` declares for the same
//! fields; what a service checks itself (a username's alphabet, a text's
//! length in bytes, a timer's total) is checked there, and its words come
//! back from there.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use clocker_runtime::http::ApiError;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// A handler's JSON body: as [`axum::Json`], but every way it can be wrong
/// is answered as every other error (`{"error": "..."}`, see [`json_body`]).
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: BodyFields + DeserializeOwned> axum::extract::FromRequest<S>
    for JsonBody<T>
{
    type Rejection = ApiError;

    async fn from_request(
        request: axum::extract::Request,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        json_body(Json::<Value>::from_request(request, state).await).map(JsonBody)
    }
}

/// What one field of a body may be.
#[derive(Debug, Clone, Copy)]
pub enum Field {
    /// A string (its length is the service's to check: the services count
    /// bytes of UTF-8, which JSON Schema cannot).
    Text { name: &'static str, required: bool },
    /// A whole number from 0 to `max`, 0 when left out.
    Count { name: &'static str, max: i64 },
    /// A list of strings, required (how many, and what each may be, is the
    /// service's to check, in its words).
    TextList { name: &'static str },
}

impl Field {
    fn name(&self) -> &'static str {
        match self {
            Field::Text { name, .. } | Field::Count { name, .. } | Field::TextList { name } => name,
        }
    }

    fn required(&self) -> bool {
        matches!(
            self,
            Field::Text { required: true, .. } | Field::TextList { .. }
        )
    }

    /// Why `value` is not this field, if it is not.
    fn refusal(&self, value: &Value) -> Option<String> {
        match *self {
            Field::Text { name, .. } => (!value.is_string())
                .then(|| format!("\"{name}\" must be a string (got {})", kind(value))),
            Field::TextList { name } => match value {
                Value::Array(items) => items.iter().position(|item| !item.is_string()).map(|at| {
                    format!(
                        "\"{name}\" must be a list of strings (item {} is {})",
                        at + 1,
                        kind(&items[at])
                    )
                }),
                other => Some(format!(
                    "\"{name}\" must be a list of strings (got {})",
                    kind(other)
                )),
            },
            Field::Count { name, max } => {
                let fits = whole_number(value).is_some_and(|n| (0..=max).contains(&n));
                (!fits).then(|| {
                    format!(
                        "\"{name}\" must be a whole number from 0 to {max} (got {})",
                        kind(value)
                    )
                })
            }
        }
    }
}

/// The fields a JSON body type takes: the body must be an object of these
/// and no others.
pub trait BodyFields {
    const FIELDS: &'static [Field];
}

/// The body of a request as `T`, or the error saying why it is not one:
/// 400 for JSON that is not a fitting object, 413 for a body over the
/// limit, 415 for one not sent as JSON.
pub fn json_body<T: BodyFields + DeserializeOwned>(
    body: Result<Json<Value>, JsonRejection>,
) -> Result<T, ApiError> {
    let Json(value) = body.map_err(rejected)?;
    let Value::Object(mut object) = value else {
        return Err(ApiError::Invalid(format!(
            "the body must be a JSON object (got {})",
            kind(&value)
        )));
    };
    if let Some(why) = refusal(&object, T::FIELDS) {
        return Err(ApiError::Invalid(why));
    }
    whole_numbers_as_integers(&mut object, T::FIELDS);
    serde_json::from_value(Value::Object(object)).map_err(|err| {
        // The fields were checked: this is a field table out of step with
        // the type, worth a log line, not a parser's words to the client.
        tracing::warn!(error = %err, "a body passed its field checks but not serde");
        ApiError::Invalid("the body does not match the documented schema".into())
    })
}

/// The first thing wrong with `object` as a body of `fields`, in the order
/// a reader would fix them: an unknown field, a missing one, a bad value.
fn refusal(object: &Map<String, Value>, fields: &[Field]) -> Option<String> {
    let known = |key: &str| fields.iter().any(|field| field.name() == key);
    if let Some(unknown) = object.keys().find(|key| !known(key)) {
        let names: Vec<String> = fields.iter().map(|f| format!("\"{}\"", f.name())).collect();
        return Some(format!(
            "unknown field \"{}\" (the fields are {})",
            quoted(unknown),
            names.join(", ")
        ));
    }
    if let Some(missing) = fields
        .iter()
        .find(|field| field.required() && !object.contains_key(field.name()))
    {
        return Some(format!("\"{}\" is required", missing.name()));
    }
    fields.iter().find_map(|field| {
        object
            .get(field.name())
            .and_then(|value| field.refusal(value))
    })
}

/// `value` as a whole number, if it is one: JSON Schema's `integer` is any
/// number without a fraction, so `5.0` is 5 as much as `5` is.
fn whole_number(value: &Value) -> Option<i64> {
    value.as_i64().or_else(|| {
        let float = value.as_f64()?;
        // Exactly representable: |n| < 2^53 (the limits here are far below).
        (float.fract() == 0.0 && float.abs() < 9_007_199_254_740_992.0).then_some(float as i64)
    })
}

/// Writes each whole number of a [`Field::Count`] as an integer (`5.0` as
/// `5`), which is how serde reads it.
fn whole_numbers_as_integers(object: &mut Map<String, Value>, fields: &[Field]) {
    for field in fields {
        if let Field::Count { name, .. } = field
            && let Some(value) = object.get_mut(*name)
            && let Some(n) = whole_number(value)
        {
            *value = Value::from(n);
        }
    }
}

/// The error for a body axum could not read as JSON at all.
fn rejected(rejection: JsonRejection) -> ApiError {
    let message = match &rejection {
        JsonRejection::JsonSyntaxError(_) | JsonRejection::JsonDataError(_) => {
            "the body is not valid JSON".to_owned()
        }
        JsonRejection::MissingJsonContentType(_) => {
            "the body must be JSON, sent with Content-Type: application/json".to_owned()
        }
        _ if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            format!("the body is over {} bytes", crate::BODY_LIMIT)
        }
        // The connection failed while the body was read: nothing the
        // client can fix in the body, and hyper's words are no help.
        _ => "the body could not be read".to_owned(),
    };
    let status = match rejection.status() {
        // A body that is not JSON is a bad request like any other.
        StatusCode::UNPROCESSABLE_ENTITY => StatusCode::BAD_REQUEST,
        status => status,
    };
    ApiError::Status(status, message)
}

/// What kind of JSON value `value` is, for a message (a short number or
/// string is shown as it is).
fn kind(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(_) => "true or false".into(),
        Value::Number(n) if n.to_string().len() <= 24 => n.to_string(),
        Value::Number(_) => "a long number".into(),
        Value::String(s) if s.chars().count() <= 24 => format!("\"{}\"", quoted(s)),
        Value::String(_) => "a long string".into(),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

/// `text` as it can be shown in a message: at most 24 characters, escaped.
fn quoted(text: &str) -> String {
    let head: String = text.chars().take(24).collect();
    let more = if head.len() < text.len() { "…" } else { "" };
    format!("{}{more}", head.escape_debug())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Example {
        name: String,
        #[serde(default)]
        hours: i64,
    }

    impl BodyFields for Example {
        const FIELDS: &'static [Field] = &[
            Field::Text {
                name: "name",
                required: true,
            },
            Field::Count {
                name: "hours",
                max: 8784,
            },
        ];
    }

    fn error(body: &str) -> (StatusCode, String) {
        let err = json_body::<Example>(Json::<Value>::from_bytes(body.as_bytes())).expect_err(body);
        let status = err.status();
        match err {
            ApiError::Invalid(message) | ApiError::Status(_, message) => (status, message),
            ApiError::Upstream { .. } => panic!("{body}: not a body error"),
        }
    }

    #[test]
    fn bad_bodies_are_explained_in_plain_words() {
        let cases = [
            (
                r#"{"name":"ab","hours":"one"}"#,
                r#""hours" must be a whole number from 0 to 8784 (got "one")"#,
            ),
            (
                r#"{"name":"ab","hours":1.5}"#,
                r#""hours" must be a whole number from 0 to 8784 (got 1.5)"#,
            ),
            (
                r#"{"name":"ab","hours":-1}"#,
                r#""hours" must be a whole number from 0 to 8784 (got -1)"#,
            ),
            (
                r#"{"name":"ab","hours":9223372036854775808}"#,
                r#""hours" must be a whole number from 0 to 8784 (got 9223372036854775808)"#,
            ),
            (
                r#"{"name":"ab","colour":"red"}"#,
                r#"unknown field "colour" (the fields are "name", "hours")"#,
            ),
            (r#"{"hours":1}"#, r#""name" is required"#),
            (r#"{"name":null}"#, r#""name" must be a string (got null)"#),
            (
                r#"["not","an","object"]"#,
                "the body must be a JSON object (got an array)",
            ),
            (r#"{"name":"ab","#, "the body is not valid JSON"),
            (r#"{"name":"ab"} x"#, "the body is not valid JSON"),
            ("", "the body is not valid JSON"),
        ];
        for (body, expected) in cases {
            assert_eq!(
                error(body),
                (StatusCode::BAD_REQUEST, expected.to_owned()),
                "{body}"
            );
        }
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Listed {
        zones: Vec<String>,
    }

    impl BodyFields for Listed {
        const FIELDS: &'static [Field] = &[Field::TextList { name: "zones" }];
    }

    #[test]
    fn a_list_of_strings_is_required_and_checked_item_by_item() {
        let refusal =
            |body: &str| match json_body::<Listed>(Json::<Value>::from_bytes(body.as_bytes())) {
                Err(ApiError::Invalid(message)) => message,
                other => panic!(
                    "{body}: expected a refusal, got {:?}",
                    other.map(|l| l.zones)
                ),
            };
        assert_eq!(refusal("{}"), r#""zones" is required"#);
        assert_eq!(
            refusal(r#"{"zones":"UTC"}"#),
            r#""zones" must be a list of strings (got "UTC")"#
        );
        assert_eq!(
            refusal(r#"{"zones":["UTC",5]}"#),
            r#""zones" must be a list of strings (item 2 is 5)"#
        );
        assert_eq!(
            refusal(r#"{"zones":null}"#),
            r#""zones" must be a list of strings (got null)"#
        );
        let taken = json_body::<Listed>(Json::<Value>::from_bytes(br#"{"zones":[]}"#));
        assert_eq!(taken.map(|l| l.zones).ok(), Some(Vec::new()));
    }

    #[test]
    fn no_message_carries_the_parsers_position() {
        for body in [r#"{"name": 1"#, "{\"name\": \"\\ud800\"}", "nul\0", "{{{{"] {
            let (_, message) = error(body);
            assert!(
                !message.contains("line") && !message.contains("column"),
                "{body}: {message}"
            );
        }
    }

    #[test]
    fn a_whole_number_may_be_written_with_a_point() {
        let body = r#"{"name":"ab","hours":5.0}"#;
        let parsed = json_body::<Example>(Json::<Value>::from_bytes(body.as_bytes()));
        assert_eq!(parsed.map(|e| e.hours).ok(), Some(5));
        assert_eq!(
            error(r#"{"name":"ab","hours":1e300}"#).1,
            r#""hours" must be a whole number from 0 to 8784 (got 1e+300)"#
        );
    }
}
