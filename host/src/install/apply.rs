//! Carrying an install out: write only the files and registry values that
//! differ, atomically, and report what changed.

use std::fs;
use std::path::{Path, PathBuf};

use super::plan::{Step, absolute, install_steps, parse_extension_ids};
use super::table::{Env, Os};
use super::{
    Found, InstallError, InstallOptions, Place, Probe, Selection, registry, select, targets, trust,
};
use crate::fsutil::{self, Mode, WriteOptions};

/// The path of the running binary as browsers should start it.
pub fn own_binary() -> Result<PathBuf, InstallError> {
    let exe = std::env::current_exe()
        .and_then(fs::canonicalize)
        .map_err(InstallError::CurrentExe)?;
    Ok(strip_verbatim(exe))
}

/// Windows' canonical paths start with `\\?\`, which browsers do not expect.
fn strip_verbatim(path: PathBuf) -> PathBuf {
    let text = path.to_string_lossy();
    match text.strip_prefix(r"\\?\") {
        Some(rest) if !rest.starts_with("UNC\\") => PathBuf::from(rest),
        _ => path,
    }
}

/// What became (or, on a dry run, would become) of one file or registry
/// value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It already held what it should.
    Unchanged,
    /// It did not exist.
    Created,
    /// It held something else.
    Updated,
}

/// One file or registry value of an install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// What became of it.
    pub outcome: Outcome,
    /// The file's path, or `KEY = VALUE` for a registry value.
    pub what: String,
    /// The browsers it serves (`--browser` names).
    pub browsers: Vec<&'static str>,
    /// What the file holds after the install; `None` for a registry value.
    pub contents: Option<String>,
}

/// Something worth knowing after an install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstallNote {
    /// Extensions the replaced manifests allowed and the new ones do not
    /// (sorted, each once).
    NoLongerAllowed(Vec<String>),
    /// A browser in a Flatpak sandbox needs permission to start programs
    /// outside it.
    Flatpak {
        /// The browsers' labels.
        labels: Vec<&'static str>,
        /// The Flatpak app id.
        app_id: &'static str,
    },
    /// Brave reads native-messaging manifests from its default directory
    /// even when started with a user-data directory.
    BraveIgnoresUserDataDir,
    /// On Windows browsers find hosts through the registry, so a
    /// user-data directory only receives files.
    WindowsUsesRegistry,
    /// The manifests name a binary in a Cargo build directory, which a
    /// rebuild or `cargo clean` would pull from under the browser.
    BuildDirectory(PathBuf),
}

/// What an install did, or would do on a dry run.
#[derive(Debug, Clone)]
pub struct InstallReport {
    /// The browsers found on the machine and why; `None` when they were
    /// named.
    pub found: Option<Vec<Found>>,
    /// Every file and registry value, in the order handled.
    pub changes: Vec<Change>,
    /// Nothing was written.
    pub dry_run: bool,
    /// What is worth knowing, in order.
    pub notes: Vec<InstallNote>,
}

impl InstallReport {
    /// How many files and registry values were (or would be) written.
    pub fn changed(&self) -> usize {
        self.changes
            .iter()
            .filter(|c| c.outcome != Outcome::Unchanged)
            .count()
    }
}

/// Compares a file with what it should hold; an update also hands back
/// what the file held.
fn file_outcome(path: &Path, contents: &str) -> (Outcome, Option<Vec<u8>>) {
    match fs::read(path) {
        Ok(existing) if existing == contents.as_bytes() => (Outcome::Unchanged, None),
        Ok(existing) => (Outcome::Updated, Some(existing)),
        Err(_) => (Outcome::Created, None),
    }
}

/// The allow-list entries of an existing manifest that a new one lacks.
fn dropped_entries(old: &[u8], new: &str) -> Vec<String> {
    let entries = |v: &serde_json::Value| -> Vec<String> {
        ["allowed_origins", "allowed_extensions"]
            .iter()
            .filter_map(|k| v.get(k).and_then(|l| l.as_array()))
            .flatten()
            .filter_map(|e| e.as_str().map(str::to_string))
            .collect()
    };
    let (Ok(old), Ok(new)) = (
        serde_json::from_slice::<serde_json::Value>(old),
        serde_json::from_str::<serde_json::Value>(new),
    ) else {
        return Vec::new();
    };
    let keep = entries(&new);
    entries(&old)
        .into_iter()
        .filter(|e| !keep.contains(e))
        .collect()
}

/// Writes a manifest or wrapper script into place, creating its
/// directory, with [`fsutil::write_atomic`].
fn write_file(
    path: &Path,
    contents: &str,
    executable: bool,
    system: bool,
) -> Result<(), InstallError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(InstallError::io(
        "creating the directory of",
        path.display().to_string(),
        system,
    ))?;
    let mode = if executable {
        Mode::Executable
    } else {
        Mode::Public
    };
    fsutil::write_atomic(path, contents.as_bytes(), &WriteOptions::replacing(mode))
        .map_err(|e| InstallError::io(e.action, e.path.display().to_string(), system)(e.source))
}

