//! Entry points for coverage-guided fuzzing (`host/fuzz`, `docs/fuzzing.md`).
//!
//! Each function takes arbitrary bytes, feeds them to the real parser or
//! decoder, and checks what must hold for *any* input: no panic, errors that
//! are typed and never echo a secret or a password, and, where the input was
//! accepted, round trips that give the same thing back. A broken invariant
//! panics, which the fuzzer reports as a crash.
//!
//! The same functions replay the committed corpora and regression inputs in
//! the normal test run (`host/tests/suite/fuzz_corpus.rs`). Not a stable API.

use std::io::Cursor;

use serde_json::Value;

use crate::error::ErrorCode;
use crate::export::{self, ExportFormat, Protection};
use crate::import::{self, Format, ImportError, Imported};
use crate::keystore::Key;
use crate::native::{Handler, MemoryStore, VaultData};
use crate::otpauth;
use crate::protocol::{
    FrameError, MAX_REPLY_BYTES, MAX_REQUEST_BYTES, Request, decode_request, read_frame,
    write_frame,
};
use crate::secret::Secret;
use crate::token::{AwsContext, Kind, Token, TokenHead, TokenMeta, TokenSites};
use crate::vault::{self, codec};

/// A fuzz entry point.
pub type Entry = fn(&[u8]);

/// Every target, by the name of its corpus directory, with its entry point.
pub const TARGETS: [(&str, Entry); 20] = [
    ("frame", frame),
    ("request", request),
    ("otpauth", otpauth),
    ("import_detect", import_detect),
    ("import_otpauth", import_otpauth),
    ("import_aegis", import_aegis),
    ("import_twofas", import_twofas),
    ("import_andotp", import_andotp),
    ("import_authenticator", import_authenticator),
    ("import_bitwarden", import_bitwarden),
    ("import_freeotp", import_freeotp),
    ("import_proton", import_proton),
    ("import_factorcat", import_factorcat),
    ("vault_header", vault_header),
    ("vault_body", vault_body),
    ("vault_index", vault_index),
    ("vault_compact_index", vault_compact_index),
    ("vault_record", vault_record),
    ("vault_ledger", vault_ledger),
    ("qr", qr),
];

/// The password tried on encrypted imports: the one the committed
/// encrypted seeds of that format were made with (`host/tests/data/import`),
/// so that the fuzzer starts from files that open.
pub fn password_for(format: Format) -> &'static str {
    match format {
        Format::Aegis | Format::AndOtp => "correct horse battery staple",
        Format::TwoFas => "correct horse ü 2fas",
        Format::AuthenticatorExtension => "extension pässword",
        Format::ProtonAuthenticator => "proton pässword",
        Format::FactorCat | Format::OtpauthList | Format::Bitwarden | Format::FreeOtpPlus => {
            "fuzzing password"
        }
    }
}

// ---------------------------------------------------------------------------
// Frames

/// `protocol::read_frame` over a stream of frames: every body read is within
/// [`MAX_REQUEST_BYTES`] and inside the input; reading stops with a clean
/// end, `Truncated` or `TooLarge` (never an I/O error on memory); writing the
/// bodies back gives exactly the bytes consumed; `write_frame` then
/// `read_frame` gives any body back.
pub fn frame(data: &[u8]) {
    let mut input = Cursor::new(data);
    let mut again = Vec::new();
    loop {
        let before = input.position();
        match read_frame(&mut input) {
            Ok(None) => {
                assert_eq!(before as usize, data.len(), "clean end before the end");
                break;
            }
            Ok(Some(body)) => {
                assert!(
                    body.len() <= MAX_REQUEST_BYTES as usize,
                    "body over the limit"
                );
                assert_eq!(input.position() - before, 4 + body.len() as u64);
                write_frame(&mut again, &body).expect("a read body can be written");
            }
            Err(FrameError::Truncated) => break,
            Err(FrameError::TooLarge(n)) => {
                assert!(
                    n > u64::from(MAX_REQUEST_BYTES),
                    "refused a length within the limit"
                );
                break;
            }
            Err(e) => panic!("reading from memory failed: {e}"),
        }
    }
    assert_eq!(
        again.as_slice(),
        &data[..again.len()],
        "re-written frames differ from the input"
    );

    // Any body up to the limit survives a write and a read; a larger one
    // is refused without writing anything.
    let mut out = Vec::new();
    match write_frame(&mut out, data) {
        Ok(()) => {
            let mut back = Cursor::new(out.as_slice());
            let body = read_frame(&mut back).expect("own frame reads back");
            assert_eq!(body.as_deref().map(|b| b.as_slice()), Some(data));
            assert!(matches!(read_frame(&mut back), Ok(None)));
        }
        Err(FrameError::ReplyTooLarge(n)) => {
            assert!(n > MAX_REPLY_BYTES && out.is_empty());
        }
        Err(e) => panic!("writing to memory failed: {e}"),
    }
}

