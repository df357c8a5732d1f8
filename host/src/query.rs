//! Finding tokens by what a person types: `factorcat code prod`.
//!
//! A query resolves, in this order, stopping at the first step that finds
//! anything:
//! 1. the exact token id;
//! 2. an id prefix (at least [`MIN_ID_PREFIX`] hex digits);
//! 3. an exact account name or issuer (ignoring case);
//! 4. a substring of "issuer account" (ignoring case).
//!
//! A step that finds one token resolves the query; a step that finds several
//! is ambiguous and the candidates go back to the person — a later, looser
//! step never overrides an earlier one.

use uuid::Uuid;

use crate::error::ErrorCode;
use crate::token::{Identity, Partition};

/// Shortest id prefix accepted, so that `factorcat code a` is a substring
/// search rather than an id look-up.
pub const MIN_ID_PREFIX: usize = 4;

/// Why a query did not resolve to exactly one token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// Nothing matched.
    #[error("no token matches \"{0}\"")]
    NotFound(String),
    /// Several tokens matched at the same step.
    #[error("\"{query}\" matches {} tokens; use more of the name or an id:\n{}", .candidates.len(), .candidates.join("\n"))]
    Ambiguous {
        /// What was typed.
        query: String,
        /// One line per candidate: short id, issuer and account.
        candidates: Vec<String>,
    },
}

impl QueryError {
    /// The error code: [`ErrorCode::UnknownToken`] or
    /// [`ErrorCode::AmbiguousQuery`].
    pub fn code(&self) -> ErrorCode {
        match self {
            QueryError::NotFound(_) => ErrorCode::UnknownToken,
            QueryError::Ambiguous { .. } => ErrorCode::AmbiguousQuery,
        }
    }
}

/// One line describing a candidate: `1a2b3c4d  GitHub (octocat)`.
pub fn candidate_line(token: &impl Identity) -> String {
    format!("  {}  {}", short_id(&token.id()), token.label())
}

/// The first eight hex digits of an id, as `list` shows it.
pub fn short_id(id: &Uuid) -> String {
    let mut buf = [0u8; 32];
    id.simple().encode_lower(&mut buf)[..8].to_string()
}

/// Resolves `query` to the index of exactly one token in `tokens`.
pub fn resolve<T: Identity>(tokens: &[T], query: &str) -> Result<usize, QueryError> {
    let q = query.trim();
    if q.is_empty() {
        return Err(QueryError::NotFound(query.to_string()));
    }
    let lower = q.to_lowercase();
    let hex: String = lower.chars().filter(|c| *c != '-').collect();
    let is_hex = hex.len() >= MIN_ID_PREFIX && hex.chars().all(|c| c.is_ascii_hexdigit());

    let exact_id = Uuid::parse_str(q).ok();
    let steps: [&dyn Fn(&T) -> bool; 4] = [
        &|t| exact_id == Some(t.id()),
        &|t| {
            // A stack buffer: this runs once per token.
            let mut buf = [0u8; 32];
            is_hex
                && t.id()
                    .simple()
                    .encode_lower(&mut buf)
                    .starts_with(hex.as_str())
        },
        &|t| same_text(t.account(), &lower) || same_text(t.issuer(), &lower),
        &|t| {
            if lower.contains(' ') {
                // The query may span the issuer and the account.
                contains_text(&format!("{} {}", t.issuer(), t.account()), &lower)
            } else {
                contains_text(t.issuer(), &lower) || contains_text(t.account(), &lower)
            }
        },
    ];
    for step in steps {
        let found: Vec<usize> = (0..tokens.len()).filter(|&i| step(&tokens[i])).collect();
        if let Some(index) = one_of(tokens, &found, q)? {
            return Ok(index);
        }
    }
    Err(QueryError::NotFound(q.to_string()))
}

/// The single index in `found`, `None` when it is empty, or the ambiguity
/// listing every candidate when there are several.
fn one_of<T: Identity>(
    tokens: &[T],
    found: &[usize],
    query: &str,
) -> Result<Option<usize>, QueryError> {
    match found {
        [] => Ok(None),
        [index] => Ok(Some(*index)),
        _ => Err(QueryError::Ambiguous {
            query: query.to_string(),
            candidates: found.iter().map(|&i| candidate_line(&tokens[i])).collect(),
        }),
    }
}

