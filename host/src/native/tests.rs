//! Callers, the pinned extension id, the serve loop and every operation
//! against an in-memory store with a fixed clock.

use std::cell::Cell;
use std::io::Cursor;
use std::rc::Rc;

use data_encoding::BASE64;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::*;
use crate::protocol::{MAX_REQUEST_BYTES, OPERATIONS, read_frame, write_frame};
use crate::secret::Secret;
use crate::token::{AwsContext, Kind, Partition, Token};

const SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

use crate::extension_ids::{development_chromium_id as dev_id, firefox_addon_id};

fn os(args: &[&str]) -> Vec<OsString> {
    args.iter().map(OsString::from).collect()
}

#[test]
fn chromium_id_is_derived_from_the_manifest_key() {
    let manifest: Value =
        serde_json::from_str(include_str!("../../../extension/manifest.json")).unwrap();
    let key = BASE64
        .decode(manifest["key"].as_str().unwrap().as_bytes())
        .unwrap();
    let digest = Sha256::digest(&key);
    let id: String = digest[..16]
        .iter()
        .flat_map(|b| [b >> 4, b & 0x0f])
        .map(|nibble| char::from(b'a' + nibble))
        .collect();
    assert_eq!(id, dev_id());
    assert_eq!(
        manifest["browser_specific_settings"]["gecko"]["id"],
        firefox_addon_id()
    );
    let permissions = manifest["permissions"].as_array().unwrap();
    assert!(permissions.contains(&json!("nativeMessaging")));
}

/// The crate version is the one version number: the extension's manifest
/// (and so the store builds) and the Debian package follow it.
#[test]
fn the_extension_version_is_the_crate_version() {
    let manifest: Value =
        serde_json::from_str(include_str!("../../../extension/manifest.json")).unwrap();
    assert_eq!(
        manifest["version"],
        env!("CARGO_PKG_VERSION"),
        "extension/manifest.json's version must be host/Cargo.toml's"
    );
}

#[test]
fn callers_by_browser_convention() {
    let origin = format!("chrome-extension://{}/", dev_id());
    let c = browser_caller(&os(&["factorcat", &origin])).unwrap();
    assert_eq!(c.id(), dev_id());
    assert!(c.is_allowed_with(""));
    let c = browser_caller(&os(&[
        "factorcat.exe",
        &origin,
        "--parent-window=0",
        "--some-future-flag",
    ]))
    .unwrap();
    assert_eq!(c.browser(), "chromium");
    assert!(c.is_allowed_with(""));

    let c = browser_caller(&os(&[
        "factorcat",
        "/home/u/.mozilla/native-messaging-hosts/app.factorcat.json",
        firefox_addon_id(),
    ]))
    .unwrap();
    assert_eq!(c.browser(), "firefox");
    assert!(c.is_allowed_with(""));

    let foreign = browser_caller(&os(&[
        "factorcat",
        "chrome-extension://abcdefghijklmnopabcdefghijklmnop/",
    ]))
    .unwrap();
    assert!(!foreign.is_allowed_with(""));
    assert!(foreign.is_allowed_with(" x , abcdefghijklmnopabcdefghijklmnop,"));
    let foreign = browser_caller(&os(&["factorcat", "/m.json", "evil@example.org"])).unwrap();
    assert!(!foreign.is_allowed_with(dev_id()));
    let empty = browser_caller(&os(&["factorcat", "chrome-extension:///"])).unwrap();
    assert!(!empty.is_allowed_with(",,"));
}

#[test]
fn command_lines_are_not_callers() {
    for args in [
        vec![],
        vec!["factorcat"],
        vec!["factorcat", "list"],
        vec!["factorcat", "code", "github"],
        vec!["factorcat", "relative.json", "id@x"],
        vec!["factorcat", "/abs/file.txt", "id@x"],
        vec!["factorcat", "/abs/m.json", "--flag"],
        vec!["factorcat", "/abs/m.json", "id@x", "extra"],
    ] {
        assert_eq!(browser_caller(&os(&args)), None, "{args:?}");
    }
}

fn totp(issuer: &str, account: &str) -> Token {
    Token::new(issuer, account, Secret::from_base32(SECRET).unwrap())
}

/// A handler whose clock the test moves.
fn handler(tokens: Vec<Token>, clock: Rc<Cell<u64>>) -> Handler<MemoryStore> {
    let data = VaultData {
        tokens,
        ..VaultData::default()
    };
    Handler::with_clock(MemoryStore::new(data), move || clock.get())
}

fn call(h: &Handler<MemoryStore>, request: Value) -> Value {
    serde_json::from_slice(&h.reply(request.to_string().as_bytes())).unwrap()
}

fn ok(h: &Handler<MemoryStore>, request: Value) -> Value {
    let reply = call(h, request.clone());
    assert_eq!(reply["ok"], true, "{request} -> {reply}");
    assert_eq!(reply["id"], request["id"]);
    reply
}

fn err(h: &Handler<MemoryStore>, request: Value) -> String {
    let reply = call(h, request.clone());
    assert_eq!(reply["ok"], false, "{request} -> {reply}");
    assert!(!reply["error"]["message"].as_str().unwrap().is_empty());
    reply["error"]["code"].as_str().unwrap().to_string()
}

