//! The native-messaging wire protocol, version 2 (`docs/protocol.md`):
//! length-prefixed frames, typed requests, and the reply envelope.
//!
//! Nothing here touches the vault; [`crate::native`] runs the operations.

use std::io::{self, ErrorKind, Read, Write};

use byteorder::{NativeEndian, ReadBytesExt, WriteBytesExt};
use serde::Deserialize;
use serde_json::{Map, Value};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::error::ErrorCode;
use crate::import::Format;
use crate::site::{Earlier, Hint};
use crate::token::AwsFields;

/// The protocol version this host speaks. Version 2 added what the host
/// understood of the page to `match` (`page`, `who`, the request's
/// `earlier`) and the import formats to `hello`; it answers version 1
/// requests as before.
pub const PROTOCOL_VERSION: u32 = 2;

/// Largest request body accepted, in bytes (1 MiB).
pub const MAX_REQUEST_BYTES: u32 = 1 << 20;

/// Largest reply body the browsers accept, in bytes (1 MiB).
pub const MAX_REPLY_BYTES: usize = 1 << 20;

/// Default page size of `list`.
pub const DEFAULT_LIST_LIMIT: usize = 100;

/// Largest page size of `list`.
pub const MAX_LIST_LIMIT: usize = 500;

/// Every operation of the protocol, in the order `hello` lists them.
pub const OPERATIONS: [&str; 13] = [
    "hello",
    "list",
    "match",
    "code",
    "enroll_codes",
    "add",
    "update",
    "remove",
    "decode_qr",
    "import",
    "redirected",
    "resync_codes",
    "clock",
];

/// Largest file `import` accepts once base64-decoded (1 MiB; a request frame
/// is at most 1 MiB, so in practice about 750 KiB of file).
pub const MAX_IMPORT_FILE_BYTES: usize = 1 << 20;

/// Largest image `decode_qr` accepts once base64-decoded (8 MiB; a request
/// frame is at most 1 MiB anyway).
pub const MAX_QR_IMAGE_BYTES: usize = 8 * 1024 * 1024;

/// Why a frame could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The length prefix is over the limit; nothing was read past it.
    #[error(
        "the message is {0} bytes long, over the limit of {MAX_REQUEST_BYTES} bytes; send smaller requests (the connection is closed because the stream is no longer aligned)"
    )]
    TooLarge(u64),
    /// Input ended in the middle of a frame.
    #[error("the input ended in the middle of a message")]
    Truncated,
    /// A reply was over the browsers' 1 MiB limit and was not written.
    #[error("a reply of {0} bytes is over the browsers' limit of {MAX_REPLY_BYTES} bytes")]
    ReplyTooLarge(usize),
    /// Reading or writing failed.
    #[error("the connection to the browser failed: {0}")]
    Io(#[from] io::Error),
}

/// Reads one frame: a native-endian `u32` length, then that many bytes.
///
/// Returns `Ok(None)` at a clean end of input (no byte of a new frame).
/// A length over [`MAX_REQUEST_BYTES`] is refused before any allocation.
/// The body is wiped from memory when dropped, as it may carry a secret.
pub fn read_frame<R: Read>(input: &mut R) -> Result<Option<Zeroizing<Vec<u8>>>, FrameError> {
    let mut header = [0u8; 4];
    let mut filled = 0;
    while filled < header.len() {
        match input.read(&mut header[filled..]) {
            Ok(0) if filled == 0 => return Ok(None),
            Ok(0) => return Err(FrameError::Truncated),
            Ok(n) => filled += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(FrameError::Io(e)),
        }
    }
    let len = (&header[..]).read_u32::<NativeEndian>()?;
    if len > MAX_REQUEST_BYTES {
        return Err(FrameError::TooLarge(len.into()));
    }
    let len = len as usize;
    let mut body = Zeroizing::new(vec![0u8; len]);
    let mut filled = 0;
    while filled < len {
        match input.read(&mut body[filled..]) {
            Ok(0) => return Err(FrameError::Truncated),
            Ok(n) => filled += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(FrameError::Io(e)),
        }
    }
    Ok(Some(body))
}

