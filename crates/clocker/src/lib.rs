//! What the `clocker` binary runs, as a library so tests run it in-process.
//! Which services exist and how each is started is `clocker-fleet`'s.
//!
//! Layout: [`cli`] (the command line itself), one module per command:
//! [`up`] (`clocker up`), [`ps`], [`health`], `time` ([`print_time`]),
//! [`account`], [`timer`], [`random`]; what the client commands share
//! ([`client`]: errors, Ctrl-C, logging) and `table` (aligned text tables).

pub mod account;
pub mod cli;
pub mod client;
pub mod health;
pub mod ps;
pub mod random;
mod table;
mod time;
pub mod timer;
pub mod up;

pub use time::{TimeCommand, print_time};
