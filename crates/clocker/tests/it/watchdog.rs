//! No service's thread stalls: each service runs in-process on its single
//! thread, as `clocker serve` runs it, with a watchdog task on that same
//! thread, while the test drives the paths that used to block it (the first
//! gzipped load of the UI, the tick loop's start, clients' unusual zones, the
//! accounts service's launch and its logins). Any stall over `MAX_STALL`
//! fails the test, naming what the test was doing.
//!
//! What a stall is, on a loaded 2-core machine: the watchdog (`watch`) wakes
//! every millisecond and measures how late it woke. Lateness has two causes: the
//! thread was busy or blocked (work on the service thread: a hash, a gzip, a
//! blocking `recv`, a file read), or the thread was ready but did not get a
//! CPU (other tests, other builds, or, in a virtual machine, a host that
//! lent the CPU elsewhere). Only the first is the service's fault, so the
//! watchdog subtracts the second, as the kernel counts it: the time this
//! thread spent runnable but waiting for a CPU (`/proc/thread-self/schedstat`,
//! second field, in ns) plus the CPU time the host stole meanwhile
//! (`/proc/stat`, `steal`, of all CPUs: generous, never unfair to the
//! service). What remains is the time the thread itself was not free to run
//! its tasks, however starved the machine is. A control test blocks the
//! thread on purpose and checks that the watchdog sees it.
//!
//! The bar is the 20 ms, and 10 ms while the funnel serves the UI
//! (bytes built into the binary): the old compression at the first request
//! kept the funnel's thread 13–15 ms on this machine, which 20 ms would let
//! pass. After the fixes the worst stall these tests see is 1–5 ms.

mod watch;

use std::net::SocketAddr;
use std::time::Duration;

use clocker_fleet::ServiceName;
use clocker_fleet::{FleetConfig, launch_service};
use clocker_proto::v1::accounts_client::AccountsClient;
use clocker_proto::v1::current_time_client::CurrentTimeClient;
use clocker_proto::v1::hours_client::HoursClient;
use clocker_proto::v1::{ComponentRequest, CurrentTimeRequest, LoginRequest, RegisterRequest};
use clocker_runtime::{AddressBook, LaunchError, Launched, ServiceThread};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, timeout};

use crate::support::{PATIENCE, Served, TestFleet, connect, frames_until, in_process_options};
use watch::{PERIOD, SERVING_STATIC_BYTES, Watchdog};

/// Starts `name` on a thread of its own as `clocker serve` does, with a
/// watchdog on that thread from before its launch.
///
/// It is launched (and stopped) once unwatched first: the first launch in
/// this process also pays for reading its code from the disk, and a page
/// fault waits on the disk, which neither the run-queue delay nor steal
/// time excuse (a loaded CI machine showed 42 ms stalls from it). The
/// watched launch does all the same work again: a hash, a compression or a
/// blocking wait in the launch stalls it just the same.
async fn watched(
    name: ServiceName,
    book: AddressBook,
    options: FleetConfig,
    watchdog: &Watchdog,
) -> ServiceThread {
    let (warm_book, warm_options) = (book.clone(), options.clone());
    let warm_up = ServiceThread::start(name.as_str(), move |shutdown| async move {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        launch_service(name, listener, warm_book, &warm_options, shutdown).await
    })
    .await
    .unwrap_or_else(|err| panic!("{name} starts: {err}"));
    warm_up.stop().await;
    watched_launch(name, watchdog, move |listener, shutdown| async move {
        launch_service(name, listener, book, &options, shutdown).await
    })
    .await
}

/// [`watched`] with any launch.
async fn watched_launch<F, Fut>(name: ServiceName, watchdog: &Watchdog, launch: F) -> ServiceThread
where
    F: FnOnce(TcpListener, clocker_runtime::CancellationToken) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Launched, LaunchError>>,
{
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.set_nonblocking(true).expect("nonblocking");
    let watchdog = watchdog.clone();
    watchdog.doing("launch");
    ServiceThread::start(name.as_str(), move |shutdown| async move {
        tokio::spawn(watchdog.watch());
        // Let the watchdog take its first reading before the launch runs.
        tokio::task::yield_now().await;
        let listener = TcpListener::from_std(listener).expect("a tokio listener");
        launch(listener, shutdown).await
    })
    .await
    .unwrap_or_else(|err| panic!("{name} starts: {err}"))
}

/// The address book of `fleet`'s services.
fn book_of(fleet: &TestFleet) -> AddressBook {
    let mut book = AddressBook::default();
    for (name, addr) in fleet.addrs() {
        book.set(name.contract(), addr);
    }
    book
}

/// `GET path` with `Accept-Encoding: gzip`: the status line and the whole
/// response's length.
async fn get_gzipped(addr: SocketAddr, path: &str) -> (String, usize) {
    let mut stream = TcpStream::connect(addr).await.expect("connects");
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.expect("writes");
    let mut response = Vec::new();
    timeout(PATIENCE, stream.read_to_end(&mut response))
        .await
        .expect("answers in time")
        .expect("reads");
    let head = String::from_utf8_lossy(&response[..response.len().min(200)]).into_owned();
    (head, response.len())
}

