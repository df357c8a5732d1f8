//! Property tests for the native-messaging framing and request decoding
//! (`docs/protocol.md` §2–§3):
//!
//! * any body up to the 1 MiB limit survives `write_frame` → `read_frame`,
//!   alone or with others back to back in one stream, however the reader
//!   hands out the bytes (short reads, interruptions);
//! * a stream cut at any point yields the whole frames before the cut, then
//!   a clean end (cut on a boundary) or `Truncated` — never a panic, never a
//!   partial body;
//! * a length prefix over the limit is refused after reading exactly the
//!   four length bytes, and an over-long reply is never written;
//! * `decode_request` never panics on any JSON value, gives back the request
//!   id exactly when the body is an object whose `id` is an integer that
//!   fits an `i64`, answers only with error codes of the protocol's table,
//!   and never repeats a string value of the request in its error message.
//!
//! Case counts are small so the file runs in about a second; set
//! `PROPTEST_CASES` for a longer run.

use std::io::{self, Cursor, Read};

use factorcat::protocol::{
    self, FrameError, MAX_REPLY_BYTES, MAX_REQUEST_BYTES, read_frame, write_frame,
};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// `cases` unless `PROPTEST_CASES` is set.
fn config(cases: u32) -> ProptestConfig {
    let mut config = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = cases;
    }
    config
}

/// Mostly short arbitrary bodies; sometimes a long one up to the limit
/// (a repeated pattern, so generating it stays cheap), and the limit itself.
fn body() -> impl Strategy<Value = Vec<u8>> {
    let max = MAX_REQUEST_BYTES as usize;
    prop_oneof![
        6 => prop::collection::vec(any::<u8>(), 0..600),
        2 => (0..=max, any::<u8>()).prop_map(|(len, seed)| {
            (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
        }),
        1 => Just(vec![b'{'; max]),
    ]
}

fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    write_frame(&mut out, body).expect("bodies up to the limit are written");
    out
}

/// A reader that hands out at most a few bytes per call, as pipes do, and
/// sometimes reports an interruption first.
struct Trickle {
    data: Vec<u8>,
    at: usize,
    steps: Vec<u8>,
    call: usize,
}

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let step = self.steps[self.call % self.steps.len()];
        self.call += 1;
        if step == 0 {
            return Err(io::Error::from(io::ErrorKind::Interrupted));
        }
        let n = usize::from(step)
            .min(buf.len())
            .min(self.data.len() - self.at);
        buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// Reads frames until the end or an error; returns the bodies read and how
/// reading stopped (`None`: a clean end).
fn read_all(input: &mut impl Read) -> (Vec<Vec<u8>>, Option<FrameError>) {
    let mut bodies = Vec::new();
    loop {
        match read_frame(input) {
            Ok(Some(body)) => bodies.push(body.to_vec()),
            Ok(None) => return (bodies, None),
            Err(e) => return (bodies, Some(e)),
        }
    }
}

/// Any JSON value, nested a few levels (well under the 128-level cap).
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        any::<String>().prop_map(Value::String),
        "[a-z_]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(field_name(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// The field names the operations read.
const FIELDS: [&str; 33] = [
    "id",
    "type",
    "protocol",
    "offset",
    "limit",
    "url",
    "hint",
    "account",
    "user",
    "email",
    "token",
    "for_fill",
    "uri",
    "issuer",
    "secret",
    "algorithm",
    "digits",
    "kind",
    "period",
    "counter",
    "sites",
    "aws",
    "tags",
    "pinned",
    "image",
    "add",
    "file",
    "format",
    "password",
    "skip_bad",
    "dry_run",
    "account_id",
    "partition",
];

/// Field names the decoder looks at, and others.
fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(FIELDS.to_vec()).prop_map(str::to_string),
        1 => any::<String>(),
    ]
}

