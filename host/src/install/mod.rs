//! `factorcat install` and `factorcat uninstall`: register the `factorcat`
//! binary as the native-messaging host `com.factorcat.host` with browsers.
//!
//! The work is split so most of it is testable without touching a real
//! machine: [`table`] says where each browser looks, [`manifest`] renders the
//! two manifest formats, [`select`] and [`targets`] turn a request into
//! destinations, and
//! [`run_install`] / [`run_uninstall`] carry the plan out (only writing what
//! differs, so a second run changes nothing).

pub mod manifest;
pub(crate) mod registry;
pub mod table;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use manifest::{ExtensionId, FILE_NAME, HOST_NAME, render};
use table::{Env, Family, Os, Packaging, Row};

/// `factorcat install`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct InstallArgs {
    /// A browser to register with; repeatable [default: every browser found on this machine].
    /// Names: chrome, chrome-beta, chrome-dev (chrome-unstable), chrome-canary, chromium, edge, brave,
    /// vivaldi, opera, arc (macOS, Windows), firefox, librewolf, waterfox, thunderbird.
    #[arg(long = "browser", value_name = "NAME")]
    pub browsers: Vec<String>,
    /// Write into DIR/NativeMessagingHosts/ (a Chromium --user-data-dir) instead of the browser's own
    /// place; Firefox-family browsers get DIR/native-messaging-hosts/ (DIR standing for ~/.mozilla).
    #[arg(long, value_name = "DIR", conflicts_with = "system")]
    pub user_data_dir: Option<PathBuf>,
    /// Register for every user of the machine (needs root or administrator rights).
    #[arg(long)]
    pub system: bool,
    /// Also allow this extension (a store's Chromium id, or a Firefox add-on id); repeatable.
    #[arg(long = "extension-id", value_name = "ID")]
    pub extension_ids: Vec<String>,
    /// Print what would be written, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `factorcat uninstall`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct UninstallArgs {
    /// A browser to unregister from; repeatable [default: all of them].
    #[arg(long = "browser", value_name = "NAME")]
    pub browsers: Vec<String>,
    /// Remove from DIR/NativeMessagingHosts/ (and DIR/native-messaging-hosts/) instead.
    #[arg(long, value_name = "DIR", conflicts_with = "system")]
    pub user_data_dir: Option<PathBuf>,
    /// Remove the machine-wide registration (needs root or administrator rights).
    #[arg(long)]
    pub system: bool,
    /// Print what would be removed, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// What can go wrong while installing, uninstalling or checking.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// `--browser` named something this OS does not have.
    #[error("there is no browser called \"{name}\" on {os}; valid names: {valid}")]
    UnknownBrowser {
        /// What was given.
        name: String,
        /// The running OS.
        os: Os,
        /// The valid names, comma separated.
        valid: String,
    },
    /// Nothing to install into, and nothing named.
    #[error(
        "no supported browser was found on this machine; name one with --browser (valid names: {valid})"
    )]
    NoBrowserFound {
        /// The valid names, comma separated.
        valid: String,
    },
    /// `--user-data-dir` without `--browser`.
    #[error(
        "--user-data-dir needs --browser to say which browser's manifest to write, e.g. --browser chromium"
    )]
    UserDataDirNeedsBrowser,
    /// `--system` for a browser that has no machine-wide lookup place.
    #[error(
        "{label} has no machine-wide place for native-messaging hosts; install it without --system"
    )]
    NoSystemPlace {
        /// The browser.
        label: &'static str,
    },
    /// Two browsers of different families would share one manifest file.
    #[error(
        "{path} would have to hold both the Chromium and the Firefox manifest; \
         install the two families in separate runs with different --user-data-dir"
    )]
    FamilyClash {
        /// The contested file.
        path: PathBuf,
    },
    /// A bad `--extension-id`.
    #[error(transparent)]
    ExtensionId(#[from] manifest::BadExtensionId),
    /// The home directory is unknown.
    #[error("cannot tell where the home directory is; set HOME (USERPROFILE on Windows) and retry")]
    NoHome,
    /// The running binary's own path is unknown.
    #[error(
        "cannot find the path of the running factorcat binary ({0}); run it from where it is installed"
    )]
    CurrentExe(io::Error),
    /// A template failed to render (a build defect).
    #[error("the built-in manifest template is broken ({0}); please report this")]
    Template(serde_json::Error),
    /// A file or registry operation failed.
    #[error("{action} {target}: {source}{hint}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or registry key.
        target: String,
        /// The cause.
        source: io::Error,
        /// What to do about it.
        hint: &'static str,
    },
    /// Writing the report failed.
    #[error("writing to standard output: {0}")]
    Output(io::Error),
    /// `factorcat doctor` found problems.
    #[error("doctor found {0} problem(s), each listed above with its fix")]
    Problems(usize),
}

impl InstallError {
    fn io(
        action: &'static str,
        target: impl Into<String>,
        system: bool,
    ) -> impl FnOnce(io::Error) -> InstallError {
        let target = target.into();
        move |source| {
            let hint = match source.kind() {
                io::ErrorKind::PermissionDenied if system => {
                    "; machine-wide places need root: rerun with sudo (or as Administrator)"
                }
                io::ErrorKind::PermissionDenied => {
                    "; check the owner and permissions of that directory"
                }
                _ => "",
            };
            InstallError::Io {
                action,
                target,
                source,
                hint,
            }
        }
    }
}

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

/// Where the wrapper script for a Flatpak browser lives: inside the app's
/// own `~/.var/app/<id>` directory, which the sandbox sees at the same path.
pub fn flatpak_wrapper_path(env: &Env, app_id: &str) -> PathBuf {
    env.home
        .join(".var/app")
        .join(app_id)
        .join("data/factorcat/factorcat-host")
}

/// The wrapper script: the sandbox cannot run host programs, so it asks
/// Flatpak to start the real binary outside it.
pub fn flatpak_wrapper(binary: &Path) -> String {
    let quoted = binary.display().to_string().replace('\'', r"'\''");
    format!(
        "#!/bin/sh\n# Written by `factorcat install`: starts the FactorCat native-messaging host outside\n\
         # the Flatpak sandbox. Needs: flatpak override --user --talk-name=org.freedesktop.Flatpak <app-id>\n\
         exec flatpak-spawn --host '{quoted}' \"$@\"\n"
    )
}

/// The binary named by a wrapper written by [`flatpak_wrapper`].
pub fn flatpak_wrapper_target(script: &str) -> Option<PathBuf> {
    let line = script
        .lines()
        .find(|l| l.starts_with("exec flatpak-spawn --host '"))?;
    let rest = line.strip_prefix("exec flatpak-spawn --host '")?;
    let end = rest.rfind("' \"$@\"")?;
    Some(PathBuf::from(rest[..end].replace(r"'\''", "'")))
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
enum Step {
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

/// The steps for installing into these targets.
fn install_steps(
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

fn parse_extension_ids(ids: &[String]) -> Result<Vec<ExtensionId>, InstallError> {
    Ok(ids
        .iter()
        .map(|id| ExtensionId::parse(id))
        .collect::<Result<Vec<_>, _>>()?)
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

/// Makes a relative `--user-data-dir` absolute (browsers need absolute paths).
fn absolute(dir: &Path) -> PathBuf {
    std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf())
}

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

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn wrapper_round_trips_awkward_paths() {
        let path = Path::new("/home/o'brien/bin/factor cat");
        let script = flatpak_wrapper(path);
        assert!(script.starts_with("#!/bin/sh\n"));
        assert_eq!(flatpak_wrapper_target(&script).as_deref(), Some(path));
    }

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