/// Installs according to `options` in `env`: writes every manifest (and
/// Flatpak wrapper, and registry value) that differs from what it should
/// be, nothing else, and reports what it did.
pub fn install(
    env: &Env,
    options: &InstallOptions,
    probe: &Probe<'_>,
) -> Result<InstallReport, InstallError> {
    let extra = parse_extension_ids(&options.extension_ids)?;
    if options.user_data_dir.is_some() && options.browsers.is_empty() {
        return Err(InstallError::UserDataDirNeedsBrowser);
    }
    let selection = if options.browsers.is_empty() {
        Selection::Detected
    } else {
        Selection::Named(&options.browsers)
    };
    let found = select(env, selection, probe)?;
    let user_data_dir = options.user_data_dir.as_deref().map(absolute);
    let targets = targets(
        env,
        &found,
        user_data_dir.as_deref(),
        options.system,
        selection != Selection::Detected,
        probe,
    )?;
    let binary = own_binary()?;
    if options.system {
        trust::system_program(&binary).map_err(|reason| InstallError::UntrustedBinary {
            binary: binary.clone(),
            reason,
        })?;
    }
    let steps = install_steps(env, &targets, &binary, &extra)?;

    // On Windows the machine-wide manifests live in a folder of
    // FactorCat's own below %ProgramData%; only administrators may write it.
    #[cfg(windows)]
    if options.system && !options.dry_run {
        let folder = env.windows_manifest_dir(true);
        if let Some(folder) = folder.parent() {
            super::acl::protect_system_folder(folder)?;
        }
    }

    let mut changes = Vec::with_capacity(steps.len());
    let mut dropped: Vec<String> = Vec::new();
    for (browsers, step) in steps {
        let change =
            match step {
                Step::File {
                    path,
                    contents,
                    executable,
                } => {
                    let (outcome, old) = file_outcome(&path, &contents);
                    if let Some(old) = old {
                        dropped.extend(dropped_entries(&old, &contents));
                    }
                    if outcome != Outcome::Unchanged && !options.dry_run {
                        write_file(&path, &contents, executable, options.system)?;
                    }
                    Change {
                        outcome,
                        what: path.display().to_string(),
                        browsers,
                        contents: Some(contents),
                    }
                }
                Step::RegValue { system, key, value } => {
                    let shown = Place::Registry {
                        system,
                        key: key.clone(),
                    }
                    .to_string();
                    let current = registry::default_value(system, &key).map_err(
                        InstallError::io("reading registry key", shown.clone(), system),
                    )?;
                    let outcome = match current {
                        Some(v) if v == value => Outcome::Unchanged,
                        Some(_) => Outcome::Updated,
                        None => Outcome::Created,
                    };
                    if outcome != Outcome::Unchanged && !options.dry_run {
                        registry::set_default_value(system, &key, &value).map_err(
                            InstallError::io("writing registry key", shown.clone(), system),
                        )?;
                    }
                    Change {
                        outcome,
                        what: format!("{shown} = {value}"),
                        browsers,
                        contents: None,
                    }
                }
            };
        changes.push(change);
    }

    let mut notes = Vec::new();
    dropped.sort();
    dropped.dedup();
    if !dropped.is_empty() {
        notes.push(InstallNote::NoLongerAllowed(dropped));
    }
    for target in &targets {
        if let Some(app_id) = target.flatpak {
            notes.push(InstallNote::Flatpak {
                labels: target.labels.clone(),
                app_id,
            });
        }
    }
    if options.user_data_dir.is_some() && targets.iter().any(|t| t.browsers.contains(&"brave")) {
        notes.push(InstallNote::BraveIgnoresUserDataDir);
    }
    if env.os == Os::Windows && options.user_data_dir.is_some() {
        notes.push(InstallNote::WindowsUsesRegistry);
    }
    if in_build_directory(&binary) {
        notes.push(InstallNote::BuildDirectory(binary));
    }
    Ok(InstallReport {
        found: (selection == Selection::Detected).then_some(found),
        changes,
        dry_run: options.dry_run,
        notes,
    })
}

/// Whether a binary lives in a Cargo build directory (`…/target/debug/…`),
/// which `cargo clean` or a rebuild would pull from under the browser.
fn in_build_directory(binary: &Path) -> bool {
    let parts: Vec<String> = binary
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts
        .windows(2)
        .any(|w| w[0] == "target" && (w[1] == "debug" || w[1] == "release"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_directories_are_recognised() {
        assert!(in_build_directory(Path::new(
            "/src/factorcat/target/debug/factorcat"
        )));
        assert!(in_build_directory(Path::new(
            "/src/factorcat/target/release/factorcat"
        )));
        assert!(!in_build_directory(Path::new(
            "/home/ann/.cargo/bin/factorcat"
        )));
        assert!(!in_build_directory(Path::new("/usr/lib/target/factorcat")));
    }

    #[test]
    fn verbatim_prefixes_are_dropped() {
        assert_eq!(
            strip_verbatim(PathBuf::from(r"\\?\C:\x\factorcat.exe")),
            PathBuf::from(r"C:\x\factorcat.exe")
        );
        assert_eq!(
            strip_verbatim(PathBuf::from("/usr/bin/factorcat")),
            PathBuf::from("/usr/bin/factorcat")
        );
    }
}
