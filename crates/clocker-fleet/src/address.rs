//! Where services are found: every service's address from
//! `CLOCKER_<SERVICE>_ADDR`, else its default port on 127.0.0.1.

use clocker_runtime::{AddressBook, Authority};

use crate::ServiceName;

/// An address variable that is not `host:port`.
#[derive(Debug, thiserror::Error)]
#[error("{var}='{value}' is not host:port (for example 127.0.0.1:{port})")]
pub struct BadAddress {
    var: String,
    value: String,
    port: u16,
}

/// An address book with every service of the table (and the greeting
/// example), each at what `CLOCKER_<SERVICE>_ADDR` says or at its default
/// port on 127.0.0.1.
pub fn address_book_from_env() -> Result<AddressBook, BadAddress> {
    address_book(|var| std::env::var(var).ok())
}

impl ServiceName {
    /// Where the service is found in `book`, else at its default port on
    /// 127.0.0.1.
    pub fn address_in(self, book: &AddressBook) -> Authority {
        book.resolve(self.contract())
            .cloned()
            .unwrap_or_else(|| format!("127.0.0.1:{}", self.default_port()))
    }
}

fn address_book(env: impl Fn(&str) -> Option<String>) -> Result<AddressBook, BadAddress> {
    let mut book = AddressBook::default();
    for name in ServiceName::ALL.into_iter().chain([ServiceName::Greeting]) {
        let var = name.addr_env_var();
        let authority = match env(&var) {
            Some(value) if is_authority(&value) => value,
            Some(value) => {
                return Err(BadAddress {
                    var,
                    value,
                    port: name.default_port(),
                });
            }
            None => format!("127.0.0.1:{}", name.default_port()),
        };
        book.set_authority(name.contract(), authority);
    }
    Ok(book)
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
    fn unset_services_are_at_their_default_port_and_set_ones_where_told() {
        let book = address_book(|var| {
            (var == "CLOCKER_HOURS_ADDR").then(|| "hours.internal:4242".to_owned())
        })
        .expect("valid");
        assert_eq!(
            book.resolve("clocker.v1.Hours").map(String::as_str),
            Some("hours.internal:4242")
        );
        assert_eq!(
            book.resolve("clocker.v1.Minutes").map(String::as_str),
            Some("127.0.0.1:50002")
        );
        assert_eq!(
            book.resolve("funnel").map(String::as_str),
            Some("127.0.0.1:8080")
        );
    }

    #[test]
    fn a_bad_address_names_its_variable() {
        let err = address_book(|var| (var == "CLOCKER_HOURS_ADDR").then(|| "hours".to_owned()))
            .expect_err("no port");
        assert_eq!(
            err.to_string(),
            "CLOCKER_HOURS_ADDR='hours' is not host:port (for example 127.0.0.1:50001)"
        );
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
