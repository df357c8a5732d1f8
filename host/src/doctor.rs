//! `factorcat doctor`: checks everything the browser extension depends on —
//! each browser's host manifest, the binary it names, the keyring, the vault
//! and the clock — and prints every problem with its fix.

use std::fmt::Write as _;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::install::manifest::{ExtensionId, FILE_NAME, HOST_NAME};
use crate::install::table::{Env, Family, Os};
use crate::install::{
    self, InstallError, Place, Probe, Selection, Target, flatpak_wrapper_target, is_executable,
    registry,
};

/// `factorcat doctor`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct DoctorArgs {
    /// Check only this browser; repeatable [default: every browser found, and every place holding a
    /// FactorCat manifest].
    #[arg(long = "browser", value_name = "NAME")]
    pub browsers: Vec<String>,
    /// Check the manifests below this Chromium --user-data-dir (as `install --user-data-dir` wrote them).
    #[arg(long, value_name = "DIR", conflicts_with = "system")]
    pub user_data_dir: Option<PathBuf>,
    /// Check the machine-wide registration instead of the per-user one.
    #[arg(long)]
    pub system: bool,
}

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// All is well.
    Ok,
    /// Worth knowing; nothing is broken.
    Note,
    /// Something is wrong; the fix says what to do.
    Problem,
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// How bad.
    pub level: Level,
    /// What was found.
    pub what: String,
    /// What to do, for problems and some notes.
    pub fix: Option<String>,
}

impl Finding {
    fn ok(what: impl Into<String>) -> Finding {
        Finding {
            level: Level::Ok,
            what: what.into(),
            fix: None,
        }
    }
    fn note(what: impl Into<String>, fix: Option<String>) -> Finding {
        Finding {
            level: Level::Note,
            what: what.into(),
            fix,
        }
    }
    fn problem(what: impl Into<String>, fix: impl Into<String>) -> Finding {
        Finding {
            level: Level::Problem,
            what: what.into(),
            fix: Some(fix.into()),
        }
    }
}

/// A titled group of findings.
#[derive(Debug, Clone)]
pub struct Section {
    /// The heading.
    pub title: String,
    /// The findings.
    pub findings: Vec<Finding>,
}

/// Runs `factorcat doctor`, printing the report on standard output. Fails
/// (so the exit status is non-zero) when any problem was found.
pub fn run(args: &DoctorArgs) -> Result<(), InstallError> {
    let env = Env::current().ok_or(InstallError::NoHome)?;
    let mut sections = browser_sections(&env, args, &Probe::real())?;
    sections.push(Section {
        title: "Vault and keyring".into(),
        findings: vault_findings(),
    });
    sections.push(Section {
        title: "Clock".into(),
        findings: clock_findings(SystemTime::now(), env.os),
    });
    let text = render(&sections);
    io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .map_err(InstallError::Output)?;
    match count_problems(&sections) {
        0 => Ok(()),
        n => Err(InstallError::Problems(n)),
    }
}

/// The number of problems in a report.
pub fn count_problems(sections: &[Section]) -> usize {
    sections
        .iter()
        .flat_map(|s| &s.findings)
        .filter(|f| f.level == Level::Problem)
        .count()
}

/// Formats the report.
pub fn render(sections: &[Section]) -> String {
    let mut out = String::new();
    for section in sections {
        let _ = writeln!(out, "{}", section.title);
        for f in &section.findings {
            let tag = match f.level {
                Level::Ok => "ok",
                Level::Note => "note",
                Level::Problem => "PROBLEM",
            };
            let _ = writeln!(out, "  {tag:<8} {}", f.what);
            if let Some(fix) = &f.fix {
                let _ = writeln!(out, "  {:<8} fix: {fix}", "");
            }
        }
    }
    match count_problems(sections) {
        0 => out.push_str("No problems found.\n"),
        n => {
            let _ = writeln!(out, "{n} problem(s) found.");
        }
    }
    out
}

/// The install command that would repair a target.
fn install_command(target: &Target, args: &DoctorArgs) -> String {
    let mut cmd = String::from("factorcat install");
    for b in &target.browsers {
        let _ = write!(cmd, " --browser {b}");
    }
    if let Some(dir) = &args.user_data_dir {
        let _ = write!(cmd, " --user-data-dir '{}'", dir.display());
    }
    if args.system {
        cmd.push_str(" --system");
    }
    cmd
}

