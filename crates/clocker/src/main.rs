//! `clocker`: run the whole fleet (`up`), one service (`serve NAME`), or ask
//! the clock services for the time (`time`).

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use clocker::{Fleet, Options, launch_service};
use clocker_funnel::{Assembler, FunnelConfig, REQUIRES};
use clocker_runtime::{
    AddressBook, CancellationToken, Locator, ServiceName, Settings, bind, init_logging,
    shutdown_signal,
};
use clocker_time::Clock;

/// Clocker: a live clock assembled from gRPC microservices.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run every service on this machine and print the URL to open.
    Up {
        /// Interface every service listens on.
        #[arg(long, env = "CLOCKER_HOST", default_value = "127.0.0.1")]
        host: IpAddr,
        /// Let the OS pick every port instead of the default ones.
        #[arg(long)]
        ephemeral: bool,
        #[command(flatten)]
        service: ServiceArgs,
    },
    /// Run one service: current-time, hours, minutes, seconds, milliseconds or funnel.
    ///
    /// The services it requires are found at CLOCKER_<SERVICE>_ADDR (for
    /// example CLOCKER_CURRENT_TIME_ADDR=127.0.0.1:50000), else on their default
    /// port on 127.0.0.1.
    Serve {
        /// The service to run.
        name: ServiceName,
        /// Where to listen [default: 127.0.0.1 on the service's default port]; port 0 picks one.
        #[arg(long, env = "CLOCKER_LISTEN")]
        addr: Option<SocketAddr>,
        #[command(flatten)]
        service: ServiceArgs,
    },
    /// Print the time, assembled through the clock services.
    Time {
        /// IANA time zone [default: this machine's].
        #[arg(long)]
        tz: Option<String>,
        /// Keep printing, one line per tick, until Ctrl-C.
        #[arg(long)]
        watch: bool,
        /// Time between lines with --watch.
        #[arg(long, default_value = "100ms", value_parser = parse_duration)]
        every: Duration,
        /// Print the JSON frame the funnel would send.
        #[arg(long)]
        json: bool,
    },
}

/// Settings every service takes (each uses the ones that concern it).
#[derive(Debug, Args)]
struct ServiceArgs {
    /// The longest a gRPC method may take before it answers DEADLINE_EXCEEDED.
    #[arg(long, env = "CLOCKER_BUDGET", default_value = "50ms", value_parser = parse_duration)]
    budget: Duration,
    /// How long in-flight calls may finish after Ctrl-C or SIGTERM.
    #[arg(long, env = "CLOCKER_DRAIN", default_value = "5s", value_parser = parse_duration)]
    drain: Duration,
    /// current-time's clock: system, offset:<duration> (offset:-90s),
    /// start:<RFC 3339> (a running clock that starts there) or frozen:<RFC 3339>.
    #[arg(long, env = "CLOCKER_CLOCK", default_value = "system")]
    clock: Clock,
    /// funnel: time between frames (50ms is 20 Hz).
    #[arg(long, env = "CLOCKER_TICK", default_value = "50ms", value_parser = parse_duration)]
    tick: Duration,
    /// funnel: time zone of clients that name none [default: this machine's].
    #[arg(long, env = "CLOCKER_TZ")]
    tz: Option<String>,
}

impl ServiceArgs {
    fn options(self) -> anyhow::Result<Options> {
        if self.tick.is_zero() {
            bail!("--tick must be longer than 0 (for example 50ms)");
        }
        if self.budget.is_zero() {
            bail!("--budget must be longer than 0 (for example 50ms)");
        }
        Ok(Options {
            settings: Settings {
                budget: self.budget,
                drain: self.drain,
                ..Settings::default()
            },
            clock: self.clock,
            funnel: FunnelConfig {
                tick: self.tick,
                default_zone: self.tz.unwrap_or_else(local_zone_name),
                ..FunnelConfig::default()
            },
        })
    }
}

fn parse_duration(input: &str) -> Result<Duration, String> {
    let signed: jiff::SignedDuration = input
        .parse()
        .map_err(|_| format!("'{input}' is not a duration (for example 50ms, 2s, 1m)"))?;
    Duration::try_from(signed).map_err(|_| format!("'{input}' must not be negative"))
}

