//! `deploy/compose.yaml`: a container per service, as `clocker` runs it.

use std::collections::BTreeSet;

use clocker::cli::Command;
use clocker_fleet::ServiceName;
use serde_json::Value;

use crate::files::{
    assert_serves, parse_clocker, parse_serve, required_addresses, strings, text, uses_postgres,
    yaml_documents,
};

const FILE: &str = "deploy/compose.yaml";

fn compose() -> Value {
    let mut documents = yaml_documents(FILE);
    assert_eq!(documents.len(), 1, "{FILE}: expected one YAML document");
    documents.remove(0)
}

fn service<'a>(compose: &'a Value, name: &str) -> &'a Value {
    compose
        .pointer(&format!("/services/{name}"))
        .unwrap_or_else(|| panic!("{FILE}: no service '{name}'"))
}

/// `command:` as a list of arguments (a string is split on spaces, as compose does).
fn command(service: &Value, what: &str) -> Vec<String> {
    match service.get("command") {
        Some(Value::String(line)) => line.split_whitespace().map(str::to_owned).collect(),
        Some(list) => strings(list, what),
        None => panic!("{what}: no command (the image's default runs the funnel)"),
    }
}

/// `environment:` as (name, value) pairs, from a map or a list of `NAME=value`.
fn environment(service: &Value) -> Vec<(String, String)> {
    match service.get("environment") {
        None => Vec::new(),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(key, value)| {
                let value = match value {
                    Value::String(text) => text.clone(),
                    other => other.to_string(),
                };
                (key.clone(), value)
            })
            .collect(),
        Some(list) => strings(list, "environment")
            .into_iter()
            .map(|entry| match entry.split_once('=') {
                Some((key, value)) => (key.to_owned(), value.to_owned()),
                None => (entry, String::new()),
            })
            .collect(),
    }
}

/// The (host port, container port) pairs `ports:` publishes.
fn published(service: &Value, what: &str) -> Vec<(u16, u16)> {
    let Some(ports) = service.get("ports").and_then(Value::as_array) else {
        return Vec::new();
    };
    ports
        .iter()
        .map(|port| match port {
            Value::String(short) => {
                // [IP:]HOST:CONTAINER[/PROTOCOL]
                let short = short.split('/').next().unwrap_or(short);
                let mut parts = short.rsplit(':');
                let container = parts.next().and_then(|p| p.parse().ok());
                let host = parts.next().and_then(|p| p.parse().ok());
                match (host, container) {
                    (Some(host), Some(container)) => (host, container),
                    _ => panic!("{what}: cannot read the port '{short}' (expected HOST:CONTAINER)"),
                }
            }
            Value::Object(long) => {
                let number = |key: &str| {
                    long.get(key)
                        .and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()))
                        .and_then(|n| u16::try_from(n).ok())
                        .unwrap_or_else(|| panic!("{what}: a port without a numeric {key}: {port}"))
                };
                (number("published"), number("target"))
            }
            other => panic!("{what}: cannot read the port {other}"),
        })
        .collect()
}

#[test]
fn every_service_runs_in_a_container_clocker_accepts_on_its_default_port() {
    let compose = compose();
    let images: BTreeSet<&str> = ServiceName::ALL
        .iter()
        .map(|name| {
            let what = format!("{FILE}, service {name}");
            let service = service(&compose, name.as_str());
            let serve = parse_serve(&command(service, &what), &what);
            assert_serves(&serve, *name, &what);
            text(service, "/image", &what)
        })
        .collect();
    assert_eq!(
        images.len(),
        1,
        "{FILE}: every Clocker service should run the one image, not {images:?}"
    );
}

/// The doors compose publishes: what a browser uses (funnel, gateway,
/// stream) and what the seeds' own clients call directly (seed 002's ZeroMQ
/// client on timers' 8888, seed 004's gRPC clients on random's 50051).
fn public_doors() -> BTreeSet<(String, u16)> {
    let mut doors: BTreeSet<(String, u16)> = [
        ServiceName::Funnel,
        ServiceName::Gateway,
        ServiceName::Stream,
        ServiceName::Random,
    ]
    .iter()
    .map(|name| (name.as_str().to_owned(), name.default_port()))
    .collect();
    doors.insert((ServiceName::Timers.as_str().to_owned(), 8888));
    doors
}

