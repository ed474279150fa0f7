//! WebSocket on the wire (RFC 6455), as much as a server that pushes small
//! text frames needs: the opening handshake's answer, server frames encoded
//! once and shared by every subscriber (server frames are not masked, so the
//! same bytes go to everyone), and a bounded reader of clients' frames.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::{BufMut, Bytes, BytesMut};
use sha1::{Digest, Sha1};

/// Close codes the funnel sends.
pub mod close_code {
    /// The client closed; this is the echo.
    pub const NORMAL: u16 = 1000;
    /// The server is going away (shutting down).
    pub const AWAY: u16 = 1001;
    /// The client broke the protocol (unmasked, fragmented control frame…).
    pub const PROTOCOL: u16 = 1002;
    /// The client sent a kind of message the server does not take (binary).
    pub const UNSUPPORTED: u16 = 1003;
    /// The client sent text that is not UTF-8.
    pub const INVALID: u16 = 1007;
    /// The client sent a message larger than the server takes.
    pub const TOO_BIG: u16 = 1009;
}

const FIN: u8 = 0x80;

/// A frame's kind (its opcode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opcode {
    Continuation,
    Text,
    Binary,
    Close,
    Ping,
    Pong,
}

impl Opcode {
    fn from_bits(bits: u8) -> Option<Self> {
        Some(match bits {
            0x0 => Self::Continuation,
            0x1 => Self::Text,
            0x2 => Self::Binary,
            0x8 => Self::Close,
            0x9 => Self::Ping,
            0xA => Self::Pong,
            _ => return None,
        })
    }

    fn bits(self) -> u8 {
        match self {
            Self::Continuation => 0x0,
            Self::Text => 0x1,
            Self::Binary => 0x2,
            Self::Close => 0x8,
            Self::Ping => 0x9,
            Self::Pong => 0xA,
        }
    }

    fn is_control(self) -> bool {
        matches!(self, Self::Close | Self::Ping | Self::Pong)
    }
}

/// The `Sec-WebSocket-Accept` value for a client's `Sec-WebSocket-Key`.
pub fn accept_key(client_key: &[u8]) -> String {
    const GUID: &[u8] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    let mut sha1 = Sha1::new();
    sha1.update(client_key);
    sha1.update(GUID);
    BASE64.encode(sha1.finalize())
}

/// The `101 Switching Protocols` answer to a client whose key is `client_key`.
pub fn handshake_response(client_key: &[u8]) -> Bytes {
    Bytes::from(format!(
        "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\n\
         sec-websocket-accept: {}\r\n\r\n",
        accept_key(client_key)
    ))
}

/// One complete, unfragmented server frame of `opcode` carrying `payload`.
pub fn encode(opcode: Opcode, payload: &[u8]) -> Bytes {
    let mut frame = BytesMut::with_capacity(payload.len() + 10);
    frame.put_u8(FIN | opcode.bits());
    match payload.len() {
        len @ 0..=125 => frame.put_u8(len as u8),
        len @ 126..=0xFFFF => {
            frame.put_u8(126);
            frame.put_u16(len as u16);
        }
        len => {
            frame.put_u8(127);
            frame.put_u64(len as u64);
        }
    }
    frame.put_slice(payload);
    frame.freeze()
}

/// A text frame.
pub fn text(payload: &str) -> Bytes {
    encode(Opcode::Text, payload.as_bytes())
}

/// A close frame with `code` and a `reason` (cut to fit a control frame).
pub fn close(code: u16, reason: &str) -> Bytes {
    let mut payload = Vec::with_capacity(2 + reason.len());
    payload.extend_from_slice(&code.to_be_bytes());
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    payload.extend_from_slice(&reason.as_bytes()[..end]);
    encode(Opcode::Close, &payload)
}

