//! `GET /config.json`: where the page finds the REST gateway and the SSE
//! stream — `{"gateway":"http://host:8081","stream":"http://host:8085"}`.
//!
//! By default each is the host the browser used for the funnel with the
//! service's own port (what `clocker up` gives on one machine); a URL set
//! by configuration wins, and an empty one means "this origin" (behind an
//! ingress that routes `/api` and `/stream` to them, the page uses relative
//! URLs).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use clocker_runtime::{AddressBook, ServiceName};
use serde::Serialize;

/// The base URLs, as configured or derived from the address book.
#[derive(Debug, Clone)]
pub struct Endpoints {
    gateway: Base,
    stream: Base,
}

#[derive(Debug, Clone)]
enum Base {
    /// A URL given by configuration ("" for this origin).
    Fixed(String),
    /// The browser's host name with this port.
    Port(String),
}

impl Endpoints {
    pub fn new(gateway: Option<&str>, stream: Option<&str>, book: &AddressBook) -> Self {
        let base = |fixed: Option<&str>, service: ServiceName| match fixed {
            Some(url) => Base::Fixed(url.trim_end_matches('/').to_owned()),
            None => {
                let addr = book.resolve(service);
                let port = addr.rsplit_once(':').map_or("", |(_, port)| port);
                Base::Port(port.to_owned())
            }
        };
        Self {
            gateway: base(gateway, ServiceName::Gateway),
            stream: base(stream, ServiceName::Stream),
        }
    }

    /// The origins of the gateway and the stream as the page at `host`
    /// reaches them (none for "this origin"), for its Content-Security-Policy.
    pub fn origins(&self, host: Option<&str>) -> Vec<String> {
        let config = self.resolve(host);
        [config.gateway, config.stream]
            .into_iter()
            .filter_map(|url| origin(&url).map(str::to_owned))
            .collect()
    }

    fn resolve(&self, host: Option<&str>) -> ConfigJson {
        let host = host.map_or("127.0.0.1", host_name);
        let url = |base: &Base| match base {
            Base::Fixed(url) => url.clone(),
            Base::Port(port) => format!("http://{host}:{port}"),
        };
        ConfigJson {
            gateway: url(&self.gateway),
            stream: url(&self.stream),
        }
    }
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct ConfigJson {
    gateway: String,
    stream: String,
}

/// `scheme://authority` of an absolute URL; `None` for a relative one.
fn origin(url: &str) -> Option<&str> {
    let start = url.find("://")? + 3;
    let end = url[start..]
        .find('/')
        .map_or(url.len(), |slash| start + slash);
    Some(&url[..end])
}

/// `host[:port]` or `[v6][:port]` without the port.
fn host_name(authority: &str) -> &str {
    if authority.starts_with('[') {
        return authority
            .find(']')
            .map_or(authority, |end| &authority[..=end]);
    }
    authority.split(':').next().unwrap_or(authority)
}

pub async fn get_config(
    State(endpoints): State<std::sync::Arc<Endpoints>>,
    headers: HeaderMap,
) -> Json<ConfigJson> {
    let host = headers
        .get(header::HOST)
        .and_then(|host| host.to_str().ok());
    Json(endpoints.resolve(host))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book() -> AddressBook {
        let mut book = AddressBook::default();
        book.set(
            ServiceName::Gateway,
            "0.0.0.0:4001".parse().expect("literal"),
        );
        book.set(
            ServiceName::Stream,
            "0.0.0.0:4002".parse().expect("literal"),
        );
        book
    }

    #[test]
    fn by_default_the_browsers_host_with_each_services_port() {
        let endpoints = Endpoints::new(None, None, &book());
        assert_eq!(
            endpoints.resolve(Some("clock.lan:8080")),
            ConfigJson {
                gateway: "http://clock.lan:4001".into(),
                stream: "http://clock.lan:4002".into(),
            }
        );
        assert_eq!(
            endpoints.resolve(Some("[::1]:8080")).gateway,
            "http://[::1]:4001"
        );
    }

    #[test]
    fn origins_are_what_the_page_connects_to() {
        let endpoints = Endpoints::new(Some("/"), Some("https://sse.example/base/"), &book());
        assert_eq!(
            endpoints.origins(Some("clock.lan")),
            ["https://sse.example"]
        );
        let endpoints = Endpoints::new(None, None, &book());
        assert_eq!(
            endpoints.origins(Some("clock.lan:8080")),
            ["http://clock.lan:4001", "http://clock.lan:4002"]
        );
    }

    #[test]
    fn configured_urls_win_and_empty_means_this_origin() {
        let endpoints = Endpoints::new(Some(""), Some("https://sse.example/"), &book());
        assert_eq!(
            endpoints.resolve(Some("clock.lan")),
            ConfigJson {
                gateway: String::new(),
                stream: "https://sse.example".into(),
            }
        );
    }
}