/// What compose binds a published port to by default: loopback, unless
/// CLOCKER_PUBLISH_HOST says otherwise.
const PUBLISH_HOST: &str = "${CLOCKER_PUBLISH_HOST:-127.0.0.1}";

#[test]
fn only_the_public_doors_are_published_and_on_loopback() {
    let compose = compose();
    let mut got = BTreeSet::new();
    for name in ServiceName::ALL {
        let what = format!("{FILE}, service {name}");
        let service = service(&compose, name.as_str());
        for (host, container) in published(service, &what) {
            assert_eq!(
                host, container,
                "{what}: {container} is published as {host}"
            );
            got.insert((name.as_str().to_owned(), container));
        }
        for port in service
            .get("ports")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let short = port.as_str().unwrap_or_default();
            assert!(
                short.starts_with(&format!("{PUBLISH_HOST}:")),
                "{what}: '{short}' should be bound to {PUBLISH_HOST} (loopback by default), \
                 not every interface"
            );
        }
    }
    assert_eq!(
        got,
        public_doors(),
        "{FILE}: only the public doors should be published"
    );
}

#[test]
fn no_password_is_written_in_the_compose_file() {
    let compose = compose();
    let services = compose
        .get("services")
        .and_then(Value::as_object)
        .unwrap_or_else(|| panic!("{FILE}: no services"));
    for (name, service) in services {
        let env = environment(service);
        assert!(
            !env.iter().any(|(key, _)| key.contains("PASSWORD")),
            "{FILE}, service {name}: a password in the file (env: {env:?}); read it from .env"
        );
        let needs_password = name == "postgres"
            || ServiceName::ALL
                .iter()
                .any(|service| service.as_str() == name && uses_postgres(*service));
        if needs_password {
            let files = strings(
                service
                    .get("env_file")
                    .unwrap_or_else(|| panic!("{FILE}, service {name}: no env_file")),
                name,
            );
            assert_eq!(files, [".env"], "{FILE}, service {name}: env_file");
        }
    }
    let example = crate::files::read("deploy/.env.example");
    assert!(
        example.contains("POSTGRES_PASSWORD="),
        "deploy/.env.example"
    );
    let ignored = crate::files::read(".gitignore");
    assert!(
        ignored.lines().any(|line| line.trim() == ".env"),
        ".gitignore should keep .env files out of git"
    );
}

#[test]
fn every_service_is_health_checked_by_clocker_health() {
    let compose = compose();
    for name in ServiceName::ALL {
        let what = format!("{FILE}, service {name}, healthcheck");
        let healthcheck = service(&compose, name.as_str())
            .get("healthcheck")
            .unwrap_or_else(|| panic!("{what}: missing"));
        let test = strings(
            healthcheck
                .get("test")
                .unwrap_or_else(|| panic!("{what}: no test")),
            &what,
        );
        assert_eq!(
            test.first().map(String::as_str),
            Some("CMD"),
            "{what}: the test should be [CMD, clocker, health, {name}] (the image has no shell tools), not {test:?}"
        );
        assert_eq!(
            test.get(1).map(String::as_str),
            Some("clocker"),
            "{what}: {test:?} does not run clocker"
        );
        match parse_clocker(&test[2..]) {
            Ok(Command::Health { name: probed, .. }) => {
                assert_eq!(probed, name, "{what}: probes {probed} instead of {name}");
            }
            Ok(other) => panic!("{what}: {test:?} is not `clocker health {name}`: {other:?}"),
            Err(err) => panic!("{what}: clocker refuses {test:?}:\n{err}"),
        }
        for setting in ["interval", "timeout", "retries", "start_period"] {
            assert!(healthcheck.get(setting).is_some(), "{what}: no {setting}");
        }
    }
}

