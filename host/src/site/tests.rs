//! Site matching: the AWS matrix (ids, aliases, users, regions, partitions,
//! ambiguity), well-known issuers, and a corpus of lookalike pages.

use super::*;
use crate::secret::Secret;
use crate::token::Partition;

fn token(name: &str, issuer: &str, account: &str, sites: &[&str]) -> Token {
    let secret = Secret::from_base32("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP").unwrap();
    let mut t = Token::new(issuer, account, secret);
    t.tags = vec![name.to_string()];
    t.sites = sites.iter().map(|s| s.to_string()).collect();
    t
}

fn aws(
    name: &str,
    id: Option<&str>,
    alias: Option<&str>,
    user: Option<&str>,
    partition: Partition,
) -> Token {
    let mut t = token(name, "Amazon Web Services", &format!("{name}-device"), &[]);
    t.aws = Some(AwsContext {
        account_id: id.map(str::to_string),
        account_alias: alias.map(str::to_string),
        user: user.map(str::to_string),
        partition,
        ..AwsContext::default()
    });
    t
}

/// A vault with a bit of everything; tokens are named by their first tag.
fn vault() -> Vec<Token> {
    vec![
        token("github", "GitHub", "alice", &[]),
        token(
            "github-work",
            "Work GitHub",
            "alice",
            &["github.example.com"],
        ),
        token("google", "Google", "alice@gmail.com", &[]),
        token(
            "amazon-retail",
            "Amazon",
            "alice@example.com",
            &["amazon.com"],
        ),
        token(
            "sso",
            "Identity Center",
            "alice",
            &["d-1234567890.awsapps.com"],
        ),
        token("pages", "Pages", "alice", &["github.io"]),
        aws(
            "a-alice",
            Some("123456789012"),
            Some("example-corp"),
            Some("alice"),
            Partition::Aws,
        ),
        aws(
            "a-bob",
            Some("123456789012"),
            None,
            Some("bob"),
            Partition::Aws,
        ),
        aws(
            "b-alice",
            Some("210987654321"),
            None,
            Some("alice"),
            Partition::Aws,
        ),
        aws(
            "other",
            None,
            Some("other-corp"),
            Some("carol"),
            Partition::Aws,
        ),
        aws(
            "gov-alice",
            Some("123456789012"),
            None,
            Some("alice"),
            Partition::AwsUsGov,
        ),
        aws(
            "cn-alice",
            Some("123456789012"),
            None,
            Some("alice"),
            Partition::AwsCn,
        ),
    ]
}

/// The AWS facts of `https://<host>/`.
fn aws_page(host: &str) -> Option<AwsFacts> {
    PageFacts::read(&format!("https://{host}/")).unwrap().aws
}

fn hint(account: Option<&str>, user: Option<&str>) -> Hint {
    Hint {
        account: account.map(str::to_string),
        user: user.map(str::to_string),
        email: None,
    }
}

/// Names and strengths of the candidates, plus the autofill name.
fn run(tokens: &[Token], url: &str, hint: &Hint) -> (Vec<(String, Strength)>, Option<String>) {
    let result = match_url(tokens, url, hint).unwrap();
    let name = |id: Uuid| {
        tokens
            .iter()
            .find(|t| t.id == id)
            .map(|t| t.tags[0].clone())
            .unwrap()
    };
    let names = result
        .candidates
        .iter()
        .map(|c| (name(c.id), c.strength))
        .collect();
    (names, result.autofill().map(name))
}

fn names(list: &[(&str, Strength)]) -> Vec<(String, Strength)> {
    list.iter().map(|(n, s)| (n.to_string(), *s)).collect()
}

use Strength::{Account, AccountUser, Site, User};

#[test]
fn account_id_subdomain_picks_that_account_and_needs_a_user_to_autofill() {
    let v = vault();
    let url = "https://123456789012.signin.aws.amazon.com/console";
    let (got, auto) = run(&v, url, &Hint::default());
    assert_eq!(
        got,
        names(&[("a-alice", Account), ("a-bob", Account), ("other", Site)])
    );
    assert_eq!(auto, None);

    let (got, auto) = run(&v, url, &hint(None, Some("alice")));
    assert_eq!(got[0], ("a-alice".to_string(), AccountUser));
    assert_eq!(auto.as_deref(), Some("a-alice"));
}

#[test]
fn alias_subdomain_matches_the_alias_and_rules_out_other_aliases() {
    let v = vault();
    let url = "https://example-corp.signin.aws.amazon.com/console";
    let (got, auto) = run(&v, url, &Hint::default());
    assert_eq!(
        got,
        names(&[("a-alice", Account), ("a-bob", Site), ("b-alice", Site)])
    );
    assert_eq!(auto.as_deref(), Some("a-alice"));
}

#[test]
fn region_subdomain_is_not_an_account() {
    let page = aws_page("us-east-1.signin.aws.amazon.com").unwrap();
    assert_eq!(page.account, None);
    assert_eq!(page.region.as_deref(), Some("us-east-1"));
    let page = aws_page("us-gov-west-1.signin.amazonaws-us-gov.com").unwrap();
    assert_eq!((page.account, page.partition), (None, Partition::AwsUsGov));
    let page = aws_page("cn-north-1.signin.amazonaws.cn").unwrap();
    assert_eq!((page.account, page.partition), (None, Partition::AwsCn));

    let v = vault();
    let url = "https://us-east-1.signin.aws.amazon.com/oauth?client_id=arn%3Aaws%3Asignin%3A%3A%3Aconsole%2Fcanvas&response_type=code";
    let (got, auto) = run(&v, url, &Hint::default());
    assert_eq!(
        got,
        names(&[
            ("a-alice", Site),
            ("a-bob", Site),
            ("b-alice", Site),
            ("other", Site)
        ])
    );
    assert_eq!(auto, None);
}

