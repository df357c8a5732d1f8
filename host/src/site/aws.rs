//! What an AWS address says: which partition and service a page belongs to,
//! and the account, region and IAM Identity Center directory it names; and
//! how an account typed by a person or shown by a page is read.
//!
//! These rules live here only. The browser extension does not parse AWS
//! addresses: it asks the host, whose `match` reply carries these facts
//! (`docs/protocol.md`, operation `match`, field `page`). The one thing the
//! extension knows beforehand is where its content scripts run; a test
//! keeps that list (`extension/manifest.json`) equal to [`AWS_HOSTS`].

use serde::ser::{SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::token::{AwsContext, Partition};

/// Which AWS service a page belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AwsService {
    /// The console sign-in (`signin.aws.amazon.com` and its partition twins,
    /// with an account id, alias or region in front): IAM users and root.
    Signin,
    /// IAM Identity Center: its AWS access portals (`<name>.awsapps.com`,
    /// `ssoins-<id>.portal.<region>.app.aws`,
    /// `ssoins-<id>.<region>.portal.amazonaws.com`) and its sign-in
    /// (`<region>.signin.aws`, `<region>.sso.signin.aws`, and
    /// `/platform/…` on the console sign-in's regional hosts).
    IdentityCenter,
    /// The AWS Management Console after sign-in (`console.aws.amazon.com`
    /// and its subdomains), where MFA devices are assigned.
    Console,
}

impl AwsService {
    /// True for the services whose pages ask for an MFA code at sign-in:
    /// only there are AWS tokens offered.
    pub fn signs_in(self) -> bool {
        matches!(self, AwsService::Signin | AwsService::IdentityCenter)
    }
}

/// How many labels a host may have in front of a table entry's base to be
/// one of its pages (`0`: the base itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Depth {
    /// Fewest labels in front of the base.
    pub min: u8,
    /// Most labels in front of the base.
    pub max: u8,
}

/// One entry of the table of AWS hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AwsHost {
    /// The domain the entry covers (`signin.aws.amazon.com`).
    pub base: &'static str,
    /// The partition its pages belong to.
    pub partition: Partition,
    /// The service its pages belong to.
    pub service: AwsService,
    /// Which hosts at or below `base` are its pages.
    pub depth: Depth,
}

/// Any number of labels.
const ANY: u8 = u8::MAX;

const fn entry(
    base: &'static str,
    partition: Partition,
    service: AwsService,
    (min, max): (u8, u8),
) -> AwsHost {
    AwsHost {
        base,
        partition,
        service,
        depth: Depth { min, max },
    }
}

/// Every AWS host FactorCat knows, as data. The extension's content scripts
/// run on exactly these domains (a test compares them with
/// `extension/manifest.json`). Which labels in front of a base make a page
/// (a region, an account, a portal name) is read by [`aws_facts`].
pub const AWS_HOSTS: [AwsHost; 12] = [
    entry(
        "signin.aws.amazon.com",
        Partition::Aws,
        AwsService::Signin,
        (0, 1),
    ),
    entry(
        "signin.amazonaws-us-gov.com",
        Partition::AwsUsGov,
        AwsService::Signin,
        (0, 1),
    ),
    entry(
        "signin.amazonaws.cn",
        Partition::AwsCn,
        AwsService::Signin,
        (0, 1),
    ),
    entry(
        "signin.amazonaws-eusc.eu",
        Partition::AwsEusc,
        AwsService::Signin,
        (0, 1),
    ),
    // `<name>.awsapps.com`: an access portal.
    entry(
        "awsapps.com",
        Partition::Aws,
        AwsService::IdentityCenter,
        (1, 1),
    ),
    // `<region>.signin.aws` and `<region>.sso.signin.aws`: the sign-in.
    entry(
        "signin.aws",
        Partition::Aws,
        AwsService::IdentityCenter,
        (1, 2),
    ),
    // `ssoins-<id>.<region>.portal.amazonaws.com`: a portal in an
    // additional Region.
    entry(
        "portal.amazonaws.com",
        Partition::Aws,
        AwsService::IdentityCenter,
        (2, 2),
    ),
    // `ssoins-<id>.portal.<region>.app.aws`: the same, dual-stack.
    entry(
        "app.aws",
        Partition::Aws,
        AwsService::IdentityCenter,
        (3, 3),
    ),
    entry(
        "console.aws.amazon.com",
        Partition::Aws,
        AwsService::Console,
        (0, ANY),
    ),
    entry(
        "console.amazonaws-us-gov.com",
        Partition::AwsUsGov,
        AwsService::Console,
        (0, ANY),
    ),
    entry(
        "console.amazonaws.cn",
        Partition::AwsCn,
        AwsService::Console,
        (0, ANY),
    ),
    entry(
        "console.amazonaws-eusc.eu",
        Partition::AwsEusc,
        AwsService::Console,
        (0, ANY),
    ),
];

