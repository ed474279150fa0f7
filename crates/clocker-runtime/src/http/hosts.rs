//! Which `Host` a front door answers and which `Origin` may open its
//! WebSocket: the defence against DNS rebinding and cross-site WebSocket
//! hijacking.
//!
//! A page on `evil.example` whose name the attacker re-points at 127.0.0.1
//! reaches a loopback service as if same-origin, but its requests still say
//! `Host: evil.example`. So a front door answers only the hosts it knows:
//! `localhost`, any IP literal (a page loaded from an IP address has that
//! address as its origin, so it cannot be a rebinding; Kubernetes probes and
//! Prometheus come by pod IP), and the names an operator adds with
//! `--allowed-host` (an Ingress's host, say; `*` turns the check off).
//! Others get `421 Misdirected Request`, a malformed Host `400`. A request
//! with no Host at all (an HTTP/1.0 probe) is not a browser's and passes,
//! and so does `GET /health` whatever its Host: it is what supervisors and
//! orchestrators probe (`clocker up` sends `Host: supervisor`), and it
//! tells a rebinding page nothing worth reading.
//!
//! What the page is told (its Content-Security-Policy, `/config.json`) is
//! built from the [`Host`] this check returns — a parsed IP or a configured
//! name — never from the header's bytes.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The names every front door answers besides IP literals.
pub const DEFAULT_HOST_NAMES: &[&str] = &["localhost"];

/// The host names a front door answers (see the module's documentation).
#[derive(Debug, Clone)]
pub struct AllowedHosts {
    /// Lower case, without a trailing dot.
    names: Arc<[String]>,
    /// `*` was configured: any well-formed name is answered.
    any: bool,
}

impl Default for AllowedHosts {
    fn default() -> Self {
        Self::new(&[])
    }
}

/// The host a request named, as this front door knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    Ip(IpAddr),
    /// A configured (or, with `*`, well-formed) name, in lower case.
    Name(String),
}

impl fmt::Display for Host {
    /// As in a URL: `127.0.0.1`, `[::1]`, `clock.example`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Ip(IpAddr::V6(ip)) => write!(f, "[{ip}]"),
            Host::Ip(ip) => write!(f, "{ip}"),
            Host::Name(name) => f.write_str(name),
        }
    }
}

/// Why a request's host is not answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostRefused {
    #[error("the Host header is not a valid host[:port]")]
    Malformed,
    #[error(
        "this server does not answer for that host name; its operator can allow it with \
         --allowed-host (CLOCKER_ALLOWED_HOSTS)"
    )]
    Unknown,
}

impl HostRefused {
    /// 400 for a malformed Host, 421 for one this server is not for.
    pub fn status(&self) -> StatusCode {
        match self {
            HostRefused::Malformed => StatusCode::BAD_REQUEST,
            HostRefused::Unknown => StatusCode::MISDIRECTED_REQUEST,
        }
    }
}

impl IntoResponse for HostRefused {
    fn into_response(self) -> Response {
        let status = self.status();
        (
            status,
            [(header::CONNECTION, "close")],
            Json(serde_json::json!({ "error": self.to_string() })),
        )
            .into_response()
    }
}

impl AllowedHosts {
    /// [`DEFAULT_HOST_NAMES`] and `extra` (host names; `*` for any).
    pub fn new(extra: &[String]) -> Self {
        let mut names: Vec<String> = DEFAULT_HOST_NAMES.iter().map(|&n| n.to_owned()).collect();
        let mut any = false;
        for name in extra {
            let name = name.trim().trim_end_matches('.').to_ascii_lowercase();
            if name == "*" {
                any = true;
            } else if !name.is_empty() && !names.contains(&name) {
                names.push(name);
            }
        }
        Self {
            names: names.into(),
            any,
        }
    }

    /// The host of `authority` (`host[:port]`, as in a Host header), or
    /// why it is not answered.
    pub fn check(&self, authority: &str) -> Result<Host, HostRefused> {
        let (host, _port) = split_authority(authority).ok_or(HostRefused::Malformed)?;
        match host {
            Host::Ip(_) => Ok(host),
            Host::Name(name) if self.any || self.names.contains(&name) => Ok(Host::Name(name)),
            Host::Name(_) => Err(HostRefused::Unknown),
        }
    }

    /// The host a request names (its URI's authority, as HTTP/2 sends it,
    /// else its Host header); `None` when it names none.
    pub fn of_request(&self, uri: &Uri, headers: &HeaderMap) -> Result<Option<Host>, HostRefused> {
        match request_authority(uri, headers)? {
            Some(authority) => self.check(authority).map(Some),
            None => Ok(None),
        }
    }

