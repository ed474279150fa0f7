//! Where services are found: the address book.
//!
//! An address is looked up, in order, in what the launcher set (the supervisor
//! or `clocker up` hands over the addresses services actually bound), then in
//! `CLOCKER_<SERVICE>_ADDR`, then in the default port table on 127.0.0.1.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use crate::ServiceName;

/// A `host:port` a service can be reached at.
pub type Authority = String;

/// Where each service can be reached.
#[derive(Debug, Clone, Default)]
pub struct AddressBook {
    known: BTreeMap<ServiceName, Authority>,
}

/// An address variable that is not `host:port`.
#[derive(Debug, thiserror::Error)]
#[error("{var}='{value}' is not host:port (for example 127.0.0.1:{port})")]
pub struct BadAddress {
    var: String,
    value: String,
    port: u16,
}

impl AddressBook {
    /// An address book with only what `CLOCKER_<SERVICE>_ADDR` says.
    pub fn from_env() -> Result<Self, BadAddress> {
        let mut book = AddressBook::default();
        for name in ServiceName::ALL {
            let var = name.addr_env_var();
            if let Ok(value) = std::env::var(&var) {
                if !is_authority(&value) {
                    return Err(BadAddress {
                        var,
                        value,
                        port: name.default_port(),
                    });
                }
                book.known.insert(name, value);
            }
        }
        Ok(book)
    }

    /// Records where `name` actually listens (overrides the environment).
    pub fn set(&mut self, name: ServiceName, addr: SocketAddr) {
        self.known.insert(name, addr.to_string());
    }

    /// The `host:port` to reach `name` at.
    pub fn resolve(&self, name: ServiceName) -> Authority {
        self.known
            .get(&name)
            .cloned()
            .unwrap_or_else(|| format!("127.0.0.1:{}", name.default_port()))
    }
}

fn is_authority(value: &str) -> bool {
    match value.rsplit_once(':') {
        Some((host, port)) => !host.is_empty() && port.parse::<u16>().is_ok(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_services_resolve_to_their_default_port() {
        let book = AddressBook::default();
        assert_eq!(book.resolve(ServiceName::Hours), "127.0.0.1:50001");
    }

    #[test]
    fn set_addresses_win() {
        let mut book = AddressBook::default();
        book.set(
            ServiceName::Hours,
            "127.0.0.1:4242".parse().expect("literal"),
        );
        assert_eq!(book.resolve(ServiceName::Hours), "127.0.0.1:4242");
    }

    #[test]
    fn authorities_need_a_host_and_a_port() {
        assert!(is_authority("hours:50001"));
        assert!(is_authority("[::1]:50001"));
        assert!(!is_authority("hours"));
        assert!(!is_authority(":50001"));
        assert!(!is_authority("hours:http"));
    }
}
