//! The rules every token obeys, in one place: what a new token may be, how
//! a change to one is applied, and when two tokens are the same.
//!
//! The command line, the native host and the importers only translate what
//! they were given into a [`TokenDraft`] (a new token) or a [`TokenPatch`]
//! (a change to one); the defaults, normalising, caps, de-duplication,
//! validation and the duplicate policy all happen here, so that no two
//! ways in can disagree. Errors say what is wrong; each front end adds how
//! to fix it in its own words.
//!
//! A new field of a token goes on [`Token`] (or [`AwsContext`]), on
//! [`TokenPatch`] (or [`AwsFields`]) with one line in its `apply`, and, when
//! it has rules of its own, into [`settle`].

use serde::Deserialize;
use uuid::Uuid;

use super::{
    Algorithm, AwsContext, Kind, MAX_MFA_DEVICE_NAME, MfaSerial, ParamError, Partition,
    STEAM_DIGITS, Token,
};
use crate::error::ErrorCode;
use crate::secret::{Secret, SecretError};
use crate::site;

/// Most sites, and most tags, one token may have.
pub const MAX_LIST_ITEMS: usize = 64;

/// Digits of a code when none are given (all kinds but Steam).
const DEFAULT_DIGITS: u8 = 6;

/// TOTP period when none is given, in seconds; also Steam's fixed period.
const DEFAULT_PERIOD: u64 = 30;

/// Why a new token or a change was refused. Messages never repeat a value
/// that was given (a secret pasted into the wrong field must not show).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// The secret is not usable.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// Digits, period, a text or a list out of range.
    #[error(transparent)]
    Param(#[from] ParamError),
    /// A kind other than totp, hotp or steam.
    #[error("the kind of token must be totp, hotp or steam")]
    UnknownKind,
    /// An algorithm other than SHA1, SHA256 or SHA512.
    #[error("the algorithm must be SHA1 (the usual one), SHA256 or SHA512")]
    UnknownAlgorithm,
    /// A parameter the token's kind does not have (a period for HOTP).
    #[error("a {kind} token has no {field}")]
    NotForKind {
        /// The parameter given.
        field: &'static str,
        /// The kind of the token.
        kind: &'static str,
    },
    /// A Steam token with other digits, algorithm or period.
    #[error(
        "Steam Guard codes always have {STEAM_DIGITS} characters and use SHA1 and 30 seconds, so their {0} cannot be set"
    )]
    Steam(&'static str),
    /// A site that is not a host name.
    #[error(
        "a site is not a host name: sites are host names such as github.com, or https:// addresses"
    )]
    Site,
    /// An AWS account id that is not 12 digits.
    #[error("the AWS account id must be 12 digits")]
    AwsAccountId,
    /// An AWS account alias of the wrong shape.
    #[error(
        "an AWS account alias is 3–63 lower-case letters, digits and hyphens (no hyphen first, last or twice in a row)"
    )]
    AwsAlias,
    /// An AWS account that is neither an id nor an alias.
    #[error("the AWS account must be a 12-digit account id or an account alias")]
    AwsAccount,
    /// An unknown AWS partition.
    #[error("the AWS partition must be aws, aws-us-gov, aws-cn or aws-eusc")]
    AwsPartition,
    /// An IAM Identity Center start URL that is no access portal's address.
    #[error(
        "the IAM Identity Center start URL must be an AWS access portal's address, such as https://my-portal.awsapps.com/start"
    )]
    AwsStartUrl,
    /// An IAM Identity Center directory id of the wrong shape.
    #[error("an IAM Identity Center directory id is d- and 10 hexadecimal digits")]
    AwsDirectory,
    /// An MFA serial that is no virtual MFA device's ARN.
    #[error(
        "an MFA serial is the ARN of a virtual MFA device, arn:<partition>:iam::<12-digit account>:mfa/<device name>"
    )]
    AwsMfaSerial,
    /// An MFA device name IAM would not allow.
    #[error(
        "an MFA device name is 1–{MAX_MFA_DEVICE_NAME} letters, digits and the characters _+=,.@-"
    )]
    AwsMfaDevice,
    /// An MFA serial of another partition or account than the token's.
    #[error("the MFA serial names another AWS partition or account than the token's")]
    AwsMfaSerialAccount,
    /// An MFA serial on an IAM Identity Center device.
    #[error("an IAM Identity Center MFA device has no IAM MFA serial")]
    AwsMfaSerialIdentityCenter,
    /// The token makes the same codes as a stored one.
    #[error(
        "this token makes the same codes as {label} ({}), which is already in the vault",
        short(.id)
    )]
    Duplicate {
        /// The stored token.
        id: Uuid,
        /// Its label.
        label: String,
    },
}