/// What a client sent, as the reader hands it over.
#[derive(Debug, PartialEq, Eq)]
pub enum Incoming<'a> {
    /// A complete text message (reassembled when fragmented), valid UTF-8.
    Text(&'a str),
    /// A ping with its payload, to be answered with a pong carrying it.
    Ping(&'a [u8]),
    /// A pong (the answer to our keepalive ping).
    Pong,
    /// The client closes, with its code when it gave one.
    Close(Option<u16>),
}

/// Why a client's bytes are not a WebSocket conversation the server keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Violation {
    /// The close code to answer with.
    pub code: u16,
    pub reason: &'static str,
}

impl Violation {
    const fn new(code: u16, reason: &'static str) -> Self {
        Self { code, reason }
    }
}

/// Reads clients' frames from the bytes of their connection: unmasks them,
/// reassembles fragmented text, and refuses what a client must not send
/// (unmasked frames, reserved bits, binary messages, messages over
/// `max_message`). Holds bytes only while a frame is incomplete: an idle
/// client costs it nothing but the empty buffer.
#[derive(Debug, Default)]
pub struct FrameReader {
    /// Bytes of a frame not yet complete, or of a fragmented message.
    pending: Vec<u8>,
    /// Where the current fragmented text message starts in `pending`'s
    /// assembled part, when one is being reassembled.
    message: Option<Vec<u8>>,
}

/// The most a control frame carries (RFC 6455 § 5.5).
const MAX_CONTROL_PAYLOAD: usize = 125;

/// A frame's header, once its first bytes are in.
struct Header {
    fin: bool,
    opcode: Opcode,
    mask: [u8; 4],
    header_len: usize,
    payload_len: usize,
}

impl FrameReader {
    /// Whether it holds nothing: no frame or message half-read.
    pub fn is_idle(&self) -> bool {
        self.pending.is_empty() && self.message.is_none()
    }

