//! The operations of protocol version 1, run against a [`Store`].

use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::log;
use super::store::{Store, Tokens, VaultData, VaultState};
use crate::import::{EntryError, Format, ImportError, Imported, same_generator};
use crate::protocol::{
    AddRequest, AwsFields, ImportRequest, MAX_REPLY_BYTES, MAX_REQUEST_BYTES, OPERATIONS,
    PROTOCOL_VERSION, ProtoError, Request, SecretText, UpdateRequest, decode_request, failure,
    success,
};
use crate::secret::Secret;
use crate::site::{self, Hint, is_account_alias};
use crate::token::{Algorithm, AwsContext, Kind, MAX_TEXT_LEN, Partition, Token, now_unix};

/// A code with fewer seconds left than this is never handed out for filling.
pub const MIN_FILL_SECONDS: u64 = 5;

/// Most candidates a `match` reply lists.
pub const MAX_MATCH_CANDIDATES: usize = 50;

/// Most sites or tags one token may have.
const MAX_LIST_ITEMS: usize = 64;

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
                "reply_too_large",
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
            Request::Match { url, hint } => self.match_page(&url, &hint),
            Request::Code { token, for_fill } => self.code(token, for_fill),
            Request::EnrollCodes { token } => self.enroll_codes(token),
            Request::Add(add) => self.add(*add),
            Request::Update(update) => self.update(*update),
            Request::Remove { token } => self.remove(token),
            Request::DecodeQr { image, add } => self.decode_qr(&image.0, add),
            Request::Import(import) => self.import(*import),
        }
    }

    fn hello(&self) -> Map<String, Value> {
        let vault = match self.store.state() {
            VaultState::Missing => json!({"state": "missing"}),
            VaultState::Present {
                keyring,
                passphrase,
            } => json!({"state": "present", "keyring": keyring, "passphrase": passphrase}),
            VaultState::Unreadable { reason } => json!({"state": "unreadable", "reason": reason}),
        };
        object(json!({
            "host": "factorcat",
            "version": env!("CARGO_PKG_VERSION"),
            "protocol": PROTOCOL_VERSION,
            "vault": vault,
            "capabilities": OPERATIONS,
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

    fn match_page(&self, url: &str, hint: &Hint) -> Result<Map<String, Value>, ProtoError> {
        let mut outcome = None;
        let picked = self.store.read_matching(|tokens| {
            let result = match tokens {
                Tokens::Full(tokens) => site::match_url(tokens, url, hint),
                Tokens::Sites(tokens) => site::match_url(tokens, url, hint),
            }
            .map_err(|e| ProtoError::new(e.code(), e.to_string()))?;
            let shown = result
                .candidates
                .iter()
                .take(MAX_MATCH_CANDIDATES)
                .map(|c| c.index)
                .collect();
            outcome = Some(result);
            Ok(shown)
        })?;
        let result = outcome.ok_or_else(|| ProtoError::new("internal", "matching did not run"))?;
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
            "host": result.host,
            "site": result.site,
            "aws": result.aws,
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

    fn add(&self, add: AddRequest) -> Result<Map<String, Value>, ProtoError> {
        let mut token = match &add.uri {
            Some(uri) => token_from_uri(uri)?,
            None => token_from_fields(&add)?,
        };
        if let Some(sites) = &add.sites {
            token.sites = normalize_sites(sites)?;
        }
        if let Some(aws) = &add.aws {
            token.aws = Some(aws_context(aws)?);
        }
        if let Some(tags) = &add.tags {
            token.tags = clean_tags(tags)?;
        }
        if let Some(pinned) = add.pinned {
            token.pinned = pinned;
        }
        token.validate().map_err(invalid)?;
        let reply = object(json!({"token": summary(&token)}));
        self.store.update(|data| {
            data.insert(token);
            Ok(reply)
        })
    }

    fn update(&self, update: UpdateRequest) -> Result<Map<String, Value>, ProtoError> {
        let id = update.token;
        let sites = update.sites.as_deref().map(normalize_sites).transpose()?;
        let tags = update.tags.as_deref().map(clean_tags).transpose()?;
        let aws = match &update.aws {
            Some(Some(fields)) => Some(Some(aws_context(fields)?)),
            Some(None) => Some(None),
            None => None,
        };
        self.store.update(|data| {
            let token = data
                .get_mut(id)
                .ok_or_else(|| ProtoError::unknown_token(id))?;
            if let Some(issuer) = &update.issuer {
                token.issuer = issuer.trim().to_string();
            }
            if let Some(account) = &update.account {
                token.account = account.trim().to_string();
            }
            if let Some(sites) = sites {
                token.sites = sites;
            }
            if let Some(tags) = tags {
                token.tags = tags;
            }
            if let Some(aws) = aws {
                token.aws = aws;
            }
            if let Some(pinned) = update.pinned {
                token.pinned = pinned;
            }
            token.validate().map_err(invalid)?;
            token.touch();
            Ok(object(json!({"token": summary(token)})))
        })
    }

    fn remove(&self, id: Uuid) -> Result<Map<String, Value>, ProtoError> {
        self.store.update(|data| {
            data.remove(id)
                .ok_or_else(|| ProtoError::unknown_token(id))?;
            Ok(object(json!({"removed": id})))
        })
    }
}

/// The tokens of `tokens` that no token of `existing` (nor an earlier one
/// of `tokens`) duplicates, by position.
fn fresh_positions(existing: &[Token], tokens: &[Token]) -> Vec<bool> {
    let mut fresh: Vec<bool> = Vec::with_capacity(tokens.len());
    for (i, token) in tokens.iter().enumerate() {
        let twin = existing.iter().any(|t| same_generator(t, token))
            || tokens[..i]
                .iter()
                .zip(&fresh)
                .any(|(t, new)| *new && same_generator(t, token));
        fresh.push(!twin);
    }
    fresh
}

impl<S: Store> Handler<S> {
    /// `decode_qr`: lists the tokens of an image's QR codes (never their
    /// secrets) and, with `add`, stores the new ones in one write.
    fn decode_qr(&self, image: &[u8], add: bool) -> Result<Map<String, Value>, ProtoError> {
        let payloads =
            crate::qr::decode_image(image).map_err(|e| ProtoError::new(e.code(), e.to_string()))?;
        let (imported, ignored) = crate::qr::tokens_from_payloads(&payloads);
        let Imported { tokens, failures } = imported.map_err(|_| {
            ProtoError::new(
                "qr_no_tokens",
                "the image's QR codes hold no otpauth:// or otpauth-migration:// link; scan the code the site or app shows for setting up an authenticator",
            )
        })?;
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
            Err(e) if need_vault && e.code != "vault_missing" => return Err(e),
            Err(_) => None,
        };
        let existing = existing.as_ref().map_or(&[][..], |d| &d.tokens[..]);
        let fresh = fresh_positions(existing, tokens);
        if !write || !fresh.iter().any(|f| *f) {
            return Ok((fresh, Vec::new()));
        }
        let chosen = tokens.to_vec();
        self.store.update(move |data| {
            let fresh = fresh_positions(&data.tokens, &chosen);
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
            let mut error = ProtoError::new(
                "import_bad_entries",
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

/// An import error as a protocol error, with the same code and a message
/// that names the request's fields rather than the command line's options.
fn import_error(e: ImportError) -> ProtoError {
    let message = match &e {
        ImportError::UnknownFormat => format!(
            "the file's format was not recognised; choose the app's export file, or name the format in \"format\" (one of: {})",
            Format::ALL.map(Format::name).join(", ")
        ),
        ImportError::PasswordRequired(f) => format!(
            "this {f} backup is encrypted; ask for its password and send it in \"password\""
        ),
        ImportError::WrongPassword(f) => format!(
            "the password does not open this {f} backup; check it and try again (nothing was imported)"
        ),
        ImportError::TooLarge => format!(
            "import: the file is larger than {} MiB; this is not an authenticator export",
            crate::import::MAX_IMPORT_BYTES >> 20
        ),
        ImportError::Damaged { .. } | ImportError::Unsupported { .. } => e.to_string(),
    };
    ProtoError::new(e.code(), message)
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
            "invalid_token",
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
            "code_already_used",
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
            "invalid_token",
            "this HOTP token's counter is exhausted; re-enrol the token with the service",
        ));
    };
    let codes = (counter..next).map(|c| token.hotp_code(c)).collect();
    token.kind = Kind::Hotp { counter: next };
    token.touch();
    Ok((codes, counter))
}

fn invalid(e: impl std::fmt::Display) -> ProtoError {
    ProtoError::new("invalid_token", e.to_string())
}

/// Reads an `otpauth://` URI (its errors never contain the secret).
fn token_from_uri(uri: &SecretText) -> Result<Token, ProtoError> {
    crate::otpauth::parse(&uri.0).map_err(|e| ProtoError::new("invalid_uri", e.to_string()))
}

fn token_from_fields(add: &AddRequest) -> Result<Token, ProtoError> {
    let Some(secret) = &add.secret else {
        return Err(ProtoError::bad_request(
            "add: give either \"uri\" or \"secret\" (with issuer, account, …)",
        ));
    };
    let secret = Secret::from_base32(&secret.0).map_err(invalid)?;
    let kind = match add.kind.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("totp") => Kind::Totp {
            period: add.period.unwrap_or(30),
        },
        Some("hotp") => Kind::Hotp {
            counter: add.counter.unwrap_or(0),
        },
        Some("steam") => Kind::Steam,
        Some(_) => {
            return Err(ProtoError::new(
                "invalid_token",
                "kind must be totp, hotp or steam",
            ));
        }
    };
    let algorithm = match &add.algorithm {
        Some(text) => Algorithm::parse(text).ok_or_else(|| {
            ProtoError::new(
                "invalid_token",
                "algorithm must be SHA1, SHA256 or SHA512 (SHA1 is the usual value)",
            )
        })?,
        None => Algorithm::Sha1,
    };
    let default_digits = if kind == Kind::Steam { 5 } else { 6 };
    let digits = add.digits.unwrap_or(default_digits);
    let digits = u8::try_from(digits).map_err(|_| {
        invalid(crate::token::ParamError::Digits(
            u32::try_from(digits).unwrap_or(u32::MAX),
        ))
    })?;
    let mut token = Token::new(
        add.issuer.as_deref().unwrap_or("").trim(),
        add.account.as_deref().unwrap_or("").trim(),
        secret,
    );
    token.kind = kind;
    token.algorithm = algorithm;
    token.digits = digits;
    Ok(token)
}

/// Refuses a list of more than [`MAX_LIST_ITEMS`] `what` (sites, tags).
fn check_list_len(items: &[String], what: &str) -> Result<(), ProtoError> {
    if items.len() > MAX_LIST_ITEMS {
        return Err(ProtoError::new(
            "invalid_token",
            format!("a token can have at most {MAX_LIST_ITEMS} {what}; remove some"),
        ));
    }
    Ok(())
}

fn normalize_sites(sites: &[String]) -> Result<Vec<String>, ProtoError> {
    check_list_len(sites, "sites")?;
    let mut out: Vec<String> = Vec::with_capacity(sites.len());
    for site in sites {
        let site = site::normalize_site(site).map_err(invalid)?;
        if !out.contains(&site) {
            out.push(site);
        }
    }
    Ok(out)
}

fn clean_tags(tags: &[String]) -> Result<Vec<String>, ProtoError> {
    check_list_len(tags, "tags")?;
    let mut out: Vec<String> = Vec::new();
    for tag in tags.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
        if !out.iter().any(|o| o == tag) {
            out.push(tag.to_string());
        }
    }
    Ok(out)
}

fn aws_context(fields: &AwsFields) -> Result<AwsContext, ProtoError> {
    let bad = |m: &str| ProtoError::new("invalid_token", m.to_string());
    let partition = match fields.partition.as_deref().map(str::trim) {
        None | Some("") => Partition::Aws,
        Some(p) => Partition::parse(p)
            .ok_or_else(|| bad("aws.partition must be aws, aws-us-gov or aws-cn"))?,
    };
    let mut ctx = AwsContext {
        partition,
        ..AwsContext::default()
    };
    if let Some(account) = &fields.account {
        ctx = ctx.with_account(account);
    }
    if let Some(id) = fields.account_id.as_deref().map(str::trim) {
        if !AwsContext::is_account_id(id) {
            return Err(bad("aws.account_id must be the 12-digit AWS account id"));
        }
        ctx.account_id = Some(id.to_string());
    }
    if let Some(alias) = fields.account_alias.as_deref().map(str::trim) {
        let alias = alias.to_ascii_lowercase();
        if !is_account_alias(&alias) {
            return Err(bad(
                "aws.account_alias must be 3–63 lower-case letters, digits and hyphens",
            ));
        }
        ctx.account_alias = Some(alias);
    }
    if let Some(alias) = &ctx.account_alias
        && !is_account_alias(alias)
    {
        return Err(bad(
            "aws.account must be a 12-digit account id or an account alias (letters, digits, hyphens)",
        ));
    }
    if let Some(user) = fields
        .user
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
    {
        if user.len() > MAX_TEXT_LEN {
            return Err(bad("aws.user is too long; shorten it"));
        }
        ctx.user = Some(user.to_string());
    }
    Ok(ctx)
}
