//! `GET /config.json`: where the page finds the REST gateway and the SSE
//! stream — `{"gateway":"http://host:8081","stream":"http://host:8085"}`.
//!
//! By default each is the host the browser used for the funnel with the
//! service's own port (what `clocker up` gives on one machine) — that host
//! as the Host allow-list parsed it (an IP or a configured name), never the
//! header's own bytes; a URL set by configuration wins, and an empty one
//! means "this origin" (behind an ingress that routes `/api` and `/stream`
//! to them, the page uses relative URLs).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use clocker_proto::doors;
use clocker_runtime::AddressBook;
use clocker_runtime::http::{AllowedHosts, Host};
use serde::Serialize;

/// The base URLs, as configured or derived from the address book.
#[derive(Debug, Clone)]
pub struct Endpoints {
    gateway: BaseUrl,
    stream: BaseUrl,
    /// The hosts the funnel answers: what a derived URL may name.
    hosts: AllowedHosts,
}

/// Where the page finds one service.
#[derive(Debug, Clone)]
enum BaseUrl {
    /// A URL given by configuration ("" for this origin).
    Configured(String),
    /// The browser's host name with this port.
    BrowsersHostWithPort(String),
}

impl Endpoints {
    pub fn new(
        gateway: Option<&str>,
        stream: Option<&str>,
        book: &AddressBook,
        hosts: AllowedHosts,
    ) -> Self {
        let base = |fixed: Option<&str>, door: &str| match fixed {
            Some(url) => BaseUrl::Configured(url.trim_end_matches('/').to_owned()),
            None => {
                let port = book
                    .resolve(door)
                    .and_then(|addr| addr.rsplit_once(':'))
                    .map_or("", |(_, port)| port);
                BaseUrl::BrowsersHostWithPort(port.to_owned())
            }
        };
        Self {
            gateway: base(gateway, doors::GATEWAY),
            stream: base(stream, doors::STREAM),
            hosts,
        }
    }

    /// The host of a request, as the allow-list knows it (`None` when it
    /// names none or one the allow-list refuses).
    pub fn host_of(&self, uri: &Uri, headers: &HeaderMap) -> Option<Host> {
        self.hosts.of_request(uri, headers).ok().flatten()
    }

    /// The origins of the gateway and the stream as the page at `host`
    /// reaches them (none for "this origin"), for its Content-Security-Policy.
    pub fn origins(&self, host: Option<&Host>) -> Vec<String> {
        let config = self.resolve(host);
        [config.gateway, config.stream]
            .into_iter()
            .filter_map(|url| origin(&url).map(str::to_owned))
            .collect()
    }

    fn resolve(&self, host: Option<&Host>) -> ConfigJson {
        let host = host.map_or_else(|| "127.0.0.1".to_owned(), Host::to_string);
        let url = |base: &BaseUrl| match base {
            BaseUrl::Configured(url) => url.clone(),
            BaseUrl::BrowsersHostWithPort(port) => format!("http://{host}:{port}"),
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

pub async fn get_config(
    State(endpoints): State<std::sync::Arc<Endpoints>>,
    uri: Uri,
    headers: HeaderMap,
) -> Json<ConfigJson> {
    let host = endpoints.host_of(&uri, &headers);
    Json(endpoints.resolve(host.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book() -> AddressBook {
        let mut book = AddressBook::default();
        book.set(doors::GATEWAY, "0.0.0.0:4001".parse().expect("literal"));
        book.set(doors::STREAM, "0.0.0.0:4002".parse().expect("literal"));
        book
    }

    fn hosts() -> AllowedHosts {
        AllowedHosts::new(&["clock.lan".to_owned()])
    }

    fn host(authority: &str) -> Option<Host> {
        hosts().check(authority).ok()
    }

    #[test]
    fn by_default_the_browsers_host_with_each_services_port() {
        let endpoints = Endpoints::new(None, None, &book(), hosts());
        assert_eq!(
            endpoints.resolve(host("clock.lan:8080").as_ref()),
            ConfigJson {
                gateway: "http://clock.lan:4001".into(),
                stream: "http://clock.lan:4002".into(),
            }
        );
        assert_eq!(
            endpoints.resolve(host("[::1]:8080").as_ref()).gateway,
            "http://[::1]:4001"
        );
    }

    #[test]
    fn origins_are_what_the_page_connects_to() {
        let endpoints = Endpoints::new(
            Some("/"),
            Some("https://sse.example/base/"),
            &book(),
            hosts(),
        );
        assert_eq!(
            endpoints.origins(host("clock.lan").as_ref()),
            ["https://sse.example"]
        );
        let endpoints = Endpoints::new(None, None, &book(), hosts());
        assert_eq!(
            endpoints.origins(host("clock.lan:8080").as_ref()),
            ["http://clock.lan:4001", "http://clock.lan:4002"]
        );
    }

    #[test]
    fn configured_urls_win_and_empty_means_this_origin() {
        let endpoints = Endpoints::new(Some(""), Some("https://sse.example/"), &book(), hosts());
        assert_eq!(
            endpoints.resolve(host("clock.lan").as_ref()),
            ConfigJson {
                gateway: String::new(),
                stream: "https://sse.example".into(),
            }
        );
    }

    #[test]
    fn a_host_the_allow_list_refuses_never_reaches_the_urls() {
        let endpoints = Endpoints::new(None, None, &book(), hosts());
        let mut headers = HeaderMap::new();
        headers.insert(
            axum::http::header::HOST,
            "x;script-src * 'unsafe-inline';x:1"
                .parse()
                .expect("a valid header value"),
        );
        let host = endpoints.host_of(&Uri::from_static("/"), &headers);
        assert_eq!(host, None);
        let origins = endpoints.origins(host.as_ref());
        assert_eq!(origins, ["http://127.0.0.1:4001", "http://127.0.0.1:4002"]);
    }
}
