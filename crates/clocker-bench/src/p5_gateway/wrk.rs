//! Running `wrk` (Debian's package) as a child process and reading what it
//! prints with `--latency`: requests/s, the latency distribution, errors.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::io::AsyncReadExt;
use tokio::process::Command;

use crate::procfs::{CpuMeter, CpuUse, Pid};

/// What one `wrk --latency` run reported.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub requests: u64,
    pub per_second: f64,
    pub p50: Duration,
    pub p99: Duration,
    /// Non-2xx/3xx responses plus socket errors (connect, read, write, timeout).
    pub errors: u64,
    /// wrk's own CPU over its run.
    pub cpu: CpuUse,
}

/// How wrk loads one URL.
#[derive(Debug, Clone, Copy)]
pub struct Load<'a> {
    pub wrk: &'a Path,
    pub threads: usize,
    pub connections: usize,
    pub duration: Duration,
}

/// Fails with what to do when `wrk` cannot run.
pub async fn check(wrk: &Path) -> anyhow::Result<()> {
    let found = Command::new(wrk)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await;
    // `wrk --version` prints its usage and exits 1: running at all is enough.
    if found.is_err() {
        bail!(
            "cannot run '{}': P5 needs wrk (Debian: apt-get install wrk; `make bench` installs it), \
             or pass --wrk PATH",
            wrk.display()
        );
    }
    Ok(())
}

/// Runs wrk against `url` for `load.duration` and parses its report.
pub async fn run(load: Load<'_>, url: &str) -> anyhow::Result<Report> {
    let seconds = load.duration.as_secs().max(1);
    let mut child = Command::new(load.wrk)
        .args([
            "--latency",
            "-t",
            &load.threads.to_string(),
            "-c",
            &load.connections.to_string(),
            "-d",
            &format!("{seconds}s"),
            // Every call ends within the gateway's own timeout; a stuck
            // one counts as an error instead of holding a connection.
            "--timeout",
            "5s",
            url,
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("cannot start {}", load.wrk.display()))?;
    let pid = child.id().context("wrk exited at once")?;
    let meter = CpuMeter::start(Pid::Of(pid))?;
    let mut stdout = child.stdout.take().context("wrk has no stdout")?;
    let mut stderr = child.stderr.take().context("wrk has no stderr")?;
    let (mut out, mut err) = (String::new(), String::new());
    let deadline = Duration::from_secs(seconds) + Duration::from_secs(15);
    tokio::time::timeout(deadline, async {
        tokio::try_join!(
            stdout.read_to_string(&mut out),
            stderr.read_to_string(&mut err)
        )
    })
    .await
    .with_context(|| format!("wrk did not finish within {deadline:?}"))?
    .context("reading wrk's output")?;
    // Its pipes closed when it exited; until it is reaped, /proc still has
    // its CPU time.
    let cpu = meter.read().unwrap_or_default();
    let status = child.wait().await.context("waiting for wrk")?;
    if !status.success() {
        bail!("wrk failed ({status}): {}{}", err.trim(), out.trim());
    }
    let mut report = parse(&out).with_context(|| format!("cannot read wrk's report:\n{out}"))?;
    report.cpu = cpu;
    Ok(report)
}

/// Reads the report `wrk --latency` prints.
pub fn parse(text: &str) -> anyhow::Result<Report> {
    let mut report = Report::default();
    let (mut p50, mut p99, mut rate, mut requests) = (None, None, None, None);
    for line in text.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["50%", value] => p50 = Some(duration(value)?),
            ["99%", value] => p99 = Some(duration(value)?),
            ["Requests/sec:", value] => rate = Some(value.parse::<f64>()?),
            [count, "requests", "in", ..] => requests = Some(count.parse::<u64>()?),
            ["Non-2xx", "or", "3xx", "responses:", count] => {
                report.errors += count.parse::<u64>()?;
            }
            ["Socket", "errors:", rest @ ..] => {
                // connect 0, read 0, write 0, timeout 0
                for count in rest.iter().skip(1).step_by(2) {
                    report.errors += count.trim_end_matches(',').parse::<u64>()?;
                }
            }
            _ => {}
        }
    }
    report.p50 = p50.context("no 50% line (was wrk run with --latency?)")?;
    report.p99 = p99.context("no 99% line")?;
    report.per_second = rate.context("no Requests/sec line")?;
    report.requests = requests.context("no 'N requests in' line")?;
    Ok(report)
}

/// wrk's durations: `812.00us`, `1.23ms`, `2.00s`, `1.50m`.
fn duration(text: &str) -> anyhow::Result<Duration> {
    let split = text
        .find(|c: char| c.is_ascii_alphabetic())
        .with_context(|| format!("'{text}' has no unit"))?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .with_context(|| format!("'{text}' is not a duration"))?;
    let seconds = match unit {
        "us" => number / 1e6,
        "ms" => number / 1e3,
        "s" => number,
        "m" => number * 60.0,
        "h" => number * 3600.0,
        _ => bail!("'{text}' has an unknown unit"),
    };
    // Rounded to the nanosecond, so `2.95ms` is exactly 2,950 µs.
    Ok(Duration::from_nanos((seconds * 1e9).round() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = "\
Running 10s test @ http://127.0.0.1:40000/random/number?min=1&max=100
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     3.10ms    1.02ms  41.30ms   91.23%
    Req/Sec    10.40k   612.11    11.52k    70.50%
  Latency Distribution
     50%    2.95ms
     75%    3.30ms
     90%    3.80ms
     99%  812.00us
  207012 requests in 10.00s, 37.30MB read
  Socket errors: connect 0, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 4
Requests/sec:  20695.84
Transfer/sec:      3.73MB
";

    #[test]
    fn reads_the_latency_report() {
        let report = parse(REPORT).expect("parses");
        assert_eq!(report.requests, 207_012);
        assert!((report.per_second - 20_695.84).abs() < 1e-6);
        assert_eq!(report.p50, Duration::from_micros(2950));
        assert_eq!(report.p99, Duration::from_micros(812));
        assert_eq!(report.errors, 9);
    }

    #[test]
    fn a_report_without_latencies_is_refused() {
        assert!(parse("  10 requests in 1.00s, 1KB read\nRequests/sec: 10.0\n").is_err());
    }

    #[test]
    fn reads_every_unit() {
        assert_eq!(duration("1.50s").expect("s"), Duration::from_millis(1500));
        assert_eq!(duration("2m").expect("m"), Duration::from_secs(120));
        assert!(duration("3.0").is_err());
    }
}
