//! `clocker account register|login|whoami|logout`: the accounts service from
//! the command line.
//!
//! Passwords are prompted for without echo on a terminal, or read as one
//! line from standard input (for scripts: `--password-stdin`, or whenever
//! stdin is not a terminal). The session token from `login` is kept in
//! `session.json` in the config directory, readable by the user alone
//! (mode 0600); `whoami` and `logout` use it.

mod session;

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Subcommand;
use clocker_fleet::ServiceName;
use clocker_proto::v1::accounts_client::AccountsClient;
use clocker_proto::v1::{LoginRequest, LogoutRequest, RegisterRequest, WhoAmIRequest};
use clocker_runtime::{AddressBook, Locator};
use tonic::transport::Channel;
use tonic::{Request, Status};

use crate::client::{call, print_json, with_deadline};
use crate::local_clock::Clock;
use session::{SESSION_FILE, SavedSession, load_session, save_session};
pub use session::{config_dir, saved_token};

/// What `clocker account` was asked to do: its subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum AccountCommand {
    /// Create an account (the password is asked twice, without echo).
    ///
    /// Example: clocker account register alice
    Register {
        /// 3-32 of a-z, 0-9, '_', '.', '-' (upper case is folded to lower); asked for when left out.
        username: Option<String>,
        /// Read the password as one line from standard input (for scripts).
        #[arg(long)]
        password_stdin: bool,
    },
    /// Log in, and keep the session so that your timers are your own.
    ///
    /// Example: clocker account login alice
    Login {
        /// Your username; asked for when left out.
        username: Option<String>,
        /// Read the password as one line from standard input (for scripts).
        #[arg(long)]
        password_stdin: bool,
    },
    /// Show who the saved session belongs to, and until when it is valid.
    ///
    /// Example: clocker account whoami --json
    #[command(name = "whoami")]
    WhoAmI {
        /// Print {"username":…,"id":…,"expires_at":…} instead of a sentence.
        #[arg(long)]
        json: bool,
    },
    /// End the saved session and forget it.
    ///
    /// Example: clocker account logout
    Logout,
}

/// How long one call may take (Register and Login hash a password).
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs one `clocker account` command against the accounts service in
/// `book`, keeping the session in `config_dir`.
pub async fn run(
    command: AccountCommand,
    book: AddressBook,
    config_dir: &Path,
) -> anyhow::Result<()> {
    let accounts = ServiceName::Accounts;
    let server = accounts.address_in(&book);
    let locator = Locator::new("clocker account", &[accounts.contract()], book);
    let client: AccountsClient<Channel> = locator.locate()?;
    let call = Caller { client, server };
    match command {
        AccountCommand::Register {
            username,
            password_stdin,
        } => {
            let (username, password) = read_credentials(username, password_stdin, true)?;
            let reply = call
                .send(
                    |mut client, request| async move { client.register(request).await },
                    RegisterRequest {
                        username,
                        password,
                        // Harmless to repeat: a retry answers this registration.
                        idempotency_key: uuid::Uuid::now_v7().to_string(),
                    },
                )
                .await?;
            let account = reply.account.context("the service sent no account")?;
            println!("registered {} (id {})", account.username, account.id);
        }
        AccountCommand::Login {
            username,
            password_stdin,
        } => {
            let (username, password) = read_credentials(username, password_stdin, false)?;
            let reply = call
                .send(
                    |mut client, request| async move { client.login(request).await },
                    LoginRequest { username, password },
                )
                .await?;
            let account = reply.account.context("the service sent no account")?;
            let expires_at = format_timestamp(reply.expires_at);
            let path = save_session(
                config_dir,
                &SavedSession {
                    username: account.username.clone(),
                    token: reply.token,
                    expires_at: expires_at.clone(),
                    server: call.server.clone(),
                },
            )?;
            println!(
                "logged in as {} until {}; session saved in {}",
                account.username,
                local_time(reply.expires_at),
                path.display()
            );
        }
        AccountCommand::WhoAmI { json } => {
            let saved = load_session(config_dir)?;
            let reply = call
                .send(
                    |mut client, request| async move { client.who_am_i(request).await },
                    WhoAmIRequest { token: saved.token },
                )
                .await?;
            let account = reply.account.context("the service sent no account")?;
            let expires_at = format_timestamp(reply.expires_at);
            if json {
                print_json(&serde_json::json!({
                    "username": account.username,
                    "id": account.id,
                    "expires_at": expires_at,
                }))?;
            } else {
                println!(
                    "{} (id {}), session valid until {}",
                    account.username,
                    account.id,
                    local_time(reply.expires_at)
                );
            }
        }
        AccountCommand::Logout => {
            let saved = load_session(config_dir)?;
            call.send(
                |mut client, request| async move { client.logout(request).await },
                LogoutRequest { token: saved.token },
            )
            .await?;
            let path = config_dir.join(SESSION_FILE);
            std::fs::remove_file(&path)
                .with_context(|| format!("cannot remove {}", path.display()))?;
            println!("logged out {}", saved.username);
        }
    }
    Ok(())
}

