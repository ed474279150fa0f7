//! The store against real databases: every test runs on SQLite and on
//! PostgreSQL (a throwaway cluster, or the one `clocker-testdb` shares).

mod accounts;
mod connect;
mod indexes;
mod lease;
mod support;
mod timer_limits;
mod timers;
mod world_clock;
