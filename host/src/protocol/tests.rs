//! Framing and request decoding, including the bad-input corpus shared with
//! the integration tests.

use std::io::Cursor;

use super::*;

fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    write_frame(&mut out, body).unwrap();
    out
}

#[path = "../../tests/suite/support/corpus.rs"]
mod corpus;
use corpus::corpus_body;

#[test]
fn round_trip_several_frames() {
    let mut stream = frame(br#"{"id":1,"type":"hello"}"#);
    stream.extend(frame(b"[]"));
    stream.extend(frame(b""));
    let mut input = Cursor::new(stream);
    assert_eq!(
        read_frame(&mut input).unwrap().unwrap().as_slice(),
        br#"{"id":1,"type":"hello"}"#
    );
    assert_eq!(read_frame(&mut input).unwrap().unwrap().as_slice(), b"[]");
    assert_eq!(read_frame(&mut input).unwrap().unwrap().as_slice(), b"");
    assert!(read_frame(&mut input).unwrap().is_none());
}

#[test]
fn header_is_native_endian() {
    let f = frame(b"abc");
    assert_eq!(&f[..4], &3u32.to_ne_bytes());
    assert_eq!(&f[4..], b"abc");
}

#[test]
fn oversized_length_is_refused_without_reading_on() {
    for len in [MAX_REQUEST_BYTES + 1, u32::MAX] {
        let mut input = Cursor::new(len.to_ne_bytes().to_vec());
        match read_frame(&mut input) {
            Err(FrameError::TooLarge(n)) => assert_eq!(n, u64::from(len)),
            other => panic!("{other:?}"),
        }
        assert_eq!(input.position(), 4);
    }
    // Exactly the limit is fine (the body is then read).
    let mut stream = MAX_REQUEST_BYTES.to_ne_bytes().to_vec();
    stream.resize(4 + MAX_REQUEST_BYTES as usize, b' ');
    let body = read_frame(&mut Cursor::new(stream)).unwrap().unwrap();
    assert_eq!(body.len(), MAX_REQUEST_BYTES as usize);
}

#[test]
fn truncated_frames_are_reported() {
    for stream in [vec![5u8], vec![5, 0], 10u32.to_ne_bytes().to_vec(), {
        let mut s = 10u32.to_ne_bytes().to_vec();
        s.extend_from_slice(b"short");
        s
    }] {
        assert!(matches!(
            read_frame(&mut Cursor::new(stream)),
            Err(FrameError::Truncated)
        ));
    }
}

#[test]
fn replies_over_one_mebibyte_are_not_written() {
    let mut out = Vec::new();
    let exact = vec![b'x'; MAX_REPLY_BYTES];
    write_frame(&mut out, &exact).unwrap();
    assert_eq!(out.len(), MAX_REPLY_BYTES + 4);
    let mut out = Vec::new();
    let over = vec![b'x'; MAX_REPLY_BYTES + 1];
    assert!(matches!(
        write_frame(&mut out, &over),
        Err(FrameError::ReplyTooLarge(_))
    ));
    assert!(out.is_empty());
}

#[test]
fn bad_request_corpus_gets_the_expected_codes() {
    let corpus = include_str!("../../tests/data/bad_requests.txt");
    let mut checked = 0;
    for line in corpus.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let (code, body) = line.split_once('\t').unwrap();
        let (_, result) = decode_request(&corpus_body(body));
        let err = result.expect_err(line);
        assert_eq!(err.code.as_str(), code, "{line}: {}", err.message);
        assert!(!err.message.is_empty());
        checked += 1;
    }
    assert!(checked >= 40, "{checked}");
}

#[test]
fn deep_nesting_is_refused_cleanly() {
    // serde_json's recursion limit is 128: verify it holds for hostile input.
    let (_, r) = decode_request(&corpus_body("<NEST:1000000>"));
    let err = r.unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidJson);
    assert!(err.message.contains("128"), "{}", err.message);
    let ok = format!(
        r#"{{"id":1,"type":"hello","x":{}{}}}"#,
        "[".repeat(100),
        "]".repeat(100)
    );
    assert!(decode_request(ok.as_bytes()).1.is_ok());
}

