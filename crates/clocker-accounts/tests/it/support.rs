//! A live accounts service on a free port, over a test database.

use std::net::SocketAddr;
use std::time::Duration;

use clocker_accounts::AccountsConfig;
use clocker_proto::v1::accounts_client::AccountsClient;
use clocker_proto::v1::{LoginRequest, RegisterRequest, WhoAmIRequest};
use clocker_runtime::{CancellationToken, Launched, RuntimeConfig, bind};
use clocker_store::StoreConfig;
use clocker_testdb::TestDatabase;
use tonic::transport::Channel;
use tonic::{Code, Status};

pub const PASSWORD: &str = "correct horse battery";

/// A running accounts service; stopped on drop.
pub struct Service {
    pub addr: SocketAddr,
    shutdown: CancellationToken,
    launched: Option<Launched>,
}

impl Service {
    /// Starts the service on `db` with `config` (its database replaced).
    pub async fn start(db: &TestDatabase, mut config: AccountsConfig) -> Self {
        config.database = StoreConfig::from_url(db.url()).expect("a valid test URL");
        let settings = RuntimeConfig {
            // Generous, so a loaded machine cannot fail a test.
            budget: Duration::from_secs(2),
            ..RuntimeConfig::default()
        };
        config.password_budget = Duration::from_secs(10);
        let listener = bind("accounts", "127.0.0.1:0".parse().expect("literal"))
            .await
            .expect("a free port");
        let shutdown = CancellationToken::new();
        let launched = clocker_accounts::launch(listener, &config, &settings, shutdown.clone())
            .await
            .unwrap_or_else(|err| panic!("the accounts service starts: {err}"));
        Self {
            addr: launched.addr,
            shutdown,
            launched: Some(launched),
        }
    }

    pub async fn client(&self) -> AccountsClient<Channel> {
        AccountsClient::connect(format!("http://{}", self.addr))
            .await
            .expect("connects")
    }

    /// Stops the service and waits until it has.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(launched) = self.launched.take() {
            launched.stopped().await.expect("stopped cleanly");
        }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

pub async fn register(
    client: &mut AccountsClient<Channel>,
    username: &str,
    password: &str,
) -> Result<(), Status> {
    client
        .register(RegisterRequest {
            username: username.into(),
            password: password.into(),
            ..Default::default()
        })
        .await
        .map(|_| ())
}

pub async fn login(
    client: &mut AccountsClient<Channel>,
    username: &str,
    password: &str,
) -> Result<String, Status> {
    client
        .login(LoginRequest {
            username: username.into(),
            password: password.into(),
        })
        .await
        .map(|reply| reply.into_inner().token)
}

/// The username a token belongs to.
pub async fn who_am_i(client: &mut AccountsClient<Channel>, token: &str) -> Result<String, Status> {
    let reply = client
        .who_am_i(WhoAmIRequest {
            token: token.into(),
        })
        .await?
        .into_inner();
    Ok(reply.account.expect("an account").username)
}

#[track_caller]
pub fn assert_code<T: std::fmt::Debug>(result: Result<T, Status>, code: Code) -> Status {
    match result {
        Err(status) if status.code() == code => status,
        other => panic!("expected {code:?}, got {other:?}"),
    }
}

/// The value of the Prometheus sample `name` (with its labels, as printed)
/// from the service's `/metrics`, 0 when absent.
pub async fn metric(addr: SocketAddr, sample: &str) -> f64 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connects");
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nhost: test\r\nconnection: close\r\n\r\n")
        .await
        .expect("request sent");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .await
        .expect("response read");
    response
        .lines()
        .find_map(|line| line.strip_prefix(sample)?.trim().parse().ok())
        .unwrap_or(0.0)
}
