//! accounts' limits on password hashing and guessing, and the proxies
//! accounts and timers trust to name the client.

use std::net::IpAddr;
use std::time::Duration;

use clap::Args;
use clocker_accounts::{AccountsConfig, ThrottlePolicy};

use crate::cli::parse;

/// accounts: how password hashing and guessing are limited (README, Accounts).
#[derive(Debug, Args)]
pub struct LoginLimitArgs {
    /// accounts and timers: peers whose x-forwarded-for names the client (the gateway's addresses), comma-separated.
    #[arg(
        long,
        env = "CLOCKER_TRUSTED_PROXIES",
        value_delimiter = ',',
        default_value = "127.0.0.1,::1"
    )]
    pub trusted_proxies: Vec<IpAddr>,
    /// accounts: passwords hashed at once, each on a thread of its own (16 more may wait each) [default: one per core].
    #[arg(long, env = "CLOCKER_HASH_THREADS", value_parser = clap::value_parser!(u16).range(1..))]
    pub hash_threads: Option<u16>,
    /// accounts: failed logins for one name from one address before each further one delays the next (1 s, doubling).
    #[arg(long, env = "CLOCKER_LOGIN_FREE_FAILURES", default_value_t = 5)]
    pub login_free_failures: u32,
    /// accounts: failed logins from one address, whatever the names, before delays begin.
    #[arg(
        long,
        env = "CLOCKER_LOGIN_ADDRESS_FREE_FAILURES",
        default_value_t = 30
    )]
    pub login_address_free_failures: u32,
    /// accounts: failed logins for one name from all addresses before delays begin for addresses it never logged in from.
    #[arg(long, env = "CLOCKER_LOGIN_NAME_FREE_FAILURES", default_value_t = 100)]
    pub login_name_free_failures: u32,
    /// accounts: the longest delay between failed logins.
    #[arg(long, env = "CLOCKER_LOGIN_MAX_DELAY", default_value = "15m", value_parser = parse::positive_duration)]
    pub login_max_delay: Duration,
    /// accounts: registrations one address may make at once; then one per --register-every.
    #[arg(long, env = "CLOCKER_REGISTER_BURST", default_value_t = 20)]
    pub register_burst: u32,
    /// accounts: how often an address gets one more registration once its burst is spent.
    #[arg(long, env = "CLOCKER_REGISTER_EVERY", default_value = "6s", value_parser = parse::positive_duration)]
    pub register_every: Duration,
}

impl LoginLimitArgs {
    /// `config` with these limits (the hash threads only when given).
    pub fn apply(self, config: AccountsConfig) -> AccountsConfig {
        AccountsConfig {
            hash_concurrency: self
                .hash_threads
                .map_or(config.hash_concurrency, usize::from),
            trusted_proxies: self.trusted_proxies,
            throttle: ThrottlePolicy {
                free_failures: self.login_free_failures,
                address_free_failures: self.login_address_free_failures,
                name_free_failures: self.login_name_free_failures,
                max_delay: self.login_max_delay,
                register_burst: self.register_burst,
                register_every: self.register_every,
                ..config.throttle
            },
            ..config
        }
    }
}
