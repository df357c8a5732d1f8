//! The AWS page facts: a table of addresses and what the host reads in
//! them, accounts as people type them, the earlier sign-in step, and the
//! extension's host list against [`AWS_HOSTS`].

use std::collections::BTreeSet;

use serde_json::json;

use super::*;
use crate::site::{Earlier, Hint, PageFacts, Who};

fn facts(url: &str) -> Option<AwsFacts> {
    PageFacts::read(url).unwrap().aws
}

fn id(s: &str) -> Option<AccountRef> {
    Some(AccountRef::Id(s.to_string()))
}

fn alias(s: &str) -> Option<AccountRef> {
    Some(AccountRef::Alias(s.to_string()))
}

/// URL → partition, service, account, region, directory (`-`: none).
#[rustfmt::skip]
const PAGES: &[(&str, &str)] = &[
    ("https://signin.aws.amazon.com/signin?redirect_uri=x", "aws signin - - -"),
    ("https://123456789012.signin.aws.amazon.com/console", "aws signin 123456789012 - -"),
    ("https://example-corp.signin.aws.amazon.com/console", "aws signin example-corp - -"),
    ("https://us-east-1.signin.aws.amazon.com/oauth?client_id=x", "aws signin - us-east-1 -"),
    ("https://SIGNIN.AWS.AMAZON.COM./signin", "aws signin - - -"),
    ("https://signin.amazonaws-us-gov.com/", "aws-us-gov signin - - -"),
    ("https://us-gov-west-1.signin.amazonaws-us-gov.com/oauth", "aws-us-gov signin - us-gov-west-1 -"),
    ("https://sks-gov-ctrl.signin.amazonaws-us-gov.com/console", "aws-us-gov signin sks-gov-ctrl - -"),
    ("https://signin.amazonaws.cn/", "aws-cn signin - - -"),
    ("https://cn-north-1.signin.amazonaws.cn/oauth", "aws-cn signin - cn-north-1 -"),
    ("https://123456789012.signin.amazonaws.cn/console", "aws-cn signin 123456789012 - -"),
    ("https://d-1234567890.awsapps.com/start/#/", "aws identity_center - - d-1234567890"),
    ("https://my-portal.awsapps.com/start", "aws identity_center - - -"),
    ("https://us-east-1.signin.aws/platform/d-9067642ac7/login?workflowStateHandle=x", "aws identity_center - us-east-1 d-9067642ac7"),
    ("https://eu-west-1.signin.aws/platform/login", "aws identity_center - eu-west-1 -"),
    ("https://portal.signin.aws/platform/d-12345/login", "aws identity_center - - -"),
    ("https://console.aws.amazon.com/iam/home", "aws console - - -"),
    ("https://us-east-1.console.aws.amazon.com/iam/home#/users/details/alice", "aws console - us-east-1 -"),
    ("https://console.amazonaws-us-gov.com/iam/home", "aws-us-gov console - - -"),
    ("https://cn-north-1.console.amazonaws.cn/iam/home", "aws-cn console - cn-north-1 -"),
    // The European Sovereign Cloud: its own partition.
    ("https://signin.amazonaws-eusc.eu/", "aws-eusc signin - - -"),
    ("https://eusc-de-east-1.signin.amazonaws-eusc.eu/oauth", "aws-eusc signin - eusc-de-east-1 -"),
    ("https://123456789012.signin.amazonaws-eusc.eu/console", "aws-eusc signin 123456789012 - -"),
    ("https://eusc-de-east-1.console.amazonaws-eusc.eu/iam/home", "aws-eusc console - eusc-de-east-1 -"),
    // The legacy console address names the account in its query string;
    // an account in the host name wins.
    ("https://signin.aws.amazon.com/console?account=123456789012&iam_user=true", "aws signin 123456789012 - -"),
    ("https://signin.aws.amazon.com/console?region=ap-southeast-2&iam_user=true&account=Example-Corp", "aws signin example-corp - -"),
    ("https://signin.aws.amazon.com/console?account=1234-5678-9012", "aws signin 123456789012 - -"),
    ("https://111111111111.signin.aws.amazon.com/console?account=222222222222", "aws signin 111111111111 - -"),
    ("https://signin.aws.amazon.com/console?account=root%40example.com", "aws signin - - -"),
    // `aws login` (AWS CLI 2.32+) opens the regional sign-in's /v1/authorize.
    ("https://us-east-1.signin.aws.amazon.com/v1/authorize?response_type=code&client_id=arn%3Aaws%3Asignin%3A%3A%3Adevtools%2Fsame-device&state=x&code_challenge_method=SHA-256&scope=openid&redirect_uri=http%3A%2F%2F127.0.0.1%3A50934%2Foauth%2Fcallback&code_challenge=y", "aws signin - us-east-1 -"),
    // Multi-session console hosts name the account of the session.
    ("https://123456789012-abcd1234.us-east-1.console.aws.amazon.com/iam/home", "aws console 123456789012 us-east-1 -"),
    ("https://abc.us-east-1.console.aws.amazon.com/iam/home", "aws console - us-east-1 -"),
    ("https://12345-abcd.us-east-1.console.aws.amazon.com/iam/home", "aws console - us-east-1 -"),
    // Identity Center's other sign-in hosts, and portals of additional Regions.
    ("https://us-east-1.sso.signin.aws/platform/d-1234567890/login", "aws identity_center - us-east-1 d-1234567890"),
    ("https://us-east-1.signin.aws.amazon.com/platform/d-1234567890/login?workflowStateHandle=x", "aws identity_center - us-east-1 d-1234567890"),
    ("https://ssoins-1111111111111111.portal.us-west-2.app.aws/", "aws identity_center - us-west-2 -"),
    ("https://ssoins-1111111111111111.us-west-2.portal.amazonaws.com/", "aws identity_center - us-west-2 -"),
];

