//! Which tokens belong to which web page.
//!
//! Matching lives in the host so that every browser and the CLI agree. The
//! rules, in short (the full statement is `docs/protocol.md`, operation
//! `match`):
//!
//! * only `https` pages match;
//! * a token's site covers the page's host and its subdomains, but never more
//!   than the host's registrable domain (decided by a bundled, dated copy of
//!   the Public Suffix List), so a site cannot be a public suffix and
//!   lookalike hosts match nothing;
//! * tokens without sites borrow the default sites of well-known issuers;
//! * AWS sign-in hosts carry a partition and sometimes an account, and tokens
//!   with an AWS context match only there, in their own partition;
//! * hints from the page (account, user, e-mail) rank the tokens the URL
//!   allows; they never add one.

use std::cmp::Reverse;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use url::{Host, Url};
use uuid::Uuid;

use crate::error::ErrorCode;
use crate::token::{AwsContext, Identity, Partition, Token, TokenSites};

/// The date of the bundled Public Suffix List (`scripts/update-psl.sh`
/// refreshes it).
pub const PSL_DATE: &str = include_str!("data/public_suffix_list.version");

/// The bundled list itself: `build.rs` compiles it into the trie of
/// [`psl`]; the tests parse it with the `publicsuffix` crate as an oracle.
#[cfg(test)]
const PSL_TEXT: &str = include_str!("data/public_suffix_list.dat");
const ISSUERS_JSON: &str = include_str!("data/issuers.json");

/// Longest host name (RFC 1035).
const MAX_HOST_LEN: usize = 253;

/// Why a URL or a site could not be used for matching.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SiteError {
    /// The URL does not parse.
    #[error(
        "the URL could not be read ({0}); send the page's full address, starting with https://"
    )]
    InvalidUrl(String),
    /// The URL has no host name (for example `data:` or `file:` URLs).
    #[error("the URL has no host name; only https:// pages can be matched")]
    NoHost,
    /// The page is not served over https.
    #[error(
        "the page is not served over https (scheme `{0}`); codes are only offered on https pages"
    )]
    Insecure(String),
    /// A site given for a token is not a host name.
    #[error(
        "a site must be a host name such as github.com (or an https:// address); fix or remove it"
    )]
    InvalidSite,
}

impl SiteError {
    /// The stable protocol error code.
    pub fn code(&self) -> ErrorCode {
        match self {
            SiteError::InvalidUrl(_) | SiteError::NoHost => ErrorCode::InvalidUrl,
            SiteError::Insecure(_) => ErrorCode::InsecureUrl,
            SiteError::InvalidSite => ErrorCode::InvalidToken,
        }
    }
}

/// What matching reads of a token beyond its [`Identity`]: implemented by
/// full [`Token`]s and by [`TokenSites`], the lighter records decoded without
/// secrets.
pub trait Matchable: Identity {
    /// The sites the token belongs to.
    fn sites(&self) -> &[String];
    /// Whether the token is pinned.
    fn pinned(&self) -> bool;
}

impl Matchable for Token {
    fn sites(&self) -> &[String] {
        &self.sites
    }
    fn pinned(&self) -> bool {
        self.pinned
    }
}

impl Matchable for TokenSites {
    fn sites(&self) -> &[String] {
        &self.sites
    }
    fn pinned(&self) -> bool {
        self.pinned
    }
}

/// What the page says about who is signing in. Every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hint {
    /// An AWS account id or alias shown on the page.
    #[serde(default)]
    pub account: Option<String>,
    /// A user name shown on the page.
    #[serde(default)]
    pub user: Option<String>,
    /// An e-mail address shown on the page (AWS root users sign in with one).
    #[serde(default)]
    pub email: Option<String>,
}

/// How strongly a token matches a page, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strength {
    /// The token belongs to the site, nothing more is known.
    Site,
    /// The site, and the user name or e-mail agree.
    User,
    /// The site and the AWS account agree.
    Account,
    /// The site, the AWS account and the user all agree.
    AccountUser,
}

