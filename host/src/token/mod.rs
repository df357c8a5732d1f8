//! The token record and its codes.
//!
//! A [`Token`] is everything FactorCat knows about one second factor: the
//! shared secret and the parameters that turn it into codes, plus the
//! metadata that ties it to sites and AWS accounts. Records carry a stable
//! UUID and their own `updated` time so that two copies of a vault can be
//! merged record by record (see `docs/vault.md`).
//!
//! [`rules`] holds what every new or changed token must obey, whichever
//! front end or importer it comes from.

mod rules;

pub use rules::{
    AwsFields, AwsPatch, GeneratorFields, KindName, ListPatch, MAX_LIST_ITEMS, TokenDraft,
    TokenError, TokenPatch, admit, new_positions, same_generator, settle,
};

use std::borrow::Cow;
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use totp_rs::{Algorithm as TotpAlgorithm, Builder};
use uuid::Uuid;

use crate::error::ErrorCode;
use crate::secret::Secret;

/// Fewest digits a numeric code may have.
pub const MIN_DIGITS: u8 = 6;
/// Most digits a numeric code may have.
pub const MAX_DIGITS: u8 = 10;
/// Longest TOTP period accepted, in seconds (one day); longer is a typo.
pub const MAX_PERIOD: u64 = 86_400;
/// Digits of a Steam Guard code.
pub const STEAM_DIGITS: u8 = 5;
/// Longest issuer, account name, site, tag or AWS field, in bytes.
pub const MAX_TEXT_LEN: usize = 512;

/// Seconds since the Unix epoch, now.
pub fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The HMAC hash function of a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "UPPERCASE")]
pub enum Algorithm {
    /// HMAC-SHA-1 (the default and by far the most common).
    #[default]
    Sha1,
    /// HMAC-SHA-256.
    Sha256,
    /// HMAC-SHA-512.
    Sha512,
}

impl Algorithm {
    /// The name used in otpauth URIs and by oathtool (`SHA1`, `SHA256`, `SHA512`).
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Sha1 => "SHA1",
            Algorithm::Sha256 => "SHA256",
            Algorithm::Sha512 => "SHA512",
        }
    }

    /// Parses `SHA1`, `sha-256`, `HmacSHA512` and similar spellings.
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim().to_ascii_uppercase().replace(['-', '_'], "");
        let t = t.strip_prefix("HMAC").unwrap_or(&t);
        match t {
            "SHA1" => Some(Algorithm::Sha1),
            "SHA256" => Some(Algorithm::Sha256),
            "SHA512" => Some(Algorithm::Sha512),
            _ => None,
        }
    }

    fn to_totp(self) -> TotpAlgorithm {
        match self {
            Algorithm::Sha1 => TotpAlgorithm::SHA1,
            Algorithm::Sha256 => TotpAlgorithm::SHA256,
            Algorithm::Sha512 => TotpAlgorithm::SHA512,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How codes are derived: time-based, counter-based or Steam Guard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Kind {
    /// RFC 6238: a code per `period` seconds.
    Totp {
        /// Length of a time step in seconds (≥ 1).
        period: u64,
    },
    /// RFC 4226: a code per counter value.
    Hotp {
        /// The *next* counter value to use. Handing out a code advances it.
        counter: u64,
    },
    /// Steam Guard: TOTP/SHA-1/30 s rendered as 5 characters of Steam's alphabet.
    Steam,
}

impl Kind {
    /// The lowercase name: `totp`, `hotp` or `steam`.
    pub fn name(&self) -> &'static str {
        match self {
            Kind::Totp { .. } => "totp",
            Kind::Hotp { .. } => "hotp",
            Kind::Steam => "steam",
        }
    }

    /// The time step in seconds for time-based kinds, `None` for HOTP.
    pub fn period(&self) -> Option<u64> {
        match self {
            // A zero period never passes `Token::validate`; guard anyway so
            // that no path can divide by zero.
            Kind::Totp { period } => Some((*period).max(1)),
            Kind::Steam => Some(30),
            Kind::Hotp { .. } => None,
        }
    }
}

/// AWS partitions. Tokens of one partition are never offered in another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Partition {
    /// Commercial regions (`signin.aws.amazon.com`).
    #[default]
    Aws,
    /// AWS GovCloud (US) (`signin.amazonaws-us-gov.com`).
    AwsUsGov,
    /// AWS China (`signin.amazonaws.cn`).
    AwsCn,
    /// AWS European Sovereign Cloud (`signin.amazonaws-eusc.eu`).
    AwsEusc,
}

