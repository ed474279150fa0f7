//! The fleet: which services exist, on which ports, what each requires,
//! where each is found, and how each is started. Only this crate (and the
//! binary on top of it) knows every service; the services know each other
//! only by the contracts they call (`clocker-proto`).
//!
//! Layout:
//! - `service`: the table ([`ServiceName`]): names, default ports, the
//!   contract each is found by, what each requires.
//! - `address`: the address book from `CLOCKER_<SERVICE>_ADDR` and the
//!   default ports ([`address_book_from_env`]).
//! - `order`: start order, every service after what it requires
//!   ([`start_order`]).
//! - `launch`: one service started by name with the [`FleetConfig`] all take
//!   ([`launch_service`]).
//! - `threads`: every service on a thread of one process
//!   ([`ThreadedFleet`]), for tests and benchmarks that need no processes.

mod address;
mod launch;
mod order;
mod service;
mod threads;

pub use address::{BadAddress, address_book_from_env};
pub use launch::{FleetConfig, launch_service};
pub use order::{DependencyCycle, start_order};
pub use service::{ServiceName, UnknownService};
pub use threads::{FleetError, ThreadedFleet, host_in_url};
