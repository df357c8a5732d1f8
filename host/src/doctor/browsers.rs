//! Each browser's registration: the manifest in every place a browser
//! reads, the program it names, and what sandboxed browsers need beyond it.

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::manifest::{check_manifest_value, not_json};
use super::program::check_program;
use super::{DoctorOptions, Finding, Level, Section};
use crate::install::manifest::FILE_NAME;
use crate::install::table::{Env, Os};
use crate::install::{self, InstallError, Place, Probe, Selection, Target, registry};

/// The install command that would repair a target.
fn install_command(target: &Target, options: &DoctorOptions) -> String {
    let mut cmd = String::from("factorcat install");
    for b in &target.browsers {
        let _ = write!(cmd, " --browser {b}");
    }
    if let Some(dir) = &options.user_data_dir {
        let _ = write!(cmd, " --user-data-dir '{}'", dir.display());
    }
    if options.system {
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
    options: &DoctorOptions,
    probe: &Probe<'_>,
) -> Result<Vec<Section>, InstallError> {
    let user_data_dir = options.user_data_dir.as_deref();
    let targets = if !options.browsers.is_empty() {
        let found = install::select(env, Selection::Named(&options.browsers), probe)?;
        install::targets(env, &found, user_data_dir, options.system, false, probe)?
    } else {
        // Every browser found, plus every other place that holds a manifest.
        let found = match user_data_dir {
            Some(_) => Vec::new(),
            None => install::select(env, Selection::Detected, probe).unwrap_or_default(),
        };
        let mut list = install::targets(env, &found, user_data_dir, options.system, false, probe)?;
        let all = install::select(env, Selection::All, probe)?;
        for target in install::targets(env, &all, user_data_dir, options.system, false, probe)? {
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
        let mut findings = check_target(target, options);
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
fn check_target(target: &Target, options: &DoctorOptions) -> Vec<Finding> {
    let reinstall = install_command(target, options);
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
        options.system,
        &reinstall,
    ));
    findings
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
