//! Property tests for site matching (`site::match_url`), stated as the
//! rules of `docs/protocol.md` §4.3 and `host/src/site.rs`, with generated
//! vaults (well-known and unknown issuers, explicit sites in stored and
//! typed forms, public suffixes as sites, AWS contexts of every partition,
//! pins), pages (ordinary sites, AWS console sign-in hosts of each
//! partition with region, account id and alias labels, Identity Center
//! portals) and hints:
//!
//! * a page that is not `https` gets an error, never a candidate;
//! * a candidate always has a site — one of its own, else its issuer's
//!   built-in ones (`site::issuer_sites`), or for a token with an AWS
//!   context the console sign-in host of its partition — that is the
//!   page's host or a parent of it with the same registrable domain
//!   (decided by the `publicsuffix` crate over the bundled list, as an
//!   independent oracle);
//! * on AWS sign-in pages, a token of another partition is never a
//!   candidate; on console pages the others need a site inside the
//!   console host itself (Amazon retail sites do not reach it);
//! * on IAM Identity Center pages (portals, and sign-in pages with or
//!   without a directory in their path) a token bound to an instance (a
//!   start URL, a learned directory, or a site that is an access portal)
//!   is a candidate only when the page is that instance — the portal's
//!   host, or the directory its host or path names — and an unbound token
//!   only by a site of its own; auto-fill there needs the instance;
//! * `autofill` names a token exactly when one candidate alone has the
//!   top strength, or the top candidates are interchangeable (then the
//!   first), and that strength is at least what the page needs (`account`
//!   when an AWS page or the hint names an account); interchangeable
//!   candidates are AWS devices of one partition and one known user;
//! * candidates come strongest first, pinned first within a strength,
//!   then in vault order — interchangeable top candidates pinned first,
//!   then newest first; hints only rank and remove, never add;
//! * lookalikes of the real hosts (the real host followed by another
//!   domain, in the user info, path, query or fragment, hyphenated, or with
//!   a homoglyph in its registrable label, as Unicode or punycode) get no
//!   candidate at all; a port, a trailing dot or upper case change nothing.
//!
//! Case counts are modest; set `PROPTEST_CASES` for a longer run.

use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::OnceLock;

use crate::support::strategies::{self, config};
use factorcat::error::ErrorCode;
use factorcat::site::{self, Hint, MatchResult, Strength};
use factorcat::token::{
    Algorithm, AwsContext, Kind as TokenKind, Partition, TokenMeta, TokenSites,
};
use proptest::prelude::*;
use publicsuffix::Psl;
use uuid::Uuid;

/// The bundled Public Suffix List, parsed by the `publicsuffix` crate.
fn list() -> &'static publicsuffix::List {
    static LIST: OnceLock<publicsuffix::List> = OnceLock::new();
    LIST.get_or_init(|| {
        include_str!("../../src/data/public_suffix_list.dat")
            .parse()
            .expect("the bundled list parses")
    })
}

/// The registrable domain by the oracle; `None` for IP addresses and
/// public suffixes.
fn registrable(host: &str) -> Option<String> {
    if host.parse::<IpAddr>().is_ok() {
        return None;
    }
    let domain = list().domain(host.as_bytes())?;
    Some(String::from_utf8(domain.as_bytes().to_vec()).unwrap())
}

/// Console sign-in hosts per partition.
const CONSOLES: [(&str, Partition); 4] = [
    ("signin.aws.amazon.com", Partition::Aws),
    ("signin.amazonaws-us-gov.com", Partition::AwsUsGov),
    ("signin.amazonaws.cn", Partition::AwsCn),
    ("signin.amazonaws-eusc.eu", Partition::AwsEusc),
];

fn console_of(partition: Partition) -> &'static str {
    CONSOLES.iter().find(|(_, p)| *p == partition).unwrap().0
}

