//! A host manifest's contents, checked against what each browser family
//! accepts.

use std::path::Path;

use super::{Finding, Level};
use crate::install::manifest::{ExtensionId, HOST_NAME};
use crate::install::table::Family;

/// Checks a manifest's contents for one family. Problems come without a
/// fix; the caller adds the reinstall command.
pub fn check_manifest(bytes: &[u8], family: Family) -> Vec<Finding> {
    match serde_json::from_slice(bytes) {
        Ok(value) => check_manifest_value(&value, family),
        Err(e) => vec![not_json(&e)],
    }
}

/// The finding for a manifest that does not parse.
pub(super) fn not_json(e: &serde_json::Error) -> Finding {
    problem_without_fix(format!("the manifest is not valid JSON ({e})"))
}

/// [`check_manifest`] for a manifest already parsed.
pub(super) fn check_manifest_value(value: &serde_json::Value, family: Family) -> Vec<Finding> {
    let mut findings = Vec::new();
    let Some(object) = value.as_object() else {
        return vec![problem_without_fix(
            "the manifest is not a JSON object".to_string(),
        )];
    };
    if object.get("name").and_then(|v| v.as_str()) != Some(HOST_NAME) {
        findings.push(problem_without_fix(format!(
            "the manifest's \"name\" is not \"{HOST_NAME}\""
        )));
    }
    if object.get("type").and_then(|v| v.as_str()) != Some("stdio") {
        findings.push(problem_without_fix(
            "the manifest's \"type\" is not \"stdio\"".to_string(),
        ));
    }
    if object
        .get("description")
        .and_then(|v| v.as_str())
        .is_none_or(str::is_empty)
    {
        findings.push(problem_without_fix(
            "the manifest has no \"description\" (Chromium then ignores it)".into(),
        ));
    }
    match object.get("path").and_then(|v| v.as_str()) {
        Some(p) if Path::new(p).is_absolute() || looks_like_windows_absolute(p) => {}
        Some(p) => findings.push(problem_without_fix(format!(
            "the manifest's path \"{p}\" is not absolute"
        ))),
        None => findings.push(problem_without_fix("the manifest has no \"path\"".into())),
    }
    let (key, other) = match family {
        Family::Chromium => ("allowed_origins", "allowed_extensions"),
        Family::Firefox => ("allowed_extensions", "allowed_origins"),
    };
    if family == Family::Firefox && object.contains_key(other) {
        findings.push(problem_without_fix(
            "the manifest has \"allowed_origins\", so Firefox refuses it; it must list only \"allowed_extensions\"".into(),
        ));
    }
    let own: Vec<String> = crate::extension_ids::of(family)
        .map(ExtensionId::entry)
        .collect();
    match object.get(key).and_then(|v| v.as_array()) {
        None => findings.push(problem_without_fix(format!(
            "the manifest has no \"{key}\" list, which {family}-family browsers need"
        ))),
        Some(list) => {
            let entries: Vec<&str> = list.iter().filter_map(|v| v.as_str()).collect();
            let missing: Vec<&str> = own
                .iter()
                .map(String::as_str)
                .filter(|e| !entries.contains(e))
                .collect();
            if !missing.is_empty() {
                findings.push(problem_without_fix(format!(
                    "\"{key}\" does not include FactorCat's extension {} (it lists: {})",
                    missing.join(", "),
                    if entries.is_empty() {
                        "nothing".to_string()
                    } else {
                        entries.join(", ")
                    }
                )));
            }
            if family == Family::Chromium {
                for e in entries
                    .iter()
                    .filter(|e| ExtensionId::parse(e).is_err() || !e.ends_with('/'))
                {
                    findings.push(problem_without_fix(format!(
                        "\"{e}\" is not a valid origin; Chromium wants chrome-extension://<32 letters a-p>/"
                    )));
                }
            }
        }
    }
    if findings.is_empty() {
        findings.push(Finding::ok(format!(
            "manifest is valid and allows {}",
            own.join(", ")
        )));
    }
    findings
}

fn problem_without_fix(what: String) -> Finding {
    Finding {
        level: Level::Problem,
        what,
        fix: None,
    }
}

fn looks_like_windows_absolute(p: &str) -> bool {
    let b = p.as_bytes();
    b.len() > 2 && b[0].is_ascii_alphabetic() && b[1] == b':' && (b[2] == b'\\' || b[2] == b'/')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extension_ids::development_chromium_id as chromium_extension_id;
    use crate::install::manifest::render as render_manifest;
    use crate::install::table::Family;

    fn levels(findings: &[Finding]) -> Vec<Level> {
        findings.iter().map(|f| f.level).collect()
    }

    #[test]
    fn rendered_manifests_pass() {
        for family in [Family::Chromium, Family::Firefox] {
            let text = render_manifest(family, "/usr/bin/factorcat", &[]).unwrap();
            assert_eq!(
                levels(&check_manifest(text.as_bytes(), family)),
                [Level::Ok],
                "{family}"
            );
        }
    }

    #[test]
    fn wrong_family_and_ids_are_caught() {
        let chromium = render_manifest(Family::Chromium, "/usr/bin/factorcat", &[]).unwrap();
        let as_firefox = check_manifest(chromium.as_bytes(), Family::Firefox);
        assert!(
            as_firefox
                .iter()
                .any(|f| f.what.contains("Firefox refuses"))
        );
        let wrong = chromium.replace(chromium_extension_id(), "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
        let found = check_manifest(wrong.as_bytes(), Family::Chromium);
        assert!(
            found
                .iter()
                .any(|f| f.level == Level::Problem && f.what.contains("does not include")),
            "{found:?}"
        );
        let no_slash = chromium.replace(
            &format!("{}/", chromium_extension_id()),
            chromium_extension_id(),
        );
        assert!(
            check_manifest(no_slash.as_bytes(), Family::Chromium)
                .iter()
                .any(|f| f.level == Level::Problem)
        );
    }

    #[test]
    fn broken_json_and_relative_paths_are_caught() {
        assert!(
            check_manifest(b"{\"name\": ", Family::Firefox)[0]
                .what
                .contains("not valid JSON")
        );
        let relative = render_manifest(Family::Firefox, "factorcat", &[]).unwrap();
        assert!(
            check_manifest(relative.as_bytes(), Family::Firefox)
                .iter()
                .any(|f| f.what.contains("not absolute"))
        );
    }
}