// ---------------------------------------------------------------------------
// Requests

/// Base32 secrets of the store the request target runs against.
const STORE_SECRETS: [&str; 4] = [
    "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
    "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43UOV3HO6DZPJQWEY3E",
    "KRUGS4ZANFZSAYLOEBSXQYLNOBWGKIDTMVRXEZLU",
    "ONSWG4TFOQQGM33SEBZXIZLBNUQGO5LBOJSA",
];

/// The clock of the request target: a fixed second, 20 s into a step.
const STORE_NOW: u64 = 1_700_000_010;

fn store_token(issuer: &str, account: &str, secret: &str) -> Token {
    let secret = Secret::from_base32(secret).expect("fixed secret");
    let mut token = Token::new(issuer, account, secret);
    token.created = 1_600_000_000;
    token.updated = 1_600_000_000;
    token
}

/// Four tokens with fixed ids: TOTP with a site, an AWS device, HOTP, Steam.
fn store_tokens() -> Vec<Token> {
    let mut github = store_token("GitHub", "octocat", STORE_SECRETS[0]);
    github.sites = vec!["github.com".into()];
    let mut aws = store_token("Amazon Web Services", "alice", STORE_SECRETS[1]);
    aws.sites = vec!["signin.aws.amazon.com".into()];
    aws.aws = Some(AwsContext {
        account_id: Some("123456789012".into()),
        user: Some("alice".into()),
        ..AwsContext::default()
    });
    let mut bank = store_token("Bank", "me", STORE_SECRETS[2]);
    bank.kind = Kind::Hotp { counter: 7 };
    let mut steam = store_token("Steam", "gamer", STORE_SECRETS[3]);
    steam.kind = Kind::Steam;
    steam.digits = 5;
    let mut tokens = vec![github, aws, bank, steam];
    for (n, token) in tokens.iter_mut().enumerate() {
        token.id = uuid::Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0001 + n as u128);
    }
    tokens
}

/// Every way a stored secret could be spelled in a reply.
fn secret_spellings(token: &Token) -> Vec<String> {
    let base32 = token.secret.to_base32();
    let hex: String = token
        .secret
        .expose()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    vec![base32.to_string(), base32.to_ascii_lowercase(), hex]
}

fn contains_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty()
        && haystack
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

/// `protocol::decode_request`, then the request run by the native host's
/// operations against an in-memory store: the reply is one JSON object
/// under 1 MiB with the request's id and `ok`, an error reply carries a code
/// from the protocol's table (or a vault code), no reply contains a stored
/// secret the request did not itself carry, no stored token is lost or has
/// its secret changed except by `remove`/`update` of that token, and every
/// stored token still validates.
pub fn request(data: &[u8]) {
    let (id, decoded) = decode_request(data);
    if let Ok(request) = &decoded {
        assert!(id.is_some(), "a request decoded without an id");
        // Debug never shows a secret the request carries.
        let shown = format!("{request:?}");
        if let Request::Add(add) = request
            && let Some(secret) = add.secret.as_ref().filter(|s| s.0.len() >= 16)
        {
            assert!(!shown.contains(secret.0.as_str()), "Debug shows a secret");
        }
    }

    let tokens = store_tokens();
    let handler = Handler::with_clock(
        MemoryStore::new(VaultData {
            tokens: tokens.clone(),
            ..VaultData::default()
        }),
        || STORE_NOW,
    );
    let reply = handler.reply(data);
    assert!(reply.len() <= MAX_REPLY_BYTES, "reply over 1 MiB");
    let value: Value = serde_json::from_slice(&reply).expect("the reply is JSON");
    let object = value.as_object().expect("the reply is an object");
    let ok = object
        .get("ok")
        .and_then(Value::as_bool)
        .expect("the reply has a boolean ok");
    match id {
        Some(id) => assert_eq!(object.get("id"), Some(&Value::from(id))),
        None => {
            assert_eq!(object.get("id"), Some(&Value::Null));
            assert!(!ok, "a request without an id succeeded");
        }
    }
    if !ok {
        let error = object
            .get("error")
            .and_then(Value::as_object)
            .expect("a failure has an error object");
        let code = error
            .get("code")
            .and_then(Value::as_str)
            .expect("error code");
        let known = ErrorCode::parse(code).is_some();
        assert!(known, "error code {code:?} is not in the protocol's table");
        assert!(
            error
                .get("message")
                .and_then(Value::as_str)
                .is_some_and(|m| !m.is_empty()),
            "an error without a message"
        );
    }
    assert!(decoded.is_ok() || !ok, "an undecodable request succeeded");

    for token in &tokens {
        for spelling in secret_spellings(token) {
            if !contains_ignore_case(data, spelling.as_bytes()) {
                assert!(
                    !contains_ignore_case(&reply, spelling.as_bytes()),
                    "the reply contains the secret of {}",
                    token.label()
                );
            }
        }
    }

    let after = handler.store().snapshot().expect("the store is present");
    for token in &after.tokens {
        assert!(
            token.validate().is_ok(),
            "a stored token no longer validates"
        );
        for site in &token.sites {
            assert_eq!(
                crate::site::normalize_site(site).as_deref(),
                Ok(site.as_str()),
                "a stored site is not one add accepts as it is"
            );
        }
    }
    let changed = match &decoded {
        Ok(Request::Remove { token }) => Some(*token),
        Ok(Request::Update(update)) => Some(update.token),
        _ => None,
    };
    for token in &tokens {
        if Some(token.id) == changed {
            continue;
        }
        let kept = after.get(token.id).expect("a stored token was lost");
        assert!(kept.secret == token.secret, "a stored secret changed");
        assert_eq!(kept.kind.name(), token.kind.name());
    }
    if let Some(id) = changed
        && let Some(kept) = after.get(id)
    {
        let before = tokens.iter().find(|t| t.id == id);
        assert!(
            before.is_none_or(|b| b.secret == kept.secret),
            "update changed a secret"
        );
    }
}

