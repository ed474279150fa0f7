//! ZMTP 3.x (rfc.zeromq.org/spec/23 and /37), the wire protocol of ZeroMQ, as
//! the timers' ROUTER door speaks it: the server side only, NULL mechanism,
//! REQ and DEALER peers.
//!
//! [`Decoder`] is pure (no socket): bytes in, [`Event`]s out. Every length read
//! off the wire is checked against [`FrameLimits`] before a byte is kept for
//! it: a frame that would take a request over its limit is skipped as it
//! arrives (the request is then answered with an error), and a message over the
//! hard limits is a [`ProtocolError`] (the connection is dropped).

use bytes::{Buf, Bytes, BytesMut};

/// Our greeting: signature, version 3.1, NULL mechanism, not as-server.
pub const GREETING: [u8; 64] = {
    let mut greeting = [0u8; 64];
    greeting[0] = 0xff;
    greeting[9] = 0x7f;
    greeting[10] = 3;
    greeting[11] = 1;
    greeting[12] = b'N';
    greeting[13] = b'U';
    greeting[14] = b'L';
    greeting[15] = b'L';
    greeting
};

/// The largest command frame accepted (READY with its properties, PING).
pub const MAX_COMMAND_BYTES: usize = 4096;

const MORE: u8 = 0b001;
const LONG: u8 = 0b010;
const COMMAND: u8 = 0b100;

/// How much one message may declare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameLimits {
    /// Payload bytes of one message kept for its request; beyond, the frames
    /// are skipped unread and the request answered with an error.
    pub max_request_bytes: usize,
    /// Payload bytes of one message at all: more drops the connection.
    pub max_message_bytes: u64,
    /// Frames of one message: more drops the connection.
    pub max_frames: usize,
}

/// The socket types a ROUTER talks to here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerType {
    Req,
    Dealer,
}

/// What the decoder made of the bytes so far.
#[derive(Debug, PartialEq, Eq)]
pub enum Event {
    /// The peer's greeting and READY were accepted: send ours.
    Ready(PeerType),
    /// One whole message.
    Message(Message),
    /// A heartbeat (ZMTP 3.1): answer with [`pong_command`] and `context`.
    Ping { context: Bytes },
}

/// One message as received: its frames when it fits the request limit.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Message {
    /// Every frame in order, or none when `total_bytes` is over the request
    /// limit (they were skipped, not kept).
    pub frames: Vec<Bytes>,
    /// How many frames it had.
    pub frame_count: usize,
    /// The sum of its frames' sizes.
    pub total_bytes: u64,
    /// Its largest frame's size.
    pub largest_frame: u64,
    /// Whether its first frame is empty (a REQ peer's delimiter).
    pub delimited: bool,
    /// Whether it was over the request limit (frames skipped).
    pub oversized: bool,
}