/// `text` equals `lower` (already lower-cased) ignoring case; allocates
/// only for non-ASCII text.
fn same_text(text: &str, lower: &str) -> bool {
    if text.is_ascii() {
        text.eq_ignore_ascii_case(lower)
    } else {
        text.to_lowercase() == lower
    }
}

/// `text` contains `lower` (already lower-cased) ignoring case; allocates
/// only for non-ASCII text.
fn contains_text(text: &str, lower: &str) -> bool {
    if text.is_ascii() && lower.is_ascii() {
        lower.is_empty()
            || text
                .as_bytes()
                .windows(lower.len())
                .any(|w| w.eq_ignore_ascii_case(lower.as_bytes()))
    } else {
        text.to_lowercase().contains(lower)
    }
}

/// Short queries that each pick one token, for completing what a person
/// types (`factorcat code <Tab>`): per token, its account and its issuer
/// where that alone resolves to it, and its short id always. Pairs of the
/// token's index and the query, in token order; names only, never anything
/// secret.
pub fn short_queries<T: Identity>(tokens: &[T]) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (index, token) in tokens.iter().enumerate() {
        for name in [token.account(), token.issuer()] {
            let name = name.trim();
            if !name.is_empty()
                && resolve(tokens, name) == Ok(index)
                && !out.iter().any(|(_, q): &(usize, String)| q == name)
            {
                out.push((index, name.to_string()));
            }
        }
        out.push((index, short_id(&token.id())));
    }
    out
}

/// An AWS virtual MFA device serial, `arn:<partition>:iam::<account>:mfa/<path/name>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MfaSerial {
    /// The ARN partition.
    pub partition: Partition,
    /// The 12-digit account id.
    pub account_id: String,
    /// The device name (the last path segment).
    pub device: String,
}

impl MfaSerial {
    /// Parses an MFA serial ARN; `None` when it is not one.
    pub fn parse(arn: &str) -> Option<MfaSerial> {
        let mut parts = arn.trim().splitn(6, ':');
        let (Some("arn"), Some(partition), Some("iam"), Some(""), Some(account), Some(resource)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return None;
        };
        let partition = Partition::parse(partition)?;
        let path = resource.strip_prefix("mfa/")?;
        let device = path.rsplit('/').next().filter(|d| !d.is_empty())?;
        if !crate::token::AwsContext::is_account_id(account) {
            return None;
        }
        Some(MfaSerial {
            partition,
            account_id: account.to_string(),
            device: device.to_string(),
        })
    }
}