impl Partition {
    /// The partition name as it appears in ARNs.
    pub fn as_str(self) -> &'static str {
        match self {
            Partition::Aws => "aws",
            Partition::AwsUsGov => "aws-us-gov",
            Partition::AwsCn => "aws-cn",
            Partition::AwsEusc => "aws-eusc",
        }
    }

    /// Parses an ARN partition name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "aws" => Some(Partition::Aws),
            "aws-us-gov" => Some(Partition::AwsUsGov),
            "aws-cn" => Some(Partition::AwsCn),
            "aws-eusc" => Some(Partition::AwsEusc),
            _ => None,
        }
    }
}

/// Which AWS identity a token is the MFA device of.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AwsContext {
    /// The 12-digit account id, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// The account alias, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_alias: Option<String>,
    /// The IAM user name, root e-mail or MFA device name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The partition the account lives in.
    #[serde(default)]
    pub partition: Partition,
    /// The IAM Identity Center instance the token is the MFA device of, by
    /// its AWS access portal URL as `site::aws::read_start_url` keeps it
    /// (`https://my-portal.awsapps.com/start`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sso_start_url: Option<String>,
    /// The Identity Center directory (`d-` and 10 hexadecimal digits) of
    /// that instance: learned from the portal's redirect to its sign-in
    /// page, or read from the address of a page of the instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sso_directory: Option<String>,
    /// The serial of the IAM virtual MFA device the token is, its ARN as
    /// [`MfaSerial`] reads it (`arn:aws:iam::123456789012:mfa/alice-phone`):
    /// what `factorcat code --aws-mfa-serial` and AWS tools look it up by.
    /// Its partition and account are the token's own (see `settle`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfa_serial: Option<String>,
}

impl AwsContext {
    /// True when the account is an AWS account id: exactly 12 ASCII digits.
    pub fn is_account_id(text: &str) -> bool {
        text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
    }

    /// True when `text` has the shape of an AWS account alias (the pattern
    /// of IAM's CreateAccountAlias): 3–63 lower-case letters, digits and
    /// hyphens, with no hyphen first, last or twice in a row.
    pub fn is_account_alias(text: &str) -> bool {
        (3..=63).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !text.starts_with('-')
            && !text.ends_with('-')
            && !text.contains("--")
    }

    /// True when the token belongs to an IAM Identity Center instance (a
    /// start URL or a directory is known), not to an IAM user or root.
    pub fn identity_center(&self) -> bool {
        self.view().identity_center()
    }

    /// The context, borrowed.
    pub fn view(&self) -> AwsView<'_> {
        AwsView {
            account_id: self.account_id.as_deref(),
            account_alias: self.account_alias.as_deref(),
            user: self.user.as_deref(),
            partition: self.partition,
            sso_start_url: self.sso_start_url.as_deref(),
            sso_directory: self.sso_directory.as_deref(),
            mfa_serial: self.mfa_serial.as_deref(),
        }
    }

    /// Records that the access portal `start_url` (as
    /// `site::aws::read_start_url` keeps it) leads to the Identity Center
    /// directory `directory`, when this token is bound to that portal and
    /// did not know it yet. Says whether anything changed.
    pub fn learn_directory(&mut self, start_url: &str, directory: &str) -> bool {
        let host = crate::site::aws::start_url_host;
        let ours = self
            .sso_start_url
            .as_deref()
            .is_some_and(|own| host(own).is_some() && host(own) == host(start_url));
        if !ours || self.sso_directory.as_deref() == Some(directory) {
            return false;
        }
        self.sso_directory = Some(directory.to_string());
        true
    }

    /// The serial of the MFA device the token is bound to, when it has one.
    pub fn serial(&self) -> Option<MfaSerial> {
        self.view().serial()
    }

    /// Splits an account reference into id or alias: 12 digits is an id,
    /// anything else an alias (lower-cased, as AWS aliases are).
    pub fn with_account(mut self, account: &str) -> Self {
        let account = account.trim();
        if Self::is_account_id(account) {
            self.account_id = Some(account.to_string());
        } else if !account.is_empty() {
            self.account_alias = Some(account.to_ascii_lowercase());
        }
        self
    }
}