/// Which AWS sign-in service a page belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AwsService {
    /// Console sign-in (`signin.aws.amazon.com` and its partition twins).
    Console,
    /// IAM Identity Center (`*.awsapps.com`, `*.signin.aws`).
    IdentityCenter,
}

/// What an AWS sign-in host reveals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwsPage {
    /// The partition the host belongs to.
    pub partition: Partition,
    /// Console or Identity Center.
    pub service: AwsService,
    /// The account id or alias from the host's first label, if it names one.
    pub account: Option<String>,
    /// The region from the host's first label, if it names one.
    pub region: Option<String>,
}

/// One token that may be used on the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The token's id.
    pub id: Uuid,
    /// The token's position in the slice given to [`match_url`].
    pub index: usize,
    /// How strongly it matches.
    pub strength: Strength,
}

/// The outcome of [`match_url`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchResult {
    /// The page's host, lower-case ASCII (punycode for IDNs).
    pub host: String,
    /// The host's registrable domain, when it has one (not for IP addresses).
    pub site: Option<String>,
    /// AWS details when the host is an AWS sign-in host.
    pub aws: Option<AwsPage>,
    /// Matching tokens, strongest first; pinned tokens first within a
    /// strength, then in the order given.
    pub candidates: Vec<Candidate>,
    /// The strength a lone top candidate needs to be filled without asking:
    /// [`Strength::Account`] when the URL or the hint names an AWS account
    /// (a token whose account is unknown could belong to another one),
    /// otherwise [`Strength::Site`].
    pub autofill_needs: Strength,
}

impl MatchResult {
    /// The token that may be filled without asking: `Some` only when exactly
    /// one candidate has the top strength, and that strength is at least
    /// [`MatchResult::autofill_needs`].
    pub fn autofill(&self) -> Option<Uuid> {
        let first = self.candidates.first()?;
        if first.strength < self.autofill_needs {
            return None;
        }
        match self.candidates.get(1) {
            Some(second) if second.strength == first.strength => None,
            _ => Some(first.id),
        }
    }
}

/// The registrable domain ("eTLD+1") of a lower-case ASCII host name, from
/// the bundled Public Suffix List. `None` for public suffixes themselves,
/// single labels and IP addresses.
pub fn registrable_domain(host: &str) -> Option<&str> {
    if host.parse::<std::net::IpAddr>().is_ok() {
        return None;
    }
    let len = psl::domain(host.as_bytes())?.len();
    host.get(host.len() - len..)
}

/// Turns what people type as a site (`GitHub.com`, `https://github.com/login`,
/// `bücher.example`) into a lower-case ASCII host name.
pub fn normalize_site(text: &str) -> Result<String, SiteError> {
    let text = text.trim();
    if text.is_empty() || text.len() > MAX_HOST_LEN * 2 {
        return Err(SiteError::InvalidSite);
    }
    let with_scheme;
    let full = if text.contains("://") {
        text
    } else {
        with_scheme = format!("https://{text}");
        &with_scheme
    };
    let url = Url::parse(full).map_err(|_| SiteError::InvalidSite)?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(SiteError::InvalidSite);
    }
    // Under another scheme (`androidapp://…`) the host is opaque to the URL
    // parser and not checked as a domain: read it again as an https host,
    // so that a site is always one that this function accepts again (found
    // by fuzzing: `hptps://deno.0X/` gave the site `deno.0X`, which
    // `https://` refuses).
    let url = url
        .host_str()
        .filter(|h| !h.is_empty())
        .and_then(|h| Url::parse(&format!("https://{h}/")).ok())
        .ok_or(SiteError::InvalidSite)?;
    let host = match url.host() {
        Some(Host::Domain(d)) => d.trim_end_matches('.').to_string(),
        Some(Host::Ipv4(ip)) => ip.to_string(),
        Some(Host::Ipv6(ip)) => ip.to_string(),
        None => return Err(SiteError::InvalidSite),
    };
    if host.is_empty() || host.len() > MAX_HOST_LEN || !host.contains(['.', ':']) {
        return Err(SiteError::InvalidSite);
    }
    Ok(host)
}