/// Whether a place holds a FactorCat manifest.
fn place_has_manifest(place: &Place) -> bool {
    match place {
        Place::Dir(dir) => dir.join(FILE_NAME).exists(),
        Place::Registry { system, key } => {
            matches!(registry::default_value(*system, key), Ok(Some(_)))
        }
    }
}

/// One section per place to check.
pub fn browser_sections(
    env: &Env,
    args: &DoctorArgs,
    probe: &Probe<'_>,
) -> Result<Vec<Section>, InstallError> {
    let user_data_dir = args.user_data_dir.as_deref();
    let targets = if !args.browsers.is_empty() {
        let found = install::select(env, Selection::Named(&args.browsers), probe)?;
        install::targets(env, &found, user_data_dir, args.system, false, probe)?
    } else {
        // Every browser found, plus every other place that holds a manifest.
        let found = match user_data_dir {
            Some(_) => Vec::new(),
            None => install::select(env, Selection::Detected, probe).unwrap_or_default(),
        };
        let mut list = install::targets(env, &found, user_data_dir, args.system, false, probe)?;
        let all = install::select(env, Selection::All, probe)?;
        for target in install::targets(env, &all, user_data_dir, args.system, false, probe)? {
            if !list.iter().any(|t| t.place == target.place) && place_has_manifest(&target.place) {
                list.push(target);
            }
        }
        list
    };

    let mut sections = Vec::new();
    if targets.is_empty() {
        sections.push(Section {
            title: "Browsers".into(),
            findings: vec![Finding::problem(
                "no browser was found, and no FactorCat manifest is installed",
                "install a browser, or run `factorcat install --browser NAME` for the one you use",
            )],
        });
    }
    for target in &targets {
        let mut findings = check_target(target, args);
        if let Some(app_id) = target.flatpak {
            findings.extend(flatpak_findings(env, app_id, probe));
        }
        let title = format!("{} — {}", target.labels.join(", "), target.place);
        sections.push(Section { title, findings });
    }
    let sandbox = sandbox_notes(env, probe);
    if !sandbox.is_empty() {
        sections.push(Section {
            title: "Sandboxed browsers".into(),
            findings: sandbox,
        });
    }
    Ok(sections)
}

/// Checks one manifest: present, valid, right keys, right ids, right program.
fn check_target(target: &Target, args: &DoctorArgs) -> Vec<Finding> {
    let reinstall = install_command(target, args);
    let file = match &target.place {
        Place::Dir(dir) => dir.join(FILE_NAME),
        Place::Registry { system, key } => match registry::default_value(*system, key) {
            Ok(Some(value)) if !value.is_empty() => PathBuf::from(value),
            Ok(_) => {
                return vec![Finding::problem(
                    format!("the registry key {} is missing or empty", target.place),
                    reinstall,
                )];
            }
            Err(e) => {
                return vec![Finding::problem(
                    format!("cannot read {}: {e}", target.place),
                    reinstall,
                )];
            }
        },
    };
    let bytes = match fs::read(&file) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return vec![Finding::problem(
                format!(
                    "no FactorCat manifest at {}; the extension cannot reach the host",
                    file.display()
                ),
                reinstall,
            )];
        }
        Err(e) => {
            return vec![Finding::problem(
                format!("cannot read {}: {e}", file.display()),
                reinstall,
            )];
        }
    };
    let (mut findings, value) = match serde_json::from_slice(&bytes) {
        Ok(value) => (check_manifest_value(&value, target.family), value),
        Err(e) => (vec![not_json(&e)], serde_json::Value::Null),
    };
    if findings.iter().any(|f| f.level == Level::Problem) {
        for f in &mut findings {
            if f.level == Level::Problem && f.fix.is_none() {
                f.fix = Some(reinstall.clone());
            }
        }
        return findings;
    }
    let program = PathBuf::from(value["path"].as_str().unwrap_or_default());
    findings.extend(check_program(
        &program,
        target.flatpak.is_some(),
        &reinstall,
    ));
    findings
}