/// An [`AwsContext`] borrowed from where it is kept (see
/// [`AwsContext::view`]; the vault's index hands out its text as it is):
/// what [`Identity::aws`] gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AwsView<'a> {
    /// The 12-digit account id, when known.
    pub account_id: Option<&'a str>,
    /// The account alias, when known.
    pub account_alias: Option<&'a str>,
    /// The IAM user name, root e-mail or MFA device name.
    pub user: Option<&'a str>,
    /// The partition the account lives in.
    pub partition: Partition,
    /// The IAM Identity Center access portal (see [`AwsContext`]).
    pub sso_start_url: Option<&'a str>,
    /// The Identity Center directory.
    pub sso_directory: Option<&'a str>,
    /// The serial of the IAM virtual MFA device the token is.
    pub mfa_serial: Option<&'a str>,
}

impl AwsView<'_> {
    /// True when the token belongs to an IAM Identity Center instance (a
    /// start URL or a directory is known), not to an IAM user or root.
    pub fn identity_center(&self) -> bool {
        self.sso_start_url.is_some() || self.sso_directory.is_some()
    }

    /// The serial of the MFA device the token is bound to, when it has one.
    pub fn serial(&self) -> Option<MfaSerial> {
        self.mfa_serial.and_then(MfaSerial::parse)
    }

    /// The context, copied.
    pub fn to_owned(&self) -> AwsContext {
        let own = |t: Option<&str>| t.map(str::to_string);
        AwsContext {
            account_id: own(self.account_id),
            account_alias: own(self.account_alias),
            user: own(self.user),
            partition: self.partition,
            sso_start_url: own(self.sso_start_url),
            sso_directory: own(self.sso_directory),
            mfa_serial: own(self.mfa_serial),
        }
    }
}

/// Longest name of an IAM virtual MFA device (IAM's
/// `VirtualMFADeviceName`).
pub const MAX_MFA_DEVICE_NAME: usize = 226;

/// The serial of an IAM virtual MFA device: its ARN,
/// `arn:<partition>:iam::<account>:mfa/<device name>` (with an IAM path,
/// `mfa/<path>/<device name>`). The root user's devices are the account's
/// own, named like any other (`root-account-mfa-device` by default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MfaSerial {
    /// The ARN partition.
    pub partition: Partition,
    /// The 12-digit account id.
    pub account_id: String,
    /// The IAM path between `mfa/` and the name, `/` when there is none.
    pub path: String,
    /// The device name (the last path segment).
    pub device: String,
}

impl MfaSerial {
    /// Parses an MFA serial ARN; `None` when it is not one. The device
    /// name must be what IAM allows (letters, digits and `_+=,.@-`, at
    /// most [`MAX_MFA_DEVICE_NAME`]); a path, printable ASCII.
    pub fn parse(arn: &str) -> Option<MfaSerial> {
        let mut parts = arn.trim().splitn(6, ':');
        let (Some("arn"), Some(partition), Some("iam"), Some(""), Some(account), Some(resource)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return None;
        };
        let partition = Partition::parse(partition)?;
        let rest = resource.strip_prefix("mfa/")?;
        let (path, device) = match rest.rsplit_once('/') {
            Some((path, device)) => (format!("/{path}/"), device),
            None => ("/".to_string(), rest),
        };
        let path_ok = path.bytes().all(|b| b.is_ascii_graphic()) && !path.contains("//");
        if !AwsContext::is_account_id(account) || !path_ok || !Self::is_device_name(device) {
            return None;
        }
        Some(MfaSerial {
            partition,
            account_id: account.to_string(),
            path,
            device: device.to_string(),
        })
    }

    /// The serial of the device `device` (no path, as the IAM console
    /// creates them) of this account.
    pub fn of_device(partition: Partition, account_id: &str, device: &str) -> Option<MfaSerial> {
        (AwsContext::is_account_id(account_id) && Self::is_device_name(device)).then(|| MfaSerial {
            partition,
            account_id: account_id.to_string(),
            path: "/".to_string(),
            device: device.to_string(),
        })
    }

    /// True when `name` is a name IAM gives a virtual MFA device: 1 to
    /// [`MAX_MFA_DEVICE_NAME`] letters, digits and `_+=,.@-`.
    pub fn is_device_name(name: &str) -> bool {
        (1..=MAX_MFA_DEVICE_NAME).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b))
    }

    /// The ARN.
    pub fn arn(&self) -> String {
        format!(
            "arn:{}:iam::{}:mfa{}{}",
            self.partition.as_str(),
            self.account_id,
            self.path,
            self.device
        )
    }

    /// The same device: the same partition and account, and the same path
    /// and name ignoring letter case (IAM names are not told apart by
    /// case).
    pub fn same_device(&self, other: &MfaSerial) -> bool {
        self.partition == other.partition
            && self.account_id == other.account_id
            && self.path.eq_ignore_ascii_case(&other.path)
            && self.device.eq_ignore_ascii_case(&other.device)
    }
}