/// Writes one frame (length and body in a single write) and flushes.
/// Refuses bodies over [`MAX_REPLY_BYTES`].
pub fn write_frame<W: Write>(output: &mut W, body: &[u8]) -> Result<(), FrameError> {
    if body.len() > MAX_REPLY_BYTES {
        return Err(FrameError::ReplyTooLarge(body.len()));
    }
    let mut frame = Vec::with_capacity(body.len() + 4);
    // The length fits: it was checked against 1 MiB above.
    frame.write_u32::<NativeEndian>(body.len() as u32)?;
    frame.extend_from_slice(body);
    output.write_all(&frame)?;
    output.flush()?;
    Ok(())
}

/// An error reply: a stable code and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtoError {
    /// The stable code (the table in `docs/protocol.md`).
    pub code: ErrorCode,
    /// What happened and what to do next. Never contains a secret or a code.
    pub message: String,
    /// Seconds after which trying again will help, when known.
    pub retry_after: Option<u64>,
    /// Further fields of the error object for programs (such as `import`'s
    /// `failures`). Never a secret.
    pub details: Map<String, Value>,
}

impl ProtoError {
    /// An error with a code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ProtoError {
            code,
            message: message.into(),
            retry_after: None,
            details: Map::new(),
        }
    }

    /// Adds a field to the error object (`code`, `message` and
    /// `retry_after` are not replaced).
    pub fn with_detail(mut self, key: &str, value: Value) -> Self {
        self.details.insert(key.to_string(), value);
        self
    }

    /// `bad_request` with a message.
    pub fn bad_request(message: impl Into<String>) -> Self {
        ProtoError::new(ErrorCode::BadRequest, message)
    }

    /// `unknown_token` for an id.
    pub fn unknown_token(id: Uuid) -> Self {
        ProtoError::new(
            ErrorCode::UnknownToken,
            format!("no token has the id {id}; call list to see the tokens there are"),
        )
    }

    /// `internal`: a bug, never the caller's fault.
    pub fn internal(what: &str) -> Self {
        ProtoError::new(
            ErrorCode::Internal,
            format!("{what}; this is a bug in FactorCat, please report it"),
        )
    }

    /// The JSON form: `{"code", "message"[, "retry_after"], ...details}`.
    pub fn to_json(&self) -> Value {
        let mut error = self.details.clone();
        error.insert("code".into(), Value::from(self.code.as_str()));
        error.insert("message".into(), Value::from(self.message.as_str()));
        if let Some(seconds) = self.retry_after {
            error.insert("retry_after".into(), Value::from(seconds));
        }
        Value::Object(error)
    }
}

impl std::fmt::Display for ProtoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for ProtoError {}

impl From<FrameError> for ProtoError {
    fn from(e: FrameError) -> Self {
        let code = match e {
            FrameError::TooLarge(_) => ErrorCode::FrameTooLarge,
            FrameError::ReplyTooLarge(_) => ErrorCode::ReplyTooLarge,
            FrameError::Truncated | FrameError::Io(_) => ErrorCode::BadRequest,
        };
        ProtoError::new(code, e.to_string())
    }
}

/// A base32 secret as sent by the extension, wiped from memory when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretText(pub Zeroizing<String>);

impl std::fmt::Debug for SecretText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretText(<redacted>)")
    }
}

impl<'de> Deserialize<'de> for SecretText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(|s| SecretText(Zeroizing::new(s)))
    }
}

/// `add`: a token from an `otpauth://` URI or from fields.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct AddRequest {
    /// An `otpauth://` URI; when present the token fields below are ignored
    /// except `sites`, `aws`, `tags`, `pinned` and `allow_duplicate`.
    pub uri: Option<SecretText>,
    /// Issuer name.
    pub issuer: Option<String>,
    /// Account name at the issuer.
    pub account: Option<String>,
    /// Base32 secret.
    pub secret: Option<SecretText>,
    /// `SHA1` (default), `SHA256` or `SHA512`.
    pub algorithm: Option<String>,
    /// Code length.
    pub digits: Option<u64>,
    /// `totp` (default), `hotp` or `steam`.
    pub kind: Option<String>,
    /// TOTP period in seconds (default 30).
    pub period: Option<u64>,
    /// HOTP starting counter (default 0).
    pub counter: Option<u64>,
    /// Sites the token belongs to.
    pub sites: Option<Vec<String>>,
    /// AWS context.
    pub aws: Option<AwsFields>,
    /// Labels.
    pub tags: Option<Vec<String>>,
    /// Sort first.
    pub pinned: Option<bool>,
    /// Add the token even when it makes the same codes as a stored one.
    pub allow_duplicate: bool,
}

