//! Decoding of the bad-request corpus (`host/tests/data/bad_requests.txt`),
//! shared by the protocol's unit tests and the native-host integration tests.

/// Decodes one corpus body: `\xNN` bytes, `\n`, and `<NEST:N>`.
pub fn corpus_body(text: &str) -> Vec<u8> {
    if let Some(n) = text
        .strip_prefix("<NEST:")
        .and_then(|r| r.strip_suffix('>'))
    {
        let n: usize = n.parse().unwrap();
        let mut body = "[".repeat(n);
        body.push_str(&"]".repeat(n));
        return body.into_bytes();
    }
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && bytes.get(i + 1) == Some(&b'x') {
            let hex = std::str::from_utf8(&bytes[i + 2..i + 4]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 4;
        } else if bytes[i] == b'\\' && bytes.get(i + 1) == Some(&b'n') {
            out.push(b'\n');
            i += 2;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}