/// The facts in the form of [`PAGES`].
fn describe(f: &AwsFacts) -> String {
    let service = serde_json::to_value(f.service).unwrap();
    let or_dash = |v: Option<&str>| v.unwrap_or("-").to_string();
    [
        f.partition.as_str().to_string(),
        service.as_str().unwrap().to_string(),
        or_dash(f.account.as_ref().map(AccountRef::as_str)),
        or_dash(f.region.as_deref()),
        or_dash(f.directory.as_deref()),
    ]
    .join(" ")
}

#[test]
fn what_each_aws_address_says() {
    for &(url, want) in PAGES {
        let got = facts(url).unwrap_or_else(|| panic!("{url}: not an AWS page"));
        assert_eq!(describe(&got), want, "{url}");
    }
    // Ids and aliases are told apart.
    assert_eq!(
        facts("https://123456789012.signin.aws.amazon.com/")
            .unwrap()
            .account,
        id("123456789012")
    );
    assert_eq!(
        facts("https://example-corp.signin.aws.amazon.com/")
            .unwrap()
            .account,
        alias("example-corp")
    );
}

#[test]
fn other_hosts_and_lookalikes_are_no_aws_pages() {
    for url in [
        "https://github.com/",
        "https://aws.amazon.com/",
        "https://www.amazon.com/ap/mfa",
        "https://signin.aws.amazon.com.evil.example/console",
        "https://123456789012.signin.aws.amazon.com.evil.example/",
        "https://evilsignin.aws.amazon.com/",
        "https://aws-amazon.com/signin",
        "https://awsapps.com/start",
        "https://awsapps.com.evil.example/start",
        "https://signin.aws/",
        "https://signin.aws.evil.example/platform/d-1234567890/login",
        "https://console.aws.amazon.com.evil.example/",
        "https://a.b.signin.aws.amazon.com/",
        "https://x.d-1234567890.awsapps.com/start",
        "https://my-portal.awsapps.com.evil.example/start",
        "https://bad_name.awsapps.com/start",
        "https://-portal.awsapps.com/start",
        "https://app.aws/",
        "https://x.app.aws/",
        "https://console.app.aws/",
        "https://ssoins-zz.portal.us-west-2.app.aws/",
        "https://ssoins-1111.portal.nowhere.app.aws/",
        "https://ssoins-1111.portal.us-west-2.app.aws.evil.example/",
        "https://foo.portal.amazonaws.com/",
        "https://portal.sso.us-east-1.amazonaws.com/login?directory_id=d-1234567890",
        "https://a.b.sso.signin.aws/",
        "https://us-east-1.foo.signin.aws/platform/d-1234567890/login",
        "https://signin.amazonaws-eusc.eu.evil.example/",
        "https://a.b.signin.amazonaws-eusc.eu/",
    ] {
        assert_eq!(facts(url), None, "{url}");
    }
}

