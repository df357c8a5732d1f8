//! What replies say: tokens and codes as JSON (never a secret), and domain
//! errors as protocol errors with the extension's way to fix them.

use serde_json::{Map, Value, json};

use crate::clock::CodeTime;
use crate::error::ErrorCode;
use crate::import::ImportError;
use crate::ledger::{LedgerError, Step};
use crate::protocol::ProtoError;
use crate::site::{self, PageFacts};
use crate::token::{Token, TokenError};

/// A JSON object's fields (empty for anything else).
pub(super) fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// Token metadata for replies, with where the token belongs in words
/// (`belongs_to`, [`site::belongs_to`]). Never the secret.
pub(crate) fn summary(token: &Token) -> Map<String, Value> {
    let mut entry = token.metadata();
    entry.insert("belongs_to".into(), json!(site::belongs_to(token)));
    entry
}

/// Adds a listing entry's current code: `code`, `seconds_left` and
/// `valid_until` for a time-based token, a null code for HOTP (whose codes
/// are only handed out one by one) and for a token whose stored values
/// cannot make codes (marked `invalid`). The code is of the token's time
/// `at`; `valid_until` is on this computer's clock.
pub(super) fn add_current_code(entry: &mut Map<String, Value>, token: &Token, at: CodeTime) {
    match usable_period(token) {
        Ok(Some(period)) => {
            let now = at.now();
            let step = now / period;
            entry.insert("code".into(), json!(token.code_at(now)));
            entry.insert("seconds_left".into(), json!(token.seconds_left(now)));
            entry.insert("valid_until".into(), json!(at.local((step + 1) * period)));
            add_offset(entry, at);
        }
        Ok(None) => {
            entry.insert("code".into(), Value::Null);
        }
        Err(_) => {
            entry.insert("code".into(), Value::Null);
            entry.insert("invalid".into(), json!(true));
        }
    }
}

/// Marks a reply whose codes follow AWS's clock: `clock_offset`, the
/// seconds they are moved by (its times are this computer's).
pub(super) fn add_offset(entry: &mut Map<String, Value>, at: CodeTime) {
    if at.offset != 0 {
        entry.insert("clock_offset".into(), json!(at.offset));
    }
}

/// The time step of a time-based token (`None` for HOTP), after checking
/// that its stored parameters can make codes at all (a damaged or imported
/// record must not crash the host).
pub(super) fn usable_period(token: &Token) -> Result<Option<u64>, ProtoError> {
    token.validate().map_err(|e| {
        ProtoError::new(
            ErrorCode::InvalidToken,
            format!(
                "this token's stored parameters are unusable ({e}); remove it and add it again"
            ),
        )
    })?;
    Ok(token.kind.period().filter(|p| *p > 0))
}

/// The code of `step` with its validity window and the wait until it is
/// valid.
pub(super) fn window(token: &Token, step: Step, at: CodeTime) -> Map<String, Value> {
    object(json!({
        "code": token.code_at(step.valid_from()),
        "valid_from": at.local(step.valid_from()),
        "valid_until": at.local(step.valid_until()),
        "wait": step.wait(at.now()),
    }))
}

/// A window without its wait (the second code of a pair, the next code).
pub(super) fn without_wait(mut map: Map<String, Value>) -> Map<String, Value> {
    map.remove("wait");
    map
}

/// The `aws` field of `match` as protocol version 1 defined it: on
/// sign-in pages only, the service `console` (the console sign-in) or
/// `identity_center`, and the account as one text.
pub(super) fn signin_v1(page: &PageFacts) -> Value {
    let Some(aws) = page.aws_signin() else {
        return Value::Null;
    };
    let service = match aws.service {
        site::AwsService::IdentityCenter => "identity_center",
        _ => "console",
    };
    json!({
        "partition": aws.partition,
        "service": service,
        "account": aws.account.as_ref().map(site::AccountRef::as_str),
        "region": aws.region,
    })
}

/// An import error as a protocol error: the error's code and sentence,
/// and what to do next in the request's terms.
pub(super) fn import_error(e: ImportError) -> ProtoError {
    let fix = match &e {
        ImportError::UnknownFormat => {
            "; name the format in \"format\", or check that this is an authenticator's export"
        }
        ImportError::PasswordRequired(_) => "; ask for its password and send it in \"password\"",
        ImportError::WrongPassword(_) => "; check the password and try again",
        ImportError::TooLarge | ImportError::Damaged { .. } | ImportError::Unsupported { .. } => "",
    };
    ProtoError::new(e.code(), format!("{e}{fix}"))
}

/// A QR error as a protocol error.
pub(super) fn qr_error(e: crate::qr::QrError) -> ProtoError {
    let fix = match e {
        crate::qr::QrError::NoTokens => {
            "; scan the code the site or app shows for setting up an authenticator"
        }
        _ => "",
    };
    ProtoError::new(e.code(), format!("{e}{fix}"))
}

/// A token error as a protocol error: a duplicate names the stored token
/// (`token`: its id and label) and the request's way to keep both.
impl From<TokenError> for ProtoError {
    fn from(e: TokenError) -> ProtoError {
        match &e {
            TokenError::Duplicate { id, label } => ProtoError::new(
                e.code(),
                format!(
                    "{e}; update that token instead, or send the request again with \"allow_duplicate\": true to keep a second copy"
                ),
            )
            .with_detail("token", json!({"id": id, "label": label})),
            _ => ProtoError::new(e.code(), e.to_string()),
        }
    }
}

/// A ledger error as a protocol error: spent steps say when to try again
/// (`retry_after`).
impl From<LedgerError> for ProtoError {
    fn from(e: LedgerError) -> ProtoError {
        match e {
            LedgerError::UnknownToken(id) => ProtoError::unknown_token(id),
            LedgerError::Spent { retry_after } => {
                let mut error = ProtoError::new(
                    e.code(),
                    format!(
                        "the current and the next code of this token were already handed out (filled, or printed by factorcat code --fresh), and sites reject a code used twice; try again in {retry_after} seconds"
                    ),
                );
                error.retry_after = Some(retry_after);
                error
            }
            // The host never asks for Reach::Now; answered as it reads.
            LedgerError::NotNow { wait } => {
                let mut error = ProtoError::new(e.code(), e.to_string());
                error.retry_after = Some(wait.max(1));
                error
            }
            LedgerError::CounterExhausted => ProtoError::new(
                e.code(),
                "this HOTP token's counter is exhausted; re-enrol the token with the service",
            ),
            LedgerError::NotHotp => ProtoError::internal("a time-based token was spent as HOTP"),
            LedgerError::NotTimeBased => {
                ProtoError::internal("an HOTP token was spent as time-based")
            }
        }
    }
}
