//! The JSON that several doors of the fleet share, in one place, so that no
//! service depends on another's crate for a shape.
//!
//! # Layout
//! - [`timers`]: a timer as JSON ([`TimerJson`]) and a request to set one
//!   ([`SetTimerJson`]), as the ZeroMQ door, the gateway and the stream
//!   show them; [`rfc3339`] and [`unix_ms`]; how many timers one watch may
//!   follow.
//! - [`timer_duration`]: what a timer's duration may be ([`TimerDuration`]).
//! - [`supervisor`]: one row of `clocker ps` ([`Row`]), as the supervisor's
//!   control endpoint serves it and the funnel's `/status.json` passes it
//!   on, and the client that fetches them ([`fetch_rows`]).
//! - [`frame`]: the clock frame pushed to browsers ([`Frame`]).
//! - [`world_clock`]: how many zones an account's world clock holds.

pub mod frame;
pub mod supervisor;
pub mod timer_duration;
pub mod timers;
pub mod world_clock;

pub use frame::Frame;
pub use supervisor::{MAX_ROWS_BYTES, ROWS_PATH, Row};
pub use timer_duration::{
    InvalidDuration, MAX_TOTAL_SECONDS, MIN_TOTAL_SECONDS, TimerDuration, fuzz_timer_duration,
};
pub use timers::{MAX_WATCH_IDS, SetTimerJson, TimerJson, rfc3339, unix_ms};
pub use world_clock::{MAX_WORLD_CLOCK_ZONES, MAX_ZONE_NAME_BYTES};
