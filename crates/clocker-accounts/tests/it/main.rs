//! The accounts service over real gRPC, on SQLite and on PostgreSQL.

mod flows;
mod hostile;
mod support;
mod throttling;
mod world_clock;
