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
//! * IAM Identity Center pages offer only the tokens of their instance: the
//!   access portal a token is bound to, or the directory learned for it;
//! * hints from the page (account, user, e-mail) rank the tokens the URL
//!   allows; they never add one;
//! * several MFA devices of one known user (same partition, account or
//!   Identity Center instance, and user) are one choice: the preferred one
//!   is filled (pinned, else the one filled most recently, else the
//!   newest); devices of different users never are.
//!
//! What the host understands of a page — its host, registrable domain and
//! AWS facts ([`PageFacts`], rules in [`aws`]) — and of the hints
//! ([`Who`]) is computed once, returned to the extension, and is what
//! matching reads.

use std::cmp::Reverse;
use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use url::{Host, Url};
use uuid::Uuid;

use crate::error::ErrorCode;
use crate::token::{AwsContext, Identity, Partition, Texts, Token, TokenSites};

pub mod aws;

pub use aws::{AccountRef, AwsFacts, AwsService, is_region, read_account, reads_as_alias};

/// The date of the bundled Public Suffix List, `YYYY-MM-DD` and a newline
/// (`scripts/update-psl.sh` refreshes the list and writes it).
pub const PSL_DATE: &str = include_str!("data/public_suffix_list.version");

/// How many whole days the bundled Public Suffix List is old at Unix time
/// `now` (0 when `now` is before it), or `None` when [`PSL_DATE`] is not a
/// date (a broken build).
pub fn psl_age_days(now: u64) -> Option<u64> {
    let listed = days_since_1970(PSL_DATE.trim())?;
    let today = i64::try_from(now / 86_400).ok()?;
    Some(u64::try_from(today - listed).unwrap_or(0))
}

/// Days from 1970-01-01 to a `YYYY-MM-DD` date of the Gregorian calendar.
fn days_since_1970(date: &str) -> Option<i64> {
    let mut parts = date.split('-').map(|p| p.parse::<i64>().ok());
    let (Some(Some(year)), Some(Some(month)), Some(Some(day)), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    if date.len() != 10 || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    // Years counted from March, so that a leap day ends its year.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    Some(era * 146_097 + day_of_era - 719_468)
}

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
/// full [`Token`]s and by [`TokenSites`], the matching fields borrowed from
/// where a vault reader found them (no secret, nothing copied).
pub trait Matchable: Identity {
    /// The sites the token belongs to.
    fn sites(&self) -> Texts<'_>;
    /// Whether the token is pinned.
    fn pinned(&self) -> bool;
    /// The length of its time step in seconds (`None` for HOTP), which
    /// dates its entry in the vault's fill record.
    fn period(&self) -> Option<u64>;
    /// When it was created, Unix seconds.
    fn created(&self) -> u64;
}

/// `Matchable` for records that keep those fields under those names.
macro_rules! matchable_from_fields {
    ($($record:ty),*) => {$(
        impl Matchable for $record {
            fn sites(&self) -> Texts<'_> {
                Texts::of(&self.sites)
            }
            fn pinned(&self) -> bool {
                self.pinned
            }
            fn period(&self) -> Option<u64> {
                self.kind.period()
            }
            fn created(&self) -> u64 {
                self.created
            }
        }
    )*};
}

matchable_from_fields!(Token, crate::token::TokenMeta);

impl Matchable for TokenSites<'_> {
    fn sites(&self) -> Texts<'_> {
        self.sites
    }
    fn pinned(&self) -> bool {
        self.pinned
    }
    fn period(&self) -> Option<u64> {
        self.period
    }
    fn created(&self) -> u64 {
        self.created
    }
}

/// The vault's fill record: per token, the last time step handed out for
/// filling (`VaultData::fills`). Matching reads it to know which of several
/// interchangeable devices was filled most recently.
pub type Fills = BTreeMap<Uuid, u64>;

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

