//! The host manifests: the fixed identities, the two templates in
//! `manifests/`, rendering them, and extension ids given on the command line.
//! Which extensions they allow comes from [`crate::extension_ids`].

use std::fmt;

use serde::{Deserialize, Serialize};

use super::table::Family;

/// The native-messaging host name the extension connects to.
pub const HOST_NAME: &str = "com.factorcat.host";

/// The file name browsers look for in their lookup directories.
pub const FILE_NAME: &str = "com.factorcat.host.json";

const CHROMIUM_TEMPLATE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../manifests/chromium.json"
));
const FIREFOX_TEMPLATE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../manifests/firefox.json"
));

/// The template of one family, as shipped in `manifests/`.
pub fn template(family: Family) -> &'static str {
    match family {
        Family::Chromium => CHROMIUM_TEMPLATE,
        Family::Firefox => FIREFOX_TEMPLATE,
    }
}

/// A host manifest, in the order browsers' documentation lists the keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostManifest {
    /// The host name, [`HOST_NAME`].
    pub name: String,
    /// A non-empty description (Chromium refuses an empty one).
    pub description: String,
    /// Absolute path of the program the browser starts.
    pub path: String,
    /// Always `stdio`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Chromium family: `chrome-extension://<id>/` origins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_origins: Option<Vec<String>>,
    /// Firefox family: add-on ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_extensions: Option<Vec<String>>,
}

/// An extension allowed to talk to the host.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ExtensionId {
    /// A Chromium-family id: 32 letters `a`–`p`.
    Chromium(String),
    /// A Firefox add-on id: `name@domain` or `{GUID}`.
    Gecko(String),
}

/// Why a string is not an extension id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "\"{0}\" is not an extension id: a Chromium id is 32 letters a-p (as shown on chrome://extensions), \
     a Firefox add-on id looks like name@example.org or {{01234567-89ab-cdef-0123-456789abcdef}}"
)]
pub struct BadExtensionId(pub String);

impl ExtensionId {
    /// Parses an id as given to `--extension-id`; a Chromium origin
    /// (`chrome-extension://<id>/`) is accepted too.
    pub fn parse(text: &str) -> Result<ExtensionId, BadExtensionId> {
        let trimmed = text.trim();
        let bare = trimmed
            .strip_prefix("chrome-extension://")
            .map_or(trimmed, |rest| rest.trim_end_matches('/'));
        if bare.len() == 32 && bare.bytes().all(|b| (b'a'..=b'p').contains(&b)) {
            return Ok(ExtensionId::Chromium(bare.to_string()));
        }
        if is_gecko_id(trimmed) {
            return Ok(ExtensionId::Gecko(trimmed.to_string()));
        }
        Err(BadExtensionId(text.to_string()))
    }

    /// The family of browsers this id belongs to.
    pub fn family(&self) -> Family {
        match self {
            ExtensionId::Chromium(_) => Family::Chromium,
            ExtensionId::Gecko(_) => Family::Firefox,
        }
    }

    /// The id itself.
    pub fn as_str(&self) -> &str {
        match self {
            ExtensionId::Chromium(id) | ExtensionId::Gecko(id) => id,
        }
    }

    /// The allow-list entry for this id: an origin for Chromium, the id for Firefox.
    pub fn entry(&self) -> String {
        match self {
            ExtensionId::Chromium(id) => format!("chrome-extension://{id}/"),
            ExtensionId::Gecko(id) => id.clone(),
        }
    }
}

impl fmt::Display for ExtensionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `name@domain` (letters, digits, `.`, `_`, `-`, `+`), or a braced GUID.
fn is_gecko_id(text: &str) -> bool {
    let word = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-+".contains(&b))
    };
    if let Some(inner) = text.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
        let groups: Vec<&str> = inner.split('-').collect();
        return groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
            && groups
                .iter()
                .all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()));
    }
    match text.split_once('@') {
        Some((local, domain)) => {
            (local.is_empty() || word(local)) && word(domain) && !domain.contains('@')
        }
        None => false,
    }
}

/// The extensions one family allows: FactorCat's own (development and
/// store builds, [`crate::extension_ids`]) first, then the extra ids of that
/// family, without repeats.
pub fn allowed_ids(family: Family, extra: &[ExtensionId]) -> Vec<ExtensionId> {
    let mut ids: Vec<ExtensionId> = crate::extension_ids::of(family).cloned().collect();
    for id in extra.iter().filter(|id| id.family() == family) {
        if !ids.contains(id) {
            ids.push(id.clone());
        }
    }
    ids
}

