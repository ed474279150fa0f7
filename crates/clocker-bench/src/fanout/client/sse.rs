//! An SSE client's side of the wire, as lean as the benchmark needs: the
//! `GET` a browser's `EventSource` sends, and a decoder of the response body
//! fed whatever each read brought (HTTP/1.1 chunks, or a body that ends with
//! the connection). Each `data:` event yields its `timestamp`; other blocks
//! (the `retry:` hint, comments) yield nothing. Nothing is buffered or
//! allocated.

use std::net::SocketAddr;

use super::Event;
use super::scan::FieldScan;

/// The request for `path` on `addr`.
pub fn request(addr: SocketAddr, path: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\
         Cache-Control: no-cache\r\n\r\n"
    )
}

/// Decodes a response body into events.
#[derive(Debug, Clone)]
pub struct Decoder {
    /// How the body is framed: chunks, or none (it ends with the connection).
    chunks: Option<Chunked>,
    events: Events,
}

impl Decoder {
    /// The decoder for a response with this head (status line and headers):
    /// chunked, or else ended by closing (then it must not have a length).
    pub fn for_head(head: &[u8]) -> Result<Self, String> {
        let chunked = header(head, "transfer-encoding")
            .is_some_and(|value| contains_ignoring_case(value, b"chunked"));
        if !chunked && header(head, "content-length").is_some() {
            return Err("the SSE response has a Content-Length: not a stream".into());
        }
        Ok(Self {
            chunks: chunked.then_some(Chunked::Size {
                size: 0,
                digits: false,
                extension: false,
            }),
            events: Events::default(),
        })
    }

    /// The next event `bytes[*at..]` completes, `at` moved past what it
    /// used; `None` once they are used up.
    pub fn next<'a>(&'a mut self, bytes: &[u8], at: &mut usize) -> Option<Event<'a>> {
        while *at < bytes.len() {
            let body = match &mut self.chunks {
                None => &bytes[*at..],
                Some(chunks) => match chunks.step(bytes, at) {
                    Step::Data(range) => &bytes[range],
                    Step::Framing => continue,
                    Step::Last => {
                        return Some(Event::End {
                            reason: "the server ended the stream",
                            reply: &[],
                        });
                    }
                    Step::Invalid(why) => return Some(Event::Invalid(why)),
                },
            };
            let (used, stamp) = self.events.feed(body);
            match &mut self.chunks {
                None => *at += used,
                Some(chunks) => chunks.used(body.len(), used, at),
            }
            if let Some(stamp) = stamp {
                return Some(Event::Message(stamp));
            }
        }
        None
    }
}

/// The events of a body, one `\n\n`-ended block at a time.
#[derive(Debug, Clone)]
struct Events {
    /// At the start of a line (the body starts at one).
    line_start: bool,
    /// How much of `data:` the current line starts with; `None` once it is
    /// known not to.
    data_prefix: Option<usize>,
    /// Whether the current block has a `data:` line.
    has_data: bool,
    timestamp: FieldScan,
}

impl Default for Events {
    fn default() -> Self {
        Self {
            line_start: true,
            data_prefix: None,
            has_data: false,
            timestamp: FieldScan::new(br#""timestamp":"#),
        }
    }
}

impl Events {
    /// Goes over `body` up to the end of the next `data` block: how many
    /// bytes it used, and that block's `timestamp` if one ended.
    fn feed(&mut self, body: &[u8]) -> (usize, Option<super::scan::Stamp>) {
        for (i, &byte) in body.iter().enumerate() {
            match byte {
                b'\n' if self.line_start => {
                    // A blank line ends the block.
                    let stamp = self.timestamp.finish();
                    if std::mem::take(&mut self.has_data) {
                        return (i + 1, Some(stamp));
                    }
                }
                b'\n' => {
                    self.line_start = true;
                    self.data_prefix = None;
                }
                b'\r' => {}
                _ => {
                    if self.line_start {
                        self.line_start = false;
                        self.data_prefix = Some(0);
                    }
                    if let Some(matched) = self.data_prefix {
                        self.data_prefix = (byte == b"data:"[matched]).then_some(matched + 1);
                        if self.data_prefix == Some(5) {
                            self.has_data = true;
                            self.data_prefix = None;
                        }
                    }
                    self.timestamp.feed(std::slice::from_ref(&byte));
                }
            }
        }
        (body.len(), None)
    }
}

/// Where an HTTP/1.1 chunked body is.
#[derive(Debug, Clone, Copy)]
enum Chunked {
    /// In `<hex size>[;extension]\r\n`.
    Size {
        size: u64,
        digits: bool,
        extension: bool,
    },
    /// Inside a chunk, this many bytes left.
    Data(u64),
    /// In the `\r\n` after a chunk's data; this many of it seen.
    DataEnd(u8),
    /// After the last (empty) chunk.
    Last,
}

/// What the framing makes of the bytes at hand.
enum Step {
    /// Chunk data, at these positions of the read.
    Data(std::ops::Range<usize>),
    /// Framing consumed; go on.
    Framing,
    /// The last chunk came.
    Last,
    Invalid(&'static str),
}

impl Chunked {
    fn step(&mut self, bytes: &[u8], at: &mut usize) -> Step {
        match *self {
            Chunked::Data(left) => {
                let take = usize::try_from(left)
                    .unwrap_or(usize::MAX)
                    .min(bytes.len() - *at);
                // `at` moves in `used`, by what the events took.
                Step::Data(*at..*at + take)
            }
            Chunked::Last => Step::Last,
            Chunked::DataEnd(seen) => {
                let byte = bytes[*at];
                *at += 1;
                match (seen, byte) {
                    (0, b'\r') => *self = Chunked::DataEnd(1),
                    (1, b'\n') => {
                        *self = Chunked::Size {
                            size: 0,
                            digits: false,
                            extension: false,
                        }
                    }
                    _ => return Step::Invalid("a chunk does not end with CRLF"),
                }
                Step::Framing
            }
            Chunked::Size {
                size,
                digits,
                extension,
            } => {
                let byte = bytes[*at];
                *at += 1;
                match byte {
                    b'\n' if digits && size == 0 => *self = Chunked::Last,
                    b'\n' if digits => *self = Chunked::Data(size),
                    b'\n' => return Step::Invalid("a chunk size line without a size"),
                    b'\r' => {}
                    _ if extension => {}
                    b';' => {
                        *self = Chunked::Size {
                            size,
                            digits,
                            extension: true,
                        }
                    }
                    _ => {
                        let Some(value) = (byte as char).to_digit(16) else {
                            return Step::Invalid("a chunk size that is not hexadecimal");
                        };
                        let Some(size) = size
                            .checked_mul(16)
                            .and_then(|s| s.checked_add(u64::from(value)))
                        else {
                            return Step::Invalid("a chunk size over 2^64");
                        };
                        *self = Chunked::Size {
                            size,
                            digits: true,
                            extension: false,
                        };
                    }
                }
                match *self {
                    Chunked::Last => Step::Last,
                    _ => Step::Framing,
                }
            }
        }
    }