fn local_zone_name() -> String {
    clocker_time::fields::zone_name(&clocker_time::fields::local_zone()).to_owned()
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    init_logging();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Up {
            host,
            ephemeral,
            service,
        } => up(host, ephemeral, service.options()?).await,
        Command::Serve {
            name,
            addr,
            service,
        } => serve(name, addr, service.options()?).await,
        Command::Time {
            tz,
            watch,
            every,
            json,
        } => time(tz, watch, every, json).await,
    }
}

async fn up(host: IpAddr, ephemeral: bool, options: Options) -> anyhow::Result<()> {
    let stop = shutdown_signal();
    let fleet = Fleet::start(host, ephemeral, options).await?;
    let mut out = std::io::stdout().lock();
    for (name, addr) in fleet.addrs() {
        let speaks = if name == ServiceName::Funnel {
            "http"
        } else {
            "grpc"
        };
        writeln!(out, "{:<13} {speaks}  {addr}", name.as_str())?;
    }
    let funnel = fleet.addr(ServiceName::Funnel);
    writeln!(
        out,
        "ready: open http://{funnel}/ (frames on ws://{funnel}/ws); Ctrl-C stops"
    )?;
    out.flush()?;
    drop(out);
    stop.await;
    fleet.stop().await;
    println!("stopped");
    Ok(())
}

async fn serve(
    name: ServiceName,
    addr: Option<SocketAddr>,
    options: Options,
) -> anyhow::Result<()> {
    let addr = addr.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], name.default_port())));
    let book = AddressBook::from_env()?;
    let stop = shutdown_signal();
    let shutdown = CancellationToken::new();
    let listener = bind(name, addr).await?;
    let launched = launch_service(name, listener, book, &options, shutdown.clone()).await?;
    println!("{name} listening on {}", launched.addr);
    std::io::stdout().flush()?;
    let stopping = tokio::spawn(async move {
        stop.await;
        shutdown.cancel();
    });
    let result = launched.stopped().await;
    stopping.abort();
    result.with_context(|| format!("{name} stopped with an error"))
}

async fn time(tz: Option<String>, watch: bool, every: Duration, json: bool) -> anyhow::Result<()> {
    let zone = tz.unwrap_or_else(local_zone_name);
    let zone = match jiff::tz::db().get(&zone) {
        Ok(found) => found.iana_name().unwrap_or(&zone).to_owned(),
        Err(_) => {
            bail!("unknown time zone '{zone}' (expected an IANA name such as Europe/Paris or UTC)")
        }
    };
    let book = AddressBook::from_env()?;
    let locator = Locator::for_program("clocker time", REQUIRES, book);
    let assembler = Assembler::locate(&locator, Duration::from_millis(500))?;
    let mut interval = tokio::time::interval(every);
    let mut seq = 0;
    let stop = shutdown_signal();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            () = &mut stop => return Ok(()),
        }
        seq += 1;
        let instant = assembler.read_instant().await;
        if let Err(status) = &instant
            && !watch
        {
            bail!(
                "current-time did not answer at {} ({}); is it running? (clocker up)",
                locator_hint(),
                status.message()
            );
        }
        let frame = assembler.frame(seq, &zone, &instant).await;
        if json {
            println!("{}", frame.to_json());
        } else if frame.degraded.is_empty() {
            println!("{}  {}", frame.time, frame.tz);
        } else {
            println!(
                "{}  {}  (not answering: {})",
                frame.time,
                frame.tz,
                frame.degraded.join(", ")
            );
        }
        if !watch {
            if frame.degraded.is_empty() {
                return Ok(());
            }
            bail!("not answering: {}", frame.degraded.join(", "));
        }
    }
}

fn locator_hint() -> String {
    std::env::var(ServiceName::CurrentTime.addr_env_var())
        .unwrap_or_else(|_| format!("127.0.0.1:{}", ServiceName::CurrentTime.default_port()))
}
