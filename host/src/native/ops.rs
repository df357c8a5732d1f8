//! The operations of the protocol, run against a [`Store`].

use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::assemble::{draft, patch};
use super::budget::{
    CANDIDATE_BUDGET, LIST_BUDGET, MAX_MATCH_CANDIDATES, failure_list, listing, trimmed_to,
    within_limit,
};
use super::log;
use super::replies::{
    add_current_code, add_offset, import_error, object, qr_error, signin_v1, summary,
    usable_period, window, without_wait,
};
use super::store::{Store, Tokens, VaultData};
use crate::clock::{self, CodeTime};
use crate::error::ErrorCode;
use crate::import::{Format, Imported};
use crate::ledger::{self, MIN_SECONDS_LEFT, Reach, Step};
use crate::protocol::{
    AddRequest, ImportRequest, MAX_REPLY_BYTES, MAX_REQUEST_BYTES, OPERATIONS, PROTOCOL_VERSION,
    ProtoError, Request, UpdateRequest, decode_request, failure, success,
};
use crate::site::{self, Earlier, Hint, PageFacts};
use crate::token::{Token, TokenSites, admit, new_positions, now_unix};
use crate::vault::VaultStatus;

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
        within_limit(id, reply)
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
            Request::Clock {
                url,
                date,
                sent,
                received,
            } => self.record_clock(&url, &date, sent, received),
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
                "min_fill_seconds": MIN_SECONDS_LEFT,
            },
        }))
    }

    fn list(&self, offset: usize, limit: usize) -> Result<Map<String, Value>, ProtoError> {
        let data = self.store.read()?;
        let now = (self.clock)();
        let total = data.tokens.len();
        let budget = LIST_BUDGET;
        let mut used = 0;
        let mut tokens = Vec::new();
        let mut next = offset;
        for token in data.tokens.iter().skip(offset).take(limit) {
            let mut entry = summary(token);
            add_current_code(&mut entry, token, CodeTime::of(&data.clock, token, now));
            let size = trimmed_to(&mut entry, budget / 4);
            if used + size > budget && !tokens.is_empty() {
                break;
            }
            used += size;
            tokens.push(Value::Object(entry));
            next += 1;
        }
        let next_offset = (next < total).then_some(next);
        let clock: Vec<Value> = data
            .clock
            .iter()
            .map(|(partition, c)| {
                json!({
                    "partition": partition,
                    "offset": c.seconds(),
                    "error_ms": c.error_ms,
                    "measured": c.measured,
                    "standing": c.standing(now),
                })
            })
            .collect();
        Ok(object(json!({
            "now": now,
            "total": total,
            "next_offset": next_offset,
            "tokens": tokens,
            "clock": clock,
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
        let mut page_clock = Value::Null;
        let now = (self.clock)();
        // Only the tokens that could belong to the page are kept as the
        // vault's index is read.
        let filter = site::PageFilter::new(&page, &who);
        let keep = |token: &TokenSites| filter.admits(token);
        let picked = self.store.read_matching(keep, |tokens| {
            let (page, who) = (page.clone(), who.clone());
            let (result, rest) = match tokens {
                Tokens::Full(tokens, rest) => {
                    (site::match_page(tokens, page, who, &rest.fills), rest)
                }
                Tokens::Sites(tokens, rest) => {
                    (site::match_page(tokens, page, who, &rest.fills), rest)
                }
            };
            // On AWS sign-in pages: whether the page measures AWS's clock
            // and whether a fill waits for that (`crate::clock::page_clock`).
            if let Some(aws) = result.page.aws_signin() {
                page_clock = json!(clock::page_clock(
                    rest.clock.get(aws.partition.as_str()),
                    now
                ));
            }
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
                let mut map = token.to_map();
                map.insert("belongs_to".into(), json!(site::belongs_to(token)));
                trimmed_to(&mut map, CANDIDATE_BUDGET);
                let token = map;
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
            "clock": page_clock,
        })))
    }

    fn code(&self, id: Uuid, for_fill: bool) -> Result<Map<String, Value>, ProtoError> {
        let local_now = (self.clock)();
        if for_fill {
            // One pass over the vault: the code is recorded as it is made.
            return self.store.update_data(Some(id), |data| {
                let token = data.get(id).ok_or_else(|| ProtoError::unknown_token(id))?;
                if usable_period(token)?.is_none() {
                    return hotp_code(data, id);
                }
                let at = CodeTime::of(&data.clock, token, local_now);
                let step = ledger::take_steps(data, id, at.now(), 1, Reach::NextStep)?;
                let token = data.get(id).ok_or_else(|| ProtoError::unknown_token(id))?;
                let mut reply = window(token, step, at);
                reply.insert("token".into(), json!(id));
                reply.insert("kind".into(), json!(token.kind.name()));
                add_offset(&mut reply, at);
                Ok(reply)
            });
        }
        let (token, clocks) = self.store.token(id)?;
        let Some(period) = usable_period(&token)? else {
            return self.store.update_data(Some(id), |data| hotp_code(data, id));
        };
        let at = CodeTime::of(&clocks, &token, local_now);
        let step = Step::at(at.now(), period);
        let mut reply = window(&token, step, at);
        reply.insert("token".into(), json!(id));
        reply.insert("kind".into(), json!(token.kind.name()));
        let next = window(&token, step.next(), at);
        reply.insert("next".into(), Value::Object(without_wait(next)));
        add_offset(&mut reply, at);
        Ok(reply)
    }

    fn enroll_codes(&self, id: Uuid) -> Result<Map<String, Value>, ProtoError> {
        let local_now = (self.clock)();
        self.store.update_data(Some(id), |data| {
            let token = data.get(id).ok_or_else(|| ProtoError::unknown_token(id))?;
            match usable_period(token)? {
                None => {
                    let (codes, counter) = ledger::spend_hotp(data, id, 2)?;
                    let codes: Vec<Value> = codes
                        .iter()
                        .zip(counter..)
                        .map(|(code, c)| json!({"code": code, "counter": c}))
                        .collect();
                    Ok(object(json!({"token": id, "kind": "hotp", "codes": codes})))
                }
                Some(_) => {
                    let at = CodeTime::of(&data.clock, token, local_now);
                    let step = ledger::take_steps(data, id, at.now(), 2, Reach::NextStep)?;
                    let token = data.get(id).ok_or_else(|| ProtoError::unknown_token(id))?;
                    let codes = vec![
                        Value::Object(without_wait(window(token, step, at))),
                        Value::Object(without_wait(window(token, step.next(), at))),
                    ];
                    let kind = token.kind.name();
                    let mut reply = object(json!({"token": id, "kind": kind, "codes": codes}));
                    add_offset(&mut reply, at);
                    Ok(reply)
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
        let patch = patch(update);
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
                    "no token in FactorCat is this MFA device: give its token the serial this page shows (factorcat edit QUERY --aws-mfa-serial ARN), or add it with the device's account and user (factorcat add … --aws-account ID --aws-user NAME), or type the codes from the authenticator that holds it",
                ),
                site::DeviceError::Ambiguous(n) => ProtoError::new(
                    ErrorCode::AmbiguousQuery,
                    format!(
                        "{n} tokens in FactorCat could be this MFA device; give each its device's serial, as the IAM console shows it (factorcat edit QUERY --aws-mfa-serial ARN), or copy the codes from the toolbar popup"
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

    /// `clock`: what the server of the page at `url` said the time was
    /// (`date`, its `Date` header) and this computer's time around the
    /// request (Unix milliseconds). Only AWS sign-in pages over https teach
    /// anything: their partition's offset is recorded (`crate::clock`) when
    /// it tells something new, one write; any other page is no error and
    /// opens nothing.
    fn record_clock(
        &self,
        url: &str,
        date: &str,
        sent: u64,
        received: u64,
    ) -> Result<Map<String, Value>, ProtoError> {
        let page = PageFacts::read(url).map_err(|e| ProtoError::new(e.code(), e.to_string()))?;
        let Some(aws) = page.aws_signin() else {
            return Ok(object(
                json!({"partition": null, "recorded": false, "standing": null}),
            ));
        };
        let partition = aws.partition.as_str();
        let date = clock::parse_http_date(date).ok_or_else(|| {
            ProtoError::bad_request(
                "clock: \"date\" is not an HTTP date such as \"Sun, 06 Nov 1994 08:49:37 GMT\"; send the response's Date header as it came",
            )
        })?;
        let now = (self.clock)();
        let sample = clock::Sample {
            date,
            sent_ms: sent,
            received_ms: received,
        };
        let unused = |reason: String| {
            object(
                json!({"partition": partition, "recorded": false, "standing": null, "reason": reason}),
            )
        };
        let mut offset = match sample.offset() {
            Ok(offset) => offset,
            Err(e) => return Ok(unused(e.to_string())),
        };
        // The browser runs on this computer: its times are this clock's,
        // just now. Others are no measurement of the present.
        if offset.measured.abs_diff(now) > clock::MAX_SAMPLE_AGE_SECS {
            return Ok(unused(format!(
                "the request was made more than {} s ago",
                clock::MAX_SAMPLE_AGE_SECS
            )));
        }
        offset.measured = now;
        let recorded = offset.replaces(self.store.clocks()?.get(partition))
            && self.store.update_data(None, |data| {
                let new = offset.replaces(data.clock.get(partition));
                if new {
                    data.clock.insert(partition.into(), offset);
                }
                Ok(new)
            })?;
        Ok(object(json!({
            "partition": partition,
            "offset": offset.seconds(),
            "error_ms": offset.error_ms,
            "standing": offset.standing(now),
            "recorded": recorded,
        })))
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
        let budget = LIST_BUDGET;
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

/// The next code of HOTP token `id`, its counter spent in `data`.
fn hotp_code(data: &mut VaultData, id: Uuid) -> Result<Map<String, Value>, ProtoError> {
    let (code, counter) = ledger::spend_hotp(data, id, 1)?;
    Ok(object(json!({
        "token": id, "kind": "hotp", "code": code[0], "counter": counter,
    })))
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
        Request::Clock { .. } => "clock",
    }
}
