//! Reads one integer field of a JSON message (`"unix_ms":`, `"timestamp":`)
//! as its bytes go by, whatever the reads cut: the name is found by byte
//! scan (Knuth–Morris–Pratt, so a near miss such as `""unix_ms":` still
//! matches) and the digits are parsed by hand. Nothing is buffered or
//! allocated.

/// The field read off one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stamp {
    /// The field's integer.
    At(i64),
    /// The field is `null` (a funnel frame without the time).
    Null,
    /// No such field, or not an integer nor `null`.
    Absent,
}

/// The longest name scanned for (bytes).
const MAX_NEEDLE: usize = 32;

/// Scans for `needle` followed by an integer or `null`.
#[derive(Debug, Clone)]
pub struct FieldScan {
    needle: &'static [u8],
    /// For each prefix length of `needle`, its longest proper border.
    borders: [u8; MAX_NEEDLE + 1],
    state: State,
}

#[derive(Debug, Clone, Copy)]
enum State {
    /// This many bytes of the name matched so far.
    Name(usize),
    /// The name matched; spaces may come before the value.
    Value,
    /// Inside the integer.
    Digits {
        negative: bool,
        any: bool,
        value: i64,
    },
    /// This many bytes of `null` matched.
    Null(usize),
    /// The message's field is known; the rest of it is skipped.
    Done(Stamp),
}

impl FieldScan {
    /// A scan for `needle` (at most 32 bytes, such as `"unix_ms":`).
    pub fn new(needle: &'static [u8]) -> Self {
        assert!(
            !needle.is_empty() && needle.len() <= MAX_NEEDLE,
            "a field name of 1 to {MAX_NEEDLE} bytes"
        );
        let mut borders = [0u8; MAX_NEEDLE + 1];
        let mut border = 0usize;
        for i in 1..needle.len() {
            while border > 0 && needle[i] != needle[border] {
                border = usize::from(borders[border]);
            }
            if needle[i] == needle[border] {
                border += 1;
            }
            borders[i + 1] = u8::try_from(border).expect("a border is shorter than the needle");
        }
        Self {
            needle,
            borders,
            state: State::Name(0),
        }
    }

    /// Goes over the next bytes of the current message.
    pub fn feed(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.state = match self.state {
                State::Done(_) => return,
                State::Name(matched) => self.name(matched, byte),
                State::Value => match byte {
                    b' ' | b'\t' | b'\r' | b'\n' => State::Value,
                    b'-' => State::Digits {
                        negative: true,
                        any: false,
                        value: 0,
                    },
                    b'0'..=b'9' => State::Digits {
                        negative: false,
                        any: true,
                        value: i64::from(byte - b'0'),
                    },
                    b'n' => State::Null(1),
                    _ => State::Done(Stamp::Absent),
                },
                State::Digits {
                    negative,
                    any,
                    value,
                } => match byte {
                    b'0'..=b'9' => match value
                        .checked_mul(10)
                        .and_then(|v| v.checked_add(i64::from(byte - b'0')))
                    {
                        Some(value) => State::Digits {
                            negative,
                            any: true,
                            value,
                        },
                        None => State::Done(Stamp::Absent),
                    },
                    _ => State::Done(Self::number(negative, any, value)),
                },
                State::Null(matched) => {
                    if byte != b"null"[matched] {
                        State::Done(Stamp::Absent)
                    } else if matched + 1 == 4 {
                        State::Done(Stamp::Null)
                    } else {
                        State::Null(matched + 1)
                    }
                }
            };
        }
    }

    /// The current message ended: its field, and the scan starts afresh.
    pub fn finish(&mut self) -> Stamp {
        let stamp = match self.state {
            State::Done(stamp) => stamp,
            State::Digits {
                negative,
                any,
                value,
            } => Self::number(negative, any, value),
            State::Name(_) | State::Value | State::Null(_) => Stamp::Absent,
        };
        self.state = State::Name(0);
        stamp
    }

    /// One step of the name's match.
    fn name(&self, mut matched: usize, byte: u8) -> State {
        while matched > 0 && self.needle[matched] != byte {
            matched = usize::from(self.borders[matched]);
        }
        if self.needle[matched] == byte {
            matched += 1;
        }
        if matched == self.needle.len() {
            State::Value
        } else {
            State::Name(matched)
        }
    }

    fn number(negative: bool, any: bool, value: i64) -> Stamp {
        match (any, negative) {
            (false, _) => Stamp::Absent,
            (true, true) => Stamp::At(-value),
            (true, false) => Stamp::At(value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FRAME: &[u8] = br#"{"time":"12:34:56.789","hours":12,"minutes":34,"seconds":56,"milliseconds":789,"unix_ms":1796586570087,"tz":"UTC","seq":9}"#;

    fn scan(parts: &[&[u8]]) -> Stamp {
        let mut scan = FieldScan::new(br#""unix_ms":"#);
        for part in parts {
            scan.feed(part);
        }
        scan.finish()
    }

    #[test]
    fn unix_ms_is_read_wherever_the_message_is_cut() {
        for cut in 0..=FRAME.len() {
            assert_eq!(
                scan(&[&FRAME[..cut], &FRAME[cut..]]),
                Stamp::At(1_796_586_570_087),
                "cut at {cut}"
            );
        }
        let bytes: Vec<&[u8]> = FRAME.chunks(1).collect();
        assert_eq!(scan(&bytes), Stamp::At(1_796_586_570_087));
    }

    #[test]
    fn null_absent_and_malformed_values_are_told_apart() {
        assert_eq!(scan(&[br#"{"unix_ms":null,"seq":1}"#]), Stamp::Null);
        assert_eq!(scan(&[br#"{"seq":1}"#]), Stamp::Absent);
        assert_eq!(scan(&[br#"{"unix_ms":"soon"}"#]), Stamp::Absent);
        assert_eq!(scan(&[br#"{"unix_ms":nul}"#]), Stamp::Absent);
        assert_eq!(scan(&[br#"{"unix_ms":-}"#]), Stamp::Absent);
        assert_eq!(
            scan(&[br#"{"unix_ms":99999999999999999999}"#]),
            Stamp::Absent
        );
        assert_eq!(scan(&[br#"{"unix_ms": -12}"#]), Stamp::At(-12));
        // A message that ends right after the digits.
        assert_eq!(scan(&[br#""unix_ms":42"#]), Stamp::At(42));
    }

    #[test]
    fn a_near_miss_does_not_hide_the_name() {
        // The scan restarts inside a failed match: `""unix_ms":` and
        // `"unix_ms""unix_ms":` still match at their second quote.
        assert_eq!(scan(&[br#"{""unix_ms":7}"#]), Stamp::At(7));
        assert_eq!(scan(&[br#"{"unix_ms""unix_ms":8}"#]), Stamp::At(8));
        // Another field whose name ends the same way does not match.
        assert_eq!(scan(&[br#"{"not_unix_ms":9}"#]), Stamp::Absent);
    }

    #[test]
    fn each_message_is_scanned_afresh() {
        let mut scan = FieldScan::new(br#""timestamp":"#);
        scan.feed(br#"{"timestamp":1,"#);
        assert_eq!(scan.finish(), Stamp::At(1));
        scan.feed(br#"{"value":2}"#);
        assert_eq!(scan.finish(), Stamp::Absent);
        scan.feed(br#"{"value":3,"timestamp":17}"#);
        assert_eq!(scan.finish(), Stamp::At(17));
    }
}
