//! A WebSocket client's side of the wire, as lean as the benchmark needs:
//! the upgrade request, and a decoder of the server's (unmasked) frames fed
//! whatever each read brought. Text messages yield their `unix_ms`; a ping is
//! answered with a masked pong; a close with a masked close, which ends the
//! connection. Payloads stream through the decoder: nothing is buffered but
//! a control frame's payload (at most 125 bytes), nothing allocated.

use std::net::SocketAddr;

use super::Event;
use super::scan::FieldScan;

/// The upgrade request for `path` on `addr`. The key is fixed: the server
/// only echoes its hash, which this client does not check.
pub fn upgrade_request(addr: SocketAddr, path: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
}

const TEXT: u8 = 0x1;
const BINARY: u8 = 0x2;
const CONTINUATION: u8 = 0x0;
const CLOSE: u8 = 0x8;
const PING: u8 = 0x9;
const PONG: u8 = 0xA;

/// The longest payload of a control frame (RFC 6455 §5.5).
const MAX_CONTROL: usize = 125;
/// A client's frames are masked (RFC 6455 §5.3). Any key will do here: the
/// mask protects proxies from forged requests, and there are none.
const MASK: [u8; 4] = [0x5a, 0x17, 0xc3, 0x8e];

/// Decodes the frames a server sends.
#[derive(Debug, Clone)]
pub struct Decoder {
    /// The frame header read so far (at most 2 + 8 bytes: a server's
    /// frames carry no mask key).
    head: [u8; 10],
    head_len: usize,
    /// Inside a payload: its frame's opcode, FIN bit and bytes left.
    payload: Option<Payload>,
    /// Whether the data message under way is text (its continuations too).
    in_text: bool,
    /// The payload of the control frame under way, then the reply to it.
    control: [u8; 2 + 4 + MAX_CONTROL],
    control_len: usize,
    unix_ms: FieldScan,
}

/// What a frame that has all come asks for.
#[derive(Debug, Clone, Copy)]
enum Ended {
    Message(super::scan::Stamp),
    Ping,
    Close,
}

#[derive(Debug, Clone, Copy)]
struct Payload {
    opcode: u8,
    fin: bool,
    left: u64,
}

impl Default for Decoder {
    fn default() -> Self {
        Self {
            head: [0; 10],
            head_len: 0,
            payload: None,
            in_text: false,
            control: [0; 2 + 4 + MAX_CONTROL],
            control_len: 0,
            unix_ms: FieldScan::new(br#""unix_ms":"#),
        }
    }
}

impl Decoder {
    /// The next event `bytes[*at..]` completes, `at` moved past what it
    /// used; `None` once they are used up (the rest of a frame comes with
    /// the next read).
    pub fn next<'a>(&'a mut self, bytes: &[u8], at: &mut usize) -> Option<Event<'a>> {
        loop {
            let Some(payload) = self.payload else {
                match self.read_head(bytes, at)? {
                    Ok(payload) => self.payload = Some(payload),
                    Err(invalid) => return Some(Event::Invalid(invalid)),
                }
                continue;
            };
            let take = usize::try_from(payload.left)
                .unwrap_or(usize::MAX)
                .min(bytes.len() - *at);
            let chunk = &bytes[*at..*at + take];
            *at += take;
            if payload.opcode & 0x8 != 0 {
                self.control[self.control_len..self.control_len + take].copy_from_slice(chunk);
                self.control_len += take;
            } else if self.in_text {
                self.unix_ms.feed(chunk);
            }
            let left = payload.left - take as u64;
            if left > 0 {
                self.payload = Some(Payload { left, ..payload });
                return None;
            }
            self.payload = None;
            // Decided first, borrowed after: the reply lives in `self`.
            match self.frame_ended(payload) {
                None => {}
                Some(Ended::Message(stamp)) => return Some(Event::Message(stamp)),
                Some(Ended::Ping) => return Some(Event::Reply(self.reply(PONG))),
                Some(Ended::Close) => {
                    return Some(Event::End {
                        reason: "the server closed the WebSocket",
                        reply: self.reply(CLOSE),
                    });
                }
            }
        }
    }

    /// Gathers a frame header; `None` while it is incomplete.
    fn read_head(&mut self, bytes: &[u8], at: &mut usize) -> Option<Result<Payload, &'static str>> {
        loop {
            let needed = match self.head_len {
                0 | 1 => 2,
                _ => match self.head[1] & 0x7f {
                    126 => 4,
                    127 => 10,
                    _ => 2,
                },
            };
            if self.head_len == needed {
                break;
            }
            let &byte = bytes.get(*at)?;
            *at += 1;
            self.head[self.head_len] = byte;
            self.head_len += 1;
        }
        let head = &self.head[..self.head_len];
        self.head_len = 0;
        let (fin, opcode) = (head[0] & 0x80 != 0, head[0] & 0x0f);
        if head[0] & 0x70 != 0 {
            return Some(Err("a frame with RSV bits set (no extension was agreed)"));
        }
        if head[1] & 0x80 != 0 {
            return Some(Err("a masked frame from the server"));
        }
        let left = match head[1] & 0x7f {
            126 => u64::from(u16::from_be_bytes([head[2], head[3]])),
            127 => u64::from_be_bytes(head[2..10].try_into().expect("8 bytes")),
            short => u64::from(short),
        };
        match opcode {
            CLOSE | PING | PONG if !fin || left > MAX_CONTROL as u64 => {
                return Some(Err("a fragmented or oversized control frame"));
            }
            CLOSE | PING | PONG => self.control_len = 0,
            TEXT | BINARY if self.in_text => {
                return Some(Err("a new message inside a fragmented one"));
            }
            TEXT => self.in_text = true,
            BINARY | CONTINUATION => {}
            _ => return Some(Err("a frame with an unknown opcode")),
        }
        Some(Ok(Payload { opcode, fin, left }))
    }

    /// What a frame whose payload has all come means.
    fn frame_ended(&mut self, frame: Payload) -> Option<Ended> {
        match frame.opcode {
            PING => Some(Ended::Ping),
            CLOSE => Some(Ended::Close),
            PONG => None,
            _ if frame.fin && self.in_text => {
                self.in_text = false;
                Some(Ended::Message(self.unix_ms.finish()))
            }
            _ => None,
        }
    }

    /// A masked frame of `opcode` echoing the control payload just read
    /// (a pong carries the ping's; a close, the status code it received).
    fn reply(&mut self, opcode: u8) -> &[u8] {
        let len = if opcode == CLOSE {
            self.control_len.min(2)
        } else {
            self.control_len
        };
        let mut frame = [0u8; 2 + 4 + MAX_CONTROL];
        frame[0] = 0x80 | opcode;
        frame[1] = 0x80 | u8::try_from(len).expect("a control payload is at most 125 bytes");
        frame[2..6].copy_from_slice(&MASK);
        for (i, byte) in self.control[..len].iter().enumerate() {
            frame[6 + i] = byte ^ MASK[i % 4];
        }
        self.control = frame;
        &self.control[..6 + len]
    }
}