impl TokenError {
    /// The error code: [`ErrorCode::DuplicateToken`] for a duplicate,
    /// [`ErrorCode::InvalidToken`] for everything else.
    pub fn code(&self) -> ErrorCode {
        match self {
            TokenError::Duplicate { .. } => ErrorCode::DuplicateToken,
            _ => ErrorCode::InvalidToken,
        }
    }
}

fn short(id: &Uuid) -> String {
    id.simple().to_string()[..8].to_string()
}

/// The kinds of token, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KindName {
    /// Time-based (RFC 6238).
    Totp,
    /// Counter-based (RFC 4226).
    Hotp,
    /// Steam Guard.
    Steam,
}

impl KindName {
    /// `totp`, `hotp` or `steam`, in any case.
    pub fn parse(text: &str) -> Result<KindName, TokenError> {
        match text.trim().to_ascii_lowercase().as_str() {
            "totp" => Ok(KindName::Totp),
            "hotp" => Ok(KindName::Hotp),
            "steam" => Ok(KindName::Steam),
            _ => Err(TokenError::UnknownKind),
        }
    }
}

impl Algorithm {
    /// [`Algorithm::parse`], refusing what it does not read.
    pub fn named(text: &str) -> Result<Algorithm, TokenError> {
        Algorithm::parse(text).ok_or(TokenError::UnknownAlgorithm)
    }
}

/// How a new token makes its codes, as a person gave it field by field.
/// Absent values take the usual defaults: TOTP, SHA-1, 6 digits (Steam:
/// 5), 30 seconds, counter 0.
#[derive(Debug, Clone)]
pub struct GeneratorFields {
    /// The shared key.
    pub secret: Secret,
    /// TOTP, HOTP or Steam.
    pub kind: Option<KindName>,
    /// The HMAC hash function.
    pub algorithm: Option<Algorithm>,
    /// Digits of a code.
    pub digits: Option<u64>,
    /// TOTP period in seconds.
    pub period: Option<u64>,
    /// The next HOTP counter value.
    pub counter: Option<u64>,
}

impl GeneratorFields {
    /// A TOTP token with the defaults.
    pub fn new(secret: Secret) -> GeneratorFields {
        GeneratorFields {
            secret,
            kind: None,
            algorithm: None,
            digits: None,
            period: None,
            counter: None,
        }
    }

    fn token(self) -> Result<Token, TokenError> {
        let not_for = |field, kind| Err(TokenError::NotForKind { field, kind });
        let kind = match self.kind.unwrap_or(KindName::Totp) {
            KindName::Totp if self.counter.is_some() => return not_for("counter", "TOTP"),
            KindName::Totp => Kind::Totp {
                period: self.period.unwrap_or(DEFAULT_PERIOD),
            },
            KindName::Hotp if self.period.is_some() => return not_for("period", "HOTP"),
            KindName::Hotp => Kind::Hotp {
                counter: self.counter.unwrap_or(0),
            },
            KindName::Steam if self.counter.is_some() => return not_for("counter", "Steam"),
            KindName::Steam => {
                if self.period.is_some_and(|p| p != DEFAULT_PERIOD) {
                    return Err(TokenError::Steam("period"));
                }
                if self.algorithm.is_some_and(|a| a != Algorithm::Sha1) {
                    return Err(TokenError::Steam("algorithm"));
                }
                if self.digits.is_some_and(|d| d != u64::from(STEAM_DIGITS)) {
                    return Err(TokenError::Steam("number of characters"));
                }
                Kind::Steam
            }
        };
        let default_digits = match kind {
            Kind::Steam => STEAM_DIGITS,
            _ => DEFAULT_DIGITS,
        };
        let digits = match self.digits {
            None => default_digits,
            Some(d) => u8::try_from(d)
                .map_err(|_| ParamError::Digits(u32::try_from(d).unwrap_or(u32::MAX)))?,
        };
        let mut token = Token::new("", "", self.secret);
        token.kind = kind;
        token.algorithm = self.algorithm.unwrap_or_default();
        token.digits = digits;
        Ok(token)
    }
}

/// A change to a list of sites or tags: the new list, or items to remove
/// and to add (in that order). Items are normalised as the list keeps them
/// before they are compared.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListPatch {
    /// Replaces the whole list.
    pub replace: Option<Vec<String>>,
    /// Removed from the list.
    pub remove: Vec<String>,
    /// Added at the end, when not there yet.
    pub add: Vec<String>,
}

impl ListPatch {
    /// A patch that replaces the list.
    pub fn replacing(items: Vec<String>) -> ListPatch {
        ListPatch {
            replace: Some(items),
            ..ListPatch::default()
        }
    }

