//! The operations of the protocol, run against a [`Store`].

use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::log;
use super::store::{Store, Tokens, VaultData};
use crate::error::ErrorCode;
use crate::import::{EntryError, Format, ImportError, Imported};
use crate::protocol::{
    AddRequest, ImportRequest, MAX_REPLY_BYTES, MAX_REQUEST_BYTES, OPERATIONS, PROTOCOL_VERSION,
    ProtoError, Request, UpdateRequest, decode_request, failure, success,
};
use crate::secret::Secret;
use crate::site::{self, Earlier, Hint, PageFacts};
use crate::token::{
    Algorithm, AwsPatch, GeneratorFields, Kind, KindName, ListPatch, Token, TokenDraft, TokenError,
    TokenPatch, admit, new_positions, now_unix,
};
use crate::vault::VaultStatus;

/// A code with fewer seconds left than this is never handed out for filling.
pub const MIN_FILL_SECONDS: u64 = 5;

/// Most candidates a `match` reply lists.
pub const MAX_MATCH_CANDIDATES: usize = 50;

/// Room kept free in a reply for the envelope and paging fields.
const REPLY_MARGIN: usize = 16 * 1024;

/// Runs requests against a store, with a clock that tests can set.
pub struct Handler<S> {
    store: S,
    clock: Box<dyn Fn() -> u64>,
}

impl<S: Store> Handler<S> {
    /// A handler on the system clock.
    pub fn new(store: S) -> Self {
        Handler {
            store,
            clock: Box::new(now_unix),
        }
    }

