//! Reply budgeting: every reply fits under the browsers' 1 MiB limit for
//! native messages. Lists are cut where the budget runs out (and say how
//! many entries were left out), an entry too large for its share loses its
//! long lists, and a reply that is still too large becomes an error.

use serde_json::{Map, Value, json};

use crate::error::ErrorCode;
use crate::import::EntryError;
use crate::protocol::{MAX_REPLY_BYTES, ProtoError, failure};
use crate::token::Token;

/// Most candidates a `match` reply lists.
pub const MAX_MATCH_CANDIDATES: usize = 50;

/// Room kept free in a reply for the envelope and paging fields.
const REPLY_MARGIN: usize = 16 * 1024;

/// The bytes a reply's lists may take together.
pub(super) const LIST_BUDGET: usize = MAX_REPLY_BYTES - REPLY_MARGIN;

/// The largest a `match` candidate may be before it is trimmed.
pub(super) const CANDIDATE_BUDGET: usize = MAX_REPLY_BYTES / (4 * MAX_MATCH_CANDIDATES);

/// `reply` when it fits the limit; otherwise a `reply_too_large` error for
/// request `id`.
pub(super) fn within_limit(id: Option<i64>, reply: Vec<u8>) -> Vec<u8> {
    if reply.len() <= MAX_REPLY_BYTES {
        return reply;
    }
    let e = ProtoError::new(
        ErrorCode::ReplyTooLarge,
        "the reply would exceed the browsers' 1 MiB limit; ask for a smaller page (list: limit)",
    );
    failure(id, &e)
}

/// The size of an entry's JSON.
pub(super) fn value_len(map: &Map<String, Value>) -> usize {
    serde_json::to_vec(map)
        .map(|v| v.len())
        .unwrap_or(usize::MAX)
}

/// Drops long lists so one token cannot fill a reply; marks the entry.
pub(super) fn trim(entry: &mut Map<String, Value>) {
    for key in ["sites", "tags"] {
        entry.insert(key.into(), json!([]));
    }
    entry.insert("truncated".into(), json!(true));
}

/// Trims `entry` when it is larger than `limit` bytes; returns its size.
pub(super) fn trimmed_to(entry: &mut Map<String, Value>, limit: usize) -> usize {
    let size = value_len(entry);
    if size <= limit {
        return size;
    }
    trim(entry);
    value_len(entry)
}

/// Token metadata of a listing (never a secret): position, issuer, account,
/// label, kind, whether it duplicates a stored token, and the AWS context.
/// Stops before `budget` bytes; returns the entries and how many were left
/// out.
pub(super) fn listing(tokens: &[Token], fresh: &[bool], budget: usize) -> (Vec<Value>, usize) {
    let entries = tokens
        .iter()
        .zip(fresh)
        .enumerate()
        .map(|(index, (token, new))| {
            let mut entry = Map::new();
            entry.insert("index".into(), json!(index));
            entry.insert("issuer".into(), json!(token.issuer));
            entry.insert("account".into(), json!(token.account));
            entry.insert("label".into(), json!(token.label()));
            entry.insert("kind".into(), json!(token.kind.name()));
            entry.insert("duplicate".into(), json!(!new));
            if let Some(aws) = &token.aws {
                entry.insert("aws".into(), json!(aws));
            }
            Value::Object(entry)
        });
    capped(entries, budget)
}

/// Entries that could not be read, `{key: position, label, reason}` (never
/// a secret), within `budget` bytes; returns them and how many were left
/// out.
pub(super) fn failure_list(
    failures: &[EntryError],
    key: &str,
    budget: usize,
) -> (Vec<Value>, usize) {
    let entries = failures.iter().map(|f| {
        let mut entry = Map::new();
        entry.insert(key.into(), json!(f.position));
        entry.insert("label".into(), json!(f.label));
        entry.insert("reason".into(), json!(f.reason));
        Value::Object(entry)
    });
    capped(entries, budget)
}

/// The first values whose JSON fits in `budget` bytes, and how many did
/// not fit.
fn capped(values: impl ExactSizeIterator<Item = Value>, budget: usize) -> (Vec<Value>, usize) {
    let total = values.len();
    let mut used = 0usize;
    let mut kept = Vec::new();
    for value in values {
        used = used.saturating_add(value.to_string().len() + 1);
        if used > budget {
            break;
        }
        kept.push(value);
    }
    let omitted = total - kept.len();
    (kept, omitted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capped_keeps_what_fits_and_counts_the_rest() {
        let values: Vec<Value> = (0..10).map(|i| json!(i)).collect();
        // Each value takes its digit and a separator.
        assert_eq!(
            capped(values.clone().into_iter(), 6),
            (values[..3].to_vec(), 7)
        );
        assert_eq!(capped(values.clone().into_iter(), 0).1, 10);
        assert_eq!(capped(values.clone().into_iter(), usize::MAX), (values, 0));
    }

    #[test]
    fn a_large_entry_is_trimmed_and_marked() {
        let mut entry = Map::new();
        entry.insert("sites".into(), json!(vec!["a.example"; 100]));
        entry.insert("tags".into(), json!(["x"]));
        let small = trimmed_to(&mut entry.clone(), usize::MAX);
        assert_eq!(small, value_len(&entry));
        let size = trimmed_to(&mut entry, 100);
        assert!(size < 100, "{size}");
        assert_eq!(entry["truncated"], json!(true));
        assert_eq!(entry["sites"], json!([]));
    }

    #[test]
    fn a_reply_over_the_limit_becomes_an_error() {
        assert_eq!(within_limit(Some(7), b"{}".to_vec()), b"{}".to_vec());
        let huge = vec![b' '; MAX_REPLY_BYTES + 1];
        let reply: Value = serde_json::from_slice(&within_limit(Some(7), huge)).unwrap();
        assert_eq!(reply["id"], 7);
        assert_eq!(reply["error"]["code"], "reply_too_large");
    }
}