/// One row of `data/issuers.json`.
#[derive(Debug, Deserialize)]
struct IssuerEntry {
    issuer: String,
    #[serde(default)]
    aliases: Vec<String>,
    sites: Vec<String>,
}

impl IssuerEntry {
    fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.issuer.as_str()).chain(self.aliases.iter().map(String::as_str))
    }
}

fn issuers() -> &'static [IssuerEntry] {
    static TABLE: OnceLock<Vec<IssuerEntry>> = OnceLock::new();
    TABLE.get_or_init(|| serde_json::from_str(ISSUERS_JSON).unwrap_or_default())
}

/// The default sites of a well-known issuer (`GitHub` → `github.com`),
/// compared without regard to case; empty for others.
pub fn issuer_sites(issuer: &str) -> &'static [String] {
    let issuer = issuer.trim();
    issuers()
        .iter()
        .find(|e| e.names().any(|n| n.eq_ignore_ascii_case(issuer)))
        .map(|e| e.sites.as_slice())
        .unwrap_or(&[])
}

/// True when `label` has the shape of an AWS region name (`us-east-1`,
/// `ap-southeast-2`, `us-gov-west-1`, `cn-north-1`).
pub fn is_region(label: &str) -> bool {
    let parts: Vec<&str> = label.split('-').collect();
    if parts.len() < 3 || parts.len() > 4 {
        return false;
    }
    let first = parts[0];
    let last = parts[parts.len() - 1];
    first.len() == 2
        && first.bytes().all(|b| b.is_ascii_lowercase())
        && (1..=2).contains(&last.len())
        && last.bytes().all(|b| b.is_ascii_digit())
        && parts[1..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
}

/// True when `text` can be an AWS account alias: 3–63 lower-case letters,
/// digits and hyphens, not all digits, no leading or trailing hyphen.
pub fn is_account_alias(text: &str) -> bool {
    (3..=63).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !text.starts_with('-')
        && !text.ends_with('-')
        && !text.bytes().all(|b| b.is_ascii_digit())
}

/// Console sign-in hosts per partition.
const AWS_CONSOLE_HOSTS: [(&str, Partition); 3] = [
    ("signin.aws.amazon.com", Partition::Aws),
    ("signin.amazonaws-us-gov.com", Partition::AwsUsGov),
    ("signin.amazonaws.cn", Partition::AwsCn),
];

/// Identity Center hosts: only their subdomains sign people in.
const AWS_IDENTITY_CENTER_HOSTS: [(&str, Partition); 2] = [
    ("awsapps.com", Partition::Aws),
    ("signin.aws", Partition::Aws),
];

/// The single label in front of `base` in `host`, if `host` is exactly
/// `<label>.<base>`.
fn label_before<'h>(host: &'h str, base: &str) -> Option<&'h str> {
    let rest = host.strip_suffix(base)?.strip_suffix('.')?;
    (!rest.is_empty() && !rest.contains('.')).then_some(rest)
}

/// Recognises AWS sign-in hosts. `None` for every other host, including
/// deeper subdomains and lookalikes.
pub fn aws_page(host: &str) -> Option<AwsPage> {
    for (base, partition) in AWS_CONSOLE_HOSTS {
        if host == base {
            return Some(AwsPage {
                partition,
                service: AwsService::Console,
                account: None,
                region: None,
            });
        }
        if let Some(label) = label_before(host, base) {
            let (account, region) = if is_region(label) {
                (None, Some(label.to_string()))
            } else if AwsContext::is_account_id(label) || is_account_alias(label) {
                (Some(label.to_string()), None)
            } else {
                return None;
            };
            return Some(AwsPage {
                partition,
                service: AwsService::Console,
                account,
                region,
            });
        }
    }
    for (base, partition) in AWS_IDENTITY_CENTER_HOSTS {
        if let Some(label) = label_before(host, base) {
            return Some(AwsPage {
                partition,
                service: AwsService::IdentityCenter,
                account: None,
                region: is_region(label).then(|| label.to_string()),
            });
        }
    }
    None
}