const ACCOUNT_IDS: [&str; 2] = ["123456789012", "210987654321"];
const ALIASES: [&str; 2] = ["my-alias", "other-alias"];
const REGIONS: [&str; 5] = [
    "us-east-1",
    "eu-west-2",
    "us-gov-west-1",
    "cn-north-1",
    "eusc-de-east-1",
];
/// IAM Identity Center hosts: access portals and sign-in hosts (whose
/// directory, if any, is in the path).
const PORTALS: [&str; 8] = [
    "d-1234567890.awsapps.com",
    "d-0000000000.awsapps.com",
    "my-portal.awsapps.com",
    "other-portal.awsapps.com",
    "ssoins-1111111111111111.portal.us-west-2.app.aws",
    "portal.signin.aws",
    "us-east-1.signin.aws",
    "eu-west-2.sso.signin.aws",
];
/// Start URLs tokens may be bound to.
const START_URLS: [&str; 4] = [
    "https://d-1234567890.awsapps.com/start",
    "https://my-portal.awsapps.com/start",
    "https://other-portal.awsapps.com/start",
    "https://ssoins-1111111111111111.portal.us-west-2.app.aws",
];
const DIRECTORIES: [&str; 3] = ["d-1234567890", "d-0000000000", "d-00000000ff"];

/// Ordinary hosts, some of them parents or children of others, public
/// suffixes and an IP address among them.
const HOSTS: [&str; 20] = [
    "github.com",
    "gist.github.com",
    "accounts.google.com",
    "mail.google.com",
    "amazon.com",
    "www.amazon.com",
    "console.aws.amazon.com",
    "login.microsoftonline.com",
    "dash.cloudflare.com",
    "someone.github.io",
    "github.io",
    "bank.example",
    "login.bank.example",
    "shop.example.co.uk",
    "example.co.uk",
    "store.steampowered.com",
    "x.com",
    "10.1.2.3",
    "gitlab.com",
    "id.atlassian.com",
];

/// Every console host with each kind of first label (none, region,
/// account id, alias).
fn console_hosts() -> Vec<(String, Partition, Option<&'static str>)> {
    let mut out = Vec::new();
    for (base, partition) in CONSOLES {
        out.push((base.to_string(), partition, None));
        for region in REGIONS {
            out.push((format!("{region}.{base}"), partition, None));
        }
        for account in ACCOUNT_IDS.iter().chain(&ALIASES) {
            out.push((format!("{account}.{base}"), partition, Some(*account)));
        }
    }
    out
}

/// Domains no generated site lies in: the home of the lookalikes.
const EVIL: [&str; 2] = ["evil.example", "attacker.test"];

/// What kind of page a URL is, as the generator built it.
#[derive(Debug, Clone)]
enum Kind {
    /// Not an AWS sign-in host.
    Other,
    /// An AWS console sign-in host of this partition, naming this account
    /// in its first label, if any.
    Console(Partition, Option<&'static str>),
    /// An IAM Identity Center page: an access portal or its sign-in.
    Portal,
}

#[derive(Debug, Clone)]
struct Page {
    /// The host as written in the URL.
    host: String,
    kind: Kind,
}

fn page() -> impl Strategy<Value = Page> {
    let other = prop::sample::select(HOSTS.to_vec()).prop_map(|h| Page {
        host: h.to_string(),
        kind: Kind::Other,
    });
    let console = prop::sample::select(console_hosts()).prop_map(|(host, p, account)| Page {
        host,
        kind: Kind::Console(p, account),
    });
    let portal = prop::sample::select(PORTALS.to_vec()).prop_map(|h| Page {
        host: h.to_string(),
        kind: Kind::Portal,
    });
    let random = strategies::site().prop_map(|host| Page {
        host,
        kind: Kind::Other,
    });
    prop_oneof![3 => other, 3 => console, 1 => portal, 1 => random]
}

fn path() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("/".to_string()),
        "/[a-z0-9/]{0,12}",
        prop::sample::select(DIRECTORIES.to_vec())
            .prop_map(|d| format!("/platform/{d}/login?workflowStateHandle=x")),
        Just("/oauth?client_id=arn%3Aaws%3Asignin&next=https://github.com/".to_string()),
        Just("/console#github.com".to_string()),
    ]
}

