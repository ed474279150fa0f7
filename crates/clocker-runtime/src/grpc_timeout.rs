//! The client's deadline of a gRPC call, read from its `grpc-timeout`
//! header (up to 8 digits and a unit, as the gRPC over HTTP/2 spec says).

use std::time::Duration;

use http::HeaderMap;

/// The client's `grpc-timeout` header, `None` when absent or malformed.
pub(crate) fn grpc_timeout(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get("grpc-timeout")?.to_str().ok()?;
    if value.len() < 2 || value.len() > 9 {
        return None;
    }
    let (digits, unit) = value.split_at(value.len() - 1);
    let amount: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(amount.saturating_mul(3600)),
        "M" => Duration::from_secs(amount.saturating_mul(60)),
        "S" => Duration::from_secs(amount),
        "m" => Duration::from_millis(amount),
        "u" => Duration::from_micros(amount),
        "n" => Duration::from_nanos(amount),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timeout_of(value: &str) -> Option<Duration> {
        let mut headers = HeaderMap::new();
        headers.insert("grpc-timeout", value.parse().expect("ascii"));
        grpc_timeout(&headers)
    }

    #[test]
    fn grpc_timeout_units_are_parsed() {
        assert_eq!(timeout_of("20m"), Some(Duration::from_millis(20)));
        assert_eq!(timeout_of("1S"), Some(Duration::from_secs(1)));
        assert_eq!(timeout_of("2M"), Some(Duration::from_secs(120)));
        assert_eq!(timeout_of("1H"), Some(Duration::from_secs(3600)));
        assert_eq!(timeout_of("500u"), Some(Duration::from_micros(500)));
        assert_eq!(
            timeout_of("99999999n"),
            Some(Duration::from_nanos(99_999_999))
        );
    }

    #[test]
    fn malformed_grpc_timeouts_are_ignored() {
        assert_eq!(timeout_of("m"), None);
        assert_eq!(timeout_of("20x"), None);
        assert_eq!(timeout_of("123456789m"), None);
        assert_eq!(timeout_of("-1m"), None);
    }
}