/// `update`: metadata changes; absent fields stay as they are.
#[derive(Debug, Clone, Deserialize)]
pub struct UpdateRequest {
    /// The token to change.
    pub token: Uuid,
    /// New issuer.
    #[serde(default)]
    pub issuer: Option<String>,
    /// New account name.
    #[serde(default)]
    pub account: Option<String>,
    /// New sites.
    #[serde(default)]
    pub sites: Option<Vec<String>>,
    /// New AWS context: `Some(None)` (JSON `null`) removes it.
    #[serde(default, deserialize_with = "present")]
    pub aws: Option<Option<AwsFields>>,
    /// New tags.
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    /// New pin state.
    #[serde(default)]
    pub pinned: Option<bool>,
}

/// Distinguishes a field that is present but `null` from an absent one.
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// A decoded request.
#[derive(Debug, Clone)]
pub enum Request {
    /// Versions, vault state, capabilities.
    Hello {
        /// The newest protocol version the extension speaks.
        protocol: Option<u64>,
    },
    /// Token metadata with current codes, paged.
    List {
        /// First token to return.
        offset: usize,
        /// Most tokens to return.
        limit: usize,
    },
    /// Tokens for a page.
    Match {
        /// The page's URL.
        url: String,
        /// What the page shows about the user.
        hint: Hint,
        /// What the same tab showed at an earlier step of the sign-in.
        earlier: Option<Earlier>,
    },
    /// One code.
    Code {
        /// The token.
        token: Uuid,
        /// Apply the safe-fill rules.
        for_fill: bool,
    },
    /// Two consecutive codes for enrolment.
    EnrollCodes {
        /// The token.
        token: Uuid,
    },
    /// Add a token.
    Add(Box<AddRequest>),
    /// Change a token's metadata.
    Update(Box<UpdateRequest>),
    /// Remove a token.
    Remove {
        /// The token.
        token: Uuid,
    },
    /// Read the QR codes of an image; optionally add their tokens.
    DecodeQr {
        /// The image bytes (PNG or JPEG), base64-decoded.
        image: FileBytes,
        /// Add the tokens found (one vault write).
        add: bool,
    },
    /// Read an authenticator export and add its tokens.
    Import(Box<ImportRequest>),
    /// One browser tab went from one page to the next: what that teaches
    /// (an IAM Identity Center portal's directory).
    Redirected {
        /// The earlier page's URL, as the browser reported it.
        from: String,
        /// The later page's URL, as the browser reported it.
        to: String,
    },
    /// Two consecutive codes of the MFA device a console page shows, for
    /// its "Resync MFA device" dialog.
    ResyncCodes {
        /// The page's URL.
        url: String,
        /// What the page shows: the account, the user.
        hint: Hint,
        /// The device's serial (ARN) as the page shows it.
        serial: Option<String>,
    },
    /// What an AWS sign-in page's server said the time was, and this
    /// computer's time around the request: AWS's clock, measured.
    Clock {
        /// The page's URL, as the browser reported it.
        url: String,
        /// The response's `Date` header, as the server sent it.
        date: String,
        /// This computer's time just before the request, Unix milliseconds.
        sent: u64,
        /// This computer's time once the response arrived, Unix
        /// milliseconds.
        received: u64,
    },
}

/// `import`: a file the person chose, with how to read it.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    /// The file's bytes, base64-decoded.
    pub file: FileBytes,
    /// The format to read it as; `None` detects it.
    pub format: Option<Format>,
    /// The export's password; an empty one counts as none.
    pub password: Option<SecretText>,
    /// Import the readable entries when some are not.
    pub skip_bad: bool,
    /// Report what would be imported; write nothing.
    pub dry_run: bool,
}

/// A file sent by the extension (an image or an export): it may hold
/// secrets, so it is wiped when dropped and `Debug` shows only its size.
#[derive(Clone, PartialEq, Eq)]
pub struct FileBytes(pub Zeroizing<Vec<u8>>);

impl std::fmt::Debug for FileBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FileBytes({} bytes)", self.0.len())
    }
}

#[derive(Deserialize)]
struct ImportFields {
    file: SecretText,
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    password: Option<SecretText>,
    #[serde(default)]
    skip_bad: Option<bool>,
    #[serde(default)]
    dry_run: Option<bool>,
}