/// Renders a family's template for a program at `path`, allowing
/// FactorCat's extension plus the `extra` ids of that family. The result is
/// pretty-printed JSON ending in a newline, byte-for-byte stable.
pub fn render(
    family: Family,
    path: &str,
    extra: &[ExtensionId],
) -> Result<String, serde_json::Error> {
    let mut manifest: HostManifest = serde_json::from_str(template(family))?;
    manifest.path = manifest.path.replace("@PATH@", path);
    let ids = allowed_ids(family, extra);
    let expand = |list: Option<Vec<String>>| {
        list.map(|entries| {
            entries
                .into_iter()
                .flat_map(|entry| {
                    if entry.contains("@EXTENSION_ID@") {
                        ids.iter()
                            .map(|id| entry.replace("@EXTENSION_ID@", id.as_str()))
                            .collect()
                    } else {
                        vec![entry]
                    }
                })
                .collect()
        })
    };
    manifest.allowed_origins = expand(manifest.allowed_origins);
    manifest.allowed_extensions = expand(manifest.allowed_extensions);
    let mut text = serde_json::to_string_pretty(&manifest)?;
    text.push('\n');
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extension_ids::of as own;

    fn parsed(text: &str) -> serde_json::Value {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn templates_have_one_allow_list_each() {
        let chromium = parsed(template(Family::Chromium));
        assert!(
            chromium.get("allowed_origins").is_some()
                && chromium.get("allowed_extensions").is_none()
        );
        let firefox = parsed(template(Family::Firefox));
        assert!(
            firefox.get("allowed_extensions").is_some() && firefox.get("allowed_origins").is_none()
        );
        for t in [&chromium, &firefox] {
            assert_eq!(t["name"], HOST_NAME);
            assert_eq!(t["type"], "stdio");
            assert!(!t["description"].as_str().unwrap().is_empty());
        }
    }

    #[test]
    fn chromium_render_lists_own_origin_then_extras() {
        let extra = [
            ExtensionId::parse("abcdefghijklmnopabcdefghijklmnop").unwrap(),
            ExtensionId::parse("other@example.org").unwrap(),
        ];
        let text = render(Family::Chromium, "/opt/fc/factorcat", &extra).unwrap();
        let v = parsed(&text);
        assert_eq!(v["path"], "/opt/fc/factorcat");
        let mut expected: Vec<String> = own(Family::Chromium).map(|id| id.entry()).collect();
        expected.push("chrome-extension://abcdefghijklmnopabcdefghijklmnop/".into());
        assert_eq!(v["allowed_origins"], serde_json::json!(expected));
        assert_eq!(
            expected[0],
            format!(
                "chrome-extension://{}/",
                crate::extension_ids::development_chromium_id()
            )
        );
        assert!(v.get("allowed_extensions").is_none());
        assert!(text.ends_with("}\n"));
        assert!(text.starts_with("{\n  \"name\": \"com.factorcat.host\""));
    }

    #[test]
    fn firefox_render_lists_the_addon_id() {
        let extra = [ExtensionId::parse("{01234567-89ab-cdef-0123-456789abcdef}").unwrap()];
        let v = parsed(
            &render(
                Family::Firefox,
                "C:\\Program Files\\FactorCat\\factorcat.exe",
                &extra,
            )
            .unwrap(),
        );
        assert_eq!(v["path"], "C:\\Program Files\\FactorCat\\factorcat.exe");
        assert_eq!(
            v["allowed_extensions"],
            serde_json::json!([
                "factorcat@factorcat.app",
                "{01234567-89ab-cdef-0123-456789abcdef}"
            ])
        );
        assert!(v.get("allowed_origins").is_none());
    }

    #[test]
    fn rendering_is_stable_and_deduplicates() {
        let mine: Vec<ExtensionId> = own(Family::Chromium)
            .chain(own(Family::Chromium))
            .cloned()
            .collect();
        let a = render(Family::Chromium, "/x", &mine).unwrap();
        assert_eq!(a, render(Family::Chromium, "/x", &[]).unwrap());
    }

    #[test]
    fn extension_ids_are_validated() {
        assert_eq!(
            ExtensionId::parse("chrome-extension://abcdefghijklmnopabcdefghijklmnop/").unwrap(),
            ExtensionId::Chromium("abcdefghijklmnopabcdefghijklmnop".into())
        );
        assert_eq!(
            ExtensionId::parse("factorcat@factorcat.app")
                .unwrap()
                .family(),
            Family::Firefox
        );
        assert_eq!(
            ExtensionId::parse("@addon.example").unwrap().family(),
            Family::Firefox
        );
        for bad in [
            "",
            "abc",
            "abcdefghijklmnopabcdefghijklmnoq",
            "ABCDEFGHIJKLMNOPABCDEFGHIJKLMNOP",
            "a@b@c",
            "x@",
            "{0123-4567}",
            "chrome-extension://*/",
            "a b@c",
        ] {
            assert!(ExtensionId::parse(bad).is_err(), "{bad:?}");
        }
    }
}
