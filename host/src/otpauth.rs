//! Reading and writing `otpauth://` Key URIs, the text inside token QR codes
//! and the line format of most authenticator exports.
//!
//! The format is `otpauth://TYPE/LABEL?PARAMETERS`: TYPE is `totp`, `hotp`
//! or `steam`; LABEL is `Issuer:account` or just `account`; the parameters
//! are `secret` (required), `issuer`, `algorithm`, `digits`, `period`
//! (time-based kinds), `counter` (required for HOTP) and `encoder`.
//! `docs/otpauth.md` describes the accepted input in full; the rules that
//! matter most are:
//!
//! - **Issuer.** The `issuer` parameter wins over the label prefix. The label
//!   prefix (everything before the first `:`, or before the first `%3A` when
//!   the label has no literal colon) is always removed from the account, also
//!   when it disagrees with the parameter. Without an `issuer` parameter the
//!   prefix is the issuer.
//! - **Encoding.** Label and parameters are percent-decoded and `+` means a
//!   space in both; a literal `+` must be written `%2B`. `#` has no special
//!   meaning (QR codes carry no fragments), so it stays part of the text.
//!   Issuer and account are trimmed of surrounding white space; control
//!   characters are refused.
//! - **Leniency.** Scheme, type and parameter names are case-insensitive;
//!   unknown parameters (`image`, `color`, …) are ignored, and so are a
//!   `period` on an HOTP URI and a `counter` on a time-based one. Empty
//!   optional parameters count as absent.
//! - **Steam Guard.** `otpauth://steam/…` and `encoder=steam` make a Steam
//!   token; so does the issuer `Steam` (any case) on a `totp` URI unless the
//!   URI sets digits, algorithm or period to something Steam never uses.
//! - **AWS.** When the issuer is `Amazon Web Services` or starts with the word
//!   `AWS`, the account `device@account` is read as the MFA device (or user)
//!   and the 12-digit account id or the account alias. An e-mail address under
//!   any other issuer is just an account name.
//! - **Strictness.** Anything that would silently change the codes is an
//!   error: a missing or bad secret, an unknown algorithm or encoder, digits
//!   or period out of range, a missing HOTP counter, conflicting duplicate
//!   parameters, another scheme or an unknown type.
//!
//! [`emit`] writes the canonical form: `Issuer:account` label, `issuer`
//! parameter, every parameter explicit, everything but unreserved
//! characters percent-encoded. `parse(&emit(t))` gives back the issuer,
//! account, secret, kind, algorithm and digits of `t` (issuer and account
//! trimmed, as [`parse`] always does).

use std::fmt;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use zeroize::{Zeroize, Zeroizing};

use crate::error::ErrorCode;
use crate::secret::{Secret, SecretError};
use crate::token::{
    Algorithm, AwsContext, Kind, MAX_DIGITS, ParamError, Partition, STEAM_DIGITS, Token,
};

/// Longest URI accepted, in bytes. Real Key URIs are a few hundred bytes;
/// the limit leaves room for what [`emit`] writes for the longest fields a
/// token may have (512-byte issuer, written twice, and account, every byte
/// percent-encoded; a 256-byte secret: about 5,100 bytes), so that every
/// exported URI reads back. At 4096, found by fuzzing, a token with a long
/// non-ASCII issuer was exported as a URI FactorCat then refused.
pub const MAX_URI_LEN: usize = 8192;

/// The issuer AWS puts in virtual MFA device QR codes.
pub const AWS_ISSUER: &str = "Amazon Web Services";

/// The sites an AWS (commercial partition) token is offered on by default.
pub const AWS_SITES: &[&str] = &["signin.aws.amazon.com"];

/// Digits when the URI does not say.
pub const DEFAULT_DIGITS: u8 = 6;

/// TOTP period in seconds when the URI does not say.
pub const DEFAULT_PERIOD: u64 = 30;

/// Steam Guard's fixed time step in seconds.
const STEAM_PERIOD: u64 = 30;

