//! The command line and the native host given the same tokens: each case
//! says one thing to both front ends — `factorcat add`/`edit` arguments
//! (parsed by clap, translated by the subcommand) and an `add`/`update`
//! request (framed JSON, decoded and run by the host) — against the same
//! vault contents, and both must store the same token or refuse with the
//! same error code. The command line's side is the code its `run` calls,
//! minus the vault file.

use serde_json::{Value, json};
use uuid::Uuid;

use factorcat::error::ErrorCode;
use factorcat::native::{Handler, MemoryStore, VaultData};
use factorcat::secret::Secret;
use factorcat::token::{AwsContext, MAX_LIST_ITEMS, Token};

use super::{Cli, CliError, Command, Deferred, add, edit};
use clap::Parser;

/// The secret of the token already in the vault.
const STORED: &str = "JBSWY3DPEHPK3PXP";
/// A secret no stored token has.
const FRESH: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

/// The id of the token already in the vault, with an AWS context.
const STORED_ID: u128 = 0x5d7c_9c2e_1b0a_4d57_8a52_2f3f_3c2d_9b10;

fn vault() -> VaultData {
    let mut token = Token::new("GitHub", "octocat", Secret::from_base32(STORED).unwrap());
    token.id = Uuid::from_u128(STORED_ID);
    token.sites = vec!["github.com".into()];
    token.tags = vec!["code".into()];
    token.aws = Some(AwsContext::default().with_account("123456789012"));
    let mut data = VaultData::default();
    data.insert(token);
    data
}

/// What a front end did: the token it stored (the last one of the vault),
/// or the code it refused with.
type Outcome = Result<Token, ErrorCode>;

/// The fields both front ends must agree on: everything but the id and
/// the times, which each new token gets afresh.
fn comparable(token: &Token) -> Value {
    let mut fields = token.metadata();
    for key in ["id", "created", "updated", "label"] {
        fields.remove(key);
    }
    fields.insert(
        "secret".into(),
        json!(data_encoding::BASE32_NOPAD.encode(token.secret.expose())),
    );
    Value::Object(fields)
}

fn cli(args: &[&str]) -> Outcome {
    let argv = std::iter::once("factorcat").chain(args.iter().copied());
    let command = Cli::try_parse_from(argv)
        .unwrap_or_else(|e| panic!("{args:?} does not parse: {e}"))
        .command;
    let mut data = vault();
    let done = match command {
        Command::Add(Deferred(a)) => add::draft(&a)
            .and_then(|draft| draft.build().map_err(CliError::from))
            .and_then(|token| add::store(&mut data, token, a.allow_duplicate)),
        Command::Edit(Deferred(a)) => edit::apply(&mut data, &a.query, &a.patch()).map(|_| ()),
        _ => panic!("{args:?} is neither add nor edit"),
    };
    match done {
        Ok(()) => Ok(changed(&data, args)),
        Err(e) => Err(e.code().expect("a domain error")),
    }
}

fn native(mut request: Value) -> Outcome {
    request["id"] = json!(1);
    let handler = Handler::new(MemoryStore::new(vault()));
    let reply: Value = serde_json::from_slice(&handler.reply(request.to_string().as_bytes()))
        .expect("a JSON reply");
    if reply["ok"] == json!(true) {
        let data = handler.store().snapshot().expect("the vault");
        return Ok(changed(&data, &request));
    }
    let code = reply["error"]["code"].as_str().expect("an error code");
    assert_eq!(
        handler.store().writes(),
        0,
        "{request}: refused but written"
    );
    Err(ErrorCode::parse(code).expect("a known code"))
}

/// The token an add stored, or the one an edit changed.
fn changed(data: &VaultData, what: impl std::fmt::Debug) -> Token {
    match data.tokens.as_slice() {
        [stored] => stored.clone(),
        [_, added] => added.clone(),
        other => panic!("{what:?}: {} tokens afterwards", other.len()),
    }
}

