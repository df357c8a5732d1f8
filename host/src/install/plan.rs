//! From a request to a plan: which browsers ([`select`]), which places
//! they read ([`targets`]), and the files and registry values to write
//! ([`install_steps`]).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::InstallError;
use super::flatpak::{flatpak_wrapper, flatpak_wrapper_path};
use super::manifest::{ExtensionId, FILE_NAME, HOST_NAME, render};
use super::table::{self, Env, Family, Os, Packaging, Row};

/// Where one manifest goes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Place {
    /// A lookup directory; the manifest is `<dir>/com.factorcat.host.json`.
    Dir(PathBuf),
    /// A Windows registry key (below HKCU, or HKLM when `system`) whose
    /// default value is the manifest's path.
    Registry {
        /// HKLM instead of HKCU.
        system: bool,
        /// The key, ending in `\com.factorcat.host`.
        key: String,
    },
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Place::Dir(dir) => write!(f, "{}", dir.join(FILE_NAME).display()),
            Place::Registry { system, key } => {
                write!(f, r"{}\{key}", if *system { "HKLM" } else { "HKCU" })
            }
        }
    }
}

/// One destination: a place and the browsers that read it.
#[derive(Debug, Clone)]
pub struct Target {
    /// The `--browser` names served by this place.
    pub browsers: Vec<&'static str>,
    /// The browsers' labels (for messages).
    pub labels: Vec<&'static str>,
    /// Which manifest format.
    pub family: Family,
    /// Where it goes.
    pub place: Place,
    /// A Flatpak app id, when the browser is sandboxed.
    pub flatpak: Option<&'static str>,
}

/// Why a browser was chosen.
#[derive(Debug, Clone)]
pub struct Found {
    /// The browser.
    pub row: &'static Row,
    /// What showed it is there (a path, or "NAME on PATH"), or "named" when
    /// `--browser` asked for it.
    pub evidence: String,
}

/// Which browsers a command is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection<'a> {
    /// These names (validated against the table).
    Named(&'a [String]),
    /// Every browser found on the machine.
    Detected,
    /// Every row of the OS, found or not (uninstall).
    All,
}

/// How to look at the machine; replaced in tests.
pub struct Probe<'a> {
    /// Whether a path exists.
    pub exists: &'a dyn Fn(&Path) -> bool,
    /// Whether a program is on `PATH`.
    pub on_path: &'a dyn Fn(&str) -> bool,
}

impl Probe<'static> {
    /// The real file system and `PATH`.
    pub fn real() -> Probe<'static> {
        Probe {
            exists: &|p: &Path| p.exists(),
            on_path: &program_on_path,
        }
    }
}

/// Whether `program` is an executable file in one of `PATH`'s directories.
pub fn program_on_path(program: &str) -> bool {
    let Some(path) = std::env::var_os("PATH") else {
        return false;
    };
    let suffixes: &[&str] = if cfg!(windows) { &[".exe", ""] } else { &[""] };
    std::env::split_paths(&path).any(|dir| {
        suffixes.iter().any(|s| {
            let candidate = dir.join(format!("{program}{s}"));
            candidate
                .metadata()
                .is_ok_and(|m| m.is_file() && is_executable(&m))
        })
    })
}

/// Whether a file's permissions let it be run (always true off Unix).
#[cfg(unix)]
pub(crate) fn is_executable(meta: &fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o111 != 0
}

/// Whether a file's permissions let it be run (always true off Unix).
#[cfg(not(unix))]
pub(crate) fn is_executable(_meta: &fs::Metadata) -> bool {
    true
}

/// The evidence that a row's browser is present, if any.
fn detect(row: &'static Row, env: &Env, probe: &Probe<'_>) -> Option<String> {
    for template in row.detect_paths {
        let path = env.expand(template);
        if (probe.exists)(&path) {
            return Some(path.display().to_string());
        }
    }
    row.detect_programs
        .iter()
        .find(|p| (probe.on_path)(p))
        .map(|p| format!("{p} on PATH"))
}

