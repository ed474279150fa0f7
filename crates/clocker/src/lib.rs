//! What the `clocker` binary runs, as a library so tests run it in-process:
//! [`print_time`] is `clocker time`, [`account`] is `clocker account` and
//! [`timer`] is `clocker timer`, [`random`] is `clocker random`,
//! [`health`] is `clocker health`, [`ps`] is `clocker ps` and [`up`] is
//! `clocker up`; [`cli`] is the command line itself. Which services exist
//! and how each is started is `clocker-fleet`'s.

pub mod account;
pub mod cli;
pub mod health;
pub mod ps;
pub mod random;
mod time;
pub mod timer;
pub mod up;

pub use time::{TimeCommand, print_time};
