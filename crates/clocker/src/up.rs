//! `clocker up`: the whole fleet, supervised — every service its own child
//! process, in dependency order, on the default ports or on ports picked
//! for it; stopped in reverse order on Ctrl-C, SIGTERM or SIGHUP.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clocker_fleet::{ServiceName, host_in_url, start_order};
use clocker_runtime::{
    CancellationToken, ConnectionLimits, LaunchError, inherited, shutdown_signal,
};
use clocker_supervisor::handover::{self, Listener};
use clocker_supervisor::output::{Output, SUPERVISOR, Stream};
use clocker_supervisor::{Supervisor, SupervisorConfig, control, runtime_dir};
use tokio::net::TcpListener;
use tokio::signal::unix::{SignalKind, signal};

/// What `clocker up` was asked for.
#[derive(Debug, Clone)]
pub struct UpRequest {
    pub host: IpAddr,
    /// Ports picked for each service instead of the default ones.
    pub ephemeral: bool,
    /// Only these services, and what they require (empty: all).
    pub only: Vec<ServiceName>,
    pub kill_after: Duration,
    /// How long a service may take to stop before it is killed.
    pub grace: Duration,
    /// Where the services' lines and the supervisor's logs go.
    pub output: Output,
    /// The timer service's ZeroMQ endpoint, if given.
    pub zmq_addr: Option<String>,
    /// Where `clocker ps` asks (loopback).
    pub control_addr: SocketAddr,
    /// Settings for every service, as environment variables.
    pub env: Vec<(String, String)>,
    /// The control endpoint's connection budgets (the services get theirs
    /// through `env`).
    pub connections: ConnectionLimits,
}

/// How long, at exit, the last queued lines may take to be written.
const FINAL_FLUSH: Duration = Duration::from_secs(2);

/// Binds `addr` for `service`, to hand over to it.
fn listen(service: ServiceName, addr: SocketAddr) -> Result<Listener, LaunchError> {
    match handover::bind_listener(addr) {
        Ok(socket) => Ok(Listener::new(service.as_str(), socket)),
        Err(source) if source.kind() == std::io::ErrorKind::AddrInUse => {
            Err(LaunchError::PortInUse {
                service: service.as_str(),
                addr,
            })
        }
        Err(source) => Err(LaunchError::Bind {
            service: service.as_str(),
            addr,
            source,
        }),
    }
}

/// The address of a ZeroMQ `tcp://host:port` endpoint (`*` for every
/// interface), when it names one without a host name to resolve.
fn tcp_endpoint(endpoint: &str) -> Option<SocketAddr> {
    let address = endpoint.strip_prefix("tcp://")?;
    match address.strip_prefix("*:") {
        Some(port) => Some(SocketAddr::new(
            IpAddr::from([0, 0, 0, 0]),
            port.parse().ok()?,
        )),
        None => address.parse().ok(),
    }
}

/// Resolves on SIGHUP (the terminal `clocker up` runs in was closed),
/// listening from the moment it is called; without it SIGHUP would end the
/// supervisor at once and its services with it, none of them gracefully.
fn hangup_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    let installed = signal(SignalKind::hangup());
    async move {
        match installed {
            Ok(mut hangup) => {
                hangup.recv().await;
            }
            Err(err) => {
                tracing::error!(%err, "cannot listen for SIGHUP");
                std::future::pending::<()>().await;
            }
        }
    }
}

/// Sends `clocker up`'s own logs (filtered by `RUST_LOG`, default `info`)
/// through `output`'s stderr queue, so that logging never blocks it.
pub fn init_logging_through(output: &Output) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let output = output.clone();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(move || output.log_writer())
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .try_init();
}