/// Longest piece of the input that an error message repeats. Shorter than
/// the shortest accepted base32 secret (16 characters), so an error can
/// never carry a whole secret even when one was pasted into the wrong place.
const MAX_ECHO: usize = 15;

/// Why an otpauth URI was refused. Messages say what is wrong and what to do,
/// and never contain the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OtpauthError {
    /// The input is longer than [`MAX_URI_LEN`].
    #[error(
        "the text is {0} bytes long, but an otpauth URI is at most {MAX_URI_LEN} bytes; check that only the token's link was copied"
    )]
    TooLong(usize),
    /// The input has no `scheme:` at all.
    #[error(
        "this is not an otpauth:// link; scan or copy the whole link, or add a bare secret together with its issuer and account instead"
    )]
    NotAUri,
    /// A Google Authenticator `otpauth-migration://` export.
    #[error(
        "this is a Google Authenticator export (otpauth-migration://), which can hold several tokens; add it with the import command instead"
    )]
    Migration,
    /// Any scheme other than `otpauth`.
    #[error(
        "links with the scheme {0} are not token links; only otpauth:// links can be added this way"
    )]
    UnsupportedScheme(Echo),
    /// `otpauth:` not followed by `//`.
    #[error(
        "the otpauth link is malformed: it must start with otpauth://totp/, otpauth://hotp/ or otpauth://steam/; copy it again"
    )]
    Malformed,
    /// A type other than `totp`, `hotp` or `steam`.
    #[error("the token type {0} is not supported; FactorCat handles totp, hotp and steam tokens")]
    UnknownType(Echo),
    /// No `secret` parameter.
    #[error(
        "the link has no secret parameter; copy the whole link again, or ask the site for a new QR code"
    )]
    MissingSecret,
    /// The `secret` parameter is present but unusable.
    #[error("the link's secret is unusable: {0}")]
    Secret(SecretError),
    /// An `algorithm` other than SHA-1, SHA-256 or SHA-512.
    #[error(
        "the algorithm {0} is not supported; FactorCat computes codes with SHA1, SHA256 or SHA512, so this token cannot be added"
    )]
    UnsupportedAlgorithm(Echo),
    /// An `encoder` other than `steam`.
    #[error(
        "the code encoder {0} is not supported; the only encoder FactorCat knows is steam, so this token cannot be added"
    )]
    UnsupportedEncoder(Echo),
    /// `digits`, `period` or `counter` is not a decimal number.
    #[error(
        "the {0} parameter is not a whole decimal number (only the digits 0-9 are allowed); correct it in the link"
    )]
    NotANumber(Number),
    /// `digits`, `period` or `counter` too large to even hold.
    #[error("the {0} parameter is far larger than any token uses; correct it in the link")]
    TooLarge(Number),
    /// Digits, period or text length out of range (see [`ParamError`]).
    #[error("{0}")]
    Param(ParamError),
    /// An `otpauth://hotp` URI without `counter`.
    #[error(
        "this HOTP link has no counter parameter, so FactorCat cannot know which code comes next; add counter=N (0 for a new token)"
    )]
    MissingCounter,
    /// The same parameter given twice with different values.
    #[error(
        "the {0} parameter is given twice with different values; keep the right one and remove the other"
    )]
    DuplicateParameter(&'static str),
    /// Percent-decoding produced bytes that are not UTF-8 text.
    #[error(
        "the {0} is not valid UTF-8 text after percent-decoding; the link is damaged, copy it again"
    )]
    InvalidText(&'static str),
    /// A control character (newline, escape, …) in the issuer or account.
    #[error("the {0} contains a control character; remove it from the link")]
    ControlCharacter(&'static str),
    /// A Steam token with parameters Steam Guard never uses.
    #[error(
        "Steam Guard codes always use 5 characters, SHA1 and 30 seconds, but this link sets {0} to something else; remove that parameter, or the steam marker if this is not a Steam Guard token"
    )]
    SteamConflict(&'static str),
    /// `encoder=steam` on an `otpauth://hotp` URI.
    #[error(
        "encoder=steam marks a Steam Guard token, whose codes are time-based, but this is an hotp link; remove encoder=steam, or use otpauth://totp/ if the token really is Steam Guard"
    )]
    SteamOnHotp,
}

