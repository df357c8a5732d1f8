//! Sandboxed (Flatpak) browsers cannot start a program outside their
//! sandbox, so they get a wrapper script that asks Flatpak to.

use std::path::{Path, PathBuf};

use super::table::Env;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapper_round_trips_awkward_paths() {
        let path = Path::new("/home/o'brien/bin/factor cat");
        let script = flatpak_wrapper(path);
        assert!(script.starts_with("#!/bin/sh\n"));
        assert_eq!(flatpak_wrapper_target(&script).as_deref(), Some(path));
    }
}
