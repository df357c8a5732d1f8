//! The compiled trie against the `publicsuffix` crate, parsing the same
//! bundled list at run time, as the oracle.

use publicsuffix::{List, Psl};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::{domain, suffix};
use crate::site::PSL_TEXT;

fn oracle() -> List {
    PSL_TEXT.parse().expect("the bundled list parses")
}

/// The rules of the list as the oracle reads them.
fn rules() -> Vec<&'static str> {
    let start = PSL_TEXT
        .find("===BEGIN ICANN DOMAINS===")
        .expect("ICANN section");
    PSL_TEXT[start..]
        .lines()
        .filter(|l| !l.starts_with("//"))
        .filter_map(|l| l.split_whitespace().next())
        .collect()
}

/// The ASCII (punycode) form of a host, as a browser would send it.
fn ascii(host: &str) -> Option<String> {
    url::Url::parse(&format!("https://{host}/"))
        .ok()?
        .host_str()
        .map(str::to_string)
}

fn random_label(rng: &mut StdRng) -> String {
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789-";
    let len = rng.gen_range(1..=12);
    (0..len)
        .map(|_| char::from(CHARS[rng.gen_range(0..CHARS.len())]))
        .collect()
}

fn check(list: &List, host: &str, checked: &mut usize) {
    let bytes = host.as_bytes();
    assert_eq!(
        suffix(bytes),
        list.suffix(bytes).map(|s| s.as_bytes()),
        "suffix of {host:?}"
    );
    assert_eq!(
        domain(bytes),
        list.domain(bytes).map(|d| d.as_bytes()),
        "domain of {host:?}"
    );
    *checked += 1;
}

#[test]
fn agrees_with_the_publicsuffix_crate_on_every_rule_and_random_subdomains() {
    let list = oracle();
    let mut rng = StdRng::seed_from_u64(0x5eed_f00d);
    let rules = rules();
    assert!(rules.len() > 9_000, "only {} rules", rules.len());
    let mut checked = 0;
    for rule in &rules {
        let plain = rule.trim_start_matches('!');
        let mut bases = vec![plain.to_string()];
        if plain.contains('*') {
            // Wildcards: a random label, and one that is listed elsewhere.
            bases.push(plain.replace('*', &random_label(&mut rng)));
            bases.push(plain.replace('*', "www"));
        }
        if let Some(a) = bases.iter().filter_map(|b| ascii(b)).next() {
            bases.push(a);
        }
        for base in bases {
            check(&list, &base, &mut checked);
            check(&list, &format!("{base}."), &mut checked);
            check(&list, &base.to_ascii_uppercase(), &mut checked);
            let mut host = base.clone();
            for _ in 0..3 {
                host = format!("{}.{host}", random_label(&mut rng));
                check(&list, &host, &mut checked);
            }
            check(&list, &format!("{host}."), &mut checked);
            // The parent of the rule, and a sibling of it.
            if let Some((_, parent)) = base.split_once('.') {
                check(&list, parent, &mut checked);
                check(
                    &list,
                    &format!("{}.{parent}", random_label(&mut rng)),
                    &mut checked,
                );
            }
        }
    }
    assert!(checked > 100_000, "only {checked} hosts");
}

#[test]
fn agrees_with_the_publicsuffix_crate_on_tricky_hosts() {
    let list = oracle();
    let mut checked = 0;
    let hosts = [
        "",
        ".",
        "..",
        "...",
        "com",
        ".com",
        "com.",
        "a.com",
        "a..com",
        "..a.com",
        "a.com..",
        "example.unlisted",
        "a.b.example.unlisted",
        "unlisted",
        // Wildcards and their exceptions.
        "ck",
        "www.ck",
        "a.www.ck",
        "b.ck",
        "a.b.ck",
        "kawasaki.jp",
        "city.kawasaki.jp",
        "a.city.kawasaki.jp",
        "other.kawasaki.jp",
        "a.other.kawasaki.jp",
        "a.b.other.kawasaki.jp",
        "city.kobe.jp",
        "www.city.kobe.jp",
        "x.kobe.jp",
        "y.x.kobe.jp",
        "bd",
        "com.bd",
        "a.com.bd",
        // Private section.
        "github.io",
        "someone.github.io",
        "a.someone.github.io",
        "s3.amazonaws.com",
        "bucket.s3.amazonaws.com",
        "compute.amazonaws.com",
        "x.compute.amazonaws.com",
        "y.x.compute.amazonaws.com",
        "signin.aws.amazon.com",
        "123456789012.signin.aws.amazon.com",
        "blogspot.com",
        "me.blogspot.com",
        // Internationalized rules, in Unicode and punycode.
        "公司.cn",
        "a.公司.cn",
        "xn--55qx5d.cn",
        "a.xn--55qx5d.cn",
        "example.中国",
        "example.xn--fiqs8s",
        "b.example.xn--fiqs8s",
        "ålesund.no",
        "a.xn--lesund-hua.no",
        // Labels that never appear in the list.
        "*",
        "*.com",
        "a.*.ck",
        "!www.ck",
        "a b.com",
        "-.com",
        "_dmarc.example.com",
        "localhost",
        "127.0.0.1",
        "[::1]",
    ];
    for host in hosts {
        check(&list, host, &mut checked);
        check(&list, &host.to_ascii_uppercase(), &mut checked);
        check(&list, &format!("{host}."), &mut checked);
    }
}

#[test]
fn agrees_with_the_publicsuffix_crate_on_random_hosts() {
    let list = oracle();
    let rules = rules();
    let mut rng = StdRng::seed_from_u64(42);
    let mut checked = 0;
    for _ in 0..50_000 {
        // A random tail of a random rule, random labels in front.
        let rule = rules[rng.gen_range(0..rules.len())].trim_start_matches('!');
        let labels: Vec<&str> = rule.split('.').collect();
        let keep = rng.gen_range(1..=labels.len());
        let mut host = labels[labels.len() - keep..]
            .iter()
            .map(|l| {
                if *l == "*" {
                    random_label(&mut rng)
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join(".");
        for _ in 0..rng.gen_range(0..4) {
            host = format!("{}.{host}", random_label(&mut rng));
        }
        check(&list, &host, &mut checked);
    }
}