// ---------------------------------------------------------------------------
// otpauth

/// The fields a URI carries (everything but id and times).
fn uri_fields(t: &Token) -> impl PartialEq + std::fmt::Debug + '_ {
    (
        (&t.issuer, &t.account, t.algorithm, t.digits, &t.kind),
        (&t.sites, &t.aws, t.secret.expose()),
    )
}

/// The value of the first `secret=` parameter of a URI-like text.
fn secret_parameter(text: &str) -> Option<&str> {
    let lower = text.to_ascii_lowercase();
    let at = lower.find("secret=")? + "secret=".len();
    let value = &text[at..];
    Some(value.split(['&', '#']).next().unwrap_or(value))
}

/// `otpauth::parse`: an accepted URI validates, is emitted, and reads back
/// as the same token (and the same text when emitted again); a refused one
/// has an error whose message never contains the secret.
pub fn otpauth(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    match otpauth::parse(&text) {
        Ok(token) => check_uri_round_trip(&token),
        Err(e) => {
            let message = e.to_string();
            assert!(!message.is_empty() && !e.reason().is_empty());
            if let Some(secret) = secret_parameter(&text).filter(|s| s.len() >= 16) {
                assert!(!message.contains(secret), "an error shows the secret");
            }
        }
    }
}

fn check_uri_round_trip(token: &Token) {
    token.validate().expect("an accepted URI validates");
    let uri = otpauth::emit(token);
    let back = otpauth::parse(&uri).unwrap_or_else(|e| panic!("emitted URI refused: {e}"));
    assert_eq!(uri_fields(&back), uri_fields(token), "URI round trip");
    assert_eq!(*otpauth::emit(&back), *uri, "emit is not stable");
}

// ---------------------------------------------------------------------------
// Importers

/// What every successful import must satisfy: valid tokens, entry errors
/// with 1-based positions that never show the password, and a lossless
/// round trip through FactorCat's own backup format.
fn check_imported(imported: &Imported, password: &str) {
    for token in &imported.tokens {
        token.validate().expect("an imported token validates");
        let _ = token.code_at(1_234_567_890);
    }
    for failure in &imported.failures {
        assert!(failure.position >= 1, "entry positions are 1-based");
        assert!(
            !failure.to_string().contains(password),
            "a failure shows the password"
        );
    }
    if imported.tokens.is_empty() {
        return;
    }
    let backup = export::export(
        &imported.tokens,
        ExportFormat::FactorCat,
        &Protection::Plaintext,
    )
    .expect("tokens export");
    let (format, back) = import::parse(&backup, None, None).expect("a FactorCat backup reads back");
    assert_eq!(format, Format::FactorCat);
    assert!(
        back.failures.is_empty(),
        "own backup has bad entries: {:?}",
        back.failures
    );
    assert_eq!(back.tokens, imported.tokens, "backup round trip");
}

