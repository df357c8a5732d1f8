//! The test scripts' shared shell functions (`scripts/lib.sh`), run by bash
//! as the scripts run them.
//!
//! * `cargo_target_dir_is_where_cargo_builds`: the host binary the
//!   end-to-end tests start is looked for where cargo puts it —
//!   `CARGO_TARGET_DIR`, a cargo config's `build.target-dir` — not in a
//!   hard-coded `target/`; and no script names `target/debug` or
//!   `target/release` itself.
//! * `a_missing_host_binary_is_named_as_missing`: a binary that is not
//!   there is called missing, not "does not answer as a native-messaging
//!   host"; one that cannot be run is called that.
//! * `private_sessions_keep_the_fd_limit_warning_out`: the private D-Bus
//!   session the tests run in does not print dbus-daemon's "Failed to set
//!   fd limit" warning (root without the right to raise limits, as in
//!   containers), and still serves a working, unlocked Secret Service.

use crate::support::keyring::keyring_tests_enabled;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository's root (the host crate's parent).
fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// `bash -c '. scripts/lib.sh; SCRIPT'` in the repository's root.
fn lib_sh(script: &str) -> Command {
    let mut cmd = Command::new("bash");
    cmd.current_dir(repo()).args([
        "-c",
        &format!("set -euo pipefail; . scripts/lib.sh; {script}"),
    ]);
    cmd
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn cargo_target_dir_is_where_cargo_builds() {
    let elsewhere = tempfile::tempdir().unwrap();
    let expected = elsewhere.path().join("built");
    let from_env = lib_sh("cargo_target_dir")
        .env("CARGO_TARGET_DIR", &expected)
        .output()
        .unwrap();
    assert!(from_env.status.success(), "{}", text(&from_env.stderr));
    assert_eq!(
        text(&from_env.stdout).trim_end(),
        expected.to_str().unwrap()
    );

    // A cargo config's build.target-dir, given the way cargo reads any
    // config value from the environment.
    let from_config = lib_sh("cargo_target_dir")
        .env_remove("CARGO_TARGET_DIR")
        .env("CARGO_BUILD_TARGET_DIR", &expected)
        .output()
        .unwrap();
    assert!(
        from_config.status.success(),
        "{}",
        text(&from_config.stderr)
    );
    assert_eq!(
        text(&from_config.stdout).trim_end(),
        expected.to_str().unwrap()
    );

    // No script looks for a build in a fixed place.
    for entry in std::fs::read_dir(repo().join("scripts")).unwrap() {
        let path = entry.unwrap().path();
        let Ok(source) = std::fs::read_to_string(&path) else {
            continue;
        };
        for (n, line) in source.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with('#') || code.starts_with("//") {
                continue;
            }
            assert!(
                !code.contains("target/debug") && !code.contains("target/release"),
                "{}:{}: a fixed build directory instead of cargo_target_dir: {line}",
                path.display(),
                n + 1
            );
        }
    }
}

#[test]
fn a_missing_host_binary_is_named_as_missing() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("debug").join("factorcat");
    let out = lib_sh(&format!("require_binary '{}'", missing.display()))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(
        text(&out.stderr),
        format!(
            "error: {} does not exist (cargo build did not put the host there)\n",
            missing.display()
        )
    );

    let not_runnable = dir.path().join("factorcat");
    std::fs::write(&not_runnable, "").unwrap();
    let out = lib_sh(&format!("require_binary '{}'", not_runnable.display()))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(
        text(&out.stderr),
        format!(
            "error: {} is not an executable file\n",
            not_runnable.display()
        )
    );

    let out = lib_sh(&format!(
        "require_binary '{}'",
        env!("CARGO_BIN_EXE_factorcat")
    ))
    .output()
    .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// Runs `script` as root without the right to raise resource limits when
/// this is root and `capsh` can drop it (what makes dbus-daemon warn);
/// otherwise as it is.
fn without_raising_limits(script: &str) -> Output {
    let as_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| text(&o.stdout).trim() == "0");
    let has_capsh = Command::new("capsh")
        .arg("--help")
        .output()
        .is_ok_and(|o| o.status.success());
    let script = format!("set -euo pipefail; . scripts/lib.sh; {script}");
    let mut cmd = if as_root && has_capsh {
        let mut cmd = Command::new("capsh");
        cmd.args(["--drop=cap_sys_resource", "--", "-c", &script]);
        cmd
    } else {
        let mut cmd = Command::new("bash");
        cmd.args(["-c", &script]);
        cmd
    };
    cmd.current_dir(repo()).output().unwrap()
}

#[test]
fn private_sessions_keep_the_fd_limit_warning_out() {
    if !keyring_tests_enabled() {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let out = without_raising_limits(&format!(
        "private_keyring_session '{}' bash -c \
         'printf s3cret | secret-tool store --label=probe factorcat-scripts-test probe && \
          secret-tool lookup factorcat-scripts-test probe'",
        home.path().display()
    ));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "s3cret");
    assert_eq!(text(&out.stderr), "", "the session printed to stderr");

    // The same session without the quiet daemon shows what is filtered
    // (only where dbus-daemon warns at all: as root without the right).
    let plain = without_raising_limits("dbus-run-session -- true");
    let warned = text(&plain.stderr).contains("Failed to set fd limit");
    eprintln!("plain dbus-run-session warns here: {warned}");
}