/// The extension used to read these hosts its own way; the host's answer
/// is the one that counts.
#[test]
fn the_hosts_reading_settles_what_the_extension_read_differently() {
    // One letter and five digits are neither an account id nor an alias:
    // no AWS sign-in page at all, so no account and no AWS token.
    assert_eq!(facts("https://a.signin.aws.amazon.com/console"), None);
    assert_eq!(facts("https://12345.signin.aws.amazon.com/console"), None);
    // Three digits in the last part are no region: an alias.
    let page = facts("https://us-east-100.signin.aws.amazon.com/console").unwrap();
    assert_eq!(page.account, alias("us-east-100"));
    assert_eq!(page.region, None);
    let page = facts("https://us-east-10.signin.aws.amazon.com/oauth").unwrap();
    assert_eq!(
        (page.account, page.region.as_deref()),
        (None, Some("us-east-10"))
    );
}

/// Access portals name their instance; sign-in pages do not.
#[test]
fn portals_and_their_start_urls() {
    let portal = |url: &str| facts(url).and_then(|f| f.portal);
    assert_eq!(
        portal("https://my-portal.awsapps.com/start/#/").as_deref(),
        Some("https://my-portal.awsapps.com/start")
    );
    let own = facts("https://d-1234567890.awsapps.com/start").unwrap();
    assert_eq!(
        (own.portal.as_deref(), own.directory.as_deref()),
        (
            Some("https://d-1234567890.awsapps.com/start"),
            Some("d-1234567890")
        )
    );
    assert_eq!(
        portal("https://ssoins-1111111111111111.portal.us-west-2.app.aws/").as_deref(),
        Some("https://ssoins-1111111111111111.portal.us-west-2.app.aws")
    );
    for url in [
        "https://us-east-1.signin.aws/platform/d-1234567890/login",
        "https://us-east-1.signin.aws.amazon.com/platform/d-1234567890/login",
        "https://signin.aws.amazon.com/console",
    ] {
        assert_eq!(portal(url), None, "{url}");
    }
    // The forms people paste, and what is kept.
    for (text, want) in [
        (
            "https://my-portal.awsapps.com/start",
            Some("https://my-portal.awsapps.com/start"),
        ),
        (
            "https://My-Portal.awsapps.com/start/#/",
            Some("https://my-portal.awsapps.com/start"),
        ),
        (
            "my-portal.awsapps.com",
            Some("https://my-portal.awsapps.com/start"),
        ),
        (
            " https://my-portal.awsapps.com/start#/ ",
            Some("https://my-portal.awsapps.com/start"),
        ),
        (
            "https://d-1234567890.awsapps.com/start",
            Some("https://d-1234567890.awsapps.com/start"),
        ),
        (
            "https://ssoins-1111111111111111.us-west-2.portal.amazonaws.com",
            Some("https://ssoins-1111111111111111.us-west-2.portal.amazonaws.com"),
        ),
        ("http://my-portal.awsapps.com/start", None),
        ("https://my-portal.awsapps.com:8443/start", None),
        ("https://me@my-portal.awsapps.com/start", None),
        ("https://my-portal.awsapps.com.evil.example/start", None),
        (
            "https://us-east-1.signin.aws/platform/d-1234567890/login",
            None,
        ),
        ("https://signin.aws.amazon.com/", None),
        ("my portal", None),
        ("", None),
    ] {
        assert_eq!(read_start_url(text).as_deref(), want, "{text:?}");
    }
    assert_eq!(
        start_url_host("https://my-portal.awsapps.com/start"),
        Some("my-portal.awsapps.com")
    );
    assert_eq!(
        start_url_directory("https://d-1234567890.awsapps.com/start"),
        Some("d-1234567890")
    );
    assert_eq!(
        start_url_directory("https://my-portal.awsapps.com/start"),
        None
    );
}

