//! The query argument of `code`, `show`, `edit` and `remove`: what it
//! accepts, said once, and its completion from the vault.

use std::ffi::OsStr;

use clap_complete::engine::CompletionCandidate;

use factorcat::query;
use factorcat::token::Identity;
use factorcat::vault::{Unlock, Vault};

/// The help of every query argument.
pub(super) const QUERY_HELP: &str = "Which token: its id or an id prefix (4+ hex digits), its account or issuer (any case), or a unique part of \"issuer account\"";

/// Whether a candidate can be offered to a shell as it is: a shell would
/// split or expand anything else, so such a token is offered by its short
/// id instead.
fn shell_safe(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_alphanumeric() || "@._+-=:,%".contains(c))
}

/// Completes a query: the short queries of the tokens in the vault that
/// begin with what was typed (any case), each with its token's label as
/// help. Reads the vault without asking anything: a vault that cannot be
/// opened by the keyring, the key cache or `FACTORCAT_PASSPHRASE` completes
/// to nothing, and nothing is ever printed about it.
pub(super) fn complete_query(typed: &OsStr) -> Vec<CompletionCandidate> {
    let Some(typed) = typed.to_str() else {
        return Vec::new();
    };
    let Ok(vault) = Vault::locate() else {
        return Vec::new();
    };
    if !vault.exists() {
        return Vec::new();
    }
    let mut candidates = Vec::new();
    // Only the tokens' names and ids are decoded: the pick sees them, and
    // asks for no whole token.
    let _ = vault.read_matching(&Unlock::from_env(), |tokens, _| {
        let typed = typed.to_lowercase();
        for (index, name) in query::short_queries(tokens) {
            if shell_safe(&name) && name.to_lowercase().starts_with(&typed) {
                candidates
                    .push(CompletionCandidate::new(name).help(Some(tokens[index].label().into())));
            }
        }
        Ok::<_, factorcat::vault::VaultError>(Vec::new())
    });
    candidates
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_names_a_shell_keeps_whole_are_offered() {
        for ok in ["octocat", "alice@example.com", "prod-admin", "1a2b3c4d"] {
            assert!(shell_safe(ok), "{ok}");
        }
        for bad in ["", "Amazon Web Services", "a'b", "$(x)", "a;b", "a*"] {
            assert!(!shell_safe(bad), "{bad}");
        }
    }
}