/// A site as a person or an old record may hold it.
fn site() -> impl Strategy<Value = String> {
    let pooled: Vec<String> = HOSTS
        .iter()
        .map(|h| h.to_string())
        .chain(console_hosts().into_iter().map(|(h, _, _)| h))
        .chain(PORTALS.iter().map(|h| h.to_string()))
        .chain(
            [
                "awsapps.com",
                "signin.aws",
                "amazonaws-us-gov.com",
                "amazonaws.cn",
                "co.uk",
                "GitHub.COM",
                "https://Accounts.Google.com/signin",
                " login.bank.example ",
                "google.com",
            ]
            .map(str::to_string),
        )
        .collect();
    let random = strategies::site().prop_filter("outside the lookalike domains", |s| {
        !s.contains("xn--") && !EVIL.iter().any(|e| s == e || s.ends_with(&format!(".{e}")))
    });
    prop_oneof![4 => prop::sample::select(pooled), 1 => random]
}

fn issuer() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "Amazon Web Services", "aws", "AWS IAM", "GitHub", "github", "Google Account",
            "Microsoft", "Steam", "X", "GitLab", "Atlassian", "Bank", "", "Random Co",
        ])
        .prop_map(str::to_string),
        1 => strategies::clean_text(),
    ]
}

fn account() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "alice", "bob", "alice@123456789012", "bob@210987654321", "dev@my-alias",
            "root@example.com", "",
        ])
        .prop_map(str::to_string),
        1 => strategies::clean_text(),
    ]
}

fn aws_context() -> impl Strategy<Value = AwsContext> {
    (
        prop::option::of(prop::sample::select(ACCOUNT_IDS.to_vec())),
        prop::option::of(prop::sample::select(ALIASES.to_vec())),
        prop::option::of(prop::sample::select(vec![
            "alice",
            "bob",
            "root@example.com",
        ])),
        strategies::partition(),
        prop_oneof![
            4 => Just((None, None)),
            1 => (
                prop::option::of(prop::sample::select(START_URLS.to_vec())),
                prop::option::of(prop::sample::select(DIRECTORIES.to_vec())),
            ),
        ],
    )
        .prop_map(
            |(id, alias, user, partition, (start_url, directory))| AwsContext {
                account_id: id.map(str::to_string),
                account_alias: alias.map(str::to_string),
                user: user.map(str::to_string),
                partition,
                sso_start_url: start_url.map(str::to_string),
                sso_directory: directory.map(str::to_string),
                mfa_serial: None,
            },
        )
}

fn token() -> impl Strategy<Value = TokenMeta> {
    (
        any::<u128>(),
        issuer(),
        account(),
        prop_oneof![2 => Just(Vec::new()), 3 => prop::collection::vec(site(), 1..4)],
        prop::option::of(aws_context()),
        any::<bool>(),
        0..4u64,
    )
        .prop_map(
            |(id, issuer, account, sites, aws, pinned, created)| TokenMeta {
                id: Uuid::from_u128(id),
                issuer,
                account,
                sites,
                aws,
                pinned,
                kind: TokenKind::Totp { period: 30 },
                created,
                algorithm: Algorithm::Sha1,
                digits: 6,
                tags: Vec::new(),
                updated: created,
            },
        )
}

/// The tokens as the vault hands them to matching: borrowed views.
fn light(tokens: &[TokenMeta]) -> Vec<TokenSites<'_>> {
    tokens.iter().map(TokenSites::of_meta).collect()
}

fn vault() -> impl Strategy<Value = Vec<TokenMeta>> {
    prop::collection::vec(token(), 0..14).prop_map(|mut v| {
        let mut seen = HashSet::new();
        v.retain(|t| seen.insert(t.id));
        v
    })
}

fn hint() -> impl Strategy<Value = Hint> {
    let text = |pool: Vec<&'static str>| {
        prop::option::of(prop_oneof![
            3 => prop::sample::select(pool).prop_map(str::to_string),
            1 => strategies::clean_text(),
        ])
    };
    (
        text(vec![
            "123456789012",
            "210987654321",
            "my-alias",
            "MY-ALIAS ",
            "nobody",
        ]),
        text(vec!["alice", "bob", "Alice"]),
        text(vec!["root@example.com"]),
    )
        .prop_map(|(account, user, email)| Hint {
            account,
            user,
            email,
        })
}

