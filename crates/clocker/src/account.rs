//! `clocker account register|login|whoami|logout`: the accounts service from
//! the command line.
//!
//! Passwords are prompted for without echo on a terminal, or read as one
//! line from standard input (for scripts: `--password-stdin`, or whenever
//! stdin is not a terminal). The session token from `login` is kept in
//! `session.json` in the config directory, readable by the user alone
//! (mode 0600); `whoami` and `logout` use it.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Subcommand;
use clocker_fleet::ServiceName;
use clocker_proto::v1::accounts_client::AccountsClient;
use clocker_proto::v1::{LoginRequest, LogoutRequest, RegisterRequest, WhoAmIRequest};
use clocker_runtime::{AddressBook, Locator};
use serde::{Deserialize, Serialize};
use tonic::transport::Channel;
use tonic::{Code, Request, Status};

/// What `clocker account` was asked to do: its subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum AccountCommand {
    /// Create an account (the password is asked twice, without echo).
    Register {
        /// 3-32 of a-z, 0-9, '_', '.', '-' (upper case is folded to lower).
        username: Option<String>,
        /// Read the password as one line from standard input (for scripts).
        #[arg(long)]
        password_stdin: bool,
    },
    /// Log in and keep the session token for the other commands.
    Login {
        username: Option<String>,
        /// Read the password as one line from standard input (for scripts).
        #[arg(long)]
        password_stdin: bool,
    },
    /// Show who the saved session belongs to.
    #[command(name = "whoami")]
    WhoAmI,
    /// End the saved session and forget its token.
    Logout,
}

/// How long one call may take (Register and Login hash a password).
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

const SESSION_FILE: &str = "session.json";

/// A session as saved by `login`.
#[derive(Debug, Serialize, Deserialize)]
struct SavedSession {
    username: String,
    token: String,
    expires_at: String,
    server: String,
}

/// Where `clocker account` keeps the session: `$CLOCKER_CONFIG_DIR`, else
/// `$XDG_CONFIG_HOME/clocker`, else `~/.config/clocker`.
pub fn config_dir() -> PathBuf {
    let from_env = |name: &str| std::env::var_os(name).filter(|value| !value.is_empty());
    if let Some(dir) = from_env("CLOCKER_CONFIG_DIR") {
        return PathBuf::from(dir);
    }
    if let Some(config_home) = from_env("XDG_CONFIG_HOME") {
        return PathBuf::from(config_home).join("clocker");
    }
    match from_env("HOME") {
        Some(home) => PathBuf::from(home).join(".config/clocker"),
        None => PathBuf::from(".clocker"),
    }
}

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
                "logged in as {} until {expires_at}; session saved in {}",
                account.username,
                path.display()
            );
        }
        AccountCommand::WhoAmI => {
            let saved = load_session(config_dir)?;
            let reply = call
                .send(
                    |mut client, request| async move { client.who_am_i(request).await },
                    WhoAmIRequest { token: saved.token },
                )
                .await?;
            let account = reply.account.context("the service sent no account")?;
            println!(
                "{} (id {}), session valid until {}",
                account.username,
                account.id,
                format_timestamp(reply.expires_at)
            );
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
    /// Sends one request with the call timeout; explains failures.
    async fn send<Req, Reply, F, Fut>(&self, method: F, message: Req) -> anyhow::Result<Reply>
    where
        F: FnOnce(AccountsClient<Channel>, Request<Req>) -> Fut,
        Fut: Future<Output = Result<tonic::Response<Reply>, Status>>,
    {
        let mut request = Request::new(message);
        request.set_timeout(CALL_TIMEOUT);
        let reply = tokio::time::timeout(CALL_TIMEOUT, method(self.client.clone(), request))
            .await
            .map_err(|_| {
                anyhow::anyhow!(
                    "the accounts service at {} did not answer within {} s",
                    self.server,
                    CALL_TIMEOUT.as_secs()
                )
            })?;
        reply.map(tonic::Response::into_inner).map_err(|status| match status.code() {
            Code::Unavailable => anyhow::anyhow!(
                "cannot reach the accounts service at {} ({}); is it running? (clocker up, or clocker serve accounts)",
                self.server,
                status.message()
            ),
            Code::Unauthenticated if status.message().contains("session") => anyhow::anyhow!(
                "{} (clocker account login NAME)",
                status.message()
            ),
            _ => anyhow::anyhow!("{}", status.message()),
        })
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

fn save_session(config_dir: &Path, session: &SavedSession) -> anyhow::Result<PathBuf> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};

    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(config_dir)
        .with_context(|| format!("cannot create {}", config_dir.display()))?;
    let path = config_dir.join(SESSION_FILE);
    let partial = config_dir.join(format!("{SESSION_FILE}.partial"));
    let _ = std::fs::remove_file(&partial);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&partial)
        .with_context(|| format!("cannot write {}", partial.display()))?;
    serde_json::to_writer_pretty(&mut file, session)?;
    file.write_all(b"\n")?;
    file.sync_all()?;
    std::fs::rename(&partial, &path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

/// The token of the saved session, if there is one (for other commands
/// that act as the logged-in user, such as `clocker timer`).
pub fn saved_token(config_dir: &Path) -> Option<String> {
    load_session(config_dir).ok().map(|session| session.token)
}

fn load_session(config_dir: &Path) -> anyhow::Result<SavedSession> {
    let path = config_dir.join(SESSION_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            bail!(
                "not logged in (no {}); log in with: clocker account login NAME",
                path.display()
            )
        }
        Err(err) => return Err(err).with_context(|| format!("cannot read {}", path.display())),
    };
    serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a saved session; log in again to replace it",
            path.display()
        )
    })
}

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