#[cfg(test)]
mod tests {
    use super::super::scan::Stamp;
    use super::*;

    /// An unmasked server frame.
    fn frame(first: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![first];
        match payload.len() {
            len @ 0..=125 => out.push(len as u8),
            len @ 126..=0xffff => {
                out.push(126);
                out.extend_from_slice(&(len as u16).to_be_bytes());
            }
            len => {
                out.push(127);
                out.extend_from_slice(&(len as u64).to_be_bytes());
            }
        }
        out.extend_from_slice(payload);
        out
    }

    fn text(unix_ms: i64) -> Vec<u8> {
        frame(
            0x81,
            format!(
                r#"{{"time":"12:34:56.789","hours":12,"unix_ms":{unix_ms},"tz":"UTC","seq":1}}"#
            )
            .as_bytes(),
        )
    }

    /// What the decoder makes of `reads`, as owned values.
    #[derive(Debug, PartialEq)]
    enum Seen {
        Message(Stamp),
        Reply(Vec<u8>),
        End(Vec<u8>),
        Invalid(&'static str),
    }

    fn decode(reads: &[&[u8]]) -> Vec<Seen> {
        let mut decoder = Decoder::default();
        let mut seen = Vec::new();
        for read in reads {
            let mut at = 0;
            while let Some(event) = decoder.next(read, &mut at) {
                seen.push(match event {
                    Event::Message(stamp) => Seen::Message(stamp),
                    Event::Reply(bytes) => Seen::Reply(bytes.to_vec()),
                    Event::End { reply, .. } => Seen::End(reply.to_vec()),
                    // The client stops reading there.
                    Event::Invalid(why) => return vec![Seen::Invalid(why)],
                });
            }
            assert_eq!(at, read.len(), "every byte of a read is used");
        }
        seen
    }

    fn unmask(frame: &[u8]) -> Vec<u8> {
        assert_eq!(frame[1] & 0x80, 0x80, "a client frame is masked");
        let mask = &frame[2..6];
        frame[6..]
            .iter()
            .enumerate()
            .map(|(i, b)| b ^ mask[i % 4])
            .collect()
    }