impl Hint {
    /// What the hint says, read by the host's rules. The account may be
    /// given as typed or shown: an id with spaces or hyphens, an alias in
    /// any case, or — in the box where the sign-in takes either — the root
    /// user's e-mail; text that is none of these names no account. Blank
    /// fields count as absent.
    pub fn read(&self) -> Who {
        let clean = |t: &Option<String>| {
            t.as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string)
        };
        let mut who = Who {
            account: None,
            user: clean(&self.user),
            email: clean(&self.email),
        };
        if let Some(text) = clean(&self.account) {
            if text.contains('@') {
                who.email = who.email.or(Some(text));
            } else {
                who.account = read_account(&text);
            }
        }
        who
    }
}

/// What the same browser tab showed at an earlier step of a sign-in (the
/// credentials step, whose account and user the MFA page on another host
/// may not show).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Earlier {
    /// The earlier page's URL, as the browser reported it.
    pub url: String,
    /// What that page showed.
    #[serde(default)]
    pub hint: Hint,
}

/// Who is signing in, as the host read the hints: the account (id or
/// alias), the user name and the e-mail.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Who {
    /// The account the hints name.
    pub account: Option<AccountRef>,
    /// The user name.
    pub user: Option<String>,
    /// The e-mail address (AWS root users).
    pub email: Option<String>,
}

impl Serialize for Who {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("Who", 4)?;
        s.serialize_field(
            "account_id",
            &self.account.as_ref().and_then(AccountRef::id),
        )?;
        s.serialize_field(
            "account_alias",
            &self.account.as_ref().and_then(AccountRef::alias),
        )?;
        s.serialize_field("user", &self.user)?;
        s.serialize_field("email", &self.email)?;
        s.end()
    }
}

/// What the host understands of a page from its URL alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PageFacts {
    /// The page's host, lower-case ASCII (punycode for IDNs), without a
    /// trailing dot.
    pub host: String,
    /// The host's registrable domain, when it has one (not for IP
    /// addresses).
    pub site: Option<String>,
    /// What the address says about AWS, on AWS hosts.
    pub aws: Option<AwsFacts>,
}

impl PageFacts {
    /// Reads a page's URL. Fails only when the URL cannot be used: it does
    /// not parse, has no host, or is not `https`.
    pub fn read(url: &str) -> Result<PageFacts, SiteError> {
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
        Ok(PageFacts {
            site: registrable_domain(&host).map(str::to_string),
            aws: aws::aws_facts(&host, &parsed),
            host,
        })
    }

    /// The AWS facts when the page is one where AWS asks for an MFA code at
    /// sign-in ([`AwsService::signs_in`]).
    pub fn aws_signin(&self) -> Option<&AwsFacts> {
        self.aws.as_ref().filter(|a| a.service.signs_in())
    }

    /// Who is signing in on this page: the hint, completed by what the same
    /// tab showed at an earlier step when both pages are AWS sign-in pages
    /// of one partition and one service (the console sign-in, or IAM
    /// Identity Center) and the two do not name different accounts or
    /// Identity Center directories (the earlier page's address counts as
    /// what it showed). A page's own fields win over the earlier ones.
    pub fn who(&self, hint: &Hint, earlier: Option<&Earlier>) -> Who {
        let mut who = hint.read();
        let Some(here) = self.aws_signin() else {
            return who;
        };
        let Some(earlier) = earlier else {
            return who;
        };
        let Ok(then) = PageFacts::read(&earlier.url) else {
            return who;
        };
        // Identity Center: not across two instances' sign-in pages either.
        let other_directory =
            |t: &AwsFacts| matches!((&t.directory, &here.directory), (Some(a), Some(b)) if a != b);
        let Some(there) = then.aws_signin().filter(|t| {
            (t.partition, t.service) == (here.partition, here.service) && !other_directory(t)
        }) else {
            return who;
        };
        let mut before = earlier.hint.read();
        before.account = before.account.or_else(|| there.account.clone());
        let now = who.account.as_ref().or(here.account.as_ref());
        if let (Some(now), Some(before)) = (now, &before.account)
            && now != before
        {
            return who;
        }
        who.account = who.account.or(before.account);
        who.user = who.user.or(before.user);
        who.email = who.email.or(before.email);
        who
    }
}