    /// A patch that adds to the list.
    pub fn adding(items: Vec<String>) -> ListPatch {
        ListPatch {
            add: items,
            ..ListPatch::default()
        }
    }

    fn apply(&self, list: &mut Vec<String>, clean: Cleaner) -> Result<(), TokenError> {
        let mut removed = Vec::new();
        for item in &self.remove {
            removed.extend(clean(item)?);
        }
        let base = self.replace.as_ref().unwrap_or(list);
        let mut kept = clean_list(base, clean)?;
        kept.retain(|item| !removed.contains(item));
        for item in &self.add {
            if let Some(item) = clean(item)?
                && !kept.contains(&item)
            {
                kept.push(item);
            }
        }
        *list = kept;
        Ok(())
    }
}

/// Turns one list item into the form the list keeps (`None`: drop it).
type Cleaner = fn(&str) -> Result<Option<String>, TokenError>;

/// A site as the vault keeps it: a lower-case host name.
fn clean_site(text: &str) -> Result<Option<String>, TokenError> {
    site::normalize_site(text)
        .map(Some)
        .map_err(|_| TokenError::Site)
}

/// A tag as the vault keeps it: trimmed; a blank tag is dropped.
fn clean_tag(text: &str) -> Result<Option<String>, TokenError> {
    let tag = text.trim();
    Ok((!tag.is_empty()).then(|| tag.to_string()))
}

/// Every item cleaned, without repeats, in order.
fn clean_list(items: &[String], clean: Cleaner) -> Result<Vec<String>, TokenError> {
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        if let Some(item) = clean(item)?
            && !out.contains(&item)
        {
            out.push(item);
        }
    }
    Ok(out)
}

/// The AWS identity of a token as a person or a page gave it. Every field
/// is optional; the protocol's `aws` object is read straight into it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct AwsFields {
    /// The account as typed: 12 digits is an id, anything else an alias.
    pub account: Option<String>,
    /// The 12-digit account id.
    pub account_id: Option<String>,
    /// The account alias.
    pub account_alias: Option<String>,
    /// IAM user name, root e-mail or MFA device name; blank removes it.
    pub user: Option<String>,
    /// `aws`, `aws-us-gov`, `aws-cn` or `aws-eusc`; blank leaves it as it
    /// is.
    pub partition: Option<String>,
    /// The AWS access portal URL of the IAM Identity Center instance
    /// (`https://my-portal.awsapps.com/start`), kept in the form of
    /// `site::aws::read_start_url`; blank removes it. Giving it forgets
    /// the directory learned so far (unless `sso_directory` is given too):
    /// the next redirect from that portal teaches it again.
    pub sso_start_url: Option<String>,
    /// The instance's directory id (`d-1234567890`); blank removes it.
    /// Only what the host read in an address the browser reported: the
    /// extension passes the `directory` of the host's `page` facts.
    pub sso_directory: Option<String>,
    /// The serial (ARN) of the IAM virtual MFA device the token is,
    /// `arn:aws:iam::123456789012:mfa/alice-phone`; blank removes it. A
    /// token without an account id takes the serial's account (and its
    /// partition, unless `partition` is given); one with another account
    /// or partition is refused ([`settle`]).
    pub mfa_serial: Option<String>,
    /// The name of the IAM virtual MFA device as the page that set it up
    /// showed it (the IAM console's "Device name"): with the token's
    /// account id and partition it makes `mfa_serial` (the root user's
    /// devices are the account's own, like any other). Without an account
    /// id nothing is recorded; `mfa_serial`, when given, wins.
    pub mfa_device: Option<String>,
}

impl AwsFields {
    /// True when no field is given.
    pub fn is_empty(&self) -> bool {
        *self == AwsFields::default()
    }

