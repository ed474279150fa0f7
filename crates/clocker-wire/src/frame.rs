//! The JSON clock frame the funnel pushes on `/ws` and the stream sends on
//! `/stream/time`. How a frame is built from the clock services is
//! `clocker-fanout`'s; this is its shape, which clients read back.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// One clock frame:
/// `{"time":"HH:MM:SS.mmm","hours":h,"minutes":m,"seconds":s,"milliseconds":ms,"unix_ms":t,"tz":"…","seq":n}`.
///
/// A field whose service did not answer is `null`, its place in `time` is
/// `--`, and the service is named in `"degraded"` (absent when all answered).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Frame {
    pub time: String,
    pub hours: Option<u32>,
    pub minutes: Option<u32>,
    pub seconds: Option<u32>,
    pub milliseconds: Option<u32>,
    pub unix_ms: Option<i64>,
    pub tz: String,
    pub seq: u64,
    /// The services that did not answer: borrowed names when built, owned
    /// when read back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub degraded: Vec<Cow<'static, str>>,
}

impl Frame {
    /// The frame as JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a frame always serializes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_reads_back_as_it_was_sent() {
        let frame = Frame {
            time: "01:--:02.---".into(),
            hours: Some(1),
            minutes: None,
            seconds: Some(2),
            milliseconds: None,
            unix_ms: Some(3_722_000),
            tz: "UTC".into(),
            seq: 9,
            degraded: vec!["minutes".into(), "milliseconds".into()],
        };
        let read: Frame = serde_json::from_str(&frame.to_json()).expect("a frame");
        assert_eq!(read, frame);
    }

    #[test]
    fn a_frame_with_an_unknown_field_is_refused() {
        let json = r#"{"time":"--:--:--.---","hours":null,"minutes":null,"seconds":null,"milliseconds":null,"unix_ms":null,"tz":"UTC","seq":1,"extra":1}"#;
        assert!(serde_json::from_str::<Frame>(json).is_err());
    }
}