/// The host `match_url` works on: the URL's host in lower case without
/// trailing dots (punycode for Unicode hosts).
fn page_host(url: &str) -> String {
    let parsed = url::Url::parse(url).unwrap();
    match parsed.host().unwrap() {
        url::Host::Domain(d) => d.trim_end_matches('.').to_ascii_lowercase(),
        url::Host::Ipv4(ip) => ip.to_string(),
        url::Host::Ipv6(ip) => ip.to_string(),
    }
}

/// Whether `site` (as stored: it is normalized first) is `host` or a parent
/// of it with the same registrable domain.
fn site_covers(site: &str, host: &str) -> bool {
    let Ok(site) = site::normalize_site(site) else {
        return false;
    };
    let within = host == site || host.ends_with(&format!(".{site}"));
    within
        && match registrable(host) {
            Some(domain) => registrable(&site).as_deref() == Some(domain.as_str()),
            None => host == site,
        }
}

/// The sites that may let `token` onto a page: its own, else its issuer's
/// built-in ones, and for an AWS device the console host of its partition.
fn allowed_sites(token: &TokenMeta) -> Vec<String> {
    let mut sites = token.sites.clone();
    if sites.is_empty() {
        sites.extend(site::issuer_sites(&token.issuer).iter().cloned());
    }
    if let Some(aws) = token.aws.as_ref().filter(|a| !a.identity_center()) {
        sites.push(console_of(aws.partition).to_string());
    }
    sites
}

/// The hosts of the access portals a token is bound to: its start URL's
/// and its sites that are access portals.
fn bound_portals(token: &TokenMeta) -> Vec<String> {
    let start = token
        .aws
        .as_ref()
        .and_then(|a| a.sso_start_url.as_deref())
        .map(|u| {
            u.trim_start_matches("https://")
                .trim_end_matches("/start")
                .to_string()
        });
    let sites = token
        .sites
        .iter()
        .filter_map(|s| site::normalize_site(s).ok())
        .filter(|s| {
            s.strip_suffix(".awsapps.com")
                .is_some_and(|l| !l.is_empty() && !l.contains('.'))
                || s.starts_with("ssoins-")
        });
    start.into_iter().chain(sites).collect()
}

/// The Identity Center directory a page names: in its sign-in path, else
/// in a portal's host name.
fn page_directory(url: &str, host: &str) -> Option<String> {
    let path = url::Url::parse(url).unwrap().path().to_string();
    let in_path = path
        .strip_prefix("/platform/")
        .and_then(|rest| rest.split('/').next())
        .filter(|d| DIRECTORIES.contains(d));
    let in_host = host
        .strip_suffix(".awsapps.com")
        .filter(|l| l.starts_with("d-"));
    in_path.or(in_host).map(str::to_string)
}

/// Whether the Identity Center page at `url` is the token's instance.
fn same_instance(token: &TokenMeta, url: &str, host: &str) -> bool {
    let portals = bound_portals(token);
    let directory = page_directory(url, host);
    let learned = token.aws.as_ref().and_then(|a| a.sso_directory.as_deref());
    let on_portal = (host.ends_with(".awsapps.com") || host.ends_with(".app.aws"))
        && portals.iter().any(|p| p == host);
    let by_directory = directory.as_deref().is_some_and(|d| {
        learned == Some(d)
            || portals
                .iter()
                .any(|p| p.strip_suffix(".awsapps.com") == Some(d))
    });
    on_portal || by_directory
}

/// Whether a token belongs to an Identity Center instance at all.
fn bound(token: &TokenMeta) -> bool {
    token.aws.as_ref().is_some_and(|a| a.identity_center()) || !bound_portals(token).is_empty()
}

fn ids(result: &MatchResult) -> Vec<(Uuid, Strength)> {
    result
        .candidates
        .iter()
        .map(|c| (c.id, c.strength))
        .collect()
}

