//! The fan-out engine: clock frames built once per tick and zone, however
//! many clients listen, and the encodings they are sent in. The funnel
//! pushes them over WebSocket, the stream over Server-Sent Events.
//!
//! # Layout
//! - [`Assembler`]: one instant from current-time, then the four components
//!   in parallel (`assemble`).
//! - [`frame`]: a [`Frame`](clocker_wire::Frame) from the components'
//!   answers, naming those that did not answer.
//! - [`Hub`]: the latest serialized frame per zone in use (`hub`).
//! - the tick loop builds each zone's frame once per tick, on a thread of
//!   its own ([`start_ticker`], `ticker`).
//! - [`FleetClock`]: current-time's clock as learned from those reads, so
//!   clock-sync pongs share the frames' timebase (`fleet_clock`).
//! - [`sse`]: events, comments and the `retry:` hint as Server-Sent Events
//!   bytes, and the id a reconnecting client resumes after.

mod assemble;
mod fleet_clock;
pub mod frame;
mod hub;
pub mod sse;
mod ticker;

pub use assemble::{Assembler, CLOCK_SERVICES, InstantRead};
pub use fleet_clock::{FleetClock, nanos};
pub use frame::CLOCK_SERVICE_NAMES;
pub use hub::{Hub, Published, ZoneInUse};
pub use ticker::start as start_ticker;
