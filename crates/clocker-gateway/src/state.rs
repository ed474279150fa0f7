//! The gateway's state: a client of each service behind it, and the one way
//! to call them — bounded in time, with the caller's bearer token passed on.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{Extensions, HeaderMap};
use clocker_proto::random::random_service_client::RandomServiceClient;
use clocker_proto::v1::accounts_client::AccountsClient;
use clocker_proto::v1::current_time_client::CurrentTimeClient;
use clocker_proto::v1::timers_client::TimersClient;
use clocker_runtime::http::ApiError;
use clocker_runtime::{LocateError, Locator, Readiness, forward_bearer, forward_peer};
use tonic::transport::Channel;

/// The state every handler gets: one pointer to the [`AppState`].
pub type Shared = Arc<AppState>;

/// Clients of the services behind the gateway (each a handle on one shared
/// HTTP/2 connection; a handler clones the one it calls).
#[derive(Debug)]
pub struct AppState {
    pub random: RandomServiceClient<Channel>,
    pub clock: CurrentTimeClient<Channel>,
    pub accounts: AccountsClient<Channel>,
    pub timers: TimersClient<Channel>,
    call_timeout: Duration,
    /// Whether the services behind the gateway are reachable (`/health`).
    pub readiness: Readiness,
    /// `/openapi.json`, rendered once.
    pub(crate) openapi: std::sync::OnceLock<String>,
}

impl AppState {
    /// Locates every service the gateway requires; ready always, until
    /// [`AppState::with_readiness`] says otherwise.
    pub fn locate(locator: &Locator, call_timeout: Duration) -> Result<Self, LocateError> {
        Ok(Self {
            random: locator.locate()?,
            clock: locator.locate()?,
            accounts: locator.locate()?,
            timers: locator.locate()?,
            call_timeout,
            readiness: Readiness::always(),
            openapi: std::sync::OnceLock::new(),
        })
    }

    /// The state with `readiness` answering `/health`.
    pub fn with_readiness(self, readiness: Readiness) -> Self {
        Self { readiness, ..self }
    }

    /// `message` as a request to a service: the caller's
    /// `Authorization: Bearer` header and the call's deadline go with it.
    pub fn request<T>(&self, message: T, headers: &HeaderMap) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        forward_bearer(&mut request, headers);
        request.set_timeout(self.call_timeout);
        request
    }

    /// [`AppState::request`], naming the gateway's own client (found in the
    /// connection's `extensions`) in `x-forwarded-for`: the services count
    /// anonymous timers and throttle password guesses per client address,
    /// and believe this from the gateway's address (their
    /// `--trusted-proxies`).
    pub fn request_from_client<T>(
        &self,
        message: T,
        headers: &HeaderMap,
        extensions: &Extensions,
    ) -> tonic::Request<T> {
        let mut request = self.request(message, headers);
        forward_peer(&mut request, extensions);
        request
    }

    /// Awaits a call to the service named `service` (as errors name it),
    /// giving up after the call timeout.
    pub async fn call<T>(
        &self,
        service: &'static str,
        call: impl Future<Output = Result<tonic::Response<T>, tonic::Status>>,
    ) -> Result<T, ApiError> {
        match tokio::time::timeout(self.call_timeout, call).await {
            Ok(Ok(response)) => Ok(response.into_inner()),
            Ok(Err(status)) => Err(ApiError::Upstream { service, status }),
            Err(_) => Err(ApiError::timed_out(service)),
        }
    }
}
