//! The gRPC wrapper (seed 003's `*Service` beside its `*ServiceImpl`): it
//! only converts requests to calls on [`Accounts`] and results to replies,
//! and says which client a call is for: the connection's peer, or, when the
//! peer is a trusted proxy (the REST gateway), the address that proxy gives
//! in `x-forwarded-for`.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use clocker_proto::v1::{
    self, Account as AccountMessage, GetWorldClockRequest, LoginReply, LoginRequest, LogoutReply,
    LogoutRequest, RegisterReply, RegisterRequest, SetWorldClockRequest, WhoAmIReply,
    WhoAmIRequest, WorldClockReply,
};
use clocker_runtime::{PeerAddr, client_ip, session_token};
use jiff::Timestamp;
use tonic::{Request, Response, Status};

use crate::accounts::{Account, Accounts};

/// `clocker.v1.Accounts`.
#[derive(Debug, Clone)]
pub struct AccountsService {
    accounts: Arc<Accounts>,
    trusted_proxies: Arc<[IpAddr]>,
}

impl AccountsService {
    /// Serves `accounts`, believing `x-forwarded-for` only from a peer in
    /// `trusted_proxies`.
    pub fn new(accounts: Arc<Accounts>, trusted_proxies: &[IpAddr]) -> Self {
        Self {
            accounts,
            trusted_proxies: trusted_proxies.into(),
        }
    }

    /// The client a call is for, as throttling counts it.
    fn client<T>(&self, request: &Request<T>) -> IpAddr {
        let peer = PeerAddr::of_request(request).map(|addr| addr.ip());
        // Without a peer (an in-memory transport) all such calls share one key.
        client_ip(peer, request.metadata(), &self.trusted_proxies)
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
    }
}

#[tonic::async_trait]
impl v1::accounts_server::Accounts for AccountsService {
    async fn register(
        &self,
        request: Request<RegisterRequest>,
    ) -> Result<Response<RegisterReply>, Status> {
        let client = self.client(&request);
        let RegisterRequest {
            username,
            password,
            idempotency_key,
        } = request.into_inner();
        let account = self
            .accounts
            .register(&username, password, client, &idempotency_key)
            .await?;
        Ok(Response::new(RegisterReply {
            account: Some(account_message(&account)),
        }))
    }

    async fn login(&self, request: Request<LoginRequest>) -> Result<Response<LoginReply>, Status> {
        let client = self.client(&request);
        let LoginRequest { username, password } = request.into_inner();
        let session = self.accounts.login(&username, password, client).await?;
        Ok(Response::new(LoginReply {
            token: session.token.expose().to_owned(),
            expires_at: Some(timestamp(session.expires_at)),
            account: Some(account_message(&session.account)),
        }))
    }

    async fn logout(
        &self,
        request: Request<LogoutRequest>,
    ) -> Result<Response<LogoutReply>, Status> {
        let token = session_token(request.metadata(), &request.get_ref().token);
        self.accounts.logout(&token).await?;
        Ok(Response::new(LogoutReply {}))
    }

    async fn who_am_i(
        &self,
        request: Request<WhoAmIRequest>,
    ) -> Result<Response<WhoAmIReply>, Status> {
        let token = session_token(request.metadata(), &request.get_ref().token);
        let session = self.accounts.who_am_i(&token).await?;
        Ok(Response::new(WhoAmIReply {
            account: Some(account_message(&session.account)),
            expires_at: Some(timestamp(session.expires_at)),
        }))
    }

    async fn get_world_clock(
        &self,
        request: Request<GetWorldClockRequest>,
    ) -> Result<Response<WorldClockReply>, Status> {
        let token = session_token(request.metadata(), &request.get_ref().token);
        let zones = self.accounts.world_clock(&token).await?;
        Ok(Response::new(WorldClockReply { zones }))
    }

    async fn set_world_clock(
        &self,
        request: Request<SetWorldClockRequest>,
    ) -> Result<Response<WorldClockReply>, Status> {
        let token = session_token(request.metadata(), &request.get_ref().token);
        let zones = self
            .accounts
            .set_world_clock(&token, &request.get_ref().zones)
            .await?;
        Ok(Response::new(WorldClockReply { zones }))
    }
}

fn account_message(account: &Account) -> AccountMessage {
    AccountMessage {
        id: account.id.clone(),
        username: account.username.clone(),
        created_at: Some(timestamp(account.created_at)),
    }
}

fn timestamp(at: Timestamp) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: at.as_second(),
        nanos: at.subsec_nanosecond(),
    }
}