#[test]
fn ids_are_echoed_when_readable() {
    let (id, r) = decode_request(br#"{"id":9,"type":"nope"}"#);
    assert_eq!(id, Some(9));
    assert_eq!(r.unwrap_err().code, ErrorCode::UnknownOp);
    let (id, _) = decode_request(br#"{"id":"9","type":"hello"}"#);
    assert_eq!(id, None);
}

#[test]
fn good_requests_decode() {
    let (_, r) = decode_request(br#"{"id":1,"type":"hello","protocol":1,"future":true}"#);
    assert!(matches!(r.unwrap(), Request::Hello { protocol: Some(1) }));
    let (_, r) = decode_request(br#"{"id":2,"type":"list","limit":100000}"#);
    match r.unwrap() {
        Request::List { offset, limit } => assert_eq!((offset, limit), (0, MAX_LIST_LIMIT)),
        other => panic!("{other:?}"),
    }
    let (_, r) = decode_request(
        br#"{"id":3,"type":"match","url":"https://github.com/","hint":{"user":"alice","email":null}}"#,
    );
    match r.unwrap() {
        Request::Match { url, hint, earlier } => {
            assert_eq!(url, "https://github.com/");
            assert_eq!(hint.user.as_deref(), Some("alice"));
            assert_eq!(earlier, None);
        }
        other => panic!("{other:?}"),
    }
    let (_, r) = decode_request(
        br#"{"id":3,"type":"match","url":"https://us-east-1.signin.aws.amazon.com/oauth","earlier":{"url":"https://signin.aws.amazon.com/signin","hint":{"account":"1234-5678-9012"}}}"#,
    );
    match r.unwrap() {
        Request::Match { earlier, .. } => {
            let earlier = earlier.unwrap();
            assert_eq!(earlier.url, "https://signin.aws.amazon.com/signin");
            assert_eq!(earlier.hint.account.as_deref(), Some("1234-5678-9012"));
        }
        other => panic!("{other:?}"),
    }
    let (_, r) = decode_request(
        br#"{"id":4,"type":"update","token":"0b8e0d6c-3f55-4b8e-9a57-4c0f1f6f3c11","aws":null}"#,
    );
    match r.unwrap() {
        Request::Update(u) => assert_eq!(u.aws, Some(None)),
        other => panic!("{other:?}"),
    }
    let (_, r) = decode_request(
        br#"{"id":5,"type":"update","token":"0b8e0d6c-3f55-4b8e-9a57-4c0f1f6f3c11"}"#,
    );
    match r.unwrap() {
        Request::Update(u) => assert_eq!(u.aws, None),
        other => panic!("{other:?}"),
    }
}

#[test]
fn error_messages_never_echo_field_values() {
    let secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    for body in [
        format!(r#"{{"id":1,"type":"add","digits":"{secret}"}}"#),
        format!(r#"{{"id":1,"type":"add","kind":"{secret}","pinned":"{secret}"}}"#),
        format!(r#"{{"id":1,"type":"add","aws":"{secret}"}}"#),
        format!(r#"{{"id":1,"type":"list","limit":"{secret}"}}"#),
        format!(r#"{{"id":1,"type":"match","url":"x","hint":{{"user":["{secret}"]}}}}"#),
        format!(r#"{{"id":1,"type":"{secret}"}}"#),
    ] {
        let (_, r) = decode_request(body.as_bytes());
        let err = r.unwrap_err();
        let shown = String::from_utf8(failure(Some(1), &err)).unwrap();
        assert!(!shown.contains("JBSWY3DP"), "{shown}");
    }
}

#[test]
fn envelopes() {
    let mut fields = Map::new();
    fields.insert("x".into(), Value::from(1));
    fields.insert("ok".into(), Value::from(false));
    let v: Value = serde_json::from_slice(&success(7, fields)).unwrap();
    assert_eq!(v, serde_json::json!({"id": 7, "ok": true, "x": 1}));
    let mut err = ProtoError::new(ErrorCode::CodeAlreadyUsed, "wait");
    err.retry_after = Some(12);
    let v: Value = serde_json::from_slice(&failure(None, &err)).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"id": null, "ok": false, "error": {"code": "code_already_used", "message": "wait", "retry_after": 12}})
    );
}
