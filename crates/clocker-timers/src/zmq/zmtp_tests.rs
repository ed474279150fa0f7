//! The ZMTP decoder on bytes alone: greeting, handshake, short and long
//! frames, commands, limits and garbage.

use super::*;

const LIMITS: FrameLimits = FrameLimits {
    max_request_bytes: 64 * 1024,
    max_message_bytes: 4 * 1024 * 1024,
    max_frames: 32,
};

fn ready(socket_type: &[u8]) -> Vec<u8> {
    let mut data = vec![11];
    data.extend_from_slice(b"Socket-Type");
    data.extend_from_slice(
        &u32::try_from(socket_type.len())
            .expect("short")
            .to_be_bytes(),
    );
    data.extend_from_slice(socket_type);
    data.push(8);
    data.extend_from_slice(b"Identity");
    data.extend_from_slice(&3u32.to_be_bytes());
    data.extend_from_slice(b"abc");
    command(b"READY", &data)
}

/// A peer's greeting and READY as `socket_type`.
fn handshake(socket_type: &[u8]) -> Vec<u8> {
    let mut bytes = GREETING.to_vec();
    bytes[11] = 0; // a 3.0 peer, as the zeromq crate
    bytes.extend(ready(socket_type));
    bytes
}

fn message(frames: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_message(frames, &mut out);
    out
}

/// Everything `bytes` decodes to, fed `chunk` bytes at a time.
fn events(bytes: &[u8], chunk: usize) -> Result<Vec<Event>, ProtocolError> {
    let mut decoder = Decoder::new(LIMITS);
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for piece in bytes.chunks(chunk.max(1)) {
        buf.extend_from_slice(piece);
        while let Some(event) = decoder.decode(&mut buf)? {
            out.push(event);
        }
    }
    Ok(out)
}

fn frames_of(event: &Event) -> Vec<&[u8]> {
    match event {
        Event::Message(message) => message.frames.iter().map(|f| &f[..]).collect(),
        other => panic!("not a message: {other:?}"),
    }
}

#[test]
fn a_req_peer_handshakes_and_sends_a_delimited_request_in_any_chunking() {
    let mut bytes = handshake(b"REQ");
    bytes.extend(message(&[b"", b"0", b"1", b"30"]));
    let long = vec![b'x'; 300];
    bytes.extend(message(&[b"", &long]));
    for chunk in [1, 2, 7, 64, 1000] {
        let got = events(&bytes, chunk).expect("valid");
        assert_eq!(got.len(), 3, "chunk {chunk}");
        assert_eq!(got[0], Event::Ready(PeerType::Req));
        assert_eq!(frames_of(&got[1]), [&b""[..], b"0", b"1", b"30"]);
        assert_eq!(frames_of(&got[2]), [&b""[..], &long[..]]);
        let Event::Message(first) = &got[1] else {
            unreachable!()
        };
        assert!(first.delimited && !first.oversized && first.frame_count == 4);
    }
}

#[test]
fn a_dealer_peer_is_accepted_and_other_socket_types_refused() {
    assert_eq!(
        events(&handshake(b"DEALER"), 64).expect("valid"),
        [Event::Ready(PeerType::Dealer)]
    );
    for refused in [&b"PUB"[..], b"ROUTERX", b""] {
        let err = events(&handshake(refused), 64).expect_err("refused");
        assert!(matches!(err, ProtocolError::SocketType(_)), "{err}");
    }
}

#[test]
fn garbage_instead_of_a_greeting_fails_at_the_first_byte() {
    assert_eq!(
        events(b"GET / HTTP/1.1\r\n", 1),
        Err(ProtocolError::Signature)
    );
    let mut bad = GREETING;
    bad[9] = 0x7e;
    assert_eq!(events(&bad[..10], 10), Err(ProtocolError::Signature));
}

#[test]
fn old_versions_and_other_mechanisms_are_refused() {
    let mut old = GREETING;
    old[10] = 2;
    assert!(matches!(
        events(&old[..11], 11),
        Err(ProtocolError::Version { major: 2, .. })
    ));
    let mut plain = GREETING;
    plain[12..16].copy_from_slice(b"PLAI");
    plain[16] = b'N';
    assert_eq!(
        events(&plain, 64),
        Err(ProtocolError::Mechanism("PLAIN".into()))
    );
}

#[test]
fn a_message_before_ready_is_refused() {
    let mut bytes = GREETING.to_vec();
    bytes.extend(message(&[b"hello"]));
    assert!(matches!(
        events(&bytes, 64),
        Err(ProtocolError::Handshake(_))
    ));
}

#[test]
fn a_2_to_the_40_frame_header_fails_before_any_buffering() {
    let mut bytes = handshake(b"REQ");
    bytes.push(LONG);
    bytes.extend_from_slice(&(1u64 << 40).to_be_bytes());
    let err = events(&bytes, 4096).expect_err("over the limit");
    assert!(err.is_over_limit(), "{err}");
    assert_eq!(
        err,
        ProtocolError::MessageTooLarge {
            declared: 1 << 40,
            limit: LIMITS.max_message_bytes
        }
    );
    // u64::MAX does not overflow the running total either.
    let mut bytes = handshake(b"REQ");
    bytes.extend_from_slice(&[MORE, 0]);
    bytes.push(LONG);
    bytes.extend_from_slice(&u64::MAX.to_be_bytes());
    assert!(matches!(
        events(&bytes, 4096),
        Err(ProtocolError::MessageTooLarge { .. })
    ));
}

