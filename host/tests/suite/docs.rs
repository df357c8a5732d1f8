//! The documents say what the code does: where a document makes a claim
//! that code or another document also makes, the two are compared here.
//!
//! * `build_needs_are_what_the_crate_needs`: the keyring crate builds its
//!   own libdbus (`vendored`), so neither the README nor the test scripts
//!   ask for `libdbus-1-dev` or `pkg-config`.
//! * `import_and_backup_agree_on_ids`: a FactorCat backup keeps its token
//!   ids on import (shown by `import_aegis_export::
//!   import_keeps_the_ids_of_a_factorcat_backup_only`), and both documents
//!   say so.
//! * `readme_tables_are_what_help_says`: the README's environment and
//!   exit-code tables hold what `factorcat --help` lists (from the same
//!   tables the manual page is made from).

use std::path::{Path, PathBuf};

/// The repository's root (the host crate's parent).
fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// A file of the repository, as text.
fn read(path: &str) -> String {
    let path = repo().join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Text with its line breaks folded into spaces, so a sentence can be
/// found whatever its wrapping.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn build_needs_are_what_the_crate_needs() {
    let manifest = read("host/Cargo.toml");
    let keyring = manifest
        .lines()
        .find(|l| l.starts_with("keyring ="))
        .expect("host/Cargo.toml depends on keyring");
    assert!(
        keyring.contains("\"vendored\""),
        "without keyring's vendored feature the build needs libdbus-1-dev and pkg-config again; \
         say so in the README and scripts/test.sh: {keyring}"
    );
    let readme = flat(&read("README.md"));
    assert!(
        readme.contains(
            "the keyring crate compiles its own copy of libdbus, so neither `libdbus-1-dev` \
             nor `pkg-config` is needed"
        ),
        "the README's build needs"
    );
    assert_eq!(
        readme.matches("libdbus-1-dev").count(),
        1,
        "the README names libdbus-1-dev only to say it is not needed"
    );
    for script in ["scripts/test.sh", "scripts/stress.sh"] {
        let text = read(script);
        assert!(
            !text.contains("libdbus-1-dev") && !text.contains("pkg-config:pkg-config"),
            "{script} installs what the build does not need"
        );
    }
}

#[test]
fn import_and_backup_agree_on_ids() {
    let import = flat(&read("docs/import.md"));
    let backup = flat(&read("docs/backup.md"));
    assert!(
        import.contains("Tokens from a FactorCat backup keep their ids"),
        "docs/import.md"
    );
    assert!(
        !import.contains("Every token gets a new id"),
        "docs/import.md"
    );
    assert!(backup.contains("**Ids are kept.**"), "docs/backup.md");
}

/// The rows of the README's table under `heading`: first cell and second
/// cell, backticks dropped.
fn readme_table(heading: &str) -> Vec<(String, String)> {
    let readme = read("README.md");
    let start = readme
        .find(heading)
        .unwrap_or_else(|| panic!("the README has no {heading}"));
    readme[start..]
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|row| {
            let cells: Vec<String> = row.split('|').map(|c| c.trim().replace('`', "")).collect();
            (cells[1].clone(), cells[2].clone())
        })
        .collect()
}

/// The entries of a section of `factorcat --help` (a name on its own line,
/// then its meaning indented, perhaps wrapped), backticks dropped.
fn help_section(help: &str, heading: &str) -> Vec<(String, String)> {
    let mut entries: Vec<(String, String)> = Vec::new();
    for line in help
        .lines()
        .skip_while(|l| *l != heading)
        .skip(1)
        .take_while(|l| !l.is_empty())
    {
        let text = line.trim().replace('`', "");
        if line.starts_with("      ") {
            let meaning = &mut entries.last_mut().expect("a name first").1;
            if !meaning.is_empty() {
                meaning.push(' ');
            }
            meaning.push_str(&text);
        } else {
            entries.push((text, String::new()));
        }
    }
    entries
}

/// The README's environment and exit-code tables say what `factorcat
/// --help` (and so the manual page, made from the same tables) says.
#[test]
fn readme_tables_are_what_help_says() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_factorcat"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    let environment = help_section(&help, "Environment:");
    let exit_codes = help_section(&help, "Exit codes:");
    assert!(environment.len() >= 5 && exit_codes.len() >= 9, "{help}");
    assert_eq!(readme_table("### Environment"), environment);
    assert_eq!(readme_table("### Exit codes"), exit_codes);
}