/// Why a connection is dropped.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProtocolError {
    #[error("not a ZMTP peer: the greeting's signature is wrong")]
    Signature,
    #[error("ZMTP {major}.{minor} is not spoken here (3.0 or later)")]
    Version { major: u8, minor: u8 },
    #[error("security mechanism {0:?} is not offered (NULL only)")]
    Mechanism(String),
    #[error("the handshake must be one READY command: {0}")]
    Handshake(&'static str),
    #[error("socket type {0:?} cannot talk to a ROUTER (REQ or DEALER can)")]
    SocketType(String),
    #[error("malformed command: {0}")]
    Command(&'static str),
    #[error("a command frame of {0} bytes is over the limit of {MAX_COMMAND_BYTES}")]
    CommandTooLarge(u64),
    #[error("reserved frame flags are set ({0:#04x})")]
    Flags(u8),
    #[error("a message of more than {0} frames")]
    TooManyFrames(usize),
    #[error("a message of {declared} bytes is over the limit of {limit} bytes")]
    MessageTooLarge { declared: u64, limit: u64 },
    #[error("the peer gave up: {0}")]
    PeerError(String),
}

impl ProtocolError {
    /// Whether this is a limit a well-formed peer went over (it gets an
    /// error reply before the connection is closed).
    pub fn is_over_limit(&self) -> bool {
        matches!(
            self,
            ProtocolError::TooManyFrames(_) | ProtocolError::MessageTooLarge { .. }
        )
    }
}

#[derive(Debug, Clone, Copy)]
enum State {
    Greeting,
    Handshake,
    Frames,
    /// Inside a message frame's body: `remaining` bytes of it still to come.
    Body {
        more: bool,
        keep: bool,
        remaining: u64,
    },
    Failed,
}

/// A frame header: flags and declared size.
#[derive(Debug, Clone, Copy)]
struct Header {
    flags: u8,
    size: u64,
    len: usize,
}

/// ZMTP decoder for one connection (see the module documentation).
#[derive(Debug)]
pub struct Decoder {
    limits: FrameLimits,
    state: State,
    message: Option<Message>,
}

impl Decoder {
    pub fn new(limits: FrameLimits) -> Self {
        Self {
            limits,
            state: State::Greeting,
            message: None,
        }
    }

    /// Whether the message being read (if any) started with an empty frame.
    pub fn delimited(&self) -> bool {
        self.message.as_ref().is_some_and(|m| m.delimited)
    }

    /// Consumes what it can of `buf` and returns the next event, `None` when
    /// more bytes are needed. `buf` never has to hold more than a command or
    /// a kept frame (at most the request limit) plus a header.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Event>, ProtocolError> {
        let result = self.step(buf);
        if result.is_err() {
            self.state = State::Failed;
        }
        result
    }

    fn step(&mut self, buf: &mut BytesMut) -> Result<Option<Event>, ProtocolError> {
        loop {
            match self.state {
                State::Failed => return Err(ProtocolError::Handshake("the stream already failed")),
                State::Greeting => {
                    check_greeting(buf)?;
                    if buf.len() < GREETING.len() {
                        return Ok(None);
                    }
                    buf.advance(GREETING.len());
                    self.state = State::Handshake;
                }
                State::Handshake => {
                    let Some(header) = parse_header(buf)? else {
                        return Ok(None);
                    };
                    if header.flags & COMMAND == 0 {
                        return Err(ProtocolError::Handshake("a message came first"));
                    }
                    let Some(body) = command_body(buf, header)? else {
                        return Ok(None);
                    };
                    let (name, data) = split_command(&body)?;
                    let peer = match name {
                        b"READY" => ready_peer(data)?,
                        b"ERROR" => return Err(peer_error(data)),
                        _ => return Err(ProtocolError::Handshake("another command came first")),
                    };
                    self.state = State::Frames;
                    return Ok(Some(Event::Ready(peer)));
                }
                State::Frames => {
                    let Some(header) = parse_header(buf)? else {
                        return Ok(None);
                    };
                    if header.flags & COMMAND != 0 {
                        if self.message.is_some() || header.flags & MORE != 0 {
                            return Err(ProtocolError::Command("a command inside a message"));
                        }
                        let Some(body) = command_body(buf, header)? else {
                            return Ok(None);
                        };
                        let (name, data) = split_command(&body)?;
                        match name {
                            b"PING" => {
                                // A TTL (2 bytes), then a context of at most 16.
                                let context =
                                    data.get(2..).ok_or(ProtocolError::Command("PING"))?;
                                if context.len() > 16 {
                                    return Err(ProtocolError::Command("PING context"));
                                }
                                let context = Bytes::copy_from_slice(context);
                                return Ok(Some(Event::Ping { context }));
                            }
                            b"ERROR" => return Err(peer_error(data)),
                            b"READY" => return Err(ProtocolError::Command("READY twice")),
                            // PONG and unknown commands (bounded) are ignored.
                            _ => continue,
                        }
                    }
                    self.start_frame(header)?;
                    buf.advance(header.len);
                }
                State::Body {
                    more,
                    keep,
                    remaining,
                } => {
                    let message = self.message.get_or_insert_default();
                    if keep {
                        // The request limit bounds it: remaining fits usize.
                        let size = usize::try_from(remaining).unwrap_or(usize::MAX);
                        if buf.len() < size {
                            return Ok(None);
                        }
                        message.frames.push(Bytes::copy_from_slice(&buf[..size]));
                        buf.advance(size);
                    } else {
                        let available = u64::try_from(buf.len()).unwrap_or(u64::MAX);
                        let skipped = available.min(remaining);
                        buf.advance(usize::try_from(skipped).unwrap_or(0));
                        if skipped < remaining {
                            self.state = State::Body {
                                more,
                                keep,
                                remaining: remaining - skipped,
                            };
                            return Ok(None);
                        }
                    }
                    self.state = State::Frames;
                    if !more {
                        return Ok(self.message.take().map(Event::Message));
                    }
                }
            }
        }
    }

    /// Checks a message frame's header against the limits before any of it
    /// is kept, and decides whether to keep or skip its body.
    fn start_frame(&mut self, header: Header) -> Result<(), ProtocolError> {
        let limits = self.limits;
        let message = self.message.get_or_insert_default();
        if message.frame_count >= limits.max_frames {
            return Err(ProtocolError::TooManyFrames(limits.max_frames));
        }
        let total = message.total_bytes.saturating_add(header.size);
        if total > limits.max_message_bytes {
            return Err(ProtocolError::MessageTooLarge {
                declared: total,
                limit: limits.max_message_bytes,
            });
        }
        if message.frame_count == 0 {
            message.delimited = header.size == 0;
        }
        message.frame_count += 1;
        message.total_bytes = total;
        message.largest_frame = message.largest_frame.max(header.size);
        let keep = total <= u64::try_from(limits.max_request_bytes).unwrap_or(u64::MAX);
        if !keep && !message.oversized {
            message.oversized = true;
            message.frames = Vec::new();
        }
        self.state = State::Body {
            more: header.flags & MORE != 0,
            keep,
            remaining: header.size,
        };
        Ok(())
    }
}

