//! `clocker`: run the whole fleet (`up`), one service (`serve NAME`), probe
//! one (`health NAME`), ask the clock services for the time (`time`), or use
//! an account (`account`). The command line itself is `clocker::cli`.
//!
//! Exit status: 0 done, 1 failed (one line on stderr, `clocker: …`), 2 a
//! command line clap refused, 130 a client command stopped by Ctrl-C.

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::FromArgMatches;
use clocker::cli::{Cli, Command, dotenv_file, forwarded_settings};
use clocker::client::Interrupted;
use clocker::up::UpRequest;
use clocker::{account, health, print_time, ps, random, timer, up};
use clocker_fleet::{FleetConfig, ServiceName, address_book_from_env, host_in_url, launch_service};
use clocker_runtime::{
    CancellationToken, adopt_listeners, bind, init_logging, shutdown_signal, stop_signal,
};
use clocker_supervisor::handover::exec_with_listen_pid;
use clocker_supervisor::output::Output;
use clocker_supervisor::probe::Probe;

/// After the first Ctrl-C or SIGTERM started a graceful stop, a second one
/// ends the process at once.
fn exit_on_second_signal() {
    let again = stop_signal();
    tokio::spawn(async move {
        again.await;
        eprintln!("interrupted again: exiting without waiting for the drain");
        std::process::exit(130);
    });
}

/// Under `clocker up`, the kernel kills this service when the supervisor
/// dies, however it dies: no orphans.
#[cfg(target_os = "linux")]
fn die_with_supervisor(supervisor: &str) -> anyhow::Result<()> {
    nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL)
        .context("cannot ask to end with the supervisor")?;
    // It may have died before the request took effect.
    if nix::unistd::getppid().as_raw().to_string() != supervisor {
        bail!("the supervisor (pid {supervisor}) is gone");
    }
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn die_with_supervisor(_supervisor: &str) -> anyhow::Result<()> {
    Ok(())
}

/// Arms [`exit_on_second_signal`] when the first signal arrives.
fn exit_on_second_signal_after_first() {
    let first = stop_signal();
    tokio::spawn(async move {
        first.await;
        exit_on_second_signal();
    });
}

fn main() -> std::process::ExitCode {
    // `serve` and `up` may take settings from a .env file in the working
    // directory (never a parent's); real environment variables win over it,
    // and flags over both.
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // Started by `clocker up` with listeners: run again with LISTEN_PID set.
    if let Some(err) = exec_with_listen_pid(&args) {
        eprintln!("clocker: cannot run again with the listeners handed over: {err}");
        return std::process::ExitCode::FAILURE;
    }
    let dotenv = match std::env::current_dir()
        .ok()
        .and_then(|cwd| dotenv_file(&args, &cwd))
    {
        Some(file) => dotenvy::from_path(file),
        None => Ok(()),
    };
    let matches = clocker::cli::command().get_matches_from(args);
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(err) => err.exit(),
    };
    // Settings given to `up` on its command line go to every service it starts.
    let forwarded = matches
        .subcommand_matches("up")
        .map(forwarded_settings)
        .unwrap_or_default();
    // Under `up`, the supervisor's own logs queue behind its children's
    // lines and never block it.
    let output = match &cli.command {
        Command::Up {
            log_queue_lines,
            log_format,
            ..
        } => match Output::start(*log_queue_lines, *log_format) {
            Ok(output) => {
                up::init_logging_through(&output);
                Some(output)
            }
            Err(err) => {
                eprintln!("clocker: cannot start the output writers: {err}");
                return std::process::ExitCode::FAILURE;
            }
        },
        command if command.is_client() => {
            clocker::client::init_logging(cli.verbose);
            None
        }
        _ => {
            init_logging();
            None
        }
    };
    if let Err(err) = dotenv
        && !err.not_found()
    {
        eprintln!("clocker: cannot read .env: {err}");
        return std::process::ExitCode::FAILURE;
    }
    // Listeners handed over (systemd, `clocker up`), taken before any thread starts.
    if matches!(cli.command, Command::Serve { .. })
        && let Err(err) = adopt_listeners()
    {
        eprintln!("clocker: {err}");
        return std::process::ExitCode::FAILURE;
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("clocker: cannot start the async runtime: {err}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let at_exit = output.clone();
    let result = runtime.block_on(run(cli.command, forwarded, output));
    // Whatever the services said last (why one could not start) is written
    // before the verdict, within a deadline.
    if let Some(output) = at_exit {
        output.flush_blocking(Duration::from_secs(2));
    }
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) if err.is::<Interrupted>() => std::process::ExitCode::from(130),
        Err(err) => {
            eprintln!("clocker: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(
    command: Command,
    forwarded: Vec<(String, String)>,
    output: Option<Output>,
) -> anyhow::Result<()> {
    match command {
        Command::Up {
            host,
            ephemeral,
            only,
            kill_after,
            control_addr,
            service,
            ..
        } => {
            let output = output.context("the output writers of clocker up")?;
            // Check the settings here, once, before any service starts.
            let zmq_addr = service.zmq_addr.clone();
            let drain = service.drain;
            let connections = service.connections.limits();
            service.config()?;
            let request = UpRequest {
                host,
                ephemeral,
                only,
                kill_after,
                grace: drain + Duration::from_secs(1),
                output,
                zmq_addr,
                control_addr,
                env: forwarded,
                connections,
            };
            exit_on_second_signal_after_first();
            up::run(request).await
        }
        Command::Ps { control, json } => ps::run(control, json).await,
        Command::Serve {
            name,
            addr,
            host,
            mut service,
        } => {
            // Without --addr the service listens on --host, and so does
            // timers' ZeroMQ socket without --zmq-addr.
            let addr = addr.unwrap_or_else(|| SocketAddr::new(host, name.default_port()));
            if service.zmq_addr.is_none() {
                service.zmq_addr = Some(format!("tcp://{}:8888", host_in_url(host)));
            }
            serve(name, addr, service.config()?).await
        }
        Command::Health {
            name,
            addr,
            host,
            timeout,
            live,
            json,
        } => {
            let probe = if live {
                Probe::Liveness
            } else {
                Probe::Readiness
            };
            health::run(
                name,
                health::probe_addr(name, addr, host),
                probe,
                timeout,
                json,
            )
            .await
        }
        Command::Time(command) => print_time(command, address_book_from_env()?).await,
        Command::Account { command } => {
            account::run(command, address_book_from_env()?, &account::config_dir()).await
        }
        Command::Random { command } => random::run(command, address_book_from_env()?).await,
        Command::Timer(command) => {
            let token = account::saved_token(&account::config_dir());
            timer::run(command, token).await
        }
    }
}

async fn serve(name: ServiceName, addr: SocketAddr, options: FleetConfig) -> anyhow::Result<()> {
    if let Ok(supervisor) = std::env::var(clocker_supervisor::SUPERVISOR_PID_VAR) {
        die_with_supervisor(&supervisor)?;
    }
    let book = address_book_from_env()?;
    let stop = shutdown_signal();
    let shutdown = CancellationToken::new();
    let listener = bind(name.as_str(), addr).await?;
    let launched = launch_service(name, listener, book, &options, shutdown.clone()).await?;
    println!("{name} listening on {}", launched.addr);
    for also in &launched.other_endpoints {
        println!("{name} also listening on {also}");
    }
    std::io::stdout().flush()?;
    let stopping = tokio::spawn(async move {
        stop.await;
        exit_on_second_signal();
        shutdown.cancel();
    });
    let result = launched.stopped().await;
    stopping.abort();
    result.with_context(|| format!("{name} stopped with an error"))
}
