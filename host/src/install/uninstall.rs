//! Removing FactorCat's manifests, Flatpak wrappers and registry keys, and
//! nothing else.

use std::fs;
use std::path::PathBuf;

use super::manifest::FILE_NAME;
use super::plan::absolute;
use super::table::{Env, Family, Os, Packaging};
use super::{
    InstallError, Place, Probe, Selection, UninstallOptions, flatpak_wrapper_path, registry,
    select, targets, windows_manifest_file,
};

/// What an uninstall removed, or would remove on a dry run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UninstallReport {
    /// The registry keys, then the files, that were (or would be) removed.
    pub removed: Vec<String>,
    /// Nothing was removed.
    pub dry_run: bool,
    /// Other browsers that read the same places, and so lost FactorCat too
    /// (only when browsers were named).
    pub also_affected: Vec<&'static str>,
}

/// Removes FactorCat's manifests (and Flatpak wrappers, and registry keys)
/// from the places of the chosen browsers; nothing else is touched.
pub fn uninstall(
    env: &Env,
    options: &UninstallOptions,
    probe: &Probe<'_>,
) -> Result<UninstallReport, InstallError> {
    let selection = if options.browsers.is_empty() {
        Selection::All
    } else {
        Selection::Named(&options.browsers)
    };
    let mut found = select(env, selection, probe)?;
    if options.user_data_dir.is_some() && options.browsers.is_empty() {
        // Both families' directories below DIR.
        found.retain(|f| f.row.packaging == Packaging::Native);
    }
    let user_data_dir = options.user_data_dir.as_deref().map(absolute);
    let targets = targets(
        env,
        &found,
        user_data_dir.as_deref(),
        options.system,
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
    if env.os == Os::Windows && options.browsers.is_empty() && options.user_data_dir.is_none() {
        for family in [Family::Chromium, Family::Firefox] {
            files.push(windows_manifest_file(env, options.system, family));
        }
    }
    files.dedup();
    keys.dedup();

    let mut removed: Vec<String> = Vec::new();
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
            if !options.dry_run {
                registry::delete_key(*system, key).map_err(InstallError::io(
                    "deleting registry key",
                    shown.clone(),
                    *system,
                ))?;
            }
            removed.push(shown);
        }
    }
    for file in &files {
        if fs::symlink_metadata(file).is_ok() {
            if !options.dry_run {
                fs::remove_file(file).map_err(InstallError::io(
                    "removing",
                    file.display().to_string(),
                    options.system,
                ))?;
            }
            removed.push(file.display().to_string());
        }
    }
    let mut also_affected: Vec<&'static str> = Vec::new();
    if !removed.is_empty() && !options.browsers.is_empty() {
        // Places are shared (e.g. ~/.mozilla by Firefox and Thunderbird,
        // one registry key by Chrome and Brave): say who else lost access.
        let all = select(env, Selection::All, probe)?;
        let everyone = self::targets(
            env,
            &all,
            user_data_dir.as_deref(),
            options.system,
            false,
            probe,
        )?;
        for target in &targets {
            if let Some(shared) = everyone.iter().find(|t| t.place == target.place) {
                for name in &shared.browsers {
                    if !target.browsers.contains(name) && !also_affected.contains(name) {
                        also_affected.push(name);
                    }
                }
            }
        }
    }
    Ok(UninstallReport {
        removed,
        dry_run: options.dry_run,
        also_affected,
    })
}
