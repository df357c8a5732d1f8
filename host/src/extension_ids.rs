//! The browser extensions FactorCat serves: one list, kept as data in
//! `data/extension-ids.txt`, read by everything that needs it — the host
//! manifests `install` writes, what `doctor` expects in them, and the native
//! host's caller check.
//!
//! Store ids are added to that file once a store has assigned them; the
//! development id stays, so the unpacked extension keeps working.

use std::sync::OnceLock;

use crate::install::manifest::ExtensionId;
use crate::install::table::Family;

const LIST_TEXT: &str = include_str!("data/extension-ids.txt");

/// One allowed extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allowed {
    /// The id; its variant says the browser family.
    pub id: ExtensionId,
    /// Which build carries it: `development`, `all`, or a store's name.
    pub build: String,
}

/// Why the list does not parse (a line number counting from 1, and what is wrong).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("extension-ids.txt line {line}: {problem}")]
pub struct BadList {
    /// The line.
    pub line: usize,
    /// What is wrong with it.
    pub problem: String,
}

/// Parses the list format: `FAMILY ID BUILD` per line, `#` comments and
/// blank lines ignored. Every id must have the shape of its family, and
/// appear once.
pub fn parse(text: &str) -> Result<Vec<Allowed>, BadList> {
    let mut list: Vec<Allowed> = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        let bad = |problem: String| BadList {
            line: index + 1,
            problem,
        };
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [family, id, build] = fields[..] else {
            return Err(bad(format!(
                "expected three fields (FAMILY ID BUILD), found {}",
                fields.len()
            )));
        };
        let family = match family {
            "chromium" => Family::Chromium,
            "firefox" => Family::Firefox,
            other => {
                return Err(bad(format!(
                    "unknown family \"{other}\" (chromium or firefox)"
                )));
            }
        };
        let id = ExtensionId::parse(id).map_err(|e| bad(e.to_string()))?;
        if id.family() != family {
            return Err(bad(format!("{id} is not a {family} id")));
        }
        if list.iter().any(|a| a.id == id) {
            return Err(bad(format!("{id} is listed twice")));
        }
        list.push(Allowed {
            id,
            build: build.to_string(),
        });
    }
    Ok(list)
}

/// Every extension FactorCat serves, in the file's order. (The file is
/// checked by a unit test; were it broken, the list would be empty and the
/// host would serve nobody rather than the wrong extension.)
pub fn all() -> &'static [Allowed] {
    static LIST: OnceLock<Vec<Allowed>> = OnceLock::new();
    LIST.get_or_init(|| parse(LIST_TEXT).unwrap_or_default())
}

/// The ids of one family, in the file's order.
pub fn of(family: Family) -> impl Iterator<Item = &'static ExtensionId> {
    all()
        .iter()
        .map(|a| &a.id)
        .filter(move |id| id.family() == family)
}

/// Whether FactorCat serves `id` in browsers of `family`.
pub fn is_allowed(family: Family, id: &str) -> bool {
    of(family).any(|own| own.as_str() == id)
}

/// The Chromium id of the unpacked `extension/` directory, fixed by the
/// public `key` in its manifest.
pub fn development_chromium_id() -> &'static str {
    all()
        .iter()
        .find(|a| a.build == "development" && a.id.family() == Family::Chromium)
        .map_or("", |a| a.id.as_str())
}

/// The Firefox add-on id (`browser_specific_settings.gecko.id`), the same
/// for every build.
pub fn firefox_addon_id() -> &'static str {
    of(Family::Firefox).next().map_or("", ExtensionId::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_list_parses_and_has_the_fixed_ids() {
        let list = parse(LIST_TEXT).unwrap();
        assert_eq!(all(), &list[..]);
        assert_eq!(firefox_addon_id(), "factorcat@factorcat.app");
        assert_eq!(development_chromium_id().len(), 32);
        assert!(is_allowed(Family::Chromium, development_chromium_id()));
        assert!(is_allowed(Family::Firefox, "factorcat@factorcat.app"));
        assert!(!is_allowed(Family::Firefox, development_chromium_id()));
        assert!(!is_allowed(Family::Chromium, "factorcat@factorcat.app"));
        assert!(!is_allowed(Family::Chromium, ""));
    }

    #[test]
    fn store_lines_add_ids_and_bad_lines_are_named() {
        let text = "chromium fkkmckeddmomgnfpeohhajmdaoagdlbe development\n\
                    # a comment\n\n\
                    chromium abcdefghijklmnopabcdefghijklmnop chrome-web-store  # after the id\n\
                    firefox factorcat@factorcat.app all\n";
        let list = parse(text).unwrap();
        assert_eq!(list.len(), 3);
        assert_eq!(list[1].build, "chrome-web-store");
        assert_eq!(list[1].id.family(), Family::Chromium);

        for (text, line, words) in [
            ("chromium abc development", 1, "not an extension id"),
            (
                "\nfirefox abcdefghijklmnopabcdefghijklmnop x",
                2,
                "not a Firefox id",
            ),
            ("safari x@y z", 1, "unknown family"),
            (
                "chromium abcdefghijklmnopabcdefghijklmnop",
                1,
                "three fields",
            ),
            ("firefox a@b x\nfirefox a@b y", 2, "listed twice"),
        ] {
            let e = parse(text).unwrap_err();
            assert_eq!(e.line, line, "{text}");
            assert!(e.to_string().contains(words), "{e}");
        }
    }
}
