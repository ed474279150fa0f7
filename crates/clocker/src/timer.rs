//! `clocker timer`: the seed's prompting client, over ZeroMQ.
//!
//! With no arguments it asks exactly as seed 002 does ("Enter your time in
//! hours." …), re-asking on invalid input; `clocker timer 0 1 30 --label tea`
//! takes the fields as arguments. Either way it sends the request, prints
//! the reply, shows a countdown until the timer fires, rings the bell and
//! exits 0. Ctrl-C leaves the timer set and says so. `clocker timer list`
//! and `clocker timer cancel ID` use the JSON operations. A saved session
//! (`clocker account login`) makes the timers the user's own.

use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use clocker_runtime::shutdown_signal;
use serde::Deserialize;
use serde_json::{Value, json};
use zeromq::{ReqSocket, Socket, SocketRecv, SocketSend, ZmqMessage};

/// What `clocker timer` was asked to do: set a timer (no subcommand), or
/// one of the [`TimerAction`]s.
#[derive(Debug, Clone, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct TimerCommand {
    #[command(subcommand)]
    pub action: Option<TimerAction>,
    /// HOURS MINUTES SECONDS (asked for when left out).
    #[arg(num_args = 3, value_names = ["HOURS", "MINUTES", "SECONDS"])]
    pub duration: Option<Vec<String>>,
    /// A name for the timer.
    #[arg(long)]
    pub label: Option<String>,
    /// Print the reply and exit instead of counting down.
    #[arg(long)]
    pub no_wait: bool,
    /// The timer service's ZeroMQ endpoint.
    #[arg(long, env = "CLOCKER_TIMERS_ZMQ", default_value = clocker_timers::DEFAULT_ZMQ_ENDPOINT)]
    pub zmq: String,
}

/// `clocker timer`'s subcommands: what it does besides setting a timer.
#[derive(Debug, Clone, Subcommand)]
pub enum TimerAction {
    /// Your timers, newest first (log in first: anonymous timers are never listed).
    List {
        #[arg(long, env = "CLOCKER_TIMERS_ZMQ", default_value = clocker_timers::DEFAULT_ZMQ_ENDPOINT)]
        zmq: String,
    },
    /// Cancel a pending timer.
    Cancel {
        id: String,
        #[arg(long, env = "CLOCKER_TIMERS_ZMQ", default_value = clocker_timers::DEFAULT_ZMQ_ENDPOINT)]
        zmq: String,
    },
}

/// How long one request may take, connecting included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// How often the countdown is redrawn.
const REDRAW: Duration = Duration::from_millis(100);
/// How long to wait past the local deadline for the service to fire it.
const FIRE_GRACE: Duration = Duration::from_secs(30);

/// A timer as the service's replies describe it.
#[derive(Debug, Deserialize)]
struct TimerReply {
    id: String,
    #[serde(default)]
    label: String,
    hours: i64,
    minutes: i64,
    seconds: i64,
    state: String,
    fires_at: String,
    fires_at_unix_ms: i64,
    #[serde(default)]
    late_ms: i64,
}

/// Runs one `clocker timer` command against the timer service's ZeroMQ
/// endpoint, as the owner of the session `token` (anonymous without one).
pub async fn run(command: TimerCommand, token: Option<String>) -> anyhow::Result<()> {
    let client = |endpoint| Client {
        endpoint,
        token: token.clone().unwrap_or_default(),
    };
    match command.action {
        Some(TimerAction::List { zmq }) => list(&client(zmq)).await,
        Some(TimerAction::Cancel { id, zmq }) => cancel(&client(zmq), id).await,
        None => set_and_wait(&client(command.zmq.clone()), command).await,
    }
}

/// Sets the timer `command` describes (asking for the fields it lacks),
/// then, unless `--no-wait`, counts down until it fires.
async fn set_and_wait(client: &Client, command: TimerCommand) -> anyhow::Result<()> {
    let given = command
        .duration
        .and_then(|duration| <[String; 3]>::try_from(duration).ok());
    let fields = match given {
        Some(fields) => fields,
        None => prompt_fields()?,
    };
    let reply = client.set(&fields, command.label.as_deref()).await?;
    let timer: TimerReply = parse_timer(&reply)?;
    println!("From server: {reply}");
    if command.no_wait {
        return Ok(());
    }
    count_down(client, timer).await
}