    /// Feeds `bytes` read from the client, calling `on_message` for every
    /// complete message, in order. Stops at the first violation, or when
    /// `on_message` returns false (the connection is done).
    pub fn read(
        &mut self,
        bytes: &[u8],
        max_message: usize,
        mut on_message: impl FnMut(Incoming<'_>) -> bool,
    ) -> Result<(), Violation> {
        // The usual case: whole frames, nothing pending, read in place.
        let mut input: &[u8] = bytes;
        let mut owned = Vec::new();
        if !self.pending.is_empty() {
            owned = std::mem::take(&mut self.pending);
            owned.extend_from_slice(bytes);
            input = &owned;
        }
        let mut at = 0;
        loop {
            let header = match parse_header(&input[at..], max_message)? {
                Some(header) if input.len() - at >= header.header_len + header.payload_len => {
                    header
                }
                _ => break,
            };
            let start = at + header.header_len;
            let end = start + header.payload_len;
            let mut payload = input[start..end].to_vec();
            at = end;
            for (i, byte) in payload.iter_mut().enumerate() {
                *byte ^= header.mask[i % 4];
            }
            if !self.on_frame(&header, payload, max_message, &mut on_message)? {
                return Ok(());
            }
        }
        let rest = &input[at..];
        if !rest.is_empty() {
            // Bounded: parse_header refused frames over the limit, and a
            // header is at most 14 bytes.
            self.pending = rest.to_vec();
        }
        drop(owned);
        Ok(())
    }

    fn on_frame(
        &mut self,
        header: &Header,
        payload: Vec<u8>,
        max_message: usize,
        on_message: &mut impl FnMut(Incoming<'_>) -> bool,
    ) -> Result<bool, Violation> {
        match header.opcode {
            Opcode::Ping => Ok(on_message(Incoming::Ping(&payload))),
            Opcode::Pong => Ok(on_message(Incoming::Pong)),
            Opcode::Close => {
                let code =
                    (payload.len() >= 2).then(|| u16::from_be_bytes([payload[0], payload[1]]));
                on_message(Incoming::Close(code));
                Ok(false)
            }
            Opcode::Binary => Err(Violation::new(
                close_code::UNSUPPORTED,
                "binary messages are not taken; send JSON text",
            )),
            Opcode::Text if self.message.is_some() => Err(Violation::new(
                close_code::PROTOCOL,
                "a new message began before the last one ended",
            )),
            Opcode::Text if header.fin => deliver_text(&payload, on_message),
            Opcode::Text => {
                self.message = Some(payload);
                Ok(true)
            }
            Opcode::Continuation => {
                let Some(message) = self.message.as_mut() else {
                    return Err(Violation::new(
                        close_code::PROTOCOL,
                        "a continuation frame with no message to continue",
                    ));
                };
                if message.len() + payload.len() > max_message {
                    return Err(too_big());
                }
                message.extend_from_slice(&payload);
                if !header.fin {
                    return Ok(true);
                }
                let message = self.message.take().unwrap_or_default();
                deliver_text(&message, on_message)
            }
        }
    }
}

fn deliver_text(
    payload: &[u8],
    on_message: &mut impl FnMut(Incoming<'_>) -> bool,
) -> Result<bool, Violation> {
    match std::str::from_utf8(payload) {
        Ok(text) => Ok(on_message(Incoming::Text(text))),
        Err(_) => Err(Violation::new(
            close_code::INVALID,
            "text messages must be UTF-8",
        )),
    }
}

fn too_big() -> Violation {
    Violation::new(close_code::TOO_BIG, "message too large")
}

/// The header at the start of `bytes`; `None` while it is incomplete.
fn parse_header(bytes: &[u8], max_message: usize) -> Result<Option<Header>, Violation> {
    let [first, second, ..] = *bytes else {
        return Ok(None);
    };
    if first & 0x70 != 0 {
        return Err(Violation::new(
            close_code::PROTOCOL,
            "reserved bits set (no extension was agreed)",
        ));
    }
    let Some(opcode) = Opcode::from_bits(first & 0x0F) else {
        return Err(Violation::new(close_code::PROTOCOL, "unknown opcode"));
    };
    let fin = first & FIN != 0;
    if second & 0x80 == 0 {
        return Err(Violation::new(
            close_code::PROTOCOL,
            "client frames must be masked",
        ));
    }
    let (payload_len, length_bytes) = match second & 0x7F {
        126 => match bytes.get(2..4) {
            Some(len) => (u64::from(u16::from_be_bytes([len[0], len[1]])), 2),
            None => return Ok(None),
        },
        127 => match bytes.get(2..10) {
            Some(len) => {
                let mut be = [0; 8];
                be.copy_from_slice(len);
                (u64::from_be_bytes(be), 8)
            }
            None => return Ok(None),
        },
        len => (u64::from(len), 0),
    };
    if opcode.is_control() && (!fin || payload_len > MAX_CONTROL_PAYLOAD as u64) {
        return Err(Violation::new(
            close_code::PROTOCOL,
            "control frames must be whole and at most 125 bytes",
        ));
    }
    if payload_len > max_message as u64 {
        return Err(too_big());
    }
    let mask_at = 2 + length_bytes;
    let Some(mask) = bytes.get(mask_at..mask_at + 4) else {
        return Ok(None);
    };
    Ok(Some(Header {
        fin,
        opcode,
        mask: [mask[0], mask[1], mask[2], mask[3]],
        header_len: mask_at + 4,
        payload_len: payload_len as usize,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A client frame: masked, as browsers send them.
    fn masked(first: u8, payload: &[u8]) -> Vec<u8> {
        let mask = [0x12, 0x34, 0x56, 0x78];
        let mut frame = vec![first];
        match payload.len() {
            len @ 0..=125 => frame.push(0x80 | len as u8),
            len => {
                frame.push(0x80 | 126);
                frame.extend_from_slice(&(len as u16).to_be_bytes());
            }
        }
        frame.extend_from_slice(&mask);
        frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        frame
    }

    fn read_all(reader: &mut FrameReader, bytes: &[u8]) -> Result<Vec<String>, Violation> {
        let mut seen = Vec::new();
        reader.read(bytes, 4096, |message| {
            seen.push(format!("{message:?}"));
            true
        })?;
        Ok(seen)
    }

    #[test]
    fn the_accept_key_is_the_rfcs_example() {
        assert_eq!(
            accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn server_frames_are_unmasked_with_the_shortest_length() {
        assert_eq!(&text("hi")[..], b"\x81\x02hi");
        let long = "x".repeat(300);
        let frame = text(&long);
        assert_eq!(&frame[..4], &[0x81, 126, 0x01, 0x2C]);
        assert_eq!(frame.len(), 304);
        assert_eq!(&close(1001, "bye")[..], b"\x88\x05\x03\xe9bye");
    }

    #[test]
    fn frames_split_anywhere_and_packed_together_are_read_in_order() {
        let mut bytes = masked(0x81, br#"{"tz":"UTC"}"#);
        bytes.extend(masked(0x89, b"p"));
        bytes.extend(masked(0x81, &[b'a'; 200]));
        for split in 0..bytes.len() {
            let mut reader = FrameReader::default();
            let mut seen = read_all(&mut reader, &bytes[..split]).expect("valid");
            seen.extend(read_all(&mut reader, &bytes[split..]).expect("valid"));
            assert_eq!(seen.len(), 3, "split at {split}: {seen:?}");
            assert_eq!(seen[0], r#"Text("{\"tz\":\"UTC\"}")"#);
            assert_eq!(seen[1], "Ping([112])");
            assert!(reader.pending.is_empty());
        }
    }

    #[test]
    fn fragmented_text_is_reassembled_with_pings_between() {
        let mut bytes = masked(0x01, b"hel");
        bytes.extend(masked(0x89, b""));
        bytes.extend(masked(0x80, b"lo"));
        let seen = read_all(&mut FrameReader::default(), &bytes).expect("valid");
        assert_eq!(seen, ["Ping([])", r#"Text("hello")"#]);
    }

    #[test]
    fn what_a_client_must_not_send_is_refused_with_its_close_code() {
        let unmasked = b"\x81\x02hi";
        let cases: [(&[u8], u16); 5] = [
            (unmasked, close_code::PROTOCOL),
            (&masked(0x82, b"bin"), close_code::UNSUPPORTED),
            (&masked(0xC1, b"rsv"), close_code::PROTOCOL),
            (&masked(0x81, &[0xFF, 0xFE]), close_code::INVALID),
            (&masked(0x80, b"orphan"), close_code::PROTOCOL),
        ];
        for (bytes, code) in cases {
            let refused = read_all(&mut FrameReader::default(), bytes).expect_err("refused");
            assert_eq!(refused.code, code, "{bytes:?}");
        }
    }

    #[test]
    fn oversized_messages_are_refused_before_their_payload_arrives() {
        // A header announcing 1 GiB: refused from the header alone.
        let mut header = vec![0x81, 0x80 | 127];
        header.extend_from_slice(&(1u64 << 30).to_be_bytes());
        let refused = read_all(&mut FrameReader::default(), &header).expect_err("refused");
        assert_eq!(refused.code, close_code::TOO_BIG);
        // Fragments that add up to too much.
        let mut reader = FrameReader::default();
        read_all(&mut reader, &masked(0x01, &[b'a'; 3000])).expect("first fragment");
        let refused = read_all(&mut reader, &masked(0x80, &[b'a'; 3000])).expect_err("refused");
        assert_eq!(refused.code, close_code::TOO_BIG);
    }

    #[test]
    fn a_close_ends_the_reading_with_its_code() {
        let mut bytes = masked(0x88, &1000u16.to_be_bytes());
        bytes.extend(masked(0x81, b"after"));
        let seen = read_all(&mut FrameReader::default(), &bytes).expect("valid");
        assert_eq!(seen, ["Close(Some(1000))"]);
    }
}
