//! Text lists of token links, one per line: `otpauth://…` (Ente, Raivo,
//! 2FAS, the Authenticator extension and many others export these) and
//! Google Authenticator's `otpauth-migration://…` (see [`super::migration`]).
//!
//! - A UTF-8 byte-order mark, CRLF line ends, surrounding white space, blank
//!   lines and lines starting with `#` are ignored.
//! - Each line is read on its own; a bad line is an [`EntryError`] at its
//!   1-based line number, and a migration line with several accounts gives
//!   one token or error per account, all at that line.
//! - Parts of a Google Authenticator export that were split over several
//!   codes are collected by batch; a missing part is an error at the line of
//!   the export's first part; a part given twice is read once.
//! - **HOTP counter:** an `otpauth://` line's `counter` is taken as the next
//!   counter to use, as the Key URI format defines it (the initial counter)
//!   and as Aegis, FreeOTP and 2FAS write it; migration lines follow
//!   [`super::migration`].
//! - Detection: the first line that is neither blank nor a comment starts
//!   with `otpauth://` or `otpauth-migration://` (any case).

use super::common;
use super::migration::{self, Batches};
use super::{EntryError, Format, ImportError, Imported};
use crate::otpauth;

const FORMAT: Format = Format::OtpauthList;

/// Most tokens one list may yield.
pub(crate) const MAX_ENTRIES: usize = 100_000;

/// How many bytes detection looks at.
const DETECT_WINDOW: usize = 64 * 1024;

fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

fn starts_with_ignore_case(line: &[u8], prefix: &[u8]) -> bool {
    line.len() >= prefix.len() && line[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// Whether `bytes` look like a list of token links.
pub(crate) fn detect(bytes: &[u8]) -> bool {
    let bytes = strip_bom(bytes);
    let window = &bytes[..bytes.len().min(DETECT_WINDOW)];
    window
        .split(|&b| b == b'\n')
        .map(|l| l.trim_ascii())
        .find(|l| !l.is_empty() && !l.starts_with(b"#"))
        .is_some_and(|l| {
            starts_with_ignore_case(l, b"otpauth://")
                || starts_with_ignore_case(l, b"otpauth-migration://")
        })
}

/// A readable label for a bad `otpauth://` line: its decoded label path,
/// short, without control characters. Never the query, where the secret is.
fn line_label(line: &str) -> Option<String> {
    let rest = line.split_once("://")?.1;
    let path = rest.split('?').next()?;
    let label = path.split_once('/')?.1;
    let mut decoded = percent_encoding::percent_decode_str(&label.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned();
    // A link with `&` or an encoded `?` where its `?` belongs leaves the
    // query, secret included, in the path: never show that part.
    if let Some(at) = decoded.to_ascii_lowercase().find("secret=") {
        decoded.truncate(at);
        let kept = decoded
            .trim_end_matches(['?', '&', '#', '/', '=', ';', ' '])
            .len();
        decoded.truncate(kept);
    }
    let (issuer, account) = decoded.split_once(':').unwrap_or(("", &decoded));
    migration::label_of(issuer.trim(), account.trim())
}

/// Reads the whole list.
pub(crate) fn parse(bytes: &[u8], _password: Option<&str>) -> Result<Imported, ImportError> {
    let bytes = strip_bom(bytes);
    let mut out = Imported::default();
    let mut batches = Batches::default();
    for (index, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let position = index + 1;
        let raw = raw.trim_ascii();
        if raw.is_empty() || raw.starts_with(b"#") {
            continue;
        }
        if out.tokens.len() + out.failures.len() > MAX_ENTRIES {
            return Err(ImportError::Damaged {
                format: FORMAT,
                reason: format!("more than {MAX_ENTRIES} entries; split the list"),
            });
        }
        let fail = |label: Option<String>, reason: String| EntryError {
            position,
            label,
            reason,
        };
        let Ok(line) = std::str::from_utf8(raw) else {
            out.failures.push(fail(
                None,
                "the line is not UTF-8 text; save the list as UTF-8".into(),
            ));
            continue;
        };
        if migration::is_migration(line) {
            let part = match migration::parse_uri(line) {
                Ok(part) => part,
                Err(e) => {
                    out.failures.push(fail(None, e.to_string()));
                    continue;
                }
            };
            match batches.record(&part, position) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(reason) => {
                    out.failures.push(fail(None, reason));
                    continue;
                }
            }
            for entry in part.entries {
                match entry {
                    Ok(token) => match common::finish(token) {
                        Ok(token) => out.tokens.push(token),
                        Err(reason) => out.failures.push(fail(None, reason)),
                    },
                    Err((label, reason)) => out.failures.push(fail(label, reason)),
                }
            }
        } else {
            match otpauth::parse(line)
                .map_err(|e| e.to_string())
                .and_then(common::finish)
            {
                Ok(token) => out.tokens.push(token),
                Err(reason) => out.failures.push(fail(line_label(line), reason)),
            }
        }
    }
    for (position, reason) in batches.missing() {
        out.failures.push(EntryError {
            position,
            label: None,
            reason,
        });
    }
    out.failures.sort_by_key(|f| f.position);
    if out.tokens.is_empty() && out.failures.is_empty() {
        return Err(ImportError::Damaged {
            format: FORMAT,
            reason: "it holds no otpauth:// or otpauth-migration:// lines".into(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn detects_links_after_bom_blank_and_comments() {
        assert!(detect(
            b"\xEF\xBB\xBF\r\n# tokens\r\n  OTPAUTH://totp/x?secret=A\r\n"
        ));
        assert!(detect(b"otpauth-migration://offline?data=AA"));
        assert!(!detect(b"{\"otpauth://\": 1}"));
        assert!(!detect(b""));
    }

    #[test]
    fn bad_lines_are_numbered_and_labelled() {
        let text = "# c\n\notpauth://totp/GitHub:me?secret=JBSWY3DPEHPK3PXP\r\notpauth://totp/Bad:you?secret=!!\n";
        let got = parse(text.as_bytes(), None).unwrap();
        assert_eq!(got.tokens.len(), 1);
        assert_eq!(got.failures.len(), 1);
        assert_eq!(got.failures[0].position, 4);
        assert_eq!(got.failures[0].label.as_deref(), Some("Bad (you)"));
        assert!(!got.failures[0].reason.contains("!!"));
    }

    #[test]
    fn a_secret_left_in_the_label_is_not_shown() {
        for line in [
            "otpauth://totp/Typo:me&secret=JBSWY3DPEHPK3PXPJBSWY3DP&issuer=Typo",
            "otpauth://totp/Typo:me%3Fsecret%3DJBSWY3DPEHPK3PXPJBSWY3DP",
            "otpauth://totp/Typo:me/SECRET=JBSWY3DPEHPK3PXPJBSWY3DP",
        ] {
            let got = parse(line.as_bytes(), None).unwrap();
            assert_eq!(got.failures.len(), 1, "{line}");
            assert_eq!(
                got.failures[0].label.as_deref(),
                Some("Typo (me)"),
                "{line}"
            );
        }
    }

    #[test]
    fn empty_list_is_damaged() {
        assert_eq!(
            parse(b"# nothing\n", None).unwrap_err().code(),
            ErrorCode::ImportDamaged
        );
    }
}
