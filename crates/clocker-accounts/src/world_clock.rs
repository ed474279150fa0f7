//! An account's world clock: the time zones its owner keeps, and the one
//! rule for what a world clock may hold ([`canonical_zones`]).

use clocker_wire::{MAX_WORLD_CLOCK_ZONES, MAX_ZONE_NAME_BYTES};

use crate::AccountsError;
use crate::accounts::{Accounts, NO_SESSION};

/// How much of a too-long name a message quotes.
const QUOTED_CHARS: usize = 24;

/// `zones` as a world clock stores them: each a zone of the fleet's tz
/// database ([`clocker_runtime::time_zone`], any ASCII case, old names
/// too), named canonically ([`clocker_runtime::zone_name`]: `asia/tokyo`
/// is `Asia/Tokyo`, `Etc/UTC` is `UTC`), a zone named twice kept where it
/// first appears. At most [`MAX_WORLD_CLOCK_ZONES`] zones of at most
/// [`MAX_ZONE_NAME_BYTES`] bytes each, checked before anything is looked up
/// or kept; an empty list is an empty world clock.
pub fn canonical_zones(zones: &[String]) -> Result<Vec<String>, AccountsError> {
    if zones.len() > MAX_WORLD_CLOCK_ZONES {
        return Err(AccountsError::Invalid(format!(
            "a world clock holds at most {MAX_WORLD_CLOCK_ZONES} time zones (got {})",
            zones.len()
        )));
    }
    if let Some(long) = zones.iter().find(|name| name.len() > MAX_ZONE_NAME_BYTES) {
        let head: String = long.chars().take(QUOTED_CHARS).collect();
        return Err(AccountsError::Invalid(format!(
            "time zone names are at most {MAX_ZONE_NAME_BYTES} bytes ('{}…' has {})",
            head.escape_debug(),
            long.len()
        )));
    }
    let mut canonical: Vec<String> = Vec::with_capacity(zones.len());
    for name in zones {
        let zone = clocker_runtime::time_zone(name).map_err(|_| {
            AccountsError::Invalid(format!(
                "unknown time zone '{}' (a world clock holds up to {MAX_WORLD_CLOCK_ZONES} IANA \
                 time zones, such as Europe/Paris)",
                name.escape_debug()
            ))
        })?;
        let name = clocker_runtime::zone_name(&zone);
        if !canonical.iter().any(|kept| kept == name) {
            canonical.push(name.to_owned());
        }
    }
    Ok(canonical)
}

impl Accounts {
    /// The world clock of the account behind a session token.
    pub async fn world_clock(&self, token: &str) -> Result<Vec<String>, AccountsError> {
        let session = self.who_am_i(token).await?;
        self.store()
            .get_world_clock(&session.account.id)
            .await?
            // The account went while its session was checked.
            .ok_or(AccountsError::Unauthenticated(NO_SESSION))
    }

    /// Replaces the world clock of the account behind a session token with
    /// `zones` ([`canonical_zones`]), answering it as stored.
    pub async fn set_world_clock(
        &self,
        token: &str,
        zones: &[String],
    ) -> Result<Vec<String>, AccountsError> {
        let session = self.who_am_i(token).await?;
        let zones = canonical_zones(zones)?;
        if !self
            .store()
            .set_world_clock(&session.account.id, &zones)
            .await?
        {
            return Err(AccountsError::Unauthenticated(NO_SESSION));
        }
        Ok(zones)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(zones: &[&str]) -> Vec<String> {
        zones.iter().map(|zone| (*zone).to_owned()).collect()
    }

    fn refusal(zones: &[String]) -> String {
        match canonical_zones(zones) {
            Err(AccountsError::Invalid(message)) => message,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn zones_are_stored_by_their_canonical_names() {
        let asked = names(&["asia/tokyo", "Etc/UTC", "Asia/Calcutta", "EUROPE/PARIS"]);
        assert_eq!(
            canonical_zones(&asked).expect("valid"),
            names(&["Asia/Tokyo", "UTC", "Asia/Kolkata", "Europe/Paris"])
        );
    }

    #[test]
    fn a_zone_named_twice_is_kept_where_it_first_appears() {
        let asked = names(&["UTC", "Asia/Tokyo", "Etc/UTC", "asia/tokyo", "utc"]);
        assert_eq!(
            canonical_zones(&asked).expect("valid"),
            names(&["UTC", "Asia/Tokyo"])
        );
    }

    #[test]
    fn an_empty_list_is_an_empty_world_clock() {
        assert_eq!(canonical_zones(&[]).expect("valid"), Vec::<String>::new());
    }

    #[test]
    fn twelve_zones_are_taken_and_thirteen_refused_saying_the_limit() {
        let twelve = vec!["UTC".to_owned(); 12];
        assert_eq!(canonical_zones(&twelve).expect("valid"), names(&["UTC"]));
        let thirteen = vec!["UTC".to_owned(); 13];
        assert_eq!(
            refusal(&thirteen),
            "a world clock holds at most 12 time zones (got 13)"
        );
    }

    #[test]
    fn an_unknown_zone_is_refused_by_name() {
        let message = refusal(&names(&["UTC", "Mars/Olympus_Mons"]));
        assert!(
            message.starts_with("unknown time zone 'Mars/Olympus_Mons'"),
            "{message}"
        );
        assert!(message.contains("up to 12"), "{message}");
        for bad in ["", " UTC", "../../etc/passwd", "UTC\n", "+01:00"] {
            let message = refusal(&names(&[bad]));
            assert!(
                message.starts_with("unknown time zone"),
                "{bad:?}: {message}"
            );
            assert!(!message.contains('\n'), "{bad:?}: {message}");
        }
    }

    #[test]
    fn a_long_name_is_refused_before_it_is_looked_up() {
        let long = format!("Europe/{}", "x".repeat(100));
        let message = refusal(&[long]);
        assert_eq!(
            message,
            "time zone names are at most 64 bytes ('Europe/xxxxxxxxxxxxxxxxx…' has 107)"
        );
        let at_the_limit = refusal(&["x".repeat(64)]);
        assert!(
            at_the_limit.starts_with("unknown time zone"),
            "{at_the_limit}"
        );
    }
}