/// Checks a manifest's contents for one family. Problems come without a
/// fix; the caller adds the reinstall command.
pub fn check_manifest(bytes: &[u8], family: Family) -> Vec<Finding> {
    match serde_json::from_slice(bytes) {
        Ok(value) => check_manifest_value(&value, family),
        Err(e) => vec![not_json(&e)],
    }
}

/// The finding for a manifest that does not parse.
fn not_json(e: &serde_json::Error) -> Finding {
    problem_without_fix(format!("the manifest is not valid JSON ({e})"))
}

/// [`check_manifest`] for a manifest already parsed.
fn check_manifest_value(value: &serde_json::Value, family: Family) -> Vec<Finding> {
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
    let own = ExtensionId::own(family).entry();
    match object.get(key).and_then(|v| v.as_array()) {
        None => findings.push(problem_without_fix(format!(
            "the manifest has no \"{key}\" list, which {family}-family browsers need"
        ))),
        Some(list) => {
            let entries: Vec<&str> = list.iter().filter_map(|v| v.as_str()).collect();
            if !entries.contains(&own.as_str()) {
                findings.push(problem_without_fix(format!(
                    "\"{key}\" does not include FactorCat's extension {own} (it lists: {})",
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
        findings.push(Finding::ok(format!("manifest is valid and allows {own}")));
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

/// Checks the program a manifest names: it exists, is executable, and is
/// factorcat (it answers `--version` like factorcat does).
fn check_program(program: &Path, flatpak: bool, reinstall: &str) -> Vec<Finding> {
    let shown = program.display();
    let meta = match fs::metadata(program) {
        Ok(m) => m,
        Err(_) => {
            return vec![Finding::problem(
                format!(
                    "the manifest's path {shown} does not exist (was factorcat moved or removed?)"
                ),
                format!("run `{reinstall}` with the factorcat you use now"),
            )];
        }
    };
    if !meta.is_file() {
        return vec![Finding::problem(
            format!("the manifest's path {shown} is not a file"),
            reinstall.to_string(),
        )];
    }
    if !is_executable(&meta) {
        return vec![Finding::problem(
            format!("the manifest's path {shown} is not executable"),
            format!("chmod +x '{shown}', or run `{reinstall}`"),
        )];
    }
    let binary = if flatpak {
        match fs::read_to_string(program)
            .ok()
            .as_deref()
            .and_then(flatpak_wrapper_target)
        {
            Some(b) => b,
            None => {
                return vec![Finding::problem(
                    format!("{shown} is not a wrapper written by factorcat install"),
                    reinstall.to_string(),
                )];
            }
        }
    } else {
        program.to_path_buf()
    };
    let mut findings = Vec::new();
    match run_with_timeout(&binary, &["--version"], Duration::from_secs(5)) {
        Ok(out) if out.starts_with("factorcat ") => {
            let version = out.trim();
            findings.push(Finding::ok(format!("{} is {version}", binary.display())));
            let own = format!("factorcat {}", env!("CARGO_PKG_VERSION"));
            if version != own {
                findings.push(Finding::note(
                    format!("the browser starts {version}, but this is {own}"),
                    Some(format!(
                        "run `{reinstall}` to switch the browser to this one"
                    )),
                ));
            }
        }
        Ok(out) => findings.push(Finding::problem(
            format!(
                "{} does not answer --version like factorcat (it said {:?})",
                binary.display(),
                out.lines().next().unwrap_or("")
            ),
            format!("run `{reinstall}` so the manifest names the factorcat binary"),
        )),
        Err(e) => findings.push(Finding::problem(
            format!("{} could not be run: {e}", binary.display()),
            format!("run `{reinstall}` so the manifest names a working factorcat binary"),
        )),
    }
    findings
}

/// Runs a program and returns its standard output, killing it after
/// `limit`.
fn run_with_timeout(program: &Path, args: &[&str], limit: Duration) -> Result<String, String> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    let deadline = Instant::now() + limit;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("it did not finish within {} s", limit.as_secs()));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(e.to_string()),
        }
    };
    let mut out = String::new();
    if let Some(mut stdout) = child.stdout.take() {
        let _ = stdout.by_ref().take(64 * 1024).read_to_string(&mut out);
    }
    if !status.success() {
        return Err(format!("it exited with {status}"));
    }
    Ok(out)
}

/// A Flatpak browser can start the wrapper only with permission to talk to
/// the Flatpak portal.
fn flatpak_findings(env: &Env, app_id: &str, probe: &Probe<'_>) -> Vec<Finding> {
    let user = env.home.join(".local/share/flatpak/overrides").join(app_id);
    let system = Path::new("/var/lib/flatpak/overrides").join(app_id);
    let allowed = [user, system].iter().any(|p| {
        (probe.exists)(p)
            && fs::read_to_string(p).is_ok_and(|t| {
                t.lines()
                    .any(|l| l.trim() == "org.freedesktop.Flatpak=talk")
            })
    });
    if allowed {
        vec![Finding::ok(format!(
            "{app_id} may start programs outside its sandbox (flatpak-spawn --host)"
        ))]
    } else {
        vec![Finding::problem(
            format!("{app_id} runs in a Flatpak sandbox and may not start FactorCat outside it"),
            format!("flatpak override --user --talk-name=org.freedesktop.Flatpak {app_id}"),
        )]
    }
}

/// What sandboxed browsers need beyond the manifest.
fn sandbox_notes(env: &Env, probe: &Probe<'_>) -> Vec<Finding> {
    if env.os != Os::Linux {
        return Vec::new();
    }
    let mut notes = Vec::new();
    let has = |rel: &str| (probe.exists)(&env.home.join(rel));
    for (app, label) in [
        ("org.mozilla.firefox", "Firefox"),
        ("org.mozilla.Thunderbird", "Thunderbird"),
    ] {
        if has(&format!(".var/app/{app}")) {
            notes.push(Finding::note(
                format!("{label} is installed as a Flatpak ({app}); it reaches native hosts only from version 157 on, \
                         through xdg-native-messaging-proxy, which reads the normal ~/.mozilla place"),
                Some("install xdg-native-messaging-proxy and enable its user service, or use a non-Flatpak build".into()),
            ));
        }
    }
    if has("snap/firefox") {
        notes.push(Finding::note(
            "Firefox is a Snap; it reaches native hosts through the WebExtensions portal, which reads ~/.mozilla",
            None,
        ));
    }
    if has("snap/chromium") {
        notes.push(Finding::note(
            "Chromium is a Snap; its confinement may stop it from starting FactorCat",
            Some("if the extension reports that the host was not found, use a non-Snap Chromium or Chrome".into()),
        ));
    }
    notes
}

/// The vault and the keyring that unlocks it.
fn vault_findings() -> Vec<Finding> {
    use crate::vault::{Unlock, Vault, VaultStatus};
    let vault = match Vault::locate() {
        Ok(v) => v,
        Err(e) => {
            return vec![Finding::problem(
                format!("cannot tell where the vault is: {e}"),
                "set FACTORCAT_HOME to the vault directory",
            )];
        }
    };
    let file = vault.file().display().to_string();
    let (has_keyring_slot, has_passphrase_slot) = match vault.status() {
        VaultStatus::Missing => {
            return vec![Finding::note(
                format!(
                    "there is no vault yet at {file} (the keyring is checked once there is one)"
                ),
                Some("add a token with `factorcat add`, which creates it".into()),
            )];
        }
        VaultStatus::Unreadable { reason } => {
            return vec![Finding::problem(
                format!("the vault at {file} cannot be used: {reason}"),
                format!(
                    "it is never overwritten; restore the previous generation ({}) or a backup, \
                     or upgrade factorcat if a newer version wrote it",
                    vault.prev_file().display()
                ),
            )];
        }
        VaultStatus::Present {
            has_keyring_slot,
            has_passphrase_slot,
        } => (has_keyring_slot, has_passphrase_slot),
    };
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    let mut findings = vec![Finding::ok(format!(
        "the vault at {file} is intact (keyring slot: {}, passphrase slot: {})",
        yes_no(has_keyring_slot),
        yes_no(has_passphrase_slot)
    ))];
    // Unlock for real, bypassing the short-lived key cache, so that the
    // keyring itself is what gets tested.
    let finding = match vault.with_key_cache(false).read(&Unlock::from_env()) {
        Ok(data) => Finding::ok(format!(
            "the vault opens{} ({} token(s))",
            if has_keyring_slot {
                " with the OS keyring"
            } else {
                ""
            },
            data.tokens.len()
        )),
        Err(e) => {
            let (level, fix) = match e.code() {
                "keyring_locked" => (
                    Level::Problem,
                    "unlock the OS keyring (log in to the desktop session, or unlock the \"login\" \
                     keyring in Seahorse); the browser extension gets no codes until then",
                ),
                "keyring_unavailable" if has_passphrase_slot => (
                    Level::Problem,
                    "start a Secret Service in this session (gnome-keyring-daemon, or KeePassXC with \
                     its Secret Service integration), or set FACTORCAT_PASSPHRASE",
                ),
                "keyring_unavailable" => (
                    Level::Problem,
                    "start a Secret Service in this session (gnome-keyring-daemon, or KeePassXC with \
                     its Secret Service integration); once it opens, consider `factorcat passphrase` \
                     for a recovery passphrase",
                ),
                "passphrase_required" if !has_keyring_slot => (
                    Level::Note,
                    "this vault opens with its passphrase only: set FACTORCAT_PASSPHRASE, \
                     or enter it when asked",
                ),
                "wrong_passphrase" => (
                    Level::Problem,
                    "FACTORCAT_PASSPHRASE is not this vault's passphrase",
                ),
                "vault_corrupt" | "vault_version" => (
                    Level::Problem,
                    "the file is never overwritten; restore the previous generation or a backup, \
                     or upgrade factorcat if a newer version wrote it",
                ),
                _ => (Level::Problem, "follow the advice in the message"),
            };
            Finding {
                level,
                what: format!("the vault does not open: {e}"),
                fix: Some(fix.into()),
            }
        }
    };
    findings.push(finding);
    findings
}

/// 2024-01-01T00:00:00Z: a clock before this is certainly wrong.
const SANE_EPOCH: u64 = 1_704_067_200;

/// The clock: codes are only right when the time is.
pub fn clock_findings(now: SystemTime, os: Os) -> Vec<Finding> {
    let mut findings = Vec::new();
    let secs = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    if secs < SANE_EPOCH {
        findings.push(Finding::problem(
            format!("the system clock says {secs} s since 1970, before 2024-01-01; every code will be wrong"),
            "set the date and time, and enable time synchronisation (e.g. `timedatectl set-ntp true`)",
        ));
    } else {
        findings.push(Finding::ok(format!(
            "the system clock is plausible ({secs} s since 1970)"
        )));
    }
    if os == Os::Linux && install::program_on_path("timedatectl") {
        let answer = run_with_timeout(
            Path::new("timedatectl"),
            &["show", "--property=NTPSynchronized", "--value"],
            Duration::from_secs(3),
        );
        match answer.as_deref().map(str::trim) {
            Ok("yes") => findings.push(Finding::ok("the clock is synchronised (timedatectl: NTPSynchronized=yes)")),
            Ok("no") => findings.push(Finding::note(
                "the clock is not synchronised (timedatectl: NTPSynchronized=no); codes fail once it drifts ~30 s",
                Some("enable time synchronisation: `timedatectl set-ntp true`".into()),
            )),
            _ => findings.push(Finding::note(
                "the synchronisation status is unknown (`timedatectl show` did not answer)",
                None,
            )),
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::install::manifest::{chromium_extension_id, render as render_manifest};

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

    #[test]
    fn a_clock_before_2024_is_a_problem() {
        let then = UNIX_EPOCH + Duration::from_secs(1_600_000_000);
        assert_eq!(clock_findings(then, Os::MacOs)[0].level, Level::Problem);
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        assert_eq!(clock_findings(now, Os::MacOs)[0].level, Level::Ok);
    }

    #[test]
    fn report_counts_problems() {
        let sections = vec![Section {
            title: "x".into(),
            findings: vec![
                Finding::ok("a"),
                Finding::problem("b", "do c"),
                Finding::note("d", None),
            ],
        }];
        assert_eq!(count_problems(&sections), 1);
        let text = render(&sections);
        assert!(
            text.contains("PROBLEM  b\n")
                && text.contains("fix: do c")
                && text.ends_with("1 problem(s) found.\n")
        );
    }
}