/// Why token parameters were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    /// Digits outside 6–10.
    #[error(
        "{0} digits is not supported; codes have between {MIN_DIGITS} and {MAX_DIGITS} digits (6 is the usual value)"
    )]
    Digits(u32),
    /// Period zero or over a day.
    #[error(
        "a period of {0} seconds is not supported; use 1 to {MAX_PERIOD} seconds (30 is the usual value)"
    )]
    Period(u64),
    /// A text field longer than [`MAX_TEXT_LEN`].
    #[error("the {0} is longer than {MAX_TEXT_LEN} bytes; shorten it")]
    TooLong(&'static str),
    /// More than [`MAX_LIST_ITEMS`] sites or tags.
    #[error("a token can have at most {MAX_LIST_ITEMS} {0}; remove some")]
    TooMany(&'static str),
}

impl ParamError {
    /// The error code: [`ErrorCode::InvalidToken`].
    pub fn code(&self) -> ErrorCode {
        ErrorCode::InvalidToken
    }
}

/// One second factor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Token {
    /// Stable identity, kept across edits, exports and merges.
    pub id: Uuid,
    /// Who issued the token (`GitHub`, `Amazon Web Services`); may be empty.
    #[serde(default)]
    pub issuer: String,
    /// The account at the issuer (user name, e-mail, device name).
    #[serde(default)]
    pub account: String,
    /// The shared key.
    pub secret: Secret,
    /// HMAC hash function (Steam tokens always use SHA-1).
    #[serde(default)]
    pub algorithm: Algorithm,
    /// Digits of a code (5 for Steam).
    pub digits: u8,
    /// TOTP, HOTP or Steam, with the period or counter.
    pub kind: Kind,
    /// Hostnames or registrable domains the token belongs to.
    #[serde(default)]
    pub sites: Vec<String>,
    /// The AWS identity, for AWS MFA devices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws: Option<AwsContext>,
    /// Free-form labels.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Pinned tokens sort first.
    #[serde(default)]
    pub pinned: bool,
    /// Creation time, Unix seconds.
    pub created: u64,
    /// Last change, Unix seconds; the newer record wins in a merge.
    pub updated: u64,
}

impl Token {
    /// A new TOTP token (SHA-1, 6 digits, 30 s) with a fresh id, for builders
    /// to adjust.
    pub fn new(issuer: impl Into<String>, account: impl Into<String>, secret: Secret) -> Self {
        let now = now_unix();
        Token {
            id: Uuid::new_v4(),
            issuer: issuer.into(),
            account: account.into(),
            secret,
            algorithm: Algorithm::Sha1,
            digits: 6,
            kind: Kind::Totp { period: 30 },
            sites: Vec::new(),
            aws: None,
            tags: Vec::new(),
            pinned: false,
            created: now,
            updated: now,
        }
    }

    /// Checks digits, period, field lengths and list lengths. Every way a
    /// token enters the vault (URI, CLI fields, import, protocol) calls this,
    /// through [`settle`].
    pub fn validate(&self) -> Result<(), ParamError> {
        match self.kind {
            Kind::Steam => {
                if self.digits != STEAM_DIGITS {
                    return Err(ParamError::Digits(self.digits.into()));
                }
            }
            Kind::Totp { period } => {
                if period == 0 || period > MAX_PERIOD {
                    return Err(ParamError::Period(period));
                }
                check_digits(self.digits)?;
            }
            Kind::Hotp { .. } => check_digits(self.digits)?,
        }
        let texts = [("issuer", &self.issuer), ("account name", &self.account)];
        for (what, text) in texts {
            if text.len() > MAX_TEXT_LEN {
                return Err(ParamError::TooLong(what));
            }
        }
        for (what, list) in [("sites", &self.sites), ("tags", &self.tags)] {
            if list.len() > MAX_LIST_ITEMS {
                return Err(ParamError::TooMany(what));
            }
        }
        if self.sites.iter().any(|s| s.len() > MAX_TEXT_LEN) {
            return Err(ParamError::TooLong("site"));
        }
        if self.tags.iter().any(|s| s.len() > MAX_TEXT_LEN) {
            return Err(ParamError::TooLong("tag"));
        }
        if let Some(aws) = &self.aws {
            for field in [
                &aws.account_id,
                &aws.account_alias,
                &aws.user,
                &aws.sso_start_url,
                &aws.sso_directory,
                &aws.mfa_serial,
            ]
            .into_iter()
            .flatten()
            {
                if field.len() > MAX_TEXT_LEN {
                    return Err(ParamError::TooLong("AWS field"));
                }
            }
        }
        Ok(())
    }

