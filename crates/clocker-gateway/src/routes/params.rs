//! Query parameters as seed 004's gateway reads them: a missing or empty
//! parameter takes its default; one that does not parse is a 400 naming it
//! (`Invalid 'min' parameter`).

use std::collections::HashMap;
use std::str::FromStr;

use clocker_runtime::http::ApiError;
use utoipa::openapi::path::ParameterIn;
use utoipa::openapi::schema::{AnyOfBuilder, ObjectBuilder, Type};
use utoipa::openapi::{OpenApi, RefOr, Schema};

/// The spellings [`parse_bool`] takes, as the query carries them.
const BOOL_WORDS: [&str; 12] = [
    "1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False",
];

/// The query string, by name.
pub type QueryParams = HashMap<String, String>;

/// The 400 for a parameter that is not what it should be.
pub fn invalid(name: &str) -> ApiError {
    ApiError::Invalid(format!("Invalid '{name}' parameter"))
}

/// `name` parsed as `T`, or `default` when missing or empty.
pub fn parse<T: FromStr>(query: &QueryParams, name: &str, default: T) -> Result<T, ApiError> {
    match query.get(name).map(String::as_str) {
        None | Some("") => Ok(default),
        Some(text) => text.parse().map_err(|_| invalid(name)),
    }
}

/// A boolean as Go's `strconv.ParseBool` reads one (the seed's gateway is Go).
pub fn parse_bool(query: &QueryParams, name: &str, default: bool) -> Result<bool, ApiError> {
    match query.get(name).map(String::as_str) {
        None | Some("") => Ok(default),
        Some("1" | "t" | "T" | "TRUE" | "true" | "True") => Ok(true),
        Some("0" | "f" | "F" | "FALSE" | "false" | "False") => Ok(false),
        Some(_) => Err(invalid(name)),
    }
}

/// Declares in `api` what the query parameters of the routes under
/// `prefix` take besides their typed values: the empty value (which takes
/// the default, as seed 004's gateway does) and, for booleans, every
/// spelling Go's `strconv.ParseBool` takes.
pub fn document_seed_query(api: &mut OpenApi, prefix: &str) {
    let parameters = api
        .paths
        .paths
        .iter_mut()
        .filter(|(path, _)| path.starts_with(prefix))
        .filter_map(|(_, item)| item.get.as_mut())
        .filter_map(|operation| operation.parameters.as_mut())
        .flatten()
        .filter_map(|parameter| match parameter {
            RefOr::T(parameter) if parameter.parameter_in == ParameterIn::Query => Some(parameter),
            _ => None,
        });
    for parameter in parameters {
        let Some(typed) = parameter.schema.take() else {
            continue;
        };
        let is_bool = matches!(&typed, RefOr::T(Schema::Object(object))
            if object.schema_type == Type::Boolean.into());
        let words: Vec<&str> = if is_bool {
            BOOL_WORDS.iter().copied().chain([""]).collect()
        } else {
            vec![""]
        };
        let spelled = ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(words));
        parameter.schema = Some(AnyOfBuilder::new().item(typed).item(spelled).into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> QueryParams {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn missing_and_empty_take_the_default() {
        assert_eq!(parse(&query(&[]), "min", 1).ok(), Some(1));
        assert_eq!(parse(&query(&[("min", "")]), "min", 1).ok(), Some(1));
        assert_eq!(parse(&query(&[("min", "-7")]), "min", 1).ok(), Some(-7));
    }

    #[test]
    fn unparsable_numbers_name_the_parameter() {
        for bad in ["x", "1.5", "2147483648", " 1"] {
            let err = parse::<i32>(&query(&[("max", bad)]), "max", 1).expect_err(bad);
            assert!(matches!(err, ApiError::Invalid(m) if m == "Invalid 'max' parameter"));
        }
    }

    #[test]
    fn the_document_says_empty_takes_the_default_and_spells_booleans_like_go() {
        let document = serde_json::to_value(crate::routes::openapi()).expect("serializes");
        let parameters = &document["paths"]["/random/string"]["get"]["parameters"];
        let schema = |name: &str| {
            parameters
                .as_array()
                .and_then(|all| all.iter().find(|p| p["name"] == name))
                .map(|p| p["schema"]["anyOf"].clone())
                .unwrap_or_default()
        };
        assert_eq!(schema("length")[0]["maximum"], 1000);
        assert_eq!(schema("length")[1]["enum"], serde_json::json!([""]));
        let words = schema("digits")[1]["enum"].clone();
        for word in BOOL_WORDS.iter().chain(&[""]) {
            assert!(
                words
                    .as_array()
                    .is_some_and(|w| w.contains(&(*word).into())),
                "{word}"
            );
            assert!(
                parse_bool(&query(&[("d", word)]), "d", true).is_ok(),
                "{word}"
            );
        }
    }

    #[test]
    fn booleans_read_like_go() {
        assert_eq!(
            parse_bool(&query(&[("d", "T")]), "d", false).ok(),
            Some(true)
        );
        assert_eq!(
            parse_bool(&query(&[("d", "0")]), "d", true).ok(),
            Some(false)
        );
        assert!(parse_bool(&query(&[("d", "yes")]), "d", true).is_err());
    }
}