    /// Writes the given fields over `ctx`.
    fn apply(&self, mut ctx: AwsContext) -> Result<AwsContext, TokenError> {
        if let Some(partition) = self.partition.as_deref().map(str::trim)
            && !partition.is_empty()
        {
            ctx.partition = Partition::parse(partition).ok_or(TokenError::AwsPartition)?;
        }
        if let Some(account) = self.account.as_deref().map(str::trim) {
            ctx.account_id = None;
            ctx.account_alias = None;
            if AwsContext::is_account_id(account) {
                ctx.account_id = Some(account.to_string());
            } else if !account.is_empty() {
                let alias = account.to_ascii_lowercase();
                if !AwsContext::is_account_alias(&alias) {
                    return Err(TokenError::AwsAccount);
                }
                ctx.account_alias = Some(alias);
            }
        }
        if let Some(id) = self.account_id.as_deref().map(str::trim) {
            if !AwsContext::is_account_id(id) {
                return Err(TokenError::AwsAccountId);
            }
            ctx.account_id = Some(id.to_string());
        }
        if let Some(alias) = &self.account_alias {
            let alias = alias.trim().to_ascii_lowercase();
            if !AwsContext::is_account_alias(&alias) {
                return Err(TokenError::AwsAlias);
            }
            ctx.account_alias = Some(alias);
        }
        if let Some(user) = &self.user {
            ctx.user = Some(user.clone());
        }
        if let Some(url) = self.sso_start_url.as_deref().map(str::trim) {
            ctx.sso_start_url = match url {
                "" => None,
                url => Some(site::aws::read_start_url(url).ok_or(TokenError::AwsStartUrl)?),
            };
            // The directory is learned again for the portal given.
            ctx.sso_directory = None;
        }
        if let Some(directory) = self.sso_directory.as_deref().map(str::trim) {
            let directory = directory.to_ascii_lowercase();
            ctx.sso_directory = match directory.as_str() {
                "" => None,
                d if site::aws::is_directory_id(d) => Some(directory),
                _ => return Err(TokenError::AwsDirectory),
            };
        }
        if let Some(device) = self.mfa_device.as_deref().map(str::trim)
            && self.mfa_serial.is_none()
        {
            if !MfaSerial::is_device_name(device) {
                return Err(TokenError::AwsMfaDevice);
            }
            if let Some(account) = &ctx.account_id {
                ctx.mfa_serial =
                    MfaSerial::of_device(ctx.partition, account, device).map(|s| s.arn());
            }
        }
        if let Some(arn) = self.mfa_serial.as_deref().map(str::trim) {
            ctx.mfa_serial = match arn {
                "" => None,
                arn => {
                    let serial = MfaSerial::parse(arn).ok_or(TokenError::AwsMfaSerial)?;
                    if ctx.account_id.is_none() {
                        ctx.account_id = Some(serial.account_id.clone());
                        if self.partition.is_none() {
                            ctx.partition = serial.partition;
                        }
                    }
                    Some(serial.arn())
                }
            };
        }
        Ok(ctx)
    }
}

/// A change to a token's AWS identity.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum AwsPatch {
    /// Leave it as it is.
    #[default]
    Keep,
    /// Remove it.
    Clear,
    /// Replace it with exactly these fields.
    Replace(AwsFields),
    /// Change the fields given and keep the others.
    Merge(AwsFields),
}

impl AwsPatch {
    fn apply(&self, aws: &mut Option<AwsContext>) -> Result<(), TokenError> {
        match self {
            AwsPatch::Keep => {}
            AwsPatch::Clear => *aws = None,
            AwsPatch::Replace(fields) => *aws = Some(fields.apply(AwsContext::default())?),
            AwsPatch::Merge(fields) => {
                *aws = Some(fields.apply(aws.take().unwrap_or_default())?);
            }
        }
        Ok(())
    }
}

/// A change to a token's metadata (never to how it makes codes): what
/// `edit` and `update` say, and the metadata given with a new token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenPatch {
    /// A new issuer.
    pub issuer: Option<String>,
    /// A new account name.
    pub account: Option<String>,
    /// Changes to the sites.
    pub sites: ListPatch,
    /// Changes to the tags.
    pub tags: ListPatch,
    /// A change to the AWS identity.
    pub aws: AwsPatch,
    /// Pin or unpin.
    pub pinned: Option<bool>,
}

impl TokenPatch {
    /// Applies the change and [`settle`]s the result; marks the token as
    /// changed now when that changed anything, and says whether it did. On
    /// an error `token` is left as it was.
    pub fn apply(&self, token: &mut Token) -> Result<bool, TokenError> {
        let mut next = token.clone();
        if let Some(issuer) = &self.issuer {
            next.issuer.clone_from(issuer);
        }
        if let Some(account) = &self.account {
            next.account.clone_from(account);
        }
        self.sites.apply(&mut next.sites, clean_site)?;
        self.tags.apply(&mut next.tags, clean_tag)?;
        self.aws.apply(&mut next.aws)?;
        if let Some(pinned) = self.pinned {
            next.pinned = pinned;
        }
        let mut next = settle(next)?;
        if next == *token {
            return Ok(false);
        }
        next.touch();
        *token = next;
        Ok(true)
    }
}

/// Where a new token's secret and parameters come from.
#[derive(Debug, Clone)]
enum Generator {
    /// A token read elsewhere (an `otpauth://` URI), with its metadata.
    Read(Box<Token>),
    /// Fields.
    Fields(GeneratorFields),
}