/// How strongly a token matches a page, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strength {
    /// The token belongs to the site, nothing more is known.
    Site,
    /// The site, and the user name or e-mail agree.
    User,
    /// The site and the AWS account agree (on IAM Identity Center pages:
    /// the page is the token's instance).
    Account,
    /// The site, the AWS account and the user all agree.
    AccountUser,
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
    /// What the host understood of the page.
    pub page: PageFacts,
    /// Who is signing in, as the host read the hints.
    pub who: Who,
    /// Matching tokens, strongest first; pinned tokens first within a
    /// strength, then in the order given — except that when the strongest
    /// are [`MatchResult::interchangeable`], they come in the order of
    /// preference: pinned, then filled most recently, then newest.
    pub candidates: Vec<Candidate>,
    /// Whether the candidates of the top strength, two or more, are all MFA
    /// devices of one known user (one partition, one account or Identity
    /// Center instance, one user): AWS accepts any of them, so they count
    /// as one token and the first is filled without asking.
    pub interchangeable: bool,
    /// The strength a lone top candidate needs to be filled without asking:
    /// [`Strength::Account`] when the URL or the hint names an AWS account
    /// (a token whose account is unknown could belong to another one),
    /// otherwise [`Strength::Site`].
    pub autofill_needs: Strength,
}