/// Every rule that holds on any https page.
fn check_rules(
    tokens: &[TokenMeta],
    page: &Page,
    url: &str,
    hint: &Hint,
    result: &MatchResult,
) -> Result<(), TestCaseError> {
    let host = page_host(url);
    prop_assert_eq!(&result.page.host, &host);
    // The console sign-in's hosts serve older Identity Center instances'
    // sign-in under /platform/ (unless an account names the host).
    let path = url::Url::parse(url).unwrap().path().to_string();
    let kind = match page.kind {
        Kind::Console(_, None) if path.starts_with("/platform/") => Kind::Portal,
        ref other => other.clone(),
    };

    let mut seen = HashSet::new();
    for c in &result.candidates {
        prop_assert!(seen.insert(c.id), "a token listed twice");
        let token = &tokens[c.index];
        prop_assert_eq!(token.id, c.id);
        // The domain rule (Identity Center's instances below).
        prop_assert!(
            matches!(kind, Kind::Portal)
                || allowed_sites(token).iter().any(|s| site_covers(s, &host)),
            "{:?} offered on {} ({:?})",
            token,
            url,
            registrable(&host)
        );
        match kind {
            Kind::Console(partition, _) => {
                if let Some(aws) = &token.aws {
                    prop_assert_eq!(aws.partition, partition, "{:?} on {}", token, url);
                } else {
                    let base = console_of(partition);
                    let inside = |s: &String| {
                        site::normalize_site(s)
                            .is_ok_and(|s| s == base || s.ends_with(&format!(".{base}")))
                    };
                    let own = token.sites.iter().any(inside);
                    let default = token.sites.is_empty()
                        && site::issuer_sites(&token.issuer).iter().any(inside);
                    prop_assert!(own || default, "{:?} offered on {}", token, url);
                }
            }
            Kind::Portal => {
                if bound(token) {
                    prop_assert!(
                        same_instance(token, url, &host),
                        "{:?} offered on {}, another instance",
                        token,
                        url
                    );
                    if c.strength >= Strength::Account {
                        prop_assert!(same_instance(token, url, &host));
                    }
                } else {
                    prop_assert!(
                        token.sites.iter().any(|s| site_covers(s, &host)),
                        "{:?} offered on {} without a site of its own",
                        token,
                        url
                    );
                    prop_assert!(c.strength < Strength::Account, "{:?} on {}", token, url);
                }
                if let (Some(aws), Some(page_aws)) = (&token.aws, &result.page.aws) {
                    prop_assert_eq!(aws.partition, page_aws.partition);
                }
            }
            Kind::Other => {}
        }
    }

    // On Identity Center pages every token of the page's instance is offered.
    if let (Kind::Portal, Some(page_aws)) = (&kind, &result.page.aws) {
        for (i, token) in tokens.iter().enumerate() {
            let partition_ok = token
                .aws
                .as_ref()
                .is_none_or(|a| a.partition == page_aws.partition);
            if bound(token) && partition_ok && same_instance(token, url, &host) {
                prop_assert!(
                    result.candidates.iter().any(|c| c.index == i),
                    "{:?} not offered on its instance's page {}",
                    token,
                    url
                );
            }
        }
    }

    // Interchangeable top candidates: two or more AWS devices of one
    // partition and one known user.
    let top = result
        .candidates
        .iter()
        .take_while(|c| Some(c.strength) == result.candidates.first().map(|f| f.strength))
        .count();
    if result.interchangeable {
        prop_assert!(top >= 2);
        let owner = |c: &site::Candidate| {
            tokens[c.index].aws.as_ref().and_then(|a| {
                let user = a.user.as_deref()?.trim().to_ascii_lowercase();
                (!user.is_empty()).then_some((a.partition, user))
            })
        };
        let first = owner(&result.candidates[0]);
        prop_assert!(first.is_some(), "{:?}", tokens[result.candidates[0].index]);
        for c in &result.candidates[1..top] {
            prop_assert_eq!(owner(c), first.clone());
        }
    }

    // Order: strength, then pinned first, then vault order (newest first
    // before that among interchangeable top candidates).
    let keys: Vec<_> = result
        .candidates
        .iter()
        .enumerate()
        .map(|(n, c)| {
            let newest = if result.interchangeable && n < top {
                std::cmp::Reverse(tokens[c.index].created)
            } else {
                std::cmp::Reverse(0)
            };
            (
                std::cmp::Reverse(c.strength),
                !tokens[c.index].pinned,
                newest,
                c.index,
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    prop_assert_eq!(keys, sorted);

    // What auto-fill needs, and when it happens.
    // A hint names an account when it reads as one (an id as typed, an
    // alias in any case).
    let hinted = hint
        .account
        .as_deref()
        .and_then(site::read_account)
        .is_some();
    // On Identity Center pages the instance stands for the account.
    let named = match kind {
        Kind::Console(_, account) => account.is_some() || hinted,
        Kind::Portal => true,
        Kind::Other => false,
    };
    let needs = if named {
        Strength::Account
    } else {
        Strength::Site
    };
    prop_assert_eq!(result.autofill_needs, needs);
    let lone_top = match result.candidates.as_slice() {
        [] => None,
        [only] => Some(only),
        [first, second, ..] => {
            (second.strength < first.strength || result.interchangeable).then_some(first)
        }
    };
    let expected = lone_top.filter(|c| c.strength >= needs).map(|c| c.id);
    prop_assert_eq!(result.autofill(), expected);
    Ok(())
}

/// The lookalikes of a real host: every one must get nothing.
fn lookalikes(host: &str, homoglyph: usize) -> Vec<String> {
    let mut out = Vec::new();
    for evil in EVIL {
        out.push(format!("https://{host}.{evil}/"));
        out.push(format!("https://{host}.{evil}./signin"));
        out.push(format!("https://{host}@{evil}/"));
        out.push(format!("https://{host}:443@{evil}/"));
        out.push(format!("https://{evil}/{host}"));
        out.push(format!("https://{evil}/?next=https://{host}/"));
        out.push(format!("https://{evil}/#{host}"));
        out.push(format!("https://{evil}\\@{host}/"));
        out.push(format!("https://{}.{evil}/", host.replace('.', "-")));
    }
    out.push(format!("https://{}.example/", host.replace('.', "-")));
    out.push(format!("https://{}/", host.replace('.', "")));
    // A homoglyph in the registrable label (the one in front of the public
    // suffix), written in Unicode and in punycode. Where an AWS domain is
    // itself a public suffix (`awsapps.com`: the label in front of it is a
    // portal's name, and another name there is another portal, not a
    // lookalike), in AWS's own label.
    let aws_base = site::aws::aws_host(host).map(|(entry, _)| entry.base.to_string());
    let domain = match (registrable(host), aws_base) {
        (Some(domain), Some(base)) if base.len() < domain.len() => Some(base),
        (domain, _) => domain,
    };
    if let Some(domain) = domain {
        let start = host.len() - domain.len();
        let label_end = start + domain.find('.').unwrap_or(domain.len());
        let swaps = [
            ('a', 'а'),
            ('e', 'е'),
            ('o', 'о'),
            ('c', 'с'),
            ('p', 'р'),
            ('x', 'х'),
            ('i', 'і'),
            ('s', 'ѕ'),
        ];
        let positions: Vec<(usize, char)> = host[start..label_end]
            .char_indices()
            .filter_map(|(i, c)| {
                swaps
                    .iter()
                    .find(|(ascii, _)| *ascii == c)
                    .map(|(_, u)| (start + i, *u))
            })
            .collect();
        if !positions.is_empty() {
            let (at, glyph) = positions[homoglyph % positions.len()];
            let mut spoofed = host.to_string();
            spoofed.replace_range(at..at + 1, &glyph.to_string());
            let unicode = format!("https://{spoofed}/");
            let puny = page_host(&unicode);
            assert!(puny.contains("xn--"), "{puny}");
            out.push(unicode);
            out.push(format!("https://{puny}/"));
        }
    }
    out
}

proptest! {
    #![proptest_config(config(250))]

    #[test]
    fn matching_keeps_its_rules(
        tokens in vault(),
        page in page(),
        path in path(),
        hint in hint(),
    ) {
        let url = format!("https://{}{path}", page.host);
        let result = site::match_url(&light(&tokens), &url, &hint).unwrap();
        check_rules(&tokens, &page, &url, &hint, &result)?;
        // Hints rank and remove; they never add.
        let bare = site::match_url(&light(&tokens), &url, &Hint::default()).unwrap();
        check_rules(&tokens, &page, &url, &Hint::default(), &bare)?;
        let without: HashSet<Uuid> = bare.candidates.iter().map(|c| c.id).collect();
        for c in &result.candidates {
            prop_assert!(without.contains(&c.id), "the hint {:?} added a token", hint);
        }
    }

    #[test]
    fn ports_trailing_dots_and_case_change_nothing(
        tokens in vault(),
        page in page(),
        hint in hint(),
        port in 1u16..,
    ) {
        let url = format!("https://{}/", page.host);
        let plain = site::match_url(&light(&tokens), &url, &hint).unwrap();
        for variant in [
            format!("https://{}:{port}/", page.host),
            format!("https://{}./", page.host),
            format!("https://{}/", page.host.to_ascii_uppercase()),
            format!("  https://{}/  ", page.host),
        ] {
            let other = site::match_url(&light(&tokens), &variant, &hint).unwrap();
            prop_assert_eq!(ids(&other), ids(&plain), "{} vs {}", variant, url);
            prop_assert_eq!(other.autofill(), plain.autofill());
        }
    }

    #[test]
    fn lookalikes_get_nothing(
        tokens in vault(),
        page in page(),
        hint in hint(),
        homoglyph in any::<usize>(),
    ) {
        for url in lookalikes(&page.host, homoglyph) {
            let Ok(result) = site::match_url(&light(&tokens), &url, &hint) else {
                continue;
            };
            prop_assert!(
                result.candidates.is_empty(),
                "{} offered {:?}",
                url,
                result.candidates.iter().map(|c| &tokens[c.index]).collect::<Vec<_>>()
            );
            prop_assert!(result.page.aws.is_none(), "{} taken for an AWS page", url);
            prop_assert_eq!(result.autofill(), None);
        }
    }

    #[test]
    fn only_https_pages_match(
        tokens in vault(),
        page in page(),
        scheme in prop::sample::select(vec![
            "http", "HTTP", "ftp", "wss", "ws", "file", "chrome-extension", "moz-extension",
            "javascript", "data", "blob", "httpss", "view-source",
        ]),
        hint in hint(),
    ) {
        let url = format!("{scheme}://{}/", page.host);
        let result = site::match_url(&light(&tokens), &url, &hint);
        prop_assert!(
            matches!(&result, Err(e) if e.code() == ErrorCode::InsecureUrl || e.code() == ErrorCode::InvalidUrl),
            "{} gave {:?}",
            url,
            result.map(|r| r.candidates)
        );
        let blob = format!("blob:https://{}/uuid", page.host);
        prop_assert!(site::match_url(&light(&tokens), &blob, &hint).is_err());
    }
}

/// The vault of every generated kind of token that the lookalikes target:
/// one token per pooled site, with and without AWS contexts; none of them
/// may appear on any lookalike of any pooled host.
#[test]
fn lookalikes_of_every_pooled_host_get_nothing() {
    let mut tokens = Vec::new();
    let hosts: Vec<String> = HOSTS
        .iter()
        .map(|h| h.to_string())
        .chain(console_hosts().into_iter().map(|(h, _, _)| h))
        .chain(PORTALS.iter().map(|h| h.to_string()))
        .collect();
    for (n, host) in hosts.iter().enumerate() {
        for (m, partition) in [None, Some(Partition::Aws), Some(Partition::AwsUsGov)]
            .into_iter()
            .enumerate()
        {
            tokens.push(TokenMeta {
                id: Uuid::from_u128((n * 4 + m) as u128 + 1),
                issuer: "GitHub".into(),
                account: "alice@123456789012".into(),
                sites: vec![host.clone()],
                aws: partition.map(|partition| AwsContext {
                    account_id: Some("123456789012".into()),
                    partition,
                    ..AwsContext::default()
                }),
                pinned: false,
                kind: TokenKind::Totp { period: 30 },
                created: 0,
                algorithm: Algorithm::Sha1,
                digits: 6,
                tags: Vec::new(),
                updated: 0,
            });
        }
    }
    let hint = Hint {
        account: Some("123456789012".into()),
        user: Some("alice".into()),
        email: None,
    };
    let mut checked = 0;
    for host in &hosts {
        for homoglyph in 0..3 {
            for url in lookalikes(host, homoglyph) {
                let Ok(result) = site::match_url(&light(&tokens), &url, &hint) else {
                    continue;
                };
                checked += 1;
                assert!(
                    result.candidates.is_empty(),
                    "{url}: {:?}",
                    result.candidates
                );
            }
        }
    }
    assert!(checked > 1000, "only {checked} lookalikes were checked");
}
