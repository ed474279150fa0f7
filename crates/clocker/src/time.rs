//! `clocker time`: frames assembled through the clock services, printed.

use std::time::Duration;

use anyhow::bail;
use clap::Args;
use clocker_fanout::{Assembler, CLOCK_SERVICES};
use clocker_fleet::ServiceName;
use clocker_runtime::{AddressBook, Locator, shutdown_signal};

use crate::cli::parse;

/// What `clocker time` prints, and how often.
#[derive(Debug, Clone, Args)]
pub struct TimeCommand {
    /// IANA time zone [default: this machine's].
    #[arg(long)]
    pub tz: Option<String>,
    /// Keep printing, one line per tick, until Ctrl-C.
    #[arg(long)]
    pub watch: bool,
    /// Time between lines with --watch.
    #[arg(long, default_value = "100ms", value_parser = parse::positive_duration)]
    pub every: Duration,
    /// Print the JSON frame the funnel would send.
    #[arg(long)]
    pub json: bool,
}

/// This machine's time zone, by its IANA name where it has one.
pub fn local_zone_name() -> String {
    clocker_time::fields::zone_name(&clocker_time::fields::local_zone()).to_owned()
}

/// How long `clocker time` waits for each service before calling it down.
const CALL_TIMEOUT: Duration = Duration::from_millis(500);

/// Prints one frame (or, with `watch`, one per `every`), using the clock
/// services found in `book`. Fails when a service does not answer, unless
/// watching, where the line says which ones are missing.
pub async fn print_time(command: TimeCommand, book: AddressBook) -> anyhow::Result<()> {
    let asked = command.tz.unwrap_or_else(local_zone_name);
    let zone = match clocker_runtime::time_zone(&asked) {
        Ok(found) => found.iana_name().unwrap_or(&asked).to_owned(),
        Err(_) => {
            bail!("unknown time zone '{asked}' (expected an IANA name such as Europe/Paris or UTC)")
        }
    };
    if command.every.is_zero() {
        bail!("--every must be longer than 0 (for example 100ms)");
    }
    let current_time = ServiceName::CurrentTime.address_in(&book);
    let locator = Locator::new("clocker time", CLOCK_SERVICES, book);
    let assembler = Assembler::locate(&locator, CALL_TIMEOUT)?;
    let mut interval = tokio::time::interval(command.every);
    let stop = shutdown_signal();
    tokio::pin!(stop);
    for seq in 1.. {
        tokio::select! {
            _ = interval.tick() => {}
            () = &mut stop => return Ok(()),
        }
        let instant = assembler.read_instant().await;
        if let Err(status) = &instant
            && !command.watch
        {
            bail!(
                "current-time did not answer at {current_time} ({}); is it running? (clocker up)",
                status.message()
            );
        }
        let frame = assembler.frame(seq, &zone, &instant).await;
        if command.json {
            println!("{}", frame.to_json());
        } else if frame.degraded.is_empty() {
            println!("{}  {}", frame.time, frame.tz);
        } else {
            let missing = frame.degraded.join(", ");
            println!("{}  {}  (not answering: {missing})", frame.time, frame.tz);
        }
        if !command.watch {
            if !frame.degraded.is_empty() {
                bail!("not answering: {}", frame.degraded.join(", "));
            }
            return Ok(());
        }
    }
    Ok(())
}
