//! `clocker random`: the random service from the terminal — a number, a
//! string, or a stream of points until Ctrl-C (or `--count`).
//!
//! Arguments the service would refuse are refused here first, with the
//! service's own limits (`clocker_random::generate`).

use std::io::Write;
use std::time::Duration;

use anyhow::bail;
use clap::Subcommand;
use clocker_fleet::ServiceName;
use clocker_proto::random::data_point::Value;
use clocker_proto::random::random_service_client::RandomServiceClient;
use clocker_proto::random::{DataPoint, DataType, NumberRequest, StreamRequest, StringRequest};
use clocker_random::generate::{MAX_FREQUENCY, MAX_STRING_LENGTH, MIN_FREQUENCY};
use clocker_runtime::{AddressBook, Locator, shutdown_signal};
use tonic::Streaming;
use tonic::transport::Channel;

use crate::cli::parse;
use crate::client::{Interrupted, call, grpc_error, print_json, with_deadline};

/// What to ask the random service for: `clocker random`'s subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum RandomCommand {
    /// A whole number between --min and --max, both included.
    ///
    /// Example: clocker random number --min 1 --max 6
    Number {
        /// The smallest it may be (any 32-bit number).
        #[arg(long, default_value_t = 1, allow_negative_numbers = true)]
        min: i32,
        /// The largest it may be.
        #[arg(long, default_value_t = 100, allow_negative_numbers = true)]
        max: i32,
        /// Print {"value":N} instead of the number alone.
        #[arg(long)]
        json: bool,
    },
    /// A string of letters and digits, with special characters when asked.
    ///
    /// Example: clocker random string --length 16 --special
    String {
        /// How many characters.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(i32).range(1..=i64::from(MAX_STRING_LENGTH)))]
        length: i32,
        /// Letters only: no 0-9.
        #[arg(long)]
        no_digits: bool,
        /// The older form of --no-digits (--digits false).
        #[arg(long, hide = true, action = clap::ArgAction::Set, value_name = "BOOL", conflicts_with = "no_digits")]
        digits: Option<bool>,
        /// Also special characters: !@#$%^&*()-_=+[]{}|;:,.<>?/
        #[arg(long)]
        special: bool,
        /// Print {"value":"…"} instead of the string alone.
        #[arg(long)]
        json: bool,
    },
    /// Points as the service makes them, one a line, until Ctrl-C or --count.
    ///
    /// Example: clocker random stream --type percentage --every 500ms --count 10
    Stream {
        /// numeric (whole numbers from --min to --max), percentage or boolean.
        #[arg(long = "type", default_value = "numeric", value_parser = parse::data_type)]
        kind: DataType,
        /// Time between points, from 10ms to 1h.
        #[arg(long, default_value = "1s", value_parser = stream_every)]
        every: Duration,
        /// The smallest number (numeric only).
        #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
        min: i32,
        /// The largest number (numeric only).
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
/// The service's name in messages.
const SERVICE: &str = "random";

/// A stream's pace within the service's limits.
fn stream_every(input: &str) -> Result<Duration, String> {
    let every = parse::duration(input)?;
    if (MIN_FREQUENCY..=MAX_FREQUENCY).contains(&every) {
        Ok(every)
    } else {
        Err(format!(
            "'{input}' is outside {}ms to {}s",
            MIN_FREQUENCY.as_millis(),
            MAX_FREQUENCY.as_secs()
        ))
    }
}

/// Runs `command` against the random service found in `book`.
pub async fn run(command: RandomCommand, book: AddressBook) -> anyhow::Result<()> {
    let random = ServiceName::Random;
    let addr = random.address_in(&book);
    let locator = Locator::new("clocker random", &[random.contract()], book);
    let mut client: RandomServiceClient<Channel> = locator.locate()?;
    match command {
        RandomCommand::Number { min, max, json } => {
            let request = with_deadline(NumberRequest { min, max }, CALL_TIMEOUT);
            let asked = client.get_random_number(request);
            let value = call(SERVICE, &addr, CALL_TIMEOUT, asked).await?.value;
            print_value(serde_json::json!(value), json)
        }
        RandomCommand::String {
            length,
            no_digits,
            digits,
            special,
            json,
        } => {
            let request = StringRequest {
                length,
                include_digits: digits.unwrap_or(!no_digits),
                include_special: special,
            };
            let asked = client.get_random_string(with_deadline(request, CALL_TIMEOUT));
            let value = call(SERVICE, &addr, CALL_TIMEOUT, asked).await?.value;
            print_value(serde_json::json!(value), json)
        }
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
            let points = call(
                SERVICE,
                &addr,
                CALL_TIMEOUT,
                client.stream_random_data(request),
            )
            .await?;
            print_points(points, count, json, &addr).await
        }
    }
}

/// The value alone, or `{"value":…}`.
fn print_value(value: serde_json::Value, json: bool) -> anyhow::Result<()> {
    if json {
        print_json(&serde_json::json!({ "value": value }))
    } else {
        match value {
            serde_json::Value::String(text) => println!("{text}"),
            other => println!("{other}"),
        }
        Ok(())
    }
}

/// Prints the stream's points, one a line, until Ctrl-C or `count` of them.
async fn print_points(
    mut points: Streaming<DataPoint>,
    count: Option<u64>,
    json: bool,
    addr: &str,
) -> anyhow::Result<()> {
    let stop = shutdown_signal();
    tokio::pin!(stop);
    let mut out = std::io::stdout().lock();
    let mut printed = 0;
    while count.is_none_or(|count| printed < count) {
        let point = tokio::select! {
            point = points.message() => point.map_err(|status| grpc_error(SERVICE, addr, status))?,
            () = &mut stop => return Err(Interrupted.into()),
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
        // This machine's time of day; the instant itself only in JSON.
        let at = jiff::Timestamp::from_millisecond(point.timestamp)
            .map(|at| {
                let at = at.to_zoned_datetime(clocker_time::fields::local_zone());
                let (h, m, s) = (at.hour(), at.minute(), at.second());
                format!("{h:02}:{m:02}:{s:02}.{:03}", at.millisecond())
            })
            .unwrap_or_default();
        format!("{:>6}  {at}  {value}", point.sequence)
    }
}
