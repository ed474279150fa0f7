//! The parsers of flag values clap does not know: durations, queue lengths,
//! log formats, kinds of random data. Each returns a message that reads
//! well after clap's "invalid value … for '--flag':".

use std::time::Duration;

use clocker_proto::random::DataType;
use clocker_runtime::shards::{MAX_SHARDS, default_shards};
use clocker_supervisor::child::LogFormat;

/// `50ms`, `2s`, `1m`, `30d` (days of 24 hours): a duration of 0 or more.
pub fn duration(input: &str) -> Result<Duration, String> {
    let not_a_duration = || format!("'{input}' is not a duration (for example 50ms, 2s, 1m, 30d)");
    let signed: jiff::SignedDuration = match input.parse() {
        Ok(signed) => signed,
        // Days and weeks, counted as 24 hours each.
        Err(_) => input
            .parse::<jiff::Span>()
            .and_then(|span| span.to_duration(jiff::SpanRelativeTo::days_are_24_hours()))
            .map_err(|_| not_a_duration())?,
    };
    Duration::try_from(signed).map_err(|_| format!("'{input}' must not be negative"))
}

/// A duration longer than 0.
pub fn positive_duration(input: &str) -> Result<Duration, String> {
    match duration(input)? {
        zero if zero.is_zero() => Err(format!("'{input}' must be longer than 0")),
        positive => Ok(positive),
    }
}

/// A queue length in lines: 1 to a million.
pub fn queue_lines(input: &str) -> Result<usize, String> {
    match input.parse::<usize>() {
        Ok(lines @ 1..=1_000_000) => Ok(lines),
        _ => Err(format!(
            "'{input}' is not a number of lines from 1 to 1000000"
        )),
    }
}

/// A number of shards: 1 to [`MAX_SHARDS`].
pub fn shards(input: &str) -> Result<usize, String> {
    match input.parse::<usize>() {
        Ok(shards @ 1..=MAX_SHARDS) => Ok(shards),
        _ => Err(format!(
            "'{input}' is not a number of shards from 1 to {MAX_SHARDS} (leave it out for one per core: {})",
            default_shards()
        )),
    }
}

/// `plain` or `json`: how `clocker up` shows its services' logs.
pub fn log_format(input: &str) -> Result<LogFormat, String> {
    match input {
        "plain" => Ok(LogFormat::Plain),
        "json" => Ok(LogFormat::Json),
        _ => Err(format!("'{input}' is not plain or json")),
    }
}

/// `numeric`, `percentage` or `boolean`: the kind of points `clocker random stream` asks for.
pub fn data_type(input: &str) -> Result<DataType, String> {
    match input {
        "numeric" => Ok(DataType::Numeric),
        "percentage" => Ok(DataType::Percentage),
        "boolean" => Ok(DataType::Boolean),
        _ => Err(format!("'{input}' is not numeric, percentage or boolean")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_days_and_refuse_negatives() {
        assert_eq!(duration("50ms"), Ok(Duration::from_millis(50)));
        assert_eq!(duration("7d"), Ok(Duration::from_secs(7 * 24 * 3600)));
        assert_eq!(duration("0s"), Ok(Duration::ZERO));
        let refusal = |parsed: Result<Duration, String>| parsed.expect_err("refused");
        assert!(refusal(duration("-1s")).contains("must not be negative"));
        assert!(refusal(duration("soon")).contains("is not a duration"));
        assert!(refusal(positive_duration("0ms")).contains("must be longer than 0"));
    }

    #[test]
    fn shards_are_one_to_the_most_a_service_runs() {
        assert_eq!(shards("1"), Ok(1));
        assert_eq!(shards("256"), Ok(256));
        for refused in ["0", "257", "100000", "-1", "many"] {
            let message = shards(refused).expect_err(refused);
            assert!(
                message.contains("is not a number of shards from 1 to 256"),
                "{message}"
            );
        }
    }

    #[test]
    fn queue_lines_are_one_to_a_million() {
        assert_eq!(queue_lines("1"), Ok(1));
        assert_eq!(queue_lines("1000000"), Ok(1_000_000));
        assert!(queue_lines("0").is_err());
        assert!(queue_lines("1000001").is_err());
    }
}