/// The host an AWS page's sites must stay inside: the console host of its
/// partition, or the Identity Center domain.
fn aws_site_floor(host: &str, page: &AwsPage) -> &'static str {
    let table: &[(&'static str, Partition)] = match page.service {
        AwsService::Console => &AWS_CONSOLE_HOSTS,
        AwsService::IdentityCenter => &AWS_IDENTITY_CENTER_HOSTS,
    };
    table
        .iter()
        .find(|(base, _)| host == *base || host.ends_with(&format!(".{base}")))
        .map(|(base, _)| *base)
        .unwrap_or("")
}

/// Everything about the page that each token is compared with, computed
/// once per request.
struct Page<'a> {
    host: &'a str,
    /// Sites must be at least this long (the registrable domain, or the
    /// whole host when there is none).
    floor: usize,
    aws: Option<AwsPage>,
    /// Issuers whose default sites cover the page.
    default_issuers: Vec<&'static IssuerEntry>,
    /// Accounts named by the URL and the hint, trimmed and lower-case.
    accounts: Vec<String>,
    hint_users: Vec<String>,
}

/// Does the stored site cover the page's host?
fn covers(site: &str, page: &Page<'_>) -> bool {
    let cover = |s: &str| {
        s.len() >= page.floor
            && page.host.ends_with(s)
            && (page.host.len() == s.len()
                || page.host.as_bytes()[page.host.len() - s.len() - 1] == b'.')
    };
    if cover(site) {
        return true;
    }
    // Sites are stored normalized; older or imported records may not be.
    let clean = site
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
    !clean && normalize_site(site).is_ok_and(|s| cover(&s))
}

/// Agreement between two account references.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Agree {
    Yes,
    Unknown,
    No,
}

/// The token's account id and alias: from its AWS context, or else from the
/// part after the last `@` of its account name (`device@123456789012`).
fn token_accounts(token: &impl Matchable) -> (Option<&str>, Option<&str>) {
    if let Some(ctx) = token.aws()
        && (ctx.account_id.is_some() || ctx.account_alias.is_some())
    {
        return (ctx.account_id.as_deref(), ctx.account_alias.as_deref());
    }
    match token
        .account()
        .rsplit_once('@')
        .map(|(_, after)| after.trim())
    {
        Some(after) if AwsContext::is_account_id(after) => (Some(after), None),
        Some(after) if is_account_alias(&after.to_ascii_lowercase()) => (None, Some(after)),
        _ => (None, None),
    }
}

/// Compares a wanted account (trimmed, lower-case) with the token's.
fn agree_account(wanted: &str, token: (Option<&str>, Option<&str>)) -> Agree {
    let stored = if AwsContext::is_account_id(wanted) {
        token.0
    } else {
        token.1
    };
    match stored {
        Some(s) if s.trim().eq_ignore_ascii_case(wanted) => Agree::Yes,
        Some(_) => Agree::No,
        None => Agree::Unknown,
    }
}

/// Whether a hinted user or e-mail names the token's user: its AWS user, its
/// account name, or the part of its account name before `@`.
fn user_agrees(token: &impl Matchable, hints: &[String]) -> bool {
    if hints.is_empty() {
        return false;
    }
    let account = token.account().trim();
    let names = [
        token.aws().and_then(|a| a.user.as_deref()),
        Some(account),
        account.rsplit_once('@').map(|(before, _)| before),
    ];
    hints.iter().any(|h| {
        names
            .iter()
            .flatten()
            .any(|n| !n.is_empty() && n.trim().eq_ignore_ascii_case(h))
    })
}

