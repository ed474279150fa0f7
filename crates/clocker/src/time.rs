//! `clocker time`: frames assembled through the clock services, printed.

use std::time::Duration;

use anyhow::bail;
use clocker_fanout::{Assembler, CLOCK_SERVICES};
use clocker_fleet::ServiceName;
use clocker_runtime::{AddressBook, Locator, shutdown_signal};

/// What `clocker time` prints, and how often.
#[derive(Debug, Clone)]
pub struct TimeRequest {
    /// An IANA zone name (checked here).
    pub zone: String,
    /// Keep printing until interrupted.
    pub watch: bool,
    /// Time between lines with `watch` (must not be zero).
    pub every: Duration,
    /// Print the JSON frame instead of a line of text.
    pub json: bool,
}

/// How long `clocker time` waits for each service before calling it down.
const CALL_TIMEOUT: Duration = Duration::from_millis(500);

/// Prints one frame (or, with `watch`, one per `every`), using the clock
/// services found in `book`. Fails when a service does not answer, unless
/// watching, where the line says which ones are missing.
pub async fn print_time(request: TimeRequest, book: AddressBook) -> anyhow::Result<()> {
    let zone = match clocker_runtime::time_zone(&request.zone) {
        Ok(found) => found.iana_name().unwrap_or(&request.zone).to_owned(),
        Err(_) => bail!(
            "unknown time zone '{}' (expected an IANA name such as Europe/Paris or UTC)",
            request.zone
        ),
    };
    if request.every.is_zero() {
        bail!("--every must be longer than 0 (for example 100ms)");
    }
    let current_time = ServiceName::CurrentTime.address_in(&book);
    let locator = Locator::new("clocker time", CLOCK_SERVICES, book);
    let assembler = Assembler::locate(&locator, CALL_TIMEOUT)?;
    let mut interval = tokio::time::interval(request.every);
    let stop = shutdown_signal();
    tokio::pin!(stop);
    for seq in 1.. {
        tokio::select! {
            _ = interval.tick() => {}
            () = &mut stop => return Ok(()),
        }
        let instant = assembler.read_instant().await;
        if let Err(status) = &instant
            && !request.watch
        {
            bail!(
                "current-time did not answer at {current_time} ({}); is it running? (clocker up)",
                status.message()
            );
        }
        let frame = assembler.frame(seq, &zone, &instant).await;
        if request.json {
            println!("{}", frame.to_json());
        } else if frame.degraded.is_empty() {
            println!("{}  {}", frame.time, frame.tz);
        } else {
            let missing = frame.degraded.join(", ");
            println!("{}  {}  (not answering: {missing})", frame.time, frame.tz);
        }
        if !request.watch {
            if !frame.degraded.is_empty() {
                bail!("not answering: {}", frame.degraded.join(", "));
            }
            return Ok(());
        }
    }
    Ok(())
}