#[test]
fn hints_choose_among_allowed_tokens_on_the_regional_page() {
    let v = vault();
    let url = "https://eu-north-1.signin.aws.amazon.com/oauth";
    let (got, auto) = run(&v, url, &hint(Some("123456789012"), Some("alice")));
    assert_eq!(
        got,
        names(&[
            ("a-alice", AccountUser),
            ("a-bob", Account),
            ("other", Site)
        ])
    );
    assert_eq!(auto.as_deref(), Some("a-alice"));

    let (got, auto) = run(&v, url, &hint(Some("210987654321"), None));
    assert_eq!(got, names(&[("b-alice", Account), ("other", Site)]));
    assert_eq!(auto.as_deref(), Some("b-alice"));

    // A user alone narrows but two accounts still share the name.
    let (got, auto) = run(&v, url, &hint(None, Some("ALICE")));
    assert_eq!(
        &got[..2],
        &names(&[("a-alice", User), ("b-alice", User)])[..]
    );
    assert_eq!(auto, None);
}

#[test]
fn hints_as_typed_name_the_account() {
    let v = vault();
    let url = "https://eu-north-1.signin.aws.amazon.com/oauth";
    let typed = run(&v, url, &hint(Some(" 1234-5678-9012"), Some("alice")));
    assert_eq!(
        typed,
        run(&v, url, &hint(Some("123456789012"), Some("alice")))
    );
    assert_eq!(typed.1.as_deref(), Some("a-alice"));
    let (got, auto) = run(&v, url, &hint(Some("Example-Corp"), None));
    assert_eq!(got[0], ("a-alice".to_string(), Account));
    assert_eq!(auto.as_deref(), Some("a-alice"));
    // Text that is no account names none: as if the page showed nothing.
    for text in ["a", "12345", "not an alias!"] {
        assert_eq!(
            run(&v, url, &hint(Some(text), None)),
            run(&v, url, &Hint::default()),
            "{text:?}"
        );
    }
}

#[test]
fn the_earlier_step_ranks_on_the_regional_mfa_page() {
    let v = vault();
    let page = PageFacts::read("https://us-east-1.signin.aws.amazon.com/oauth").unwrap();
    let earlier = Earlier {
        url: "https://210987654321.signin.aws.amazon.com/console".into(),
        hint: hint(None, Some("alice")),
    };
    let who = page.who(&Hint::default(), Some(&earlier));
    let result = match_page(&v, page, who, &Fills::new());
    assert_eq!(result.candidates[0].strength, AccountUser);
    assert_eq!(result.autofill(), Some(v[8].id), "b-alice");
    assert_eq!(result.autofill_needs, Account);
}

#[test]
fn sign_in_hosts_the_extension_once_read_as_accounts() {
    let v = vault();
    // `a` and `12345` are no account: no AWS sign-in page, no AWS token.
    for url in [
        "https://a.signin.aws.amazon.com/console",
        "https://12345.signin.aws.amazon.com/console",
    ] {
        let (got, _) = run(&v, url, &hint(None, Some("alice")));
        let aws_tokens = [
            "a-alice",
            "a-bob",
            "b-alice",
            "other",
            "gov-alice",
            "cn-alice",
        ];
        assert!(
            got.iter().all(|(n, _)| !aws_tokens.contains(&n.as_str())),
            "{url}: {got:?}"
        );
    }
    // `us-east-100` is an alias, not a region: it rules out other aliases.
    let (got, auto) = run(
        &v,
        "https://us-east-100.signin.aws.amazon.com/console",
        &Hint::default(),
    );
    assert!(
        !got.iter().any(|(n, _)| n == "a-alice" || n == "other"),
        "{got:?}"
    );
    assert_eq!(auto, None);
}

#[test]
fn hints_never_add_tokens() {
    let v = vault();
    // The GitHub token's user is alice, but it does not belong on AWS.
    let (got, _) = run(
        &v,
        "https://us-east-1.signin.aws.amazon.com/oauth",
        &hint(Some("123456789012"), Some("alice")),
    );
    assert!(got.iter().all(|(n, _)| n != "github" && n != "gov-alice"));
    // A hint for an account with no token leaves nothing safe to fill.
    let (got, auto) = run(
        &v,
        "https://123456789012.signin.aws.amazon.com/console",
        &hint(Some("999999999999"), None),
    );
    assert_eq!(got, names(&[("other", Site)]));
    assert_eq!(auto, None, "an unknown account is never filled blindly");
}

#[test]
fn partitions_never_share_tokens() {
    let v = vault();
    for (url, only) in [
        (
            "https://123456789012.signin.amazonaws-us-gov.com/console",
            "gov-alice",
        ),
        (
            "https://us-gov-west-1.signin.amazonaws-us-gov.com/oauth",
            "gov-alice",
        ),
        ("https://signin.amazonaws-us-gov.com/", "gov-alice"),
        (
            "https://123456789012.signin.amazonaws.cn/console",
            "cn-alice",
        ),
        ("https://cn-north-1.signin.amazonaws.cn/oauth", "cn-alice"),
    ] {
        let (got, auto) = run(&v, url, &hint(Some("123456789012"), Some("alice")));
        assert_eq!(got.len(), 1, "{url}: {got:?}");
        assert_eq!(got[0].0, only, "{url}");
        assert_eq!(auto.as_deref(), Some(only), "{url}");
    }
    let (got, _) = run(
        &v,
        "https://123456789012.signin.aws.amazon.com/console",
        &hint(None, Some("alice")),
    );
    assert!(
        got.iter()
            .all(|(n, _)| !n.starts_with("gov") && !n.starts_with("cn"))
    );
}