#[test]
fn hello_reports_versions_and_vault_state() {
    let h = handler(vec![], Rc::new(Cell::new(0)));
    let r = ok(&h, json!({"id": 1, "type": "hello", "protocol": 1}));
    assert_eq!(r["protocol"], crate::protocol::PROTOCOL_VERSION);
    // The import formats, by the names `import` takes, with what to call them.
    let formats = r["import_formats"].as_array().unwrap();
    let names: Vec<&str> = formats
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, crate::import::Format::ALL.map(|f| f.name()));
    assert!(
        formats
            .iter()
            .all(|f| !f["label"].as_str().unwrap().is_empty())
    );
    assert!(formats.contains(&json!({"name": "aegis", "label": "Aegis export"})));
    assert_eq!(r["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(r["vault"]["state"], "present");
    assert_eq!(
        r["capabilities"].as_array().unwrap().len(),
        OPERATIONS.len()
    );
    assert!(
        r["capabilities"]
            .as_array()
            .unwrap()
            .contains(&json!("import"))
    );
    let missing = Handler::new(MemoryStore::missing());
    let r: Value = serde_json::from_slice(&missing.reply(br#"{"id":2,"type":"hello"}"#)).unwrap();
    assert_eq!(r["vault"]["state"], "missing");
    let r: Value = serde_json::from_slice(&missing.reply(br#"{"id":3,"type":"list"}"#)).unwrap();
    assert_eq!(r["error"]["code"], "vault_missing");
}

#[test]
fn list_shows_codes_never_secrets_and_pages() {
    let clock = Rc::new(Cell::new(1_700_000_012));
    let mut hotp = totp("Bank", "alice");
    hotp.kind = Kind::Hotp { counter: 7 };
    let tokens: Vec<Token> = (0..5)
        .map(|i| totp("GitHub", &format!("user{i}")))
        .chain([hotp])
        .collect();
    let first = tokens[0].clone();
    let h = handler(tokens, clock.clone());
    let r = ok(&h, json!({"id": 1, "type": "list", "limit": 4}));
    assert_eq!(r["total"], 6);
    assert_eq!(r["next_offset"], 4);
    let entry = &r["tokens"][0];
    assert_eq!(entry["code"], first.code_at(1_700_000_012));
    assert_eq!(entry["seconds_left"], 28);
    assert_eq!(entry["valid_until"], 1_700_000_040);
    assert!(entry.get("secret").is_none());
    let r = ok(&h, json!({"id": 2, "type": "list", "offset": 4}));
    assert_eq!(r["next_offset"], Value::Null);
    assert_eq!(r["tokens"][1]["code"], Value::Null);
    assert_eq!(r["tokens"][1]["counter"], 7);
    let r = ok(&h, json!({"id": 3, "type": "list", "offset": 99}));
    assert_eq!(r["tokens"], json!([]));
    assert!(!r.to_string().contains(SECRET));
    assert_eq!(h.store().writes(), 0);
}

#[test]
fn list_stays_under_one_mebibyte() {
    let clock = Rc::new(Cell::new(1_700_000_000));
    let mut tokens = Vec::new();
    for i in 0..500 {
        let mut t = totp(&"I".repeat(500), &format!("{i}{}", "a".repeat(500)));
        t.sites = (0..64)
            .map(|j| format!("s{j}.{}.example", "x".repeat(400)))
            .collect();
        tokens.push(t);
    }
    let h = handler(tokens, clock);
    let reply = h.reply(br#"{"id":1,"type":"list","limit":500}"#);
    assert!(
        reply.len() <= crate::protocol::MAX_REPLY_BYTES,
        "{}",
        reply.len()
    );
    let r: Value = serde_json::from_slice(&reply).unwrap();
    assert_eq!(r["ok"], true);
    let shown = r["tokens"].as_array().unwrap().len();
    assert!((1..500).contains(&shown));
    assert_eq!(r["next_offset"], shown);
}

#[test]
fn match_ranks_and_flags_autofill() {
    let clock = Rc::new(Cell::new(1_700_000_000));
    let mut alice = totp("Amazon Web Services", "alice-phone@123456789012");
    alice.aws = Some(AwsContext {
        account_id: Some("123456789012".into()),
        user: Some("alice".into()),
        ..AwsContext::default()
    });
    let mut bob = alice.clone();
    bob.id = uuid::Uuid::new_v4();
    bob.aws.as_mut().unwrap().user = Some("bob".into());
    let (alice_id, bob_id) = (alice.id, bob.id);
    let h = handler(vec![alice, bob, totp("GitHub", "alice")], clock);
    let url = "https://123456789012.signin.aws.amazon.com/console";
    let r = ok(&h, json!({"id": 1, "type": "match", "url": url}));
    assert_eq!(r["total"], 2);
    assert_eq!(r["autofill"], false);
    assert_eq!(r["aws"]["account"], "123456789012");
    let r = ok(
        &h,
        json!({"id": 2, "type": "match", "url": url, "hint": {"user": "bob"}}),
    );
    assert_eq!(r["autofill"], true);
    assert_eq!(r["autofill_token"], json!(bob_id));
    assert_eq!(r["candidates"][0]["strength"], "account_user");
    assert_eq!(r["candidates"][1]["token"]["id"], json!(alice_id));
    assert!(r["candidates"][0]["token"].get("code").is_none());
    assert_eq!(
        r["candidates"][0]["token"]["belongs_to"],
        json!(["signin.aws.amazon.com"])
    );
    assert_eq!(
        err(
            &h,
            json!({"id": 3, "type": "match", "url": "http://github.com/"})
        ),
        "insecure_url"
    );
    assert_eq!(
        err(&h, json!({"id": 4, "type": "match", "url": "not a url"})),
        "invalid_url"
    );
    assert_eq!(h.store().writes(), 0);
}

#[test]
fn match_fills_the_device_of_one_user_filled_most_recently() {
    let clock = Rc::new(Cell::new(1_700_000_000));
    let device = |name: &str, created: u64| {
        let mut t = totp("Amazon Web Services", &format!("{name}@123456789012"));
        t.aws = Some(AwsContext {
            account_id: Some("123456789012".into()),
            user: Some("alice".into()),
            ..AwsContext::default()
        });
        t.created = created;
        t
    };
    let (phone, laptop) = (device("phone", 1), device("laptop", 2));
    let (phone_id, laptop_id) = (phone.id, laptop.id);
    let h = handler(vec![phone, laptop], clock.clone());
    let url = "https://123456789012.signin.aws.amazon.com/oauth";
    let ask = |id: u64| json!({"id": id, "type": "match", "url": url, "hint": {"user": "alice"}});
    let r = ok(&h, ask(1));
    assert_eq!(
        r["autofill"], true,
        "two devices of one user are one choice"
    );
    assert_eq!(r["autofill_token"], json!(laptop_id), "the newest");
    assert_eq!(r["total"], 2);

    // The phone's code is filled: from then on it is the one filled.
    ok(
        &h,
        json!({"id": 2, "type": "code", "token": phone_id, "for_fill": true}),
    );
    let r = ok(&h, ask(3));
    assert_eq!(r["autofill_token"], json!(phone_id));
    assert_eq!(r["candidates"][1]["token"]["id"], json!(laptop_id));
}

#[test]
fn match_says_what_the_host_understood_of_the_page() {
    let clock = Rc::new(Cell::new(1_700_000_000));
    let mut alice = totp("Amazon Web Services", "alice-phone@123456789012");
    alice.aws = Some(AwsContext {
        account_id: Some("123456789012".into()),
        user: Some("alice".into()),
        ..AwsContext::default()
    });
    let mut bob = alice.clone();
    bob.id = uuid::Uuid::new_v4();
    bob.aws.as_mut().unwrap().user = Some("bob".into());
    let bob_id = bob.id;
    let h = handler(vec![alice, bob], clock);
    // The regional MFA page shows nothing; the credentials step of the same
    // tab showed the account (in its address) and the user.
    let r = ok(
        &h,
        json!({"id": 1, "type": "match", "url": "https://us-east-1.signin.aws.amazon.com/oauth?x=1",
               "earlier": {"url": "https://123456789012.signin.aws.amazon.com/console",
                           "hint": {"user": "bob"}}}),
    );
    assert_eq!(
        r["page"],
        json!({"host": "us-east-1.signin.aws.amazon.com", "site": "amazon.com",
               "aws": {"partition": "aws", "service": "signin", "account_id": null,
                       "account_alias": null, "region": "us-east-1", "directory": null,
                       "portal": null}})
    );
    assert_eq!(
        r["who"],
        json!({"account_id": "123456789012", "account_alias": null, "user": "bob", "email": null})
    );
    assert_eq!(r["autofill_token"], json!(bob_id));
    // Protocol 1's fields stay as they were.
    assert_eq!(r["host"], "us-east-1.signin.aws.amazon.com");
    assert_eq!(
        r["aws"],
        json!({"partition": "aws", "service": "console", "account": null, "region": "us-east-1"})
    );
    // The IAM console (enrolment): facts, the account as the page shows it.
    let r = ok(
        &h,
        json!({"id": 2, "type": "match", "url": "https://console.amazonaws-us-gov.com/iam/home",
               "hint": {"account": "1234-5678-9012"}}),
    );
    assert_eq!(r["page"]["aws"]["partition"], "aws-us-gov");
    assert_eq!(r["page"]["aws"]["service"], "console");
    assert_eq!(r["who"]["account_id"], "123456789012");
    assert_eq!(r["aws"], Value::Null, "no sign-in page for protocol 1");
    assert_eq!(r["total"], 0);
    // Not an AWS page: no AWS facts; an unusable earlier step is ignored.
    let r = ok(
        &h,
        json!({"id": 3, "type": "match", "url": "https://github.com/login",
               "earlier": {"url": "not a url"}}),
    );
    assert_eq!(r["page"]["aws"], Value::Null);
    assert_eq!(r["page"]["site"], "github.com");
    // A URL that cannot be used fails before the vault is opened.
    let missing = Handler::new(MemoryStore::missing());
    let r: Value = serde_json::from_slice(
        &missing.reply(br#"{"id":4,"type":"match","url":"http://github.com/"}"#),
    )
    .unwrap();
    assert_eq!(r["error"]["code"], "insecure_url");
}

#[test]
fn display_code_gives_current_and_next() {
    let clock = Rc::new(Cell::new(1_700_000_028));
    let t = totp("GitHub", "alice");
    let (id, copy) = (t.id, t.clone());
    let h = handler(vec![t], clock);
    let r = ok(&h, json!({"id": 1, "type": "code", "token": id}));
    assert_eq!(r["code"], copy.code_at(1_700_000_010));
    assert_eq!(r["valid_from"], 1_700_000_010);
    assert_eq!(r["valid_until"], 1_700_000_040);
    assert_eq!(r["wait"], 0);
    assert_eq!(r["next"]["code"], copy.code_at(1_700_000_040));
    assert_eq!(h.store().writes(), 0);
}

#[test]
fn fill_never_hands_out_a_dying_or_reused_code() {
    let clock = Rc::new(Cell::new(1_700_000_010));
    let t = totp("GitHub", "alice");
    let (id, copy) = (t.id, t.clone());
    let h = handler(vec![t], clock.clone());
    let fill = json!({"id": 1, "type": "code", "token": id, "for_fill": true});

    // Fresh window: the current code.
    let r = ok(&h, fill.clone());
    assert_eq!(r["valid_from"], 1_700_000_010);
    assert_eq!(r["wait"], 0);
    assert_eq!(r["code"], copy.code_at(1_700_000_010));
    assert!(r.get("next").is_none());
    assert_eq!(h.store().snapshot().unwrap().fills[&id], 1_700_000_010 / 30);

    // Same window again: the next code, valid in 20 s.
    clock.set(1_700_000_020);
    let r = ok(&h, fill.clone());
    assert_eq!(r["valid_from"], 1_700_000_040);
    assert_eq!(r["wait"], 20);
    assert_eq!(r["code"], copy.code_at(1_700_000_040));

    // Both spent: wait for the next window.
    let reply = call(&h, fill.clone());
    assert_eq!(reply["error"]["code"], "code_already_used");
    assert_eq!(reply["error"]["retry_after"], 20);

    // Once the clock reaches that window, the one after it.
    clock.set(1_700_000_041);
    let r = ok(&h, fill.clone());
    assert_eq!(r["valid_from"], 1_700_000_070);

    // A window with under 5 s left is skipped.
    let u = totp("GitLab", "alice");
    let (uid, ucopy) = (u.id, u.clone());
    let h = handler(vec![u], clock.clone());
    clock.set(1_700_000_036);
    let r = ok(
        &h,
        json!({"id": 2, "type": "code", "token": uid, "for_fill": true}),
    );
    assert_eq!(r["valid_from"], 1_700_000_040);
    assert_eq!(r["wait"], 4);
    assert_eq!(r["code"], ucopy.code_at(1_700_000_040));
}

#[test]
fn hotp_advances_once_per_code() {
    let clock = Rc::new(Cell::new(1_700_000_000));
    let mut t = totp("Bank", "alice");
    t.kind = Kind::Hotp { counter: 3 };
    let (id, copy) = (t.id, t.clone());
    let h = handler(vec![t], clock);
    let r = ok(&h, json!({"id": 1, "type": "code", "token": id}));
    assert_eq!(r["counter"], 3);
    assert_eq!(r["code"], copy.hotp_code(3));
    let r = ok(
        &h,
        json!({"id": 2, "type": "code", "token": id, "for_fill": true}),
    );
    assert_eq!(r["counter"], 4);
    assert_eq!(r["code"], copy.hotp_code(4));
    let stored = h.store().snapshot().unwrap();
    assert_eq!(stored.tokens[0].kind, Kind::Hotp { counter: 5 });
    assert_eq!(h.store().writes(), 2);
    let r = ok(&h, json!({"id": 3, "type": "enroll_codes", "token": id}));
    assert_eq!(r["codes"][0]["code"], copy.hotp_code(5));
    assert_eq!(r["codes"][1]["code"], copy.hotp_code(6));
    let stored = h.store().snapshot().unwrap();
    assert_eq!(stored.tokens[0].kind, Kind::Hotp { counter: 7 });
}

#[test]
fn enroll_codes_are_two_consecutive_windows() {
    let clock = Rc::new(Cell::new(1_700_000_015));
    let t = totp("Amazon Web Services", "alice");
    let (id, copy) = (t.id, t.clone());
    let h = handler(vec![t], clock.clone());
    let r = ok(&h, json!({"id": 1, "type": "enroll_codes", "token": id}));
    assert_eq!(r["codes"][0]["code"], copy.code_at(1_700_000_010));
    assert_eq!(r["codes"][1]["code"], copy.code_at(1_700_000_040));
    assert_eq!(r["codes"][1]["valid_from"], 1_700_000_040);
    // Those steps are spent for filling too.
    assert_eq!(
        err(
            &h,
            json!({"id": 2, "type": "code", "token": id, "for_fill": true})
        ),
        "code_already_used"
    );
}

#[test]
fn add_update_remove() {
    let clock = Rc::new(Cell::new(1_700_000_000));
    let h = handler(vec![], clock);
    let r = ok(
        &h,
        json!({"id": 1, "type": "add", "issuer": "Amazon Web Services",
               "account": "alice-phone@123456789012", "secret": SECRET,
               "sites": ["HTTPS://Signin.AWS.amazon.com/console"],
               "aws": {"account": "123456789012", "user": "alice", "partition": "aws-us-gov"},
               "tags": ["work", " work ", ""], "pinned": true}),
    );
    assert!(!r.to_string().contains(SECRET));
    let token = &r["token"];
    assert_eq!(token["sites"], json!(["signin.aws.amazon.com"]));
    assert_eq!(token["tags"], json!(["work"]));
    assert_eq!(token["aws"]["partition"], "aws-us-gov");
    assert_eq!(token["aws"]["account_id"], "123456789012");
    let id = token["id"].clone();

    let r = ok(
        &h,
        json!({"id": 2, "type": "update", "token": id, "issuer": "AWS", "aws": null, "pinned": false}),
    );
    assert_eq!(r["token"]["issuer"], "AWS");
    assert!(r["token"].get("aws").is_none());
    let stored = h.store().snapshot().unwrap();
    assert_eq!(stored.tokens[0].aws, None);
    assert_eq!(
        stored.tokens[0].secret,
        Secret::from_base32(SECRET).unwrap()
    );

    let r = ok(&h, json!({"id": 3, "type": "remove", "token": id}));
    assert_eq!(r["removed"], id);
    assert!(h.store().snapshot().unwrap().tokens.is_empty());
    assert_eq!(
        err(&h, json!({"id": 4, "type": "remove", "token": id})),
        "unknown_token"
    );
}

#[test]
fn add_refuses_bad_tokens_without_writing() {
    let clock = Rc::new(Cell::new(1_700_000_000));
    let h = handler(vec![], clock);
    for (request, code) in [
        (json!({"id": 1, "type": "add"}), "bad_request"),
        (
            json!({"id": 1, "type": "add", "secret": "not base32!"}),
            "invalid_token",
        ),
        (
            json!({"id": 1, "type": "add", "secret": "JBSWY3DP"}),
            "invalid_token",
        ),
        (
            json!({"id": 1, "type": "add", "secret": SECRET, "digits": 4}),
            "invalid_token",
        ),
        (
            json!({"id": 1, "type": "add", "secret": SECRET, "digits": 300}),
            "invalid_token",
        ),
        (
            json!({"id": 1, "type": "add", "secret": SECRET, "period": 0}),
            "invalid_token",
        ),
        (
            json!({"id": 1, "type": "add", "secret": SECRET, "kind": "motp"}),
            "invalid_token",
        ),
        (
            json!({"id": 1, "type": "add", "secret": SECRET, "algorithm": "MD5"}),
            "invalid_token",
        ),
        (
            json!({"id": 1, "type": "add", "secret": SECRET, "sites": ["not a host"]}),
            "invalid_token",
        ),
        (
            json!({"id": 1, "type": "add", "secret": SECRET, "aws": {"account_id": "12"}}),
            "invalid_token",
        ),
        (
            json!({"id": 1, "type": "add", "secret": SECRET, "aws": {"partition": "aws-mars"}}),
            "invalid_token",
        ),
        (
            json!({"id": 1, "type": "add", "secret": SECRET, "issuer": "x".repeat(600)}),
            "invalid_token",
        ),
        (
            json!({"id": 1, "type": "add", "uri": "otpauth://totp/x?secret=JBSWY3DP"}),
            "invalid_uri",
        ),
        (
            json!({"id": 1, "type": "add", "uri": format!("https://x/?secret={SECRET}")}),
            "invalid_uri",
        ),
        (
            json!({"id": 1, "type": "add", "uri": format!("otpauth://totp/x?secret={SECRET}&digits=99")}),
            "invalid_uri",
        ),
    ] {
        let reply = call(&h, request.clone());
        assert_eq!(reply["error"]["code"], code, "{request}");
        assert!(!reply.to_string().contains(SECRET), "{reply}");
    }
    assert_eq!(h.store().writes(), 0);
}

#[test]
fn add_refuses_a_duplicate_unless_asked_to_keep_two() {
    let stored = totp("GitHub", "a");
    let h = handler(vec![stored.clone()], Rc::new(Cell::new(1_700_000_000)));
    let uri = format!("otpauth://totp/Other:b?secret={SECRET}");
    for request in [
        json!({"id": 1, "type": "add", "issuer": "Copy", "secret": SECRET.to_lowercase()}),
        json!({"id": 2, "type": "add", "uri": uri}),
    ] {
        let reply = call(&h, request.clone());
        let error = &reply["error"];
        assert_eq!(error["code"], "duplicate_token", "{request}");
        assert_eq!(
            error["token"],
            json!({"id": stored.id, "label": "GitHub (a)"})
        );
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .contains("allow_duplicate"),
            "{reply}"
        );
    }
    assert_eq!(h.store().writes(), 0);
    let r = ok(
        &h,
        json!({"id": 3, "type": "add", "uri": uri, "allow_duplicate": true}),
    );
    assert_eq!(r["token"]["issuer"], "Other");
    assert_eq!(h.store().snapshot().unwrap().tokens.len(), 2);
}

#[test]
fn unknown_tokens_are_errors_without_writes() {
    let h = handler(vec![totp("GitHub", "a")], Rc::new(Cell::new(0)));
    let ghost = uuid::Uuid::new_v4();
    for op in ["code", "enroll_codes", "remove", "update"] {
        assert_eq!(
            err(&h, json!({"id": 1, "type": op, "token": ghost})),
            "unknown_token"
        );
    }
    assert_eq!(
        err(
            &h,
            json!({"id": 1, "type": "code", "token": ghost, "for_fill": true})
        ),
        "unknown_token"
    );
    assert_eq!(h.store().writes(), 0);
}

fn framed(bodies: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for body in bodies {
        out.extend((body.len() as u32).to_ne_bytes());
        out.extend_from_slice(body);
    }
    out
}

fn replies(output: &[u8]) -> Vec<Value> {
    let mut cursor = Cursor::new(output);
    let mut out = Vec::new();
    while let Some(body) = read_frame(&mut cursor).unwrap() {
        out.push(serde_json::from_slice(&body).unwrap());
    }
    out
}

#[test]
fn serve_answers_each_request_and_survives_bad_ones() {
    let h = handler(vec![totp("GitHub", "a")], Rc::new(Cell::new(1_700_000_000)));
    let input = framed(&[
        br#"{"id":1,"type":"hello"}"#,
        b"",
        b"\xff",
        b"[1,2",
        br#"{"id":2,"type":"nope"}"#,
        br#"{"id":3,"type":"list"}"#,
    ]);
    let mut output = Vec::new();
    assert_eq!(serve(&mut Cursor::new(input), &mut output, &h), 0);
    let r = replies(&output);
    let codes: Vec<&str> = r
        .iter()
        .map(|v| v["error"]["code"].as_str().unwrap_or("ok"))
        .collect();
    assert_eq!(
        codes,
        [
            "ok",
            "empty_frame",
            "invalid_utf8",
            "invalid_json",
            "unknown_op",
            "ok"
        ]
    );
    assert_eq!(r[5]["id"], 3);
    assert_eq!(h.store().writes(), 0);
}

#[test]
fn serve_stops_at_an_oversized_length_and_at_truncation() {
    let h = handler(vec![], Rc::new(Cell::new(0)));
    let mut input = framed(&[br#"{"id":1,"type":"hello"}"#]);
    input.extend((MAX_REQUEST_BYTES + 1).to_ne_bytes());
    input.extend(framed(&[br#"{"id":2,"type":"hello"}"#]));
    let mut output = Vec::new();
    assert_eq!(serve(&mut Cursor::new(input), &mut output, &h), 1);
    let r = replies(&output);
    assert_eq!(r.len(), 2);
    assert_eq!(r[1]["id"], Value::Null);
    assert_eq!(r[1]["error"]["code"], "frame_too_large");

    let mut input = framed(&[br#"{"id":1,"type":"hello"}"#]);
    input.extend(100u32.to_ne_bytes());
    input.extend(b"{\"id\":");
    let mut output = Vec::new();
    assert_eq!(serve(&mut Cursor::new(input), &mut output, &h), 0);
    assert_eq!(replies(&output).len(), 1);
}

#[test]
fn serve_reports_a_closed_output() {
    struct Closed;
    impl std::io::Write for Closed {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let h = handler(vec![], Rc::new(Cell::new(0)));
    let input = framed(&[br#"{"id":1,"type":"hello"}"#]);
    assert_eq!(serve(&mut Cursor::new(input), &mut Closed, &h), 1);
    let mut sink = Vec::new();
    write_frame(&mut sink, b"{}").unwrap();
}

#[test]
fn partitions_survive_the_protocol() {
    let clock = Rc::new(Cell::new(1_700_000_000));
    let mut gov = totp("Amazon Web Services", "alice");
    gov.aws = Some(AwsContext {
        account_id: Some("123456789012".into()),
        partition: Partition::AwsUsGov,
        ..AwsContext::default()
    });
    let h = handler(vec![gov], clock);
    let r = ok(
        &h,
        json!({"id": 1, "type": "match", "url": "https://123456789012.signin.aws.amazon.com/console"}),
    );
    assert_eq!(r["total"], 0);
    let r = ok(
        &h,
        json!({"id": 2, "type": "match", "url": "https://123456789012.signin.amazonaws-us-gov.com/console"}),
    );
    assert_eq!(r["total"], 1);
    assert_eq!(r["aws"]["partition"], "aws-us-gov");
}

#[test]
fn damaged_records_never_crash_the_host() {
    let clock = Rc::new(Cell::new(1_700_000_000));
    let mut zero = totp("Broken", "period");
    zero.kind = Kind::Totp { period: 0 };
    let mut wide = totp("Broken", "digits");
    wide.digits = 42;
    let (a, b) = (zero.id, wide.id);
    let h = handler(vec![zero, wide], clock);
    let r = ok(&h, json!({"id": 1, "type": "list"}));
    assert_eq!(r["tokens"][0]["invalid"], true);
    assert_eq!(r["tokens"][1]["code"], Value::Null);
    for id in [a, b] {
        for request in [
            json!({"id": 2, "type": "code", "token": id}),
            json!({"id": 3, "type": "code", "token": id, "for_fill": true}),
            json!({"id": 4, "type": "enroll_codes", "token": id}),
        ] {
            assert_eq!(err(&h, request), "invalid_token");
        }
    }
    assert_eq!(h.store().writes(), 0);
}

#[test]
fn add_from_an_otpauth_uri_with_extra_metadata() {
    let h = handler(vec![], Rc::new(Cell::new(1_700_000_000)));
    let uri = format!(
        "otpauth://totp/Amazon%20Web%20Services:alice-phone%40123456789012?secret={SECRET}&issuer=Amazon%20Web%20Services"
    );
    let r = ok(
        &h,
        json!({"id": 1, "type": "add", "uri": uri, "aws": {"account": "123456789012", "user": "alice"}, "pinned": true}),
    );
    assert!(!r.to_string().contains(SECRET));
    assert_eq!(r["token"]["issuer"], "Amazon Web Services");
    assert_eq!(r["token"]["account"], "alice-phone@123456789012");
    assert_eq!(r["token"]["aws"]["user"], "alice");
    assert_eq!(r["token"]["pinned"], true);
    let stored = h.store().snapshot().unwrap();
    assert_eq!(
        stored.tokens[0].secret,
        Secret::from_base32(SECRET).unwrap()
    );
}

mod arbitrary_input {
    use proptest::prelude::*;

    use super::*;

    fn requests() -> impl Strategy<Value = Vec<u8>> {
        let ops = prop::sample::select(vec![
            "hello",
            "list",
            "match",
            "code",
            "enroll_codes",
            "add",
            "update",
            "remove",
            "other",
        ]);
        let values = prop_oneof![
            Just(json!(null)),
            any::<i64>().prop_map(|n| json!(n)),
            any::<bool>().prop_map(|b| json!(b)),
            ".{0,40}".prop_map(|s| json!(s)),
            Just(json!("https://123456789012.signin.aws.amazon.com/console")),
            Just(json!({"user": "alice"})),
            Just(json!(["a", 1])),
        ];
        let fields = prop::collection::btree_map(
            prop::sample::select(vec![
                "token", "url", "hint", "for_fill", "offset", "limit", "secret", "uri", "issuer",
                "digits", "kind", "period", "counter", "sites", "aws", "tags", "pinned",
            ]),
            values,
            0..6,
        );
        (any::<i64>(), ops, fields, any::<bool>()).prop_map(|(id, op, fields, secret)| {
            let mut request = serde_json::Map::new();
            request.insert("id".into(), json!(id));
            request.insert("type".into(), json!(op));
            if secret {
                request.insert("secret".into(), json!(SECRET));
            }
            for (k, v) in fields {
                request.insert(k.to_string(), v);
            }
            Value::Object(request).to_string().into_bytes()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Any bytes get one well-formed reply, never a panic or a secret.
        #[test]
        fn any_bytes_get_a_reply(body in prop::collection::vec(any::<u8>(), 0..200)) {
            let h = handler(vec![totp("GitHub", "a")], Rc::new(Cell::new(1_700_000_000)));
            let reply: Value = serde_json::from_slice(&h.reply(&body)).unwrap();
            prop_assert!(reply["ok"].is_boolean());
        }

        /// Plausible requests with wrong or odd fields: a reply with the
        /// same id, under 1 MiB, without the secret.
        #[test]
        fn odd_requests_get_a_reply(body in requests()) {
            let h = handler(vec![totp("GitHub", "a")], Rc::new(Cell::new(1_700_000_000)));
            let bytes = h.reply(&body);
            prop_assert!(bytes.len() <= crate::protocol::MAX_REPLY_BYTES);
            let reply: Value = serde_json::from_slice(&bytes).unwrap();
            let sent: Value = serde_json::from_slice(&body).unwrap();
            prop_assert_eq!(&reply["id"], &sent["id"]);
            let text = String::from_utf8(bytes).unwrap();
            prop_assert!(!text.contains(SECRET));
        }
    }
}

/// A PNG of QR codes for `texts`, side by side, 4 pixels per module.
fn qr_png(texts: &[&str]) -> Vec<u8> {
    use image::{GrayImage, Luma};
    let codes: Vec<qrcode::QrCode> = texts
        .iter()
        .map(|t| qrcode::QrCode::new(t.as_bytes()).unwrap())
        .collect();
    let sides: Vec<u32> = codes.iter().map(|c| (c.width() as u32 + 8) * 4).collect();
    let mut picture = GrayImage::from_pixel(
        sides.iter().sum::<u32>().max(1),
        sides.iter().copied().max().unwrap_or(64),
        Luma([255]),
    );
    let mut left = 0;
    for (code, side) in codes.iter().zip(&sides) {
        let width = code.width() as u32;
        let colors = code.to_colors();
        for y in 0..width * 4 {
            for x in 0..width * 4 {
                if colors[((y / 4) * width + x / 4) as usize] == qrcode::Color::Dark {
                    picture.put_pixel(left + 16 + x, 16 + y, Luma([0]));
                }
            }
        }
        left += side;
    }
    let mut out = Cursor::new(Vec::new());
    picture.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[test]
fn decode_qr_lists_without_secrets_and_adds_once() {
    let h = handler(vec![totp("GitHub", "octocat")], Rc::new(Cell::new(0)));
    let aws = "otpauth://totp/Amazon%20Web%20Services:alice@123456789012?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Amazon%20Web%20Services";
    let png = qr_png(&[
        &format!("otpauth://totp/GitHub:octocat?secret={SECRET}"),
        aws,
    ]);
    let image = BASE64.encode(&png);

    let r = ok(&h, json!({"id": 1, "type": "decode_qr", "image": image}));
    assert_eq!(r["codes_found"], 2, "{r}");
    assert_eq!(r["duplicates"], 1);
    assert!(r.get("added").is_none());
    let tokens = r["tokens"].as_array().unwrap();
    assert_eq!(tokens.len(), 2, "{r}");
    let aws_entry = tokens
        .iter()
        .find(|t| t["issuer"] == "Amazon Web Services")
        .unwrap();
    assert_eq!(aws_entry["aws"]["account_id"], "123456789012");
    assert_eq!(aws_entry["duplicate"], false);
    assert_eq!(h.store().writes(), 0);
    let text = r.to_string();
    assert!(
        !text.contains(SECRET) && !text.contains("GEZDGNBV") && !text.contains("secret"),
        "{text}"
    );

    let data_url = format!("data:image/png;base64,{image}");
    let r = ok(
        &h,
        json!({"id": 2, "type": "decode_qr", "image": data_url, "add": true}),
    );
    assert_eq!(r["added"].as_array().unwrap().len(), 1);
    assert_eq!(h.store().writes(), 1);
    assert!(!r.to_string().contains(SECRET));
    let r = ok(
        &h,
        json!({"id": 3, "type": "decode_qr", "image": image, "add": true}),
    );
    assert_eq!(r["added"], json!([]));
    assert_eq!(r["duplicates"], 2);
    assert_eq!(h.store().writes(), 1);
    assert_eq!(h.store().snapshot().unwrap().tokens.len(), 2);
}

#[test]
fn decode_qr_refusals() {
    let h = handler(vec![], Rc::new(Cell::new(0)));
    let blank = {
        let mut out = Cursor::new(Vec::new());
        image::GrayImage::from_pixel(40, 40, image::Luma([255]))
            .write_to(&mut out, image::ImageFormat::Png)
            .unwrap();
        BASE64.encode(&out.into_inner())
    };
    assert_eq!(
        err(&h, json!({"id": 1, "type": "decode_qr", "image": blank})),
        "qr_not_found"
    );
    let site = BASE64.encode(&qr_png(&["https://example.com/"]));
    assert_eq!(
        err(&h, json!({"id": 2, "type": "decode_qr", "image": site})),
        "qr_no_tokens"
    );
    assert_eq!(
        err(&h, json!({"id": 3, "type": "decode_qr", "image": "***"})),
        "bad_request"
    );
    assert_eq!(
        err(
            &h,
            json!({"id": 4, "type": "decode_qr", "image": BASE64.encode(b"GIF89a")})
        ),
        "qr_image_unsupported"
    );
    assert_eq!(
        err(&h, json!({"id": 5, "type": "decode_qr"})),
        "bad_request"
    );
    assert_eq!(
        err(
            &h,
            json!({"id": 6, "type": "decode_qr", "image": "data:image/png,abc"})
        ),
        "bad_request"
    );
    let huge = "A".repeat(crate::protocol::MAX_QR_IMAGE_BYTES / 3 * 4 + 8);
    assert_eq!(
        err(&h, json!({"id": 7, "type": "decode_qr", "image": huge})),
        "qr_image_too_large"
    );
    // A bad token link in a code is listed as a failure, not added.
    let bad = BASE64.encode(&qr_png(&["otpauth://totp/Bad:me?secret=AAAA"]));
    let r = ok(
        &h,
        json!({"id": 8, "type": "decode_qr", "image": bad, "add": true}),
    );
    assert_eq!(r["failures"][0]["code"], 1);
    assert_eq!(r["added"], json!([]));
    assert_eq!(h.store().writes(), 0);
}

const PLAIN_LIST: &[u8] = include_bytes!("../../tests/data/import/otpauth/plain_list.txt");
const BAD_ENTRIES: &[u8] = include_bytes!("../../tests/data/import/otpauth/fail_bad_entries.txt");
const DUPLICATES: &[u8] = include_bytes!("../../tests/data/import/otpauth/duplicates.txt");
const AEGIS_ENCRYPTED: &[u8] = include_bytes!("../../tests/data/import/aegis/encrypted_v3.json");
const AEGIS_PASSWORD: &str = include_str!("../../tests/data/import/aegis/password.txt");

fn import_request(id: u64, file: &[u8]) -> Value {
    json!({"id": id, "type": "import", "file": BASE64.encode(file)})
}

/// Checks that no secret of `tokens` (base32, lower case, hex) is in `text`.
fn assert_no_secret_of(tokens: &[Token], text: &str) {
    for token in tokens {
        let base32 = token.secret.to_base32();
        let hex: String = token
            .secret
            .expose()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        for needle in [base32.to_string(), base32.to_ascii_lowercase(), hex] {
            assert!(!text.contains(&needle), "a secret leaked: {text}");
        }
    }
    assert!(!text.contains("otpauth://"), "{text}");
    assert!(!text.contains("secret="), "{text}");
}

#[test]
fn import_a_text_list_without_echoing_secrets() {
    let h = handler(vec![], Rc::new(Cell::new(0)));
    let (_, expected) = crate::import::parse(PLAIN_LIST, None, None).unwrap();
    let n = expected.tokens.len();
    assert!(n >= 2);
    let r = ok(&h, import_request(1, PLAIN_LIST));
    assert_eq!(r["format"], "otpauth");
    assert_eq!(r["dry_run"], false);
    assert_eq!(r["imported"], n);
    assert_eq!(r["added"].as_array().unwrap().len(), n);
    assert_eq!(r["duplicates"], 0);
    assert_eq!(r["failed"], json!([]));
    let listed = r["tokens"].as_array().unwrap();
    assert_eq!(listed.len(), n);
    for (entry, token) in listed.iter().zip(&expected.tokens) {
        assert_eq!(entry["issuer"], token.issuer);
        assert_eq!(entry["account"], token.account);
        assert_eq!(entry["kind"], token.kind.name());
        assert_eq!(entry["duplicate"], false);
        assert!(entry.get("secret").is_none());
    }
    assert_eq!(h.store().writes(), 1);
    let stored = h.store().snapshot().unwrap().tokens;
    assert_eq!(stored.len(), n);
    let ids: Vec<String> = stored.iter().map(|t| t.id.to_string()).collect();
    assert_eq!(r["added"], json!(ids));
    assert_no_secret_of(&stored, &r.to_string());

    // A data: URL, as FileReader.readAsDataURL gives, works the same way;
    // everything is a duplicate now and nothing is written.
    let url = format!("data:text/plain;base64,{}", BASE64.encode(PLAIN_LIST));
    let r = ok(
        &h,
        json!({"id": 2, "type": "import", "file": url, "format": "otpauth"}),
    );
    assert_eq!(r["imported"], 0);
    assert_eq!(r["added"], json!([]));
    assert_eq!(r["duplicates"], n);
    assert_eq!(h.store().writes(), 1);
}

#[test]
fn import_skips_duplicates_in_the_vault_and_in_the_file() {
    // The vault already holds the file's third token; the file's first two
    // share one secret.
    let existing = Token::new(
        "Mine",
        "x",
        Secret::from_base32("AEBAGBAFAYDQQCIKBMGA2DQPCAIREEYU").unwrap(),
    );
    let h = handler(vec![existing], Rc::new(Cell::new(0)));
    let r = ok(&h, import_request(1, DUPLICATES));
    assert_eq!(r["imported"], 1, "{r}");
    assert_eq!(r["duplicates"], 2);
    let flags: Vec<&Value> = r["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["duplicate"])
        .collect();
    assert_eq!(flags, [&json!(false), &json!(true), &json!(true)]);
    assert_eq!(h.store().writes(), 1);
    let stored = h.store().snapshot().unwrap().tokens;
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[1].issuer, "GitHub");
    assert_no_secret_of(&stored, &r.to_string());
}

#[test]
fn import_an_encrypted_backup_with_right_wrong_and_missing_password() {
    let h = handler(vec![], Rc::new(Cell::new(0)));
    let password = AEGIS_PASSWORD.trim_end_matches(['\r', '\n']);
    let file = BASE64.encode(AEGIS_ENCRYPTED);

    let wrong = call(
        &h,
        json!({"id": 1, "type": "import", "file": file, "password": "not the password"}),
    );
    assert_eq!(wrong["error"]["code"], "wrong_password", "{wrong}");
    assert!(!wrong.to_string().contains("not the password"));
    assert_eq!(
        err(&h, json!({"id": 2, "type": "import", "file": file})),
        "password_required"
    );
    assert_eq!(
        err(
            &h,
            json!({"id": 3, "type": "import", "file": file, "password": ""})
        ),
        "password_required"
    );
    let message = call(&h, json!({"id": 4, "type": "import", "file": file}));
    assert!(
        message["error"]["message"]
            .as_str()
            .unwrap()
            .contains("\"password\""),
        "{message}"
    );
    assert_eq!(h.store().writes(), 0);

    let r = ok(
        &h,
        json!({"id": 5, "type": "import", "file": file, "format": "auto", "password": password}),
    );
    assert_eq!(r["format"], "aegis");
    let (_, expected) = crate::import::parse(AEGIS_ENCRYPTED, None, Some(password)).unwrap();
    assert_eq!(r["imported"], expected.tokens.len());
    assert_eq!(h.store().writes(), 1);
    let text = r.to_string();
    assert!(!text.contains(password), "{text}");
    assert_no_secret_of(&h.store().snapshot().unwrap().tokens, &text);
}

#[test]
fn import_bad_entries_need_skip_bad() {
    let h = handler(vec![], Rc::new(Cell::new(0)));
    let (_, expected) = crate::import::parse(BAD_ENTRIES, None, None).unwrap();
    let bad = expected.failures.len();
    let good = expected.tokens.len();
    assert!(bad > 0 && good > 0);

    let r = call(&h, import_request(1, BAD_ENTRIES));
    assert_eq!(r["ok"], false);
    let error = &r["error"];
    assert_eq!(error["code"], "import_bad_entries", "{r}");
    let message = error["message"].as_str().unwrap();
    assert!(message.contains(&bad.to_string()) && message.contains("skip_bad"));
    assert_eq!(error["format"], "otpauth");
    let failures = error["failures"].as_array().unwrap();
    assert_eq!(failures.len(), bad);
    for (entry, failure) in failures.iter().zip(&expected.failures) {
        assert_eq!(entry["position"], failure.position);
        assert_eq!(entry["reason"], failure.reason);
    }
    assert_eq!(h.store().writes(), 0);
    assert!(!r.to_string().contains("GEZDGNBVGY3TQOJQ"), "{r}");

    let mut request = import_request(2, BAD_ENTRIES);
    request["skip_bad"] = json!(true);
    let r = ok(&h, request);
    assert_eq!(r["failed"].as_array().unwrap().len(), bad);
    assert_eq!(r["failed"][0]["position"], expected.failures[0].position);
    assert_eq!(
        r["imported"].as_u64().unwrap() + r["duplicates"].as_u64().unwrap(),
        good as u64
    );
    assert_eq!(h.store().writes(), 1);
    let stored = h.store().snapshot().unwrap().tokens;
    assert_no_secret_of(&stored, &r.to_string());
}

#[test]
fn import_dry_run_writes_nothing() {
    let h = handler(vec![totp("Mine", "x")], Rc::new(Cell::new(0)));
    let (_, expected) = crate::import::parse(PLAIN_LIST, None, None).unwrap();
    let mut request = import_request(1, PLAIN_LIST);
    request["dry_run"] = json!(true);
    let r = ok(&h, request);
    assert_eq!(r["dry_run"], true);
    assert_eq!(r["imported"], expected.tokens.len());
    assert_eq!(r["added"], json!([]));
    assert_eq!(h.store().writes(), 0);
    assert_eq!(h.store().snapshot().unwrap().tokens.len(), 1);
    assert_no_secret_of(&expected.tokens, &r.to_string());

    // Without a vault a dry run still lists; a real import says so.
    let missing = Handler::new(MemoryStore::missing());
    let mut request = import_request(2, PLAIN_LIST);
    request["dry_run"] = json!(true);
    let r: Value = serde_json::from_slice(&missing.reply(request.to_string().as_bytes())).unwrap();
    assert_eq!(r["ok"], true, "{r}");
    let r: Value = serde_json::from_slice(
        &missing.reply(import_request(3, PLAIN_LIST).to_string().as_bytes()),
    )
    .unwrap();
    assert_eq!(r["error"]["code"], "vault_missing");
}

#[test]
fn import_refusals_write_nothing() {
    let h = handler(vec![], Rc::new(Cell::new(0)));
    assert_eq!(
        err(&h, json!({"id": 1, "type": "import", "file": "***"})),
        "bad_request"
    );
    assert_eq!(err(&h, json!({"id": 2, "type": "import"})), "bad_request");
    let huge = "A".repeat(crate::protocol::MAX_IMPORT_FILE_BYTES / 3 * 4 + 8);
    assert_eq!(
        err(&h, json!({"id": 3, "type": "import", "file": huge})),
        "import_too_large"
    );
    let mut request = import_request(4, PLAIN_LIST);
    request["format"] = json!("no-such-app");
    assert_eq!(err(&h, request), "bad_request");
    assert_eq!(
        err(&h, import_request(5, b"\x00\x01 not an export")),
        "unknown_format"
    );
    let mut request = import_request(6, PLAIN_LIST);
    request["format"] = json!("aegis");
    assert_eq!(err(&h, request), "import_damaged");
    let mut request = import_request(7, PLAIN_LIST);
    request["skip_bad"] = json!("yes");
    assert_eq!(err(&h, request), "bad_request");
    assert_eq!(h.store().writes(), 0);
}

#[test]
fn import_never_replaces_a_stored_token_with_the_same_id() {
    use crate::export::{ExportFormat, Protection, export};
    let stored = totp("GitHub", "alice");
    // A backup whose token has the stored token's id but another secret.
    let mut other = Token::new(
        "Other",
        "bob",
        Secret::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap(),
    );
    other.id = stored.id;
    let backup = export(
        std::slice::from_ref(&other),
        ExportFormat::FactorCat,
        &Protection::Plaintext,
    )
    .unwrap();
    let h = handler(vec![stored.clone()], Rc::new(Cell::new(0)));
    let r = ok(&h, import_request(1, &backup));
    assert_eq!(r["format"], "factorcat");
    assert_eq!(r["imported"], 1, "{r}");
    assert_ne!(r["added"][0], json!(stored.id));
    let tokens = h.store().snapshot().unwrap().tokens;
    assert_eq!(tokens.len(), 2);
    assert_eq!(tokens[0].id, stored.id);
    assert_eq!(tokens[0].issuer, "GitHub");
    assert_eq!(tokens[1].issuer, "Other");
    assert_no_secret_of(&tokens, &r.to_string());

    // The same backup again is all duplicates.
    let r = ok(&h, import_request(2, &backup));
    assert_eq!(r["imported"], 0);
    assert_eq!(r["duplicates"], 1);
    assert_eq!(h.store().writes(), 1);
}

#[test]
fn import_replies_stay_under_one_mebibyte() {
    // Many short entries with long names, half of them unreadable: the
    // listing is cut to fit and says how much is missing, and the import
    // itself is complete.
    let mut text = String::new();
    for i in 0..2400u32 {
        let secret =
            data_encoding::BASE32_NOPAD.encode(&[i.to_be_bytes(), [7; 4], [9; 4]].concat());
        let name = "N".repeat(300);
        if i % 2 == 0 {
            text.push_str(&format!("otpauth://totp/{name}:{i}?secret={secret}\n"));
        } else {
            text.push_str(&format!("otpauth://totp/{name}:{i}?secret=AAAA\n"));
        }
    }
    let h = handler(vec![], Rc::new(Cell::new(0)));
    let mut request = import_request(1, text.as_bytes());
    request["skip_bad"] = json!(true);
    let body = h.reply(request.to_string().as_bytes());
    assert!(body.len() <= crate::protocol::MAX_REPLY_BYTES);
    let r: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(r["ok"], true, "{}", &r.to_string()[..200]);
    assert_eq!(r["imported"], 1200);
    assert_eq!(r["added"].as_array().unwrap().len(), 1200);
    let listed = r["tokens"].as_array().unwrap().len();
    let omitted = r["tokens_omitted"].as_u64().unwrap_or(0) as usize;
    assert_eq!(listed + omitted, 1200);
    let failed = r["failed"].as_array().unwrap().len();
    let failed_omitted = r["failed_omitted"].as_u64().unwrap_or(0) as usize;
    assert_eq!(failed + failed_omitted, 1200);
    assert!(
        omitted + failed_omitted > 0,
        "the test should overflow a reply"
    );
    assert_eq!(h.store().writes(), 1);

    let body = h.reply(import_request(2, text.as_bytes()).to_string().as_bytes());
    assert!(body.len() <= crate::protocol::MAX_REPLY_BYTES);
    let r: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(r["error"]["code"], "import_bad_entries");
    let shown = r["error"]["failures"].as_array().unwrap().len();
    let left_out = r["error"]["failures_omitted"].as_u64().unwrap_or(0) as usize;
    assert_eq!(shown + left_out, 1200);
    assert_eq!(h.store().writes(), 1);
}

/// An Identity Center token bound to an access portal.
fn sso(account: &str, start_url: &str, user: &str) -> Token {
    let mut t = totp("AWS IAM Identity Center", account);
    t.aws = Some(AwsContext {
        user: Some(user.into()),
        sso_start_url: Some(start_url.into()),
        ..AwsContext::default()
    });
    t
}

#[test]
fn a_portal_redirect_teaches_its_directory_once() {
    let clock = Rc::new(Cell::new(1_700_000_000));
    let a = sso("ivy-a", "https://portal-a.awsapps.com/start", "ivy");
    let b = sso("ivy-b", "https://portal-b.awsapps.com/start", "ivy");
    let (a_id, b_id) = (a.id, b.id);
    let h = handler(vec![a, b], clock);
    let signin = "https://us-east-1.signin.aws/platform/d-aaaaaaaaaa/login?workflowStateHandle=x";
    // Before: the sign-in page knows no token of either portal.
    let r = ok(
        &h,
        json!({"id": 1, "type": "match", "url": signin, "hint": {"user": "ivy"}}),
    );
    assert_eq!(r["total"], 0);
    let r = ok(
        &h,
        json!({"id": 2, "type": "redirected", "from": "https://portal-a.awsapps.com/start/#/", "to": signin}),
    );
    assert_eq!(r["directory"], "d-aaaaaaaaaa");
    assert_eq!(r["learned"], json!([a_id]));
    assert_eq!(h.store().writes(), 1);
    let stored = h.store().snapshot().unwrap();
    assert_eq!(
        stored
            .get(a_id)
            .unwrap()
            .aws
            .as_ref()
            .unwrap()
            .sso_directory
            .as_deref(),
        Some("d-aaaaaaaaaa")
    );
    assert_eq!(
        stored
            .get(b_id)
            .unwrap()
            .aws
            .as_ref()
            .unwrap()
            .sso_directory,
        None
    );
    // After: portal a's token is filled there, on a later visit too.
    let r = ok(
        &h,
        json!({"id": 3, "type": "match", "url": signin, "hint": {"user": "ivy"}}),
    );
    assert_eq!(
        (r["total"].clone(), r["autofill_token"].clone()),
        (json!(1), json!(a_id))
    );
    assert_eq!(r["page"]["aws"]["directory"], "d-aaaaaaaaaa");
    // The same redirect again, or one that teaches nothing: no write.
    let r = ok(
        &h,
        json!({"id": 4, "type": "redirected", "from": "https://portal-a.awsapps.com/start", "to": signin}),
    );
    assert_eq!(r["learned"], json!([]));
    for (from, to) in [
        ("https://portal-c.awsapps.com/start", signin),
        ("https://github.com/", signin),
        (
            "https://portal-b.awsapps.com/start",
            "https://us-east-1.signin.aws/platform/login",
        ),
        ("https://portal-b.awsapps.com.evil.example/start", signin),
        (
            "https://portal-b.awsapps.com/start",
            "https://us-east-1.signin.aws.evil.example/platform/d-bbbbbbbbbb/login",
        ),
    ] {
        let r = ok(
            &h,
            json!({"id": 5, "type": "redirected", "from": from, "to": to}),
        );
        assert_eq!(r["learned"], json!([]), "{from} → {to}");
    }
    assert_eq!(h.store().writes(), 1);
    assert_eq!(
        err(&h, json!({"id": 6, "type": "redirected", "from": signin})),
        "bad_request"
    );
}

#[test]
fn identity_center_fields_through_add_and_update() {
    let clock = Rc::new(Cell::new(1_700_000_000));
    let h = handler(vec![], clock);
    let r = ok(
        &h,
        json!({"id": 1, "type": "add", "issuer": "AWS IAM Identity Center", "account": "ivy",
               "secret": SECRET, "aws": {"user": "ivy", "sso_start_url": "My-Portal.awsapps.com/start#/"}}),
    );
    let id = r["token"]["id"].clone();
    assert_eq!(
        r["token"]["aws"],
        json!({"user": "ivy", "partition": "aws", "sso_start_url": "https://my-portal.awsapps.com/start"})
    );
    let r = ok(
        &h,
        json!({"id": 2, "type": "update", "token": id,
               "aws": {"user": "ivy", "sso_start_url": "https://my-portal.awsapps.com/start", "sso_directory": "d-1234567890"}}),
    );
    assert_eq!(r["token"]["aws"]["sso_directory"], "d-1234567890");
    for bad in [
        json!({"sso_start_url": "https://my-portal.awsapps.com.evil.example/start"}),
        json!({"sso_directory": "d-12"}),
        json!({"partition": "aws-mars"}),
    ] {
        assert_eq!(
            err(
                &h,
                json!({"id": 3, "type": "update", "token": id, "aws": bad})
            ),
            "invalid_token"
        );
    }
}

#[test]
fn resync_codes_fill_the_device_the_console_shows() {
    let clock = Rc::new(Cell::new(1_700_000_015));
    let mut alice = totp("Amazon Web Services", "alice-phone@123456789012");
    alice.aws = Some(AwsContext {
        account_id: Some("123456789012".into()),
        user: Some("alice".into()),
        ..AwsContext::default()
    });
    let mut bob = totp("Amazon Web Services", "bob-phone@123456789012");
    bob.id = uuid::Uuid::new_v4();
    bob.aws = Some(AwsContext {
        account_id: Some("123456789012".into()),
        user: Some("bob".into()),
        ..AwsContext::default()
    });
    let mut gov = alice.clone();
    gov.id = uuid::Uuid::new_v4();
    gov.aws.as_mut().unwrap().partition = Partition::AwsUsGov;
    let (alice_id, copy) = (alice.id, alice.clone());
    let h = handler(vec![alice, bob, gov], clock);
    let page = "https://us-east-1.console.aws.amazon.com/iam/home#/users/details/alice?section=security_credentials";
    let r = ok(
        &h,
        json!({"id": 1, "type": "resync_codes", "url": page,
               "hint": {"account": "1234-5678-9012", "user": "alice"}}),
    );
    assert_eq!(r["token"], json!(alice_id));
    assert_eq!(r["label"], "Amazon Web Services (alice-phone@123456789012)");
    assert_eq!(r["codes"][0]["code"], copy.code_at(1_700_000_010));
    assert_eq!(r["codes"][1]["code"], copy.code_at(1_700_000_040));
    // By the serial the page shows; the multi-session host names the account.
    let multi = "https://123456789012-abcd1234.us-east-1.console.aws.amazon.com/iam/home";
    let r = ok(
        &h,
        json!({"id": 2, "type": "resync_codes", "url": multi,
               "serial": "arn:aws:iam::123456789012:mfa/bob"}),
    );
    assert_eq!(r["label"], "Amazon Web Services (bob-phone@123456789012)");
    // Not a console page, no such device, or two that could be.
    for (request, code) in [
        (
            json!({"url": "https://signin.aws.amazon.com/console", "hint": {"account": "123456789012", "user": "alice"}}),
            "bad_request",
        ),
        (
            json!({"url": page, "hint": {"account": "1234-5678-9012", "user": "carol"}}),
            "unknown_token",
        ),
        (
            json!({"url": page, "hint": {"user": "alice"}}),
            "unknown_token",
        ),
        (
            json!({"url": page, "serial": "arn:aws:iam::210987654321:mfa/alice", "hint": {"account": "123456789012"}}),
            "unknown_token",
        ),
        (
            json!({"url": page, "serial": "arn:aws-us-gov:iam::123456789012:mfa/alice"}),
            "unknown_token",
        ),
        (
            json!({"url": page, "hint": {"account": "123456789012"}}),
            "ambiguous_query",
        ),
    ] {
        let mut request = request;
        request["id"] = json!(3);
        request["type"] = json!("resync_codes");
        assert_eq!(err(&h, request.clone()), code, "{request}");
    }
}

#[test]
fn aws_mfa_serials_by_device_name_or_given_through_the_shared_rules() {
    let clock = Rc::new(Cell::new(1_700_000_000));
    let h = handler(vec![], clock);
    // Enrolment: the device name the IAM console showed makes the serial.
    let r = ok(
        &h,
        json!({"id": 1, "type": "add", "issuer": "Amazon Web Services",
               "account": "alice-phone@123456789012", "secret": SECRET,
               "aws": {"account_id": "123456789012", "user": "alice", "partition": "aws-cn",
                       "mfa_device": "alice-phone"}}),
    );
    assert_eq!(
        r["token"]["aws"]["mfa_serial"],
        "arn:aws-cn:iam::123456789012:mfa/alice-phone"
    );
    let id = r["token"]["id"].clone();
    // Given as a serial: the account comes with it.
    let r = ok(
        &h,
        json!({"id": 2, "type": "update", "token": id,
               "aws": {"mfa_serial": "arn:aws:iam::210987654321:mfa/bob"}}),
    );
    assert_eq!(r["token"]["aws"]["account_id"], "210987654321");
    assert_eq!(r["token"]["aws"]["partition"], "aws");
    for aws in [
        json!({"mfa_serial": "arn:aws:iam::210987654321:user/bob"}),
        json!({"account_id": "123456789012", "mfa_serial": "arn:aws:iam::210987654321:mfa/bob"}),
        json!({"account_id": "123456789012", "mfa_device": "not a name"}),
    ] {
        assert_eq!(
            err(
                &h,
                json!({"id": 3, "type": "update", "token": id, "aws": aws})
            ),
            "invalid_token"
        );
    }
    assert_eq!(
        h.store().snapshot().unwrap().tokens[0]
            .aws
            .as_ref()
            .unwrap()
            .mfa_serial
            .as_deref(),
        Some("arn:aws:iam::210987654321:mfa/bob")
    );
}

/// An AWS token of `partition` (account 123456789012, user `user`).
fn aws_token(user: &str, partition: Partition) -> Token {
    let mut t = totp("Amazon Web Services", &format!("{user}@123456789012"));
    t.aws = Some(AwsContext {
        account_id: Some("123456789012".into()),
        user: Some(user.into()),
        partition,
        ..AwsContext::default()
    });
    t
}

/// `date` as an HTTP Date header.
fn http_date(t: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = t / 86_400;
    // Civil date from days since 1970 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        DAYS[(days % 7) as usize],
        MONTHS[(month - 1) as usize],
        t % 86_400 / 3600,
        t % 3600 / 60,
        t % 60
    )
}

/// A `clock` request from the page at `url` whose server is `ahead`
/// seconds ahead of `now`, answered in 200 ms.
fn clock_request(id: u64, url: &str, now: u64, ahead: i64) -> Value {
    json!({"id": id, "type": "clock", "url": url,
           "date": http_date(now.saturating_add_signed(ahead)),
           "sent": now * 1000, "received": now * 1000 + 200})
}

#[test]
fn clock_records_aws_offset_per_partition_from_sign_in_pages_only() {
    let now = 1_800_000_010;
    let clock = Rc::new(Cell::new(now));
    let h = handler(vec![aws_token("alice", Partition::AwsCn)], clock.clone());
    assert_eq!(http_date(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");

    let cn = "https://123456789012.signin.amazonaws.cn/console";
    let r = ok(&h, clock_request(1, cn, now, 120));
    assert_eq!(
        (
            &r["partition"],
            &r["offset"],
            &r["standing"],
            &r["recorded"]
        ),
        (&json!("aws-cn"), &json!(120), &json!("used"), &json!(true))
    );
    assert_eq!(r["error_ms"], 600);
    assert_eq!(h.store().writes(), 1);
    let stored = h.store().snapshot().unwrap().clock["aws-cn"];
    assert_eq!((stored.seconds(), stored.measured), (120, now));
    // The same again tells nothing new: no write.
    let r = ok(&h, clock_request(2, cn, now, 120));
    assert_eq!(r["recorded"], false);
    assert_eq!(h.store().writes(), 1);

    // Pages that are not AWS sign-in pages teach nothing and open nothing:
    // the console, other sites, lookalikes. Plain http is refused.
    for page in [
        "https://us-east-1.console.aws.amazon.com/iam/home",
        "https://github.com/login",
        "https://signin.aws.amazon.com.evil.example/signin",
    ] {
        let r = ok(&h, clock_request(3, page, now, 300));
        assert_eq!(r["partition"], Value::Null, "{page}");
        assert_eq!(r["recorded"], false);
    }
    assert_eq!(
        err(
            &h,
            clock_request(4, "http://signin.aws.amazon.com/signin", now, 300)
        ),
        "insecure_url"
    );
    assert_eq!(h.store().writes(), 1);
    let mut bad = clock_request(5, cn, now, 0);
    bad["date"] = json!("Sunday, 06-Nov-94 08:49:37 GMT");
    assert_eq!(err(&h, bad), "bad_request");
    let mut no_time = clock_request(6, cn, now, 0);
    no_time.as_object_mut().unwrap().remove("received");
    assert_eq!(err(&h, no_time), "bad_request");

    // A slow request, or one from long ago, measures nothing.
    let mut slow = clock_request(7, cn, now, 0);
    slow["received"] = json!(now * 1000 + 2500);
    let r = ok(&h, slow);
    assert_eq!(
        (&r["recorded"], &r["standing"]),
        (&json!(false), &Value::Null)
    );
    assert!(r["reason"].as_str().unwrap().contains("2500 ms"));
    let r = ok(&h, clock_request(8, cn, now - 120, 0));
    assert_eq!(r["recorded"], false);
    assert_eq!(h.store().writes(), 1);

    // Identity Center's sign-in pages measure the commercial partition.
    let sso = "https://us-east-1.signin.aws/platform/d-1234567890/login";
    let r = ok(&h, clock_request(9, sso, now, -45));
    assert_eq!(
        (&r["partition"], &r["offset"]),
        (&json!("aws"), &json!(-45))
    );
    // An absurd offset is recorded (so it can be reported) but not used.
    let gov = "https://signin.amazonaws-us-gov.com/signin";
    let r = ok(&h, clock_request(10, gov, now, 7200));
    assert_eq!(
        (&r["standing"], &r["recorded"]),
        (&json!("absurd"), &json!(true))
    );
    let kept = h.store().snapshot().unwrap().clock;
    assert_eq!(
        kept.keys().collect::<Vec<_>>(),
        ["aws", "aws-cn", "aws-us-gov"]
    );
}

#[test]
fn match_tells_sign_in_pages_whether_to_measure_and_whether_a_fill_waits() {
    let now = 1_800_000_010;
    let clock = Rc::new(Cell::new(now));
    let h = handler(vec![aws_token("alice", Partition::AwsCn)], clock.clone());
    let cn = "https://123456789012.signin.amazonaws.cn/console";
    let page_clock = |id: u64, url: &str| {
        ok(&h, json!({"id": id, "type": "match", "url": url}))["clock"].clone()
    };
    // Nothing recorded: measure, and the fill waits for it.
    assert_eq!(page_clock(1, cn), json!({"measure": true, "wait": true}));
    // Pages that are not AWS sign-in pages measure nothing.
    for page in [
        "https://us-east-1.console.aws.amazon.com/iam/home",
        "https://github.com/login",
    ] {
        assert_eq!(page_clock(2, page), Value::Null, "{page}");
    }
    ok(&h, clock_request(3, cn, now, 120));
    assert_eq!(h.store().writes(), 1);
    // Just measured: the next page of the sign-in neither measures nor waits.
    assert_eq!(page_clock(4, cn), json!({"measure": false, "wait": false}));
    // A minute on: measured again, beside the fill; the same offset within
    // the measurement's error is not written again.
    clock.set(now + crate::clock::REMEASURE_SECS);
    assert_eq!(page_clock(5, cn), json!({"measure": true, "wait": false}));
    let r = ok(
        &h,
        clock_request(6, cn, now + crate::clock::REMEASURE_SECS, 120),
    );
    assert_eq!(r["recorded"], false);
    assert_eq!(h.store().writes(), 1);
    // Another partition has its own record (none).
    assert_eq!(
        page_clock(7, "https://signin.aws.amazon.com/signin"),
        json!({"measure": true, "wait": true})
    );
    // Ten minutes after the record, the same offset is written again (so
    // that it stays recent); over an hour after, a fill waits again.
    clock.set(now + crate::clock::REFRESH_SECS);
    let r = ok(
        &h,
        clock_request(8, cn, now + crate::clock::REFRESH_SECS, 120),
    );
    assert_eq!(r["recorded"], true);
    assert_eq!(h.store().writes(), 2);
    clock.set(now + crate::clock::REFRESH_SECS + crate::clock::RECENT_SECS + 1);
    assert_eq!(page_clock(9, cn), json!({"measure": true, "wait": true}));
}

#[test]
fn codes_follow_the_offset_of_their_partition() {
    let now = 1_800_000_010; // 20 s left in its step
    let clock = Rc::new(Cell::new(now));
    let cn = aws_token("alice", Partition::AwsCn);
    let commercial = aws_token("bob", Partition::Aws);
    let github = totp("GitHub", "octocat");
    let (cn_id, aws_id, gh_id) = (cn.id, commercial.id, github.id);
    let h = handler(
        vec![cn.clone(), commercial.clone(), github.clone()],
        clock.clone(),
    );
    // Nothing measured: this computer's clock.
    let r = ok(&h, json!({"id": 1, "type": "code", "token": cn_id}));
    assert_eq!(r["code"], cn.code_at(now));
    assert!(r.get("clock_offset").is_none());

    // China's sign-in page says AWS is two minutes ahead.
    ok(
        &h,
        clock_request(2, "https://signin.amazonaws.cn/console", now, 120),
    );
    let ahead = now + 120; // 20 s left in its step too
    let r = ok(&h, json!({"id": 3, "type": "code", "token": cn_id}));
    assert_eq!(r["code"], cn.code_at(ahead));
    assert_eq!(r["clock_offset"], 120);
    // Times are this computer's: the code is valid for 20 more seconds.
    assert_eq!(r["valid_until"], now + 20);
    assert_eq!(r["next"]["code"], cn.code_at(ahead + 30));
    // A fill: the code of AWS's time, recorded as AWS's step.
    let r = ok(
        &h,
        json!({"id": 4, "type": "code", "token": cn_id, "for_fill": true}),
    );
    assert_eq!(
        (&r["code"], &r["wait"]),
        (&json!(cn.code_at(ahead)), &json!(0))
    );
    assert_eq!(h.store().snapshot().unwrap().fills[&cn_id], ahead / 30);
    // The next fill is the next step of AWS's time, valid in 20 s here.
    let r = ok(&h, json!({"id": 5, "type": "enroll_codes", "token": cn_id}));
    assert_eq!(r["codes"][0]["code"], cn.code_at(ahead + 30));
    assert_eq!(r["codes"][0]["valid_from"], now + 20);
    assert_eq!(r["clock_offset"], 120);
    // Other partitions and other issuers keep this computer's clock.
    for (id, token) in [(aws_id, &commercial), (gh_id, &github)] {
        let r = ok(&h, json!({"id": 6, "type": "code", "token": id}));
        assert_eq!(r["code"], token.code_at(now));
        assert!(r.get("clock_offset").is_none());
    }
    // The listing: each token's code as it would be filled, and the offsets.
    let r = ok(&h, json!({"id": 7, "type": "list"}));
    let entry = |id: uuid::Uuid| {
        r["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == json!(id))
            .unwrap()
            .clone()
    };
    assert_eq!(entry(cn_id)["code"], cn.code_at(ahead));
    assert_eq!(entry(cn_id)["clock_offset"], 120);
    assert_eq!(entry(cn_id)["valid_until"], now + 20);
    assert_eq!(entry(aws_id)["code"], commercial.code_at(now));
    assert_eq!(
        r["clock"],
        json!([{"partition": "aws-cn", "offset": 120, "error_ms": 600, "measured": now, "standing": "used"}])
    );

    // Over an hour later the offset is no longer used, and says so.
    clock.set(now + 3601);
    let r = ok(&h, json!({"id": 8, "type": "code", "token": cn_id}));
    assert_eq!(r["code"], cn.code_at(now + 3601));
    assert_eq!(
        ok(&h, json!({"id": 9, "type": "list"}))["clock"][0]["standing"],
        "stale"
    );
}