fn check_import_error(e: &ImportError, format: Option<Format>, password: &str) {
    let message = e.to_string();
    assert!(!message.is_empty());
    assert!(
        !message.contains(password),
        "an import error shows the password"
    );
    if let (Some(format), ImportError::Damaged { format: f, .. }) = (format, e) {
        assert_eq!(*f, format, "an error names another format");
    }
}

fn import_as(data: &[u8], format: Format) {
    let password = password_for(format);
    match import::parse(data, Some(format), Some(password)) {
        Ok((used, imported)) => {
            assert_eq!(used, format, "parse used another format than asked");
            check_imported(&imported, password);
        }
        Err(e) => check_import_error(&e, Some(format), password),
    }
}

/// `import::parse` with detection: the format used is the one `detect`
/// names (or `unknown_format` when none), then as [`import_as`].
pub fn import_detect(data: &[u8]) {
    let detected = import::detect(data);
    let password = detected.map_or("fuzzing password", password_for);
    match import::parse(data, None, Some(password)) {
        Ok((used, imported)) => {
            assert_eq!(Some(used), detected);
            check_imported(&imported, password);
        }
        Err(e) => {
            if detected.is_none() {
                assert!(matches!(e, ImportError::UnknownFormat));
            }
            check_import_error(&e, detected, password);
        }
    }
}

/// Otpauth link lists (and Google Authenticator transfer links).
pub fn import_otpauth(data: &[u8]) {
    import_as(data, Format::OtpauthList)
}

/// Aegis vault exports, plain and encrypted.
pub fn import_aegis(data: &[u8]) {
    import_as(data, Format::Aegis)
}

/// 2FAS backups, plain and encrypted.
pub fn import_twofas(data: &[u8]) {
    import_as(data, Format::TwoFas)
}

/// andOTP backups, plain and encrypted.
pub fn import_andotp(data: &[u8]) {
    import_as(data, Format::AndOtp)
}

/// The Authenticator extension's backups.
pub fn import_authenticator(data: &[u8]) {
    import_as(data, Format::AuthenticatorExtension)
}

/// Bitwarden exports.
pub fn import_bitwarden(data: &[u8]) {
    import_as(data, Format::Bitwarden)
}

/// FreeOTP+ exports.
pub fn import_freeotp(data: &[u8]) {
    import_as(data, Format::FreeOtpPlus)
}

/// Proton Authenticator exports.
pub fn import_proton(data: &[u8]) {
    import_as(data, Format::ProtonAuthenticator)
}

/// FactorCat's own backups.
pub fn import_factorcat(data: &[u8]) {
    import_as(data, Format::FactorCat)
}

// ---------------------------------------------------------------------------
// The vault file

/// The master key of the vault target's round trips.
fn fuzz_key() -> Key {
    Key::from_slice(&[0x42; crate::keystore::KEY_LEN]).expect("a 32-byte key")
}

/// The vault file's header, slot and check-line parse (`vault::codec::parse`).
///
/// Input whose first byte is even is taken as a whole file. Otherwise the
/// rest up to the first line feed is a header line, and the file is built
/// around it with the right signature and check line (so the fuzzer gets
/// past the checksum), followed by the remaining bytes as ciphertext.
///
/// An accepted header has distinct slot kinds and its ranges inside the
/// file; writing a file with its id and slots (and an empty body) under a
/// fixed key reads back with the same header and decrypts to an empty body.
pub fn vault_header(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let file = if mode & 1 == 0 {
        rest.to_vec()
    } else {
        let end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
        let (header, body) = (&rest[..end], rest.get(end + 1..).unwrap_or_default());
        let mut file = codec::MAGIC.to_vec();
        file.extend_from_slice(header);
        file.push(b'\n');
        file.extend_from_slice(codec::header_check(header).as_bytes());
        file.push(b'\n');
        file.extend_from_slice(body);
        file
    };
    let path = std::path::Path::new("fuzz.vault");
    let parsed = match codec::parse(path, &file) {
        Ok(parsed) => parsed,
        Err(e) => {
            let code = e.code();
            assert!(
                matches!(code, ErrorCode::VaultCorrupt | ErrorCode::VaultVersion),
                "a header error with code {code}"
            );
            return;
        }
    };
    assert!(parsed.aad.end < parsed.sealed.start && parsed.sealed.start + 16 <= parsed.sealed.end);
    if matches!(parsed.layout, codec::Layout::V1) {
        assert_eq!(
            parsed.sealed.end,
            file.len(),
            "a version-1 body ends the file"
        );
    }
    let slots = &parsed.header.slots;
    assert!(!slots.is_empty());
    assert!(
        vault::check_slots(slots).is_ok(),
        "slots the header rules refuse"
    );

    let key = fuzz_key();
    let written = codec::encode(
        path,
        parsed.header.id,
        parsed.header.generation,
        slots,
        &key,
        &VaultData::default(),
        None,
    )
    .expect("an accepted header encodes");
    let mut written = written.to_vec();
    let again = open_first(path, &mut written, &key).expect("own vault does not open");
    assert_eq!(again.header.id, parsed.header.id);
    // Version 2 counts from 1: a record's version is the generation that
    // sealed it, and 0 is none.
    assert_eq!(again.header.generation, parsed.header.generation.max(1));
    let kinds = |s: &[vault::Slot]| {
        s.iter()
            .map(|s| serde_json::to_value(codec::SlotRepr::of(s)).expect("a slot serializes"))
            .collect::<Vec<_>>()
    };
    assert_eq!(kinds(&again.header.slots), kinds(slots), "slots changed");
    let (data, _) = codec::decode(path, &again, &written, &key).expect("an empty vault decodes");
    assert!(data.tokens.is_empty());
}

