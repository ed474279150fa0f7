//! GetWorldClock and SetWorldClock over real gRPC: the session's own list,
//! canonical names, the limits, and no list for a caller without a session.

use clocker_accounts::AccountsConfig;
use clocker_proto::v1::accounts_client::AccountsClient;
use clocker_proto::v1::{GetWorldClockRequest, LogoutRequest, SetWorldClockRequest};
use clocker_testdb::test_both_backends;
use tonic::transport::Channel;
use tonic::{Code, Request, Status};

use crate::support::{PASSWORD, Service, assert_code, login, register};

async fn get(client: &mut AccountsClient<Channel>, token: &str) -> Result<Vec<String>, Status> {
    let request = GetWorldClockRequest {
        token: token.into(),
    };
    Ok(client.get_world_clock(request).await?.into_inner().zones)
}

async fn set(
    client: &mut AccountsClient<Channel>,
    token: &str,
    zones: &[&str],
) -> Result<Vec<String>, Status> {
    let request = SetWorldClockRequest {
        token: token.into(),
        zones: zones.iter().map(|zone| (*zone).to_owned()).collect(),
    };
    Ok(client.set_world_clock(request).await?.into_inner().zones)
}

/// A new account's session token.
async fn signed_in(client: &mut AccountsClient<Channel>, username: &str) -> String {
    register(client, username, PASSWORD)
        .await
        .expect("registered");
    login(client, username, PASSWORD).await.expect("logged in")
}

test_both_backends! {
    async fn a_world_clock_is_stored_canonically_and_read_back(db: TestDatabase) {
        let service = Service::start(&db, AccountsConfig::default()).await;
        let mut client = service.client().await;
        let token = signed_in(&mut client, "wanda").await;
        assert_eq!(get(&mut client, &token).await.expect("read"), Vec::<String>::new());
        let stored = set(&mut client, &token, &["asia/tokyo", "Etc/UTC", "Asia/Tokyo", "Europe/Paris"])
            .await
            .expect("set");
        assert_eq!(stored, ["Asia/Tokyo", "UTC", "Europe/Paris"]);
        assert_eq!(get(&mut client, &token).await.expect("read"), stored);
        assert_eq!(set(&mut client, &token, &[]).await.expect("cleared"), Vec::<String>::new());
        assert_eq!(get(&mut client, &token).await.expect("read"), Vec::<String>::new());
    }

    async fn bad_world_clocks_are_invalid_argument_and_change_nothing(db: TestDatabase) {
        let service = Service::start(&db, AccountsConfig::default()).await;
        let mut client = service.client().await;
        let token = signed_in(&mut client, "xena").await;
        set(&mut client, &token, &["UTC"]).await.expect("set");
        let unknown = assert_code(set(&mut client, &token, &["Europe/Paris", "Mars/Olympus"]).await, Code::InvalidArgument);
        assert!(unknown.message().contains("'Mars/Olympus'"), "{unknown:?}");
        let thirteen = ["UTC"; 13];
        let many = assert_code(set(&mut client, &token, &thirteen).await, Code::InvalidArgument);
        assert!(many.message().contains("at most 12"), "{many:?}");
        let long = "x".repeat(65);
        assert_code(set(&mut client, &token, &[&long]).await, Code::InvalidArgument);
        assert_eq!(get(&mut client, &token).await.expect("read"), ["UTC"]);
    }

    async fn one_account_never_sees_anothers_world_clock(db: TestDatabase) {
        let service = Service::start(&db, AccountsConfig::default()).await;
        let mut client = service.client().await;
        let yara = signed_in(&mut client, "yara").await;
        let zack = signed_in(&mut client, "zack").await;
        set(&mut client, &yara, &["Asia/Tokyo"]).await.expect("set");
        assert_eq!(get(&mut client, &zack).await.expect("read"), Vec::<String>::new());
        set(&mut client, &zack, &["Europe/Paris"]).await.expect("set");
        assert_eq!(get(&mut client, &yara).await.expect("read"), ["Asia/Tokyo"]);
    }

    async fn without_a_live_session_the_world_clock_is_unauthenticated(db: TestDatabase) {
        let service = Service::start(&db, AccountsConfig::default()).await;
        let mut client = service.client().await;
        let token = signed_in(&mut client, "yuri").await;
        for bad in ["", "not-a-token", &"A".repeat(43)] {
            assert_code(get(&mut client, bad).await, Code::Unauthenticated);
            assert_code(set(&mut client, bad, &["UTC"]).await, Code::Unauthenticated);
        }
        // A bearer header serves as the field does.
        let mut request = Request::new(GetWorldClockRequest::default());
        request
            .metadata_mut()
            .insert("authorization", format!("Bearer {token}").parse().expect("ascii"));
        assert!(client.get_world_clock(request).await.is_ok());
        client.logout(LogoutRequest { token: token.clone() }).await.expect("logged out");
        assert_code(get(&mut client, &token).await, Code::Unauthenticated);
        assert_code(set(&mut client, &token, &["UTC"]).await, Code::Unauthenticated);
    }
}