    #[test]
    fn several_frames_in_one_read() {
        let wire = [text(1), text(2), text(3)].concat();
        assert_eq!(
            decode(&[&wire]),
            vec![
                Seen::Message(Stamp::At(1)),
                Seen::Message(Stamp::At(2)),
                Seen::Message(Stamp::At(3))
            ]
        );
    }

    #[test]
    fn frames_split_anywhere_across_reads() {
        let wire = [text(11), text(12)].concat();
        let want = vec![Seen::Message(Stamp::At(11)), Seen::Message(Stamp::At(12))];
        for cut in 0..=wire.len() {
            assert_eq!(decode(&[&wire[..cut], &wire[cut..]]), want, "cut at {cut}");
        }
        let bytes: Vec<&[u8]> = wire.chunks(1).collect();
        assert_eq!(decode(&bytes), want);
    }

    #[test]
    fn sixteen_and_sixty_four_bit_lengths() {
        let padding = " ".repeat(300);
        let long = frame(
            0x81,
            format!(r#"{{"unix_ms":77,"pad":"{padding}"}}"#).as_bytes(),
        );
        assert_eq!(long[1], 126, "a 16-bit length");
        let huge = frame(0x82, &vec![0u8; 70_000]);
        assert_eq!(huge[1], 127, "a 64-bit length");
        let wire = [long, huge, text(78)].concat();
        let reads: Vec<&[u8]> = wire.chunks(1024).collect();
        assert_eq!(
            decode(&reads),
            vec![Seen::Message(Stamp::At(77)), Seen::Message(Stamp::At(78))]
        );
    }

    #[test]
    fn a_ping_is_answered_with_a_masked_pong_of_its_payload() {
        let wire = [text(1), frame(0x89, b"are you there"), text(2)].concat();
        for cut in 0..=wire.len() {
            let seen = decode(&[&wire[..cut], &wire[cut..]]);
            assert_eq!(seen.len(), 3, "cut at {cut}: {seen:?}");
            let Seen::Reply(pong) = &seen[1] else {
                panic!("cut at {cut}: no reply: {seen:?}");
            };
            assert_eq!(pong[0], 0x8A, "FIN + pong");
            assert_eq!(usize::from(pong[1] & 0x7f), b"are you there".len());
            assert_eq!(unmask(pong), b"are you there");
            assert_eq!(seen[2], Seen::Message(Stamp::At(2)));
        }
        // The funnel's keep-alive ping is empty.
        assert_eq!(
            decode(&[&frame(0x89, b"")]),
            vec![Seen::Reply(vec![0x8A, 0x80, 0x5a, 0x17, 0xc3, 0x8e])]
        );
    }

    #[test]
    fn pongs_and_binary_frames_are_skipped() {
        let wire = [frame(0x8A, b"late"), frame(0x82, b"\x00\x01"), text(5)].concat();
        assert_eq!(decode(&[&wire]), vec![Seen::Message(Stamp::At(5))]);
    }

    #[test]
    fn a_close_is_answered_with_a_masked_close_echoing_its_code() {
        let mut close = vec![0x03, 0xe9]; // 1001, going away
        close.extend_from_slice(b"funnel is shutting down");
        let seen = decode(&[&frame(0x88, &close)]);
        let [Seen::End(reply)] = &seen[..] else {
            panic!("no end: {seen:?}");
        };
        assert_eq!(reply[0], 0x88);
        assert_eq!(unmask(reply), vec![0x03, 0xe9]);
    }

    #[test]
    fn a_fragmented_text_message_is_read_whole() {
        let wire = [
            frame(0x01, br#"{"seq":1,"unix_"#),
            frame(0x89, b""),
            frame(0x80, br#"ms":1234}"#),
        ]
        .concat();
        let seen = decode(&[&wire]);
        assert_eq!(seen.len(), 2, "{seen:?}");
        assert_eq!(seen[1], Seen::Message(Stamp::At(1234)));
    }

    #[test]
    fn frames_no_server_may_send_are_refused() {
        let masked = [0x81, 0x82, 1, 2, 3, 4, b'{' ^ 1, b'}' ^ 2];
        assert!(matches!(decode(&[&masked])[..], [Seen::Invalid(_)]));
        let compressed = frame(0xC1, b"{}");
        assert!(matches!(decode(&[&compressed])[..], [Seen::Invalid(_)]));
        let long_ping = frame(0x89, &[0u8; 126]);
        assert!(matches!(decode(&[&long_ping])[..], [Seen::Invalid(_)]));
    }

    #[test]
    fn a_null_unix_ms_is_a_frame_without_the_time() {
        let wire = frame(0x81, br#"{"unix_ms":null,"degraded":["current-time"]}"#);
        assert_eq!(decode(&[&wire]), vec![Seen::Message(Stamp::Null)]);
    }
}