struct Caller {
    client: AccountsClient<Channel>,
    server: String,
}

impl Caller {
    /// Sends one request within the call timeout; failures read as
    /// [`crate::client::grpc_error`] reads them.
    async fn send<Req, Reply, F, Fut>(&self, method: F, message: Req) -> anyhow::Result<Reply>
    where
        F: FnOnce(AccountsClient<Channel>, Request<Req>) -> Fut,
        Fut: Future<Output = Result<tonic::Response<Reply>, Status>>,
    {
        let request = with_deadline(message, CALL_TIMEOUT);
        let asked = method(self.client.clone(), request);
        Ok(call("accounts", &self.server, CALL_TIMEOUT, asked).await?)
    }
}

/// The username (asked for when not `given`) and the password (asked twice
/// when `confirm`).
fn read_credentials(
    given: Option<String>,
    password_stdin: bool,
    confirm: bool,
) -> anyhow::Result<(String, String)> {
    Ok((
        read_username(given)?,
        read_password(password_stdin, confirm)?,
    ))
}

fn read_username(given: Option<String>) -> anyhow::Result<String> {
    if let Some(username) = given {
        return Ok(username);
    }
    if !std::io::stdin().is_terminal() {
        bail!("give the username as an argument (for example: clocker account login alice)");
    }
    eprint!("Username: ");
    std::io::stderr().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim().to_owned())
}

/// A password without echo on a terminal (twice when `confirm`), else one
/// line of standard input.
fn read_password(from_stdin: bool, confirm: bool) -> anyhow::Result<String> {
    if from_stdin || !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        let password = line.strip_suffix('\n').unwrap_or(&line);
        let password = password.strip_suffix('\r').unwrap_or(password);
        if password.is_empty() {
            bail!("no password on standard input");
        }
        return Ok(password.to_owned());
    }
    let password = rpassword::prompt_password("Password: ").context("cannot read the password")?;
    if confirm {
        let again = rpassword::prompt_password("Repeat the password: ")
            .context("cannot read the password")?;
        if again != password {
            bail!("the two passwords differ; nothing was registered");
        }
    }
    Ok(password)
}

/// `at` in this machine's zone, as a person reads it.
fn local_time(at: Option<prost_types::Timestamp>) -> String {
    let unix_ms = at.map(|at| at.seconds * 1000 + i64::from(at.nanos / 1_000_000));
    unix_ms.map_or_else(
        || "an unknown time".to_owned(),
        |ms| Clock::local().time_of(ms),
    )
}

/// `at` as an ISO instant, to the second (what `--json` and session.json say).
fn format_timestamp(at: Option<prost_types::Timestamp>) -> String {
    at.and_then(|at| jiff::Timestamp::new(at.seconds, at.nanos).ok())
        .map_or_else(
            || "an unknown time".to_owned(),
            |at| {
                at.round(jiff::Unit::Second)
                    .map_or_else(|_| at.to_string(), |at| at.to_string())
            },
        )
}
