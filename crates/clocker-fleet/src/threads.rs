//! The whole fleet in one process: every service on its own thread with its
//! own single-threaded runtime, started in dependency order. Every port is
//! bound first, so each service is handed the address of every other one —
//! even of those started after it, as the gateway's CORS needs the funnel's
//! origin — and ports the OS picks work as well as the default ones.

use std::net::{IpAddr, SocketAddr};

use clocker_runtime::{AddressBook, LaunchError, ServiceThread, bind};
use tokio::net::TcpListener;

use crate::{DependencyCycle, FleetConfig, ServiceName, launch_service, start_order};

/// Why the fleet could not start.
#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    #[error(transparent)]
    Cycle(#[from] DependencyCycle),
    #[error(transparent)]
    Launch(#[from] LaunchError),
}

/// Running services, in the order they were started.
#[derive(Debug)]
pub struct ThreadedFleet {
    options: FleetConfig,
    book: AddressBook,
    running: Vec<(ServiceName, ServiceThread)>,
}

impl ThreadedFleet {
    /// Starts every service on `host`, each after what it requires: on its
    /// default port, or on a port the OS picks when `ephemeral`. On failure,
    /// what was started is stopped.
    pub async fn start(
        host: IpAddr,
        ephemeral: bool,
        options: FleetConfig,
    ) -> Result<Self, FleetError> {
        let order = start_order(&ServiceName::ALL, ServiceName::requires)?;
        let mut options = options;
        if ephemeral {
            options.timers.zmq_endpoint = format!("tcp://{}:0", host_in_url(host));
        }
        let mut fleet = ThreadedFleet {
            options,
            book: AddressBook::default(),
            running: Vec::new(),
        };
        let mut listeners = Vec::with_capacity(order.len());
        for name in order {
            let port = if ephemeral { 0 } else { name.default_port() };
            let listener = bind_std(name, SocketAddr::new(host, port)).await?;
            listeners.push((name, listener));
        }
        for (name, listener) in &listeners {
            let addr = listener.local_addr().map_err(|err| setup(*name, err))?;
            fleet.book.set(name.contract(), addr);
        }
        for (name, listener) in listeners {
            if let Err(err) = fleet.start_service(name, listener).await {
                fleet.stop().await;
                return Err(err.into());
            }
        }
        Ok(fleet)
    }

    /// Where `name` listens.
    ///
    /// # Panics
    /// When `name` was never started.
    pub fn addr(&self, name: ServiceName) -> SocketAddr {
        self.book
            .resolve(name.contract())
            .and_then(|addr| addr.parse().ok())
            .expect("started services are recorded by socket address")
    }

    /// The services and their addresses, in start order.
    pub fn addrs(&self) -> Vec<(ServiceName, SocketAddr)> {
        self.running
            .iter()
            .map(|(name, thread)| (*name, thread.addr))
            .collect()
    }

    /// Stops one service (as if it died); the others keep running.
    pub async fn stop_service(&mut self, name: ServiceName) {
        if let Some(index) = self
            .running
            .iter()
            .position(|(running, _)| *running == name)
        {
            self.running.remove(index).1.stop().await;
        }
    }

    /// Starts `name` again on the address it had.
    pub async fn restart_service(&mut self, name: ServiceName) -> Result<(), LaunchError> {
        self.stop_service(name).await;
        let listener = bind_std(name, self.addr(name)).await?;
        self.start_service(name, listener).await
    }

    /// Stops every service, in reverse start order.
    pub async fn stop(mut self) {
        while let Some((_, service)) = self.running.pop() {
            service.stop().await;
        }
    }

    async fn start_service(
        &mut self,
        name: ServiceName,
        listener: std::net::TcpListener,
    ) -> Result<(), LaunchError> {
        let book = self.book.clone();
        let options = self.options.clone();
        let thread = ServiceThread::start(name.as_str(), move |shutdown| async move {
            let listener = TcpListener::from_std(listener).map_err(|err| setup(name, err))?;
            launch_service(name, listener, book, &options, shutdown).await
        })
        .await?;
        self.running.push((name, thread));
        Ok(())
    }
}

/// Binds `addr` for `name`, to be served later on another thread's runtime.
async fn bind_std(
    name: ServiceName,
    addr: SocketAddr,
) -> Result<std::net::TcpListener, LaunchError> {
    bind(name.as_str(), addr)
        .await?
        .into_std()
        .map_err(|err| setup(name, err))
}

fn setup(service: ServiceName, err: std::io::Error) -> LaunchError {
    LaunchError::setup(service.as_str(), "cannot hand over the bound port")(err)
}

/// `host` as it goes in a URL (IPv6 in brackets).
pub fn host_in_url(host: IpAddr) -> String {
    match host {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    }
}
