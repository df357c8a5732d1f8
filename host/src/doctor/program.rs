//! The program a manifest names: present, executable, and factorcat.

use std::fs;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::Finding;
use crate::install::{flatpak_wrapper_target, is_executable, trust};

/// Checks the program a manifest names: it exists, is executable, and is
/// factorcat (it answers `--version` like factorcat does). For a
/// machine-wide manifest (`system`) it must also be a program only root can
/// replace (see [`trust`]); one that is not is reported and never run.
pub(super) fn check_program(
    program: &Path,
    flatpak: bool,
    system: bool,
    reinstall: &str,
) -> Vec<Finding> {
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
    if system {
        let checked = trust::system_program(program).and_then(|()| {
            if flatpak {
                trust::system_program(&binary)
            } else {
                Ok(())
            }
        });
        if let Err(reason) = checked {
            return vec![Finding::problem(
                format!(
                    "every user's browser starts {}, which someone other than root could replace: {reason}",
                    binary.display()
                ),
                format!(
                    "put a copy where only root can change it and register that copy: {}",
                    trust::safe_copy_commands(&binary)
                ),
            )];
        }
    }
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
pub(super) fn run_with_timeout(
    program: &Path,
    args: &[&str],
    limit: Duration,
) -> Result<String, String> {
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

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    use super::*;
    use crate::doctor::Level;

    /// For a machine-wide manifest, a program someone other than root can
    /// replace is a problem, named with where to put it, and is never run
    /// (doctor --system usually runs as root). A root-owned program is
    /// judged by its answer alone.
    #[test]
    fn machine_wide_manifests_need_a_program_only_root_can_replace() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("ran");
        let program = dir.path().join("factorcat");
        fs::write(
            &program,
            format!(
                "#!/bin/sh\ntouch '{}'\necho factorcat 0.0.0\n",
                marker.display()
            ),
        )
        .unwrap();
        fs::set_permissions(&program, fs::Permissions::from_mode(0o755)).unwrap();
        if fs::metadata(&program).unwrap().uid() == 0 {
            // Running as root: make the script the `nobody` user's.
            std::os::unix::fs::chown(&program, Some(65534), None).unwrap();
        }
        let owner = fs::metadata(&program).unwrap().uid();

        let findings = check_program(&program, false, true, "factorcat install --system");
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].level, Level::Problem);
        assert_eq!(
            findings[0].what,
            format!(
                "every user's browser starts {0}, which someone other than root could replace: \
                 {0} is owned by user id {owner}, not by root",
                program.display()
            )
        );
        assert!(
            findings[0]
                .fix
                .as_deref()
                .unwrap()
                .contains("sudo /usr/local/bin/factorcat install --system"),
            "{findings:?}"
        );
        assert!(!marker.exists(), "doctor ran a program others can replace");

        // The same program in a per-user manifest is run and judged.
        let findings = check_program(&program, false, false, "factorcat install");
        assert!(marker.exists());
        assert!(
            findings[0].what.contains("is factorcat 0.0.0"),
            "{findings:?}"
        );

        // A root-owned program (the system's own `true`) passes the
        // ownership check and is then judged by its answer.
        let truth = Path::new("/bin/true");
        let findings = check_program(truth, false, true, "factorcat install --system");
        assert!(
            findings.iter().all(|f| !f.what.contains("other than root")),
            "{findings:?}"
        );
        assert!(
            findings[0]
                .what
                .contains("does not answer --version like factorcat"),
            "{findings:?}"
        );
    }
}
