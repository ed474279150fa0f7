//! What the `clocker` binary runs, as a library so tests run it in-process.
//! Which services exist and how each is started is `clocker-fleet`'s.
//!
//! Layout: [`cli`] (the command line itself), one module per command:
//! [`up`] (`clocker up`), [`ps`], [`health`], `time` ([`print_time`]),
//! [`account`], [`timer`], [`random`].

pub mod account;
pub mod cli;
pub mod health;
pub mod ps;
pub mod random;
mod time;
pub mod timer;
pub mod up;

pub use time::{TimeCommand, print_time};