    /// Whether a page at `origin` (an `Origin` header) may open a
    /// WebSocket with a request for `authority`: the page's own origin (same
    /// scheme-less authority), or a page on an allowed name (`localhost`,
    /// `--allowed-host`), whatever its port. A foreign page, an IP-literal
    /// page elsewhere and `null` (sandboxed, file://) are refused.
    pub fn allows_origin(&self, origin: &str, authority: Option<&str>) -> bool {
        let Some(page) = origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"))
        else {
            return false;
        };
        if page.contains('/') {
            return false;
        }
        if authority.is_some_and(|authority| authority.eq_ignore_ascii_case(page)) {
            return true;
        }
        matches!(split_authority(page), Some((Host::Name(name), _)) if self.names.contains(&name))
    }
}

/// The authority a request names: its URI's (HTTP/2, absolute-form), else
/// its Host header's; `None` when it has neither.
pub fn request_authority<'a>(
    uri: &'a Uri,
    headers: &'a HeaderMap,
) -> Result<Option<&'a str>, HostRefused> {
    if let Some(authority) = uri.authority() {
        return Ok(Some(authority.as_str()));
    }
    match headers.get(header::HOST) {
        Some(value) => value.to_str().map(Some).map_err(|_| HostRefused::Malformed),
        None => Ok(None),
    }
}

/// `host[:port]` or `[v6][:port]` split into a parsed host and its port;
/// `None` unless the host is an IP literal or a name of letters, digits,
/// `-` and `.` (so it can never carry `;`, quotes or spaces into a header).
fn split_authority(authority: &str) -> Option<(Host, Option<u16>)> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (ip, after) = rest.split_once(']')?;
        let ip: Ipv6Addr = ip.parse().ok()?;
        let port = match after {
            "" => None,
            after => Some(after.strip_prefix(':')?),
        };
        (Host::Ip(IpAddr::V6(ip)), port)
    } else {
        let (host, port) = match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        };
        let host = host.strip_suffix('.').unwrap_or(host);
        if let Ok(ip) = host.parse::<Ipv4Addr>() {
            (Host::Ip(IpAddr::V4(ip)), port)
        } else if !host.is_empty()
            && host.len() <= 253
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        {
            (Host::Name(host.to_ascii_lowercase()), port)
        } else {
            return None;
        }
    };
    let port = match port {
        None => None,
        Some(digits) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
            Some(digits.parse().ok()?)
        }
        Some(_) => return None,
    };
    Some((host, port))
}

/// The path every host may ask (see the module's documentation).
pub const HEALTH_PATH: &str = "/health";

/// Middleware: answers only requests for an allowed host (see
/// [`AllowedHosts`]); others get 421 (or 400 when malformed). `/health`
/// and `/livez` (probes) are answered for any.
pub async fn check_host(
    State(hosts): State<AllowedHosts>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    if path == HEALTH_PATH || path == crate::health::LIVENESS_PATH {
        return next.run(request).await;
    }
    match hosts.of_request(request.uri(), request.headers()) {
        Ok(_) => next.run(request).await,
        Err(refused) => {
            tracing::debug!(%refused, "request for a host not answered");
            refused.into_response()
        }
    }
}

