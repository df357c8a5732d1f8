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
    /// IAM Identity Center: access portals (`<name>.awsapps.com`) and its
    /// sign-in (`<region>.signin.aws`).
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

/// Which hosts below a table entry's base belong to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Below {
    /// The base itself and hosts with exactly one more label.
    BaseAndOneLabel,
    /// Only hosts with exactly one more label (the base is no page).
    OneLabel,
    /// The base itself and every host below it.
    BaseAndAll,
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
    pub below: Below,
}

const fn entry(
    base: &'static str,
    partition: Partition,
    service: AwsService,
    below: Below,
) -> AwsHost {
    AwsHost {
        base,
        partition,
        service,
        below,
    }
}

/// Every AWS host FactorCat knows, as data. The extension's content scripts
/// run on exactly these domains (a test compares them with
/// `extension/manifest.json`).
pub const AWS_HOSTS: [AwsHost; 8] = [
    entry(
        "signin.aws.amazon.com",
        Partition::Aws,
        AwsService::Signin,
        Below::BaseAndOneLabel,
    ),
    entry(
        "signin.amazonaws-us-gov.com",
        Partition::AwsUsGov,
        AwsService::Signin,
        Below::BaseAndOneLabel,
    ),
    entry(
        "signin.amazonaws.cn",
        Partition::AwsCn,
        AwsService::Signin,
        Below::BaseAndOneLabel,
    ),
    entry(
        "awsapps.com",
        Partition::Aws,
        AwsService::IdentityCenter,
        Below::OneLabel,
    ),
    entry(
        "signin.aws",
        Partition::Aws,
        AwsService::IdentityCenter,
        Below::OneLabel,
    ),
    entry(
        "console.aws.amazon.com",
        Partition::Aws,
        AwsService::Console,
        Below::BaseAndAll,
    ),
    entry(
        "console.amazonaws-us-gov.com",
        Partition::AwsUsGov,
        AwsService::Console,
        Below::BaseAndAll,
    ),
    entry(
        "console.amazonaws.cn",
        Partition::AwsCn,
        AwsService::Console,
        Below::BaseAndAll,
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
}

impl Serialize for AwsFacts {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("AwsFacts", 6)?;
        s.serialize_field("partition", &self.partition)?;
        s.serialize_field("service", &self.service)?;
        serialize_account(&mut s, self.account.as_ref())?;
        s.serialize_field("region", &self.region)?;
        s.serialize_field("directory", &self.directory)?;
        s.end()
    }
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
        let fits = match h.below {
            Below::BaseAndOneLabel => !labels.contains('.'),
            Below::OneLabel => !labels.is_empty() && !labels.contains('.'),
            Below::BaseAndAll => true,
        };
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

/// What the address of a page on `host` (lower-case ASCII, as
/// [`super::PageFacts::read`] gives it) says about AWS. `None` for every
/// host that is not in [`AWS_HOSTS`], including lookalikes, and for hosts
/// in its domains that are not pages of it (a sign-in host's first label
/// that is neither a region, an account id nor an alias).
pub fn aws_facts(host: &str, url: &Url) -> Option<AwsFacts> {
    let (entry, labels) = aws_host(host)?;
    let mut facts = AwsFacts {
        partition: entry.partition,
        service: entry.service,
        account: None,
        region: None,
        directory: None,
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
        }
        AwsService::IdentityCenter => {
            let label = nearest?;
            if is_region(label) {
                facts.region = Some(label.to_string());
            } else if is_directory_id(label) {
                facts.directory = Some(label.to_string());
            }
            facts.directory = directory_in_path(url).or(facts.directory);
        }
        AwsService::Console => {
            facts.region = nearest.filter(|l| is_region(l)).map(str::to_string);
        }
    }
    Some(facts)
}

#[cfg(test)]
mod tests;