#[test]
fn aws_device_name_and_account_in_the_label_count_without_a_context() {
    // A token imported from an AWS QR code before anyone set its context.
    let mut t = token(
        "plain",
        "Amazon Web Services",
        "alice-phone@123456789012",
        &[],
    );
    t.aws = None;
    let other = token(
        "other",
        "Amazon Web Services",
        "bob-phone@210987654321",
        &[],
    );
    let v = vec![t, other];
    let url = "https://123456789012.signin.aws.amazon.com/console";
    let (got, auto) = run(&v, url, &Hint::default());
    assert_eq!(got, names(&[("plain", Account)]));
    assert_eq!(auto.as_deref(), Some("plain"));
    let (got, _) = run(
        &v,
        "https://us-east-1.signin.aws.amazon.com/oauth",
        &hint(None, Some("alice-phone")),
    );
    assert_eq!(got[0], ("plain".to_string(), User));
    // The issuer default is the commercial partition only.
    let (got, _) = run(&v, "https://signin.amazonaws.cn/", &Hint::default());
    assert!(got.is_empty());
}

#[test]
fn root_user_email_hint() {
    let mut root = aws("root", Some("123456789012"), None, None, Partition::Aws);
    root.account = "root@example.com".into();
    let v = vec![root, vault().remove(7)];
    let h = Hint {
        email: Some("Root@Example.com".into()),
        ..Hint::default()
    };
    let (got, auto) = run(&v, "https://signin.aws.amazon.com/signin?x=1", &h);
    assert_eq!(got, names(&[("root", User), ("a-bob", Site)]));
    assert_eq!(auto.as_deref(), Some("root"));
}

/// An IAM Identity Center token, bound to an access portal and, once
/// learned, to its directory.
fn ic(name: &str, start_url: Option<&str>, directory: Option<&str>, user: Option<&str>) -> Token {
    let mut t = token(name, "AWS IAM Identity Center", name, &[]);
    t.aws = Some(AwsContext {
        user: user.map(str::to_string),
        sso_start_url: start_url.map(str::to_string),
        sso_directory: directory.map(str::to_string),
        ..AwsContext::default()
    });
    t
}

const SIGNIN_A: &str =
    "https://us-east-1.signin.aws/platform/d-aaaaaaaaaa/login?workflowStateHandle=x";

/// Two instances, two people on the first: what each Identity Center page
/// gets. The instance plays the account's part.
fn identity_center_vault() -> Vec<Token> {
    let mut v = vault();
    v.extend([
        // Portal a, its directory learned.
        ic(
            "a-ivy",
            Some("https://portal-a.awsapps.com/start"),
            Some("d-aaaaaaaaaa"),
            Some("ivy"),
        ),
        ic(
            "a-ian",
            Some("https://portal-a.awsapps.com/start"),
            Some("d-aaaaaaaaaa"),
            Some("ian"),
        ),
        // Portal b, directory not learned yet.
        ic(
            "b-ivy",
            Some("https://portal-b.awsapps.com/start"),
            None,
            Some("ivy"),
        ),
        // Bound by the directory alone (enrolled on a sign-in page).
        ic("c-kai", None, Some("d-00000000cc"), None),
        // An unbound token the person listed for every Identity Center sign-in page.
        token("everywhere", "Shared", "team", &["us-east-1.signin.aws"]),
    ]);
    v
}

#[test]
fn identity_center_fills_the_instance_of_the_page() {
    let v = identity_center_vault();
    // Its sign-in page, the user known from the credentials step: filled.
    let (got, auto) = run(&v, SIGNIN_A, &hint(None, Some("ivy")));
    assert_eq!(
        got,
        names(&[
            ("a-ivy", AccountUser),
            ("a-ian", Account),
            ("everywhere", Site)
        ])
    );
    assert_eq!(auto.as_deref(), Some("a-ivy"));
    // The user not known: two people share the instance, so ask.
    let (got, auto) = run(&v, SIGNIN_A, &Hint::default());
    assert_eq!(
        got,
        names(&[("a-ivy", Account), ("a-ian", Account), ("everywhere", Site)])
    );
    assert_eq!(auto, None);
    // The older sign-in host of instances enabled before 2026.
    let older = "https://us-east-1.signin.aws.amazon.com/platform/d-aaaaaaaaaa/login";
    assert_eq!(
        run(&v, older, &hint(None, Some("ian"))).1.as_deref(),
        Some("a-ian")
    );
    // A directory known only from enrolment.
    let (got, auto) = run(
        &v,
        "https://eu-west-1.sso.signin.aws/platform/d-00000000cc/login",
        &Hint::default(),
    );
    assert_eq!(got, names(&[("c-kai", Account)]));
    assert_eq!(auto.as_deref(), Some("c-kai"));
}

