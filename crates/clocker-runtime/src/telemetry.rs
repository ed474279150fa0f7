//! Logs (tracing, filtered by `RUST_LOG`) and the process-wide Prometheus
//! recorder behind every service's `/metrics`, with the metrics every port
//! records: per HTTP route ([`http_metrics`]) and per gRPC method
//! ([`rpc_metrics`]).

mod http_metrics;
mod rpc_metrics;

pub(crate) use http_metrics::count_http_request;
pub use http_metrics::record_http_request;
#[cfg(test)]
pub(crate) use rpc_metrics::response_code;
pub(crate) use rpc_metrics::{record_deadline_exceeded, record_rpc_answer};

use std::sync::OnceLock;

use axum::http::header;
use axum::response::IntoResponse;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Sends logs to stderr, filtered by `RUST_LOG` (default: `info`).
/// Safe to call more than once; later calls do nothing.
pub fn init_logging() {
    init_logging_with(
        tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
    );
}

/// [`init_logging`] with the caller's filter (a client command logs
/// nothing unless asked).
pub fn init_logging_with(filter: tracing_subscriber::EnvFilter) {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .try_init();
}

static PROMETHEUS: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Latency buckets in seconds: fine below the 50 ms budget, coarse above.
const LATENCY_BUCKETS: &[f64] = &[
    0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
];

/// How often buffered histogram samples are folded into their buckets.
const UPKEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Installs the process-wide metrics recorder once; every later call returns
/// the same handle. `None` when another recorder was installed first.
pub fn prometheus() -> Option<&'static PrometheusHandle> {
    PROMETHEUS
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
                .expect("bucket list is not empty")
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            // Histograms buffer their samples until upkeep folds them in;
            // without it memory grows with every request between scrapes.
            let upkeep = handle.clone();
            let spawned = std::thread::Builder::new()
                .name("metrics-upkeep".into())
                .spawn(move || {
                    loop {
                        std::thread::sleep(UPKEEP_EVERY);
                        upkeep.run_upkeep();
                    }
                });
            if let Err(err) = spawned {
                tracing::error!(%err, "cannot start metrics upkeep; histograms grow until scraped");
            }
            Some(handle)
        })
        .as_ref()
}

/// `GET /metrics`: every metric of this process in Prometheus text format.
pub async fn render_metrics() -> impl IntoResponse {
    let body = prometheus()
        .map(|handle| handle.render())
        .unwrap_or_default();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
}
