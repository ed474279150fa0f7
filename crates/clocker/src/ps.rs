//! `clocker ps`: the supervised services, as the supervisor of `clocker up`
//! sees them (read from its local control endpoint).

use std::io::Write;
use std::net::SocketAddr;

use anyhow::Context;
use clocker_runtime::http::client::{ClientError, Limits, get_json};
use clocker_supervisor::control::ControlFile;
use clocker_supervisor::runtime_dir::read_private;
use clocker_wire::{MAX_ROWS_BYTES, ROWS_PATH, Row};

use crate::table::text_table;
use crate::up::control_file;

/// Prints the services of the running supervisor (at `control`, else the
/// one `supervisor.json` names), as a table or as JSON. The control token
/// is read from `supervisor.json` (0600, this user's). With no fleet
/// running here it fails with [`NoFleet`] (exit status 1).
pub async fn run(control: Option<SocketAddr>, json: bool) -> anyhow::Result<()> {
    let file = control_file();
    let text = match read_private(&file) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Err(NoFleet.into()),
        Err(err) => {
            return Err(err).with_context(|| format!("cannot read {}", file.display()));
        }
    };
    let found: ControlFile = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a supervisor file", file.display()))?;
    let control = control.unwrap_or(found.control);
    // A stopped supervisor still accepts connections (in the kernel) but
    // never answers: the deadline says so.
    let limits = Limits {
        deadline: std::time::Duration::from_secs(5),
        max_answer_bytes: MAX_ROWS_BYTES,
    };
    let rows: Vec<Row> = match get_json(control, ROWS_PATH, Some(&found.token), limits).await {
        Ok(rows) => rows,
        // The file of a supervisor that was killed: nothing listens there.
        Err(ClientError::Connect { source, .. })
            if source.kind() == std::io::ErrorKind::ConnectionRefused =>
        {
            return Err(NoFleet.into());
        }
        Err(err) => {
            return Err(err).with_context(|| {
                format!("the supervisor at {control} does not answer; is clocker up running?")
            });
        }
    };
    let mut out = std::io::stdout().lock();
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?;
    } else {
        write!(out, "{}", table(&rows))?;
    }
    Ok(())
}

/// No supervisor runs for this user on this machine.
#[derive(Debug, thiserror::Error)]
#[error("no fleet is running here (start one with `clocker up`)")]
pub struct NoFleet;

/// The rows as an aligned text table.
pub fn table(rows: &[Row]) -> String {
    let header = [
        "NAME",
        "PID",
        "ADDRESS",
        "STATE",
        "RESTARTS",
        "UPTIME",
        "PROBE P99",
        "OVERRUNS",
        "LAST ERROR",
    ];
    let cells: Vec<[String; 9]> = rows
        .iter()
        .map(|row| {
            [
                row.name.clone(),
                row.pid.map_or("-".into(), |pid| pid.to_string()),
                row.addr.clone(),
                row.state.clone(),
                row.restarts.to_string(),
                row.uptime_s.map_or("-".into(), uptime),
                row.probe_p99_ms
                    .map_or("-".into(), |ms| format!("{ms:.1} ms")),
                row.overruns.clone().unwrap_or_else(|| "-".into()),
                last_error(row),
            ]
        })
        .collect();
    text_table(header, &cells)
}

/// The LAST ERROR cell: why a service that is up is not ready, while it is
/// not (the problem it has now), else its last error.
fn last_error(row: &Row) -> String {
    match (&row.not_ready, &row.last_error) {
        (Some(why), _) => format!("not ready: {why}"),
        (None, Some(error)) => error.clone(),
        (None, None) => "-".into(),
    }
}

fn uptime(seconds: u64) -> String {
    match seconds {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m{:02}s", s / 60, s % 60),
        s => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_aligns_its_columns() {
        let rows = [Row {
            name: "hours".into(),
            pid: Some(42),
            addr: "127.0.0.1:50001".into(),
            state: "ready".into(),
            restarts: 1,
            uptime_s: Some(75),
            last_error: Some("killed by SIGKILL".into()),
            probe_p99_ms: Some(0.42),
            overruns: None,
            not_ready: None,
        }];
        let text = table(&rows);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("NAME   PID  ADDRESS"), "{text}");
        assert!(
            lines[1].contains("1m15s") && lines[1].contains("0.4 ms"),
            "{text}"
        );
        assert!(lines[1].ends_with("killed by SIGKILL"), "{text}");
    }

    #[test]
    fn a_service_that_is_up_but_not_ready_shows_why() {
        let rows = [Row {
            name: "timers".into(),
            pid: Some(42),
            addr: "127.0.0.1:50005".into(),
            state: "not ready".into(),
            restarts: 0,
            uptime_s: Some(5),
            last_error: None,
            probe_p99_ms: Some(0.42),
            overruns: None,
            not_ready: Some("database: unreachable: connection refused".into()),
        }];
        let text = table(&rows);
        let line = text.lines().nth(1).expect("a row");
        assert!(line.contains("not ready"), "{text}");
        assert!(
            line.ends_with("not ready: database: unreachable: connection refused"),
            "{text}"
        );
    }
}