/// Parses `file` and decrypts its first sealed part in place with `key`.
fn open_first(path: &std::path::Path, file: &mut [u8], key: &Key) -> Option<codec::Parsed> {
    let parsed = codec::parse(path, file).ok()?;
    parsed.check_len(path, file.len()).ok()?;
    let (head, rest) = file.split_at_mut(parsed.sealed.start);
    let mut body = codec::Body {
        nonce: &parsed.header.nonce,
        aad: &head[parsed.aad.clone()],
        bytes: &mut rest[..parsed.sealed.len()],
    };
    body.decrypt(key).then_some(parsed)
}

/// The decrypted version-1 body's parse (`vault::codec::v1::decode`, and
/// the light parses of `read_one` and `read_matching`). An accepted body written again parses
/// to the same contents and the same text, its index matches its records,
/// and every token makes codes without a panic even when its stored
/// parameters are invalid.
pub fn vault_body(data: &[u8]) {
    let path = std::path::Path::new("fuzz.vault");
    let parsed = codec::v1::decode(path, data);
    // The light parses never panic either, whatever the full parse says.
    if let Ok(text) = std::str::from_utf8(data) {
        let (head, records) = codec::body_lines(text);
        let _ = serde_json::from_str::<codec::BodyHead<Vec<TokenHead>>>(head);
        for record in records {
            let _ = serde_json::from_str::<codec::LightRecord>(record);
        }
    }
    let Ok(parsed) = parsed else {
        return;
    };
    let text = std::str::from_utf8(data).expect("an accepted body is UTF-8");
    let (_, records) = codec::body_lines(text);
    for (record, token) in records.zip(&parsed.tokens) {
        let light: codec::LightRecord =
            serde_json::from_str(record).expect("light parse of a record");
        assert_eq!(
            light.sites(),
            TokenSites::of(token),
            "read_matching sees other fields"
        );
    }

    for token in &parsed.tokens {
        for time in [0, 59, 1_234_567_890, u64::MAX] {
            let _ = token.code_at(time);
            let _ = token.seconds_left(time);
        }
        let _ = token.label();
        let _ = token.metadata();
    }

    let mut written = Vec::new();
    codec::write_body(&mut written, &parsed).expect("write to memory");
    let again = codec::v1::decode(path, &written).expect("a written body parses");
    assert_eq!(again.tokens, parsed.tokens, "tokens changed");
    assert_eq!(again.tombstones, parsed.tombstones, "tombstones changed");
    assert_eq!(again.fills, parsed.fills, "fills changed");
    assert_eq!(again.clock, parsed.clock, "clock offsets changed");
    let mut twice = Vec::new();
    codec::write_body(&mut twice, &again).expect("write to memory");
    assert_eq!(twice, written, "writing is not stable");
    let text = std::str::from_utf8(&written).expect("written body is UTF-8");
    let (head, _) = codec::body_lines(text);
    let head: codec::BodyHead<Vec<TokenHead>> =
        serde_json::from_str(head).expect("the written head parses");
    let index: Vec<TokenHead> = parsed.tokens.iter().map(TokenHead::of).collect();
    assert_eq!(head.index, index, "index and records disagree");
}

/// The vault id of the version-2 targets' files.
const FUZZ_VAULT: uuid::Uuid = uuid::Uuid::from_u128(0x0f0f_0f0f_0f0f_4f0f_8f0f_0f0f_0f0f_0f0f);

/// A keyring slot for the fuzz key's files.
fn fuzz_slots() -> Vec<vault::Slot> {
    let (nonce, wrapped) =
        vault::Slot::wrap_master("keyring", FUZZ_VAULT, &fuzz_key(), &fuzz_key()).expect("wrap");
    vec![vault::Slot::Keyring { nonce, wrapped }]
}