impl OtpauthError {
    /// The error code of every refused URI: [`ErrorCode::InvalidUri`];
    /// [`OtpauthError::reason`] tells them apart.
    pub fn code(&self) -> ErrorCode {
        ErrorCode::InvalidUri
    }

    /// A stable, machine-readable name for why the URI was refused, for
    /// tests and logs (`docs/otpauth.md`). Reasons are never renamed, only
    /// added.
    pub fn reason(&self) -> &'static str {
        match self {
            OtpauthError::TooLong(_) => "uri_too_long",
            OtpauthError::NotAUri => "not_a_uri",
            OtpauthError::Migration => "migration_uri",
            OtpauthError::UnsupportedScheme(_) => "unsupported_scheme",
            OtpauthError::Malformed => "malformed",
            OtpauthError::UnknownType(_) => "unknown_type",
            OtpauthError::MissingSecret => "missing_secret",
            OtpauthError::Secret(SecretError::Empty) => "secret_empty",
            OtpauthError::Secret(SecretError::NotBase32) => "secret_not_base32",
            OtpauthError::Secret(SecretError::Length(_)) => "secret_length",
            OtpauthError::Secret(SecretError::TooShort(_)) => "secret_too_short",
            OtpauthError::Secret(SecretError::TooLong) => "secret_too_long",
            OtpauthError::UnsupportedAlgorithm(_) => "unsupported_algorithm",
            OtpauthError::UnsupportedEncoder(_) => "unsupported_encoder",
            OtpauthError::NotANumber(Number::Digits) => "digits_invalid",
            OtpauthError::NotANumber(Number::Period) => "period_invalid",
            OtpauthError::NotANumber(Number::Counter) => "counter_invalid",
            OtpauthError::TooLarge(Number::Digits) => "digits_out_of_range",
            OtpauthError::TooLarge(Number::Period) => "period_out_of_range",
            OtpauthError::TooLarge(Number::Counter) => "counter_out_of_range",
            OtpauthError::Param(ParamError::Digits(_)) => "digits_out_of_range",
            OtpauthError::Param(ParamError::Period(_)) => "period_out_of_range",
            // A URI carries no list that could be too long.
            OtpauthError::Param(ParamError::TooLong(_) | ParamError::TooMany(_)) => {
                "field_too_long"
            }
            OtpauthError::MissingCounter => "missing_counter",
            OtpauthError::DuplicateParameter(_) => "duplicate_parameter",
            OtpauthError::InvalidText(_) => "invalid_text",
            OtpauthError::ControlCharacter(_) => "control_character",
            OtpauthError::SteamConflict(_) | OtpauthError::SteamOnHotp => "steam_conflict",
        }
    }
}

/// The numeric parameters, named in errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Number {
    /// `digits`.
    Digits,
    /// `period`.
    Period,
    /// `counter`.
    Counter,
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Number::Digits => "digits",
            Number::Period => "period",
            Number::Counter => "counter",
        })
    }
}

/// A short piece of the input repeated in an error message: shown quoted
/// when it is short and plain (`"MD5"`), otherwise only described, so that
/// messages stay readable and can never leak a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Echo(Option<String>);

impl Echo {
    fn of(text: &str) -> Self {
        let plain = text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'+'));
        if plain && text.len() <= MAX_ECHO {
            Echo(Some(text.to_string()))
        } else {
            Echo(None)
        }
    }
}

impl fmt::Display for Echo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(text) => write!(f, "\"{text}\""),
            None => f.write_str("(long or unusual, not shown)"),
        }
    }
}

/// The token type named after `otpauth://`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UriType {
    Totp,
    Hotp,
    Steam,
}

/// The parameters FactorCat reads, percent-decoded. Values stay as text
/// until the whole query is known, so duplicates can be compared.
#[derive(Default)]
struct Params {
    secret: Option<Zeroizing<String>>,
    issuer: Option<Zeroizing<String>>,
    algorithm: Option<Zeroizing<String>>,
    digits: Option<Zeroizing<String>>,
    period: Option<Zeroizing<String>>,
    counter: Option<Zeroizing<String>>,
    encoder: Option<Zeroizing<String>>,
}