    /// "Issuer (account)", or whichever of the two is present.
    pub fn label(&self) -> String {
        Identity::label(self)
    }

    /// Everything about the token except its secret, as the JSON object
    /// that `factorcat list --json`, `show --json` and the native host's
    /// replies use (see [`TokenMeta::to_map`]).
    pub fn metadata(&self) -> serde_json::Map<String, serde_json::Value> {
        TokenMeta::of(self).to_map()
    }

    /// Marks the record as changed now (for merges).
    pub fn touch(&mut self) {
        self.updated = now_unix().max(self.updated);
    }

    fn generator(&self, step: u64) -> totp_rs::Totp {
        let builder = match self.kind {
            Kind::Steam => Builder::new_steam(),
            _ => Builder::new()
                .with_algorithm(self.algorithm.to_totp())
                .with_digits(self.digits),
        };
        builder
            .with_secret(self.secret.expose().to_vec())
            .with_step_duration(step)
            .build_noncompliant()
    }

    /// The time-based code for Unix time `time`. For HOTP tokens this is the
    /// code of the stored counter (it does not advance it; see [`Token::hotp_code`]).
    pub fn code_at(&self, time: u64) -> String {
        match self.kind {
            Kind::Totp { period } => self.render(period.max(1), time),
            Kind::Steam => self.render(30, time),
            Kind::Hotp { counter } => self.hotp_code(counter),
        }
    }

    /// totp-rs renders up to 9 digits; its `u32` modulus cannot express
    /// 10^10, so for 10 digits we take its HMAC and apply RFC 4226's dynamic
    /// truncation, whose 31-bit result is always below 10^10.
    fn render(&self, step: u64, time: u64) -> String {
        let generator = self.generator(step);
        if self.digits < 10 || self.kind == Kind::Steam {
            return generator.generate(time).to_string();
        }
        let mac = generator.sign(time);
        let mac = mac.as_ref();
        let offset = usize::from(mac[mac.len() - 1] & 0x0f);
        let value = u32::from_be_bytes([
            mac[offset],
            mac[offset + 1],
            mac[offset + 2],
            mac[offset + 3],
        ]) & 0x7fff_ffff;
        format!("{value:0width$}", width = usize::from(self.digits))
    }

    /// The HOTP code for `counter` (RFC 4226). Computed as a one-second TOTP
    /// at time `counter`, which is exactly HOTP(K, counter).
    pub fn hotp_code(&self, counter: u64) -> String {
        self.render(1, counter)
    }

    /// Seconds until the code at `time` expires, for time-based kinds.
    pub fn seconds_left(&self, time: u64) -> Option<u64> {
        self.kind.period().map(|p| p - time % p)
    }
}

/// What identifies a token to a person or a query, without its secret:
/// implemented by full [`Token`]s and by the light [`TokenHead`]s that
/// look-ups decode from a vault.
pub trait Identity {
    /// The stable id.
    fn id(&self) -> Uuid;
    /// The issuer (may be empty).
    fn issuer(&self) -> &str;
    /// The account name (may be empty).
    fn account(&self) -> &str;
    /// The AWS identity, if any.
    fn aws(&self) -> Option<AwsView<'_>>;
    /// "Issuer (account)", or whichever of the two is present.
    fn label(&self) -> String {
        match (self.issuer().is_empty(), self.account().is_empty()) {
            (false, false) => format!("{} ({})", self.issuer(), self.account()),
            (false, true) => self.issuer().to_string(),
            (true, false) => self.account().to_string(),
            (true, true) => self.id().to_string(),
        }
    }
}

/// The identifying fields of a stored token, decoded without the secret or
/// anything else (see `Vault::read_one`). Its AWS identity
/// ([`Identity::aws`]) may be kept as the vault stores it and decoded when
/// first asked for: finding a token by name, among a thousand, never needs
/// it. Its texts may be borrowed from what the vault decrypted.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(from = "HeadFields", into = "HeadFields")]
pub struct TokenHead<'a> {
    /// The stable id.
    pub id: Uuid,
    /// The issuer.
    pub issuer: Cow<'a, str>,
    /// The account name.
    pub account: Cow<'a, str>,
    aws: LaterAws<'a>,
}