/// Finds the token for an AWS MFA serial: same partition and account id,
/// and the device name equal to the token's AWS user or account name. When
/// the account has exactly one token, that token is taken even if its user
/// is unknown.
pub fn resolve_mfa_serial<T: Identity>(tokens: &[T], arn: &str) -> Result<usize, QueryError> {
    let serial = MfaSerial::parse(arn).ok_or_else(|| QueryError::NotFound(arn.to_string()))?;
    let in_account: Vec<usize> = (0..tokens.len())
        .filter(|&i| {
            tokens[i].aws().is_some_and(|aws| {
                aws.partition == serial.partition
                    && aws.account_id.as_deref() == Some(serial.account_id.as_str())
            })
        })
        .collect();
    let by_device: Vec<usize> = in_account
        .iter()
        .copied()
        .filter(|&i| {
            let t = &tokens[i];
            let user = t.aws().and_then(|a| a.user.as_deref());
            user == Some(serial.device.as_str()) || t.account() == serial.device
        })
        .collect();
    let chosen = if by_device.is_empty() {
        in_account
    } else {
        by_device
    };
    one_of(tokens, &chosen, arn)?.ok_or_else(|| QueryError::NotFound(arn.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;
    use crate::token::{AwsContext, Token};

    fn token(issuer: &str, account: &str) -> Token {
        Token::new(
            issuer,
            account,
            Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap(),
        )
    }

    fn tokens() -> Vec<Token> {
        vec![
            token("GitHub", "octocat"),
            token("Amazon Web Services", "prod-admin"),
            token("Amazon Web Services", "staging-admin"),
            token("Google", "octocat@example.com"),
        ]
    }

    #[test]
    fn resolves_each_step() {
        let t = tokens();
        assert_eq!(resolve(&t, &t[2].id.to_string()), Ok(2));
        assert_eq!(resolve(&t, &short_id(&t[3].id)), Ok(3));
        assert_eq!(resolve(&t, "github"), Ok(0));
        assert_eq!(resolve(&t, "prod"), Ok(1));
        assert_eq!(resolve(&t, "example.com"), Ok(3));
    }

    #[test]
    fn exact_account_beats_substring() {
        // "octocat" is GitHub's exact account and a substring of Google's.
        assert_eq!(resolve(&tokens(), "OctoCat"), Ok(0));
    }

    #[test]
    fn ambiguous_lists_every_candidate() {
        let t = tokens();
        match resolve(&t, "admin") {
            Err(QueryError::Ambiguous { candidates, .. }) => {
                assert_eq!(candidates.len(), 2);
                assert!(candidates[0].contains("prod-admin"));
                assert!(candidates[1].contains("staging-admin"));
            }
            other => panic!("expected ambiguity, got {other:?}"),
        }
        assert!(matches!(
            resolve(&t, "Amazon Web Services"),
            Err(QueryError::Ambiguous { .. })
        ));
    }

    #[test]
    fn substrings_span_issuer_and_account_and_ignore_case_beyond_ascii() {
        let mut t = tokens();
        t.push(token("Übersee Bank", "Jürgen"));
        assert_eq!(resolve(&t, "hub octo"), Ok(0));
        assert_eq!(resolve(&t, "ÜBERSEE"), Ok(4));
        assert_eq!(resolve(&t, "bank jÜr"), Ok(4));
        assert_eq!(resolve(&t, "JÜRGEN"), Ok(4));
    }

    #[test]
    fn nothing_found() {
        assert_eq!(
            resolve(&tokens(), "gitlab"),
            Err(QueryError::NotFound("gitlab".into()))
        );
        assert!(matches!(
            resolve(&tokens(), "  "),
            Err(QueryError::NotFound(_))
        ));
    }

    #[test]
    fn short_queries_each_pick_their_token() {
        let t = tokens();
        let queries = short_queries(&t);
        for (index, query) in &queries {
            assert_eq!(resolve(&t, query), Ok(*index), "{query}");
        }
        let names: Vec<&str> = queries.iter().map(|(_, q)| q.as_str()).collect();
        // Unique names are offered; a shared issuer is not.
        assert!(names.contains(&"octocat") && names.contains(&"GitHub"));
        assert!(names.contains(&"prod-admin") && names.contains(&"staging-admin"));
        assert!(!names.contains(&"Amazon Web Services"));
        // Every token can be reached by its short id.
        for token in &t {
            assert!(names.contains(&short_id(&token.id).as_str()));
        }
    }

    #[test]
    fn mfa_serials() {
        let mut t = tokens();
        t[1].aws = Some(AwsContext::default().with_account("123456789012"));
        t[1].aws.as_mut().unwrap().user = Some("alice".into());
        t[2].aws = Some(AwsContext::default().with_account("123456789012"));
        t[2].aws.as_mut().unwrap().user = Some("bob".into());
        assert_eq!(
            resolve_mfa_serial(&t, "arn:aws:iam::123456789012:mfa/alice"),
            Ok(1)
        );
        assert_eq!(
            resolve_mfa_serial(&t, "arn:aws:iam::123456789012:mfa/team/bob"),
            Ok(2)
        );
        assert!(matches!(
            resolve_mfa_serial(&t, "arn:aws:iam::123456789012:mfa/carol"),
            Err(QueryError::Ambiguous { .. })
        ));
        assert!(resolve_mfa_serial(&t, "arn:aws-us-gov:iam::123456789012:mfa/alice").is_err());
        assert!(resolve_mfa_serial(&t, "arn:aws:iam::210987654321:mfa/alice").is_err());
        assert!(MfaSerial::parse("arn:aws:iam::123456789012:user/alice").is_none());
        assert!(MfaSerial::parse("arn:aws:iam::12345:mfa/alice").is_none());
        assert!(MfaSerial::parse("not an arn").is_none());
    }
}