#[test]
fn a_frame_over_the_request_limit_is_skipped_not_kept() {
    let big = vec![b'1'; 1 << 20];
    let mut bytes = handshake(b"REQ");
    bytes.extend(message(&[b"", b"0", &big]));
    bytes.extend(message(&[b"", b"{}"]));
    let mut decoder = Decoder::new(LIMITS);
    let mut buf = BytesMut::new();
    let mut got = Vec::new();
    let mut largest_buffer = 0;
    for piece in bytes.chunks(8192) {
        buf.extend_from_slice(piece);
        largest_buffer = largest_buffer.max(buf.len());
        while let Some(event) = decoder.decode(&mut buf).expect("valid") {
            got.push(event);
        }
    }
    assert!(
        largest_buffer <= 2 * 8192,
        "buffered {largest_buffer} bytes"
    );
    let Event::Message(skipped) = &got[1] else {
        panic!("{got:?}")
    };
    assert!(skipped.oversized && skipped.frames.is_empty() && skipped.delimited);
    assert_eq!((skipped.frame_count, skipped.largest_frame), (3, 1 << 20));
    assert_eq!(frames_of(&got[2]), [&b""[..], b"{}"]);
}

#[test]
fn too_many_frames_fail_at_the_first_one_over() {
    let mut bytes = handshake(b"REQ");
    let empties = vec![&b""[..]; 3_000];
    bytes.extend(message(&empties));
    assert_eq!(events(&bytes, 4096), Err(ProtocolError::TooManyFrames(32)));
    let mut bytes = handshake(b"REQ");
    bytes.extend(message(&vec![&b""[..]; 32]));
    assert_eq!(events(&bytes, 4096).expect("at the limit").len(), 2);
}

#[test]
fn ping_is_answered_and_pong_ignored() {
    let mut bytes = handshake(b"DEALER");
    bytes.extend(command(b"PING", b"\x00\x0actx"));
    bytes.extend(command(b"PONG", b"x"));
    bytes.extend(command(b"SUBSCRIBE", b"x"));
    bytes.extend(message(&[b"{}"]));
    let got = events(&bytes, 3).expect("valid");
    assert_eq!(
        got[1],
        Event::Ping {
            context: Bytes::from_static(b"ctx")
        }
    );
    assert_eq!(frames_of(&got[2]), [b"{}"]);
    assert_eq!(pong_command(b"ctx"), command(b"PONG", b"ctx"));
}

#[test]
fn commands_are_bounded_and_must_be_well_formed() {
    let mut bytes = handshake(b"REQ");
    bytes.push(COMMAND | LONG);
    bytes.extend_from_slice(&(1u64 << 40).to_be_bytes());
    assert_eq!(
        events(&bytes, 64),
        Err(ProtocolError::CommandTooLarge(1 << 40))
    );
    let mut bytes = GREETING.to_vec();
    bytes.extend_from_slice(&[COMMAND, 3, 9, b'R', b'E']);
    assert!(matches!(events(&bytes, 64), Err(ProtocolError::Command(_))));
    let mut bytes = handshake(b"REQ");
    bytes.extend_from_slice(&[MORE, 0, COMMAND, 1, 0]);
    assert!(matches!(events(&bytes, 64), Err(ProtocolError::Command(_))));
    let mut bytes = handshake(b"REQ");
    bytes.extend(command(b"ERROR", b"\x03bye"));
    assert_eq!(
        events(&bytes, 64),
        Err(ProtocolError::PeerError("bye".into()))
    );
}

#[test]
fn reserved_flags_are_refused() {
    let mut bytes = handshake(b"REQ");
    bytes.extend_from_slice(&[0x80, 0]);
    assert_eq!(events(&bytes, 64), Err(ProtocolError::Flags(0x80)));
}

#[test]
fn what_we_send_decodes_as_zmtp() {
    assert_eq!(&GREETING[..2], &[0xff, 0]);
    assert_eq!((GREETING[9], GREETING[10]), (0x7f, 3));
    let ready = ready_command();
    assert_eq!(ready[0], COMMAND);
    assert_eq!(usize::from(ready[1]), ready.len() - 2);
    assert_eq!(&ready[2..8], b"\x05READY");
    assert!(ready.ends_with(b"Socket-Type\x00\x00\x00\x06ROUTER"));
    let error = error_command(&"x".repeat(300));
    assert_eq!((error[0], error[1]), (COMMAND | LONG, 0));
    let mut long = Vec::new();
    encode_message(&[b"", &[7; 256]], &mut long);
    assert_eq!(&long[..4], &[MORE, 0, LONG, 0]);
    assert_eq!(long.len(), 2 + 9 + 256);
}