impl MatchResult {
    /// The token that may be filled without asking: `Some` only when exactly
    /// one candidate has the top strength, or the candidates of the top
    /// strength are [`MatchResult::interchangeable`] (then the preferred
    /// one), and that strength is at least [`MatchResult::autofill_needs`].
    pub fn autofill(&self) -> Option<Uuid> {
        let first = self.candidates.first()?;
        if first.strength < self.autofill_needs {
            return None;
        }
        match self.candidates.get(1) {
            Some(second) if second.strength == first.strength && !self.interchangeable => None,
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
    /// Domains whose subdomains are the issuer's customers' own sign-in
    /// hosts (`acme.okta.com`). Such an issuer has no default sites: a
    /// default would offer one customer's codes on every other's host.
    #[serde(default)]
    tenants: Vec<String>,
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

/// A well-known issuer whose customers each sign in on a host of their own
/// (Okta's `acme.okta.com`, Slack's `acme.slack.com`): its tokens have no
/// default site and are offered only on the host the person binds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MultiTenant {
    /// The issuer's name (`Okta`).
    pub issuer: &'static str,
    /// The domains below which its customers' hosts lie (`okta.com`, …).
    pub tenants: &'static [String],
}

/// The multi-tenant issuer `issuer` names (by name or alias, any case), if
/// it names one.
pub fn multi_tenant(issuer: &str) -> Option<MultiTenant> {
    let issuer = issuer.trim();
    issuers()
        .iter()
        .filter(|e| !e.tenants.is_empty())
        .find(|e| e.names().any(|n| n.eq_ignore_ascii_case(issuer)))
        .map(|e| MultiTenant {
            issuer: &e.issuer,
            tenants: &e.tenants,
        })
}

/// The customer host an issuer text names, when it is a host name below a
/// multi-tenant issuer's domain: Okta's QR codes carry the organisation's
/// own host as the issuer (`acme.okta.com`), and that host is the only
/// site such a token belongs to.
pub fn tenant_site(issuer: &str) -> Option<String> {
    let host = normalize_site(issuer).ok()?;
    issuers()
        .iter()
        .flat_map(|e| &e.tenants)
        .any(|t| {
            host.len() > t.len() + 1
                && host.ends_with(t.as_str())
                && host.as_bytes()[host.len() - t.len() - 1] == b'.'
        })
        .then_some(host)
}

/// Most host names [`belongs_to`] gives.
pub const MAX_BELONGS_TO: usize = 3;

/// Where a token belongs, as host names a person recognises — the words
/// the extension puts in front of a person who asks for a token's code on
/// a page it does not belong to ("This page is … — your token belongs to
/// …"): its own sites; else, for an AWS MFA device, its IAM Identity Center
/// access portal (`d-1234567890.awsapps.com` when only the directory is
/// known) or its partition's console sign-in host; else its issuer's
/// built-in sites. At most [`MAX_BELONGS_TO`]; empty when the token belongs
/// to no site.
pub fn belongs_to(token: &impl Matchable) -> Vec<String> {
    let hosts: Vec<String> = if !token.sites().is_empty() {
        token.sites().to_vec()
    } else if let Some(ctx) = token.aws() {
        let portals: Vec<String> = token_portals(token)
            .iter()
            .filter_map(|p| aws::start_url_host(p))
            .map(str::to_string)
            .collect();
        if !portals.is_empty() {
            portals
        } else if let Some(directory) = &ctx.sso_directory {
            vec![format!("{directory}.awsapps.com")]
        } else {
            aws::AWS_HOSTS
                .iter()
                .find(|h| h.partition == ctx.partition && h.service == AwsService::Signin)
                .map(|h| h.base.to_string())
                .into_iter()
                .collect()
        }
    } else {
        issuer_sites(token.issuer()).to_vec()
    };
    hosts.into_iter().take(MAX_BELONGS_TO).collect()
}

/// The domain an AWS sign-in page's sites must stay inside: the base of
/// its entry in [`aws::AWS_HOSTS`].
fn aws_site_floor(host: &str) -> &'static str {
    aws::aws_host(host).map_or("", |(entry, _)| entry.base)
}

/// Everything about the page that each token is compared with, computed
/// once per request.
struct Page<'a> {
    host: &'a str,
    /// Sites must be at least this long (the registrable domain, or the
    /// whole host when there is none).
    floor: usize,
    /// The AWS facts on pages that ask for an AWS MFA code.
    aws: Option<&'a AwsFacts>,
    /// Issuers whose default sites cover the page.
    default_issuers: Vec<&'static IssuerEntry>,
    /// Accounts named by the URL and the hints.
    accounts: Vec<&'a AccountRef>,
    hint_users: Vec<&'a str>,
}

impl<'a> Page<'a> {
    /// What every token is compared with on `page`, for `who`.
    fn of(page: &'a PageFacts, who: &'a Who) -> Page<'a> {
        let aws = page.aws_signin();
        // A site may be the registrable domain, never above it (so never a
        // public suffix such as `awsapps.com`, where each portal is its own
        // site); on AWS sign-in hosts it must also stay inside the sign-in
        // domain: a token for amazon.com (retail) is not an AWS MFA device.
        let registrable = page.site.as_ref().map_or(page.host.len(), String::len);
        let floor = match aws {
            Some(_) => registrable.max(aws_site_floor(&page.host).len()),
            None => registrable,
        };
        let accounts = aws
            .and_then(|a| a.account.as_ref())
            .into_iter()
            .chain(who.account.as_ref())
            .collect();
        let mut scene = Page {
            host: &page.host,
            floor,
            aws,
            default_issuers: Vec::new(),
            accounts,
            hint_users: [&who.user, &who.email]
                .into_iter()
                .flatten()
                .map(String::as_str)
                .collect(),
        };
        scene.default_issuers = issuers()
            .iter()
            .filter(|e| e.sites.iter().any(|s| covers(s, &scene)))
            .collect();
        scene
    }
}

/// Which tokens could belong to a page: exactly those [`match_page`] lists
/// for it, by the same judgement, one token at a time. The others never
/// change what `match_page` says, so a reader of many tokens keeps only
/// these (`Vault::read_matching_filtered`).
pub struct PageFilter<'a>(Page<'a>);