/// Middleware for a WebSocket route: a browser's upgrade from an origin
/// [`AllowedHosts::allows_origin`] refuses gets 403. A request without
/// `Origin` (not from a browser) passes.
pub async fn check_origin(
    State(hosts): State<AllowedHosts>,
    request: Request,
    next: Next,
) -> Response {
    let Some(origin) = request.headers().get(header::ORIGIN) else {
        return next.run(request).await;
    };
    let authority = request_authority(request.uri(), request.headers())
        .ok()
        .flatten();
    let allowed = origin
        .to_str()
        .is_ok_and(|origin| hosts.allows_origin(origin, authority));
    if allowed {
        next.run(request).await
    } else {
        tracing::debug!(?origin, "WebSocket from a foreign origin refused");
        (
            StatusCode::FORBIDDEN,
            Json(serde_json::json!({
                "error": "pages from this origin may not open this WebSocket; \
                          its operator can allow the host with --allowed-host"
            })),
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::routing::get;
    use axum::{Router, middleware};
    use tower::ServiceExt;

    fn allowed() -> AllowedHosts {
        AllowedHosts::new(&["Clock.Example.".to_owned()])
    }

    #[test]
    fn loopback_names_ip_literals_and_configured_names_are_answered() {
        let hosts = allowed();
        for (authority, host) in [
            ("localhost:8080", Host::Name("localhost".into())),
            ("LOCALHOST", Host::Name("localhost".into())),
            ("127.0.0.1:8080", Host::Ip([127, 0, 0, 1].into())),
            ("10.1.2.3", Host::Ip([10, 1, 2, 3].into())),
            ("[::1]:8080", Host::Ip(Ipv6Addr::LOCALHOST.into())),
            ("clock.example", Host::Name("clock.example".into())),
            ("clock.example.:443", Host::Name("clock.example".into())),
        ] {
            assert_eq!(hosts.check(authority), Ok(host), "{authority}");
        }
        assert_eq!(
            hosts.check("[::1]:8080").map(|h| h.to_string()),
            Ok("[::1]".into())
        );
    }

    #[test]
    fn rebinding_names_are_refused_as_misdirected() {
        let hosts = allowed();
        for authority in [
            "evil.example",
            "evil.example:8080",
            "localhost.evil.example",
        ] {
            assert_eq!(
                hosts.check(authority),
                Err(HostRefused::Unknown),
                "{authority}"
            );
        }
        assert_eq!(
            HostRefused::Unknown.status(),
            StatusCode::MISDIRECTED_REQUEST
        );
    }

    #[test]
    fn a_host_carrying_policy_syntax_is_malformed() {
        let hosts = AllowedHosts::new(&["*".to_owned()]);
        for authority in [
            "x;script-src * 'unsafe-inline';x:1",
            "x y",
            "",
            "a:b",
            "a:1:2",
            "[::1",
            "[::1]x",
            "a:99999",
            "clock\"example",
        ] {
            assert_eq!(
                hosts.check(authority),
                Err(HostRefused::Malformed),
                "{authority}"
            );
        }
        assert_eq!(
            hosts.check("any.example:1"),
            Ok(Host::Name("any.example".into()))
        );
    }

    #[test]
    fn websocket_origins_are_the_page_itself_or_an_allowed_name() {
        let hosts = allowed();
        let host = Some("127.0.0.1:8080");
        assert!(hosts.allows_origin("http://127.0.0.1:8080", host));
        assert!(hosts.allows_origin("http://localhost:5173", host));
        assert!(hosts.allows_origin("https://clock.example", host));
        assert!(hosts.allows_origin("https://clock.example", Some("clock.example")));
        for origin in [
            "http://evil.example",
            "http://127.0.0.2:8080",
            "http://127.0.0.1:8081",
            "null",
            "ftp://localhost",
            "http://localhost/x",
        ] {
            assert!(!hosts.allows_origin(origin, host), "{origin}");
        }
    }

    async fn status_of(app: Router, host: Option<&str>, origin: Option<&str>) -> StatusCode {
        let mut request = Request::get("/ws");
        if let Some(host) = host {
            request = request.header(header::HOST, host);
        }
        if let Some(origin) = origin {
            request = request.header(header::ORIGIN, origin);
        }
        app.oneshot(request.body(Body::empty()).expect("request"))
            .await
            .expect("infallible")
            .status()
    }

    #[tokio::test]
    async fn the_layers_refuse_foreign_hosts_and_origins() {
        let hosts = allowed();
        let app = Router::new()
            .route("/ws", get(|| async { "ok" }))
            .route("/health", get(|| async { "ok" }))
            .route_layer(middleware::from_fn_with_state(hosts.clone(), check_origin))
            .layer(middleware::from_fn_with_state(hosts, check_host));
        let ok = StatusCode::OK;
        assert_eq!(status_of(app.clone(), None, None).await, ok);
        assert_eq!(status_of(app.clone(), Some("127.0.0.1:1"), None).await, ok);
        let evil = status_of(app.clone(), Some("evil.example:1"), None).await;
        assert_eq!(evil, StatusCode::MISDIRECTED_REQUEST);
        let injected = status_of(app.clone(), Some("x;script-src *;x:1"), None).await;
        assert_eq!(injected, StatusCode::BAD_REQUEST);
        let probe = app
            .clone()
            .oneshot(
                Request::get("/health")
                    .header(header::HOST, "supervisor")
                    .body(Body::empty())
                    .expect("request"),
            )
            .await
            .expect("infallible");
        assert_eq!(probe.status(), ok, "probes pass whatever their Host");
        let same = status_of(app.clone(), Some("127.0.0.1:1"), Some("http://127.0.0.1:1")).await;
        assert_eq!(same, ok);
        let foreign = status_of(app, Some("127.0.0.1:1"), Some("http://evil.example")).await;
        assert_eq!(foreign, StatusCode::FORBIDDEN);
    }
}