impl Params {
    fn parse(query: &str) -> Result<Self, OtpauthError> {
        let mut params = Params::default();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (raw_name, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
            let name = decode(raw_name, "parameter name")?;
            let name = name.trim().to_ascii_lowercase();
            let (slot, static_name) = match name.as_str() {
                "secret" => (&mut params.secret, "secret"),
                "issuer" => (&mut params.issuer, "issuer"),
                "algorithm" => (&mut params.algorithm, "algorithm"),
                "digits" => (&mut params.digits, "digits"),
                "period" => (&mut params.period, "period"),
                "counter" => (&mut params.counter, "counter"),
                "encoder" => (&mut params.encoder, "encoder"),
                _ => continue,
            };
            let value = decode(raw_value, static_name)?;
            match slot {
                Some(existing) if *existing != value => {
                    return Err(OtpauthError::DuplicateParameter(static_name));
                }
                Some(_) => {}
                None => *slot = Some(value),
            }
        }
        Ok(params)
    }
}

/// The text of an optional parameter, `None` when absent or blank.
fn optional(value: &Option<Zeroizing<String>>) -> Option<&str> {
    value.as_deref().map(|v| v.trim()).filter(|v| !v.is_empty())
}

/// Percent-decodes `raw`, reading `+` as a space. The result is wiped when
/// dropped, because it may be the secret.
fn decode(raw: &str, what: &'static str) -> Result<Zeroizing<String>, OtpauthError> {
    let mut bytes: Vec<u8> = Vec::with_capacity(raw.len());
    for (i, piece) in raw.split('+').enumerate() {
        if i > 0 {
            bytes.push(b' ');
        }
        bytes.extend(percent_decode_str(piece));
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(Zeroizing::new(text)),
        Err(err) => {
            err.into_bytes().zeroize();
            Err(OtpauthError::InvalidText(what))
        }
    }
}

/// Parses a decimal parameter: ASCII digits only (no sign, no spaces
/// inside), at most `u64::MAX`.
fn number(text: &str, what: Number) -> Result<u64, OtpauthError> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(OtpauthError::NotANumber(what));
    }
    text.bytes()
        .try_fold(0u64, |acc, b| {
            acc.checked_mul(10)?.checked_add(u64::from(b - b'0'))
        })
        .ok_or(OtpauthError::TooLarge(what))
}

/// Splits the raw (still encoded) label into the issuer prefix and the
/// account: at the first literal `:`, or else at the first `%3A`.
fn split_label(raw: &str) -> (Option<&str>, &str) {
    if let Some((prefix, account)) = raw.split_once(':') {
        return (Some(prefix), account);
    }
    let lower = raw.to_ascii_lowercase();
    match lower.find("%3a") {
        Some(at) => (Some(&raw[..at]), &raw[at + 3..]),
        None => (None, raw),
    }
}

/// Trims an already decoded issuer or account, refusing control characters.
fn text_field(decoded: &str, what: &'static str) -> Result<String, OtpauthError> {
    let trimmed = decoded.trim();
    if trimmed.chars().any(char::is_control) {
        return Err(OtpauthError::ControlCharacter(what));
    }
    Ok(trimmed.to_string())
}

/// True for the issuers AWS and its users give virtual MFA devices:
/// `Amazon Web Services`, or the word `AWS` at the start (`AWS`, `aws-prod`,
/// `AWS GovCloud`), but not a name that merely begins with those letters.
fn is_aws_issuer(issuer: &str) -> bool {
    if issuer.eq_ignore_ascii_case(AWS_ISSUER) {
        return true;
    }
    let bytes = issuer.as_bytes();
    bytes.len() >= 3
        && bytes[..3].eq_ignore_ascii_case(b"aws")
        && bytes.get(3).is_none_or(|b| !b.is_ascii_alphanumeric())
}

