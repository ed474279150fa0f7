//! The gRPC wrapper: converts messages, calls [`crate::generate`], and paces
//! each stream with its own timer. A stream is a lazy `Stream` driven by
//! tonic: no task per client, and it ends when the client goes away or the
//! service shuts down.

use std::pin::Pin;
use std::time::{SystemTime, UNIX_EPOCH};

use clocker_proto::random::data_point::Value as ValueMessage;
use clocker_proto::random::random_service_server::RandomService as RandomApi;
use clocker_proto::random::{
    DataPoint, DataType, NumberRequest, NumberResponse, StreamRequest, StringRequest,
    StringResponse,
};
use clocker_runtime::CancellationToken;
use futures_util::{Stream, StreamExt};
use rand::SeedableRng;
use rand::rngs::SmallRng;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_stream::wrappers::IntervalStream;
use tonic::{Request, Response, Status};

use crate::generate::{self, Invalid, Kind, Point, Series, SeriesSpec, Value};

/// `random.RandomService`.
#[derive(Debug, Clone)]
pub struct RandomService {
    shutdown: CancellationToken,
}

impl RandomService {
    /// A service whose streams end when `shutdown` fires.
    pub fn new(shutdown: CancellationToken) -> Self {
        Self { shutdown }
    }
}

impl From<Invalid> for Status {
    fn from(invalid: Invalid) -> Self {
        Status::invalid_argument(invalid.0)
    }
}

type DataPoints = Pin<Box<dyn Stream<Item = Result<DataPoint, Status>> + Send>>;

#[tonic::async_trait]
impl RandomApi for RandomService {
    async fn get_random_number(
        &self,
        request: Request<NumberRequest>,
    ) -> Result<Response<NumberResponse>, Status> {
        let NumberRequest { min, max } = request.into_inner();
        let value = generate::number(&mut rand::rng(), min, max);
        Ok(Response::new(NumberResponse { value }))
    }

    async fn get_random_string(
        &self,
        request: Request<StringRequest>,
    ) -> Result<Response<StringResponse>, Status> {
        let StringRequest {
            length,
            include_digits,
            include_special,
        } = request.into_inner();
        let value = generate::string(&mut rand::rng(), length, include_digits, include_special)?;
        Ok(Response::new(StringResponse { value }))
    }

    type StreamRandomDataStream = DataPoints;

    async fn stream_random_data(
        &self,
        request: Request<StreamRequest>,
    ) -> Result<Response<DataPoints>, Status> {
        let request = request.into_inner();
        let kind = match DataType::try_from(request.data_type) {
            Ok(DataType::Numeric) => Kind::Numeric {
                min: request.min_value,
                max: request.max_value,
            },
            Ok(DataType::Percentage) => Kind::Percentage,
            Ok(DataType::Boolean) => Kind::Boolean,
            Err(_) => {
                return Err(Status::invalid_argument(format!(
                    "data_type {} is not NUMERIC (0), PERCENTAGE (1) or BOOLEAN (2)",
                    request.data_type
                )));
            }
        };
        let spec = SeriesSpec::new(kind, request.frequency_ms, request.history_size)?;
        Ok(Response::new(points(spec, self.shutdown.clone())))
    }
}

/// The paced points of one stream: the first at once, then one every
/// `spec.every` (a late tick is skipped, not bunched).
fn points(spec: SeriesSpec, shutdown: CancellationToken) -> DataPoints {
    let mut interval = tokio::time::interval_at(Instant::now(), spec.every);
    interval.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut series = Series::new(spec, SmallRng::from_rng(&mut rand::rng()));
    let streams = metrics::gauge!("clocker_random_streams");
    streams.increment(1.0);
    let open = OpenStream(streams);
    IntervalStream::new(interval)
        .map(move |_| {
            let _open = &open;
            metrics::counter!("clocker_random_points_total").increment(1);
            Ok(message(series.next_point()))
        })
        .take_until(shutdown.cancelled_owned())
        .boxed()
}

/// Counts a stream as open until it is dropped.
struct OpenStream(metrics::Gauge);

impl Drop for OpenStream {
    fn drop(&mut self) {
        self.0.decrement(1.0);
    }
}

fn message(point: Point) -> DataPoint {
    let (value, label) = match point.value {
        Value::Numeric(n) => (ValueMessage::NumericValue(n), "numeric"),
        Value::Percentage(p) => (ValueMessage::FloatValue(p), "percentage"),
        Value::Boolean(b) => (ValueMessage::BooleanValue(b), "boolean"),
    };
    DataPoint {
        timestamp: unix_ms(),
        sequence: point.sequence,
        value: Some(value),
        label: label.to_owned(),
        series: "random".to_owned(),
        metadata: point
            .metadata
            .into_iter()
            .map(|(key, value)| (key.to_owned(), value))
            .collect(),
    }
}

fn unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
        })
}