/// The control: a thread blocked on purpose is seen as stalled, however
/// loaded the machine.
#[tokio::test]
async fn the_watchdog_sees_a_blocked_service_thread() {
    let watchdog = Watchdog::default();
    let service = watched_launch(ServiceName::CurrentTime, &watchdog, |listener, shutdown| {
        let options = FleetConfig::default();
        async move {
            // A first wake, then 60 ms blocked.
            tokio::time::sleep(PERIOD * 3).await;
            std::thread::sleep(Duration::from_millis(60));
            launch_service(
                ServiceName::CurrentTime,
                listener,
                AddressBook::default(),
                &options,
                shutdown,
            )
            .await
        }
    })
    .await;
    watchdog.settle().await;
    service.stop().await;
    let (worst, during) = watchdog.worst();
    assert!(
        worst >= Duration::from_millis(40),
        "a 60 ms block was seen as {worst:?}"
    );
    assert_eq!(during, "launch");
}

/// The funnel: its launch (the tick loop's start), the first gzipped load
/// of every file of the UI, and a client in a zone nobody asked for before.
#[tokio::test]
async fn the_funnels_thread_never_stalls() {
    let fleet = TestFleet::start_only(&[ServiceName::Funnel], &[]).await;
    let watchdog = Watchdog::default();
    let funnel = watched(
        ServiceName::Funnel,
        book_of(&fleet),
        in_process_options(),
        &watchdog,
    )
    .await;

    watchdog.doing_within("the first gzipped load of the UI", SERVING_STATIC_BYTES);
    let (head, _) = get_gzipped(funnel.addr, "/").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let index = crate::support::http_get(funnel.addr, "/").await;
    let start = index.find("/assets/").expect(
        "the UI is built into the binary (make web; `make test` builds it before the tests)",
    );
    for asset in index[start..]
        .split('"')
        .filter(|s| s.starts_with("/assets/"))
    {
        let (head, _) = get_gzipped(funnel.addr, asset).await;
        assert!(head.starts_with("HTTP/1.1 200"), "{asset}: {head}");
        assert!(
            head.to_ascii_lowercase().contains("content-encoding: gzip"),
            "{asset} is sent gzipped: {head}"
        );
    }

    watchdog.doing("a WebSocket client in an unusual zone");
    let mut socket = connect(funnel.addr, "?tz=america/argentina/ComodRivadavia").await;
    frames_until(&mut socket, |frame| frame.hours.is_some()).await;
    drop(socket);

    watchdog.settle().await;
    funnel.stop().await;
    fleet.stop().await;
    watchdog.assert_never_stalled(ServiceName::Funnel);
}

/// The funnel's launch while current-time accepts connections but never
/// answers: its first read waits out the budget, which must not be a wait
/// of the funnel's thread.
#[tokio::test]
async fn the_funnels_thread_never_waits_for_its_first_read() {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let fleet = TestFleet::start_only(&[ServiceName::Funnel], &[]).await;
    let mut book = book_of(&fleet);
    book.set(
        ServiceName::CurrentTime.contract(),
        silent.local_addr().expect("bound"),
    );
    let mut options = in_process_options();
    options.settings.budget = Duration::from_millis(200);
    let watchdog = Watchdog::default();
    let started = Instant::now();
    let funnel = watched(ServiceName::Funnel, book, options, &watchdog).await;
    let launched_in = started.elapsed();
    watchdog.settle().await;
    funnel.stop().await;
    fleet.stop().await;
    drop(silent);
    assert!(launched_in < PATIENCE, "{launched_in:?}");
    watchdog.assert_never_stalled(ServiceName::Funnel);
}

/// current-time and hours, asked for zones nobody asked for before, in
/// names of any case and in old aliases.
#[tokio::test]
async fn the_clock_services_threads_never_stall_on_a_new_zone() {
    let options = in_process_options();
    let current_watchdog = Watchdog::default();
    let current_time = watched(
        ServiceName::CurrentTime,
        AddressBook::default(),
        options.clone(),
        &current_watchdog,
    )
    .await;
    let mut book = AddressBook::default();
    book.set(ServiceName::CurrentTime.contract(), current_time.addr);
    let hours_watchdog = Watchdog::default();
    let hours = watched(ServiceName::Hours, book, options, &hours_watchdog).await;

    current_watchdog.doing("zones asked for the first time");
    hours_watchdog.doing("zones asked for the first time");
    let mut clock = CurrentTimeClient::connect(format!("http://{}", current_time.addr))
        .await
        .expect("connects");
    let mut component = HoursClient::connect(format!("http://{}", hours.addr))
        .await
        .expect("connects");
    for (asked, named) in [
        ("pacific/chatham", "Pacific/Chatham"),
        ("asia/calcutta", "Asia/Kolkata"),
        ("antarctica/troll", "Antarctica/Troll"),
    ] {
        let reply = clock
            .get_current_time(CurrentTimeRequest { tz: asked.into() })
            .await
            .unwrap_or_else(|err| panic!("{asked}: {err}"))
            .into_inner();
        assert_eq!(reply.tz, named, "{asked}");
        component
            .get_hours(ComponentRequest {
                at: None,
                tz: asked.into(),
            })
            .await
            .unwrap_or_else(|err| panic!("{asked}: {err}"));
    }
    current_watchdog.settle().await;
    hours_watchdog.settle().await;
    hours.stop().await;
    current_time.stop().await;
    current_watchdog.assert_never_stalled(ServiceName::CurrentTime);
    hours_watchdog.assert_never_stalled(ServiceName::Hours);
}

