//! The Ingress, routed as Kubernetes routes: every path the page, the
//! gateway's OpenAPI document and the stream serve reaches the right Service.

use serde_json::Value;

use crate::files::read;
use crate::kubernetes::{Object, find, manifests};

/// One `paths:` entry of an Ingress rule.
#[derive(Debug)]
struct IngressPath {
    path: String,
    exact: bool,
    service: String,
    /// The backend's port: a number or a port name.
    port: Value,
    what: String,
}

fn ingress_paths(objects: &[Object]) -> Vec<IngressPath> {
    let ingresses: Vec<&Object> = objects.iter().filter(|o| o.kind() == "Ingress").collect();
    assert!(
        !ingresses.is_empty(),
        "deploy/k8s: no Ingress in the files kustomization.yaml lists"
    );
    let mut paths = Vec::new();
    for ingress in ingresses {
        let what = ingress.what();
        let rules = ingress
            .value
            .pointer("/spec/rules")
            .and_then(Value::as_array)
            .unwrap_or_else(|| panic!("{what}: no rules"));
        for rule in rules {
            for entry in rule
                .pointer("/http/paths")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let path = entry
                    .get("path")
                    .and_then(Value::as_str)
                    .unwrap_or("/")
                    .to_owned();
                let exact = match entry.get("pathType").and_then(Value::as_str) {
                    Some("Exact") => true,
                    Some("Prefix") => false,
                    other => panic!(
                        "{what}: path {path} has pathType {other:?}; use Exact or Prefix, whose matching every controller shares"
                    ),
                };
                let service = entry
                    .pointer("/backend/service/name")
                    .and_then(Value::as_str)
                    .unwrap_or_else(|| panic!("{what}: path {path} has no backend service"))
                    .to_owned();
                let port = entry
                    .pointer("/backend/service/port/name")
                    .or_else(|| entry.pointer("/backend/service/port/number"))
                    .unwrap_or_else(|| panic!("{what}: path {path} has no backend port"))
                    .clone();
                paths.push(IngressPath {
                    path,
                    exact,
                    service,
                    port,
                    what: what.clone(),
                });
            }
        }
    }
    paths
}

/// Whether the Prefix `prefix` matches `request`, element by element:
/// `/stream` matches `/stream` and `/stream/time`, not `/streams`.
fn prefix_matches(prefix: &str, request: &str) -> bool {
    let prefix = prefix.trim_end_matches('/');
    prefix.is_empty() || request == prefix || request.starts_with(&format!("{prefix}/"))
}

/// The path that serves `request`, as Kubernetes chooses: an Exact match,
/// else the longest matching Prefix.
fn route<'a>(paths: &'a [IngressPath], request: &str) -> Option<&'a IngressPath> {
    paths
        .iter()
        .find(|p| p.exact && p.path == request)
        .or_else(|| {
            paths
                .iter()
                .filter(|p| !p.exact && prefix_matches(&p.path, request))
                .max_by_key(|p| p.path.trim_end_matches('/').split('/').count())
        })
}

fn assert_routed(paths: &[IngressPath], request: &str, service: &str, why: &str) {
    let routed = route(paths, request).unwrap_or_else(|| {
        panic!("deploy/k8s/ingress: nothing routes {request} ({why}); it should go to {service}")
    });
    assert_eq!(
        routed.service,
        service,
        "{}: {request} ({why}) is routed to {} by the path {} ({}), not to {service}",
        routed.what,
        routed.service,
        routed.path,
        if routed.exact { "Exact" } else { "Prefix" }
    );
}

/// The string constant `name` of a TypeScript file of the UI
/// (`export const NAME = '/path';`).
fn ui_constant(file: &str, name: &str) -> String {
    let source = read(file);
    source
        .lines()
        .find_map(|line| {
            let rest = line
                .trim()
                .strip_prefix(&format!("export const {name} = "))?;
            Some(
                rest.trim_end_matches(';')
                    .trim_matches(['\'', '"'])
                    .to_owned(),
            )
        })
        .unwrap_or_else(|| {
            panic!("{file}: no `export const {name} = '…'` (was it renamed? update this test)")
        })
}

/// The page's client-side routes: every `export const *_HREF` of web/src/shared/routes.ts.
fn ui_routes() -> Vec<String> {
    let file = "web/src/shared/routes.ts";
    let routes: Vec<String> = read(file)
        .lines()
        .filter_map(|line| {
            let rest = line.trim().strip_prefix("export const ")?;
            let (name, value) = rest.split_once(" = ")?;
            name.ends_with("_HREF").then(|| {
                value
                    .trim_end_matches(';')
                    .trim_matches(['\'', '"'])
                    .to_owned()
            })
        })
        .collect();
    assert!(
        !routes.is_empty(),
        "{file}: found no `export const *_HREF = '/…'` routes"
    );
    routes
}

