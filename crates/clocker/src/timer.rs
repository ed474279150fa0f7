//! `clocker timer`: set a countdown timer on the timer service, over
//! ZeroMQ, and wait for it; list your timers; cancel one.
//!
//! `clocker timer 0 1 30 --label tea` takes the duration as arguments;
//! without them it asks for hours, minutes and seconds, re-asking on
//! invalid input. A timer lasts at least a second, at most 366 days. A
//! saved session (`clocker account login`) makes the timers the user's own.
//!
//! Layout: here the command line and each command; `door` (requests to the
//! service), `show` (timers as lines and tables), `wait` (the countdown).

mod door;
mod show;
mod wait;

use std::io::{BufRead, Write};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use clocker_wire::TimerDuration;
use serde_json::{Value, json};

use crate::cli::parse;
use crate::client::print_json;
use door::Door;
use show::{Clock, TimerReply};

/// What `clocker timer` was asked to do: set a timer (no subcommand), or
/// one of the [`TimerAction`]s.
#[derive(Debug, Clone, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct TimerCommand {
    #[command(subcommand)]
    pub action: Option<TimerAction>,
    /// How long, as HOURS MINUTES SECONDS (asked for when left out); at least 1 second in all.
    #[arg(
        num_args = 3,
        value_names = ["HOURS", "MINUTES", "SECONDS"],
        allow_negative_numbers = true
    )]
    pub duration: Option<Vec<String>>,
    /// A name for the timer, shown when it fires.
    #[arg(long)]
    pub label: Option<String>,
    /// Say when it fires and exit instead of counting down.
    #[arg(long)]
    pub no_wait: bool,
    #[command(flatten)]
    pub options: TimerOptions,
}

/// `clocker timer`'s subcommands: what it does besides setting a timer.
#[derive(Debug, Clone, Subcommand)]
pub enum TimerAction {
    /// Your timers, newest first, as a table (log in first: anonymous timers are never listed).
    ///
    /// Example: clocker timer list
    List {
        #[command(flatten)]
        options: TimerOptions,
    },
    /// Cancel a pending timer by its ID (as `clocker timer` or `clocker timer list` shows it).
    ///
    /// Example: clocker timer cancel 0193a4c2-…
    Cancel {
        /// The timer's ID.
        id: String,
        #[command(flatten)]
        options: TimerOptions,
    },
}

/// What every `clocker timer` command takes: where the service is, and how
/// to print.
#[derive(Debug, Clone, Args)]
pub struct TimerOptions {
    /// Print JSON (one object per line, times as ISO instants) instead of text.
    #[arg(long)]
    pub json: bool,
    /// The timer service's ZeroMQ endpoint.
    #[arg(long, env = "CLOCKER_TIMERS_ZMQ", default_value = clocker_timers::DEFAULT_ZMQ_ENDPOINT)]
    pub zmq: String,
    /// How long the timer service may take to accept the connection before the command says it did not answer.
    #[arg(long, env = "CLOCKER_TIMERS_CONNECT_TIMEOUT", default_value = "1s", value_parser = parse::positive_duration)]
    pub connect_timeout: Duration,
}

/// Runs one `clocker timer` command against the timer service's ZeroMQ
/// endpoint, as the owner of the session `token` (anonymous without one).
pub async fn run(mut command: TimerCommand, token: Option<String>) -> anyhow::Result<()> {
    let door = |options: &TimerOptions| Door {
        endpoint: options.zmq.clone(),
        token: token.clone().unwrap_or_default(),
        connect_timeout: options.connect_timeout,
    };
    match command.action.take() {
        Some(TimerAction::List { options }) => list(&door(&options), options.json).await,
        Some(TimerAction::Cancel { id, options }) => {
            cancel(&door(&options), &id, options.json).await
        }
        None => set(&door(&command.options), command).await,
    }
}