/// The strength of one token on the page, or `None` if it does not belong.
fn judge(token: &impl Matchable, page: &Page<'_>) -> Option<Strength> {
    let issuer_default = || {
        token.sites().is_empty()
            && page.default_issuers.iter().any(|e| {
                e.names()
                    .any(|n| n.eq_ignore_ascii_case(token.issuer().trim()))
            })
    };
    let explicit = || token.sites().iter().any(|s| covers(s, page));

    let Some(aws) = &page.aws else {
        // Not an AWS sign-in host: AWS MFA devices never show up here
        // unless the person listed the site themselves.
        let allowed = explicit() || (token.aws().is_none() && issuer_default());
        return allowed.then(|| {
            if user_agrees(token, &page.hint_users) {
                Strength::User
            } else {
                Strength::Site
            }
        });
    };

    // An AWS sign-in host: tokens of another partition never match.
    if let Some(ctx) = token.aws()
        && ctx.partition != aws.partition
    {
        return None;
    }
    let allowed = match aws.service {
        AwsService::Console => token.aws().is_some() || explicit() || issuer_default(),
        AwsService::IdentityCenter => explicit(),
    };
    if !allowed {
        return None;
    }
    let accounts = token_accounts(token);
    let mut agreed = false;
    for wanted in &page.accounts {
        match agree_account(wanted, accounts) {
            Agree::No => return None,
            Agree::Yes => agreed = true,
            Agree::Unknown => {}
        }
    }
    let user = user_agrees(token, &page.hint_users);
    Some(match (agreed, user) {
        (true, true) => Strength::AccountUser,
        (true, false) => Strength::Account,
        (false, true) => Strength::User,
        (false, false) => Strength::Site,
    })
}

/// Finds the tokens that belong to the page at `url`, strongest first.
///
/// Fails only when the URL cannot be used: it does not parse, has no host,
/// or is not `https`. Never looks at secrets.
pub fn match_url<T: Matchable>(
    tokens: &[T],
    url: &str,
    hint: &Hint,
) -> Result<MatchResult, SiteError> {
    let parsed = Url::parse(url.trim()).map_err(|e| SiteError::InvalidUrl(e.to_string()))?;
    if parsed.scheme() != "https" {
        let scheme: String = parsed.scheme().chars().take(32).collect();
        return Err(SiteError::Insecure(scheme));
    }
    let host = match parsed.host() {
        Some(Host::Domain(d)) => d.trim_end_matches('.').to_ascii_lowercase(),
        Some(Host::Ipv4(ip)) => ip.to_string(),
        Some(Host::Ipv6(ip)) => ip.to_string(),
        None => return Err(SiteError::NoHost),
    };
    if host.is_empty() {
        return Err(SiteError::NoHost);
    }
    let site = registrable_domain(&host).map(str::to_string);
    let aws = aws_page(&host);
    let floor = match (&aws, &site) {
        // On AWS sign-in hosts a site must stay inside the sign-in domain:
        // a token for amazon.com (retail) is not an AWS MFA device.
        (Some(page), _) => aws_site_floor(&host, page).len(),
        (None, Some(site)) => site.len(),
        (None, None) => host.len(),
    };
    let accounts = aws
        .as_ref()
        .and_then(|a| a.account.as_deref())
        .into_iter()
        .chain(hint.account.as_deref())
        .map(|a| a.trim().to_ascii_lowercase())
        .filter(|a| !a.is_empty())
        .collect();
    let mut page = Page {
        host: &host,
        floor,
        aws,
        default_issuers: Vec::new(),
        accounts,
        hint_users: [&hint.user, &hint.email]
            .into_iter()
            .flatten()
            .map(|u| u.trim().to_string())
            .filter(|u| !u.is_empty())
            .collect(),
    };
    page.default_issuers = issuers()
        .iter()
        .filter(|e| e.sites.iter().any(|s| covers(s, &page)))
        .collect();

    let mut candidates: Vec<Candidate> = tokens
        .iter()
        .enumerate()
        .filter_map(|(index, token)| {
            judge(token, &page).map(|strength| Candidate {
                id: token.id(),
                index,
                strength,
            })
        })
        .collect();
    candidates.sort_by_key(|c| (Reverse(c.strength), !tokens[c.index].pinned(), c.index));
    let account_named = page.aws.is_some() && !page.accounts.is_empty();
    let aws = page.aws;
    Ok(MatchResult {
        host,
        site,
        aws,
        candidates,
        autofill_needs: if account_named {
            Strength::Account
        } else {
            Strength::Site
        },
    })
}

mod psl;
#[cfg(test)]
mod tests;