impl<'a> PageFilter<'a> {
    /// The filter for `page` (see [`PageFacts::read`]) and `who` (see
    /// [`PageFacts::who`]).
    pub fn new(page: &'a PageFacts, who: &'a Who) -> PageFilter<'a> {
        PageFilter(Page::of(page, who))
    }

    /// Whether `token` could belong to the page.
    pub fn admits(&self, token: &impl Matchable) -> bool {
        judge(token, &self.0).is_some()
    }
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
        return (ctx.account_id, ctx.account_alias);
    }
    match token
        .account()
        .rsplit_once('@')
        .map(|(_, after)| after.trim())
    {
        Some(after) if AwsContext::is_account_id(after) => (Some(after), None),
        Some(after) if reads_as_alias(&after.to_ascii_lowercase()) => (None, Some(after)),
        _ => (None, None),
    }
}

/// Compares a wanted account with the token's.
fn agree_account(wanted: &AccountRef, token: (Option<&str>, Option<&str>)) -> Agree {
    let stored = match wanted {
        AccountRef::Id(_) => token.0,
        AccountRef::Alias(_) => token.1,
    };
    match stored {
        Some(s) if s.trim().eq_ignore_ascii_case(wanted.as_str()) => Agree::Yes,
        Some(_) => Agree::No,
        None => Agree::Unknown,
    }
}

