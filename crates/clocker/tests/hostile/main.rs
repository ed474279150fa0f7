//! The hostile suite: each module reproduces an attack seen against a real
//! fleet (issue 14) and asserts the fixed behaviour — the service is still the
//! same process, its memory stays bounded, other clients are still served
//! within their budget, and the attacker gets a clear refusal.
//!
//! Services run as real `clocker serve` processes on 127.0.0.1:0. Attackers
//! connect from 127.0.0.2, normal clients and probes from 127.0.0.1, as on a
//! real network: no limit exempts loopback.

mod accounts;
mod connections;
mod local;
mod sessions;
mod support;
mod timers;
mod web;
mod zmq;