#[test]
fn identity_center_tokens_of_another_instance_get_nothing() {
    let v = identity_center_vault();
    // An unknown directory: no token of any instance, not even portal b's
    // whose directory is not known yet; only the one listed for every page,
    // never filled without asking.
    let (got, auto) = run(
        &v,
        "https://us-east-1.signin.aws/platform/d-0000000000/login",
        &hint(None, Some("ivy")),
    );
    assert_eq!(got, names(&[("everywhere", Site)]));
    assert_eq!(auto, None);
    // A sign-in page that names no directory.
    let (got, _) = run(
        &v,
        "https://eu-west-1.signin.aws/platform/login",
        &Hint::default(),
    );
    assert!(got.is_empty(), "{got:?}");
    // Portal b's own page knows it by its host; portal a's tokens are not offered.
    let (got, auto) = run(
        &v,
        "https://portal-b.awsapps.com/start/#/",
        &Hint::default(),
    );
    assert_eq!(got, names(&[("b-ivy", Account)]));
    assert_eq!(auto.as_deref(), Some("b-ivy"));
    // IAM users' devices are not offered to Identity Center, and the other
    // way round.
    let (got, _) = run(
        &v,
        "https://us-east-1.signin.aws.amazon.com/oauth",
        &hint(None, Some("ivy")),
    );
    assert!(
        got.iter().all(|(n, _)| !n.contains("ivy") && n != "c-kai"),
        "{got:?}"
    );
    // Lookalikes get nothing.
    for url in [
        "https://portal-a.awsapps.com.evil.example/start",
        "https://us-east-1.signin.aws.evil.example/platform/d-aaaaaaaaaa/login",
        "https://signin.aws.evil.example/platform/d-aaaaaaaaaa/login",
    ] {
        assert!(run(&v, url, &Hint::default()).0.is_empty(), "{url}");
    }
}

/// A token listed for the portal by its site (`d-1234567890.awsapps.com`),
/// as before start URLs existed, is bound to that portal and to the
/// directory its host name names.
#[test]
fn a_portal_site_binds_like_a_start_url() {
    let v = vault();
    let (got, auto) = run(
        &v,
        "https://d-1234567890.awsapps.com/start/#/",
        &Hint::default(),
    );
    assert_eq!(got, names(&[("sso", Account)]));
    assert_eq!(auto.as_deref(), Some("sso"));
    let signin = "https://us-east-1.signin.aws/platform/d-1234567890/login";
    let (got, auto) = run(&v, signin, &Hint::default());
    assert_eq!(got, names(&[("sso", Account)]));
    assert_eq!(auto.as_deref(), Some("sso"));
    let (got, _) = run(
        &v,
        "https://d-0000000000.awsapps.com/start",
        &Hint::default(),
    );
    assert!(got.is_empty());
    let page = aws_page("d-1234567890.awsapps.com").unwrap();
    assert_eq!(page.service, AwsService::IdentityCenter);
}

#[test]
fn amazon_retail_stays_off_aws_sign_in() {
    let v = vault();
    let (got, _) = run(&v, "https://www.amazon.com/ap/mfa", &Hint::default());
    assert_eq!(got, names(&[("amazon-retail", Site)]));
    let (got, _) = run(&v, "https://signin.aws.amazon.com/signin", &Hint::default());
    assert!(got.iter().all(|(n, _)| n != "amazon-retail"), "{got:?}");
}

#[test]
fn well_known_issuers_and_explicit_sites() {
    let v = vault();
    let (got, auto) = run(
        &v,
        "https://github.com/sessions/two-factor/app",
        &Hint::default(),
    );
    assert_eq!(got, names(&[("github", Site)]));
    assert_eq!(auto.as_deref(), Some("github"));
    let (got, _) = run(&v, "https://GitHub.com./login", &Hint::default());
    assert_eq!(got, names(&[("github", Site)]));
    let (got, _) = run(&v, "https://github.example.com/login", &Hint::default());
    assert_eq!(got, names(&[("github-work", Site)]));
    let (got, _) = run(
        &v,
        "https://accounts.google.com/v3/signin/challenge/totp",
        &Hint::default(),
    );
    assert_eq!(got, names(&[("google", Site)]));
    // Google's default site is accounts.google.com, not all of google.com.
    let (got, _) = run(&v, "https://mail.google.com/", &Hint::default());
    assert!(got.is_empty());
}

#[test]
fn user_hint_ranks_generic_sites_and_pins_break_ties() {
    let mut a = token("a", "GitHub", "alice", &[]);
    let b = token("b", "GitHub", "bob", &[]);
    let mut c = token("c", "GitHub", "carol", &[]);
    c.pinned = true;
    a.pinned = false;
    let v = vec![a, b, c];
    let (got, auto) = run(&v, "https://github.com/", &Hint::default());
    assert_eq!(got, names(&[("c", Site), ("a", Site), ("b", Site)]));
    assert_eq!(auto, None);
    let (got, auto) = run(&v, "https://github.com/", &hint(None, Some("bob")));
    assert_eq!(got[0], ("b".to_string(), User));
    assert_eq!(auto.as_deref(), Some("b"));
}

#[test]
fn lookalike_corpus_matches_nothing() {
    let v = vault();
    let corpus = include_str!("../../tests/data/lookalikes.txt");
    let mut checked = 0;
    for line in corpus.lines() {
        let url = line.trim();
        if url.is_empty() || url.starts_with('#') {
            continue;
        }
        let result = match_url(&v, url, &hint(Some("123456789012"), Some("alice")));
        match result {
            Ok(r) => assert!(r.candidates.is_empty(), "{url} matched {:?}", r.candidates),
            Err(e) => panic!("{url}: {e}"),
        }
        checked += 1;
    }
    assert!(checked >= 30, "only {checked} lookalikes");
}

