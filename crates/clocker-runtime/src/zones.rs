//! Time zones by IANA name, from the tz database built into the binary
//! (jiff's bundled copy), for every service and the CLI.
//!
//! jiff's global database reads `/usr/share/zoneinfo` (or `$TZDIR`) from
//! disk the first time each zone is asked for. Zones here are chosen by
//! clients, so that would be a file read on a service's single thread for
//! every new name a client sends, and an answer that depends on the host's
//! files. The bundled database is in memory and the same everywhere.
//! Lookups ignore ASCII case (`asia/tokyo` is `Asia/Tokyo`) and old names
//! (`Asia/Calcutta`) still resolve. Every answer names a zone by
//! [`zone_name`]: the primary name, as browsers name it.

use jiff::tz::{TimeZone, TimeZoneDatabase};

/// The zone named `name` (an IANA name, any ASCII case) in the bundled tz
/// database.
pub fn time_zone(name: &str) -> Result<TimeZone, jiff::Error> {
    TimeZoneDatabase::bundled().get(name)
}

/// The name every answer gives `zone`: its primary IANA name, by
/// ECMAScript's rules as browsers apply them (`UTC` for `Etc/UTC`,
/// `Asia/Kolkata` for `Asia/Calcutta`), so the services, the CLI and the
/// web page say the same; `UTC` for a zone without a name.
pub fn zone_name(zone: &TimeZone) -> &str {
    zone.primary_iana_name()
        .or_else(|| zone.iana_name())
        .unwrap_or("UTC")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_in_any_case_and_by_old_aliases() {
        let tokyo = time_zone("asia/tokyo").expect("a zone");
        assert_eq!(tokyo.iana_name(), Some("Asia/Tokyo"));
        let calcutta = time_zone("Asia/Calcutta").expect("an old name");
        let kolkata = time_zone("Asia/Kolkata").expect("a zone");
        let at = jiff::Timestamp::from_second(1_800_000_000).expect("in range");
        assert_eq!(calcutta.to_offset(at), kolkata.to_offset(at));
        assert_eq!(
            time_zone("utc").expect("UTC").iana_name(),
            Some("UTC"),
            "UTC is UTC"
        );
        assert!(time_zone("Mars/Olympus_Mons").is_err());
        assert!(time_zone("../../etc/passwd").is_err());
    }

    #[test]
    fn zones_are_named_by_their_primary_name() {
        let named = |asked: &str| zone_name(&time_zone(asked).expect("a zone")).to_owned();
        assert_eq!(named("Etc/UTC"), "UTC");
        assert_eq!(named("utc"), "UTC");
        assert_eq!(named("asia/calcutta"), "Asia/Kolkata");
        assert_eq!(named("asia/tokyo"), "Asia/Tokyo");
        assert_eq!(zone_name(&TimeZone::fixed(jiff::tz::offset(2))), "UTC");
    }

    /// Every zone lookup goes through [`time_zone`]: jiff's global
    /// database (`tz::db()`, `TimeZone::get`) reads zone files from disk.
    #[test]
    fn no_crate_looks_zones_up_in_the_global_database() {
        let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut offenders = Vec::new();
        let mut dirs = vec![crates];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).expect("a readable directory") {
                let path = entry.expect("an entry").path();
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
                if path.is_dir() {
                    if name != "target" && name != "node_modules" {
                        dirs.push(path);
                    }
                } else if name.ends_with(".rs") && !path.ends_with("clocker-runtime/src/zones.rs") {
                    let text = std::fs::read_to_string(&path).expect("a readable file");
                    if text.contains("tz::db()") || text.contains("TimeZone::get(") {
                        offenders.push(path.display().to_string());
                    }
                }
            }
        }
        assert!(
            offenders.is_empty(),
            "use clocker_runtime::time_zone instead of jiff's global tz database in: {offenders:?}"
        );
    }
}