/// One input to both front ends, and whether it must succeed.
struct Case {
    name: &'static str,
    cli: Vec<String>,
    native: Value,
    stored: bool,
}

fn case(name: &'static str, cli: &[&str], native: Value, stored: bool) -> Case {
    Case {
        name,
        cli: cli.iter().map(|s| s.to_string()).collect(),
        native,
        stored,
    }
}

/// Repeats `flag value` for each value.
fn repeated(flag: &str, values: &[String]) -> Vec<String> {
    values
        .iter()
        .flat_map(|v| [flag.to_string(), v.clone()])
        .collect()
}

fn with(mut args: Vec<String>, more: Vec<String>) -> Vec<String> {
    args.extend(more);
    args
}

fn cases() -> Vec<Case> {
    let id = Uuid::from_u128(STORED_ID).to_string();
    let fields = |secret: &str| {
        vec![
            "add".to_string(),
            "--issuer".into(),
            " Example ".into(),
            "--account".into(),
            "me".into(),
            "--secret".into(),
            secret.into(),
        ]
    };
    let too_many: Vec<String> = (0..=MAX_LIST_ITEMS)
        .map(|i| format!("s{i}.example"))
        .collect();
    let aws_uri = format!(
        "otpauth://totp/Amazon%20Web%20Services:alice@210987654321?secret={FRESH}&issuer=Amazon%20Web%20Services"
    );
    let long = "x".repeat(600);
    let mut all = vec![
        case(
            "add from fields with sites, tags and a pin",
            &[
                "add",
                "--issuer",
                " Example ",
                "--account",
                "me",
                "--secret",
                "gezd gnbv gy3t qojq gezd gnbv gy3t qojq",
                "--site",
                "HTTPS://Example.com/login",
                "--site",
                "example.com",
                "--tag",
                "work",
                "--tag",
                " work ",
                "--tag",
                " ",
                "--pin",
            ],
            json!({"type": "add", "issuer": " Example ", "account": "me",
                   "secret": "gezd gnbv gy3t qojq gezd gnbv gy3t qojq",
                   "sites": ["HTTPS://Example.com/login", "example.com"],
                   "tags": ["work", " work ", " "], "pinned": true}),
            true,
        ),
        case(
            "add with other parameters",
            &[
                "add",
                "--account",
                "me",
                "--secret",
                FRESH,
                "--algorithm",
                "sha256",
                "--digits",
                "8",
                "--period",
                "60",
            ],
            json!({"type": "add", "account": "me", "secret": FRESH,
                   "algorithm": "SHA256", "digits": 8, "period": 60}),
            true,
        ),
        case(
            "add a Steam token",
            &["add", "--issuer", "Steam", "--secret", FRESH, "--steam"],
            json!({"type": "add", "issuer": "Steam", "secret": FRESH, "kind": "steam"}),
            true,
        ),
        case(
            "add an HOTP token",
            &["add", "--secret", FRESH, "--hotp", "--counter", "3"],
            json!({"type": "add", "secret": FRESH, "kind": "hotp", "counter": 3}),
            true,
        ),
        case(
            "add with AWS fields",
            &[
                "add",
                "--account",
                "alice",
                "--secret",
                FRESH,
                "--aws-account",
                "Prod-Team",
                "--aws-user",
                " alice ",
                "--aws-partition",
                "aws-us-gov",
            ],
            json!({"type": "add", "account": "alice", "secret": FRESH,
                   "aws": {"account": "Prod-Team", "user": " alice ", "partition": "aws-us-gov"}}),
            true,
        ),
        case(
            "add from an AWS URI",
            &["add", &aws_uri],
            json!({"type": "add", "uri": aws_uri}),
            true,
        ),
        case(
            "add a duplicate with the override",
            &[
                "add",
                "--issuer",
                "Copy",
                "--secret",
                STORED,
                "--allow-duplicate",
            ],
            json!({"type": "add", "issuer": "Copy", "secret": STORED, "allow_duplicate": true}),
            true,
        ),
        case(
            "add a duplicate",
            &["add", "--issuer", "Copy", "--secret", STORED],
            json!({"type": "add", "issuer": "Copy", "secret": STORED}),
            false,
        ),
        case(
            "add a duplicate from a URI",
            &["add", &format!("otpauth://totp/Other:x?secret={STORED}")],
            json!({"type": "add", "uri": format!("otpauth://totp/Other:x?secret={STORED}")}),
            false,
        ),
        case(
            "add with a bad secret",
            &["add", "--secret", "not base32!"],
            json!({"type": "add", "secret": "not base32!"}),
            false,
        ),
        case(
            "add with a short secret",
            &["add", "--secret", "JBSWY3DP"],
            json!({"type": "add", "secret": "JBSWY3DP"}),
            false,
        ),
        case(
            "add with too few digits",
            &["add", "--secret", FRESH, "--digits", "4"],
            json!({"type": "add", "secret": FRESH, "digits": 4}),
            false,
        ),
        case(
            "add with a zero period",
            &["add", "--secret", FRESH, "--period", "0"],
            json!({"type": "add", "secret": FRESH, "period": 0}),
            false,
        ),
        case(
            "add with a site that is no host",
            &["add", "--secret", FRESH, "--site", "not a host"],
            json!({"type": "add", "secret": FRESH, "sites": ["not a host"]}),
            false,
        ),
        case(
            "add an IAM Identity Center device of the European Sovereign Cloud's partition",
            &[
                "add",
                "--account",
                "ivy",
                "--secret",
                FRESH,
                "--aws-user",
                "ivy",
                "--aws-sso-start-url",
                "My-Portal.awsapps.com/start/#/",
                "--aws-partition",
                "aws-eusc",
            ],
            json!({"type": "add", "account": "ivy", "secret": FRESH,
                   "aws": {"user": "ivy", "sso_start_url": "My-Portal.awsapps.com/start/#/",
                           "partition": "aws-eusc"}}),
            true,
        ),
        case(
            "add with a start URL that is no access portal",
            &[
                "add",
                "--secret",
                FRESH,
                "--aws-sso-start-url",
                "https://my-portal.awsapps.com.evil.example/start",
            ],
            json!({"type": "add", "secret": FRESH,
                   "aws": {"sso_start_url": "https://my-portal.awsapps.com.evil.example/start"}}),
            false,
        ),
        case(
            "add with an account that is no AWS account",
            &["add", "--secret", FRESH, "--aws-account", "Not An Alias!"],
            json!({"type": "add", "secret": FRESH, "aws": {"account": "Not An Alias!"}}),
            false,
        ),
        case(
            "add with a long issuer",
            &["add", "--secret", FRESH, "--issuer", &long],
            json!({"type": "add", "secret": FRESH, "issuer": long}),
            false,
        ),
        case(
            "add from a URI with bad digits",
            &["add", &format!("otpauth://totp/x?secret={FRESH}&digits=99")],
            json!({"type": "add", "uri": format!("otpauth://totp/x?secret={FRESH}&digits=99")}),
            false,
        ),
        case(
            "edit names, sites, tags and the pin",
            &[
                "edit",
                &id,
                "--issuer",
                " GitHub Inc ",
                "--account",
                "mona",
                "--add-site",
                "Gist.GitHub.com",
                "--add-tag",
                " ",
                "--add-tag",
                "work",
                "--remove-tag",
                "code",
                "--pin",
            ],
            json!({"type": "update", "token": id, "issuer": " GitHub Inc ", "account": "mona",
                   "sites": ["github.com", "Gist.GitHub.com"], "tags": [" ", "work"],
                   "pinned": true}),
            true,
        ),
        case(
            "edit the AWS user",
            &["edit", &id, "--aws-user", "bob"],
            json!({"type": "update", "token": id,
                   "aws": {"account_id": "123456789012", "user": "bob"}}),
            true,
        ),
        case(
            "edit away the AWS context",
            &["edit", &id, "--clear-aws"],
            json!({"type": "update", "token": id, "aws": null}),
            true,
        ),
        case(
            "edit in a site that is no host",
            &["edit", &id, "--add-site", "not a host"],
            json!({"type": "update", "token": id, "sites": ["github.com", "not a host"]}),
            false,
        ),
        case(
            "edit in a bad AWS account",
            &["edit", &id, "--aws-account", "bad--alias"],
            json!({"type": "update", "token": id, "aws": {"account": "bad--alias"}}),
            false,
        ),
        case(
            "edit in a long account name",
            &["edit", &id, "--account", &long],
            json!({"type": "update", "token": id, "account": long}),
            false,
        ),
    ];
    all.push(Case {
        name: "add with too many sites",
        cli: with(fields(FRESH), repeated("--site", &too_many)),
        native: json!({"type": "add", "issuer": " Example ", "account": "me", "secret": FRESH,
                       "sites": too_many}),
        stored: false,
    });
    all.push(Case {
        name: "add with too many tags, some blank",
        cli: with(
            fields(FRESH),
            repeated("--tag", &[too_many.clone(), vec![" ".into()]].concat()),
        ),
        native: json!({"type": "add", "issuer": " Example ", "account": "me", "secret": FRESH,
                       "tags": ([too_many.clone(), vec![" ".into()]].concat())}),
        stored: false,
    });
    all.push(Case {
        name: "add with as many tags as allowed and blank ones",
        cli: with(
            fields(FRESH),
            repeated(
                "--tag",
                &[too_many[1..].to_vec(), vec![" ".into(), "".into()]].concat(),
            ),
        ),
        native: json!({"type": "add", "issuer": " Example ", "account": "me", "secret": FRESH,
                       "tags": ([too_many[1..].to_vec(), vec![" ".into(), "".into()]].concat())}),
        stored: true,
    });
    all.push(Case {
        name: "edit in too many tags",
        cli: with(
            vec!["edit".into(), id.clone()],
            repeated("--add-tag", &too_many),
        ),
        native: json!({"type": "update", "token": id, "tags": too_many}),
        stored: false,
    });
    all
}