/// Prints the user's timers, newest first.
async fn list(client: &Client) -> anyhow::Result<()> {
    let reply = client.request_json(json!({"op": "list"})).await?;
    let timers: Vec<TimerReply> = serde_json::from_value(reply["timers"].clone())
        .context("the service's list is not understood")?;
    if timers.is_empty() {
        println!("no timers");
    }
    for timer in timers {
        println!(
            "{}  {:<9}  {:>3}h {:>2}m {:>2}s  fires {}  {}",
            timer.id,
            timer.state,
            timer.hours,
            timer.minutes,
            timer.seconds,
            timer.fires_at,
            timer.label
        );
    }
    Ok(())
}

/// Cancels the timer `id`, or says what became of it.
async fn cancel(client: &Client, id: String) -> anyhow::Result<()> {
    let reply = client
        .request_json(json!({"op": "cancel", "id": id}))
        .await?;
    let timer = parse_timer(&reply)?;
    match timer.state.as_str() {
        "cancelled" => println!("cancelled {}", timer.id),
        other => println!("timer {} had already {other}", timer.id),
    }
    Ok(())
}

/// A request went out but no reply came within [`REQUEST_TIMEOUT`].
#[derive(Debug, thiserror::Error)]
#[error("the request was sent, but no reply came")]
struct NoReply;

struct Client {
    endpoint: String,
    token: String,
}

impl Client {
    /// Sets a timer, as JSON with an idempotency key: when the request went
    /// out but no reply came in time, it is sent once more with the same
    /// key, which cannot set a second timer.
    async fn set(&self, fields: &[String; 3], label: Option<&str>) -> anyhow::Result<Value> {
        let number = |text: &str, name: &str| -> anyhow::Result<i64> {
            text.trim()
                .parse()
                .with_context(|| format!("{name}: '{text}' is not a whole number"))
        };
        let body = json!({
            "hours": number(&fields[0], "hours")?,
            "minutes": number(&fields[1], "minutes")?,
            "seconds": number(&fields[2], "seconds")?,
            "label": label.unwrap_or_default(),
            "idempotency_key": uuid::Uuid::now_v7().to_string(),
        });
        match self.request_json(body.clone()).await {
            Err(err) if err.downcast_ref::<NoReply>().is_some() => self.request_json(body).await,
            answered => answered,
        }
    }

    async fn request_json(&self, mut body: Value) -> anyhow::Result<Value> {
        if !self.token.is_empty()
            && let Value::Object(map) = &mut body
        {
            map.insert("token".into(), Value::String(self.token.clone()));
        }
        self.request(vec![body.to_string().into_bytes()]).await
    }

    /// One request, one reply; an `{"ok":false}` reply is an error, and
    /// one that was sent but not answered in time is a [`NoReply`].
    async fn request(&self, frames: Vec<Vec<u8>>) -> anyhow::Result<Value> {
        let sent = std::cell::Cell::new(false);
        let exchange = async {
            let mut socket = ReqSocket::new();
            socket.connect(&self.endpoint).await?;
            let message = ZmqMessage::try_from(
                frames
                    .into_iter()
                    .map(Into::into)
                    .collect::<Vec<bytes::Bytes>>(),
            )
            .map_err(|_| anyhow::anyhow!("a request needs at least one frame"))?;
            socket.send(message).await?;
            sent.set(true);
            let reply = socket.recv().await?;
            anyhow::Ok(reply)
        };
        let reply = match tokio::time::timeout(REQUEST_TIMEOUT, exchange).await {
            Ok(exchanged) => {
                exchanged.map_err(|err| anyhow::anyhow!("{}: {err}", self.unreachable()))?
            }
            Err(_) if sent.get() => {
                return Err(anyhow::Error::new(NoReply).context(self.unreachable()));
            }
            Err(_) => return Err(self.unreachable()),
        };
        let frame = reply.into_vec().pop().unwrap_or_default();
        let value: Value =
            serde_json::from_slice(&frame).context("the timer service's reply is not JSON")?;
        if value["ok"] != Value::Bool(true) {
            bail!(
                "{}",
                value["error"]
                    .as_str()
                    .unwrap_or("the timer service refused the request")
            );
        }
        Ok(value)
    }