/// A [`TokenHead`] as its fields are stored.
#[derive(Serialize, Deserialize)]
struct HeadFields {
    id: Uuid,
    #[serde(default)]
    issuer: String,
    #[serde(default)]
    account: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    aws: Option<AwsContext>,
}

impl From<TokenHead<'_>> for HeadFields {
    fn from(h: TokenHead<'_>) -> HeadFields {
        HeadFields {
            aws: h.aws.get().cloned(),
            id: h.id,
            issuer: h.issuer.into_owned(),
            account: h.account.into_owned(),
        }
    }
}

impl From<HeadFields> for TokenHead<'_> {
    fn from(f: HeadFields) -> Self {
        TokenHead {
            id: f.id,
            issuer: Cow::Owned(f.issuer),
            account: Cow::Owned(f.account),
            aws: LaterAws::decoded(f.aws),
        }
    }
}

/// An AWS identity, decoded or still as a vault stores it. The decoded
/// identity is boxed: a thousand heads of a look-up stay small.
#[derive(Debug, Clone, Default)]
struct LaterAws<'a> {
    stored: Option<StoredAws<'a>>,
    decoded: std::cell::OnceCell<Option<Box<AwsContext>>>,
}

/// An AWS identity as a vault stores it, and the function that decodes it.
#[derive(Debug, Clone)]
struct StoredAws<'a> {
    bytes: Cow<'a, [u8]>,
    decode: fn(&[u8]) -> Option<AwsContext>,
}

impl LaterAws<'_> {
    fn decoded(aws: Option<AwsContext>) -> Self {
        LaterAws {
            stored: None,
            decoded: std::cell::OnceCell::from(aws.map(Box::new)),
        }
    }

    /// The identity; stored bytes that do not decode as one (which no
    /// FactorCat writes) count as none.
    fn get(&self) -> Option<&AwsContext> {
        self.decoded
            .get_or_init(|| {
                self.stored
                    .as_ref()
                    .and_then(|s| (s.decode)(&s.bytes))
                    .map(Box::new)
            })
            .as_deref()
    }
}

/// An AWS identity from its JSON text.
fn aws_of_json(text: &[u8]) -> Option<AwsContext> {
    serde_json::from_slice(text).ok()
}

impl PartialEq for TokenHead<'_> {
    fn eq(&self, other: &TokenHead<'_>) -> bool {
        (self.id, &self.issuer, &self.account, self.aws.get())
            == (other.id, &other.issuer, &other.account, other.aws.get())
    }
}

impl Eq for TokenHead<'_> {}

/// How a record keeps its AWS identity: decoded, borrowed (a
/// [`TokenSites`]'), or (a [`TokenHead`]'s) decoded when first asked for.
trait AwsField {
    fn identity(&self) -> Option<AwsView<'_>>;
}

impl AwsField for Option<AwsContext> {
    fn identity(&self) -> Option<AwsView<'_>> {
        self.as_ref().map(AwsContext::view)
    }
}

impl AwsField for LaterAws<'_> {
    fn identity(&self) -> Option<AwsView<'_>> {
        self.get().map(AwsContext::view)
    }
}

impl AwsField for Option<AwsView<'_>> {
    fn identity(&self) -> Option<AwsView<'_>> {
        *self
    }
}

/// The fields of a stored token that site matching reads (see
/// `crate::site::match_url`), borrowed from where they are kept: a
/// [`Token`], a [`TokenMeta`], or the vault's index as it was decrypted
/// (see `Vault::read_matching`), so that matching a thousand tokens copies
/// none of them.
#[derive(Debug, Clone, Copy)]
pub struct TokenSites<'a> {
    /// The stable id.
    pub id: Uuid,
    /// The issuer.
    pub issuer: &'a str,
    /// The account name.
    pub account: &'a str,
    /// The sites.
    pub sites: Texts<'a>,
    /// The AWS identity.
    pub aws: Option<AwsView<'a>>,
    /// Whether the token is pinned.
    pub pinned: bool,
    /// The length of a time step in seconds (`None` for HOTP), which dates
    /// the vault's fill record.
    pub period: Option<u64>,
    /// Creation time, Unix seconds.
    pub created: u64,
}