/// A new token as a front end was told it: how it makes codes, and the
/// metadata to give it. [`TokenDraft::build`] applies every rule.
#[derive(Debug, Clone)]
pub struct TokenDraft {
    generator: Generator,
    /// Metadata, applied over what the generator brings (a URI's issuer,
    /// account, AWS identity and sites).
    pub patch: TokenPatch,
}

impl TokenDraft {
    /// A token made from fields.
    pub fn from_fields(fields: GeneratorFields) -> TokenDraft {
        TokenDraft {
            generator: Generator::Fields(fields),
            patch: TokenPatch::default(),
        }
    }

    /// A token read elsewhere, such as `otpauth::parse`'s.
    pub fn from_token(token: Token) -> TokenDraft {
        TokenDraft {
            generator: Generator::Read(Box::new(token)),
            patch: TokenPatch::default(),
        }
    }

    /// The same draft with this metadata.
    pub fn with(mut self, patch: TokenPatch) -> TokenDraft {
        self.patch = patch;
        self
    }

    /// The token, with a fresh id, in the form the vault keeps, or what is
    /// wrong with it. Whether the vault takes it is [`admit`]'s decision.
    pub fn build(self) -> Result<Token, TokenError> {
        let mut token = match self.generator {
            Generator::Read(token) => *token,
            Generator::Fields(fields) => fields.token()?,
        };
        self.patch.apply(&mut token)?;
        Ok(token)
    }
}

/// Brings a token to the form the vault keeps and checks it: issuer and
/// account trimmed; sites as lower-case host names, tags trimmed and
/// non-blank, both without repeats and at most [`MAX_LIST_ITEMS`]; a blank
/// AWS user removed; an MFA serial that is a virtual MFA device's ARN, of
/// the token's own partition and account id, and not on an IAM Identity
/// Center device; digits, period and lengths in range
/// ([`Token::validate`]). Every token that enters the vault has passed
/// here: added, edited or imported. (The AWS account id and alias are
/// checked where they are given, in [`AwsFields`]: an older record or a
/// backup keeps what it holds.)
pub fn settle(mut token: Token) -> Result<Token, TokenError> {
    token.issuer = token.issuer.trim().to_string();
    token.account = token.account.trim().to_string();
    token.sites = clean_list(&token.sites, clean_site)?;
    token.tags = clean_list(&token.tags, clean_tag)?;
    if let Some(aws) = &mut token.aws {
        aws.user = aws
            .user
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(str::to_string);
        if let Some(arn) = &aws.mfa_serial {
            let serial = MfaSerial::parse(arn).ok_or(TokenError::AwsMfaSerial)?;
            if aws.identity_center() {
                return Err(TokenError::AwsMfaSerialIdentityCenter);
            }
            if serial.partition != aws.partition
                || aws.account_id.as_deref() != Some(serial.account_id.as_str())
            {
                return Err(TokenError::AwsMfaSerialAccount);
            }
        }
    }
    token.validate()?;
    Ok(token)
}

/// Two tokens make the same codes: same secret, kind, algorithm, digits
/// and period. The HOTP counter is not compared (it is where a token is,
/// not which token it is), nor the algorithm of Steam tokens (always
/// HMAC-SHA-1).
pub fn same_generator(a: &Token, b: &Token) -> bool {
    a.secret == b.secret
        && a.kind.name() == b.kind.name()
        && (a.algorithm == b.algorithm || matches!(a.kind, Kind::Steam))
        && a.digits == b.digits
        && a.kind.period() == b.kind.period()
}

/// The duplicate policy of adding one token: a token that makes the same
/// codes as a stored one ([`same_generator`]) is refused with
/// [`TokenError::Duplicate`], unless the person asked for a second copy.
pub fn admit(existing: &[Token], token: &Token, allow_duplicate: bool) -> Result<(), TokenError> {
    match existing.iter().find(|t| same_generator(t, token)) {
        Some(twin) if !allow_duplicate => Err(TokenError::Duplicate {
            id: twin.id,
            label: twin.label(),
        }),
        _ => Ok(()),
    }
}