    fn unreachable(&self) -> anyhow::Error {
        anyhow::anyhow!(
            "no answer from the timer service at {} within {} s; is it running? (clocker up, or clocker serve timers; CLOCKER_TIMERS_ZMQ sets the address)",
            self.endpoint,
            REQUEST_TIMEOUT.as_secs()
        )
    }
}

fn parse_timer(reply: &Value) -> anyhow::Result<TimerReply> {
    serde_json::from_value(reply.clone()).context("the timer service's reply is not a timer")
}

/// Asks for hours, minutes and seconds as seed 002 does, until each is a
/// whole number of 0 or more.
fn prompt_fields() -> anyhow::Result<[String; 3]> {
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    let mut ask = |unit: &str| -> anyhow::Result<String> {
        loop {
            print!("Enter your time in {unit}.");
            std::io::stdout().flush()?;
            let Some(line) = lines.next() else {
                println!();
                bail!("no {unit} given (input ended)");
            };
            let line = line?;
            let answer = line.trim();
            if !answer.is_empty()
                && answer.bytes().all(|b| b.is_ascii_digit())
                && answer.parse::<i64>().is_ok()
            {
                return Ok(answer.to_owned());
            }
            println!("'{answer}' is not a whole number of {unit} (0 or more); try again.");
        }
    };
    Ok([ask("hours")?, ask("minutes")?, ask("seconds")?])
}

/// Shows the time left until the timer fires, then confirms that it did.
async fn count_down(client: &Client, timer: TimerReply) -> anyhow::Result<()> {
    let total_ms = (timer.hours * 3600 + timer.minutes * 60 + timer.seconds) * 1000;
    let terminal = std::io::stdout().is_terminal();
    let stop = shutdown_signal();
    tokio::pin!(stop);
    let mut redraw = tokio::time::interval(REDRAW);
    if !terminal {
        println!(
            "waiting for timer {} (fires at {})",
            timer.id, timer.fires_at
        );
    }
    loop {
        let left_ms = timer.fires_at_unix_ms - jiff::Timestamp::now().as_millisecond();
        if terminal {
            print!("\r{}", progress_line(total_ms, left_ms.max(0)));
            std::io::stdout().flush()?;
        }
        if left_ms <= 0 {
            break;
        }
        tokio::select! {
            _ = redraw.tick() => {}
            () = &mut stop => {
                if terminal {
                    println!();
                }
                println!(
                    "stopped waiting; timer {} stays set and fires at {} (clocker timer cancel {} to cancel it)",
                    timer.id, timer.fires_at, timer.id
                );
                std::process::exit(130);
            }
        }
    }
    if terminal {
        println!();
    }
    let fired = wait_until_fired(client, &timer.id).await?;
    let label = if fired.label.is_empty() {
        String::new()
    } else {
        format!(" ({})", fired.label)
    };
    let late = if fired.late_ms > 0 {
        format!(", {} ms late", fired.late_ms)
    } else {
        String::new()
    };
    println!("\x07Timer {}{label} fired{late}.", fired.id);
    Ok(())
}

/// Polls the timer until the service says it fired (it fires by the
/// service's clock, which may be a little behind this machine's).
async fn wait_until_fired(client: &Client, id: &str) -> anyhow::Result<TimerReply> {
    let deadline = tokio::time::Instant::now() + FIRE_GRACE;
    loop {
        let timer = parse_timer(&client.request_json(json!({"op": "get", "id": id})).await?)?;
        match timer.state.as_str() {
            "fired" => return Ok(timer),
            "cancelled" => bail!("timer {id} was cancelled"),
            _ if tokio::time::Instant::now() >= deadline => {
                bail!(
                    "timer {id} is still pending {} s after its time",
                    FIRE_GRACE.as_secs()
                )
            }
            _ => tokio::time::sleep(REDRAW).await,
        }
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