    /// A handler on a given clock (Unix seconds).
    pub fn with_clock(store: S, clock: impl Fn() -> u64 + 'static) -> Self {
        Handler {
            store,
            clock: Box::new(clock),
        }
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Decodes one request body, runs it, and returns the reply body (always
    /// a valid reply under 1 MiB, success or failure).
    pub fn reply(&self, body: &[u8]) -> Vec<u8> {
        let (id, request) = decode_request(body);
        let result = request.and_then(|r| {
            let op = op_name(&r);
            self.handle(r)
                .inspect_err(|e| log(&format!("{op}: {}", e.code)))
        });
        let reply = match (id, result) {
            (Some(id), Ok(fields)) => success(id, fields),
            (id, Err(e)) => {
                if id.is_none() {
                    log(&format!("unreadable request: {}", e.code));
                }
                failure(id, &e)
            }
            (None, Ok(_)) => failure(None, &ProtoError::internal("a request without an id ran")),
        };
        if reply.len() > MAX_REPLY_BYTES {
            let e = ProtoError::new(
                ErrorCode::ReplyTooLarge,
                "the reply would exceed the browsers' 1 MiB limit; ask for a smaller page (list: limit)",
            );
            return failure(id, &e);
        }
        reply
    }

    /// Runs one decoded request and returns the reply's fields.
    pub fn handle(&self, request: Request) -> Result<Map<String, Value>, ProtoError> {
        match request {
            Request::Hello { .. } => Ok(self.hello()),
            Request::List { offset, limit } => self.list(offset, limit),
            Request::Match { url, hint, earlier } => self.match_page(&url, &hint, earlier.as_ref()),
            Request::Code { token, for_fill } => self.code(token, for_fill),
            Request::EnrollCodes { token } => self.enroll_codes(token),
            Request::Add(add) => self.add(*add),
            Request::Update(update) => self.update(*update),
            Request::Remove { token } => self.remove(token),
            Request::DecodeQr { image, add } => self.decode_qr(&image.0, add),
            Request::Import(import) => self.import(*import),
            Request::Redirected { from, to } => self.redirected(&from, &to),
            Request::ResyncCodes { url, hint, serial } => {
                self.resync_codes(&url, &hint, serial.as_deref())
            }
        }
    }

    fn hello(&self) -> Map<String, Value> {
        let vault = match self.store.state() {
            VaultStatus::Missing => json!({"state": "missing"}),
            VaultStatus::Present {
                has_keyring_slot,
                has_passphrase_slot,
            } => json!({
                "state": "present",
                "keyring": has_keyring_slot,
                "passphrase": has_passphrase_slot,
            }),
            VaultStatus::Unreadable { reason } => {
                json!({"state": "unreadable", "reason": reason})
            }
        };
        object(json!({
            "host": "factorcat",
            "version": env!("CARGO_PKG_VERSION"),
            "protocol": PROTOCOL_VERSION,
            "vault": vault,
            "capabilities": OPERATIONS,
            "import_formats": Format::ALL.map(|f| json!({"name": f.name(), "label": f.label()})),
            "limits": {
                "max_request_bytes": MAX_REQUEST_BYTES,
                "max_reply_bytes": MAX_REPLY_BYTES,
                "min_fill_seconds": MIN_FILL_SECONDS,
            },
        }))
    }

    fn list(&self, offset: usize, limit: usize) -> Result<Map<String, Value>, ProtoError> {
        let data = self.store.read()?;
        let now = (self.clock)();
        let total = data.tokens.len();
        let budget = MAX_REPLY_BYTES - REPLY_MARGIN;
        let mut used = 0;
        let mut tokens = Vec::new();
        let mut next = offset;
        for token in data.tokens.iter().skip(offset).take(limit) {
            let mut entry = summary(token);
            add_current_code(&mut entry, token, now);
            let mut size = value_len(&entry);
            if size > budget / 4 {
                trim(&mut entry);
                size = value_len(&entry);
            }
            if used + size > budget && !tokens.is_empty() {
                break;
            }
            used += size;
            tokens.push(Value::Object(entry));
            next += 1;
        }
        let next_offset = (next < total).then_some(next);
        Ok(object(json!({
            "now": now,
            "total": total,
            "next_offset": next_offset,
            "tokens": tokens,
        })))
    }

    fn match_page(
        &self,
        url: &str,
        hint: &Hint,
        earlier: Option<&Earlier>,
    ) -> Result<Map<String, Value>, ProtoError> {
        let page = PageFacts::read(url).map_err(|e| ProtoError::new(e.code(), e.to_string()))?;
        let who = page.who(hint, earlier);
        let mut outcome = None;
        let picked = self.store.read_matching(|tokens| {
            let result = match tokens {
                Tokens::Full(tokens) => site::match_page(tokens, page, who),
                Tokens::Sites(tokens) => site::match_page(tokens, page, who),
            };
            let shown = result
                .candidates
                .iter()
                .take(MAX_MATCH_CANDIDATES)
                .map(|c| c.index)
                .collect();
            outcome = Some(result);
            Ok(shown)
        })?;
        let result = outcome.ok_or_else(|| ProtoError::internal("matching did not run"))?;
        let autofill = result.autofill();
        let candidates: Vec<Value> = result
            .candidates
            .iter()
            .zip(&picked)
            .map(|(c, token)| {
                let mut token = summary(token);
                if value_len(&token) > MAX_REPLY_BYTES / (4 * MAX_MATCH_CANDIDATES) {
                    trim(&mut token);
                }
                json!({"strength": c.strength, "token": token})
            })
            .collect();
        Ok(object(json!({
            "host": result.page.host,
            "site": result.page.site,
            "aws": signin_v1(&result.page),
            "page": result.page,
            "who": result.who,
            "total": result.candidates.len(),
            "autofill": autofill.is_some(),
            "autofill_token": autofill,
            "candidates": candidates,
        })))
    }

    fn code(&self, id: Uuid, for_fill: bool) -> Result<Map<String, Value>, ProtoError> {
        let now = (self.clock)();
        let data = self.store.read()?;
        let token = data.get(id).ok_or_else(|| ProtoError::unknown_token(id))?;
        match usable_period(token)? {
            None => self.store.update(|data| {
                let (code, counter) = spend_hotp(data, id, 1)?;
                Ok(object(json!({
                    "token": id, "kind": "hotp", "code": code[0], "counter": counter,
                })))
            }),
            Some(period) if !for_fill => {
                let step = now / period;
                let mut reply = window(token, step, period, now);
                reply.insert("token".into(), json!(id));
                reply.insert("kind".into(), json!(token.kind.name()));
                let next = window(token, step + 1, period, now);
                reply.insert("next".into(), Value::Object(without_wait(next)));
                Ok(reply)
            }
            Some(period) => self.store.update(|data| {
                let token = data.get(id).ok_or_else(|| ProtoError::unknown_token(id))?;
                let step = fill_step(data, id, period, now)?;
                let mut reply = window(token, step, period, now);
                reply.insert("token".into(), json!(id));
                reply.insert("kind".into(), json!(token.kind.name()));
                data.fills.insert(id, step);
                Ok(reply)
            }),
        }
    }

    fn enroll_codes(&self, id: Uuid) -> Result<Map<String, Value>, ProtoError> {
        let now = (self.clock)();
        self.store.update(|data| {
            let token = data.get(id).ok_or_else(|| ProtoError::unknown_token(id))?;
            match usable_period(token)? {
                None => {
                    let (codes, counter) = spend_hotp(data, id, 2)?;
                    let codes: Vec<Value> = codes
                        .iter()
                        .zip(counter..)
                        .map(|(code, c)| json!({"code": code, "counter": c}))
                        .collect();
                    Ok(object(json!({"token": id, "kind": "hotp", "codes": codes})))
                }
                Some(period) => {
                    let step = fill_step(data, id, period, now)?;
                    let codes = vec![
                        Value::Object(without_wait(window(token, step, period, now))),
                        Value::Object(without_wait(window(token, step + 1, period, now))),
                    ];
                    let kind = token.kind.name();
                    data.fills.insert(id, step + 1);
                    Ok(object(json!({"token": id, "kind": kind, "codes": codes})))
                }
            }
        })
    }

    /// `add`: refuses a token that makes the same codes as a stored one
    /// unless `allow_duplicate` (the policy of `token::admit`).
    fn add(&self, add: AddRequest) -> Result<Map<String, Value>, ProtoError> {
        let allow_duplicate = add.allow_duplicate;
        let token = draft(add)?.build()?;
        self.store.update(|data| {
            admit(&data.tokens, &token, allow_duplicate)?;
            let reply = object(json!({"token": summary(&token)}));
            data.insert(token);
            Ok(reply)
        })
    }

    fn update(&self, update: UpdateRequest) -> Result<Map<String, Value>, ProtoError> {
        let id = update.token;
        let patch = TokenPatch {
            issuer: update.issuer,
            account: update.account,
            sites: update.sites.map(ListPatch::replacing).unwrap_or_default(),
            tags: update.tags.map(ListPatch::replacing).unwrap_or_default(),
            aws: match update.aws {
                None => AwsPatch::Keep,
                Some(None) => AwsPatch::Clear,
                Some(Some(fields)) => AwsPatch::Replace(fields),
            },
            pinned: update.pinned,
        };
        self.store.update(|data| {
            let token = data
                .get_mut(id)
                .ok_or_else(|| ProtoError::unknown_token(id))?;
            patch.apply(token)?;
            Ok(object(json!({"token": summary(token)})))
        })
    }

    /// `redirected`: a tab went from `from` to `to`. When that is an IAM
    /// Identity Center access portal leading to its sign-in page, the
    /// tokens bound to that portal learn its directory (one write, only
    /// when one of them did not know it).
    fn redirected(&self, from: &str, to: &str) -> Result<Map<String, Value>, ProtoError> {
        let Some((portal, directory)) = site::aws::portal_leads_to(from, to) else {
            return Ok(object(json!({"directory": null, "learned": []})));
        };
        let learns = |t: &Token| {
            t.aws
                .clone()
                .is_some_and(|mut a| a.learn_directory(&portal, &directory))
        };
        if !self.store.read()?.tokens.iter().any(learns) {
            return Ok(object(json!({"directory": directory, "learned": []})));
        }
        self.store.update(|data| {
            let mut learned = Vec::new();
            for token in &mut data.tokens {
                if let Some(aws) = &mut token.aws
                    && aws.learn_directory(&portal, &directory)
                {
                    token.touch();
                    learned.push(token.id);
                }
            }
            Ok(object(json!({"directory": directory, "learned": learned})))
        })
    }

    /// `resync_codes`: two consecutive codes of the MFA device a console
    /// page shows (`site::console_device`), under the safe-fill rules.
    fn resync_codes(
        &self,
        url: &str,
        hint: &Hint,
        serial: Option<&str>,
    ) -> Result<Map<String, Value>, ProtoError> {
        let page = PageFacts::read(url).map_err(|e| ProtoError::new(e.code(), e.to_string()))?;
        let data = self.store.read()?;
        let index = site::console_device(&data.tokens, &page, &hint.read(), serial).map_err(
            |e| match e {
                site::DeviceError::NotConsole => ProtoError::bad_request(
                    "resync_codes: the page is not the AWS Management Console",
                ),
                site::DeviceError::NotFound => ProtoError::new(
                    ErrorCode::UnknownToken,
                    "no token in FactorCat is this MFA device: add it with the device's account and user (factorcat add … --aws-account ID --aws-user NAME), or type the codes from the authenticator that holds it",
                ),
                site::DeviceError::Ambiguous(n) => ProtoError::new(
                    ErrorCode::AmbiguousQuery,
                    format!(
                        "{n} tokens in FactorCat could be this MFA device; give each its user (factorcat edit QUERY --aws-user NAME), or copy the codes from the toolbar popup"
                    ),
                ),
            },
        )?;
        let token = &data.tokens[index];
        let (id, label) = (token.id, token.label());
        let mut reply = self.enroll_codes(id)?;
        reply.insert("label".into(), json!(label));
        Ok(reply)
    }

    fn remove(&self, id: Uuid) -> Result<Map<String, Value>, ProtoError> {
        self.store.update(|data| {
            data.remove(id)
                .ok_or_else(|| ProtoError::unknown_token(id))?;
            Ok(object(json!({"removed": id})))
        })
    }
}

impl<S: Store> Handler<S> {
    /// `decode_qr`: lists the tokens of an image's QR codes (never their
    /// secrets) and, with `add`, stores the new ones in one write.
    fn decode_qr(&self, image: &[u8], add: bool) -> Result<Map<String, Value>, ProtoError> {
        let payloads = crate::qr::decode_image(image).map_err(qr_error)?;
        let (imported, ignored) = crate::qr::tokens_from_payloads(&payloads);
        let Imported { tokens, failures } = imported.map_err(qr_error)?;
        // A listing works without a vault.
        let (fresh, added) = self.store_fresh(&tokens, add, add)?;
        let listed = listing(&tokens, &fresh, usize::MAX).0;
        let failed = failure_list(&failures, "code", usize::MAX).0;
        let mut reply = object(json!({
            "codes_found": payloads.len(),
            "tokens": listed,
            "duplicates": fresh.iter().filter(|f| !**f).count(),
            "failures": failed,
            "ignored_codes": ignored,
        }));
        if add {
            reply.insert("added".into(), json!(added));
        }
        Ok(reply)
    }
}

impl<S: Store> Handler<S> {
    /// Which of `tokens` are new (no duplicate in the vault nor earlier in
    /// `tokens`) and, with `write`, stores the new ones in one update (none
    /// when nothing is new). Duplicates are judged against the vault when it
    /// can be read; without `need_vault` a vault that cannot be read counts
    /// as empty. A stored token is never replaced. Returns the new positions
    /// and the ids stored.
    fn store_fresh(
        &self,
        tokens: &[Token],
        write: bool,
        need_vault: bool,
    ) -> Result<(Vec<bool>, Vec<Uuid>), ProtoError> {
        let existing = match self.store.read() {
            Ok(data) => Some(data),
            Err(e) if need_vault && e.code != ErrorCode::VaultMissing => return Err(e),
            Err(_) => None,
        };
        let existing = existing.as_ref().map_or(&[][..], |d| &d.tokens[..]);
        let fresh = new_positions(existing, tokens);
        if !write || !fresh.iter().any(|f| *f) {
            return Ok((fresh, Vec::new()));
        }
        let chosen = tokens.to_vec();
        self.store.update(move |data| {
            let fresh = new_positions(&data.tokens, &chosen);
            let mut ids = Vec::new();
            for (token, new) in chosen.into_iter().zip(&fresh) {
                if *new {
                    ids.push(data.add_new(token));
                }
            }
            Ok((fresh, ids))
        })
    }

    /// `import`: reads an export the person chose and stores its new tokens
    /// in one write. All or nothing unless `skip_bad`; nothing is written on
    /// a dry run or on any error. The reply lists metadata, never a secret.
    fn import(&self, request: ImportRequest) -> Result<Map<String, Value>, ProtoError> {
        let ImportRequest {
            file,
            format,
            password,
            skip_bad,
            dry_run,
        } = request;
        let parsed = crate::import::parse(&file.0, format, password.as_ref().map(|p| p.0.as_str()));
        // The password is wiped as soon as the file is read.
        drop(password);
        let (format, Imported { tokens, failures }) = parsed.map_err(import_error)?;
        let budget = MAX_REPLY_BYTES - REPLY_MARGIN;
        if !failures.is_empty() && !skip_bad {
            let (failed, failed_omitted) = failure_list(&failures, "position", budget / 2);
            let count = failures.len();
            let entries = if count == 1 { "entry" } else { "entries" };
            let mut error = ProtoError::new(ErrorCode::ImportBadEntries,
                format!(
                    "{count} {entries} of this {format} file could not be read (listed in failures), so nothing was imported; fix the file, or send the request again with \"skip_bad\": true to import the other entries"
                ),
            )
            .with_detail("format", json!(format.name()))
            .with_detail("failures", Value::Array(failed));
            if failed_omitted > 0 {
                error = error.with_detail("failures_omitted", json!(failed_omitted));
            }
            return Err(error);
        }
        let (fresh, added) = self.store_fresh(&tokens, !dry_run, true)?;
        // Nothing may fail once the vault is written: the ids come first,
        // the failures and the listing share what room is left. (A 1 MiB
        // file holds too few tokens for the ids alone to fill a reply.)
        let left = budget.saturating_sub(json!(added).to_string().len());
        let (failed, failed_omitted) = failure_list(&failures, "position", left / 2);
        let used: usize = failed.iter().map(|v| v.to_string().len() + 1).sum();
        let (listed, listed_omitted) = listing(&tokens, &fresh, left.saturating_sub(used));
        let new = fresh.iter().filter(|f| **f).count();
        let mut reply = object(json!({
            "format": format.name(),
            "dry_run": dry_run,
            "imported": if dry_run { new } else { added.len() },
            "added": added,
            "duplicates": fresh.len() - new,
            "failed": failed,
            "tokens": listed,
        }));
        if failed_omitted > 0 {
            reply.insert("failed_omitted".into(), json!(failed_omitted));
        }
        if listed_omitted > 0 {
            reply.insert("tokens_omitted".into(), json!(listed_omitted));
        }
        Ok(reply)
    }
}

/// An import error as a protocol error: the error's code and sentence,
/// and what to do next in the request's terms.
fn import_error(e: ImportError) -> ProtoError {
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
fn qr_error(e: crate::qr::QrError) -> ProtoError {
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

/// Token metadata of a listing (never a secret): position, issuer, account,
/// label, kind, whether it duplicates a stored token, and the AWS context.
/// Stops before `budget` bytes; returns the entries and how many were left
/// out.
fn listing(tokens: &[Token], fresh: &[bool], budget: usize) -> (Vec<Value>, usize) {
    let entries = tokens
        .iter()
        .zip(fresh)
        .enumerate()
        .map(|(index, (token, new))| {
            let mut entry = object(json!({
                "index": index,
                "issuer": token.issuer,
                "account": token.account,
                "label": token.label(),
                "kind": token.kind.name(),
                "duplicate": !new,
            }));
            if let Some(aws) = &token.aws {
                entry.insert("aws".into(), json!(aws));
            }
            Value::Object(entry)
        });
    capped(entries, budget)
}

/// Entries that could not be read, `{key: position, label, reason}` (never
/// a secret), within `budget` bytes; returns them and how many were left
/// out.
fn failure_list(failures: &[EntryError], key: &str, budget: usize) -> (Vec<Value>, usize) {
    let entries = failures.iter().map(|f| {
        let mut entry = Map::new();
        entry.insert(key.into(), json!(f.position));
        entry.insert("label".into(), json!(f.label));
        entry.insert("reason".into(), json!(f.reason));
        Value::Object(entry)
    });
    capped(entries, budget)
}

/// The first values whose JSON fits in `budget` bytes, and how many did
/// not fit.
fn capped(values: impl ExactSizeIterator<Item = Value>, budget: usize) -> (Vec<Value>, usize) {
    let total = values.len();
    let mut used = 0usize;
    let mut kept = Vec::new();
    for value in values {
        used = used.saturating_add(value.to_string().len() + 1);
        if used > budget {
            break;
        }
        kept.push(value);
    }
    let omitted = total - kept.len();
    (kept, omitted)
}

fn op_name(request: &Request) -> &'static str {
    match request {
        Request::Hello { .. } => "hello",
        Request::List { .. } => "list",
        Request::Match { .. } => "match",
        Request::Code { .. } => "code",
        Request::EnrollCodes { .. } => "enroll_codes",
        Request::Add(_) => "add",
        Request::Update(_) => "update",
        Request::Remove { .. } => "remove",
        Request::DecodeQr { .. } => "decode_qr",
        Request::Import(_) => "import",
        Request::Redirected { .. } => "redirected",
        Request::ResyncCodes { .. } => "resync_codes",
    }
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn value_len(map: &Map<String, Value>) -> usize {
    serde_json::to_vec(map)
        .map(|v| v.len())
        .unwrap_or(usize::MAX)
}

/// Token metadata for replies. Never the secret.
pub(crate) fn summary(token: &Token) -> Map<String, Value> {
    token.metadata()
}

/// Drops long lists so one token cannot fill a reply; marks the entry.
fn trim(entry: &mut Map<String, Value>) {
    for key in ["sites", "tags"] {
        entry.insert(key.into(), json!([]));
    }
    entry.insert("truncated".into(), json!(true));
}

fn add_current_code(entry: &mut Map<String, Value>, token: &Token, now: u64) {
    match usable_period(token) {
        Ok(Some(period)) => {
            let step = now / period;
            entry.insert("code".into(), json!(token.code_at(now)));
            entry.insert("seconds_left".into(), json!(token.seconds_left(now)));
            entry.insert("valid_until".into(), json!((step + 1) * period));
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

/// The time step of a time-based token (`None` for HOTP), after checking
/// that its stored parameters can make codes at all (a damaged or imported
/// record must not crash the host).
fn usable_period(token: &Token) -> Result<Option<u64>, ProtoError> {
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

/// The code of time step `step` with its validity window and the wait until
/// it is valid.
fn window(token: &Token, step: u64, period: u64, now: u64) -> Map<String, Value> {
    let from = step.saturating_mul(period);
    object(json!({
        "code": token.code_at(from),
        "valid_from": from,
        "valid_until": from.saturating_add(period),
        "wait": from.saturating_sub(now),
    }))
}

fn without_wait(mut map: Map<String, Value>) -> Map<String, Value> {
    map.remove("wait");
    map
}

/// The first time step that may be handed out for filling now: not one with fewer than [`MIN_FILL_SECONDS`] left, not
/// one handed out before, and no later than the next step.
fn fill_step(data: &VaultData, id: Uuid, period: u64, now: u64) -> Result<u64, ProtoError> {
    let current = now / period;
    let left = (current + 1) * period - now;
    let mut step = if left < MIN_FILL_SECONDS {
        current + 1
    } else {
        current
    };
    if let Some(&last) = data.fills.get(&id)
        && last >= step
    {
        step = last.saturating_add(1);
    }
    if step > current + 1 {
        // Free again once the current step reaches `step - 1`.
        let free_at = (step - 1).saturating_mul(period);
        let mut error = ProtoError::new(
            ErrorCode::CodeAlreadyUsed,
            format!(
                "the current and the next code of this token were already handed out for filling, and sites reject a code used twice; try again in {} seconds",
                free_at.saturating_sub(now).max(1)
            ),
        );
        error.retry_after = Some(free_at.saturating_sub(now).max(1));
        return Err(error);
    }
    Ok(step)
}

/// Hands out `count` HOTP codes and advances the counter by as many.
fn spend_hotp(
    data: &mut VaultData,
    id: Uuid,
    count: u64,
) -> Result<(Vec<String>, u64), ProtoError> {
    let token = data
        .get_mut(id)
        .ok_or_else(|| ProtoError::unknown_token(id))?;
    let Kind::Hotp { counter } = token.kind else {
        return Err(ProtoError::internal("a time-based token was spent as HOTP"));
    };
    let Some(next) = counter.checked_add(count) else {
        return Err(ProtoError::new(
            ErrorCode::InvalidToken,
            "this HOTP token's counter is exhausted; re-enrol the token with the service",
        ));
    };
    let codes = (counter..next).map(|c| token.hotp_code(c)).collect();
    token.kind = Kind::Hotp { counter: next };
    token.touch();
    Ok((codes, counter))
}

/// `add`'s fields as a token draft: the token of `uri`, or of `secret`
/// and its parameters; with a `uri` the request's issuer and account are
/// not used.
fn draft(add: AddRequest) -> Result<TokenDraft, ProtoError> {
    let draft = match (&add.uri, &add.secret) {
        (Some(uri), _) => TokenDraft::from_token(
            crate::otpauth::parse(&uri.0).map_err(|e| ProtoError::new(e.code(), e.to_string()))?,
        ),
        (None, Some(secret)) => TokenDraft::from_fields(GeneratorFields {
            secret: Secret::from_base32(&secret.0).map_err(TokenError::from)?,
            kind: add.kind.as_deref().map(KindName::parse).transpose()?,
            algorithm: add.algorithm.as_deref().map(Algorithm::named).transpose()?,
            digits: add.digits,
            period: add.period,
            counter: add.counter,
        }),
        (None, None) => {
            return Err(ProtoError::bad_request(
                "add: give either \"uri\" or \"secret\" (with issuer, account, …)",
            ));
        }
    };
    let fields = add.uri.is_none();
    Ok(draft.with(TokenPatch {
        issuer: add.issuer.filter(|_| fields),
        account: add.account.filter(|_| fields),
        sites: add.sites.map(ListPatch::replacing).unwrap_or_default(),
        tags: add.tags.map(ListPatch::replacing).unwrap_or_default(),
        aws: add.aws.map_or(AwsPatch::Keep, AwsPatch::Replace),
        pinned: add.pinned,
    }))
}

/// The `aws` field of `match` as protocol version 1 defined it: on
/// sign-in pages only, the service `console` (the console sign-in) or
/// `identity_center`, and the account as one text.
fn signin_v1(page: &PageFacts) -> Value {
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