/// Picks the rows a command is about, with the reason for each.
pub fn select(
    env: &Env,
    selection: Selection<'_>,
    probe: &Probe<'_>,
) -> Result<Vec<Found>, InstallError> {
    let os = env.os;
    let valid = || table::names_for(os).join(", ");
    let mut found = Vec::new();
    match selection {
        Selection::Named(names) => {
            let mut canonical = Vec::new();
            for name in names {
                let c = table::canonical_name(os, name).ok_or_else(|| {
                    InstallError::UnknownBrowser {
                        name: name.clone(),
                        os,
                        valid: valid(),
                    }
                })?;
                if !canonical.contains(&c) {
                    canonical.push(c);
                }
            }
            for name in canonical {
                for row in table::rows_named(os, name) {
                    match row.packaging {
                        Packaging::Native => found.push(Found {
                            row,
                            evidence: "named".into(),
                        }),
                        // A sandboxed copy is served only when it exists.
                        Packaging::Flatpak(_) => {
                            if let Some(evidence) = detect(row, env, probe) {
                                found.push(Found { row, evidence });
                            }
                        }
                    }
                }
            }
        }
        Selection::Detected => {
            for row in table::rows_for(os) {
                if let Some(evidence) = detect(row, env, probe) {
                    found.push(Found { row, evidence });
                }
            }
            if found.is_empty() {
                return Err(InstallError::NoBrowserFound { valid: valid() });
            }
        }
        Selection::All => {
            found.extend(table::rows_for(os).map(|row| Found {
                row,
                evidence: "all".into(),
            }));
        }
    }
    Ok(found)
}

/// Turns chosen rows into destinations, merging browsers that share one.
///
/// `user_data_dir` replaces each browser's own place; `system` picks the
/// machine-wide places. With `strict` (installing named browsers), a
/// browser without a machine-wide place, or two families meeting in one
/// file, is an error; otherwise the browser is skipped there.
pub fn targets(
    env: &Env,
    found: &[Found],
    user_data_dir: Option<&Path>,
    system: bool,
    strict: bool,
    probe: &Probe<'_>,
) -> Result<Vec<Target>, InstallError> {
    let mut by_place: BTreeMap<Place, Target> = BTreeMap::new();
    for Found { row, .. } in found {
        let flatpak = match row.packaging {
            Packaging::Flatpak(id) => Some(id),
            Packaging::Native => None,
        };
        let places: Vec<Place> = if let Some(dir) = user_data_dir {
            if flatpak.is_some() {
                continue;
            }
            let sub = match (row.family, env.os) {
                (Family::Firefox, Os::Linux) => "native-messaging-hosts",
                _ => "NativeMessagingHosts",
            };
            vec![Place::Dir(dir.join(sub))]
        } else {
            let templates = if system { row.system } else { row.user };
            if templates.is_empty() {
                if system && strict && flatpak.is_none() {
                    return Err(InstallError::NoSystemPlace { label: row.label });
                }
                continue;
            }
            templates
                .iter()
                .filter(|t| !system || table::optional_place_applies(t, probe.exists))
                .map(|t| match env.os {
                    Os::Windows => Place::Registry {
                        system,
                        key: format!(r"{t}\{HOST_NAME}"),
                    },
                    _ => Place::Dir(env.expand(t)),
                })
                .collect()
        };
        for place in places {
            let target = by_place.entry(place.clone()).or_insert_with(|| Target {
                browsers: Vec::new(),
                labels: Vec::new(),
                family: row.family,
                place: place.clone(),
                flatpak,
            });
            if target.family != row.family {
                if strict {
                    return Err(InstallError::FamilyClash {
                        path: PathBuf::from(place.to_string()),
                    });
                }
                // Removing or inspecting: the first family decides.
                continue;
            }
            if !target.browsers.contains(&row.name) {
                target.browsers.push(row.name);
            }
            if !target.labels.contains(&row.label) {
                target.labels.push(row.label);
            }
        }
    }
    Ok(by_place.into_values().collect())
}

/// The file a Windows registry value points at, per family.
pub fn windows_manifest_file(env: &Env, system: bool, family: Family) -> PathBuf {
    let name = match family {
        Family::Chromium => "com.factorcat.host.chromium.json",
        Family::Firefox => "com.factorcat.host.firefox.json",
    };
    // Joined by hand so the result is a Windows path even when computed elsewhere (tests).
    PathBuf::from(format!(
        r"{}\{name}",
        env.windows_manifest_dir(system).display()
    ))
}

/// One change to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Step {
    /// Write `contents` to `path` (mode 0644, or 0755 when `executable`).
    File {
        path: PathBuf,
        contents: String,
        executable: bool,
    },
    /// Set a registry key's default value.
    RegValue {
        system: bool,
        key: String,
        value: String,
    },
}

