//! Integration tests of the whole fleet: the real binary, every service its
//! own process on 127.0.0.1:0 (`support::TestFleet`), driven through the
//! funnel's WebSocket, HTTP, gRPC and the client commands. Threads of this
//! process only where a test says why (the watchdog watches a service's
//! thread; the slow-client tests set what no flag sets).

mod accounts;
mod chaos;
mod cli;
mod client_commands;
mod closing;
mod degrade;
mod draining;
mod failover;
mod frames;
mod front_doors;
mod fuzz_corpus;
mod health;
mod shards;
mod slow_client;
mod supervisor;
mod support;
mod sync;
mod test_fleet;
mod torn;
mod watchdog;
mod web;
mod world_clock;
