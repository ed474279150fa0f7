//! The timer service over real gRPC and ZeroMQ, on SQLite and PostgreSQL,
//! with the accounts service beside it for owned timers.

mod durability;
mod grpc;
mod limits;
mod owners;
mod support;
mod zeromq_door;