impl<'a> TokenSites<'a> {
    /// The matching fields of `token`.
    pub fn of(token: &'a Token) -> TokenSites<'a> {
        TokenSites::from(token)
    }

    /// The matching fields of `meta`.
    pub fn of_meta(meta: &'a TokenMeta) -> TokenSites<'a> {
        TokenSites::from(meta)
    }
}

/// `From<&record> for TokenSites` for records that keep the matching
/// fields under their names (`id`, `issuer`, `account`, `sites`, `aws`,
/// `pinned`, `kind`, `created`), borrowed.
macro_rules! sites_from_fields {
    ($($record:ty),*) => {$(
        impl<'a> From<&'a $record> for $crate::token::TokenSites<'a> {
            fn from(r: &'a $record) -> Self {
                $crate::token::TokenSites {
                    id: r.id,
                    issuer: &r.issuer,
                    account: &r.account,
                    sites: $crate::token::Texts::of(&r.sites),
                    aws: r.aws.as_ref().map($crate::token::AwsContext::view),
                    pinned: r.pinned,
                    period: r.kind.period(),
                    created: r.created,
                }
            }
        }
    )*};
}
pub(crate) use sites_from_fields;

sites_from_fields!(Token, TokenMeta);

impl PartialEq for TokenSites<'_> {
    fn eq(&self, other: &Self) -> bool {
        (
            self.id,
            self.issuer,
            self.account,
            self.aws,
            self.pinned,
            self.period,
            self.created,
        ) == (
            other.id,
            other.issuer,
            other.account,
            other.aws,
            other.pinned,
            other.period,
            other.created,
        ) && self.sites.iter().eq(other.sites.iter())
    }
}

impl Eq for TokenSites<'_> {}

/// A borrowed list of texts (a token's sites or tags): strings kept
/// apart, or a list as a vault's index encodes it, read as it is walked.
#[derive(Clone, Copy)]
pub struct Texts<'a>(TextsRepr<'a>);

#[derive(Clone, Copy)]
enum TextsRepr<'a> {
    Strings(&'a [String]),
    Encoded {
        count: usize,
        bytes: &'a [u8],
        next: for<'b> fn(&mut &'b [u8]) -> &'b str,
    },
}

impl<'a> Texts<'a> {
    /// The texts of `list`.
    pub fn of(list: &'a [String]) -> Texts<'a> {
        Texts(TextsRepr::Strings(list))
    }

    /// `count` texts encoded in `bytes`, which `next` reads one at a time
    /// (taking the text from the front of the bytes it is given). The
    /// bytes must have been checked to hold exactly that many.
    pub(crate) fn encoded(
        count: usize,
        bytes: &'a [u8],
        next: for<'b> fn(&mut &'b [u8]) -> &'b str,
    ) -> Texts<'a> {
        Texts(TextsRepr::Encoded { count, bytes, next })
    }

    /// How many texts there are.
    pub fn len(&self) -> usize {
        match self.0 {
            TextsRepr::Strings(list) => list.len(),
            TextsRepr::Encoded { count, .. } => count,
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The texts, in order.
    pub fn iter(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        let (strings, encoded) = match self.0 {
            TextsRepr::Strings(list) => (list, None),
            TextsRepr::Encoded { count, bytes, next } => (&[][..], Some((count, bytes, next))),
        };
        let encoded = encoded
            .into_iter()
            .flat_map(|(count, mut bytes, next)| (0..count).map(move |_| next(&mut bytes)));
        strings.iter().map(String::as_str).chain(encoded)
    }

    /// The texts, copied.
    pub fn to_vec(&self) -> Vec<String> {
        self.iter().map(str::to_string).collect()
    }
}

impl fmt::Debug for Texts<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl PartialEq for Texts<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Texts<'_> {}

/// Everything about a stored token but its secret. It is what
/// [`Token::metadata`] reports, and what the vault's index keeps of each
/// token, so that listing and site matching never decrypt a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenMeta {
    /// The stable id.
    pub id: Uuid,
    /// The issuer.
    pub issuer: String,
    /// The account name.
    pub account: String,
    /// HMAC hash function.
    pub algorithm: Algorithm,
    /// Digits of a code.
    pub digits: u8,
    /// TOTP, HOTP or Steam, with the period or counter.
    pub kind: Kind,
    /// The sites.
    pub sites: Vec<String>,
    /// The AWS identity.
    pub aws: Option<AwsContext>,
    /// Free-form labels.
    pub tags: Vec<String>,
    /// Whether the token is pinned.
    pub pinned: bool,
    /// Creation time, Unix seconds.
    pub created: u64,
    /// Last change, Unix seconds.
    pub updated: u64,
}