/// Sets the timer `command` describes (asking for the fields it lacks),
/// then, unless `--no-wait`, counts down until it fires.
async fn set(door: &Door, command: TimerCommand) -> anyhow::Result<()> {
    let duration = match &command.duration {
        Some(fields) => duration_of(fields)?,
        None => ask_duration()?,
    };
    let reply = door
        .set(duration, command.label.as_deref().unwrap_or_default())
        .await?;
    let timer = timer_of(&reply)?;
    let json = command.options.json;
    if json {
        print_json(&without_ok(reply))?;
    } else {
        println!("{}", show::set_line(&timer, &Clock::local()));
    }
    if command.no_wait {
        return Ok(());
    }
    wait::until_fired(door, &timer, json).await
}

/// Prints the user's timers, newest first: a table, or one JSON object a line.
async fn list(door: &Door, json: bool) -> anyhow::Result<()> {
    let reply = door.request(json!({"op": "list"})).await?;
    let listed = reply["timers"].clone();
    let timers: Vec<TimerReply> =
        serde_json::from_value(listed.clone()).context("the service's list is not understood")?;
    if json {
        for timer in listed.as_array().into_iter().flatten() {
            print_json(timer)?;
        }
    } else if timers.is_empty() {
        println!("No timers yet (set one with: clocker timer 0 5 0 --label tea)");
    } else {
        print!("{}", show::table(&timers, &Clock::local()));
    }
    Ok(())
}

/// Cancels the timer `id`, or says what became of it.
async fn cancel(door: &Door, id: &str, json: bool) -> anyhow::Result<()> {
    let reply = door.request(json!({"op": "cancel", "id": id})).await?;
    let timer = timer_of(&reply)?;
    if json {
        return print_json(&without_ok(reply));
    }
    match timer.state.as_str() {
        "cancelled" => println!("cancelled {}", timer.id),
        other => println!("timer {} had already {other}", timer.id),
    }
    Ok(())
}

fn timer_of(reply: &Value) -> anyhow::Result<TimerReply> {
    serde_json::from_value(reply.clone()).context("the timer service's reply is not a timer")
}

/// A reply as the timer it describes (`clocker_wire::TimerJson`).
fn without_ok(mut reply: Value) -> Value {
    if let Value::Object(map) = &mut reply {
        map.remove("ok");
    }
    reply
}

/// The duration HOURS MINUTES SECONDS, checked by the rule the service
/// applies (`clocker_wire::TimerDuration`: whole numbers, 1 second to 366
/// days in all).
fn duration_of(fields: &[String]) -> anyhow::Result<TimerDuration> {
    let [hours, minutes, seconds] = fields else {
        bail!("give the duration as HOURS MINUTES SECONDS (for example: clocker timer 0 1 30)");
    };
    TimerDuration::parse(hours.as_bytes(), minutes.as_bytes(), seconds.as_bytes())
        .map_err(|why| anyhow::anyhow!("invalid timer: {why}"))
}

/// Asks for hours, minutes and seconds until each is a whole number of 0
/// or more and the whole is a valid timer.
fn ask_duration() -> anyhow::Result<TimerDuration> {
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    let mut ask = |unit: &str| -> anyhow::Result<String> {
        loop {
            // The question's words are the seed's; the answer follows it.
            print!("Enter your time in {unit}. ");
            std::io::stdout().flush()?;
            let Some(line) = lines.next() else {
                println!();
                bail!("no {unit} given (input ended)");
            };
            let answer = line?.trim().to_owned();
            if !answer.is_empty() && answer.bytes().all(|b| b.is_ascii_digit()) {
                return Ok(answer);
            }
            println!("'{answer}' is not a whole number of {unit} (0 or more); try again.");
        }
    };
    loop {
        let fields = [ask("hours")?, ask("minutes")?, ask("seconds")?];
        match duration_of(&fields) {
            Ok(duration) => return Ok(duration),
            Err(why) => println!("{why}; try again."),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(h: &str, m: &str, s: &str) -> String {
        duration_of(&[h.into(), m.into(), s.into()])
            .expect_err("refused")
            .to_string()
    }

    #[test]
    fn a_timer_lasts_at_least_a_second_and_is_never_negative() {
        assert!(duration_of(&["0".into(), "0".into(), "1".into()]).is_ok());
        assert!(refusal("0", "0", "0").contains("at least 1 second"));
        assert!(refusal("0", "0", "-5").contains("must not be negative"));
        assert!(refusal("9000", "0", "0").contains("366 days"));
    }
}
