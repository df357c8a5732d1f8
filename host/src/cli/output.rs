//! What the CLI prints about tokens: a table for people, JSON for scripts.
//! Neither ever contains a secret.

use serde_json::Value;

use factorcat::query::short_id;
use factorcat::token::{AwsContext, Kind, Token};

/// The JSON object for one token: metadata only, never the secret.
pub fn token_json(token: &Token) -> Value {
    Value::Object(token.metadata())
}

/// Tokens in the order people see them: pinned first, then by issuer and
/// account, ignoring case.
pub fn display_order(tokens: &[Token]) -> Vec<&Token> {
    let mut sorted: Vec<&Token> = tokens.iter().collect();
    sorted.sort_by_cached_key(|t| (!t.pinned, t.issuer.to_lowercase(), t.account.to_lowercase()));
    sorted
}

/// A short description of where a token is used: its sites and AWS account.
fn whereabouts(token: &Token) -> String {
    let mut parts: Vec<String> = token.sites.clone();
    parts.extend(token.aws.as_ref().map(aws_whereabouts));
    parts.join(", ")
}

/// An AWS context in short: `partition:user@alias/id`, or for an IAM
/// Identity Center device `partition:user@portal-host/directory`.
fn aws_whereabouts(aws: &AwsContext) -> String {
    let portal = aws
        .sso_start_url
        .as_deref()
        .map(|u| u.trim_start_matches("https://").trim_end_matches("/start"));
    let account = [
        aws.account_alias.as_deref(),
        aws.account_id.as_deref(),
        portal,
        aws.sso_directory.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join("/");
    let user = aws
        .user
        .as_deref()
        .map(|u| format!("{u}@"))
        .unwrap_or_default();
    format!("{}:{user}{account}", aws.partition.as_str())
}

/// The human table of `factorcat list`.
pub fn table(tokens: &[&Token]) -> String {
    let rows: Vec<[String; 5]> = tokens
        .iter()
        .map(|t| {
            [
                format!("{}{}", short_id(&t.id), if t.pinned { "*" } else { "" }),
                t.issuer.clone(),
                t.account.clone(),
                t.kind.name().to_string(),
                whereabouts(t),
            ]
        })
        .collect();
    let header = ["ID", "ISSUER", "ACCOUNT", "KIND", "SITES / AWS"].map(String::from);
    let mut widths = [0usize; 5];
    for row in std::iter::once(&header).chain(rows.iter()) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(rows.iter()) {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// The human view of `factorcat show`.
pub fn details(token: &Token) -> String {
    let mut lines = vec![
        format!("id:        {}", token.id),
        format!("issuer:    {}", token.issuer),
        format!("account:   {}", token.account),
    ];
    lines.push(match token.kind {
        Kind::Totp { period } => format!(
            "kind:      totp, {} digits, {}, every {period} s",
            token.digits, token.algorithm
        ),
        Kind::Hotp { counter } => format!(
            "kind:      hotp, {} digits, {}, next counter {counter}",
            token.digits, token.algorithm
        ),
        Kind::Steam => "kind:      steam guard (5 characters, every 30 s)".to_string(),
    });
    if !token.sites.is_empty() {
        lines.push(format!("sites:     {}", token.sites.join(", ")));
    }
    if let Some(aws) = &token.aws {
        lines.push(format!("aws:       {}", aws_whereabouts(aws)));
        if let Some(serial) = &aws.mfa_serial {
            lines.push(format!("serial:    {serial}"));
        }
    }
    if !token.tags.is_empty() {
        lines.push(format!("tags:      {}", token.tags.join(", ")));
    }
    if token.pinned {
        lines.push("pinned:    yes".to_string());
    }
    lines.push(format!("created:   {}", utc_time(token.created)));
    lines.push(format!("updated:   {}", utc_time(token.updated)));
    lines.join("\n") + "\n"
}

/// Unix seconds as a UTC date and time people read, `2026-12-06 05:06:44
/// UTC` (`--json` keeps the seconds, for scripts).
pub fn utc_time(unix: u64) -> String {
    let (days, rest) = (unix / 86_400, unix % 86_400);
    // Days since 1970-01-01 to a proleptic Gregorian date, counting in
    // 400-year eras that start on 0000-03-01 (so the leap day ends a year).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rest / 3_600,
        rest % 3_600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use factorcat::secret::Secret;
    use factorcat::token::AwsContext;

    fn sample() -> Token {
        let mut t = Token::new(
            "Amazon Web Services",
            "alice",
            Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap(),
        );
        t.aws = Some(AwsContext {
            user: Some("alice".into()),
            ..AwsContext::default().with_account("123456789012")
        });
        t
    }

    #[test]
    fn json_never_contains_the_secret() {
        let t = sample();
        let text = token_json(&t).to_string();
        assert!(!text.contains("JBSWY3DPEHPK3PXP"));
        assert!(!text.to_lowercase().contains("secret"));
        assert!(text.contains("\"account_id\":\"123456789012\""));
    }

    /// `show` prints dates, not raw Unix seconds.
    #[test]
    fn times_read_as_utc_dates() {
        assert_eq!(utc_time(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc_time(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc_time(1_700_000_000), "2023-11-14 22:13:20 UTC");
        assert_eq!(utc_time(4_107_542_399), "2100-02-28 23:59:59 UTC");
        assert_eq!(utc_time(4_107_542_400), "2100-03-01 00:00:00 UTC");
        let mut t = sample();
        (t.created, t.updated) = (1_700_000_000, 1_700_000_060);
        let text = details(&t);
        assert!(
            text.contains("created:   2023-11-14 22:13:20 UTC\n"),
            "{text}"
        );
        assert!(
            text.contains("updated:   2023-11-14 22:14:20 UTC\n"),
            "{text}"
        );
        assert!(!text.contains("1700000000"), "{text}");
    }

    #[test]
    fn table_aligns_and_orders_pinned_first() {
        let a = sample();
        let mut b = Token::new(
            "GitHub",
            "octocat",
            Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap(),
        );
        b.pinned = true;
        let all = [a, b];
        let text = table(&display_order(&all));
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("ID"));
        assert!(lines[1].contains("GitHub"), "{text}");
        assert!(lines[2].contains("aws:alice@123456789012"), "{text}");
        assert_eq!(lines[1].find("octocat"), lines[2].find("alice"));
    }
}