#[test]
fn every_route_in_the_gateways_openapi_document_reaches_the_gateway() {
    let paths = ingress_paths(&manifests());
    let document = clocker_gateway::openapi();
    let routes: Vec<&String> = document.paths.paths.keys().collect();
    assert!(
        routes.len() > 5,
        "the gateway's OpenAPI document lists only {routes:?}"
    );
    for route in routes {
        // Prometheus scrapes each pod, and the kubelet probes each pod's
        // liveness; through the Ingress either would see one replica at random.
        if route == "/metrics" || route == "/livez" {
            continue;
        }
        // `/api/timers/{id}` as a request would have it.
        let request = route.replace(['{', '}'], "");
        assert_routed(
            &paths,
            &request,
            "gateway",
            &format!("the gateway's {route}"),
        );
    }
}

#[test]
fn the_page_its_routes_and_its_websocket_reach_the_funnel() {
    let paths = ingress_paths(&manifests());
    for (request, why) in [
        ("/", "the page"),
        ("/index.html", "the page"),
        ("/assets/index-abc123.js", "the page's scripts"),
        ("/favicon.svg", "the page's icon"),
        ("/ws", "the clock frames (WebSocket)"),
    ] {
        assert_routed(&paths, request, "funnel", why);
    }
    for (file, name) in [
        ("web/src/shared/endpoints.ts", "CONFIG_PATH"),
        ("web/src/status/status.ts", "STATUS_PATH"),
    ] {
        let request = ui_constant(file, name);
        assert_routed(&paths, &request, "funnel", &format!("{name} of {file}"));
    }
    for route in ui_routes() {
        let why =
            format!("the page's client-side route {route} (web/src/shared/routes.ts), on a reload");
        assert_routed(&paths, &route, "funnel", &why);
        assert_routed(&paths, &format!("{route}/"), "funnel", &why);
    }
}

#[test]
fn the_pages_calls_reach_the_gateway_and_the_stream() {
    let paths = ingress_paths(&manifests());
    let timers = ui_constant("web/src/timers/timerApi.ts", "TIMERS_PATH");
    assert_routed(
        &paths,
        &timers,
        "gateway",
        "TIMERS_PATH of web/src/timers/timerApi.ts",
    );
    assert_routed(
        &paths,
        &format!("{timers}/some-id"),
        "gateway",
        "a timer of web/src/timers/timerApi.ts",
    );
    for (file, name) in [
        ("web/src/timers/timerApi.ts", "EVENTS_PATH"),
        ("web/src/random/randomStore.ts", "RANDOM_STREAM_PATH"),
    ] {
        let request = ui_constant(file, name);
        assert_routed(&paths, &request, "stream", &format!("{name} of {file}"));
    }
    for request in ["/stream", "/stream/time", "/stream/timers"] {
        assert_routed(&paths, request, "stream", "the stream's event streams");
    }
}

#[test]
fn every_ingress_backend_is_a_service_port() {
    let objects = manifests();
    for path in ingress_paths(&objects) {
        let service = find(&objects, "Service", &path.service);
        let ports = service
            .value
            .pointer("/spec/ports")
            .and_then(Value::as_array);
        let found = ports.into_iter().flatten().any(|port| {
            port.get("name") == Some(&path.port) || port.get("port") == Some(&path.port)
        });
        assert!(
            found,
            "{}: the path {} goes to port {} of {}, which has no such port",
            path.what,
            path.path,
            path.port,
            service.what()
        );
    }
}

#[test]
fn long_lived_connections_are_not_cut_or_buffered_by_nginx() {
    for ingress in manifests().iter().filter(|o| o.kind() == "Ingress") {
        let what = ingress.what();
        let annotation = |key: &str| {
            ingress
                .value
                .pointer(&format!(
                    "/metadata/annotations/nginx.ingress.kubernetes.io~1{key}"
                ))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        assert_eq!(
            annotation("proxy-buffering").as_deref(),
            Some("off"),
            "{what}: SSE needs proxy-buffering: off"
        );
        let timeout: u64 = annotation("proxy-read-timeout")
            .and_then(|t| t.parse().ok())
            .unwrap_or_else(|| panic!("{what}: no proxy-read-timeout in seconds"));
        assert!(
            timeout >= 600,
            "{what}: proxy-read-timeout {timeout}s would cut idle WebSockets and event streams"
        );
    }
}

#[test]
fn routing_is_emulated_as_kubernetes_does() {
    let path = |path: &str, exact: bool, service: &str| IngressPath {
        path: path.to_owned(),
        exact,
        service: service.to_owned(),
        port: Value::Null,
        what: String::new(),
    };
    let paths = [
        path("/", false, "root"),
        path("/random", false, "prefix"),
        path("/random/number", true, "exact"),
        path("/random/number/", false, "longer"),
    ];
    let served = |request: &str| route(&paths, request).map(|p| p.service.as_str());
    assert_eq!(served("/random/number"), Some("exact"));
    assert_eq!(served("/random/number/x"), Some("longer"));
    assert_eq!(served("/random"), Some("prefix"));
    assert_eq!(served("/random/"), Some("prefix"));
    assert_eq!(served("/randomly"), Some("root"));
    assert_eq!(served("/"), Some("root"));
}