/// Reads `import`'s `format`: absent or `auto` detects the format.
fn import_format(name: Option<&str>) -> Result<Option<Format>, ProtoError> {
    match name.map(str::trim) {
        None => Ok(None),
        Some(name) if name.eq_ignore_ascii_case("auto") => Ok(None),
        Some(name) => Format::from_name(name).map(Some).ok_or_else(|| {
            ProtoError::bad_request(format!(
                "import: format must be auto or one of: {}",
                Format::ALL.map(Format::name).join(", ")
            ))
        }),
    }
}

#[derive(Deserialize)]
struct DecodeQrFields {
    image: SecretText,
    #[serde(default)]
    add: Option<bool>,
}

/// Reads a file sent as text: base64 (standard or URL-safe, padding
/// optional) or a `data:` URL with base64 content. `op` and `field` name the
/// request's field in messages; more than `max` bytes once decoded is
/// `too_large`, refused before decoding.
fn base64_file(
    text: &str,
    op: &str,
    field: &str,
    max: usize,
    too_large: ProtoError,
) -> Result<Zeroizing<Vec<u8>>, ProtoError> {
    let text = text.trim();
    let data = match text.get(..5) {
        Some(scheme) if scheme.eq_ignore_ascii_case("data:") => {
            let (head, data) = text.split_once(',').ok_or_else(|| {
                ProtoError::bad_request(format!("{op}: the data: URL has no comma before its data"))
            })?;
            if !head.to_ascii_lowercase().ends_with(";base64") {
                return Err(ProtoError::bad_request(format!(
                    "{op}: the data: URL must be base64-encoded (data:…;base64,…)"
                )));
            }
            data
        }
        _ => text,
    };
    if data.len() / 4 * 3 > max {
        return Err(too_large);
    }
    let cleaned: Zeroizing<Vec<u8>> = Zeroizing::new(
        data.bytes()
            .filter(|b| !b.is_ascii_whitespace() && *b != b'=')
            .map(|b| match b {
                b'-' => b'+',
                b'_' => b'/',
                b => b,
            })
            .collect(),
    );
    let bytes = data_encoding::BASE64_NOPAD
        .decode(&cleaned)
        .map(Zeroizing::new)
        .map_err(|_| {
            ProtoError::bad_request(format!(
                "{op}: {field} must be base64 (or a data: URL) of the file's bytes"
            ))
        })?;
    if bytes.len() > max {
        return Err(too_large);
    }
    Ok(bytes)
}

/// Reads `decode_qr`'s `image`.
fn qr_image(text: &str) -> Result<Zeroizing<Vec<u8>>, ProtoError> {
    let too_large = ProtoError::new(
        ErrorCode::QrImageTooLarge,
        format!(
            "decode_qr: the image is larger than {} MiB; send a screenshot of the QR code",
            MAX_QR_IMAGE_BYTES >> 20
        ),
    );
    base64_file(text, "decode_qr", "image", MAX_QR_IMAGE_BYTES, too_large)
}

/// Reads `import`'s `file`.
fn import_file(text: &str) -> Result<Zeroizing<Vec<u8>>, ProtoError> {
    let too_large = ProtoError::new(
        ErrorCode::ImportTooLarge,
        format!(
            "import: the file is larger than {} MiB, more than the browser can send; import it with the command `factorcat import FILE` instead",
            MAX_IMPORT_FILE_BYTES >> 20
        ),
    );
    base64_file(text, "import", "file", MAX_IMPORT_FILE_BYTES, too_large)
}

#[derive(Deserialize)]
struct ListFields {
    #[serde(default)]
    offset: Option<u64>,
    #[serde(default)]
    limit: Option<u64>,
}

#[derive(Deserialize)]
struct MatchFields {
    url: String,
    #[serde(default)]
    hint: Option<Hint>,
    #[serde(default)]
    earlier: Option<Earlier>,
}

#[derive(Deserialize)]
struct TokenFields {
    token: Uuid,
    #[serde(default)]
    for_fill: Option<bool>,
}

#[derive(Deserialize)]
struct RedirectedFields {
    from: String,
    to: String,
}

#[derive(Deserialize)]
struct ClockFields {
    url: String,
    date: String,
    sent: u64,
    received: u64,
}

#[derive(Deserialize)]
struct ResyncFields {
    url: String,
    #[serde(default)]
    hint: Option<Hint>,
    #[serde(default)]
    serial: Option<String>,
}

