//! Times as a person here reads them: this machine's zone, a 24-hour
//! clock, the date only when it is not today ([`Clock`]). ISO instants
//! are for `--json`.

use jiff::Timestamp;
use jiff::tz::TimeZone;

/// Where and when times are shown: this machine's zone, now.
#[derive(Debug, Clone)]
pub struct Clock {
    pub zone: TimeZone,
    pub now: Timestamp,
}

impl Clock {
    /// This machine's zone and time.
    pub fn local() -> Self {
        Self {
            zone: clocker_time::fields::local_zone(),
            now: Timestamp::now(),
        }
    }

    /// `14:05:09` when it is today here, else `2027-01-05 14:05:09`.
    pub fn time_of(&self, unix_ms: i64) -> String {
        let Ok(at) = Timestamp::from_millisecond(unix_ms) else {
            return "?".to_owned();
        };
        let at = at.to_zoned_datetime(self.zone.clone());
        if at.date() == self.now.to_zoned_datetime(self.zone.clone()).date() {
            at.strftime("%H:%M:%S").to_string()
        } else {
            at.strftime("%Y-%m-%d %H:%M:%S").to_string()
        }
    }

    /// Milliseconds left until `unix_ms` (0 once it passed).
    pub fn left_until(&self, unix_ms: i64) -> i64 {
        (unix_ms - self.now.as_millisecond()).max(0)
    }
}
