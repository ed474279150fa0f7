//! The gateway's routes in front of real services on 127.0.0.1:0, called
//! through its router (no HTTP socket needed) and, for CORS, as a browser
//! would.

mod contract;
mod edges;
mod next_time;
mod sharded;
mod support;
