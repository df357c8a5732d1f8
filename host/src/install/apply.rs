//! Carrying an install out: write only the files and registry values that
//! differ, atomically, and report what changed.

use std::fmt::Write as _;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::plan::{Step, absolute, install_steps, parse_extension_ids};
use super::table::{Env, Os};
use super::{Found, InstallArgs, InstallError, Place, Probe, Selection, registry, select, targets};

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

/// What became of a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Unchanged,
    Created,
    Updated,
}

impl Outcome {
    fn word(self, dry_run: bool) -> &'static str {
        match (self, dry_run) {
            (Outcome::Unchanged, _) => "unchanged",
            (Outcome::Created, false) => "created",
            (Outcome::Updated, false) => "updated",
            (Outcome::Created, true) => "would create",
            (Outcome::Updated, true) => "would update",
        }
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

/// Writes a file atomically: a temporary file in the same directory, its
/// permissions set, synced, then renamed over the old one.
fn write_atomically(
    path: &Path,
    contents: &str,
    executable: bool,
    system: bool,
) -> Result<(), InstallError> {
    let shown = path.display().to_string();
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(InstallError::io(
        "creating the directory of",
        shown.clone(),
        system,
    ))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".factorcat-")
        .tempfile_in(dir)
        .map_err(InstallError::io(
            "creating a temporary file next to",
            shown.clone(),
            system,
        ))?;
    tmp.write_all(contents.as_bytes())
        .map_err(InstallError::io("writing", shown.clone(), system))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = if executable { 0o755 } else { 0o644 };
        fs::set_permissions(tmp.path(), fs::Permissions::from_mode(mode)).map_err(
            InstallError::io("setting the permissions of", shown.clone(), system),
        )?;
    }
    #[cfg(not(unix))]
    let _ = executable;
    tmp.as_file()
        .sync_all()
        .map_err(InstallError::io("syncing", shown.clone(), system))?;
    tmp.persist(path)
        .map_err(|e| InstallError::io("replacing", shown, system)(e.error))?;
    Ok(())
}

/// Describes what selection found, for the report.
fn describe_found(found: &[Found]) -> String {
    let mut text = String::new();
    for f in found {
        let _ = writeln!(
            text,
            "  {:<14} {} ({})",
            f.row.name, f.row.label, f.evidence
        );
    }
    text
}

/// Runs `factorcat install`, reporting on standard output.
pub fn run_install(args: &InstallArgs) -> Result<(), InstallError> {
    let env = Env::current().ok_or(InstallError::NoHome)?;
    install(&env, args, &Probe::real(), &mut io::stdout().lock())
}

/// Installs according to `args` in `env`, reporting on `out`.
pub fn install(
    env: &Env,
    args: &InstallArgs,
    probe: &Probe<'_>,
    out: &mut dyn Write,
) -> Result<(), InstallError> {
    let extra = parse_extension_ids(&args.extension_ids)?;
    if args.user_data_dir.is_some() && args.browsers.is_empty() {
        return Err(InstallError::UserDataDirNeedsBrowser);
    }
    let selection = if args.browsers.is_empty() {
        Selection::Detected
    } else {
        Selection::Named(&args.browsers)
    };
    let found = select(env, selection, probe)?;
    let user_data_dir = args.user_data_dir.as_deref().map(absolute);
    let targets = targets(
        env,
        &found,
        user_data_dir.as_deref(),
        args.system,
        selection != Selection::Detected,
        probe,
    )?;
    let binary = own_binary()?;
    let steps = install_steps(env, &targets, &binary, &extra)?;

    let mut report = String::new();
    if selection == Selection::Detected {
        let _ = writeln!(report, "Browsers found:\n{}", describe_found(&found));
    }
    let mut changed = 0;
    let mut dropped: Vec<String> = Vec::new();
    for (browsers, step) in &steps {
        let (outcome, shown) =
            match step {
                Step::File {
                    path,
                    contents,
                    executable,
                } => {
                    let (outcome, old) = file_outcome(path, contents);
                    if let Some(old) = old {
                        dropped.extend(dropped_entries(&old, contents));
                    }
                    if outcome != Outcome::Unchanged && !args.dry_run {
                        write_atomically(path, contents, *executable, args.system)?;
                    }
                    (outcome, path.display().to_string())
                }
                Step::RegValue { system, key, value } => {
                    let shown = Place::Registry {
                        system: *system,
                        key: key.clone(),
                    }
                    .to_string();
                    let current = registry::default_value(*system, key).map_err(
                        InstallError::io("reading registry key", shown.clone(), *system),
                    )?;
                    let outcome = match current {
                        Some(v) if v == *value => Outcome::Unchanged,
                        Some(_) => Outcome::Updated,
                        None => Outcome::Created,
                    };
                    if outcome != Outcome::Unchanged && !args.dry_run {
                        registry::set_default_value(*system, key, value).map_err(
                            InstallError::io("writing registry key", shown.clone(), *system),
                        )?;
                    }
                    (outcome, format!("{shown} = {value}"))
                }
            };
        if outcome != Outcome::Unchanged {
            changed += 1;
        }
        let _ = writeln!(
            report,
            "{:<12} {shown}  [{}]",
            outcome.word(args.dry_run),
            browsers.join(", ")
        );
        if args.dry_run
            && outcome != Outcome::Unchanged
            && let Step::File { contents, .. } = step
        {
            for line in contents.lines() {
                let _ = writeln!(report, "    | {line}");
            }
        }
    }
    if changed == 0 {
        let _ = writeln!(
            report,
            "Nothing changed: FactorCat was already installed for these browsers."
        );
    } else if args.dry_run {
        let _ = writeln!(
            report,
            "Dry run: {changed} change(s) would be made; nothing was written."
        );
    } else {
        let _ = writeln!(
            report,
            "Done: {changed} change(s). Restart the browsers if they were running."
        );
    }
    dropped.sort();
    dropped.dedup();
    if !dropped.is_empty() {
        let _ = writeln!(
            report,
            "Note: no longer allowed: {}; pass --extension-id for each id that should stay.",
            dropped.join(", ")
        );
    }
    for target in targets.iter().filter(|t| t.flatpak.is_some()) {
        let app = target.flatpak.unwrap_or_default();
        let _ = writeln!(
            report,
            "Note: {} runs in a Flatpak sandbox; let it start FactorCat outside the sandbox with:\n    \
             flatpak override --user --talk-name=org.freedesktop.Flatpak {app}",
            target.labels.join(", ")
        );
    }
    if args.user_data_dir.is_some() && targets.iter().any(|t| t.browsers.contains(&"brave")) {
        let _ = writeln!(
            report,
            "Note: Brave reads native-messaging manifests from its default directory even with --user-data-dir."
        );
    }
    if env.os == Os::Windows && args.user_data_dir.is_some() {
        let _ = writeln!(
            report,
            "Note: on Windows browsers find hosts through the registry; --user-data-dir only writes files."
        );
    }
    if in_build_directory(&binary) {
        let _ = writeln!(
            report,
            "Note: the manifests name {}, in a build directory; after `cargo install --path host`, \
             run `factorcat install` again from the installed binary.",
            binary.display()
        );
    }
    out.write_all(report.as_bytes())
        .map_err(InstallError::Output)
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