#[test]
fn both_front_ends_store_the_same_token_or_refuse_with_the_same_code() {
    let mut stored = 0;
    for case in cases() {
        let args: Vec<&str> = case.cli.iter().map(String::as_str).collect();
        let by_cli = cli(&args);
        let by_host = native(case.native.clone());
        match (&by_cli, &by_host) {
            (Ok(a), Ok(b)) => {
                assert_eq!(comparable(a), comparable(b), "{}", case.name);
                assert!(case.stored, "{}: accepted", case.name);
                stored += 1;
            }
            (Err(a), Err(b)) => {
                assert_eq!(a, b, "{}", case.name);
                assert!(!case.stored, "{}: refused with {a}", case.name);
            }
            _ => panic!(
                "{}: the command line gave {:?}, the host {:?}",
                case.name,
                by_cli.as_ref().map(comparable),
                by_host.as_ref().map(comparable)
            ),
        }
    }
    assert!(stored >= 8, "only {stored} cases stored a token");
}

#[test]
fn the_rules_normalise_alike_on_both_sides() {
    let token = cli(&[
        "add",
        "--issuer",
        " Example ",
        "--secret",
        FRESH,
        "--site",
        "HTTPS://Example.com/login",
        "--tag",
        " ",
        "--tag",
        "work",
        "--steam",
    ])
    .unwrap();
    assert_eq!(token.issuer, "Example");
    assert_eq!(token.sites, ["example.com"]);
    assert_eq!(token.tags, ["work"]);
    assert_eq!(token.digits, factorcat::token::STEAM_DIGITS);
    for (args, code) in [
        (&["add", "--secret", STORED][..], ErrorCode::DuplicateToken),
        (&["add", "--secret", "x"], ErrorCode::InvalidToken),
        (
            &["edit", "nothing-like-it", "--pin"],
            ErrorCode::UnknownToken,
        ),
    ] {
        assert_eq!(cli(args).unwrap_err(), code, "{args:?}");
    }
}
