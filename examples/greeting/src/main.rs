//! `greeting-client`: the client program of the greeting example. It
//! launches the greeting service on a thread of its own, locates it, asks it
//! for a greeting, prints it and exits (see the crate docs for the
//! walkthrough).
//!
//! Exit codes: 0 greeted, 1 the service refused the tongue, 2 the service
//! could not be launched or reached.

use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use clocker_proto::greeting::greeting_client::GreetingClient;
use clocker_proto::greeting::{FetchGreetingRequest, Tongue};
use clocker_runtime::{
    AddressBook, LaunchError, LocateError, Locator, RuntimeConfig, ServiceThread, bind,
    init_logging,
};
use tonic::transport::Channel;

/// Launches the greeting service, calls Greeting.FetchGreeting, prints the
/// greeting.
#[derive(Debug, Parser)]
#[command(
    name = "greeting-client",
    version,
    after_help = "Exit codes: 0 greeted, 1 the service refused the tongue, 2 the service could not be launched or reached."
)]
struct Cli {
    /// The tongue to be greeted in.
    #[arg(long, value_enum, default_value_t = Language::English)]
    tongue: Language,
    /// Send this raw `Tongue` number instead, to see how the service answers
    /// a tongue it does not know.
    #[arg(long, hide = true, conflicts_with = "tongue")]
    tongue_number: Option<i32>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Language {
    English,
    French,
    German,
}

impl From<Language> for Tongue {
    fn from(language: Language) -> Self {
        match language {
            Language::English => Tongue::English,
            Language::French => Tongue::French,
            Language::German => Tongue::German,
        }
    }
}

/// Why there is no greeting.
#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error("cannot launch the greeting service: {0}")]
    Launch(#[from] LaunchError),
    #[error("cannot locate the greeting service: {0}")]
    Locate(#[from] LocateError),
    #[error("the greeting service refused: {}", .0.message())]
    Refused(tonic::Status),
    #[error("cannot call the greeting service: {:?}: {}", .0.code(), .0.message())]
    Call(tonic::Status),
}

impl Failure {
    fn exit_code(&self) -> ExitCode {
        match self {
            Failure::Refused(_) => ExitCode::from(1),
            Failure::Launch(_) | Failure::Locate(_) | Failure::Call(_) => ExitCode::from(2),
        }
    }
}

/// Like any program, this one is single-threaded; the service gets a
/// thread (and runtime) of its own.
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // The runtime logs (such as "serving") only when asked to, so that
    // stdout is the greeting and stderr at most one line.
    if std::env::var_os("RUST_LOG").is_some() {
        init_logging();
    }
    let tongue = cli
        .tongue_number
        .unwrap_or_else(|| Tongue::from(cli.tongue).into());
    match greet(tongue).await {
        Ok(greeting) => {
            println!("{greeting}");
            ExitCode::SUCCESS
        }
        Err(failure) => {
            eprintln!("greeting-client: {failure}");
            failure.exit_code()
        }
    }
}

/// Launch, locate, call, stop.
async fn greet(tongue: i32) -> Result<String, Failure> {
    // Launch: resolves once the service serves, on a free port.
    let service = ServiceThread::start("greeting", |shutdown| async move {
        let any_port = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
        let listener = bind("greeting", any_port).await?;
        clocker_example_greeting::launch(listener, &RuntimeConfig::default(), shutdown).await
    })
    .await?;

    // Locate: only what the program declares it requires can be located.
    let mut book = AddressBook::default();
    book.set(
        clocker_proto::greeting::greeting_server::SERVICE_NAME,
        service.addr,
    );
    let locator = Locator::new(
        "greeting-client",
        &[clocker_proto::greeting::greeting_server::SERVICE_NAME],
        book,
    );
    let mut client: GreetingClient<Channel> = locator.locate()?;

    // Call.
    let answer = client.fetch_greeting(FetchGreetingRequest { tongue }).await;

    // Exit: stop the service (it drains) whatever the answer was.
    service.stop().await;
    match answer {
        Ok(response) => Ok(response.into_inner().greeting),
        Err(status) if status.code() == tonic::Code::InvalidArgument => {
            Err(Failure::Refused(status))
        }
        Err(status) => Err(Failure::Call(status)),
    }
}