/// The one thing a tab's way from a portal to a sign-in page teaches.
#[test]
fn a_portal_leads_to_its_directory() {
    let signin = "https://us-east-1.signin.aws/platform/d-1234567890/login?workflowStateHandle=x";
    assert_eq!(
        portal_leads_to("https://my-portal.awsapps.com/start/#/", signin),
        Some((
            "https://my-portal.awsapps.com/start".to_string(),
            "d-1234567890".to_string()
        ))
    );
    // The older sign-in host, and a portal of an additional Region.
    assert_eq!(
        portal_leads_to(
            "https://ssoins-1111111111111111.portal.us-west-2.app.aws/",
            "https://us-west-2.signin.aws.amazon.com/platform/d-1234567890/login"
        )
        .map(|(_, d)| d),
        Some("d-1234567890".to_string())
    );
    for (from, to) in [
        // Nothing to learn: no directory, or not from a portal.
        (
            "https://my-portal.awsapps.com/start",
            "https://us-east-1.signin.aws/platform/login",
        ),
        (
            "https://us-east-1.signin.aws/platform/d-0000000000/login",
            signin,
        ),
        ("https://signin.aws.amazon.com/console", signin),
        ("https://github.com/", signin),
        // Not to a sign-in page.
        (
            "https://my-portal.awsapps.com/start",
            "https://other.awsapps.com/start",
        ),
        (
            "https://my-portal.awsapps.com/start",
            "https://us-east-1.signin.aws.amazon.com/oauth",
        ),
        // A portal whose host names another directory.
        ("https://d-0000000000.awsapps.com/start", signin),
        // Lookalikes and http.
        ("https://my-portal.awsapps.com.evil.example/start", signin),
        (
            "https://my-portal.awsapps.com/start",
            "https://us-east-1.signin.aws.evil.example/platform/d-1234567890/login",
        ),
        ("http://my-portal.awsapps.com/start", signin),
        ("https://my-portal.awsapps.com/start", "not a url"),
    ] {
        assert_eq!(portal_leads_to(from, to), None, "{from} → {to}");
    }
}

#[test]
fn accounts_as_people_type_them() {
    for (text, want) in [
        ("123456789012", id("123456789012")),
        (" 1234-5678-9012 ", id("123456789012")),
        ("1234 5678 9012", id("123456789012")),
        ("Example-Corp", alias("example-corp")),
        ("MY-ALIAS ", alias("my-alias")),
        ("us-east-100", alias("us-east-100")),
        ("a", None),
        ("ab", None),
        ("12345", None),
        ("1234567890123", None),
        ("not an alias!", None),
        ("-corp", None),
        ("my--corp", None),
        ("root@example.com", None),
        ("", None),
    ] {
        assert_eq!(read_account(text), want, "{text:?}");
    }
    for region in [
        "us-east-1",
        "ap-southeast-2",
        "us-gov-west-1",
        "cn-north-1",
        "eusc-de-east-1",
    ] {
        assert!(is_region(region), "{region}");
    }
    for label in ["abcd-east-1", "eusc-1", "e-de-east-1", "us-east-100"] {
        assert!(!is_region(label), "{label}");
    }
    assert_eq!(read_account(&"a".repeat(64)), None);
    assert!(is_directory_id("d-1234567890"));
    assert!(is_directory_id("d-9067642ac7"));
    assert!(!is_directory_id("d-12345"));
    assert!(!is_directory_id("d-123456789g"));
    assert!(!is_directory_id("1234567890"));
}

fn hint(account: Option<&str>, user: Option<&str>, email: Option<&str>) -> Hint {
    Hint {
        account: account.map(str::to_string),
        user: user.map(str::to_string),
        email: email.map(str::to_string),
    }
}

