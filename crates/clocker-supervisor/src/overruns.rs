//! Deadline overruns: every few seconds the supervisor reads each gRPC
//! service's own counters (`GET /metrics`, which every gRPC port answers)
//! and reports the methods that overran their budget in more than 1 % of
//! their calls since the last look — in the log and in `clocker ps`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use clocker_fleet::ServiceName;
use clocker_runtime::CancellationToken;
use clocker_runtime::http::client::{self, ClientError, Limits};
use http::StatusCode;

use crate::probe::supervisor_headers;
use crate::status::{State, Statuses};

/// How often the counters are read.
pub const EVERY: Duration = Duration::from_secs(5);
/// The share of a method's calls that may overrun before it is reported.
const HIGH: f64 = 0.01;
/// Fewer calls than this in a window say too little to report.
const MIN_CALLS: u64 = 20;

/// Calls and budget overruns of one method, as counted so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub calls: u64,
    pub overruns: u64,
}

/// The counters of every method in a Prometheus text exposition.
pub fn parse_counts(text: &str) -> HashMap<String, Counts> {
    let mut methods: HashMap<String, Counts> = HashMap::new();
    for line in text.lines() {
        let (is_calls, rest) = if let Some(rest) = line.strip_prefix("clocker_rpc_requests_total{")
        {
            (true, rest)
        } else if let Some(rest) = line.strip_prefix("clocker_rpc_deadline_exceeded_total{") {
            (false, rest)
        } else {
            continue;
        };
        let Some((labels, value)) = rest.rsplit_once("} ") else {
            continue;
        };
        let Some(method) = label(labels, "method") else {
            continue;
        };
        // Only the service's own budget counts, not a client's shorter timeout.
        if !is_calls && label(labels, "cause") != Some("budget") {
            continue;
        }
        let value = value.trim().parse::<f64>().unwrap_or(0.0) as u64;
        let counts = methods.entry(method.to_owned()).or_default();
        if is_calls {
            counts.calls += value;
        } else {
            counts.overruns += value;
        }
    }
    methods
}

fn label<'a>(labels: &'a str, name: &str) -> Option<&'a str> {
    labels.split("\",").find_map(|pair| {
        let (key, value) = pair.split_once("=\"")?;
        (key.trim() == name).then(|| value.trim_end_matches('"'))
    })
}

/// A method that overran its budget in more than [`HIGH`] of its calls.
#[derive(Debug, Clone, PartialEq)]
pub struct FrequentOverrun {
    pub method: String,
    /// Overruns per call, from 0 to 1.
    pub share: f64,
    pub overruns: u64,
    pub calls: u64,
}

/// The methods whose overrun share since `before` is high, worst first.
pub fn frequent_overruns(
    before: &HashMap<String, Counts>,
    now: &HashMap<String, Counts>,
) -> Vec<FrequentOverrun> {
    let mut found: Vec<FrequentOverrun> = now
        .iter()
        .filter_map(|(method, counts)| {
            let old = before.get(method).copied().unwrap_or_default();
            let calls = counts.calls.checked_sub(old.calls)?;
            let overruns = counts.overruns.checked_sub(old.overruns)?;
            let share = overruns as f64 / calls.max(1) as f64;
            (calls >= MIN_CALLS && share > HIGH).then(|| FrequentOverrun {
                method: method.clone(),
                share,
                overruns,
                calls,
            })
        })
        .collect();
    found.sort_by(|a, b| b.share.total_cmp(&a.share));
    found
}

/// Reads every ready gRPC service's counters every [`EVERY`] until `stop`.
pub async fn watch(statuses: Statuses, stop: CancellationToken) {
    let mut last: HashMap<ServiceName, HashMap<String, Counts>> = HashMap::new();
    let mut ticks = tokio::time::interval(EVERY);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            () = stop.cancelled() => return,
        }
        for (service, addr) in statuses.ready_grpc() {
            let Ok(text) = scrape(addr).await else {
                continue;
            };
            let now = parse_counts(&text);
            // A restarted service counts from zero again: `frequent_overruns`
            // skips methods whose counters went backwards.
            let before = last.remove(&service).unwrap_or_default();
            let worst = frequent_overruns(&before, &now);
            for overrun in &worst {
                tracing::warn!(
                    %service,
                    method = overrun.method,
                    overruns = overrun.overruns,
                    calls = overrun.calls,
                    "{:.1} % of calls overran their budget in the last {} s",
                    overrun.share * 100.0,
                    EVERY.as_secs()
                );
            }
            let summary = worst
                .first()
                .map(|worst| format!("{}: {:.1} %", worst.method, worst.share * 100.0));
            statuses.update(service, |s| s.overruns = summary);
            last.insert(service, now);
        }
    }
}

/// The most bytes of metrics read from one service (a service's own
/// counters are a few KiB; a larger answer is refused, not buffered).
const MAX_METRICS_BYTES: usize = 1024 * 1024;

/// `GET /metrics` of the service at `addr` (every gRPC port answers it),
/// within a second: its Prometheus text.
pub async fn scrape(addr: SocketAddr) -> Result<String, ClientError> {
    let limits = Limits {
        deadline: Duration::from_secs(1),
        max_answer_bytes: MAX_METRICS_BYTES,
    };
    let answer = client::get(addr, "/metrics", &supervisor_headers(), limits).await?;
    if answer.status != StatusCode::OK {
        return Err(ClientError::Status {
            addr,
            status: answer.status,
        });
    }
    Ok(answer.text().into_owned())
}

impl Statuses {
    /// The gRPC services that are ready now, with their addresses.
    fn ready_grpc(&self) -> Vec<(ServiceName, SocketAddr)> {
        self.snapshot()
            .into_iter()
            .filter(|s| !s.name.speaks_http() && s.state == State::Ready)
            .map(|s| (s.name, s.addr))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"# TYPE clocker_rpc_requests_total counter
clocker_rpc_requests_total{service="hours",method="/clocker.v1.Hours/GetHours",code="OK"} 90
clocker_rpc_requests_total{service="hours",method="/clocker.v1.Hours/GetHours",code="DEADLINE_EXCEEDED"} 10
clocker_rpc_deadline_exceeded_total{service="hours",method="/clocker.v1.Hours/GetHours",cause="budget"} 8
clocker_rpc_deadline_exceeded_total{service="hours",method="/clocker.v1.Hours/GetHours",cause="client"} 2
clocker_rpc_duration_seconds_count{service="hours",method="/clocker.v1.Hours/GetHours"} 100
"#;

    #[test]
    fn counts_calls_and_only_the_services_own_overruns() {
        let counts = parse_counts(TEXT);
        assert_eq!(
            counts["/clocker.v1.Hours/GetHours"],
            Counts {
                calls: 100,
                overruns: 8
            }
        );
    }

    #[test]
    fn a_high_share_since_the_last_look_is_reported() {
        let now = parse_counts(TEXT);
        let found = frequent_overruns(&HashMap::new(), &now);
        assert_eq!(found.len(), 1);
        assert!((found[0].share - 0.08).abs() < 1e-9);
        // Nothing new since: nothing to report.
        assert!(frequent_overruns(&now, &now).is_empty());
        // Counters that went backwards (a restart) are skipped.
        let restarted = HashMap::from([(
            "/clocker.v1.Hours/GetHours".to_owned(),
            Counts {
                calls: 5,
                overruns: 0,
            },
        )]);
        assert!(frequent_overruns(&now, &restarted).is_empty());
    }
}
