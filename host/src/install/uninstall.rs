//! Removing FactorCat's manifests, Flatpak wrappers and registry keys, and
//! nothing else.

use std::fmt::Write as _;
use std::fs;
use std::io::{self, Write};
use std::path::PathBuf;

use super::manifest::FILE_NAME;
use super::plan::absolute;
use super::table::{Env, Family, Os, Packaging};
use super::{
    InstallError, Place, Probe, Selection, UninstallArgs, flatpak_wrapper_path, registry, select,
    targets, windows_manifest_file,
};

/// Runs `factorcat uninstall`, reporting on standard output.
pub fn run_uninstall(args: &UninstallArgs) -> Result<(), InstallError> {
    let env = Env::current().ok_or(InstallError::NoHome)?;
    uninstall(&env, args, &Probe::real(), &mut io::stdout().lock())
}

/// Removes FactorCat's manifests (and Flatpak wrappers, and registry keys)
/// from the places of the chosen browsers; nothing else is touched.
pub fn uninstall(
    env: &Env,
    args: &UninstallArgs,
    probe: &Probe<'_>,
    out: &mut dyn Write,
) -> Result<(), InstallError> {
    let selection = if args.browsers.is_empty() {
        Selection::All
    } else {
        Selection::Named(&args.browsers)
    };
    let mut found = select(env, selection, probe)?;
    if args.user_data_dir.is_some() && args.browsers.is_empty() {
        // Both families' directories below DIR.
        found.retain(|f| f.row.packaging == Packaging::Native);
    }
    let user_data_dir = args.user_data_dir.as_deref().map(absolute);
    let targets = targets(
        env,
        &found,
        user_data_dir.as_deref(),
        args.system,
        false,
        probe,
    )?;

    let mut files: Vec<PathBuf> = Vec::new();
    let mut keys: Vec<(bool, String)> = Vec::new();
    for target in &targets {
        match &target.place {
            Place::Dir(dir) => files.push(dir.join(FILE_NAME)),
            Place::Registry { system, key } => keys.push((*system, key.clone())),
        }
        if let Some(app_id) = target.flatpak {
            files.push(flatpak_wrapper_path(env, app_id));
        }
    }
    if env.os == Os::Windows && args.browsers.is_empty() && args.user_data_dir.is_none() {
        for family in [Family::Chromium, Family::Firefox] {
            files.push(windows_manifest_file(env, args.system, family));
        }
    }
    files.dedup();
    keys.dedup();

    let mut report = String::new();
    let mut removed = 0;
    let verb = if args.dry_run {
        "would remove"
    } else {
        "removed"
    };
    for (system, key) in &keys {
        let shown = Place::Registry {
            system: *system,
            key: key.clone(),
        }
        .to_string();
        let present = registry::default_value(*system, key)
            .map_err(InstallError::io(
                "reading registry key",
                shown.clone(),
                *system,
            ))?
            .is_some();
        if present {
            if !args.dry_run {
                registry::delete_key(*system, key).map_err(InstallError::io(
                    "deleting registry key",
                    shown.clone(),
                    *system,
                ))?;
            }
            removed += 1;
            let _ = writeln!(report, "{verb:<12} {shown}");
        }
    }
    for file in &files {
        if fs::symlink_metadata(file).is_ok() {
            if !args.dry_run {
                fs::remove_file(file).map_err(InstallError::io(
                    "removing",
                    file.display().to_string(),
                    args.system,
                ))?;
            }
            removed += 1;
            let _ = writeln!(report, "{verb:<12} {}", file.display());
        }
    }
    if removed == 0 {
        let _ = writeln!(
            report,
            "Nothing to remove: no FactorCat manifest was found in those places."
        );
    } else if !args.browsers.is_empty() {
        // Places are shared (e.g. ~/.mozilla by Firefox and Thunderbird,
        // one registry key by Chrome and Brave): say who else lost access.
        let all = select(env, Selection::All, probe)?;
        let everyone = self::targets(
            env,
            &all,
            user_data_dir.as_deref(),
            args.system,
            false,
            probe,
        )?;
        let mut others: Vec<&str> = Vec::new();
        for target in &targets {
            if let Some(shared) = everyone.iter().find(|t| t.place == target.place) {
                for name in &shared.browsers {
                    if !target.browsers.contains(name) && !others.contains(name) {
                        others.push(name);
                    }
                }
            }
        }
        if !others.is_empty() {
            let _ = writeln!(
                report,
                "Note: {} read the same places; run `factorcat install` for any still in use.",
                others.join(", ")
            );
        }
    }
    out.write_all(report.as_bytes())
        .map_err(InstallError::Output)
}
