//! `clocker random`: seed 004's random service from the terminal — a
//! number, a string, or the stream of points until Ctrl-C (or `--count`).

use std::io::Write;
use std::time::Duration;

use anyhow::bail;
use clap::Subcommand;
use clocker_fleet::ServiceName;
use clocker_proto::random::data_point::Value;
use clocker_proto::random::random_service_client::RandomServiceClient;
use clocker_proto::random::{DataPoint, DataType, NumberRequest, StreamRequest, StringRequest};
use clocker_runtime::{AddressBook, Locator, shutdown_signal};
use tonic::Streaming;
use tonic::transport::Channel;

use crate::cli::parse;

/// What to ask the random service for: `clocker random`'s subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum RandomCommand {
    /// A number uniform in [MIN, MAX] (any 32-bit range).
    Number {
        #[arg(long, default_value_t = 1, allow_negative_numbers = true)]
        min: i32,
        #[arg(long, default_value_t = 100, allow_negative_numbers = true)]
        max: i32,
    },
    /// A string of letters, plus digits and special characters when asked.
    String {
        /// 1 to 1000 characters.
        #[arg(long, default_value_t = 10)]
        length: i32,
        /// Include 0-9.
        #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
        digits: bool,
        /// Include !@#$%^&*()-_=+[]{}|;:,.<>?/
        #[arg(long)]
        special: bool,
    },
    /// Points as they come, until Ctrl-C or --count.
    Stream {
        /// numeric, percentage or boolean.
        #[arg(long = "type", default_value = "numeric", value_parser = parse::data_type)]
        kind: DataType,
        /// Time between points (10ms to 1h).
        #[arg(long, default_value = "1s", value_parser = parse::positive_duration)]
        every: Duration,
        #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
        min: i32,
        #[arg(long, default_value_t = 100, allow_negative_numbers = true)]
        max: i32,
        /// Stop after this many points.
        #[arg(long)]
        count: Option<u64>,
        /// One JSON object per line, as the stream service's events.
        #[arg(long)]
        json: bool,
    },
}

/// How long one unary call may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(2);

/// Runs `command` against the random service found in `book`.
pub async fn run(command: RandomCommand, book: AddressBook) -> anyhow::Result<()> {
    let random = ServiceName::Random;
    let addr = random.address_in(&book);
    let locator = Locator::new("clocker random", &[random.contract()], book);
    let mut random: RandomServiceClient<Channel> = locator.locate()?;
    let unanswered = |status: tonic::Status| {
        status_error(status).context(format!(
            "the random service at {addr} did not answer; is it running? (clocker up)"
        ))
    };
    let value = match command {
        RandomCommand::Number { min, max } => random
            .get_random_number(with_call_timeout(NumberRequest { min, max }))
            .await
            .map(|reply| reply.into_inner().value.to_string()),
        RandomCommand::String {
            length,
            digits,
            special,
        } => random
            .get_random_string(with_call_timeout(StringRequest {
                length,
                include_digits: digits,
                include_special: special,
            }))
            .await
            .map(|reply| reply.into_inner().value),
        RandomCommand::Stream {
            kind,
            every,
            min,
            max,
            count,
            json,
        } => {
            let request = StreamRequest {
                data_type: kind.into(),
                frequency_ms: i32::try_from(every.as_millis()).unwrap_or(i32::MAX),
                min_value: min,
                max_value: max,
                history_size: 0,
            };
            let points = random
                .stream_random_data(request)
                .await
                .map_err(unanswered)?
                .into_inner();
            return print_points(points, count, json).await;
        }
    };
    println!("{}", value.map_err(unanswered)?);
    Ok(())
}

fn with_call_timeout<T>(message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.set_timeout(CALL_TIMEOUT);
    request
}

/// Prints the stream's points, one a line, until Ctrl-C or `count` of them.
async fn print_points(
    mut points: Streaming<DataPoint>,
    count: Option<u64>,
    json: bool,
) -> anyhow::Result<()> {
    let stop = shutdown_signal();
    tokio::pin!(stop);
    let mut out = std::io::stdout().lock();
    let mut printed = 0;
    while count.is_none_or(|count| printed < count) {
        let point = tokio::select! {
            point = points.message() => point.map_err(status_error)?,
            () = &mut stop => break,
        };
        let Some(point) = point else {
            bail!("the random service ended the stream");
        };
        writeln!(out, "{}", point_line(&point, json))?;
        out.flush()?;
        printed += 1;
    }
    Ok(())
}

/// A point as JSON (the stream service's event) or as a line of text.
fn point_line(point: &DataPoint, json: bool) -> String {
    let value = match point.value {
        Some(Value::NumericValue(n)) => n.to_string(),
        Some(Value::FloatValue(f)) => format!("{f:.3}"),
        Some(Value::BooleanValue(b)) => b.to_string(),
        None => "null".to_owned(),
    };
    if json {
        format!(
            r#"{{"timestamp":{},"value":{value},"sequence":{}}}"#,
            point.timestamp, point.sequence
        )
    } else {
        let at = jiff::Timestamp::from_millisecond(point.timestamp)
            .map(|at| format!("{at:.3}"))
            .unwrap_or_default();
        format!("{:>6}  {at}  {value}", point.sequence)
    }
}

/// A status as an error that reads well after "error:".
fn status_error(status: tonic::Status) -> anyhow::Error {
    anyhow::anyhow!("{} ({:?})", status.message(), status.code())
}