/// Fails as soon as the bytes so far cannot start a ZMTP 3 greeting.
fn check_greeting(buf: &[u8]) -> Result<(), ProtocolError> {
    if buf.first().is_some_and(|&b| b != 0xff) || buf.get(9).is_some_and(|&b| b & 1 == 0) {
        return Err(ProtocolError::Signature);
    }
    if let Some(&major) = buf.get(10)
        && major < 3
    {
        let minor = buf.get(11).copied().unwrap_or(0);
        return Err(ProtocolError::Version { major, minor });
    }
    if let Some(mechanism) = buf.get(12..32) {
        let name_len = mechanism.iter().position(|&b| b == 0).unwrap_or(20);
        let (name, padding) = mechanism.split_at(name_len);
        if name != b"NULL" || padding.iter().any(|&b| b != 0) {
            let shown = String::from_utf8_lossy(name).chars().take(20).collect();
            return Err(ProtocolError::Mechanism(shown));
        }
    }
    Ok(())
}

/// The header at the front of `buf`, if it is all there (not consumed).
fn parse_header(buf: &[u8]) -> Result<Option<Header>, ProtocolError> {
    let Some(&flags) = buf.first() else {
        return Ok(None);
    };
    if flags & !(MORE | LONG | COMMAND) != 0 {
        return Err(ProtocolError::Flags(flags));
    }
    if flags & LONG != 0 {
        let Some(size) = buf.get(1..9) else {
            return Ok(None);
        };
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(size);
        let size = u64::from_be_bytes(bytes);
        Ok(Some(Header {
            flags,
            size,
            len: 9,
        }))
    } else {
        let Some(&size) = buf.get(1) else {
            return Ok(None);
        };
        Ok(Some(Header {
            flags,
            size: u64::from(size),
            len: 2,
        }))
    }
}

/// A command frame's body, once it is all in `buf` (then consumed).
fn command_body(buf: &mut BytesMut, header: Header) -> Result<Option<Bytes>, ProtocolError> {
    let size = usize::try_from(header.size)
        .ok()
        .filter(|&size| size <= MAX_COMMAND_BYTES)
        .ok_or(ProtocolError::CommandTooLarge(header.size))?;
    if buf.len() < header.len + size {
        return Ok(None);
    }
    buf.advance(header.len);
    Ok(Some(buf.split_to(size).freeze()))
}

