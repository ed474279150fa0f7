//! The ZeroMQ front door from a Rust REQ client (pyzmq covers the rest).

use clocker_testdb::test_both_backends;
use clocker_timers::TimerClock;
use serde_json::Value;
use zeromq::{ReqSocket, Socket, SocketRecv, SocketSend, ZmqMessage};

use crate::support::TimersUnderTest;

async fn ask(socket: &mut ReqSocket, frames: &[&[u8]]) -> Value {
    let frames: Vec<bytes::Bytes> = frames
        .iter()
        .map(|f| bytes::Bytes::copy_from_slice(f))
        .collect();
    socket
        .send(ZmqMessage::try_from(frames).expect("frames"))
        .await
        .expect("sent");
    let reply = socket.recv().await.expect("a reply");
    assert_eq!(reply.len(), 1, "one reply frame");
    serde_json::from_slice(reply.get(0).expect("a frame")).expect("JSON")
}

test_both_backends! {
    async fn the_seeds_three_frames_set_a_timer_and_bad_ones_get_errors(db: TestDatabase) {
        let services = TimersUnderTest::start(&db, TimerClock::system()).await;
        let mut socket = ReqSocket::new();
        socket.connect(&services.zmq).await.expect("connects");
        let reply = ask(&mut socket, &[b"0", b"1", b"30"]).await;
        assert_eq!(reply["ok"], true, "{reply}");
        assert_eq!((reply["hours"].as_i64(), reply["minutes"].as_i64(), reply["seconds"].as_i64()), (Some(0), Some(1), Some(30)));
        let fires = reply["fires_at_unix_ms"].as_i64().expect("ms");
        assert!(reply["fires_at"].as_str().expect("RFC 3339").ends_with('Z'));

        for bad in [&[&b"x"[..], b"0", b"0"][..], &[b"0", b"0"], &[b"0", b"0", b"0", b"0"], &[b"\xff\xfe", b"0", b"0"], &[b"{not json"], &[b"[0,1,30]"], &[br#"{"hours":"1"}"#]] {
            let reply = ask(&mut socket, bad).await;
            assert_eq!(reply["ok"], false, "{reply}");
            let error = reply["error"].as_str().unwrap_or_default();
            assert!(!error.is_empty() && !error.contains("enum"), "{reply}");
        }

        let get = format!(r#"{{"op":"get","id":"{}"}}"#, reply_id(&ask(&mut socket, &[br#"{"minutes":2,"label":"tea"}"#]).await));
        let got = ask(&mut socket, &[get.as_bytes()]).await;
        assert_eq!((got["ok"].as_bool(), got["label"].as_str()), (Some(true), Some("tea")));
        // Anonymous timers are never listed: the id is the only way to one.
        let list = ask(&mut socket, &[br#"{"op":"list"}"#]).await;
        assert_eq!(list["ok"], false, "{list}");
        assert!(list["error"].as_str().unwrap_or_default().contains("session token"), "{list}");
        assert!(fires > 0);
    }
}

fn reply_id(reply: &Value) -> String {
    reply["id"].as_str().expect("an id").to_owned()
}
