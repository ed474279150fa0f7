//! The gRPC wrapper (seed 003's `*Service` beside its `*ServiceImpl`): it
//! only converts requests to calls on [`Accounts`] and results to replies.

use std::sync::Arc;

use clocker_proto::v1::{
    self, Account as AccountMessage, LoginReply, LoginRequest, LogoutReply, LogoutRequest,
    RegisterReply, RegisterRequest, WhoAmIReply, WhoAmIRequest,
};
use clocker_runtime::session_token;
use jiff::Timestamp;
use tonic::{Request, Response, Status};

use crate::accounts::{Account, Accounts};

/// `clocker.v1.Accounts`.
#[derive(Debug, Clone)]
pub struct AccountsService {
    accounts: Arc<Accounts>,
}

impl AccountsService {
    pub fn new(accounts: Arc<Accounts>) -> Self {
        Self { accounts }
    }
}

#[tonic::async_trait]
impl v1::accounts_server::Accounts for AccountsService {
    async fn register(
        &self,
        request: Request<RegisterRequest>,
    ) -> Result<Response<RegisterReply>, Status> {
        let RegisterRequest { username, password } = request.into_inner();
        let account = self.accounts.register(&username, password).await?;
        Ok(Response::new(RegisterReply {
            account: Some(account_message(&account)),
        }))
    }

    async fn login(&self, request: Request<LoginRequest>) -> Result<Response<LoginReply>, Status> {
        let LoginRequest { username, password } = request.into_inner();
        let session = self.accounts.login(&username, password).await?;
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