#[test]
fn light_records_match_exactly_like_full_tokens() {
    let full = vault();
    let light: Vec<TokenSites> = full.iter().map(TokenSites::of).collect();
    let corpus = include_str!("../../tests/data/lookalikes.txt");
    let urls = corpus
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .chain([
            "https://github.com/login",
            "https://gist.github.com/",
            "https://github.example.com/",
            "https://signin.aws.amazon.com/",
            "https://123456789012.signin.aws.amazon.com/oauth",
            "https://us-east-1.signin.aws.amazon.com/",
            "https://signin.amazonaws-us-gov.com/",
            "https://d-1234567890.awsapps.com/start",
            "http://github.com/",
        ]);
    let hints = [
        Hint::default(),
        hint(Some("123456789012"), Some("alice")),
        hint(None, Some("bob")),
    ];
    for url in urls {
        for h in &hints {
            assert_eq!(match_url(&full, url, h), match_url(&light, url, h), "{url}");
        }
    }
}

#[test]
fn the_page_filter_keeps_exactly_what_matching_lists() {
    // A reader of the vault keeps only the tokens the filter admits;
    // matching among those must say what matching among all says.
    let mut full = vault();
    full.extend(identity_center_vault());
    let urls = [
        "https://github.com/login",
        "https://signin.aws.amazon.com/",
        "https://123456789012.signin.aws.amazon.com/oauth",
        "https://prod-alias.signin.aws.amazon.com/oauth",
        "https://us-east-1.signin.aws.amazon.com/",
        "https://signin.amazonaws-us-gov.com/",
        "https://d-1234567890.awsapps.com/start",
        "https://console.aws.amazon.com/",
        "https://www.amazon.com/",
    ];
    let hints = [
        Hint::default(),
        hint(Some("123456789012"), Some("alice")),
        hint(None, Some("bob")),
    ];
    let mut kept_fewer = false;
    for url in urls {
        for h in &hints {
            let page = PageFacts::read(url).unwrap();
            let who = h.read();
            let filter = PageFilter::new(&page, &who);
            let kept: Vec<Token> = full.iter().filter(|t| filter.admits(*t)).cloned().collect();
            let ids = |tokens: &[Token]| {
                let r = match_url(tokens, url, h).unwrap();
                let list: Vec<_> = r.candidates.iter().map(|c| (c.id, c.strength)).collect();
                (list, r.autofill(), r.interchangeable)
            };
            let all = ids(&full);
            assert_eq!(ids(&kept), all, "{url} {h:?}");
            assert_eq!(
                kept.len(),
                all.0.len(),
                "{url}: the filter keeps only candidates"
            );
            kept_fewer |= kept.len() < full.len();
        }
    }
    assert!(kept_fewer, "the filter drops tokens somewhere");
}

#[test]
fn bad_urls_are_errors_not_panics() {
    let v = vault();
    let h = Hint::default();
    assert_eq!(
        match_url(&v, "http://github.com/", &h).unwrap_err().code(),
        ErrorCode::InsecureUrl
    );
    assert_eq!(
        match_url(&v, "javascript:alert(1)", &h).unwrap_err().code(),
        ErrorCode::InsecureUrl
    );
    for bad in [
        "",
        "github.com",
        "https://",
        "https://[::1",
        "::::",
        "\u{0}",
    ] {
        let err = match_url(&v, bad, &h).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidUrl, "{bad:?}");
    }
    let long = format!("https://{}.example/", "a".repeat(100_000));
    let _ = match_url(&v, &long, &h);
}

#[test]
fn ip_hosts_match_only_exact_sites() {
    let t = token("ip", "Router", "admin", &["192.168.1.1"]);
    let v = vec![t];
    let (got, _) = run(&v, "https://192.168.1.1/login", &Hint::default());
    assert_eq!(got, names(&[("ip", Site)]));
    let (got, _) = run(&v, "https://192.168.1.2/login", &Hint::default());
    assert!(got.is_empty());
}

#[test]
fn registrable_domains_from_the_bundled_list() {
    assert_eq!(
        registrable_domain("a.b.example.co.uk"),
        Some("example.co.uk")
    );
    assert_eq!(
        registrable_domain("123456789012.signin.aws.amazon.com"),
        Some("amazon.com")
    );
    assert_eq!(
        registrable_domain("someone.github.io"),
        Some("someone.github.io")
    );
    assert_eq!(registrable_domain("github.io"), None);
    assert_eq!(registrable_domain("co.uk"), None);
    assert_eq!(registrable_domain("127.0.0.1"), None);
    assert!(PSL_DATE.trim().len() == 10, "PSL date {PSL_DATE:?}");
}

