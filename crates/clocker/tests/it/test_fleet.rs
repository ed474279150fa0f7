//! The tests' fleet itself ([`TestFleet`]): every service a `clocker
//! serve` process of its own on the socket the fleet handed it, one started
//! again comes back on the same address, and none outlives the fleet.

use std::collections::BTreeSet;

use clocker_fleet::ServiceName;
use nix::sys::signal::kill;
use nix::unistd::Pid;

use crate::support::TestFleet;

fn pid_of(served_pid: u32) -> Pid {
    Pid::from_raw(i32::try_from(served_pid).expect("pids fit an i32"))
}

#[tokio::test]
async fn every_service_is_a_process_of_its_own_serving_the_socket_it_was_handed() {
    let mut fleet = TestFleet::start(&[]).await;
    let mut pids = BTreeSet::new();
    for (name, addr) in fleet.addrs() {
        let served = fleet.process(name);
        assert_eq!(served.addr, addr, "{name} serves the socket it was handed");
        assert_ne!(served.pid(), std::process::id(), "{name} runs in the test");
        assert!(pids.insert(served.pid()), "{name} shares a process");
    }
    assert_eq!(pids.len(), ServiceName::ALL.len());
    let zeromq = fleet.zeromq_endpoint().to_owned();
    assert_eq!(
        fleet.process(ServiceName::Timers).also_listening("zeromq"),
        zeromq
    );

    drop(fleet);
    for pid in pids {
        assert!(kill(pid_of(pid), None).is_err(), "{pid} outlived the fleet");
    }
}

#[tokio::test]
async fn a_service_started_again_is_a_new_process_on_the_same_address() {
    let mut fleet = TestFleet::start_only(&[ServiceName::Hours], &[]).await;
    let addr = fleet.addr(ServiceName::Hours);
    let before = fleet.process(ServiceName::Hours).pid();
    fleet.restart_service(ServiceName::Hours).await;
    let after = fleet.process(ServiceName::Hours);
    assert_ne!(after.pid(), before);
    assert_eq!(after.addr, addr);
    assert!(
        kill(pid_of(before), None).is_err(),
        "the old process is gone"
    );
    fleet.stop().await;
}