/// The duplicate policy of imports: which of `incoming` are new, by
/// position. A token is a duplicate, and skipped, when a stored token or
/// an earlier new one of `incoming` makes the same codes.
pub fn new_positions(existing: &[Token], incoming: &[Token]) -> Vec<bool> {
    let mut fresh: Vec<bool> = Vec::with_capacity(incoming.len());
    for (i, token) in incoming.iter().enumerate() {
        let twin = existing.iter().any(|t| same_generator(t, token))
            || incoming[..i]
                .iter()
                .zip(&fresh)
                .any(|(t, new)| *new && same_generator(t, token));
        fresh.push(!twin);
    }
    fresh
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "JBSWY3DPEHPK3PXP";

    fn fields() -> GeneratorFields {
        GeneratorFields::new(Secret::from_base32(SECRET).unwrap())
    }

    fn build(fields: GeneratorFields, patch: TokenPatch) -> Result<Token, TokenError> {
        TokenDraft::from_fields(fields).with(patch).build()
    }

    #[test]
    fn defaults_are_totp_sha1_six_digits_thirty_seconds() {
        let t = build(fields(), TokenPatch::default()).unwrap();
        assert_eq!(t.kind, Kind::Totp { period: 30 });
        assert_eq!((t.algorithm, t.digits), (Algorithm::Sha1, 6));
        let steam = build(
            GeneratorFields {
                kind: Some(KindName::Steam),
                ..fields()
            },
            TokenPatch::default(),
        )
        .unwrap();
        assert_eq!(
            (steam.kind.clone(), steam.digits),
            (Kind::Steam, STEAM_DIGITS)
        );
        let hotp = build(
            GeneratorFields {
                kind: Some(KindName::Hotp),
                ..fields()
            },
            TokenPatch::default(),
        )
        .unwrap();
        assert_eq!(hotp.kind, Kind::Hotp { counter: 0 });
    }

    #[test]
    fn contradictions_are_refused() {
        let steam = || GeneratorFields {
            kind: Some(KindName::Steam),
            ..fields()
        };
        for (fields, want) in [
            (
                GeneratorFields {
                    digits: Some(6),
                    ..steam()
                },
                TokenError::Steam("number of characters"),
            ),
            (
                GeneratorFields {
                    algorithm: Some(Algorithm::Sha256),
                    ..steam()
                },
                TokenError::Steam("algorithm"),
            ),
            (
                GeneratorFields {
                    kind: Some(KindName::Hotp),
                    period: Some(30),
                    ..fields()
                },
                TokenError::NotForKind {
                    field: "period",
                    kind: "HOTP",
                },
            ),
            (
                GeneratorFields {
                    digits: Some(300),
                    ..fields()
                },
                TokenError::Param(ParamError::Digits(300)),
            ),
        ] {
            assert_eq!(build(fields, TokenPatch::default()), Err(want));
        }
        assert_eq!(KindName::parse("motp"), Err(TokenError::UnknownKind));
        assert_eq!(Algorithm::named("MD5"), Err(TokenError::UnknownAlgorithm));
    }

    #[test]
    fn lists_are_normalised_deduplicated_and_capped() {
        let patch = TokenPatch {
            sites: ListPatch::adding(vec!["HTTPS://GitHub.com/login".into(), "github.com".into()]),
            tags: ListPatch::adding(vec!["work".into(), " work ".into(), " ".into()]),
            ..TokenPatch::default()
        };
        let t = build(fields(), patch).unwrap();
        assert_eq!(t.sites, ["github.com"]);
        assert_eq!(t.tags, ["work"]);

        let many: Vec<String> = (0..=MAX_LIST_ITEMS).map(|i| format!("t{i}")).collect();
        for patch in [
            TokenPatch {
                tags: ListPatch::adding(many.clone()),
                ..TokenPatch::default()
            },
            TokenPatch {
                sites: ListPatch::replacing(many.iter().map(|m| format!("{m}.example")).collect()),
                ..TokenPatch::default()
            },
        ] {
            assert!(matches!(
                build(fields(), patch),
                Err(TokenError::Param(ParamError::TooMany(_)))
            ));
        }
        let bad = TokenPatch {
            sites: ListPatch::adding(vec!["not a host".into()]),
            ..TokenPatch::default()
        };
        assert_eq!(build(fields(), bad), Err(TokenError::Site));
    }

    #[test]
    fn list_patches_remove_then_add() {
        let mut t = build(
            fields(),
            TokenPatch {
                sites: ListPatch::adding(vec!["a.example".into(), "b.example".into()]),
                ..TokenPatch::default()
            },
        )
        .unwrap();
        let patch = TokenPatch {
            sites: ListPatch {
                replace: None,
                remove: vec!["A.example".into()],
                add: vec!["c.example".into()],
            },
            ..TokenPatch::default()
        };
        patch.apply(&mut t).unwrap();
        assert_eq!(t.sites, ["b.example", "c.example"]);
    }

    #[test]
    fn aws_fields_merge_replace_and_clear() {
        let mut t = build(fields(), TokenPatch::default()).unwrap();
        let merge = |fields: AwsFields| TokenPatch {
            aws: AwsPatch::Merge(fields),
            ..TokenPatch::default()
        };
        merge(AwsFields {
            account: Some("123456789012".into()),
            ..AwsFields::default()
        })
        .apply(&mut t)
        .unwrap();
        merge(AwsFields {
            user: Some(" alice ".into()),
            partition: Some("aws-us-gov".into()),
            ..AwsFields::default()
        })
        .apply(&mut t)
        .unwrap();
        let aws = t.aws.clone().unwrap();
        assert_eq!(aws.account_id.as_deref(), Some("123456789012"));
        assert_eq!(aws.user.as_deref(), Some("alice"));
        assert_eq!(aws.partition, Partition::AwsUsGov);

        let replace = TokenPatch {
            aws: AwsPatch::Replace(AwsFields {
                account: Some("Prod-Team".into()),
                ..AwsFields::default()
            }),
            ..TokenPatch::default()
        };
        replace.apply(&mut t).unwrap();
        let aws = t.aws.clone().unwrap();
        assert_eq!(aws.account_alias.as_deref(), Some("prod-team"));
        assert_eq!((aws.account_id, aws.user), (None, None));

        for (fields, bad) in [
            (
                AwsFields {
                    account_id: Some("12".into()),
                    ..AwsFields::default()
                },
                TokenError::AwsAccountId,
            ),
            (
                AwsFields {
                    account: Some("not an alias!".into()),
                    ..AwsFields::default()
                },
                TokenError::AwsAccount,
            ),
            (
                AwsFields {
                    partition: Some("aws-mars".into()),
                    ..AwsFields::default()
                },
                TokenError::AwsPartition,
            ),
        ] {
            let before = t.clone();
            assert_eq!(merge(fields).apply(&mut t), Err(bad));
            assert_eq!(t, before, "a refused patch changes nothing");
        }
        TokenPatch {
            aws: AwsPatch::Clear,
            ..TokenPatch::default()
        }
        .apply(&mut t)
        .unwrap();
        assert_eq!(t.aws, None);
    }

    #[test]
    fn identity_center_start_urls_and_directories() {
        let mut t = build(fields(), TokenPatch::default()).unwrap();
        let merge = |fields: AwsFields| TokenPatch {
            aws: AwsPatch::Merge(fields),
            ..TokenPatch::default()
        };
        merge(AwsFields {
            sso_start_url: Some(" My-Portal.awsapps.com/start/#/ ".into()),
            sso_directory: Some("D-1234567890".into()),
            ..AwsFields::default()
        })
        .apply(&mut t)
        .unwrap();
        let aws = t.aws.clone().unwrap();
        assert_eq!(
            aws.sso_start_url.as_deref(),
            Some("https://my-portal.awsapps.com/start")
        );
        assert_eq!(aws.sso_directory.as_deref(), Some("d-1234567890"));
        assert!(aws.identity_center());
        // Other fields keep what was learned; the start URL given again
        // forgets it, to be learned anew.
        merge(AwsFields {
            user: Some("ivy".into()),
            ..AwsFields::default()
        })
        .apply(&mut t)
        .unwrap();
        assert_eq!(
            t.aws.as_ref().unwrap().sso_directory.as_deref(),
            Some("d-1234567890")
        );
        merge(AwsFields {
            sso_start_url: Some("https://my-portal.awsapps.com/start".into()),
            ..AwsFields::default()
        })
        .apply(&mut t)
        .unwrap();
        assert_eq!(t.aws.as_ref().unwrap().sso_directory, None);
        for (fields, bad) in [
            (
                AwsFields {
                    sso_start_url: Some("https://my-portal.awsapps.com.evil.example/start".into()),
                    ..AwsFields::default()
                },
                TokenError::AwsStartUrl,
            ),
            (
                AwsFields {
                    sso_start_url: Some("http://my-portal.awsapps.com/start".into()),
                    ..AwsFields::default()
                },
                TokenError::AwsStartUrl,
            ),
            (
                AwsFields {
                    sso_directory: Some("d-12345".into()),
                    ..AwsFields::default()
                },
                TokenError::AwsDirectory,
            ),
        ] {
            let before = t.clone();
            assert_eq!(merge(fields).apply(&mut t), Err(bad));
            assert_eq!(t, before);
        }
        // Blank removes.
        merge(AwsFields {
            sso_start_url: Some(String::new()),
            ..AwsFields::default()
        })
        .apply(&mut t)
        .unwrap();
        assert!(!t.aws.as_ref().unwrap().identity_center());
        // The European Sovereign Cloud is a partition of its own.
        merge(AwsFields {
            partition: Some("aws-eusc".into()),
            ..AwsFields::default()
        })
        .apply(&mut t)
        .unwrap();
        assert_eq!(t.aws.as_ref().unwrap().partition, Partition::AwsEusc);
    }

    #[test]
    fn mfa_serials_agree_with_the_account() {
        let merge = |fields: AwsFields| TokenPatch {
            aws: AwsPatch::Merge(fields),
            ..TokenPatch::default()
        };
        let serial = |arn: &str| AwsFields {
            mfa_serial: Some(arn.into()),
            ..AwsFields::default()
        };
        // A token without an account takes the serial's, and its partition.
        let mut t = build(
            fields(),
            merge(serial(" arn:aws-us-gov:iam::123456789012:mfa/bob ")),
        )
        .unwrap();
        let aws = t.aws.clone().unwrap();
        assert_eq!(
            aws.mfa_serial.as_deref(),
            Some("arn:aws-us-gov:iam::123456789012:mfa/bob")
        );
        assert_eq!(aws.account_id.as_deref(), Some("123456789012"));
        assert_eq!(aws.partition, Partition::AwsUsGov);
        for (fields, bad) in [
            (
                serial("arn:aws:iam::123456789012:user/bob"),
                TokenError::AwsMfaSerial,
            ),
            (
                serial("arn:aws-us-gov:iam::210987654321:mfa/bob"),
                TokenError::AwsMfaSerialAccount,
            ),
            (
                serial("arn:aws:iam::123456789012:mfa/bob"),
                TokenError::AwsMfaSerialAccount,
            ),
            (
                AwsFields {
                    account: Some("210987654321".into()),
                    ..AwsFields::default()
                },
                TokenError::AwsMfaSerialAccount,
            ),
            (
                AwsFields {
                    sso_start_url: Some("https://my-portal.awsapps.com/start".into()),
                    ..AwsFields::default()
                },
                TokenError::AwsMfaSerialIdentityCenter,
            ),
        ] {
            let before = t.clone();
            assert_eq!(merge(fields).apply(&mut t), Err(bad));
            assert_eq!(t, before, "a refused patch changes nothing");
        }
        // The account and the serial changed together; blank removes.
        merge(AwsFields {
            account: Some("210987654321".into()),
            partition: Some("aws".into()),
            mfa_serial: Some("arn:aws:iam::210987654321:mfa/bob".into()),
            ..AwsFields::default()
        })
        .apply(&mut t)
        .unwrap();
        merge(serial("")).apply(&mut t).unwrap();
        assert_eq!(t.aws.as_ref().unwrap().mfa_serial, None);
    }

    #[test]
    fn a_device_name_shown_at_enrolment_makes_the_serial() {
        let device = |account: &str, name: &str| AwsFields {
            account: Some(account.into()),
            partition: Some("aws-cn".into()),
            mfa_device: Some(name.into()),
            ..AwsFields::default()
        };
        let patch = |fields| TokenPatch {
            aws: AwsPatch::Replace(fields),
            ..TokenPatch::default()
        };
        let t = build(fields(), patch(device("123456789012", " alice-phone "))).unwrap();
        assert_eq!(
            t.aws.unwrap().mfa_serial.as_deref(),
            Some("arn:aws-cn:iam::123456789012:mfa/alice-phone")
        );
        // An alias is no account id: nothing to make the serial of.
        let t = build(fields(), patch(device("prod-team", "alice-phone"))).unwrap();
        assert_eq!(t.aws.unwrap().mfa_serial, None);
        assert_eq!(
            build(fields(), patch(device("123456789012", "alice phone"))).unwrap_err(),
            TokenError::AwsMfaDevice
        );
    }

    #[test]
    fn duplicates_are_refused_unless_allowed_and_skipped_on_import() {
        let stored = build(fields(), TokenPatch::default()).unwrap();
        let twin = build(
            fields(),
            TokenPatch {
                issuer: Some("Other".into()),
                ..TokenPatch::default()
            },
        )
        .unwrap();
        let err = admit(std::slice::from_ref(&stored), &twin, false).unwrap_err();
        assert_eq!(err.code(), ErrorCode::DuplicateToken);
        assert!(matches!(err, TokenError::Duplicate { id, .. } if id == stored.id));
        admit(std::slice::from_ref(&stored), &twin, true).unwrap();
        let other = build(
            GeneratorFields {
                digits: Some(8),
                ..fields()
            },
            TokenPatch::default(),
        )
        .unwrap();
        admit(std::slice::from_ref(&stored), &other, false).unwrap();
        assert_eq!(
            new_positions(std::slice::from_ref(&stored), &[other.clone(), twin, other]),
            [true, false, false]
        );
    }
}