/// The bundled list is a current one with its date recorded: the date is
/// the list's own `VERSION` line, it knows public suffixes added after the
/// 2023-02-09 copy it replaced (`replit.app`, 2024; `github.app`), and its
/// age is counted from that date.
#[test]
fn the_bundled_list_is_current_and_dated() {
    let version = PSL_TEXT
        .lines()
        .find_map(|l| l.strip_prefix("// VERSION: "))
        .expect("the list names its version");
    assert_eq!(&version[..10], PSL_DATE.trim());
    assert!(PSL_DATE.trim() > "2026-01-01", "{PSL_DATE}");
    for suffix in ["replit.app", "github.app"] {
        assert_eq!(registrable_domain(suffix), None, "{suffix}");
        let host = format!("someone.{suffix}");
        assert_eq!(registrable_domain(&host), Some(host.as_str()));
    }
    // A site that is now a public suffix covers nobody's subdomain.
    let v = vec![token("replit", "Replit", "me", &["replit.app"])];
    let (got, _) = run(&v, "https://evil.replit.app/login", &Hint::default());
    assert!(got.is_empty(), "{got:?}");
    // `awsapps.com` is one too: each Identity Center portal is its own
    // site, also where AWS's own rules set the floor.
    assert_eq!(
        registrable_domain("d-1234567890.awsapps.com"),
        Some("d-1234567890.awsapps.com")
    );
    let v = vec![
        token("every-portal", "Identity Center", "me", &["awsapps.com"]),
        token(
            "my-portal",
            "Identity Center",
            "me",
            &["d-1234567890.awsapps.com"],
        ),
    ];
    // (A site that is a portal binds the token to that instance: strength
    // `account`, as on its own portal.)
    let (got, _) = run(
        &v,
        "https://d-1234567890.awsapps.com/start",
        &Hint::default(),
    );
    assert_eq!(got, names(&[("my-portal", Account)]));
    let (got, _) = run(
        &v,
        "https://d-0987654321.awsapps.com/start",
        &Hint::default(),
    );
    assert!(got.is_empty(), "{got:?}");

    for (date, days) in [
        ("1970-01-01", 0),
        ("2000-02-29", 11_016),
        ("2000-03-01", 11_017),
        ("2023-02-09", 19_397),
        ("2026-10-22", 20_748),
        ("2100-03-01", 47_541),
    ] {
        assert_eq!(days_since_1970(date), Some(days), "{date}");
    }
    for bad in ["2026-13-01", "2026-1-01", "yesterday", "2026-10-22-1", ""] {
        assert_eq!(days_since_1970(bad), None, "{bad}");
    }
    let listed = u64::try_from(days_since_1970(PSL_DATE.trim()).unwrap()).unwrap();
    assert_eq!(psl_age_days(listed * 86_400 + 86_399), Some(0));
    assert_eq!(psl_age_days((listed + 366) * 86_400), Some(366));
    assert_eq!(psl_age_days(0), Some(0), "before the list's date");
}

#[test]
fn regions_and_aliases() {
    for r in [
        "us-east-1",
        "ap-southeast-2",
        "us-gov-west-1",
        "cn-northwest-1",
        "il-central-1",
    ] {
        assert!(is_region(r), "{r}");
    }
    for r in [
        "example-corp",
        "123456789012",
        "us-east",
        "east-1",
        "us-east-1a",
        "u-east-1",
    ] {
        assert!(!is_region(r), "{r}");
    }
    assert!(reads_as_alias("example-corp"));
    assert!(!reads_as_alias("123456789012"));
    assert!(!reads_as_alias("12345"));
    assert!(!reads_as_alias("Example"));
    assert!(!reads_as_alias("-x-"));
    assert!(!reads_as_alias("my--corp"));
    assert!(aws_page("a.b.signin.aws.amazon.com").is_none());
    assert!(aws_page("Bad_Label.signin.aws.amazon.com").is_none());
}

