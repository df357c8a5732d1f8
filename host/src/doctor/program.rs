//! The program a manifest names: present, executable, and factorcat.

use std::fs;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::Finding;
use crate::install::{flatpak_wrapper_target, is_executable};

/// Checks the program a manifest names: it exists, is executable, and is
/// factorcat (it answers `--version` like factorcat does).
pub(super) fn check_program(program: &Path, flatpak: bool, reinstall: &str) -> Vec<Finding> {
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
