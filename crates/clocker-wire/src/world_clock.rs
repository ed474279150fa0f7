//! The limits of an account's world clock (its list of time zones), which
//! the accounts service keeps and the gateway's document declares.

/// The most time zones a world clock holds.
pub const MAX_WORLD_CLOCK_ZONES: usize = 12;

/// The longest zone name a world clock takes, in bytes (the longest IANA
/// name, `America/Argentina/ComodRivadavia`, is 32).
pub const MAX_ZONE_NAME_BYTES: usize = 64;