#[derive(Deserialize)]
struct HelloFields {
    #[serde(default)]
    protocol: Option<u64>,
}

/// Fields that `update` refuses: they change codes, not metadata.
const NOT_METADATA: [&str; 7] = [
    "secret",
    "digits",
    "algorithm",
    "kind",
    "period",
    "counter",
    "uri",
];

/// Turns a serde error into a message that names what was expected without
/// repeating the value that was sent (it could be a secret).
fn describe(op: &str, e: &serde_json::Error) -> String {
    let text = e.to_string();
    let safe = if let Some(rest) = text.strip_prefix("missing field ") {
        format!("the field {rest} is missing")
    } else if let Some(pos) = text.rfind(", expected ") {
        // The last one: a quoted value before it may contain the words too.
        let expected = &text[pos + ", expected ".len()..];
        let what = if text.starts_with("unknown variant") {
            "a field has a value that is not allowed"
        } else if text.starts_with("invalid length") {
            "a field has the wrong number of elements"
        } else {
            "a field has the wrong type or value"
        };
        format!("{what}: expected {expected}")
    } else {
        "a field has the wrong type or value".to_string()
    };
    format!("{op}: {safe}; see docs/protocol.md for the request's fields")
}

fn fields<'de, T: Deserialize<'de>>(op: &str, value: &'de Value) -> Result<T, ProtoError> {
    T::deserialize(value).map_err(|e| ProtoError::bad_request(describe(op, &e)))
}

/// Decodes a request body. Returns the request id (when it could be read)
/// alongside the request or the error to send back.
pub fn decode_request(body: &[u8]) -> (Option<i64>, Result<Request, ProtoError>) {
    if body.is_empty() {
        return (
            None,
            Err(ProtoError::new(
                ErrorCode::EmptyFrame,
                "the message is empty; send a JSON object such as {\"id\":1,\"type\":\"hello\"}",
            )),
        );
    }
    let Ok(text) = std::str::from_utf8(body) else {
        return (
            None,
            Err(ProtoError::new(
                ErrorCode::InvalidUtf8,
                "the message is not UTF-8 text; send JSON encoded as UTF-8",
            )),
        );
    };
    // serde_json refuses nesting deeper than 128 levels, so hostile input
    // cannot exhaust the stack.
    let parsed: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            let why = if e.to_string().contains("recursion limit") {
                "it nests deeper than 128 levels".to_string()
            } else {
                format!("line {} column {}", e.line(), e.column())
            };
            return (
                None,
                Err(ProtoError::new(
                    ErrorCode::InvalidJson,
                    format!(
                        "the message is not valid JSON ({why}); send one JSON object per message"
                    ),
                )),
            );
        }
    };
    let guard = Zeroizing::new(ValueGuard(parsed));
    let value = &guard.0;
    let Value::Object(object) = value else {
        return (
            None,
            Err(ProtoError::new(
                ErrorCode::NotAnObject,
                "the message must be a JSON object with \"id\" and \"type\"",
            )),
        );
    };
    let id = match object.get("id") {
        Some(Value::Number(n)) => n.as_i64(),
        _ => None,
    };
    let Some(id) = id else {
        return (
            None,
            Err(ProtoError::bad_request(
                "the request needs an integer \"id\" (echoed in the reply)",
            )),
        );
    };
    let op = match object.get("type") {
        Some(Value::String(op)) => op.as_str(),
        _ => {
            return (
                Some(id),
                Err(ProtoError::bad_request(
                    "the request needs a string \"type\" naming the operation",
                )),
            );
        }
    };
    (Some(id), decode_op(op, value, object))
}