/// Whether a hinted user or e-mail names the token's user: its AWS user, its
/// account name, or the part of its account name before `@`.
fn user_agrees(token: &impl Matchable, hints: &[&str]) -> bool {
    if hints.is_empty() {
        return false;
    }
    let account = token.account().trim();
    let names = [
        token.aws().and_then(|a| a.user),
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

/// Whether a token belongs to the IAM Identity Center instance of a page.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Instance {
    /// The page is the token's instance: its access portal, or a sign-in
    /// page of its directory.
    Same,
    /// The token belongs to an instance, and nothing shows it is this one.
    Other,
    /// The token belongs to no instance.
    Unbound,
}

/// The access portals a token is bound to: its start URL, and sites that
/// are access portals (`d-1234567890.awsapps.com`), as start URLs.
fn token_portals(token: &impl Matchable) -> Vec<String> {
    let start = token
        .aws()
        .and_then(|a| a.sso_start_url)
        .and_then(aws::read_start_url);
    let sites = token
        .sites()
        .iter()
        .filter(|s| aws::PORTAL_DOMAINS.iter().any(|d| s.ends_with(d)))
        .filter_map(aws::read_start_url);
    start.into_iter().chain(sites).collect()
}

/// Compares the token's Identity Center instance with the page's: the
/// same access portal (by host), or the same directory — learned, or
/// named by the portal's own host name. A token bound to an instance
/// matches only with that positive evidence.
fn instance_agrees(token: &impl Matchable, page: &AwsFacts) -> Instance {
    let portals = token_portals(token);
    let learned = token.aws().and_then(|a| a.sso_directory);
    if portals.is_empty() && learned.is_none() {
        return Instance::Unbound;
    }
    let here = page.portal.as_deref().and_then(aws::start_url_host);
    let by_portal = here.is_some_and(|h| portals.iter().any(|p| aws::start_url_host(p) == Some(h)));
    let by_directory = page.directory.as_deref().is_some_and(|d| {
        learned == Some(d)
            || portals
                .iter()
                .any(|p| aws::start_url_directory(p) == Some(d))
    });
    if by_portal || by_directory {
        Instance::Same
    } else {
        Instance::Other
    }
}

/// Whose MFA device a token is, when that is known in full: AWS accepts
/// any of a user's devices (up to eight), so devices with the same owner
/// are interchangeable.
#[derive(Debug, PartialEq, Eq)]
struct Owner {
    partition: Partition,
    place: Place,
    /// The user, in lower case.
    user: String,
}

/// Where an owner signs in: an AWS account or an IAM Identity Center
/// instance.
#[derive(Debug, PartialEq, Eq)]
enum Place {
    /// The account's id (preferred when both are known) …
    AccountId(String),
    /// … or its alias, in lower case.
    AccountAlias(String),
    /// The instance: its access portal's host and its directory, where
    /// known.
    Instance {
        portal: Option<String>,
        directory: Option<String>,
    },
}

/// The owner of an AWS token whose partition, account or instance, and
/// user are all known; `None` otherwise (such a token is interchangeable
/// with no other: an unknown user may be anyone).
fn owner(token: &impl Matchable) -> Option<Owner> {
    let ctx = token.aws()?;
    let user = ctx
        .user
        .map(str::trim)
        .filter(|u| !u.is_empty())?
        .to_ascii_lowercase();
    let portals = token_portals(token);
    let place = if ctx.identity_center() || !portals.is_empty() {
        let portal = portals.first().and_then(|p| aws::start_url_host(p));
        let directory = ctx
            .sso_directory
            .or_else(|| portals.iter().find_map(|p| aws::start_url_directory(p)));
        if portal.is_none() && directory.is_none() {
            return None;
        }
        Place::Instance {
            portal: portal.map(str::to_string),
            directory: directory.map(str::to_string),
        }
    } else {
        match token_accounts(token) {
            (Some(id), _) => Place::AccountId(id.trim().to_string()),
            (None, Some(alias)) => Place::AccountAlias(alias.trim().to_ascii_lowercase()),
            (None, None) => return None,
        }
    };
    Some(Owner {
        partition: ctx.partition,
        place,
        user,
    })
}

/// When the token was last filled, Unix seconds (the start of the last
/// time step handed out for filling), if ever.
fn last_filled(token: &impl Matchable, fills: &Fills) -> Option<u64> {
    fills.get(&token.id())?.checked_mul(token.period()?)
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

    let Some(aws) = page.aws else {
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
    let identity_center = token.aws().is_some_and(|c| c.identity_center());
    let allowed = match aws.service {
        // An Identity Center user's device is not an IAM user's.
        AwsService::Signin if identity_center => explicit(),
        AwsService::Signin => token.aws().is_some() || explicit() || issuer_default(),
        AwsService::IdentityCenter => {
            let user = user_agrees(token, &page.hint_users);
            return match instance_agrees(token, aws) {
                Instance::Same if user => Some(Strength::AccountUser),
                Instance::Same => Some(Strength::Account),
                Instance::Other => None,
                Instance::Unbound if !explicit() => None,
                Instance::Unbound if user => Some(Strength::User),
                Instance::Unbound => Some(Strength::Site),
            };
        }
        AwsService::Console => explicit(),
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

/// Finds the tokens that belong to the page at `url`, strongest first, as
/// [`match_page`] does, for a vault that never filled a code (no fill
/// record).
///
/// Fails only when the URL cannot be used: it does not parse, has no host,
/// or is not `https`. Never looks at secrets.
pub fn match_url<T: Matchable>(
    tokens: &[T],
    url: &str,
    hint: &Hint,
) -> Result<MatchResult, SiteError> {
    let page = PageFacts::read(url)?;
    let who = hint.read();
    Ok(match_page(tokens, page, who, &Fills::new()))
}

/// Finds the tokens that belong to a page already read ([`PageFacts::read`])
/// for who is signing in ([`PageFacts::who`]), strongest first. `fills` is
/// the vault's fill record, which orders interchangeable devices.
pub fn match_page<T: Matchable>(
    tokens: &[T],
    page: PageFacts,
    who: Who,
    fills: &Fills,
) -> MatchResult {
    let scene = Page::of(&page, &who);
    let mut candidates: Vec<Candidate> = tokens
        .iter()
        .enumerate()
        .filter_map(|(index, token)| {
            judge(token, &scene).map(|strength| Candidate {
                id: token.id(),
                index,
                strength,
            })
        })
        .collect();
    candidates.sort_by_key(|c| (Reverse(c.strength), !tokens[c.index].pinned(), c.index));
    // Several devices of one known user are one choice: the preferred one
    // first.
    let top = candidates
        .iter()
        .take_while(|c| c.strength == candidates[0].strength)
        .count();
    let interchangeable = top >= 2 && {
        let first = owner(&tokens[candidates[0].index]);
        first.is_some()
            && candidates[1..top]
                .iter()
                .all(|c| owner(&tokens[c.index]) == first)
    };
    if interchangeable {
        candidates[..top].sort_by_key(|c| {
            let t = &tokens[c.index];
            (
                !t.pinned(),
                Reverse(last_filled(t, fills)),
                Reverse(t.created()),
                c.index,
            )
        });
    }
    // On Identity Center pages the instance plays the account's part: a
    // token is filled without asking only when it is the page's instance.
    let account_named = scene
        .aws
        .is_some_and(|a| !scene.accounts.is_empty() || a.service == AwsService::IdentityCenter);
    MatchResult {
        candidates,
        interchangeable,
        autofill_needs: if account_named {
            Strength::Account
        } else {
            Strength::Site
        },
        page,
        who,
    }
}

/// Why no one token is the MFA device a console page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceError {
    /// The page is not the AWS Management Console.
    NotConsole,
    /// The page names no account, or no token is that account's device.
    NotFound,
    /// Several tokens could be the device; it holds how many.
    Ambiguous(usize),
}

/// Which token is the MFA device the IAM console shows on `page` (its
/// "Resync MFA device" dialog): by the device's serial when the page shows
/// one (`arn:aws:iam::123456789012:mfa/alice-phone`), else by the account
/// (the multi-session host's, or the hint's: the console's account menu)
/// and the user (the hint: the user whose page it is). Only AWS tokens of
/// the page's partition, never an Identity Center device, and only when
/// exactly one fits.
pub fn console_device<T: Matchable>(
    tokens: &[T],
    page: &PageFacts,
    who: &Who,
    serial: Option<&str>,
) -> Result<usize, DeviceError> {
    let aws = page
        .aws
        .as_ref()
        .filter(|a| a.service == AwsService::Console)
        .ok_or(DeviceError::NotConsole)?;
    let account = aws.account.as_ref().or(who.account.as_ref());
    let iam = |t: &T| {
        t.aws()
            .is_some_and(|c| c.partition == aws.partition && !c.identity_center())
    };
    if let Some((arn, serial)) =
        serial.and_then(|text| Some((text, crate::token::MfaSerial::parse(text)?)))
    {
        let named = AccountRef::Id(serial.account_id.clone());
        if serial.partition != aws.partition || account.is_some_and(|a| *a != named) {
            return Err(DeviceError::NotFound);
        }
        return match crate::query::resolve_mfa_serial(tokens, arn) {
            Ok(i) if iam(&tokens[i]) => Ok(i),
            Err(crate::query::QueryError::AmbiguousMfaDevice { candidates, .. }) => {
                Err(DeviceError::Ambiguous(candidates.len()))
            }
            _ => Err(DeviceError::NotFound),
        };
    }
    let account = account.ok_or(DeviceError::NotFound)?;
    let users: Vec<&str> = who.user.iter().map(String::as_str).collect();
    let fits: Vec<usize> = tokens
        .iter()
        .enumerate()
        .filter(|(_, t)| {
            iam(t)
                && agree_account(account, token_accounts(*t)) == Agree::Yes
                && (users.is_empty() || user_agrees(*t, &users))
        })
        .map(|(i, _)| i)
        .collect();
    match fits.as_slice() {
        [one] => Ok(*one),
        [] => Err(DeviceError::NotFound),
        many => Err(DeviceError::Ambiguous(many.len())),
    }
}

mod psl;
#[cfg(test)]
mod tests;
