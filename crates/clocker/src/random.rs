//! `clocker random`: seed 004's random service from the terminal — a
//! number, a string, or the stream of points until Ctrl-C (or `--count`).

use std::io::Write;
use std::time::Duration;

use anyhow::{Context, bail};
use clocker_proto::random::data_point::Value;
use clocker_proto::random::random_service_client::RandomServiceClient;
use clocker_proto::random::{DataType, NumberRequest, StreamRequest, StringRequest};
use clocker_runtime::{AddressBook, Locator, ServiceName, shutdown_signal};
use tonic::transport::Channel;

/// What to ask the random service for.
#[derive(Debug, Clone)]
pub enum RandomCommand {
    Number {
        min: i32,
        max: i32,
    },
    String {
        length: i32,
        digits: bool,
        special: bool,
    },
    Stream {
        kind: DataType,
        every: Duration,
        min: i32,
        max: i32,
        count: Option<u64>,
        json: bool,
    },
}

/// How long one unary call may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(2);

/// Runs `command` against the random service found in `book`.
pub async fn run(command: RandomCommand, book: AddressBook) -> anyhow::Result<()> {
    let addr = book.resolve(ServiceName::Random);
    let locator = Locator::for_program("clocker random", &[ServiceName::Random], book);
    let mut random: RandomServiceClient<Channel> = locator.locate()?;
    let unreachable =
        || format!("the random service at {addr} did not answer; is it running? (clocker up)");
    match command {
        RandomCommand::Number { min, max } => {
            let mut request = tonic::Request::new(NumberRequest { min, max });
            request.set_timeout(CALL_TIMEOUT);
            let reply = random
                .get_random_number(request)
                .await
                .map_err(status_error)
                .with_context(unreachable)?;
            println!("{}", reply.into_inner().value);
        }
        RandomCommand::String {
            length,
            digits,
            special,
        } => {
            let mut request = tonic::Request::new(StringRequest {
                length,
                include_digits: digits,
                include_special: special,
            });
            request.set_timeout(CALL_TIMEOUT);
            let reply = random
                .get_random_string(request)
                .await
                .map_err(status_error)
                .with_context(unreachable)?;
            println!("{}", reply.into_inner().value);
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
            let mut points = random
                .stream_random_data(request)
                .await
                .map_err(status_error)
                .with_context(unreachable)?
                .into_inner();
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
                let value = match point.value {
                    Some(Value::NumericValue(n)) => n.to_string(),
                    Some(Value::FloatValue(f)) => format!("{f:.3}"),
                    Some(Value::BooleanValue(b)) => b.to_string(),
                    None => "null".to_owned(),
                };
                if json {
                    writeln!(
                        out,
                        r#"{{"timestamp":{},"value":{value},"sequence":{}}}"#,
                        point.timestamp, point.sequence
                    )?;
                } else {
                    let at = jiff::Timestamp::from_millisecond(point.timestamp)
                        .map(|at| format!("{at:.3}"))
                        .unwrap_or_default();
                    writeln!(out, "{:>6}  {at}  {value}", point.sequence)?;
                }
                out.flush()?;
                printed += 1;
            }
        }
    }
    Ok(())
}

/// A status as an error that reads well after "error:".
fn status_error(status: tonic::Status) -> anyhow::Error {
    anyhow::anyhow!("{} ({:?})", status.message(), status.code())
}