#[test]
fn hints_are_read_by_the_same_rules() {
    let who = hint(Some("1234-5678-9012"), Some(" alice "), None).read();
    assert_eq!(
        who,
        Who {
            account: id("123456789012"),
            user: Some("alice".into()),
            email: None,
        }
    );
    // The sign-in's first box takes an account or the root user's e-mail.
    let who = hint(Some("Root@Example.com"), None, None).read();
    assert_eq!(
        (who.account, who.email.as_deref()),
        (None, Some("Root@Example.com"))
    );
    let who = hint(Some("Root@Example.com"), None, Some("other@example.com")).read();
    assert_eq!(who.email.as_deref(), Some("other@example.com"));
    // Text that is no account names none; blanks are absent.
    assert_eq!(hint(Some("a"), Some("  "), Some("")).read(), Who::default());
    assert_eq!(hint(Some("12345"), None, None).read().account, None);
}

fn earlier(url: &str, h: Hint) -> Earlier {
    Earlier {
        url: url.to_string(),
        hint: h,
    }
}

fn who_on(url: &str, h: Hint, before: &Earlier) -> Who {
    PageFacts::read(url).unwrap().who(&h, Some(before))
}

#[test]
fn the_earlier_step_completes_the_mfa_page_within_one_partition() {
    let regional = "https://us-east-1.signin.aws.amazon.com/oauth?x=1";
    // The account from the earlier page's address, the user typed there.
    let before = earlier(
        "https://111111111111.signin.aws.amazon.com/console",
        hint(None, Some("alice"), None),
    );
    let who = who_on(regional, Hint::default(), &before);
    assert_eq!(who.account, id("111111111111"));
    assert_eq!(who.user.as_deref(), Some("alice"));
    // The page's own fields win.
    let who = who_on(regional, hint(None, Some("bob"), None), &before);
    assert_eq!(who.user.as_deref(), Some("bob"));
    assert_eq!(who.account, id("111111111111"));
    // A root e-mail typed at the first step.
    let root = earlier(
        "https://signin.aws.amazon.com/signin/root",
        hint(Some("Root@Example.com"), None, None),
    );
    let who = who_on(regional, Hint::default(), &root);
    assert_eq!(who.email.as_deref(), Some("Root@Example.com"));
    // The same account typed another way is the same account.
    let typed = earlier(
        "https://signin.aws.amazon.com/signin",
        hint(Some("1111-1111-1111"), Some("alice"), None),
    );
    let who = who_on(regional, hint(Some("111111111111"), None, None), &typed);
    assert_eq!(who.user.as_deref(), Some("alice"));
}

#[test]
fn the_earlier_step_never_crosses_partitions_accounts_or_services() {
    let before = earlier(
        "https://111111111111.signin.aws.amazon.com/console",
        hint(None, Some("alice"), None),
    );
    let alone = |url: &str, h: Hint| {
        assert_eq!(who_on(url, h.clone(), &before), h.read(), "{url}");
    };
    alone(
        "https://us-gov-west-1.signin.amazonaws-us-gov.com/oauth",
        Hint::default(),
    );
    alone(
        "https://cn-north-1.signin.amazonaws.cn/oauth",
        Hint::default(),
    );
    // Another account on the page, in its hint or its address.
    alone(
        "https://us-east-1.signin.aws.amazon.com/oauth",
        hint(Some("222222222222"), None, None),
    );
    alone(
        "https://222222222222.signin.aws.amazon.com/console",
        Hint::default(),
    );
    alone(
        "https://example-corp.signin.aws.amazon.com/console",
        Hint::default(),
    );
    // Another service: IAM users' sign-in is not Identity Center's.
    alone(
        "https://us-east-1.signin.aws/platform/d-1234567890/login",
        Hint::default(),
    );
    // Pages where no AWS MFA code is typed at sign-in.
    alone(
        "https://us-east-1.console.aws.amazon.com/iam/home",
        Hint::default(),
    );
    alone("https://github.com/login", Hint::default());
    // An earlier page that is not an AWS sign-in page, or unreadable.
    for url in [
        "https://github.com/",
        "http://111111111111.signin.aws.amazon.com/console",
        "not a url",
    ] {
        let other = earlier(url, hint(Some("111111111111"), Some("alice"), None));
        let page = PageFacts::read("https://us-east-1.signin.aws.amazon.com/oauth").unwrap();
        assert_eq!(
            page.who(&Hint::default(), Some(&other)),
            Who::default(),
            "{url}"
        );
    }
}

