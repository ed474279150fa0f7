//! What the `clocker` binary runs, as a library so tests run it in-process.
//! Which services exist and how each is started is `clocker-fleet`'s.
//!
//! Layout: [`cli`] (the command line itself), one module per command:
//! [`up`] (`clocker up`), [`ps`], [`health`], `time` ([`print_time`]),
//! [`account`], [`timer`], [`random`]; what the client commands share
//! ([`client`]: errors, Ctrl-C, logging) `table` (aligned text tables) and `local_clock` (times in
//! this machine's zone).

pub mod account;
pub mod cli;
pub mod client;
pub mod health;
mod local_clock;
pub mod ps;
pub mod random;
mod table;
mod time;
pub mod timer;
pub mod up;

pub use time::{TimeCommand, print_time};
