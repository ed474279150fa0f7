//! Waiting for a timer `clocker timer` set: a countdown on a terminal, then
//! the bell and one line when the service says it fired. Ctrl-C stops
//! waiting, says the timer stays set, and ends the command (exit 130).

use std::io::{IsTerminal, Write};
use std::time::Duration;

use anyhow::bail;
use clocker_runtime::shutdown_signal;
use serde_json::{Value, json};

use super::door::Door;
use super::show::{Clock, TimerReply, fired_line};
use crate::client::{Interrupted, print_json};

/// How often the countdown is redrawn (and the timer asked about once due).
const REDRAW: Duration = Duration::from_millis(100);
/// How long to wait past the local deadline for the service to fire it.
const FIRE_GRACE: Duration = Duration::from_secs(30);

/// Waits until `timer` fired, then says so: with `json`, the fired timer
/// as the service's JSON; else the bell and a line.
pub async fn until_fired(door: &Door, timer: &TimerReply, json: bool) -> anyhow::Result<()> {
    let terminal = !json && std::io::stdout().is_terminal();
    let stop = shutdown_signal();
    tokio::pin!(stop);
    let fired = tokio::select! {
        fired = count_down_then_ask(door, timer, terminal) => fired?,
        () = &mut stop => {
            let line = format!(
                "stopped waiting; timer {} stays set and fires at {} (clocker timer cancel {} to cancel it)",
                timer.id,
                Clock::local().time_of(timer.fires_at_unix_ms),
                timer.id
            );
            if json {
                eprintln!("{line}");
            } else if terminal {
                // After the countdown's line, which has no newline.
                println!("\n{line}");
            } else {
                println!("{line}");
            }
            return Err(Interrupted.into());
        }
    };
    if json {
        print_json(&fired)
    } else {
        let reply: TimerReply = serde_json::from_value(fired)?;
        println!("\x07{}", fired_line(&reply, &Clock::local()));
        Ok(())
    }
}

/// Shows the countdown (on a `terminal`) until the timer's time, then
/// polls until the service says it fired: its JSON.
async fn count_down_then_ask(
    door: &Door,
    timer: &TimerReply,
    terminal: bool,
) -> anyhow::Result<Value> {
    let mut redraw = tokio::time::interval(REDRAW);
    loop {
        redraw.tick().await;
        let left_ms = Clock::local().left_until(timer.fires_at_unix_ms);
        if terminal {
            print!("\r{}", progress_line(timer.total_ms(), left_ms));
            std::io::stdout().flush()?;
        }
        if left_ms == 0 {
            break;
        }
    }
    if terminal {
        println!();
    }
    // It fires by the service's clock, which may be a little behind ours.
    let deadline = tokio::time::Instant::now() + FIRE_GRACE;
    loop {
        let reply = door.request(json!({"op": "get", "id": timer.id})).await?;
        match reply["state"].as_str() {
            Some("fired") => return Ok(reply),
            Some("cancelled") => bail!("timer {} was cancelled", timer.id),
            _ if tokio::time::Instant::now() >= deadline => bail!(
                "timer {} is still pending {} s after its time",
                timer.id,
                FIRE_GRACE.as_secs()
            ),
            _ => redraw.tick().await,
        };
    }
}

/// `[#######-------------]  00:00:42 left`
fn progress_line(total_ms: i64, left_ms: i64) -> String {
    const WIDTH: i64 = 30;
    let done = if total_ms <= 0 {
        WIDTH
    } else {
        (WIDTH * (total_ms - left_ms) / total_ms).clamp(0, WIDTH)
    };
    let secs = (left_ms + 999) / 1000;
    format!(
        "[{}{}]  {:02}:{:02}:{:02} left",
        "#".repeat(done as usize),
        "-".repeat((WIDTH - done) as usize),
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_progress_line_fills_as_time_passes() {
        assert_eq!(
            progress_line(10_000, 10_000),
            format!("[{}]  00:00:10 left", "-".repeat(30))
        );
        assert_eq!(
            progress_line(10_000, 5_000),
            format!("[{}{}]  00:00:05 left", "#".repeat(15), "-".repeat(15))
        );
        assert_eq!(
            progress_line(10_000, 0),
            format!("[{}]  00:00:00 left", "#".repeat(30))
        );
        assert_eq!(
            progress_line(0, 0),
            format!("[{}]  00:00:00 left", "#".repeat(30))
        );
        assert_eq!(
            progress_line(7_200_000, 3_661_000),
            format!("[{}{}]  01:01:01 left", "#".repeat(14), "-".repeat(16))
        );
    }
}