/// An AWS account as a page or a person names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AccountRef {
    /// The 12-digit account id.
    Id(String),
    /// The account alias, lower case.
    Alias(String),
}

impl AccountRef {
    /// The id or the alias as text.
    pub fn as_str(&self) -> &str {
        match self {
            AccountRef::Id(s) | AccountRef::Alias(s) => s,
        }
    }

    /// The id, if this is one.
    pub fn id(&self) -> Option<&str> {
        match self {
            AccountRef::Id(s) => Some(s),
            AccountRef::Alias(_) => None,
        }
    }

    /// The alias, if this is one.
    pub fn alias(&self) -> Option<&str> {
        match self {
            AccountRef::Alias(s) => Some(s),
            AccountRef::Id(_) => None,
        }
    }
}

/// Writes an optional account as the two fields `account_id` and
/// `account_alias` (the form tokens' AWS contexts use), both present,
/// `null` when unknown.
fn serialize_account<S: SerializeStruct>(
    s: &mut S,
    account: Option<&AccountRef>,
) -> Result<(), S::Error> {
    s.serialize_field("account_id", &account.and_then(AccountRef::id))?;
    s.serialize_field("account_alias", &account.and_then(AccountRef::alias))
}

/// What an AWS page's address says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsFacts {
    /// The partition the page belongs to.
    pub partition: Partition,
    /// The service the page belongs to.
    pub service: AwsService,
    /// The account the host name names (`123456789012.signin.aws.amazon.com`,
    /// `example-corp.signin.aws.amazon.com`).
    pub account: Option<AccountRef>,
    /// The region the host name names (`us-east-1.signin.aws.amazon.com`).
    pub region: Option<String>,
    /// The IAM Identity Center directory (`d-` and 10 hexadecimal digits)
    /// the address names: the portal's default host name
    /// (`d-1234567890.awsapps.com`) or the sign-in path
    /// (`/platform/d-1234567890/…`).
    pub directory: Option<String>,
    /// On an IAM Identity Center access portal, its start URL as
    /// [`read_start_url`] keeps it (`https://my-portal.awsapps.com/start`):
    /// the portal's host names the instance.
    pub portal: Option<String>,
}

impl Serialize for AwsFacts {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("AwsFacts", 7)?;
        s.serialize_field("partition", &self.partition)?;
        s.serialize_field("service", &self.service)?;
        serialize_account(&mut s, self.account.as_ref())?;
        s.serialize_field("region", &self.region)?;
        s.serialize_field("directory", &self.directory)?;
        s.serialize_field("portal", &self.portal)?;
        s.end()
    }
}

