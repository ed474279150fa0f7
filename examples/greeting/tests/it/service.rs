//! `Greeting.FetchGreeting` called as any client would: located by type.

use clocker_proto::greeting::greeting_client::GreetingClient;
use clocker_proto::greeting::{FetchGreetingRequest, Tongue};
use clocker_runtime::{AddressBook, CancellationToken, Launched, Locator, RuntimeConfig, bind};
use tonic::Code;
use tonic::transport::Channel;

struct Greeting {
    client: GreetingClient<Channel>,
    shutdown: CancellationToken,
    launched: Launched,
}

impl Greeting {
    async fn start() -> Self {
        let listener = bind("greeting", "127.0.0.1:0".parse().expect("literal"))
            .await
            .expect("port");
        let shutdown = CancellationToken::new();
        let launched =
            clocker_example_greeting::launch(listener, &RuntimeConfig::default(), shutdown.clone())
                .await
                .expect("greeting starts");
        let mut book = AddressBook::default();
        book.set(
            clocker_proto::greeting::greeting_server::SERVICE_NAME,
            launched.addr,
        );
        let client = Locator::new(
            "greeting-test",
            &[clocker_proto::greeting::greeting_server::SERVICE_NAME],
            book,
        )
        .locate()
        .expect("greeting is declared");
        Self {
            client,
            shutdown,
            launched,
        }
    }

    async fn fetch(&mut self, tongue: i32) -> Result<String, tonic::Status> {
        self.client
            .fetch_greeting(FetchGreetingRequest { tongue })
            .await
            .map(|response| response.into_inner().greeting)
    }

    async fn stop(self) {
        self.shutdown.cancel();
        self.launched.stopped().await.expect("stops cleanly");
    }
}

#[tokio::test]
async fn each_tongue_gets_its_greeting() {
    let mut greeting = Greeting::start().await;
    for (tongue, expected) in [
        (Tongue::English, "Hello, world!"),
        (Tongue::French, "Bonjour, le monde !"),
        (Tongue::German, "Hallo, Welt!"),
    ] {
        let got = greeting.fetch(tongue.into()).await.expect("known tongue");
        assert_eq!(got, expected, "{tongue:?}");
    }
    greeting.stop().await;
}

#[tokio::test]
async fn an_unspecified_or_unknown_tongue_is_invalid_argument_naming_it() {
    let mut greeting = Greeting::start().await;
    let unspecified = greeting
        .fetch(Tongue::Unspecified.into())
        .await
        .expect_err("no tongue given");
    assert_eq!(unspecified.code(), Code::InvalidArgument);
    assert!(
        unspecified.message().contains("TONGUE_UNSPECIFIED"),
        "{}",
        unspecified.message()
    );

    let unknown = greeting.fetch(9).await.expect_err("9 is no tongue");
    assert_eq!(unknown.code(), Code::InvalidArgument);
    assert!(
        unknown.message().contains("unknown tongue 9"),
        "{}",
        unknown.message()
    );
    greeting.stop().await;
}

#[tokio::test]
async fn only_a_declared_requirement_can_be_located() {
    let err = Locator::new("greeting-test", &[], AddressBook::default())
        .locate::<GreetingClient<Channel>>()
        .expect_err("greeting is not declared");
    assert!(
        err.to_string().contains("locate greeting.v1.Greeting"),
        "{err}"
    );
}