/// The steps for installing into these targets.
pub(super) fn install_steps(
    env: &Env,
    targets: &[Target],
    binary: &Path,
    extra: &[ExtensionId],
) -> Result<Vec<(Vec<&'static str>, Step)>, InstallError> {
    let mut steps: Vec<(Vec<&'static str>, Step)> = Vec::new();
    let mut push = |browsers: &[&'static str], step: Step| {
        if let Some((names, _)) = steps.iter_mut().find(|(_, s)| *s == step) {
            names.extend(
                browsers
                    .iter()
                    .filter(|b| !names.contains(b))
                    .collect::<Vec<_>>(),
            );
        } else {
            steps.push((browsers.to_vec(), step));
        }
    };
    for target in targets {
        let program = match target.flatpak {
            Some(app_id) => {
                let wrapper = flatpak_wrapper_path(env, app_id);
                let contents = flatpak_wrapper(binary);
                push(
                    &target.browsers,
                    Step::File {
                        path: wrapper.clone(),
                        contents,
                        executable: true,
                    },
                );
                wrapper
            }
            None => binary.to_path_buf(),
        };
        let contents = render(target.family, &program.display().to_string(), extra)
            .map_err(InstallError::Template)?;
        match &target.place {
            Place::Dir(dir) => push(
                &target.browsers,
                Step::File {
                    path: dir.join(FILE_NAME),
                    contents,
                    executable: false,
                },
            ),
            Place::Registry { system, key } => {
                let file = windows_manifest_file(env, *system, target.family);
                push(
                    &target.browsers,
                    Step::File {
                        path: file.clone(),
                        contents,
                        executable: false,
                    },
                );
                let value = file.display().to_string();
                push(
                    &target.browsers,
                    Step::RegValue {
                        system: *system,
                        key: key.clone(),
                        value,
                    },
                );
            }
        }
    }
    Ok(steps)
}

pub(super) fn parse_extension_ids(ids: &[String]) -> Result<Vec<ExtensionId>, InstallError> {
    Ok(ids
        .iter()
        .map(|id| ExtensionId::parse(id))
        .collect::<Result<Vec<_>, _>>()?)
}

/// Makes a relative `--user-data-dir` absolute (browsers need absolute paths).
pub(super) fn absolute(dir: &Path) -> PathBuf {
    std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::install::flatpak_wrapper_path;

    fn probe_with<'a>(
        exists: &'a dyn Fn(&Path) -> bool,
        on_path: &'a dyn Fn(&str) -> bool,
    ) -> Probe<'a> {
        Probe { exists, on_path }
    }

    #[test]
    fn detection_uses_config_dirs_and_programs() {
        let env = Env::for_os(Os::Linux, "/home/ann");
        let exists = |p: &Path| p == Path::new("/home/ann/.config/chromium");
        let on_path = |p: &str| p == "firefox-esr";
        let found = select(&env, Selection::Detected, &probe_with(&exists, &on_path)).unwrap();
        let names: Vec<_> = found.iter().map(|f| f.row.name).collect();
        assert_eq!(names, ["chromium", "firefox"]);
        assert_eq!(found[1].evidence, "firefox-esr on PATH");
        let nothing = select(
            &env,
            Selection::Detected,
            &probe_with(&|_| false, &|_| false),
        );
        assert!(matches!(nothing, Err(InstallError::NoBrowserFound { .. })));
    }

    #[test]
    fn unknown_names_list_the_valid_ones() {
        let env = Env::for_os(Os::Linux, "/home/ann");
        let names = ["arc".to_string()];
        let err = select(
            &env,
            Selection::Named(&names),
            &probe_with(&|_| false, &|_| false),
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("\"arc\" on Linux") && text.contains("chromium, edge"),
            "{text}"
        );
    }

    #[test]
    fn flatpak_copies_join_when_present_and_share_nothing_with_native() {
        let env = Env::for_os(Os::Linux, "/home/ann");
        let exists = |p: &Path| p == Path::new("/home/ann/.var/app/org.chromium.Chromium");
        let probe = probe_with(&exists, &|_| false);
        let names = ["chromium".to_string()];
        let found = select(&env, Selection::Named(&names), &probe).unwrap();
        let list = targets(&env, &found, None, false, true, &probe).unwrap();
        assert_eq!(list.len(), 2);
        let flatpak = list.iter().find(|t| t.flatpak.is_some()).unwrap();
        assert_eq!(
            flatpak.place,
            Place::Dir(
                "/home/ann/.var/app/org.chromium.Chromium/config/chromium/NativeMessagingHosts"
                    .into()
            )
        );
        let steps = install_steps(&env, &list, Path::new("/usr/bin/factorcat"), &[]).unwrap();
        let wrapper = flatpak_wrapper_path(&env, "org.chromium.Chromium");
        assert!(steps.iter().any(
            |(_, s)| matches!(s, Step::File { path, executable: true, .. } if *path == wrapper)
        ));
    }

    #[test]
    fn shared_places_are_written_once() {
        let env = Env::for_os(Os::Linux, "/home/ann");
        let probe = probe_with(&|_| false, &|_| false);
        let names = [
            "firefox".to_string(),
            "thunderbird".to_string(),
            "waterfox".to_string(),
        ];
        let found = select(&env, Selection::Named(&names), &probe).unwrap();
        let list = targets(&env, &found, None, false, true, &probe).unwrap();
        let mozilla = list
            .iter()
            .find(|t| t.place == Place::Dir("/home/ann/.mozilla/native-messaging-hosts".into()))
            .unwrap();
        assert_eq!(mozilla.browsers, ["firefox", "thunderbird", "waterfox"]);
        assert_eq!(list.len(), 3); // ~/.mozilla, ~/.thunderbird, ~/.waterfox
    }

    #[test]
    fn system_places_and_their_absence() {
        let env = Env::for_os(Os::MacOs, "/Users/ann");
        let probe = probe_with(&|_| false, &|_| false);
        let names = ["arc".to_string()];
        let found = select(&env, Selection::Named(&names), &probe).unwrap();
        assert!(matches!(
            targets(&env, &found, None, true, true, &probe),
            Err(InstallError::NoSystemPlace { .. })
        ));
        let lib64 = |p: &Path| p == Path::new("/usr/lib64");
        let linux = Env::for_os(Os::Linux, "/home/ann");
        let names = ["firefox".to_string()];
        let found = select(&linux, Selection::Named(&names), &probe).unwrap();
        let with = targets(
            &linux,
            &found,
            None,
            true,
            true,
            &probe_with(&lib64, &|_| false),
        )
        .unwrap();
        assert_eq!(with.len(), 2);
        let without = targets(&linux, &found, None, true, true, &probe).unwrap();
        assert_eq!(without.len(), 1);
    }

    #[test]
    fn windows_installs_one_file_per_family_and_a_key_per_vendor() {
        let env = Env::for_os(Os::Windows, r"C:\Users\ann");
        let probe = probe_with(&|_| false, &|_| false);
        let names: Vec<String> = ["chrome", "brave", "edge", "firefox"]
            .map(String::from)
            .to_vec();
        let found = select(&env, Selection::Named(&names), &probe).unwrap();
        let list = targets(&env, &found, None, false, true, &probe).unwrap();
        let steps =
            install_steps(&env, &list, Path::new(r"C:\FactorCat\factorcat.exe"), &[]).unwrap();
        let keys: Vec<_> = steps
            .iter()
            .filter_map(|(_, s)| match s {
                Step::RegValue {
                    key,
                    value,
                    system: false,
                } => Some((key.as_str(), value.as_str())),
                _ => None,
            })
            .collect();
        let chromium_file = r"C:\Users\ann\AppData\Local\FactorCat\NativeMessagingHosts\com.factorcat.host.chromium.json";
        assert!(keys.contains(&(
            r"Software\Google\Chrome\NativeMessagingHosts\com.factorcat.host",
            chromium_file
        )));
        assert!(keys.contains(&(
            r"Software\Microsoft\Edge\NativeMessagingHosts\com.factorcat.host",
            chromium_file
        )));
        assert!(
            keys.iter()
                .any(|(k, v)| k.starts_with(r"Software\Mozilla\") && v.ends_with("firefox.json"))
        );
        assert_eq!(keys.len(), 3);
        assert_eq!(
            steps
                .iter()
                .filter(|(_, s)| matches!(s, Step::File { .. }))
                .count(),
            2
        );
    }

    #[test]
    fn user_data_dir_maps_families_to_their_subdirectories() {
        let env = Env::for_os(Os::Linux, "/home/ann");
        let probe = probe_with(&|_| true, &|_| false);
        let names = [
            "chromium".to_string(),
            "brave".to_string(),
            "firefox".to_string(),
        ];
        let found = select(&env, Selection::Named(&names), &probe).unwrap();
        let list = targets(&env, &found, Some(Path::new("/t/udd")), false, true, &probe).unwrap();
        let places: Vec<_> = list.iter().map(|t| t.place.clone()).collect();
        assert_eq!(
            places,
            [
                Place::Dir("/t/udd/NativeMessagingHosts".into()),
                Place::Dir("/t/udd/native-messaging-hosts".into())
            ]
        );
        // On macOS both families would meet in one file: refused.
        let mac = Env::for_os(Os::MacOs, "/Users/ann");
        let found = select(&mac, Selection::Named(&names), &probe).unwrap();
        assert!(matches!(
            targets(&mac, &found, Some(Path::new("/t/udd")), false, true, &probe),
            Err(InstallError::FamilyClash { .. })
        ));
    }
}