/// A command's name and data.
fn split_command(body: &[u8]) -> Result<(&[u8], &[u8]), ProtocolError> {
    let (&name_len, rest) = body.split_first().ok_or(ProtocolError::Command("empty"))?;
    let name_len = usize::from(name_len);
    if rest.len() < name_len {
        return Err(ProtocolError::Command("name longer than the frame"));
    }
    Ok(rest.split_at(name_len))
}

/// The peer's socket type from READY's properties.
fn ready_peer(mut data: &[u8]) -> Result<PeerType, ProtocolError> {
    let mut socket_type = None;
    while let Some((&name_len, rest)) = data.split_first() {
        let name_len = usize::from(name_len);
        let (name, rest) = rest
            .split_at_checked(name_len)
            .ok_or(ProtocolError::Command("property name longer than READY"))?;
        let (value_len, rest) = rest
            .split_at_checked(4)
            .ok_or(ProtocolError::Command("property without a value length"))?;
        let value_len =
            u32::from_be_bytes([value_len[0], value_len[1], value_len[2], value_len[3]]);
        let (value, rest) = usize::try_from(value_len)
            .ok()
            .and_then(|len| rest.split_at_checked(len))
            .ok_or(ProtocolError::Command("property value longer than READY"))?;
        if name.eq_ignore_ascii_case(b"Socket-Type") {
            socket_type = Some(value);
        }
        // Identity and other properties need nothing: replies go back on the
        // connection a request came from.
        data = rest;
    }
    match socket_type {
        Some(b"REQ") => Ok(PeerType::Req),
        Some(b"DEALER") => Ok(PeerType::Dealer),
        Some(other) => Err(ProtocolError::SocketType(
            String::from_utf8_lossy(other).chars().take(32).collect(),
        )),
        None => Err(ProtocolError::Handshake("READY without a Socket-Type")),
    }
}

fn peer_error(data: &[u8]) -> ProtocolError {
    let reason = data.get(1..).unwrap_or_default();
    let reason = reason
        .get(..usize::from(data.first().copied().unwrap_or(0)))
        .unwrap_or(reason);
    ProtocolError::PeerError(String::from_utf8_lossy(reason).chars().take(64).collect())
}

/// A command frame: `name` and its data.
fn command(name: &[u8], data: &[u8]) -> Vec<u8> {
    let size = 1 + name.len() + data.len();
    let mut out = Vec::with_capacity(size + 9);
    match u8::try_from(size) {
        Ok(short) => out.extend_from_slice(&[COMMAND, short]),
        Err(_) => {
            out.push(COMMAND | LONG);
            out.extend_from_slice(&(size as u64).to_be_bytes());
        }
    }
    out.push(u8::try_from(name.len()).unwrap_or(u8::MAX));
    out.extend_from_slice(name);
    out.extend_from_slice(data);
    out
}

/// Our READY: Socket-Type ROUTER.
pub fn ready_command() -> Vec<u8> {
    let mut data = vec![11];
    data.extend_from_slice(b"Socket-Type");
    data.extend_from_slice(&6u32.to_be_bytes());
    data.extend_from_slice(b"ROUTER");
    command(b"READY", &data)
}

/// ERROR with `reason` (at most 255 bytes of it), sent before closing during
/// the handshake.
pub fn error_command(reason: &str) -> Vec<u8> {
    let reason = &reason.as_bytes()[..reason.len().min(255)];
    let mut data = vec![u8::try_from(reason.len()).unwrap_or(u8::MAX)];
    data.extend_from_slice(reason);
    command(b"ERROR", &data)
}

/// PONG answering a PING's `context`.
pub fn pong_command(context: &[u8]) -> Vec<u8> {
    command(b"PONG", context)
}

/// Appends one message of `frames` to `out`.
pub fn encode_message(frames: &[&[u8]], out: &mut Vec<u8>) {
    for (n, frame) in frames.iter().enumerate() {
        let more = if n + 1 < frames.len() { MORE } else { 0 };
        match u8::try_from(frame.len()) {
            Ok(short) => out.extend_from_slice(&[more, short]),
            Err(_) => {
                out.push(more | LONG);
                out.extend_from_slice(&(frame.len() as u64).to_be_bytes());
            }
        }
        out.extend_from_slice(frame);
    }
}

#[cfg(test)]
#[path = "zmtp_tests.rs"]
mod tests;