/// True when `label` has the shape of an AWS region name (`us-east-1`,
/// `ap-southeast-2`, `us-gov-west-1`, `cn-north-1`, and the European
/// Sovereign Cloud's `eusc-de-east-1`).
pub fn is_region(label: &str) -> bool {
    let parts: Vec<&str> = label.split('-').collect();
    if parts.len() < 3 || parts.len() > 4 {
        return false;
    }
    let first = parts[0];
    let last = parts[parts.len() - 1];
    (first.len() == 2 || first == "eusc")
        && first.bytes().all(|b| b.is_ascii_lowercase())
        && (1..=2).contains(&last.len())
        && last.bytes().all(|b| b.is_ascii_digit())
        && parts[1..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
}

/// True when `text` reads as an AWS account alias: the alias shape of
/// [`AwsContext::is_account_alias`], and not a number — a page or a person
/// giving digits gives an account id, whole or mistyped (`12345`), never an
/// alias.
pub fn reads_as_alias(text: &str) -> bool {
    AwsContext::is_account_alias(text) && !text.bytes().all(|b| b.is_ascii_digit())
}

/// True for an IAM Identity Center directory id: `d-` and 10 lower-case
/// hexadecimal digits.
pub fn is_directory_id(text: &str) -> bool {
    text.strip_prefix("d-").is_some_and(|hex| {
        hex.len() == 10
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// Reads an account as people type it and pages show it: an id with or
/// without spaces and hyphens (`1234-5678-9012`), or an alias in any case.
/// `None` for anything else (an e-mail, a name, a number of the wrong
/// length), so that text the host cannot read never names an account.
pub fn read_account(text: &str) -> Option<AccountRef> {
    let text = text.trim();
    if text.len() > 64 {
        return None;
    }
    let digits: String = text.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    if AwsContext::is_account_id(&digits) {
        return Some(AccountRef::Id(digits));
    }
    let alias = text.to_ascii_lowercase();
    reads_as_alias(&alias).then_some(AccountRef::Alias(alias))
}

/// The table entry `host` belongs to, with the labels in front of its base
/// (empty for the base itself).
pub fn aws_host(host: &str) -> Option<(&'static AwsHost, &str)> {
    AWS_HOSTS.iter().find_map(|h| {
        let labels = if host == h.base {
            ""
        } else {
            host.strip_suffix(h.base)?.strip_suffix('.')?
        };
        let count = if labels.is_empty() {
            0
        } else {
            labels.split('.').count()
        };
        let fits = (usize::from(h.depth.min)..=usize::from(h.depth.max)).contains(&count)
            && labels
                .split('.')
                .all(|l| labels.is_empty() || !l.is_empty());
        fits.then_some((h, labels))
    })
}

/// The directory id in an Identity Center sign-in path
/// (`/platform/d-1234567890/login`).
fn directory_in_path(url: &Url) -> Option<String> {
    let mut segments = url.path_segments()?;
    segments.find(|s| *s == "platform")?;
    let id = segments.next()?.to_ascii_lowercase();
    is_directory_id(&id).then_some(id)
}

/// True for the Identity Center sign-in's path (`/platform/…`), which
/// instances enabled before February 2026 serve on the console sign-in's
/// regional hosts (`us-east-1.signin.aws.amazon.com/platform/d-…/login`).
fn identity_center_path(url: &Url) -> bool {
    url.path_segments()
        .and_then(|mut s| s.next())
        .is_some_and(|first| first == "platform")
}

/// The account a legacy console address names in its query string
/// (`…/console?account=123456789012&iam_user=true`), as people type it.
fn account_in_query(url: &Url) -> Option<AccountRef> {
    let (_, value) = url.query_pairs().find(|(k, _)| k == "account")?;
    read_account(&value)
}

/// True for a portal name of `<name>.awsapps.com`: lower-case letters,
/// digits and hyphens, no hyphen first or last.
fn is_portal_name(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= 63
        && label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !label.starts_with('-')
        && !label.ends_with('-')
}

/// True for the instance label of an additional Region's portal:
/// `ssoins-` and hexadecimal digits.
fn is_instance_label(label: &str) -> bool {
    label.strip_prefix("ssoins-").is_some_and(|id| {
        !id.is_empty() && id.len() <= 32 && id.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

/// The Identity Center facts of `labels` in front of `base`: the region, a
/// directory or portal the host names. `None` when the labels are no page
/// of that entry.
fn identity_center_host(base: &str, labels: &str, host: &str, facts: &mut AwsFacts) -> Option<()> {
    let parts: Vec<&str> = labels.split('.').collect();
    match (base, parts.as_slice()) {
        ("awsapps.com", [name]) => {
            if is_directory_id(name) {
                facts.directory = Some(name.to_string());
            } else if !is_portal_name(name) {
                return None;
            }
            facts.portal = Some(format!("https://{host}/start"));
        }
        ("signin.aws", [region]) => {
            facts.region = is_region(region).then(|| region.to_string());
        }
        ("signin.aws", [region, "sso"]) if is_region(region) => {
            facts.region = Some(region.to_string());
        }
        ("portal.amazonaws.com", [instance, region])
        | ("app.aws", [instance, "portal", region])
            if is_instance_label(instance) && is_region(region) =>
        {
            facts.region = Some(region.to_string());
            facts.portal = Some(format!("https://{host}"));
        }
        _ => return None,
    }
    Some(())
}

/// True when `label` names an account's console session of the
/// multi-session console (`123456789012-abcd1234`): the account id, a
/// hyphen and letters or digits.
fn session_account(label: &str) -> Option<AccountRef> {
    let (id, rest) = label.split_once('-')?;
    (AwsContext::is_account_id(id)
        && !rest.is_empty()
        && rest.bytes().all(|b| b.is_ascii_alphanumeric()))
    .then(|| AccountRef::Id(id.to_string()))
}

/// What the address of a page on `host` (lower-case ASCII, as
/// [`super::PageFacts::read`] gives it) says about AWS. `None` for every
/// host that is not in [`AWS_HOSTS`], including lookalikes, and for hosts
/// in its domains that are not pages of it (a sign-in host's first label
/// that is neither a region, an account id nor an alias; an `app.aws` host
/// that is no access portal).
pub fn aws_facts(host: &str, url: &Url) -> Option<AwsFacts> {
    let (entry, labels) = aws_host(host)?;
    let mut facts = AwsFacts {
        partition: entry.partition,
        service: entry.service,
        account: None,
        region: None,
        directory: None,
        portal: None,
    };
    // The label right in front of the base names a region or, on the
    // console sign-in, an account.
    let nearest = labels.rsplit('.').next().filter(|l| !l.is_empty());
    match entry.service {
        AwsService::Signin => {
            if let Some(label) = nearest {
                if is_region(label) {
                    facts.region = Some(label.to_string());
                } else if AwsContext::is_account_id(label) {
                    facts.account = Some(AccountRef::Id(label.to_string()));
                } else if reads_as_alias(label) {
                    facts.account = Some(AccountRef::Alias(label.to_string()));
                } else {
                    return None;
                }
            }
            if identity_center_path(url) && facts.account.is_none() {
                facts.service = AwsService::IdentityCenter;
                facts.directory = directory_in_path(url);
                return Some(facts);
            }
            facts.account = facts.account.or_else(|| account_in_query(url));
        }
        AwsService::IdentityCenter => {
            identity_center_host(entry.base, labels, host, &mut facts)?;
            facts.directory = directory_in_path(url).or(facts.directory);
        }
        AwsService::Console => {
            facts.region = nearest.filter(|l| is_region(l)).map(str::to_string);
            // A multi-session console host names the account:
            // `<account>-<session>.<region>.console.aws.amazon.com`.
            let mut front = labels.split('.');
            if let (Some(session), Some(_region), None) = (front.next(), front.next(), front.next())
                && facts.region.is_some()
            {
                facts.account = session_account(session);
            }
        }
    }
    Some(facts)
}

/// Reads an IAM Identity Center access portal URL as people give it
/// (`https://my-portal.awsapps.com/start`, with or without `https://`,
/// `/start`, `#/` or a trailing slash; `https://ssoins-<id>.portal.<region>.app.aws`)
/// and returns it in the form tokens keep: `https://<host>/start` for
/// `awsapps.com` portals, `https://<host>` for the others. `None` for
/// anything that is not an access portal's address (another host, a
/// lookalike, `http`, a user name or port in the address).
pub fn read_start_url(text: &str) -> Option<String> {
    let text = text.trim();
    if text.is_empty() || text.len() > 512 {
        return None;
    }
    let with_scheme;
    let full = if text.contains("://") {
        text
    } else {
        with_scheme = format!("https://{text}");
        &with_scheme
    };
    let url = Url::parse(full).ok()?;
    if !url.username().is_empty() || url.password().is_some() || url.port().is_some() {
        return None;
    }
    let facts = super::PageFacts::read(full).ok()?.aws?;
    if facts.service != AwsService::IdentityCenter {
        return None;
    }
    facts.portal
}

/// The domains under which Identity Center access portals live.
pub const PORTAL_DOMAINS: [&str; 3] = [".awsapps.com", ".portal.amazonaws.com", ".app.aws"];

/// The host of an access portal URL kept by [`read_start_url`].
pub fn start_url_host(start_url: &str) -> Option<&str> {
    let rest = start_url.strip_prefix("https://")?;
    Some(rest.split('/').next().unwrap_or(rest))
}

/// The directory an access portal's own host name names
/// (`d-1234567890.awsapps.com`), if it does.
pub fn start_url_directory(start_url: &str) -> Option<&str> {
    let host = start_url_host(start_url)?;
    let label = host.strip_suffix(".awsapps.com")?;
    is_directory_id(label).then_some(label)
}

/// What a browser tab going from `from` to `to` teaches about IAM Identity
/// Center: when `from` is an access portal and `to` a sign-in page of the
/// same partition whose path names a directory, that portal's instance is
/// that directory. Returns the portal's start URL and the directory.
///
/// The two addresses must be what the browser reported for one tab, one
/// after the other (the portal redirects to its sign-in page); a page's
/// own claims never count.
pub fn portal_leads_to(from: &str, to: &str) -> Option<(String, String)> {
    let read = |u: &str| super::PageFacts::read(u).ok()?.aws;
    let portal = read(from)?;
    let signin = read(to)?;
    let both = [&portal, &signin]
        .iter()
        .all(|f| f.service == AwsService::IdentityCenter);
    if !both || portal.partition != signin.partition || signin.portal.is_some() {
        return None;
    }
    let directory = signin.directory?;
    // A portal whose own host name names another directory leads nowhere.
    if portal.directory.as_ref().is_some_and(|d| *d != directory) {
        return None;
    }
    Some((portal.portal?, directory))
}

#[cfg(test)]
mod tests;
