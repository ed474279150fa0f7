//! Where services are found: the address book.
//!
//! A gRPC service is found by its full name (`clocker.v1.Hours`, what
//! [`clocker_proto::Locate::SERVICE`] says), an HTTP door by its name
//! (`clocker_proto::doors`). Whoever launches a service fills its book (the
//! fleet, from the addresses services actually bound or from the
//! environment); the runtime itself knows no service.

use std::collections::BTreeMap;
use std::net::SocketAddr;

/// A `host:port` a service can be reached at.
pub type Authority = String;

/// Where each service can be reached.
#[derive(Debug, Clone, Default)]
pub struct AddressBook {
    known: BTreeMap<&'static str, Authority>,
}

impl AddressBook {
    /// Records where `name` listens.
    pub fn set(&mut self, name: &'static str, addr: SocketAddr) {
        self.set_authority(name, addr.to_string());
    }

    /// Records where `name` listens, as `host:port` (a host name is kept,
    /// to be resolved when connecting).
    pub fn set_authority(&mut self, name: &'static str, authority: Authority) {
        self.known.insert(name, authority);
    }

    /// The `host:port` to reach `name` at, when the book has it.
    pub fn resolve(&self, name: &str) -> Option<&Authority> {
        self.known.get(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_address_set_is_the_one_resolved() {
        let mut book = AddressBook::default();
        assert_eq!(book.resolve("clocker.v1.Hours"), None);
        book.set_authority("clocker.v1.Hours", "hours.internal:50001".into());
        book.set(
            "clocker.v1.Hours",
            "127.0.0.1:4242".parse().expect("literal"),
        );
        assert_eq!(
            book.resolve("clocker.v1.Hours").map(String::as_str),
            Some("127.0.0.1:4242")
        );
    }
}
