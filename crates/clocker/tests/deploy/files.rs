//! Reading the deployment files, and what `clocker` makes of a command line.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::FromArgMatches;
use clocker::cli::{Cli, Command};
use clocker_fleet::ServiceName;
use serde_json::Value;

/// The repository's root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `relative` (to the repository's root) as text.
pub fn read(relative: &str) -> String {
    let path = repo().join(relative);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|err| panic!("{relative}: cannot read {}: {err}", path.display()))
}

/// Every YAML document of `relative`, merge keys (`<<: *anchor`) applied, as JSON values.
pub fn yaml_documents(relative: &str) -> Vec<Value> {
    let text = read(relative);
    serde_norway::Deserializer::from_str(&text)
        .map(|document| {
            let mut value = <serde_norway::Value as serde::Deserialize>::deserialize(document)
                .unwrap_or_else(|err| panic!("{relative} is not valid YAML: {err}"));
            value
                .apply_merge()
                .unwrap_or_else(|err| panic!("{relative}: a merge key does not merge: {err}"));
            serde_json::to_value(&value)
                .unwrap_or_else(|err| panic!("{relative}: not representable as JSON: {err}"))
        })
        .filter(|document| !document.is_null())
        .collect()
}

/// A string field, or a failure naming where it was looked for.
pub fn text<'a>(value: &'a Value, pointer: &str, what: &str) -> &'a str {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{what}: no string at {pointer}"))
}

/// A list of strings (YAML flow or block sequence), or a failure naming it.
pub fn strings(value: &Value, what: &str) -> Vec<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("{what}: expected a list of strings, got {value}"))
        .iter()
        .map(|item| match item {
            Value::String(text) => text.clone(),
            Value::Number(number) => number.to_string(),
            other => panic!("{what}: expected a string, got {other}"),
        })
        .collect()
}

/// What `clocker` makes of `args` (without the program name), or why it refuses them.
pub fn parse_clocker(args: &[String]) -> Result<Command, String> {
    let argv = std::iter::once("clocker".to_owned()).chain(args.iter().cloned());
    let matches = clocker::cli::command()
        .try_get_matches_from(argv)
        .map_err(|err| err.render().to_string())?;
    Cli::from_arg_matches(&matches)
        .map(|cli| cli.command)
        .map_err(|err| err.render().to_string())
}

/// A `clocker serve` command line, as the container runs it.
#[derive(Debug)]
pub struct Serve {
    pub name: ServiceName,
    pub addr: SocketAddr,
    pub zmq_addr: Option<String>,
    pub gateway_url: Option<String>,
    pub stream_url: Option<String>,
}

/// `args` as `clocker serve NAME --addr …`, or a failure saying what is wrong in `what`.
pub fn parse_serve(args: &[String], what: &str) -> Serve {
    match parse_clocker(args) {
        Ok(Command::Serve {
            name,
            addr,
            host,
            service,
        }) => Serve {
            name,
            addr: addr.unwrap_or_else(|| SocketAddr::new(host, name.default_port())),
            zmq_addr: service.zmq_addr,
            gateway_url: service.gateway_url,
            stream_url: service.stream_url,
        },
        Ok(other) => panic!("{what}: {args:?} is not `clocker serve NAME`: {other:?}"),
        Err(err) => panic!("{what}: clocker refuses {args:?}:\n{err}"),
    }
}

/// Checks that `serve` runs `name` where other containers reach it: every
/// interface, on the service's default port (and timers' ZeroMQ on 8888).
pub fn assert_serves(serve: &Serve, name: ServiceName, what: &str) {
    assert_eq!(
        serve.name, name,
        "{what}: runs {} instead of {name}",
        serve.name
    );
    assert!(
        serve.addr.ip().is_unspecified() && serve.addr.port() == name.default_port(),
        "{what}: {name} listens on {} instead of 0.0.0.0:{} (its default port, on every interface)",
        serve.addr,
        name.default_port()
    );
    if name == ServiceName::Timers {
        assert_eq!(
            serve.zmq_addr.as_deref(),
            Some("tcp://0.0.0.0:8888"),
            "{what}: timers' ZeroMQ socket must listen on tcp://0.0.0.0:8888 (--zmq-addr)"
        );
    }
}

/// The services whose addresses `name` must be given, as `(variable, value)`
/// with the deployment's host names (the service names).
pub fn required_addresses(name: ServiceName) -> Vec<(String, String)> {
    name.requires()
        .iter()
        .map(|required| {
            (
                required.addr_env_var(),
                format!("{required}:{}", required.default_port()),
            )
        })
        .collect()
}

/// Whether `name` keeps its data in PostgreSQL when deployed.
pub fn uses_postgres(name: ServiceName) -> bool {
    matches!(name, ServiceName::Accounts | ServiceName::Timers)
}