#[test]
fn every_service_waits_for_exactly_what_it_requires_and_is_told_where_it_is() {
    let compose = compose();
    for name in ServiceName::ALL {
        let what = format!("{FILE}, service {name}");
        let service = service(&compose, name.as_str());
        let mut wanted: BTreeSet<String> = name
            .requires()
            .iter()
            .map(|required| required.as_str().to_owned())
            .collect();
        if uses_postgres(name) {
            wanted.insert("postgres".to_owned());
        }
        let depends_on = service.get("depends_on");
        let got: BTreeSet<String> = match depends_on {
            None => BTreeSet::new(),
            Some(Value::Object(map)) => {
                for (dependency, how) in map {
                    assert_eq!(
                        how.get("condition").and_then(Value::as_str),
                        Some("service_healthy"),
                        "{what}: depends_on {dependency} should wait for condition: service_healthy"
                    );
                }
                map.keys().cloned().collect()
            }
            Some(other) => panic!(
                "{what}: depends_on should map each service to {{condition: service_healthy}}, not {other}"
            ),
        };
        assert_eq!(
            got,
            wanted,
            "{what}: depends_on should be exactly what {name} requires (clocker::requires){}",
            if uses_postgres(name) {
                " plus postgres"
            } else {
                ""
            }
        );
        let env = environment(service);
        for (variable, value) in required_addresses(name) {
            assert!(
                env.contains(&(variable.clone(), value.clone())),
                "{what}: environment should set {variable}={value} (env: {env:?})"
            );
        }
        if uses_postgres(name) {
            assert!(
                env.contains(&("POSTGRES_HOST".to_owned(), "postgres".to_owned())),
                "{what}: POSTGRES_HOST should be postgres, the database container (env: {env:?})"
            );
        }
    }
}

#[test]
fn the_funnel_gives_the_page_urls_a_browser_on_the_host_reaches() {
    let compose = compose();
    let what = format!("{FILE}, service funnel");
    let serve = parse_serve(&command(service(&compose, "funnel"), &what), &what);
    for (flag, url, target) in [
        ("--gateway-url", serve.gateway_url, ServiceName::Gateway),
        ("--stream-url", serve.stream_url, ServiceName::Stream),
    ] {
        let host_port = published(service(&compose, target.as_str()), &what)
            .into_iter()
            .find(|(_, container)| *container == target.default_port())
            .map(|(host, _)| host);
        let wanted = host_port.map(|port| format!("http://localhost:{port}"));
        assert_eq!(
            url, wanted,
            "{what}: {flag} should be {target}'s published port on localhost"
        );
    }
}

#[test]
fn postgres_is_health_checked_and_keeps_its_data_in_a_volume() {
    let compose = compose();
    let what = format!("{FILE}, service postgres");
    let postgres = service(&compose, "postgres");
    let image = text(postgres, "/image", &what);
    assert!(
        image.starts_with("postgres:15"),
        "{what}: image {image}, expected postgres:15"
    );
    let test = strings(
        postgres
            .pointer("/healthcheck/test")
            .unwrap_or_else(|| panic!("{what}: no healthcheck")),
        &what,
    );
    assert!(
        test.iter().any(|part| part.contains("pg_isready")),
        "{what}: the healthcheck should run pg_isready, not {test:?}"
    );
    let volumes = strings(
        postgres
            .get("volumes")
            .unwrap_or_else(|| panic!("{what}: no volume for its data")),
        &what,
    );
    let volume = volumes
        .iter()
        .find_map(|mount| mount.strip_suffix(":/var/lib/postgresql/data"))
        .unwrap_or_else(|| panic!("{what}: nothing mounted on /var/lib/postgresql/data"));
    assert!(
        compose.pointer(&format!("/volumes/{volume}")).is_some(),
        "{FILE}: the volume '{volume}' postgres uses is not declared under volumes:"
    );
}

#[test]
fn compose_runs_nothing_but_the_fleet_and_postgres() {
    let compose = compose();
    let services = compose
        .get("services")
        .and_then(Value::as_object)
        .unwrap_or_else(|| panic!("{FILE}: no services"));
    let mut wanted: BTreeSet<&str> = ServiceName::ALL.iter().map(|name| name.as_str()).collect();
    wanted.insert("postgres");
    let got: BTreeSet<&str> = services.keys().map(String::as_str).collect();
    assert_eq!(
        got, wanted,
        "{FILE}: services should be the fleet's, named as the services, and postgres"
    );
}