impl TokenMeta {
    /// Everything of `token` but its secret.
    pub fn of(token: &Token) -> TokenMeta {
        TokenMeta {
            id: token.id,
            issuer: token.issuer.clone(),
            account: token.account.clone(),
            algorithm: token.algorithm,
            digits: token.digits,
            kind: token.kind.clone(),
            sites: token.sites.clone(),
            aws: token.aws.clone(),
            tags: token.tags.clone(),
            pinned: token.pinned,
            created: token.created,
            updated: token.updated,
        }
    }

    /// The JSON object of `factorcat list --json`, `show --json` and the
    /// native host's replies: `id`, `issuer`, `account`, `label`, `kind`,
    /// `algorithm`, `digits`, `period` (time-based) or `counter` (HOTP),
    /// `sites`, `tags`, `pinned`, `created`, `updated`, and `aws` when set.
    pub fn to_map(&self) -> serde_json::Map<String, serde_json::Value> {
        use serde_json::json;
        let mut map = serde_json::Map::new();
        map.insert("id".into(), json!(self.id));
        map.insert("issuer".into(), json!(self.issuer));
        map.insert("account".into(), json!(self.account));
        map.insert("label".into(), json!(Identity::label(self)));
        map.insert("kind".into(), json!(self.kind.name()));
        map.insert("algorithm".into(), json!(self.algorithm.as_str()));
        map.insert("digits".into(), json!(self.digits));
        match self.kind {
            Kind::Hotp { counter } => map.insert("counter".into(), json!(counter)),
            _ => map.insert("period".into(), json!(self.kind.period())),
        };
        map.insert("sites".into(), json!(self.sites));
        map.insert("tags".into(), json!(self.tags));
        map.insert("pinned".into(), json!(self.pinned));
        map.insert("created".into(), json!(self.created));
        map.insert("updated".into(), json!(self.updated));
        if let Some(aws) = &self.aws {
            map.insert("aws".into(), json!(aws));
        }
        map
    }
}

impl<'a> TokenHead<'a> {
    /// The identity of `token`, its texts borrowed from it.
    pub fn of(token: &'a Token) -> TokenHead<'a> {
        TokenHead {
            id: token.id,
            issuer: Cow::Borrowed(&token.issuer),
            account: Cow::Borrowed(&token.account),
            aws: LaterAws::decoded(token.aws.clone()),
        }
    }

    /// A head whose AWS identity is `aws`, the JSON text of an
    /// [`AwsContext`] (or none), decoded when first asked for.
    pub(crate) fn with_aws_text(
        id: Uuid,
        issuer: String,
        account: String,
        aws: Option<Box<serde_json::value::RawValue>>,
    ) -> TokenHead<'a> {
        let text = aws.map(|t| Cow::Owned(Box::<str>::from(t).into_boxed_bytes().into_vec()));
        TokenHead::with_stored_aws(id, issuer.into(), account.into(), text, aws_of_json)
    }

    /// A head whose AWS identity is `aws` as a vault stores it (or none),
    /// which `decode` turns into an [`AwsContext`] when first asked for.
    pub(crate) fn with_stored_aws(
        id: Uuid,
        issuer: Cow<'a, str>,
        account: Cow<'a, str>,
        aws: Option<Cow<'a, [u8]>>,
        decode: fn(&[u8]) -> Option<AwsContext>,
    ) -> TokenHead<'a> {
        TokenHead {
            id,
            issuer,
            account,
            aws: LaterAws {
                stored: aws.map(|bytes| StoredAws { bytes, decode }),
                decoded: std::cell::OnceCell::new(),
            },
        }
    }
}

/// `Identity` for records that keep the identity in fields of those names.
macro_rules! identity_from_fields {
    ($($record:ty),*) => {$(
        impl Identity for $record {
            fn id(&self) -> Uuid {
                self.id
            }
            fn issuer(&self) -> &str {
                &self.issuer
            }
            fn account(&self) -> &str {
                &self.account
            }
            fn aws(&self) -> Option<AwsView<'_>> {
                AwsField::identity(&self.aws)
            }
        }
    )*};
}

identity_from_fields!(Token, TokenHead<'_>, TokenSites<'_>, TokenMeta);

fn check_digits(digits: u8) -> Result<(), ParamError> {
    if (MIN_DIGITS..=MAX_DIGITS).contains(&digits) {
        Ok(())
    } else {
        Err(ParamError::Digits(digits.into()))
    }
}
