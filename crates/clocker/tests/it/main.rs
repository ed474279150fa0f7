//! Integration tests of the whole fleet: every service on its own thread on
//! 127.0.0.1:0, driven through the funnel's WebSocket and the real binary.

mod accounts;
mod chaos;
mod cli;
mod closing;
mod degrade;
mod draining;
mod failover;
mod frames;
mod front_doors;
mod fuzz_corpus;
mod health;
mod slow_client;
mod supervisor;
mod support;
mod sync;
mod torn;
mod watchdog;
mod web;