/// The three decoders of a version-2 file on `file` (sealed with the fuzz
/// key): the whole contents, one token by position, matching. They never
/// panic, fail with `vault_corrupt` only, and agree with each other.
fn decode_v2(file: &[u8]) -> Option<VaultData> {
    let path = std::path::Path::new("fuzz.vault");
    let key = fuzz_key();
    let mut bytes = file.to_vec();
    let parsed = open_first(path, &mut bytes, &key).expect("an assembled file opens");
    let corrupt = |e: &vault::VaultError| assert_eq!(e.code(), ErrorCode::VaultCorrupt);
    let full = codec::decode(path, &parsed, &bytes, &key);
    let mut count = 0;
    let matching = codec::decode_matching(
        path,
        &parsed,
        &bytes,
        &key,
        |_: &TokenSites| true,
        |sites, _| {
            count = sites.len();
            Ok::<_, vault::VaultError>((0..sites.len()).collect())
        },
    );
    // Every other token kept: `pick` sees those alone, in order.
    let mut seen = 0;
    let every_other = |_: &TokenSites| {
        seen += 1;
        seen % 2 == 1
    };
    let halves = codec::decode_matching(path, &parsed, &bytes, &key, every_other, |sites, _| {
        Ok::<_, vault::VaultError>((0..sites.len()).collect())
    });
    match &full {
        Ok((data, _)) => {
            let metas = matching.expect("the index of a vault that decodes matches");
            let expected: Vec<TokenMeta> = data.tokens.iter().map(TokenMeta::of).collect();
            assert_eq!(metas, expected, "matching sees other tokens");
            let odd: Vec<TokenMeta> = expected.iter().step_by(2).cloned().collect();
            assert_eq!(
                halves.expect("a kept half matches"),
                odd,
                "a kept half differs"
            );
            for (i, token) in data.tokens.iter().enumerate() {
                let pick = |heads: &[TokenHead]| {
                    assert_eq!(heads[i], TokenHead::of(token), "the index heads differ");
                    Ok::<_, vault::VaultError>(i)
                };
                let (one, _) = decode_one_of(path, &parsed, &bytes, |_: &TokenHead| true, pick)
                    .expect("one token of a vault that decodes");
                assert_eq!(&one, token, "decode_one gives another token");
                // The token kept alone is the only one `pick` sees.
                let alone = |head: &TokenHead| head.id == token.id;
                let pick = |heads: &[TokenHead]| {
                    assert_eq!(heads, [TokenHead::of(token)], "the kept heads differ");
                    Ok::<_, vault::VaultError>(0)
                };
                let (one, rest) = decode_one_of(path, &parsed, &bytes, alone, pick)
                    .expect("one token of a vault that decodes");
                assert_eq!(&one, token, "decode_one gives another token");
                assert_eq!(
                    rest.clock, data.clock,
                    "decode_one gives other clock offsets"
                );
                assert_eq!(
                    rest.fills, data.fills,
                    "decode_one gives another fill record"
                );
            }
        }
        Err(e) => {
            corrupt(e);
            for e in [&matching, &halves]
                .into_iter()
                .filter_map(|m| m.as_ref().err())
            {
                corrupt(e);
            }
            for i in 0..count {
                let pick = |_: &[TokenHead]| Ok::<_, vault::VaultError>(i);
                if let Err(e) = decode_one_of(path, &parsed, &bytes, |_: &TokenHead| true, pick) {
                    corrupt(&e);
                }
            }
        }
    }
    full.ok().map(|(data, _)| data)
}

