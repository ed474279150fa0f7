//! `clocker health NAME`: one probe of one service
//! ([`clocker_supervisor::probe`]): of its readiness by default (gRPC health
//! for `""`, `GET /health` for the HTTP services; what compose's
//! healthchecks ask), or with `--live` of its liveness (`clocker.liveness`,
//! `GET /livez`; what `clocker up` probes). Containers' healthchecks run it,
//! so an image needs no curl.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use anyhow::bail;
use clocker_fleet::ServiceName;
use clocker_supervisor::probe::{Probe, Prober};

use crate::client::print_json;

/// Where `clocker health` probes `name`: `addr` when given (`--addr`, else
/// `CLOCKER_LISTEN`), else `host` (`CLOCKER_HOST`) on the service's default
/// port — where `clocker serve` listens given the same environment — with
/// an unspecified address (`0.0.0.0`, `::`) read as loopback.
pub fn probe_addr(name: ServiceName, addr: Option<SocketAddr>, host: IpAddr) -> SocketAddr {
    let mut addr = addr.unwrap_or_else(|| SocketAddr::new(host, name.default_port()));
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr.ip() {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
        });
    }
    addr
}

/// Probes `name` at `addr` once, of `probe`: prints one line (with `json`,
/// one JSON object) and returns `Ok` when it answers healthy within
/// `timeout`, else an error saying what was probed and what failed (for
/// readiness, the service's own reason).
pub async fn run(
    name: ServiceName,
    addr: SocketAddr,
    probe: Probe,
    timeout: Duration,
    json: bool,
) -> anyhow::Result<()> {
    let prober = Prober::asking(probe, name, addr);
    let kind = prober.describe();
    let what = match probe {
        Probe::Liveness => ("live", "not live"),
        Probe::Readiness => ("ready", "not ready"),
    };
    let checked = prober.check(timeout).await;
    if json {
        print_json(&serde_json::json!({
            "service": name.as_str(),
            "addr": addr.to_string(),
            "probe": what.0,
            "healthy": checked.is_ok(),
            "round_trip_ms": checked.as_ref().ok().map(|rtt| rtt.as_secs_f64() * 1e3),
            "error": checked.as_ref().err().map(ToString::to_string),
        }))?;
    }
    match checked {
        Ok(round_trip) => {
            if !json {
                println!(
                    "{name} at {addr} is {} ({kind} in {:.1} ms)",
                    what.0,
                    round_trip.as_secs_f64() * 1e3
                );
            }
            Ok(())
        }
        Err(why) => bail!("{name} at {addr} is {}: {kind}: {why}", what.1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unspecified_address_is_probed_on_loopback() {
        let any: SocketAddr = "0.0.0.0:9000".parse().expect("literal");
        assert_eq!(
            probe_addr(
                ServiceName::Hours,
                Some(any),
                IpAddr::V4(Ipv4Addr::LOCALHOST)
            ),
            "127.0.0.1:9000".parse().expect("literal")
        );
        assert_eq!(
            probe_addr(ServiceName::Funnel, None, "::".parse().expect("literal")),
            "[::1]:8080".parse().expect("literal")
        );
        let there: SocketAddr = "10.0.0.5:50001".parse().expect("literal");
        assert_eq!(
            probe_addr(
                ServiceName::Hours,
                Some(there),
                IpAddr::V4(Ipv4Addr::LOCALHOST)
            ),
            there
        );
    }
}