/// Runs the supervised fleet until Ctrl-C, SIGTERM or SIGHUP; an error when it
/// cannot start, or when a service did not stop cleanly.
pub async fn run(request: UpRequest) -> anyhow::Result<()> {
    let stop = shutdown_signal();
    let hangup = hangup_signal();
    // Refuse a runtime directory someone else made before anything starts.
    runtime_dir::runtime_dir()?;
    let token = control::new_token().context("cannot make the control token")?;
    let wanted = if request.only.is_empty() {
        ServiceName::ALL.to_vec()
    } else {
        request.only.clone()
    };
    let order = start_order(&wanted, ServiceName::requires)?;
    // The supervisor binds every port itself, once, and hands each service
    // its own: a restart refuses no connection, and a port picked for the
    // fleet (port 0 with --ephemeral) stays the fleet's.
    let mut addrs = BTreeMap::new();
    let mut listeners = BTreeMap::new();
    for &name in &order {
        let port = if request.ephemeral {
            0
        } else {
            name.default_port()
        };
        let listener = listen(name, SocketAddr::new(request.host, port))?;
        addrs.insert(name, listener.local_addr()?);
        listeners.insert(name, vec![listener]);
    }
    let host = host_in_url(request.host);
    let zmq_wanted = match &request.zmq_addr {
        Some(endpoint) => endpoint.clone(),
        None if request.ephemeral => format!("tcp://{host}:0"),
        None => format!("tcp://{host}:8888"),
    };
    let zmq = match (
        listeners.get_mut(&ServiceName::Timers),
        tcp_endpoint(&zmq_wanted),
    ) {
        (Some(timers), Some(addr)) => {
            let mut listener = listen(ServiceName::Timers, addr)?;
            listener.name = inherited::ZEROMQ.to_owned();
            let bound = format!("tcp://{}", listener.local_addr()?);
            timers.push(listener);
            bound
        }
        // Not one the supervisor can bind (a host name): the service binds it.
        _ => zmq_wanted,
    };
    let program = std::env::current_exe().context("cannot find this program's path")?;
    let output = request.output.clone();
    let mut config = SupervisorConfig::new(program, request.output);
    config.services = order.clone();
    config.addrs = addrs.clone();
    config.listeners = listeners;
    config.extra_args = BTreeMap::from([(
        ServiceName::Timers,
        vec!["--zmq-addr".to_owned(), zmq.clone()],
    )]);
    config.env = request.env.clone();
    config.kill_after = request.kill_after;
    config.grace = request.grace;

    let control = TcpListener::bind(request.control_addr)
        .await
        .with_context(|| format!("cannot listen for clocker ps on {}", request.control_addr))?;
    let control_addr = control.local_addr()?;
    // The funnel's Status page asks the supervisor through this.
    config
        .env
        .push((control::CONTROL_VAR.to_owned(), control_addr.to_string()));
    config
        .env
        .push((control::TOKEN_VAR.to_owned(), token.clone()));
    let supervisor = Supervisor::start(config).await?;
    let stop_control = CancellationToken::new();
    let control_task = tokio::spawn(control::serve_control(
        control,
        supervisor.statuses(),
        request.connections.clone(),
        token.clone(),
        stop_control.clone(),
    ));

    let _published = control::ControlFile::publish(control_addr, &token)
        .context("cannot write supervisor.json for clocker ps")?;
    // Through the output queue, as everything the supervisor says from here
    // on: a stuck terminal must not stop it from draining its children.
    let mut table = Vec::new();
    print_addresses(&mut table, &addrs, &zmq, control_addr)?;
    say(&output, Stream::Stdout, &table);
    tokio::select! {
        () = stop => {}
        () = hangup => tracing::info!("SIGHUP received (the terminal closed), shutting down"),
    }
    say(
        &output,
        Stream::Stderr,
        b"stopping (in reverse order; Ctrl-C again to exit at once)",
    );
    let clean = supervisor.stop().await;
    stop_control.cancel();
    let _ = control_task.await;
    if clean {
        say(&output, Stream::Stdout, b"stopped");
    }
    // Written within a deadline: the terminal may be gone (SIGHUP) or stuck.
    let _ = tokio::task::spawn_blocking(move || output.flush_blocking(FINAL_FLUSH)).await;
    if !clean {
        bail!("not every service stopped cleanly (see the log above)");
    }
    Ok(())
}

/// Queues `text`'s lines on `stream` as the supervisor's.
fn say(output: &Output, stream: Stream, text: &[u8]) {
    for line in String::from_utf8_lossy(text).lines() {
        output.line(stream, SUPERVISOR, line.to_owned());
    }
}

fn print_addresses(
    out: &mut impl Write,
    addrs: &BTreeMap<ServiceName, SocketAddr>,
    zmq: &str,
    control: SocketAddr,
) -> std::io::Result<()> {
    for (name, addr) in addrs {
        let speaks = if name.speaks_http() { "http" } else { "grpc" };
        writeln!(out, "{:<13} {speaks}  {addr}", name.as_str())?;
        if *name == ServiceName::Timers {
            writeln!(out, "{:<13} zeromq {zmq}", name.as_str())?;
        }
    }
    let reachable = |name: ServiceName| {
        addrs.get(&name).map(|addr| {
            let mut addr = *addr;
            if addr.ip().is_unspecified() {
                // Listening on every interface: this machine reaches it on loopback.
                addr.set_ip(IpAddr::from([127, 0, 0, 1]));
            }
            addr
        })
    };
    if let (Some(gateway), Some(stream)) = (
        reachable(ServiceName::Gateway),
        reachable(ServiceName::Stream),
    ) {
        writeln!(
            out,
            "REST on http://{gateway}/ (see /openapi.json); SSE on http://{stream}/stream (test page http://{stream}/)"
        )?;
    }
    writeln!(
        out,
        "supervisor on {control}: clocker ps shows the services"
    )?;
    match reachable(ServiceName::Funnel) {
        Some(funnel) => writeln!(
            out,
            "ready: open http://{funnel}/ (frames on ws://{funnel}/ws); Ctrl-C stops"
        )?,
        None => writeln!(out, "ready; Ctrl-C stops")?,
    }
    out.flush()
}

/// Where `clocker ps` looks for the supervisor.
pub fn control_file() -> PathBuf {
    runtime_dir::runtime_dir_path().join(control::CONTROL_FILE)
}