/// Accounts: its launch, registrations and logins (known and unknown
/// names) all hash on the hashing pool, never on the service thread.
#[tokio::test]
async fn the_accounts_thread_never_stalls_on_a_hash() {
    let watchdog = Watchdog::default();
    let accounts = watched(
        ServiceName::Accounts,
        AddressBook::default(),
        in_process_options(),
        &watchdog,
    )
    .await;
    watchdog.doing("register and login");
    let mut client = AccountsClient::connect(format!("http://{}", accounts.addr))
        .await
        .expect("connects");
    client
        .register(RegisterRequest {
            username: "watched".into(),
            password: "a long enough password".into(),
            ..Default::default()
        })
        .await
        .expect("registered");
    client
        .login(LoginRequest {
            username: "watched".into(),
            password: "a long enough password".into(),
        })
        .await
        .expect("logged in");
    let unknown = client
        .login(LoginRequest {
            username: "nobody".into(),
            password: "a long enough password".into(),
        })
        .await
        .expect_err("no such user");
    assert_eq!(unknown.code(), tonic::Code::Unauthenticated, "{unknown:?}");
    watchdog.settle().await;
    accounts.stop().await;
    watchdog.assert_never_stalled(ServiceName::Accounts);
}

/// Every service launches, and settles, without stalling its thread (the
/// services the tests above do not drive further).
#[tokio::test]
async fn every_service_launches_without_stalling_its_thread() {
    let fleet = TestFleet::start(&[]).await;
    let mut options = in_process_options();
    options.timers.zmq_endpoint = "tcp://127.0.0.1:0".into();
    for name in ServiceName::ALL {
        let watchdog = Watchdog::default();
        let service = watched(name, book_of(&fleet), options.clone(), &watchdog).await;
        watchdog.doing("running");
        watchdog.settle().await;
        service.stop().await;
        watchdog.assert_never_stalled(name);
    }
    fleet.stop().await;
}

/// current-time reads zones from the tz database built into the binary,
/// never from the disk: a zoneinfo directory (`TZDIR`) with a false
/// Asia/Tokyo changes nothing.
#[tokio::test]
async fn zones_come_from_the_bundled_database_not_the_disk() {
    let zoneinfo = tempfile::tempdir().expect("a temporary directory");
    std::fs::create_dir(zoneinfo.path().join("Asia")).expect("mkdir");
    std::fs::write(zoneinfo.path().join("Asia/Tokyo"), utc_tzif()).expect("a zone file");
    let tzdir = zoneinfo.path().display().to_string();
    let served = Served::start("current-time", &[], &[("TZDIR", tzdir.as_str())]);
    let mut clock = CurrentTimeClient::connect(format!("http://{}", served.addr))
        .await
        .expect("connects");
    let reply = clock
        .get_current_time(CurrentTimeRequest {
            tz: "asia/tokyo".into(),
        })
        .await
        .expect("answers")
        .into_inner();
    assert_eq!(reply.tz, "Asia/Tokyo");
    let tokyo = jiff::tz::TimeZoneDatabase::bundled()
        .get("Asia/Tokyo")
        .expect("a zone");
    let hour = jiff::Timestamp::from_nanosecond(i128::from(reply.unix_nanos))
        .expect("in range")
        .to_zoned_datetime(tokyo)
        .hour();
    assert_eq!(
        &reply.time[..2],
        format!("{hour:02}"),
        "{reply:?} is not Tokyo's time (read from {tzdir}?)"
    );
}

/// A TZif (version 1) file for a zone always at UTC+0, named "UTC".
fn utc_tzif() -> Vec<u8> {
    let mut file = b"TZif".to_vec();
    file.extend([0u8; 16]); // version 1, reserved
    // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
    for count in [0u32, 0, 0, 0, 1, 4] {
        file.extend(count.to_be_bytes());
    }
    file.extend(0i32.to_be_bytes()); // utoff
    file.extend([0u8, 0]); // isdst, abbreviation index
    file.extend(b"UTC\0");
    file
}