/// Reads `device@account` (the account an id or alias) from an AWS label.
/// Text after the last `@` that cannot be an account id or alias (such as
/// the domain of a root user's e-mail address) stays part of the user.
fn aws_context(account: &str) -> AwsContext {
    let base = AwsContext {
        partition: Partition::Aws,
        ..AwsContext::default()
    };
    let with_user = |ctx: AwsContext, user: &str| AwsContext {
        user: Some(user.trim().to_string()).filter(|u| !u.is_empty()),
        ..ctx
    };
    if let Some((user, reference)) = account.rsplit_once('@') {
        let reference = reference.trim();
        if AwsContext::is_account_id(reference)
            || AwsContext::is_account_alias(&reference.to_ascii_lowercase())
        {
            return with_user(base.with_account(reference), user);
        }
    }
    if AwsContext::is_account_id(account) {
        return base.with_account(account);
    }
    with_user(base, account)
}

/// Parses an `otpauth://` URI into a new token (fresh id, created now).
///
/// The token has passed [`Token::validate`]. AWS MFA devices get their
/// [`AwsContext`] and the default [`AWS_SITES`]; a token whose issuer is a
/// customer host of a multi-tenant issuer (`acme.okta.com`) gets that host
/// ([`crate::site::tenant_site`]); other tokens get no sites.
/// See the module documentation for the rules.
pub fn parse(uri: &str) -> Result<Token, OtpauthError> {
    let uri = uri.trim();
    if uri.len() > MAX_URI_LEN {
        return Err(OtpauthError::TooLong(uri.len()));
    }
    let (scheme, rest) = uri.split_once(':').ok_or(OtpauthError::NotAUri)?;
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    if !scheme_ok {
        return Err(OtpauthError::NotAUri);
    }
    if scheme.eq_ignore_ascii_case("otpauth-migration") {
        return Err(OtpauthError::Migration);
    }
    if !scheme.eq_ignore_ascii_case("otpauth") {
        return Err(OtpauthError::UnsupportedScheme(Echo::of(scheme)));
    }
    let rest = rest.strip_prefix("//").ok_or(OtpauthError::Malformed)?;

    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (raw_type, raw_label) = path.split_once('/').unwrap_or((path, ""));
    let uri_type = match raw_type.to_ascii_lowercase().as_str() {
        "totp" => UriType::Totp,
        "hotp" => UriType::Hotp,
        "steam" => UriType::Steam,
        _ => return Err(OtpauthError::UnknownType(Echo::of(raw_type))),
    };

    let params = Params::parse(query)?;
    let secret_text = params.secret.as_ref().ok_or(OtpauthError::MissingSecret)?;
    let secret = Secret::from_base32(secret_text).map_err(OtpauthError::Secret)?;

    let (raw_prefix, raw_account) = split_label(raw_label);
    let account = text_field(&decode(raw_account, "account name")?, "account name")?;
    let prefix = match raw_prefix {
        Some(raw) => text_field(&decode(raw, "issuer")?, "issuer")?,
        None => String::new(),
    };
    // Parameter values were decoded by Params::parse; never decode twice.
    let issuer = match params.issuer.as_deref() {
        Some(decoded) => text_field(decoded, "issuer")?,
        None => String::new(),
    };
    let issuer = if issuer.is_empty() { prefix } else { issuer };

    let algorithm = match optional(&params.algorithm) {
        Some(name) => Some(
            Algorithm::parse(name)
                .ok_or_else(|| OtpauthError::UnsupportedAlgorithm(Echo::of(name)))?,
        ),
        None => None,
    };
    let digits = optional(&params.digits)
        .map(|d| number(d, Number::Digits))
        .transpose()?;
    let steam_encoder = match optional(&params.encoder) {
        Some(name) if name.eq_ignore_ascii_case("steam") => true,
        Some(name) => return Err(OtpauthError::UnsupportedEncoder(Echo::of(name))),
        None => false,
    };

    let kind = match uri_type {
        UriType::Hotp => {
            if steam_encoder {
                return Err(OtpauthError::SteamOnHotp);
            }
            let counter = optional(&params.counter).ok_or(OtpauthError::MissingCounter)?;
            Kind::Hotp {
                counter: number(counter, Number::Counter)?,
            }
        }
        UriType::Totp | UriType::Steam => {
            let period = optional(&params.period)
                .map(|p| number(p, Number::Period))
                .transpose()?;
            let conflict = if digits.is_some_and(|d| d != u64::from(STEAM_DIGITS)) {
                Some("digits")
            } else if algorithm.is_some_and(|a| a != Algorithm::Sha1) {
                Some("algorithm")
            } else if period.is_some_and(|p| p != STEAM_PERIOD) {
                Some("period")
            } else {
                None
            };
            let explicit_steam = uri_type == UriType::Steam || steam_encoder;
            let steam_issuer = issuer.eq_ignore_ascii_case("steam");
            match conflict {
                Some(what) if explicit_steam => return Err(OtpauthError::SteamConflict(what)),
                None if explicit_steam || steam_issuer => Kind::Steam,
                _ => Kind::Totp {
                    period: period.unwrap_or(DEFAULT_PERIOD),
                },
            }
        }
    };

    let digits = match kind {
        Kind::Steam => STEAM_DIGITS,
        _ => {
            let digits = digits.unwrap_or(u64::from(DEFAULT_DIGITS));
            let shown =
                u32::try_from(digits).map_err(|_| OtpauthError::TooLarge(Number::Digits))?;
            u8::try_from(digits)
                .ok()
                .filter(|d| *d <= MAX_DIGITS)
                .ok_or(OtpauthError::Param(ParamError::Digits(shown)))?
        }
    };

    let aws = is_aws_issuer(&issuer).then(|| aws_context(&account));
    let mut token = Token::new(issuer, account, secret);
    token.algorithm = match kind {
        Kind::Steam => Algorithm::Sha1,
        _ => algorithm.unwrap_or_default(),
    };
    token.digits = digits;
    token.kind = kind;
    if let Some(aws) = aws {
        token.sites = AWS_SITES.iter().map(|s| s.to_string()).collect();
        token.aws = Some(aws);
    } else if let Some(host) = crate::site::tenant_site(&token.issuer) {
        token.sites = vec![host];
    }
    token.validate().map_err(OtpauthError::Param)?;
    Ok(token)
}