    /// The events used `used` of the `offered` data bytes at `at`.
    fn used(&mut self, offered: usize, used: usize, at: &mut usize) {
        debug_assert!(used <= offered);
        *at += used;
        if let Chunked::Data(left) = *self {
            let left = left - used as u64;
            *self = if left == 0 {
                Chunked::DataEnd(0)
            } else {
                Chunked::Data(left)
            };
        }
    }
}

/// The value of header `name` in a response head, if present.
fn header<'a>(head: &'a [u8], name: &str) -> Option<&'a [u8]> {
    head.split(|&b| b == b'\n').skip(1).find_map(|line| {
        let colon = line.iter().position(|&b| b == b':')?;
        line[..colon]
            .trim_ascii()
            .eq_ignore_ascii_case(name.as_bytes())
            .then(|| line[colon + 1..].trim_ascii())
    })
}

fn contains_ignoring_case(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::super::scan::Stamp;
    use super::*;

    const CHUNKED_HEAD: &[u8] =
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: Chunked\r\n\r\n";
    const CLOSING_HEAD: &[u8] =
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n";

    /// What the decoder makes of `reads`: stamps, then `None` for the end.
    fn decode(head: &[u8], reads: &[&[u8]]) -> Vec<Option<Stamp>> {
        let mut decoder = Decoder::for_head(head).expect("an SSE head");
        let mut seen = Vec::new();
        for read in reads {
            let mut at = 0;
            while let Some(event) = decoder.next(read, &mut at) {
                match event {
                    Event::Message(stamp) => seen.push(Some(stamp)),
                    Event::End { .. } => {
                        seen.push(None);
                        return seen;
                    }
                    Event::Reply(_) => panic!("SSE never replies"),
                    Event::Invalid(why) => panic!("invalid: {why}"),
                }
            }
            assert_eq!(at, read.len(), "every byte of a read is used");
        }
        seen
    }

    const BODY: &[u8] = b"retry: 1000\n\n: keep-alive\n\nevent: data\nid: 7\ndata: {\"timestamp\":1795,\"value\":5,\"sequence\":7}\n\nevent: data\nid: 8\ndata: {\"timestamp\":1796,\"value\":6,\"sequence\":8}\n\n";

    #[test]
    fn events_are_read_from_a_body_that_ends_with_the_connection() {
        let want = vec![Some(Stamp::At(1795)), Some(Stamp::At(1796))];
        for cut in 0..=BODY.len() {
            assert_eq!(
                decode(CLOSING_HEAD, &[&BODY[..cut], &BODY[cut..]]),
                want,
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn chunks_decode_whatever_the_reads_cut() {
        // The body in chunks cut across events, with an extension, then the
        // last chunk.
        let mut wire = Vec::new();
        for (i, part) in BODY.chunks(40).enumerate() {
            let ext = if i == 1 { ";name=value" } else { "" };
            wire.extend_from_slice(format!("{:x}{ext}\r\n", part.len()).as_bytes());
            wire.extend_from_slice(part);
            wire.extend_from_slice(b"\r\n");
        }
        wire.extend_from_slice(b"0\r\n\r\n");
        let want = vec![Some(Stamp::At(1795)), Some(Stamp::At(1796)), None];
        for cut in 0..=wire.len() {
            assert_eq!(
                decode(CHUNKED_HEAD, &[&wire[..cut], &wire[cut..]]),
                want,
                "cut at {cut}"
            );
        }
        let bytes: Vec<&[u8]> = wire.chunks(1).collect();
        assert_eq!(decode(CHUNKED_HEAD, &bytes), want);
    }

    #[test]
    fn a_data_event_without_a_timestamp_says_so() {
        assert_eq!(
            decode(
                CLOSING_HEAD,
                &[b"data: nonsense\n\ndata: {\"timestamp\":3}\r\n\r\n"]
            ),
            vec![Some(Stamp::Absent), Some(Stamp::At(3))]
        );
    }

    #[test]
    fn bad_framing_is_refused() {
        let mut decoder = Decoder::for_head(CHUNKED_HEAD).expect("an SSE head");
        let mut at = 0;
        assert!(matches!(
            decoder.next(b"zz\r\n", &mut at),
            Some(Event::Invalid(_))
        ));
        assert!(Decoder::for_head(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n").is_err());
    }
}