/// The `id` field: absent, or a value of any JSON type, integers of both
/// signs and out of `i64` range included.
fn id_field() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        Just(None),
        any::<i64>().prop_map(|n| Some(Value::from(n))),
        (0..=(1i64 << 53)).prop_map(|n| Some(Value::from(n))),
        ((i64::MAX as u64 + 1)..=u64::MAX).prop_map(|n| Some(Value::from(n))),
        any::<f64>().prop_map(|f| Some(json!(f))),
        json_value().prop_map(Some),
    ]
}

/// A request object: an id, a type that is usually an operation name, and
/// fields of any shape under the names the operations read.
fn request() -> impl Strategy<Value = Value> {
    let op = prop_oneof![
        4 => prop::sample::select(protocol::OPERATIONS.to_vec()).prop_map(Value::from),
        1 => json_value(),
    ];
    (
        id_field(),
        prop::option::of(op),
        prop::collection::btree_map(field_name(), json_value(), 0..8),
    )
        .prop_map(|(id, op, fields)| {
            let mut object: Map<String, Value> = fields.into_iter().collect();
            object.remove("id");
            object.remove("type");
            if let Some(id) = id {
                object.insert("id".into(), id);
            }
            if let Some(op) = op {
                object.insert("type".into(), op);
            }
            Value::Object(object)
        })
}

/// The id the protocol says is echoed: an integer `id` that fits an `i64`
/// in a JSON object; `None` for anything else.
fn expected_id(value: &Value) -> Option<i64> {
    value.as_object()?.get("id")?.as_i64()
}

/// Every string in a JSON tree (keys and values).
fn strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|v| strings(v, out)),
        Value::Object(o) => {
            for (k, v) in o {
                out.push(k.clone());
                strings(v, out);
            }
        }
        _ => {}
    }
}