fn decode_op(op: &str, value: &Value, object: &Map<String, Value>) -> Result<Request, ProtoError> {
    match op {
        "hello" => {
            let f: HelloFields = fields(op, value)?;
            Ok(Request::Hello {
                protocol: f.protocol,
            })
        }
        "list" => {
            let f: ListFields = fields(op, value)?;
            let limit = f.limit.unwrap_or(DEFAULT_LIST_LIMIT as u64);
            if limit == 0 {
                return Err(ProtoError::bad_request(
                    "list: limit must be at least 1 (the default is 100)",
                ));
            }
            Ok(Request::List {
                offset: usize::try_from(f.offset.unwrap_or(0)).unwrap_or(usize::MAX),
                limit: usize::try_from(limit)
                    .unwrap_or(MAX_LIST_LIMIT)
                    .min(MAX_LIST_LIMIT),
            })
        }
        "match" => {
            let f: MatchFields = fields(op, value)?;
            Ok(Request::Match {
                url: f.url,
                hint: f.hint.unwrap_or_default(),
                earlier: f.earlier,
            })
        }
        "code" => {
            let f: TokenFields = fields(op, value)?;
            Ok(Request::Code {
                token: f.token,
                for_fill: f.for_fill.unwrap_or(false),
            })
        }
        "enroll_codes" => {
            let f: TokenFields = fields(op, value)?;
            Ok(Request::EnrollCodes { token: f.token })
        }
        "add" => Ok(Request::Add(Box::new(fields(op, value)?))),
        "update" => {
            if let Some(key) = NOT_METADATA.iter().find(|k| object.contains_key(**k)) {
                return Err(ProtoError::bad_request(format!(
                    "update changes metadata only (issuer, account, sites, aws, tags, pinned); \"{key}\" cannot be changed: remove the token and add it again"
                )));
            }
            Ok(Request::Update(Box::new(fields(op, value)?)))
        }
        "remove" => {
            let f: TokenFields = fields(op, value)?;
            Ok(Request::Remove { token: f.token })
        }
        "decode_qr" => {
            let f: DecodeQrFields = fields(op, value)?;
            Ok(Request::DecodeQr {
                image: FileBytes(qr_image(&f.image.0)?),
                add: f.add.unwrap_or(false),
            })
        }
        "import" => {
            let f: ImportFields = fields(op, value)?;
            Ok(Request::Import(Box::new(ImportRequest {
                file: FileBytes(import_file(&f.file.0)?),
                format: import_format(f.format.as_deref())?,
                password: f.password.filter(|p| !p.0.is_empty()),
                skip_bad: f.skip_bad.unwrap_or(false),
                dry_run: f.dry_run.unwrap_or(false),
            })))
        }
        "redirected" => {
            let f: RedirectedFields = fields(op, value)?;
            Ok(Request::Redirected {
                from: f.from,
                to: f.to,
            })
        }
        "resync_codes" => {
            let f: ResyncFields = fields(op, value)?;
            Ok(Request::ResyncCodes {
                url: f.url,
                hint: f.hint.unwrap_or_default(),
                serial: f.serial,
            })
        }
        "clock" => {
            let f: ClockFields = fields(op, value)?;
            Ok(Request::Clock {
                url: f.url,
                date: f.date,
                sent: f.sent,
                received: f.received,
            })
        }
        _ => {
            // The name is not repeated: it is whatever the caller sent.
            Err(ProtoError::new(
                ErrorCode::UnknownOp,
                format!(
                    "that operation does not exist in protocol version {PROTOCOL_VERSION}; the operations are {}",
                    OPERATIONS.join(", ")
                ),
            ))
        }
    }
}

/// Wipes the strings of a JSON tree when dropped (a request may carry a
/// secret).
struct ValueGuard(Value);

impl zeroize::Zeroize for ValueGuard {
    fn zeroize(&mut self) {
        fn wipe(v: &mut Value) {
            match v {
                Value::String(s) => s.zeroize(),
                Value::Array(a) => a.iter_mut().for_each(wipe),
                Value::Object(o) => o.values_mut().for_each(wipe),
                _ => {}
            }
        }
        wipe(&mut self.0);
    }
}

/// A success reply: `{"id", "ok": true, ...fields}`.
pub fn success(id: i64, fields: Map<String, Value>) -> Vec<u8> {
    let mut reply = Map::new();
    reply.insert("id".into(), Value::from(id));
    reply.insert("ok".into(), Value::Bool(true));
    for (k, v) in fields {
        if k != "id" && k != "ok" {
            reply.insert(k, v);
        }
    }
    serde_json::to_vec(&Value::Object(reply)).unwrap_or_default()
}

/// A failure reply: `{"id", "ok": false, "error": {...}}`.
pub fn failure(id: Option<i64>, error: &ProtoError) -> Vec<u8> {
    let mut reply = Map::new();
    reply.insert("id".into(), id.map(Value::from).unwrap_or(Value::Null));
    reply.insert("ok".into(), Value::Bool(false));
    reply.insert("error".into(), error.to_json());
    serde_json::to_vec(&Value::Object(reply)).unwrap_or_default()
}

#[cfg(test)]
mod tests;