/// Characters written as-is: RFC 3986 "unreserved". Everything else,
/// including `:`, `@`, `+`, `&`, `%` and `#`, is percent-encoded.
const ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Writes `token` as an `otpauth://` URI that [`parse`] and other
/// authenticators read back: label `Issuer:account`, the `issuer` parameter,
/// and algorithm, digits and period (or counter) always explicit. Steam
/// tokens are written as `otpauth://steam/`.
///
/// The URI contains the secret: only explicit exports should call this, and
/// the result is wiped from memory when dropped.
pub fn emit(token: &Token) -> Zeroizing<String> {
    let issuer = utf8_percent_encode(&token.issuer, ENCODE).to_string();
    let account = utf8_percent_encode(&token.account, ENCODE).to_string();
    // An empty prefix keeps a colon in the account from being taken for the
    // separator (the account's own colons are encoded, and `%3A` is a
    // separator too when the label has no literal colon).
    let label = if !issuer.is_empty() || token.account.contains(':') {
        format!("{issuer}:{account}")
    } else {
        account
    };
    let head = format!("otpauth://{}/{label}?secret=", token.kind.name());

    let mut tail = String::new();
    if !token.issuer.is_empty() {
        tail.push_str("&issuer=");
        tail.push_str(&issuer);
    }
    match token.kind {
        Kind::Totp { period } => tail.push_str(&format!(
            "&algorithm={}&digits={}&period={period}",
            token.algorithm, token.digits
        )),
        Kind::Hotp { counter } => tail.push_str(&format!(
            "&algorithm={}&digits={}&counter={counter}",
            token.algorithm, token.digits
        )),
        Kind::Steam => tail.push_str(&format!("&digits={STEAM_DIGITS}")),
    }

    let secret = token.secret.to_base32();
    // Sized up front so the buffer holding the secret never reallocates
    // (a reallocation would leave an unwiped copy behind).
    let mut uri = Zeroizing::new(String::with_capacity(
        head.len() + secret.len() + tail.len(),
    ));
    uri.push_str(&head);
    uri.push_str(&secret);
    uri.push_str(&tail);
    uri
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "JBSWY3DPEHPK3PXP";

    fn ok(uri: &str) -> Token {
        match parse(uri) {
            Ok(token) => token,
            Err(err) => panic!("{uri}: {err}"),
        }
    }

    fn code(uri: &str) -> &'static str {
        match parse(uri) {
            Ok(token) => panic!("{uri} was accepted as {token:?}"),
            Err(err) => err.reason(),
        }
    }

    #[test]
    fn issuer_parameter_wins_and_prefix_leaves_the_account() {
        let t = ok(&format!(
            "otpauth://totp/Google:alice?secret={SECRET}&issuer=Alphabet"
        ));
        assert_eq!(
            (t.issuer.as_str(), t.account.as_str()),
            ("Alphabet", "alice")
        );
        let t = ok(&format!("otpauth://totp/Google:alice?secret={SECRET}"));
        assert_eq!((t.issuer.as_str(), t.account.as_str()), ("Google", "alice"));
        let t = ok(&format!(
            "otpauth://totp/alice?secret={SECRET}&issuer=Google"
        ));
        assert_eq!((t.issuer.as_str(), t.account.as_str()), ("Google", "alice"));
    }

    #[test]
    fn encoded_colon_separates_only_without_a_literal_one() {
        let t = ok(&format!("otpauth://totp/ACME%3Abob?secret={SECRET}"));
        assert_eq!((t.issuer.as_str(), t.account.as_str()), ("ACME", "bob"));
        let t = ok(&format!("otpauth://totp/ACME:a%3Ab?secret={SECRET}"));
        assert_eq!((t.issuer.as_str(), t.account.as_str()), ("ACME", "a:b"));
    }

    #[test]
    fn aws_labels_need_an_aws_issuer() {
        let t = ok(&format!(
            "otpauth://totp/Amazon%20Web%20Services:dev%40123456789012?secret={SECRET}&issuer=Amazon%20Web%20Services"
        ));
        let aws = t.aws.expect("AWS context");
        assert_eq!(aws.account_id.as_deref(), Some("123456789012"));
        assert_eq!(aws.user.as_deref(), Some("dev"));
        assert_eq!(t.sites, vec!["signin.aws.amazon.com".to_string()]);

        let t = ok(&format!(
            "otpauth://totp/GitHub:me@example.com?secret={SECRET}"
        ));
        assert_eq!(t.aws, None);
        assert!(t.sites.is_empty());
    }

    /// Okta's QR codes name the organisation's own host as the issuer: that
    /// host becomes the token's one site. An issuer that only names the
    /// company gives none (see `site::multi_tenant`).
    #[test]
    fn a_tenant_host_as_issuer_is_the_tokens_site() {
        let t = ok(&format!(
            "otpauth://totp/acme.okta.com:alice%40acme.example?secret={SECRET}&issuer=acme.okta.com"
        ));
        assert_eq!(t.sites, vec!["acme.okta.com".to_string()]);
        let t = ok(&format!(
            "otpauth://totp/Okta:alice?secret={SECRET}&issuer=Okta"
        ));
        assert!(t.sites.is_empty());
    }

    #[test]
    fn aws_issuer_word_boundary() {
        assert!(is_aws_issuer("AWS"));
        assert!(is_aws_issuer("aws-prod"));
        assert!(is_aws_issuer("AWS GovCloud"));
        assert!(is_aws_issuer("amazon web services"));
        assert!(!is_aws_issuer("AWSome Corp"));
        assert!(!is_aws_issuer("Amazon"));
        assert!(!is_aws_issuer(""));
    }

    #[test]
    fn aws_root_email_without_account_stays_the_user() {
        let ctx = aws_context("root@example.com");
        assert_eq!(ctx.user.as_deref(), Some("root@example.com"));
        assert_eq!(ctx.account_alias, None);
        let ctx = aws_context("123456789012");
        assert_eq!(ctx.account_id.as_deref(), Some("123456789012"));
        assert_eq!(ctx.user, None);
    }

    #[test]
    fn numbers_are_strict() {
        assert_eq!(number("030", Number::Period), Ok(30));
        assert_eq!(
            number("+30", Number::Period),
            Err(OtpauthError::NotANumber(Number::Period))
        );
        assert_eq!(
            number("3 0", Number::Period),
            Err(OtpauthError::NotANumber(Number::Period))
        );
        assert_eq!(
            number("18446744073709551615", Number::Counter),
            Ok(u64::MAX)
        );
        assert_eq!(
            number("18446744073709551616", Number::Counter),
            Err(OtpauthError::TooLarge(Number::Counter))
        );
    }

    #[test]
    fn huge_digits_are_out_of_range_not_wrapped() {
        // 262 would wrap to 6 in a u8.
        assert_eq!(
            code(&format!("otpauth://totp/x?secret={SECRET}&digits=262")),
            "digits_out_of_range"
        );
    }

    #[test]
    fn echo_hides_long_or_odd_text() {
        assert_eq!(Echo::of("MD5").to_string(), "\"MD5\"");
        assert_eq!(Echo::of(SECRET).0, None);
        assert_eq!(Echo::of("a b").0, None);
        assert_eq!(Echo::of("").to_string(), "\"\"");
    }

    #[test]
    fn errors_never_show_a_misplaced_secret() {
        let uri = format!("otpauth://totp/x?secret={SECRET}&algorithm={SECRET}");
        let err = parse(&uri).unwrap_err();
        assert_eq!(err.reason(), "unsupported_algorithm");
        assert!(!err.to_string().contains(SECRET), "{err}");
    }

    #[test]
    fn emit_writes_the_canonical_form() {
        let mut t = Token::new(
            "A&B Co",
            "me+you@x.org",
            Secret::from_base32(SECRET).unwrap(),
        );
        t.kind = Kind::Hotp { counter: 7 };
        assert_eq!(
            emit(&t).as_str(),
            "otpauth://hotp/A%26B%20Co:me%2Byou%40x.org?secret=JBSWY3DPEHPK3PXP\
             &issuer=A%26B%20Co&algorithm=SHA1&digits=6&counter=7"
        );
    }

    #[test]
    fn issuer_parameter_is_decoded_once() {
        // Found by proptest: "%25aA" decoded twice became the byte 0xAA.
        let t = ok(&format!("otpauth://totp/x?secret={SECRET}&issuer=%25aA"));
        assert_eq!(t.issuer, "%aA");
        let t = ok(&format!("otpauth://totp/x?secret={SECRET}&issuer=100%2525"));
        assert_eq!(t.issuer, "100%25");
    }

    #[test]
    fn emit_of_the_longest_fields_reads_back() {
        let mut t = Token::new(
            "\u{fffd}".repeat(170) + "é",
            "%".repeat(crate::token::MAX_TEXT_LEN),
            Secret::from_bytes(vec![0xA5; crate::secret::MAX_SECRET_BYTES]).unwrap(),
        );
        assert_eq!(t.issuer.len(), crate::token::MAX_TEXT_LEN);
        t.kind = Kind::Hotp { counter: u64::MAX };
        t.digits = 10;
        t.algorithm = Algorithm::Sha512;
        let uri = emit(&t);
        assert!(
            uri.len() > 4096 && uri.len() <= MAX_URI_LEN,
            "{}",
            uri.len()
        );
        let back = ok(&uri);
        assert_eq!((back.issuer, back.account), (t.issuer, t.account));
    }

    #[test]
    fn emit_keeps_a_colon_account_without_issuer() {
        let t = Token::new("", "a:b", Secret::from_base32(SECRET).unwrap());
        let back = ok(&emit(&t));
        assert_eq!((back.issuer.as_str(), back.account.as_str()), ("", "a:b"));
    }
}