/// Checks one decode: the id rule, the error code table, and that the
/// message repeats no string of 8 or more characters from the request
/// other than the protocol's own words (operation and field names, which
/// messages name).
fn check_decode(value: &Value) -> Result<(), TestCaseError> {
    let body = serde_json::to_vec(value).unwrap();
    let (id, result) = protocol::decode_request(&body);
    prop_assert_eq!(id, expected_id(value), "id of {}", value);
    if let Err(e) = result {
        let mut seen = Vec::new();
        strings(value, &mut seen);
        for s in seen.iter().filter(|s| s.chars().count() >= 8) {
            let innocent = protocol::OPERATIONS
                .iter()
                .chain(FIELDS.iter())
                .any(|w| w.contains(s.as_str()));
            prop_assert!(
                innocent || !e.message.contains(s.as_str()),
                "the message {:?} repeats {:?}",
                e.message,
                s
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(48))]

    #[test]
    fn one_frame_round_trips(body in body()) {
        let stream = frame(&body);
        prop_assert_eq!(stream.len(), body.len() + 4);
        prop_assert_eq!(&stream[..4], &(body.len() as u32).to_ne_bytes()[..]);
        let mut input = Cursor::new(stream);
        let back = read_frame(&mut input).unwrap().expect("one frame");
        prop_assert_eq!(back.as_slice(), body.as_slice());
        prop_assert!(read_frame(&mut input).unwrap().is_none());
    }
}

proptest! {
    #![proptest_config(config(200))]

    #[test]
    fn frames_back_to_back_survive_short_reads(
        bodies in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 0..8),
        steps in prop::collection::vec(0u8..=9, 1..12),
    ) {
        let stream: Vec<u8> = bodies.iter().flat_map(|b| frame(b)).collect();
        let steps = if steps.iter().all(|s| *s == 0) { vec![1] } else { steps };
        let mut input = Trickle { data: stream, at: 0, steps, call: 0 };
        let (read, stop) = read_all(&mut input);
        prop_assert!(stop.is_none(), "stopped with {:?}", stop);
        prop_assert_eq!(read, bodies);
    }

    #[test]
    fn a_cut_stream_gives_whole_frames_then_a_clean_end_or_truncated(
        bodies in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..120), 1..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let stream: Vec<u8> = bodies.iter().flat_map(|b| frame(b)).collect();
        let cut = cut.index(stream.len() + 1);
        // Frame boundaries: where each frame ends.
        let mut ends = Vec::new();
        let mut at = 0;
        for b in &bodies {
            at += 4 + b.len();
            ends.push(at);
        }
        let whole = ends.iter().filter(|e| **e <= cut).count();
        let (read, stop) = read_all(&mut Cursor::new(&stream[..cut]));
        prop_assert_eq!(&read[..], &bodies[..whole]);
        if cut == 0 || ends.contains(&cut) {
            prop_assert!(stop.is_none(), "cut at a boundary ({}) gave {:?}", cut, stop);
        } else {
            prop_assert!(matches!(stop, Some(FrameError::Truncated)), "cut at {} gave {:?}", cut, stop);
        }
    }

    #[test]
    fn a_length_over_the_limit_is_refused_after_four_bytes(
        len in (MAX_REQUEST_BYTES + 1)..=u32::MAX,
        rest in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let mut stream = len.to_ne_bytes().to_vec();
        stream.extend_from_slice(&rest);
        let mut input = Cursor::new(stream);
        match read_frame(&mut input) {
            Err(FrameError::TooLarge(n)) => prop_assert_eq!(n, u64::from(len)),
            other => prop_assert!(false, "length {} gave {:?}", len, other.map(|b| b.map(|b| b.len()))),
        }
        prop_assert_eq!(input.position(), 4);
    }

    #[test]
    fn any_bytes_read_as_frames_never_panic(stream in prop::collection::vec(any::<u8>(), 0..64)) {
        let (read, _) = read_all(&mut Cursor::new(&stream));
        // Whatever was read lies within the input.
        prop_assert!(read.iter().map(|b| b.len() + 4).sum::<usize>() <= stream.len());
    }

    #[test]
    fn decode_request_on_any_json_value(value in json_value()) {
        check_decode(&value)?;
    }

    #[test]
    fn decode_request_on_request_shaped_objects(value in request()) {
        check_decode(&value)?;
    }

    #[test]
    fn decode_request_on_any_bytes(body in prop::collection::vec(any::<u8>(), 0..200)) {
        let (id, result) = protocol::decode_request(&body);
        let parsed: Option<Value> = serde_json::from_slice(&body).ok();
        prop_assert_eq!(id, parsed.as_ref().and_then(expected_id));
        // Every error is one of the table's codes by its type (ErrorCode).
        if let Err(e) = result {
            prop_assert!(!e.message.is_empty(), "{} has no message", e.code);
        }
    }
}

#[test]
fn a_reply_over_the_limit_is_not_written() {
    let mut out = Vec::new();
    let over = vec![b' '; MAX_REPLY_BYTES + 1];
    assert!(matches!(
        write_frame(&mut out, &over),
        Err(FrameError::ReplyTooLarge(n)) if n == MAX_REPLY_BYTES + 1
    ));
    assert!(out.is_empty(), "nothing of an over-long reply is written");
}

/// A string value that itself contains serde's ", expected " must not make
/// the decoder quote the rest of the value as "what was expected".
#[test]
fn a_value_containing_serde_wording_is_not_echoed() {
    let secret = "JBSWY3DPEHPK3PXPJBSWY3DP";
    for op in ["hello", "list", "code", "remove", "match", "add", "update"] {
        for field in ["protocol", "offset", "token", "url", "digits", "pinned"] {
            let value = json!({
                "id": 1,
                "type": op,
                field: format!("x, expected {secret}"),
            });
            let (id, result) = protocol::decode_request(value.to_string().as_bytes());
            assert_eq!(id, Some(1));
            if let Err(e) = result {
                assert!(
                    !e.message.contains(secret),
                    "{op}.{field}: {:?} repeats the value",
                    e.message
                );
            }
        }
    }
}
