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
//!
//! An AWS MFA serial resolves by rules of its own ([`resolve_mfa_serial`]).

use uuid::Uuid;

use crate::error::ErrorCode;
use crate::token::{Identity, MfaSerial};

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
    /// No token is the AWS MFA device a serial names.
    #[error("no token is the MFA device {serial}: {why}")]
    NoMfaDevice {
        /// The serial, as an ARN.
        serial: String,
        /// Why none is: what the tokens of its account say.
        why: String,
    },
    /// Several tokens could be the AWS MFA device a serial names.
    #[error("{} tokens could be the MFA device {serial}:\n{}", .candidates.len(), .candidates.join("\n"))]
    AmbiguousMfaDevice {
        /// The serial, as an ARN.
        serial: String,
        /// One line per candidate: short id, issuer and account.
        candidates: Vec<String>,
    },
}

impl QueryError {
    /// The error code: [`ErrorCode::UnknownToken`] or
    /// [`ErrorCode::AmbiguousQuery`].
    pub fn code(&self) -> ErrorCode {
        match self {
            QueryError::NotFound(_) | QueryError::NoMfaDevice { .. } => ErrorCode::UnknownToken,
            QueryError::Ambiguous { .. } | QueryError::AmbiguousMfaDevice { .. } => {
                ErrorCode::AmbiguousQuery
            }
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
    Query::new(query).resolve(tokens)
}

/// A query as typed, read once for comparing with many tokens.
#[derive(Debug, Clone)]
pub struct Query<'q> {
    /// What was typed.
    typed: &'q str,
    /// Trimmed and lower-cased.
    lower: String,
    /// Its hex digits when it could be an id prefix.
    hex: Option<String>,
    /// The id it is, when it is one.
    exact_id: Option<Uuid>,
}

/// How many steps a query takes (see the module's documentation).
const STEPS: usize = 4;

impl<'q> Query<'q> {
    /// The query `typed`.
    pub fn new(typed: &'q str) -> Query<'q> {
        let q = typed.trim();
        let lower = q.to_lowercase();
        let hex: String = lower.chars().filter(|c| *c != '-').collect();
        let is_hex = hex.len() >= MIN_ID_PREFIX && hex.chars().all(|c| c.is_ascii_hexdigit());
        Query {
            typed,
            lower,
            hex: is_hex.then_some(hex),
            exact_id: Uuid::parse_str(q).ok(),
        }
    }

    /// Whether step `step` of the resolution finds `token`.
    fn finds<T: Identity>(&self, step: usize, token: &T) -> bool {
        let lower = self.lower.as_str();
        match step {
            0 => self.exact_id == Some(token.id()),
            1 => self.hex.as_ref().is_some_and(|hex| {
                // A stack buffer: this runs once per token.
                let mut buf = [0u8; 32];
                token
                    .id()
                    .simple()
                    .encode_lower(&mut buf)
                    .starts_with(hex.as_str())
            }),
            2 => same_text(token.account(), lower) || same_text(token.issuer(), lower),
            _ if lower.contains(' ') => {
                // The query may span the issuer and the account.
                contains_text(&format!("{} {}", token.issuer(), token.account()), lower)
            }
            _ => contains_text(token.issuer(), lower) || contains_text(token.account(), lower),
        }
    }

    /// Whether some step finds `token`: [`Query::resolve`] chooses or lists
    /// only such tokens, and the others never change its answer, so a
    /// reader of many tokens may keep these alone.
    pub fn admits<T: Identity>(&self, token: &T) -> bool {
        // A name the exact step finds, the substring step finds too.
        !self.lower.is_empty()
            && [0, 1, STEPS - 1]
                .iter()
                .any(|&step| self.finds(step, token))
    }

    /// The index of exactly one token in `tokens` that the query names.
    pub fn resolve<T: Identity>(&self, tokens: &[T]) -> Result<usize, QueryError> {
        if self.lower.is_empty() {
            return Err(QueryError::NotFound(self.typed.to_string()));
        }
        let q = self.typed.trim();
        for step in 0..STEPS {
            let found: Vec<usize> = (0..tokens.len())
                .filter(|&i| self.finds(step, &tokens[i]))
                .collect();
            if let Some(index) = one_of(tokens, &found, q)? {
                return Ok(index);
            }
        }
        Err(QueryError::NotFound(q.to_string()))
    }
}

/// The single index in `found`, `None` when it is empty, or the ambiguity
/// listing every candidate when there are several.
fn one_of<T: Identity>(
    tokens: &[T],
    found: &[usize],
    query: &str,
) -> Result<Option<usize>, QueryError> {
    single(found, |candidates| QueryError::Ambiguous {
        query: query.to_string(),
        candidates: candidate_lines(tokens, candidates),
    })
}

/// The single index in `found`, `None` when it is empty, or `ambiguous` of
/// them all when there are several.
fn single(
    found: &[usize],
    ambiguous: impl FnOnce(&[usize]) -> QueryError,
) -> Result<Option<usize>, QueryError> {
    match found {
        [] => Ok(None),
        [index] => Ok(Some(*index)),
        _ => Err(ambiguous(found)),
    }
}

/// One [`candidate_line`] per index.
fn candidate_lines<T: Identity>(tokens: &[T], found: &[usize]) -> Vec<String> {
    found.iter().map(|&i| candidate_line(&tokens[i])).collect()
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

/// Finds the token that is the AWS virtual MFA device `arn` (an
/// [`MfaSerial`]), by these rules, the first that finds one token winning:
/// 1. a token bound to that serial (its `aws.mfa_serial`, letter case
///    aside);
/// 2. else a token of that partition and account id whose AWS user, or
///    whose device name, is the serial's device name (letter case aside, as
///    IAM names are). A token's device name is what precedes
///    `@<account id or alias>` in its account name (AWS's own QR label,
///    `alice-phone@123456789012`), or, when no user is known, its whole
///    account name;
/// 3. else the account's only token, when nothing says whose it is: no AWS
///    user, and no device name in the AWS label form.
///
/// Tokens of IAM Identity Center, and tokens bound to another serial (they
/// are other devices), are never the device; so a token whose known user
/// is another is never returned on a guess. Several tokens at one step are
/// ambiguous.
pub fn resolve_mfa_serial<T: Identity>(tokens: &[T], arn: &str) -> Result<usize, QueryError> {
    let serial = MfaSerial::parse(arn).ok_or_else(|| QueryError::NotFound(arn.to_string()))?;
    let arn = serial.arn();
    let pick = |found: Vec<usize>| {
        single(&found, |candidates| QueryError::AmbiguousMfaDevice {
            serial: arn.clone(),
            candidates: candidate_lines(tokens, candidates),
        })
    };
    let bound = (0..tokens.len()).filter(|&i| bound_to(&tokens[i], &serial));
    if let Some(i) = pick(bound.collect())? {
        return Ok(i);
    }
    let in_account: Vec<usize> = (0..tokens.len())
        .filter(|&i| of_account(&tokens[i], &serial))
        .collect();
    let unbound = |i: &usize| tokens[*i].aws().is_some_and(|a| a.mfa_serial.is_none());
    let named = in_account.iter().copied().filter(unbound).filter(|&i| {
        let t = &tokens[i];
        let user = t.aws().and_then(|a| a.user);
        // A bare account name is a device name only when no user is known.
        let bare = user.is_none().then(|| t.account());
        [user, label_device(t), bare]
            .into_iter()
            .flatten()
            .any(|name| name.eq_ignore_ascii_case(&serial.device))
    });
    if let Some(i) = pick(named.collect())? {
        return Ok(i);
    }
    let why = match in_account.as_slice() {
        [] => format!(
            "no token is of AWS account {} ({})",
            serial.account_id,
            serial.partition.as_str()
        ),
        [only] => {
            let t = &tokens[*only];
            let aws = t.aws();
            if let Some(user) = aws.and_then(|a| a.user) {
                format!(
                    "the account's only token, {}, is {user}'s (its AWS user)",
                    t.label()
                )
            } else if let Some(own) = aws.and_then(|a| a.mfa_serial) {
                format!(
                    "the account's only token, {}, is the device {own}",
                    t.label()
                )
            } else if let Some(device) = label_device(t) {
                format!(
                    "the account's only token, {}, is the device {device}",
                    t.label()
                )
            } else {
                return Ok(*only);
            }
        }
        many => format!(
            "none of the account's {} tokens has that user or device name",
            many.len()
        ),
    };
    Err(QueryError::NoMfaDevice { serial: arn, why })
}

/// Whether `token` could be the AWS MFA device `serial` by the rules of
/// [`resolve_mfa_serial`]: it is bound to that serial, or it is an IAM
/// token of the serial's partition and account. `resolve_mfa_serial`
/// chooses and names only such tokens, and the others never change its
/// answer, so a reader of many tokens may keep these alone.
pub fn could_be_device<T: Identity>(token: &T, serial: &MfaSerial) -> bool {
    bound_to(token, serial) || of_account(token, serial)
}

/// Whether `token` is bound to the device `serial` (its own serial names
/// the same device).
fn bound_to<T: Identity>(token: &T, serial: &MfaSerial) -> bool {
    let own = token.aws().and_then(|a| a.serial());
    own.is_some_and(|own| own.same_device(serial))
}

/// Whether `token` is an IAM token of the partition and account of
/// `serial` (never an Identity Center one).
fn of_account<T: Identity>(token: &T, serial: &MfaSerial) -> bool {
    token.aws().is_some_and(|aws| {
        aws.partition == serial.partition
            && aws.account_id == Some(serial.account_id.as_str())
            && !aws.identity_center()
    })
}

/// The device name in an AWS token's account name, AWS's own QR label
/// `<device name>@<account id or alias>`; `None` in any other form.
fn label_device<T: Identity>(token: &T) -> Option<&str> {
    let aws = token.aws()?;
    let (device, account) = token.account().rsplit_once('@')?;
    let ours = [aws.account_id, aws.account_alias]
        .into_iter()
        .flatten()
        .any(|a| a.eq_ignore_ascii_case(account));
    (ours && MfaSerial::is_device_name(device)).then_some(device)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;
    use crate::token::AwsContext;
    use crate::token::Token;

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
    fn resolving_among_the_admitted_tokens_gives_the_same_answer() {
        // A reader of the vault keeps only the tokens a query admits.
        let mut t = tokens();
        t.push(token("Übersee Bank", "Jürgen"));
        let short = short_id(&t[3].id);
        let whole = t[2].id.to_string();
        for q in [
            "github", "OctoCat", "admin", "prod", "hub octo", "ÜBERSEE", "nothing", "", "  ",
            &short, &whole,
        ] {
            let query = Query::new(q);
            let kept: Vec<usize> = (0..t.len()).filter(|&i| query.admits(&t[i])).collect();
            let among: Vec<Token> = kept.iter().map(|&i| t[i].clone()).collect();
            let answer = query.resolve(&among).map(|i| kept[i]);
            assert_eq!(answer, resolve(&t, q), "{q:?}");
        }
        assert!(!Query::new("github").admits(&t[1]));
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

    fn aws(account: &str, user: Option<&str>) -> Option<AwsContext> {
        let mut ctx = AwsContext::default().with_account(account);
        ctx.user = user.map(str::to_string);
        Some(ctx)
    }

    #[test]
    fn mfa_serials_by_user_or_device_name() {
        let mut t = tokens();
        t[1].aws = aws("123456789012", Some("alice"));
        t[2].aws = aws("123456789012", Some("bob"));
        assert_eq!(
            resolve_mfa_serial(&t, "arn:aws:iam::123456789012:mfa/alice"),
            Ok(1)
        );
        assert_eq!(
            resolve_mfa_serial(&t, "arn:aws:iam::123456789012:mfa/team/Bob"),
            Ok(2)
        );
        assert!(matches!(
            resolve_mfa_serial(&t, "arn:aws:iam::123456789012:mfa/carol"),
            Err(QueryError::NoMfaDevice { .. })
        ));
        assert!(resolve_mfa_serial(&t, "arn:aws-us-gov:iam::123456789012:mfa/alice").is_err());
        assert!(resolve_mfa_serial(&t, "arn:aws:iam::210987654321:mfa/alice").is_err());
        // AWS's QR label names the device; a bare account name only
        // when no user is known.
        t[1].account = "alice-phone@123456789012".into();
        assert_eq!(
            resolve_mfa_serial(&t, "arn:aws:iam::123456789012:mfa/alice-phone"),
            Ok(1)
        );
        t[2].account = "carol".into();
        assert!(resolve_mfa_serial(&t, "arn:aws:iam::123456789012:mfa/carol").is_err());
        t[2].aws.as_mut().unwrap().user = None;
        assert_eq!(
            resolve_mfa_serial(&t, "arn:aws:iam::123456789012:mfa/carol"),
            Ok(2)
        );
    }

    #[test]
    fn mfa_serials_exact_binding_wins_and_excludes() {
        let mut t = tokens();
        t[1].aws = aws("123456789012", Some("bob"));
        t[2].aws = aws("123456789012", Some("bob"));
        // Two devices of bob: which one is not known.
        let bob = "arn:aws:iam::123456789012:mfa/bob";
        assert!(matches!(
            resolve_mfa_serial(&t, bob),
            Err(QueryError::AmbiguousMfaDevice { ref candidates, .. }) if candidates.len() == 2
        ));
        t[2].aws.as_mut().unwrap().mfa_serial = Some(bob.into());
        assert_eq!(resolve_mfa_serial(&t, bob), Ok(2));
        assert_eq!(
            resolve_mfa_serial(&t, "arn:aws:iam::123456789012:mfa/BOB"),
            Ok(2)
        );
        // Bound to another serial: another device, even with bob's name.
        t[2].aws.as_mut().unwrap().mfa_serial =
            Some("arn:aws:iam::123456789012:mfa/bob-key".into());
        assert_eq!(resolve_mfa_serial(&t, bob), Ok(1));
    }

    #[test]
    fn mfa_serials_fall_back_only_to_an_anonymous_only_token() {
        let mut t = tokens();
        let bob = "arn:aws:iam::123456789012:mfa/bob";
        // The account's only token, whose user is unknown.
        t[1].aws = aws("123456789012", None);
        assert_eq!(resolve_mfa_serial(&t, bob), Ok(1));
        // ... but not alice's, nor another device's.
        t[1].aws.as_mut().unwrap().user = Some("alice".into());
        let err = resolve_mfa_serial(&t, bob).unwrap_err();
        assert_eq!(err.code(), ErrorCode::UnknownToken);
        assert!(
            err.to_string().contains("is alice's (its AWS user)"),
            "{err}"
        );
        t[1].aws.as_mut().unwrap().user = None;
        t[1].account = "alice-phone@123456789012".into();
        assert!(resolve_mfa_serial(&t, bob).is_err());
        t[1].account = "prod-admin".into();
        // Not when the account has two tokens.
        t[2].aws = aws("123456789012", None);
        assert!(matches!(
            resolve_mfa_serial(&t, bob),
            Err(QueryError::NoMfaDevice { .. })
        ));
        // Identity Center devices are never an IAM serial's.
        t[2].aws.as_mut().unwrap().sso_directory = Some("d-1234567890".into());
        t[1].aws = None;
        assert!(resolve_mfa_serial(&t, bob).is_err());
    }

    #[test]
    fn resolving_a_serial_among_the_tokens_that_could_be_it_gives_the_same_answer() {
        let mut t = tokens();
        t[1].aws = aws("123456789012", Some("bob"));
        t[2].aws = aws("123456789012", None);
        t[3].aws = aws("210987654321", Some("bob"));
        t[0].aws = aws("123456789012", Some("alice"));
        t[0].aws.as_mut().unwrap().mfa_serial = Some("arn:aws:iam::210987654321:mfa/key".into());
        let arns = [
            "arn:aws:iam::123456789012:mfa/bob",
            "arn:aws:iam::123456789012:mfa/alice",
            "arn:aws:iam::123456789012:mfa/carol",
            "arn:aws:iam::210987654321:mfa/key",
            "arn:aws:iam::210987654321:mfa/bob",
            "arn:aws-us-gov:iam::123456789012:mfa/bob",
            "arn:aws:iam::999999999999:mfa/bob",
        ];
        for arn in arns {
            let serial = MfaSerial::parse(arn).unwrap();
            let kept: Vec<usize> = (0..t.len())
                .filter(|&i| could_be_device(&t[i], &serial))
                .collect();
            let among: Vec<Token> = kept.iter().map(|&i| t[i].clone()).collect();
            let answer = resolve_mfa_serial(&among, arn).map(|i| kept[i]);
            assert_eq!(answer, resolve_mfa_serial(&t, arn), "{arn}");
        }
        let key = MfaSerial::parse("arn:aws:iam::210987654321:mfa/key").unwrap();
        assert!(could_be_device(&t[0], &key), "bound, of another account");
        assert!(!could_be_device(&t[1], &key));
    }

    #[test]
    fn mfa_serial_shapes() {
        let s = MfaSerial::parse(" arn:aws-eusc:iam::123456789012:mfa/ops/alice-phone ").unwrap();
        assert_eq!(
            (s.path.as_str(), s.device.as_str()),
            ("/ops/", "alice-phone")
        );
        assert_eq!(
            s.arn(),
            "arn:aws-eusc:iam::123456789012:mfa/ops/alice-phone"
        );
        assert!(MfaSerial::parse("arn:aws:iam::123456789012:user/alice").is_none());
        assert!(MfaSerial::parse("arn:aws:iam::12345:mfa/alice").is_none());
        assert!(MfaSerial::parse("arn:aws:iam::123456789012:mfa/").is_none());
        assert!(MfaSerial::parse("arn:aws:iam::123456789012:mfa/al ice").is_none());
        assert!(MfaSerial::parse("arn:aws:iam::123456789012:mfa//alice").is_none());
        assert!(MfaSerial::parse("not an arn").is_none());
    }
}
