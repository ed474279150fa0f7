//! Starts clock services on free ports for a test, on the test's runtime.

use std::net::SocketAddr;

use clocker_proto::v1::{
    ComponentReply, ComponentRequest, current_time_client::CurrentTimeClient,
    hours_client::HoursClient, milliseconds_client::MillisecondsClient,
    minutes_client::MinutesClient, seconds_client::SecondsClient,
};
use clocker_runtime::{AddressBook, CancellationToken, RuntimeConfig, bind};
use clocker_time::{Clock, Component, launch_component, launch_current_time};
use tonic::transport::Channel;

/// current-time and the four component services, stopped on drop.
pub struct Clocks {
    pub addrs: Vec<(&'static str, SocketAddr)>,
    shutdown: CancellationToken,
}

impl Drop for Clocks {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl Clocks {
    pub async fn start(clock: Clock) -> Self {
        let shutdown = CancellationToken::new();
        // A generous budget: a loaded machine must not fail these tests.
        let settings = RuntimeConfig {
            budget: std::time::Duration::from_secs(2),
            ..RuntimeConfig::default()
        };
        let listener = bind("current-time", any_port()).await.expect("bind");
        let current = launch_current_time(listener, clock, &settings, shutdown.clone())
            .await
            .expect("current-time starts");
        let mut book = AddressBook::default();
        book.set(
            clocker_proto::v1::current_time_server::SERVICE_NAME,
            current.addr,
        );
        let mut addrs = vec![("current-time", current.addr)];
        for component in Component::ALL {
            let listener = bind(component.service(), any_port()).await.expect("bind");
            let launched = launch_component(
                component,
                listener,
                book.clone(),
                &settings,
                shutdown.clone(),
            )
            .await
            .expect("component starts");
            addrs.push((component.service(), launched.addr));
        }
        Clocks { addrs, shutdown }
    }

    pub fn addr(&self, name: &'static str) -> SocketAddr {
        self.addrs
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, addr)| *addr)
            .expect("started")
    }

    pub async fn channel(&self, name: &'static str) -> Channel {
        connect(self.addr(name)).await
    }

    pub async fn current_time(&self) -> CurrentTimeClient<Channel> {
        CurrentTimeClient::new(self.channel("current-time").await)
    }
    pub async fn hours(&self) -> HoursClient<Channel> {
        HoursClient::new(self.channel("hours").await)
    }
    pub async fn minutes(&self) -> MinutesClient<Channel> {
        MinutesClient::new(self.channel("minutes").await)
    }
    pub async fn seconds(&self) -> SecondsClient<Channel> {
        SecondsClient::new(self.channel("seconds").await)
    }
    pub async fn milliseconds(&self) -> MillisecondsClient<Channel> {
        MillisecondsClient::new(self.channel("milliseconds").await)
    }

    /// Hours, minutes, seconds and milliseconds for the same request.
    pub async fn ask_all(&self, request: ComponentRequest) -> [ComponentReply; 4] {
        let replies = [
            self.hours().await.get_hours(request.clone()).await,
            self.minutes().await.get_minutes(request.clone()).await,
            self.seconds().await.get_seconds(request.clone()).await,
            self.milliseconds().await.get_milliseconds(request).await,
        ];
        replies.map(|reply| reply.expect("every component answers").into_inner())
    }
}

/// A connected channel to a service listening at `addr`.
pub async fn connect(addr: SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .expect("uri")
        .connect()
        .await
        .expect("connects")
}

/// Any free port on loopback.
pub fn any_port() -> SocketAddr {
    "127.0.0.1:0".parse().expect("literal")
}

pub fn instant(rfc3339: &str) -> prost_types::Timestamp {
    let at: jiff::Timestamp = rfc3339.parse().expect("RFC 3339 literal");
    clocker_time::fields::timestamp_to_proto(at)
}