/// `codec::decode_one` of the file `bytes`, opened with the fuzz key as
/// `parsed`, its records read from them as `Vault::read_one` reads them.
fn decode_one_of(
    path: &std::path::Path,
    parsed: &codec::Parsed,
    bytes: &[u8],
    keep: impl FnMut(&TokenHead<'_>) -> bool,
    pick: impl FnOnce(&[TokenHead<'_>]) -> Result<usize, vault::VaultError>,
) -> Result<(Token, VaultData), vault::VaultError> {
    let record = |range: std::ops::Range<usize>| Ok(bytes[range].to_vec());
    codec::decode_one(
        path,
        parsed,
        bytes,
        bytes.len(),
        &fuzz_key(),
        keep,
        pick,
        record,
    )
}

/// A token with `meta` and a fixed secret.
fn token_of(meta: &TokenMeta) -> Token {
    Token {
        id: meta.id,
        issuer: meta.issuer.clone(),
        account: meta.account.clone(),
        secret: Secret::from_bytes(vec![7; 20]).expect("a 20-byte secret"),
        algorithm: meta.algorithm,
        digits: meta.digits,
        kind: meta.kind.clone(),
        sites: meta.sites.clone(),
        aws: meta.aws.clone(),
        tags: meta.tags.clone(),
        pinned: meta.pinned,
        created: meta.created,
        updated: meta.updated,
    }
}

/// The version-2 index decoder (`vault::codec::v2::index`). A complete
/// parse and the heads-only parse of `factorcat code` agree; an accepted
/// index written again parses to the same entries. Then the input is the
/// index of a file with no records, through all three file decoders.
pub fn vault_index(data: &[u8]) {
    use codec::v2::index::{EntryOut, Full, Head};
    let full = serde_json::from_slice::<Vec<Full>>(data);
    let heads = serde_json::from_slice::<Vec<Head>>(data);
    if let Ok(full) = &full {
        let heads = heads.expect("a complete index parses as heads");
        assert_eq!(heads.len(), full.len());
        for (head, entry) in heads.iter().zip(full) {
            assert_eq!(head.at, entry.at, "heads see other locators");
            assert_eq!(
                head.head,
                TokenHead::of(&token_of(&entry.meta)),
                "heads differ"
            );
        }
        let tokens: Vec<Token> = full.iter().map(|e| token_of(&e.meta)).collect();
        let out: Vec<EntryOut> = full
            .iter()
            .zip(&tokens)
            .map(|(e, token)| EntryOut { at: e.at, token })
            .collect();
        let written = serde_json::to_vec(&out).expect("an index serializes");
        let again: Vec<Full> = serde_json::from_slice(&written).expect("a written index parses");
        assert_eq!(again.len(), full.len());
        for (a, b) in again.iter().zip(full) {
            assert_eq!((a.at, &a.meta), (b.at, &b.meta), "the index changed");
        }
    }
    index_without_records(codec::IndexCodec::Json, data);
}

/// `index` as the index of a file of the encoding `codec` with no
/// records, through the file decoders: it never yields a token.
fn index_without_records(codec: codec::IndexCodec, index: &[u8]) {
    let file = codec::v2::assemble(
        codec,
        &fuzz_key(),
        FUZZ_VAULT,
        1,
        &fuzz_slots(),
        index,
        b"{}",
        &[],
    );
    if let Some(vault) = decode_v2(&file) {
        assert!(vault.tokens.is_empty(), "tokens without records");
    }
}

/// The version-3 index decoder (`vault::codec::v2::compact`): complete
/// entries and the heads-only parse of `factorcat code` agree on every
/// index the complete parse accepts, and an
/// accepted index written again is the very same bytes (the encoding has a
/// single form). Then the input is the index of a version-3 file with no
/// records, through all three file decoders.
pub fn vault_compact_index(data: &[u8]) {
    use codec::v2::compact::{decode_index, write_index};
    use codec::v2::index::{EntryOut, Full, Head};
    let full = decode_index::<Full>(data);
    let heads = decode_index::<Head>(data);
    if let Ok(full) = &full {
        let heads = heads.expect("a complete index decodes as heads");
        assert_eq!(heads.len(), full.len());
        let tokens: Vec<Token> = full.iter().map(|e| token_of(&e.meta)).collect();
        for (entry, head) in full.iter().zip(&heads) {
            assert_eq!(head.at, entry.at, "heads see other locators");
            assert_eq!(
                head.head,
                TokenHead::of(&token_of(&entry.meta)),
                "heads differ"
            );
        }
        let out: Vec<EntryOut> = full
            .iter()
            .zip(&tokens)
            .map(|(e, token)| EntryOut { at: e.at, token })
            .collect();
        let mut written = Vec::new();
        write_index(&mut written, &out).expect("an index writes to memory");
        assert_eq!(written, data, "the index written again differs");
    }
    index_without_records(codec::IndexCodec::Compact, data);
}

/// The version-2 record decoder: the input is a record's plaintext, sealed
/// as version 1 of one token in an index that describes it. The file
/// decodes exactly when the input is a token (then to that token); the same
/// record claimed as version 2 (a rollback) or as another token's (a swap)
/// never decodes.
pub fn vault_record(data: &[u8]) {
    use codec::v2::index::{EntryOut, Locator};
    let parsed = serde_json::from_slice::<Token>(data).ok();
    let token = parsed.clone().unwrap_or_else(|| {
        Token::new(
            "Fuzz",
            "record",
            Secret::from_bytes(vec![1; 20]).expect("a 20-byte secret"),
        )
    });
    let index = |version: u64, id: uuid::Uuid| {
        let mut claimed = token.clone();
        claimed.id = id;
        let at = Locator {
            version,
            len: (data.len() + codec::v2::SEALED_MIN) as u64,
        };
        serde_json::to_vec(&[EntryOut {
            at,
            token: &claimed,
        }])
        .expect("an index serializes")
    };
    let file = |generation: u64, version: u64, id: uuid::Uuid| {
        codec::v2::assemble(
            codec::IndexCodec::Json,
            &fuzz_key(),
            FUZZ_VAULT,
            generation,
            &fuzz_slots(),
            &index(version, id),
            b"{}",
            &[(token.id, 1, data)],
        )
    };
    let decoded = decode_v2(&file(1, 1, token.id));
    match (&parsed, decoded) {
        (Some(token), Some(vault)) => assert_eq!(vault.tokens, std::slice::from_ref(token)),
        (Some(_), None) => panic!("a valid record was refused"),
        (None, decoded) => assert!(decoded.is_none(), "a record that is no token was accepted"),
    }
    assert!(
        decode_v2(&file(2, 2, token.id)).is_none(),
        "a rolled-back record was accepted"
    );
    let other = uuid::Uuid::from_u128(token.id.as_u128() ^ 1);
    assert!(
        decode_v2(&file(1, 1, other)).is_none(),
        "a swapped record was accepted"
    );
}

/// The ledger decoder (`vault::ledger_file`): the input is a ledger's
/// plaintext, sealed with the fixed key into a ledger of the fixed vault.
/// It decodes or is refused as `ledger_unusable`, never a panic; an accepted
/// plaintext written again is the very same bytes (the encoding has one
/// form); the same sealed part under another vault's header never decodes;
/// and the input taken as a whole ledger file is refused (it cannot
/// authenticate).
pub fn vault_ledger(data: &[u8]) {
    use crate::vault::ledger_file;
    let path = std::path::Path::new("factorcat.ledger");
    let refused = |e: vault::VaultError| assert_eq!(e.code(), ErrorCode::LedgerUnusable, "{e}");
    let file = ledger_file::seal_plaintext(FUZZ_VAULT, 1, &fuzz_key(), data);
    match ledger_file::decode(path, &file, FUZZ_VAULT, &fuzz_key()) {
        Ok(read) => {
            assert_eq!(read.sequence, 1);
            let again = ledger_file::encode(FUZZ_VAULT, 1, &fuzz_key(), &read.recorded)
                .expect("an accepted ledger encodes");
            let reread = ledger_file::decode(path, &again, FUZZ_VAULT, &fuzz_key())
                .expect("a ledger written again decodes");
            assert_eq!(
                reread.recorded, read.recorded,
                "written again, it reads otherwise"
            );
            assert_eq!(
                ledger_file::plain_len(&read.recorded),
                data.len(),
                "written again, it has another length"
            );
            let other = uuid::Uuid::from_u128(FUZZ_VAULT.as_u128() ^ 1);
            let moved = ledger_file::seal_plaintext(other, 1, &fuzz_key(), data);
            if let Err(e) = ledger_file::decode(path, &moved, FUZZ_VAULT, &fuzz_key()) {
                refused(e);
            } else {
                panic!("a ledger of another vault was accepted");
            }
        }
        Err(e) => refused(e),
    }
    match ledger_file::decode(path, data, FUZZ_VAULT, &fuzz_key()) {
        Ok(_) => panic!("a ledger file made without the key was accepted"),
        Err(e) => refused(e),
    }
}

// ---------------------------------------------------------------------------
// QR images

/// Largest image the QR target decodes, in bytes and in pixels: decoding a
/// big picture is slow and shows nothing new.
const QR_MAX_BYTES: usize = 64 * 1024;
const QR_MAX_PIXELS: u64 = 512 * 512;

/// `qr::decode_image` on small images, then the payloads read as tokens:
/// every token validates and round-trips as a URI.
pub fn qr(data: &[u8]) {
    if data.len() > QR_MAX_BYTES {
        return;
    }
    if let Ok(format) = image::guess_format(data) {
        let dims = image::ImageReader::with_format(Cursor::new(data), format).into_dimensions();
        if let Ok((w, h)) = dims
            && u64::from(w) * u64::from(h) > QR_MAX_PIXELS
        {
            return;
        }
    }
    let Ok(payloads) = crate::qr::decode_image(data) else {
        return;
    };
    let (imported, ignored) = crate::qr::tokens_from_payloads(&payloads);
    assert!(ignored.iter().all(|&i| (1..=payloads.len()).contains(&i)));
    if let Ok(imported) = imported {
        check_imported(&imported, "no password");
    }
}