#[test]
fn sites_are_normalized() {
    assert_eq!(normalize_site("GitHub.com").unwrap(), "github.com");
    assert_eq!(
        normalize_site("https://GitHub.com/login?x=1").unwrap(),
        "github.com"
    );
    assert_eq!(normalize_site(" example.com. ").unwrap(), "example.com");
    assert_eq!(
        normalize_site("bücher.example").unwrap(),
        "xn--bcher-kva.example"
    );
    for bad in [
        "",
        "localhost",
        "https://user@github.com",
        "a b.com",
        "http://",
    ] {
        assert!(normalize_site(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn issuer_table_is_well_formed() {
    assert!(issuers().len() >= 10);
    let tenants: Vec<&String> = issuers().iter().flat_map(|e| &e.tenants).collect();
    for entry in issuers() {
        // Either default sites or customers' own hosts, never both.
        assert!(
            entry.sites.is_empty() != entry.tenants.is_empty(),
            "{}",
            entry.issuer
        );
        for site in entry.sites.iter().chain(&entry.tenants) {
            assert_eq!(&normalize_site(site).unwrap(), site);
            assert!(
                registrable_domain(site).is_some(),
                "{site} is a public suffix"
            );
        }
        // No default site lies where customers have hosts.
        for site in &entry.sites {
            assert!(
                !tenants
                    .iter()
                    .any(|t| site == *t || site.ends_with(&format!(".{t}"))),
                "{site} is inside a multi-tenant domain"
            );
        }
    }
    assert_eq!(issuer_sites("github"), ["github.com".to_string()]);
    assert_eq!(issuer_sites("aws"), ["signin.aws.amazon.com".to_string()]);
    assert!(issuer_sites("Nobody").is_empty());
}

#[test]
fn ten_thousand_tokens_match_quickly() {
    let mut v = Vec::new();
    for i in 0..10_000u32 {
        let mut t = token("n", "Service", &format!("user{i}"), &[]);
        t.sites = vec![format!("site{i}.example.com")];
        if i % 10 == 0 {
            t = aws(
                "a",
                Some(&format!("{:012}", i)),
                None,
                Some("alice"),
                Partition::Aws,
            );
        }
        v.push(t);
    }
    let url = "https://000000000100.signin.aws.amazon.com/console";
    let _ = match_url(&v, url, &Hint::default()).unwrap();
    let start = std::time::Instant::now();
    let rounds = 20;
    for _ in 0..rounds {
        let r = match_url(&v, url, &hint(None, Some("alice"))).unwrap();
        assert_eq!(r.autofill(), Some(v[100].id));
    }
    let each = start.elapsed() / rounds;
    // Generous for unoptimised test builds; the bench measures release.
    assert!(each.as_millis() < 250, "{each:?} per match");
}

/// Regression (`evil-acme.okta.com` got "auto-fill: yes" for every Okta
/// token): issuers whose customers each have a host of their own give no
/// default site; a token is offered only on the host bound to it.
#[test]
fn multi_tenant_issuers_match_only_the_bound_tenant() {
    let v = vec![
        token("okta-unbound", "Okta", "alice@acme.example", &[]),
        token(
            "okta-acme",
            "Okta",
            "alice@acme.example",
            &["acme.okta.com"],
        ),
        token("slack-unbound", "Slack", "alice@acme.example", &[]),
        token(
            "slack-acme",
            "Slack",
            "alice@acme.example",
            &["acme.slack.com"],
        ),
        token("github", "GitHub", "alice", &[]),
    ];
    let (got, auto) = run(&v, "https://acme.okta.com/signin/verify", &Hint::default());
    assert_eq!(got, names(&[("okta-acme", Site)]));
    assert_eq!(auto.as_deref(), Some("okta-acme"));
    for url in [
        "https://evil-acme.okta.com/signin/verify",
        "https://okta.com/",
        "https://login.okta.com/",
        "https://acme.oktapreview.com/",
        "https://evil.slack.com/",
        "https://slack.com/signin",
    ] {
        let (got, auto) = run(&v, url, &Hint::default());
        assert!(got.is_empty(), "{url}: {got:?}");
        assert_eq!(auto, None, "{url}");
    }
    let (got, _) = run(&v, "https://acme.slack.com/", &Hint::default());
    assert_eq!(got, names(&[("slack-acme", Site)]));
    // Well-known single-host issuers keep their defaults.
    let (got, _) = run(
        &v,
        "https://github.com/sessions/two-factor",
        &Hint::default(),
    );
    assert_eq!(got, names(&[("github", Site)]));

    assert_eq!(
        multi_tenant("okta").map(|m| m.issuer),
        Some("Okta"),
        "named by any case"
    );
    assert!(multi_tenant("GitHub").is_none());
    assert!(issuer_sites("Okta").is_empty() && issuer_sites("Slack").is_empty());
    // The organisation's host given as the issuer (Okta's QR codes) is the
    // token's site; anything else is not.
    assert_eq!(
        tenant_site("acme.okta.com").as_deref(),
        Some("acme.okta.com")
    );
    assert_eq!(
        tenant_site(" ACME.oktapreview.com ").as_deref(),
        Some("acme.oktapreview.com")
    );
    for issuer in [
        "Okta",
        "okta.com",
        "evil-okta.com",
        "acme.okta.com.evil.example",
        "GitHub",
    ] {
        assert_eq!(tenant_site(issuer), None, "{issuer}");
    }
}

/// Names of the candidates and the token filled, on `url` with `hint` and
/// the fill record `fills`.
fn run_with(
    tokens: &[Token],
    url: &str,
    hint: &Hint,
    fills: &Fills,
) -> (Vec<String>, Option<String>, bool) {
    let page = PageFacts::read(url).unwrap();
    let who = hint.read();
    let result = match_page(tokens, page, who, fills);
    let name = |id: Uuid| {
        tokens
            .iter()
            .find(|t| t.id == id)
            .map(|t| t.tags[0].clone())
            .unwrap()
    };
    let names = result.candidates.iter().map(|c| name(c.id)).collect();
    (names, result.autofill().map(name), result.interchangeable)
}

/// An AWS device `name` of `user` in account 123456789012, created at
/// `created`.
fn device(name: &str, user: Option<&str>, created: u64) -> Token {
    let mut t = aws(name, Some("123456789012"), None, user, Partition::Aws);
    t.created = created;
    t
}

const MFA_PAGE: &str = "https://123456789012.signin.aws.amazon.com/oauth";

#[test]
fn several_devices_of_one_user_fill_the_newest_without_asking() {
    let v = vec![
        device("alice-phone", Some("alice"), 1_000),
        device("alice-laptop", Some("Alice"), 2_000),
        device("bob-phone", Some("bob"), 3_000),
    ];
    let alice = hint(None, Some("alice"));
    let (got, auto, one_user) = run_with(&v, MFA_PAGE, &alice, &Fills::new());
    assert_eq!(got, ["alice-laptop", "alice-phone", "bob-phone"]);
    assert!(one_user, "alice's two devices are one choice");
    assert_eq!(auto.as_deref(), Some("alice-laptop"), "the newest");
    // match_url, without a fill record, decides alike.
    assert_eq!(run(&v, MFA_PAGE, &alice).1.as_deref(), Some("alice-laptop"));

    // Without a user, alice's and bob's devices are not interchangeable.
    let (_, auto, one_user) = run_with(&v, MFA_PAGE, &Hint::default(), &Fills::new());
    assert_eq!((auto, one_user), (None, false));
}

#[test]
fn the_device_filled_most_recently_wins_and_a_pin_beats_it() {
    let mut v = vec![
        device("phone", Some("alice"), 1_000),
        device("laptop", Some("alice"), 2_000),
        device("tablet", Some("alice"), 3_000),
    ];
    let alice = hint(None, Some("alice"));
    // The phone was filled at step 100 (3000 s), the laptop at step 50.
    let fills: Fills = [(v[0].id, 100), (v[1].id, 50)].into_iter().collect();
    let (got, auto, _) = run_with(&v, MFA_PAGE, &alice, &fills);
    assert_eq!(got, ["phone", "laptop", "tablet"]);
    assert_eq!(auto.as_deref(), Some("phone"));

    // A 60-second step dates later: step 60 of the laptop is 3600 s.
    v[1].kind = crate::token::Kind::Totp { period: 60 };
    let fills: Fills = [(v[0].id, 100), (v[1].id, 60)].into_iter().collect();
    assert_eq!(
        run_with(&v, MFA_PAGE, &alice, &fills).1.as_deref(),
        Some("laptop")
    );

    v[2].pinned = true;
    let (got, auto, _) = run_with(&v, MFA_PAGE, &alice, &fills);
    assert_eq!(got[0], "tablet");
    assert_eq!(auto.as_deref(), Some("tablet"), "pinned first");
}

#[test]
fn devices_of_different_or_unknown_users_are_never_interchangeable() {
    let cases: [(&str, Vec<Token>); 5] = [
        (
            "two users",
            vec![device("a", Some("alice"), 1), device("b", Some("bob"), 2)],
        ),
        (
            "a known and an unknown user",
            vec![device("a", Some("alice"), 1), device("b", None, 2)],
        ),
        (
            "two unknown users",
            vec![device("a", None, 1), device("b", None, 2)],
        ),
        (
            "one account by id, the other by alias",
            vec![
                device("a", Some("alice"), 1),
                aws(
                    "b",
                    None,
                    Some("example-corp"),
                    Some("alice"),
                    Partition::Aws,
                ),
            ],
        ),
        (
            "same user name, other account",
            vec![
                device("a", Some("alice"), 1),
                aws(
                    "b",
                    Some("210987654321"),
                    None,
                    Some("alice"),
                    Partition::Aws,
                ),
            ],
        ),
    ];
    for (what, v) in cases {
        // The regional MFA page names no account: both tokens match there.
        let (got, auto, one_user) = run_with(
            &v,
            "https://us-east-1.signin.aws.amazon.com/oauth",
            &Hint::default(),
            &Fills::new(),
        );
        assert_eq!(got.len(), 2, "{what}");
        assert_eq!((auto, one_user), (None, false), "{what}");
    }
    // Other partitions never even meet.
    let v = vec![
        device("a", Some("alice"), 1),
        aws(
            "b",
            Some("123456789012"),
            None,
            Some("alice"),
            Partition::AwsUsGov,
        ),
    ];
    let (got, auto, _) = run_with(&v, MFA_PAGE, &hint(None, Some("alice")), &Fills::new());
    assert_eq!((got, auto.as_deref()), (vec!["a".to_string()], Some("a")));
}

#[test]
fn an_unknown_account_is_still_only_offered_for_one_user() {
    // Two devices of alice whose account is unknown: the page names an
    // account, so neither is filled without asking, one user or not.
    let v = vec![
        aws("a", None, None, Some("alice"), Partition::Aws),
        aws("b", None, None, Some("alice"), Partition::Aws),
    ];
    let (got, auto, one_user) = run_with(&v, MFA_PAGE, &hint(None, Some("alice")), &Fills::new());
    assert_eq!(got.len(), 2);
    assert_eq!((auto, one_user), (None, false));
}

#[test]
fn several_devices_of_one_identity_center_user_are_one_choice() {
    let mut ivy_phone = ic(
        "ivy-phone",
        Some("https://portal-a.awsapps.com/start"),
        Some("d-aaaaaaaaaa"),
        Some("ivy"),
    );
    ivy_phone.created = 1;
    let mut ivy_key = ic(
        "ivy-laptop",
        Some("https://portal-a.awsapps.com/start"),
        Some("d-aaaaaaaaaa"),
        Some("ivy"),
    );
    ivy_key.created = 2;
    let ian = ic(
        "ian",
        Some("https://portal-a.awsapps.com/start"),
        Some("d-aaaaaaaaaa"),
        Some("ian"),
    );
    let v = vec![ivy_phone, ivy_key, ian];
    let (got, auto, one_user) = run_with(&v, SIGNIN_A, &hint(None, Some("ivy")), &Fills::new());
    assert_eq!(got, ["ivy-laptop", "ivy-phone", "ian"]);
    assert_eq!((auto.as_deref(), one_user), (Some("ivy-laptop"), true));
    let (_, auto, one_user) = run_with(&v, SIGNIN_A, &Hint::default(), &Fills::new());
    assert_eq!((auto, one_user), (None, false));
}

#[test]
fn where_a_token_belongs_in_words() {
    let v = vault();
    let named = |name: &str| v.iter().find(|t| t.tags[0] == name).unwrap();
    assert_eq!(
        belongs_to(named("github")),
        ["github.com"],
        "the issuer's site"
    );
    assert_eq!(
        belongs_to(named("github-work")),
        ["github.example.com"],
        "its own site"
    );
    assert_eq!(belongs_to(named("a-alice")), ["signin.aws.amazon.com"]);
    assert_eq!(
        belongs_to(named("gov-alice")),
        ["signin.amazonaws-us-gov.com"]
    );
    assert_eq!(belongs_to(named("cn-alice")), ["signin.amazonaws.cn"]);
    let portal = ic(
        "p",
        Some("https://portal-a.awsapps.com/start"),
        Some("d-aaaaaaaaaa"),
        None,
    );
    assert_eq!(belongs_to(&portal), ["portal-a.awsapps.com"]);
    let directory = ic("d", None, Some("d-00000000cc"), None);
    assert_eq!(belongs_to(&directory), ["d-00000000cc.awsapps.com"]);
    let nowhere = token("x", "Nobody Inc", "me", &[]);
    assert!(belongs_to(&nowhere).is_empty());
    let many = token(
        "m",
        "Many",
        "me",
        &["a.example", "b.example", "c.example", "d.example"],
    );
    assert_eq!(belongs_to(&many).len(), MAX_BELONGS_TO);
}
