//! `clocker time`: frames assembled through the clock services, printed.
//!
//! Zones are named as the browser's page names them (ECMAScript's primary
//! names: `UTC`, not `Etc/UTC`; `Asia/Kolkata`, not `Asia/Calcutta`).

use std::time::Duration;

use anyhow::bail;
use clap::Args;
use clocker_fanout::{Assembler, CLOCK_SERVICES};
use clocker_fleet::ServiceName;
use clocker_runtime::{AddressBook, Locator, shutdown_signal};

use crate::cli::parse;
use crate::client::{Interrupted, grpc_error};

/// What `clocker time` prints, and how often.
#[derive(Debug, Clone, Args)]
pub struct TimeCommand {
    /// The time zone, by its IANA name (Europe/Paris, America/New_York, UTC) [default: this machine's].
    #[arg(long)]
    pub tz: Option<String>,
    /// Keep printing, one line per tick, until Ctrl-C.
    #[arg(long)]
    pub watch: bool,
    /// Time between lines with --watch.
    #[arg(long, default_value = "100ms", value_parser = parse::positive_duration)]
    pub every: Duration,
    /// Print each time as the JSON frame the web page gets, one per line.
    #[arg(long)]
    pub json: bool,
}

/// This machine's time zone, by its primary IANA name (`UTC` where the
/// system says `Etc/UTC`), as the page names it.
pub fn local_zone_name() -> String {
    clocker_runtime::zone_name(&clocker_time::fields::local_zone()).to_owned()
}

/// The primary name of the zone `asked` names, or why there is none.
fn canonical_zone_name(asked: &str) -> anyhow::Result<String> {
    match clocker_runtime::time_zone(asked) {
        Ok(found) => Ok(clocker_runtime::zone_name(&found).to_owned()),
        Err(_) => {
            bail!("unknown time zone '{asked}' (expected an IANA name such as Europe/Paris or UTC)")
        }
    }
}

/// How long `clocker time` waits for each service before calling it down.
const CALL_TIMEOUT: Duration = Duration::from_millis(500);

/// Prints one frame (or, with `watch`, one per `every`), using the clock
/// services found in `book`. Fails when a service does not answer, unless
/// watching, where the line says which ones are missing.
pub async fn print_time(command: TimeCommand, book: AddressBook) -> anyhow::Result<()> {
    let zone = match command.tz {
        Some(asked) => canonical_zone_name(&asked)?,
        None => local_zone_name(),
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
            () = &mut stop => return Err(Interrupted.into()),
        }
        let instant = match assembler.read_instant().await {
            Err(status) if !command.watch => {
                return Err(grpc_error("current-time", &current_time, status).into());
            }
            read => read,
        };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_are_named_as_the_page_names_them() {
        assert_eq!(canonical_zone_name("Etc/UTC").expect("a zone"), "UTC");
        assert_eq!(canonical_zone_name("utc").expect("a zone"), "UTC");
        assert_eq!(
            canonical_zone_name("asia/tokyo").expect("a zone"),
            "Asia/Tokyo"
        );
        assert!(canonical_zone_name("Mars/Olympus_Mons").is_err());
    }
}
