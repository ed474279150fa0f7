//! Query parameters as seed 004's gateway reads them: a missing or empty
//! parameter takes its default; one that does not parse is a 400 naming it
//! (`Invalid 'min' parameter`).

use std::collections::HashMap;
use std::str::FromStr;

use clocker_runtime::http::ApiError;

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