/// The user typed at Identity Center's credentials step carries over to
/// its MFA step, within one instance.
#[test]
fn the_earlier_step_stays_within_one_identity_center_instance() {
    let mfa = "https://us-east-1.signin.aws/platform/d-1234567890/login?workflowStateHandle=b";
    let typed = |url: &str| earlier(url, hint(None, Some("ivy"), None));
    let same =
        typed("https://us-east-1.signin.aws/platform/d-1234567890/login?workflowStateHandle=a");
    assert_eq!(
        who_on(mfa, Hint::default(), &same).user.as_deref(),
        Some("ivy")
    );
    // Another instance's sign-in page, or IAM's.
    for url in [
        "https://us-east-1.signin.aws/platform/d-0000000000/login",
        "https://123456789012.signin.aws.amazon.com/console",
    ] {
        assert_eq!(
            who_on(mfa, Hint::default(), &typed(url)),
            Who::default(),
            "{url}"
        );
    }
}

#[test]
fn facts_and_who_as_the_extension_reads_them() {
    let page = PageFacts::read("https://us-east-1.signin.aws/platform/d-1234567890/login").unwrap();
    assert_eq!(
        serde_json::to_value(&page).unwrap(),
        json!({"host": "us-east-1.signin.aws", "site": "signin.aws",
               "aws": {"partition": "aws", "service": "identity_center", "account_id": null,
                       "account_alias": null, "region": "us-east-1", "directory": "d-1234567890",
                       "portal": null}})
    );
    let page = PageFacts::read("https://example-corp.signin.aws.amazon.com/console").unwrap();
    assert_eq!(
        serde_json::to_value(&page.aws).unwrap(),
        json!({"partition": "aws", "service": "signin", "account_id": null,
               "account_alias": "example-corp", "region": null, "directory": null,
               "portal": null})
    );
    let who = hint(Some("1234 5678 9012"), Some("alice"), None).read();
    assert_eq!(
        serde_json::to_value(&who).unwrap(),
        json!({"account_id": "123456789012", "account_alias": null, "user": "alice", "email": null})
    );
    assert_eq!(
        serde_json::to_value(PageFacts::read("https://10.1.2.3/").unwrap()).unwrap(),
        json!({"host": "10.1.2.3", "site": null, "aws": null})
    );
}

/// The extension's content scripts run where its manifest says; on AWS that
/// must be exactly the domains of [`AWS_HOSTS`], so that the host knows
/// every AWS page the extension asks about and the extension runs on every
/// page the host knows.
#[test]
fn the_extension_runs_on_exactly_the_aws_hosts_of_the_table() {
    let manifest: serde_json::Value =
        serde_json::from_str(include_str!("../../../../extension/manifest.json")).unwrap();
    let matches: Vec<&str> = manifest["content_scripts"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["matches"].as_array().unwrap())
        .map(|m| m.as_str().unwrap())
        .collect();
    let on_aws: BTreeSet<&str> = matches
        .iter()
        .copied()
        .filter(|m| {
            let host = m
                .strip_prefix("https://")
                .and_then(|r| r.split('/').next())
                .unwrap_or_else(|| panic!("{m}: not an https pattern"));
            let domain = host.strip_prefix("*.").unwrap_or(host);
            AWS_HOSTS.iter().any(|h| {
                domain == h.base
                    || domain.ends_with(&format!(".{}", h.base))
                    || h.base.ends_with(&format!(".{domain}"))
            })
        })
        .collect();
    let table: BTreeSet<String> = AWS_HOSTS
        .iter()
        .map(|h| format!("https://*.{}/*", h.base))
        .collect();
    assert_eq!(
        on_aws,
        table.iter().map(String::as_str).collect::<BTreeSet<_>>(),
        "extension/manifest.json's AWS content-script hosts and site::aws::AWS_HOSTS differ"
    );
}
