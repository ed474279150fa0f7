//! The fan-out engine: clock frames built once per tick and zone, however
//! many clients listen, and the encodings they are sent in. The funnel
//! pushes them over WebSocket, the stream over Server-Sent Events.
//!
//! # Layout
//! - [`Assembler`]: one instant from current-time, then the four components
//!   in parallel (`assemble`).
//! - [`frame`]: a [`Frame`](clocker_wire::Frame) from the components'
//!   answers, naming those that did not answer.
//! - [`Hub`]: one [`Channel`] per zone in use, holding its newest frame
//!   encoded for the wire once (`hub`, `channel`).
//! - the tick loop builds each zone's frame once per tick, on a thread of
//!   its own ([`start_ticker`], `ticker`).
//! - [`outage`]: when a clock service counts as down (after 500 ms of
//!   misses, not at one late reply).
//! - [`FleetClock`]: current-time's clock as learned from those reads, so
//!   clock-sync pongs share the frames' timebase (`fleet_clock`).
//! - [`subscribers`]: a shard's subscribed sockets and the writer that
//!   writes each channel's bytes straight to them, with no task per client.
//! - [`door`]: the front door that answers the fan-out routes off the
//!   socket and passes other connections on to the router.
//! - [`websocket`]: the handshake, server frames encoded once, and a
//!   bounded reader of clients' frames.
//! - [`sse`]: events, comments and the `retry:` hint as Server-Sent Events
//!   bytes, and the id a reconnecting client resumes after.

mod assemble;
pub mod channel;
pub mod door;
mod fleet_clock;
pub mod frame;
mod hub;
pub mod outage;
pub mod sse;
pub mod subscribers;
mod ticker;
pub mod websocket;

pub use assemble::{Assembler, CLOCK_SERVICES, InstantRead};
pub use channel::{Channel, Message, Signal};
pub use fleet_clock::{FleetClock, nanos};
pub use frame::CLOCK_SERVICE_NAMES;
pub use hub::{Encoding, Hub, ZoneInUse};
pub use ticker::start as start_ticker;
