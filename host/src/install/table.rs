//! Where every supported browser looks for native-messaging host manifests,
//! as data: one row per browser, operating system and packaging.
//!
//! Everything here is a pure function of an [`Os`] and an [`Env`] (home
//! directory and the few environment variables that move browser
//! directories), so the table can be checked for every OS on any OS.
//!
//! Place templates use these variables:
//!
//! | variable | meaning |
//! |---|---|
//! | `~` (leading) | the home directory |
//! | `$XDG_CONFIG` | `$XDG_CONFIG_HOME` when set to an absolute path, else `~/.config` |
//! | `$LOCALAPPDATA`, `$APPDATA`, `$PROGRAMDATA` | the Windows folders of those names |
//!
//! On Windows a place is a registry key below `HKEY_CURRENT_USER` (or
//! `HKEY_LOCAL_MACHINE` for `--system`); elsewhere it is a directory.

use std::fmt;
use std::path::{Path, PathBuf};

/// The operating systems FactorCat installs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Os {
    /// Linux and other freedesktop systems.
    Linux,
    /// macOS.
    MacOs,
    /// Windows.
    Windows,
}

impl Os {
    /// The OS this binary was built for. BSDs use the Linux layout.
    pub fn current() -> Os {
        if cfg!(windows) {
            Os::Windows
        } else if cfg!(target_os = "macos") {
            Os::MacOs
        } else {
            Os::Linux
        }
    }

    /// Every OS, for tests and documentation.
    pub const ALL: [Os; 3] = [Os::Linux, Os::MacOs, Os::Windows];
}

impl fmt::Display for Os {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Os::Linux => "Linux",
            Os::MacOs => "macOS",
            Os::Windows => "Windows",
        })
    }
}

/// Which host-manifest format a browser reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// Chrome, Chromium, Edge, Brave, Vivaldi, Opera, Arc: `allowed_origins`.
    Chromium,
    /// Firefox, LibreWolf, Waterfox, Thunderbird: `allowed_extensions`.
    Firefox,
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Family::Chromium => "Chromium",
            Family::Firefox => "Firefox",
        })
    }
}

/// How the browser is packaged, when that changes where it looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Packaging {
    /// A normal install (distribution package, vendor installer, app bundle).
    Native,
    /// A Flatpak with this application id. Its sandbox cannot run host
    /// binaries directly: the manifest points at a wrapper script that goes
    /// through `flatpak-spawn --host`.
    Flatpak(&'static str),
}

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub struct Row {
    /// The name used with `--browser`.
    pub name: &'static str,
    /// The browser's name for people.
    pub label: &'static str,
    /// The OS the row applies to.
    pub os: Os,
    /// The manifest format.
    pub family: Family,
    /// Normal install or Flatpak.
    pub packaging: Packaging,
    /// Per-user places (directories, or registry keys on Windows), templated.
    pub user: &'static [&'static str],
    /// Machine-wide places (`--system`); empty when the browser has none.
    /// A directory whose template ends in `?` is written only when its
    /// top-level directory (e.g. `/usr/lib64`) exists.
    pub system: &'static [&'static str],
    /// Paths whose existence means the browser is installed or has been used.
    pub detect_paths: &'static [&'static str],
    /// Program names whose presence on `PATH` means the browser is installed.
    pub detect_programs: &'static [&'static str],
}

/// Aliases accepted by `--browser`, mapped to the table's names.
pub const ALIASES: &[(&str, &str)] = &[
    ("chrome-unstable", "chrome-dev"),
    ("google-chrome", "chrome"),
];

macro_rules! row {
    ($name:literal, $label:literal, $os:ident, $family:ident, $pkg:expr,
     user: [$($u:expr),* $(,)?], system: [$($s:expr),* $(,)?],
     paths: [$($d:expr),* $(,)?], programs: [$($p:expr),* $(,)?]) => {
        Row {
            name: $name,
            label: $label,
            os: Os::$os,
            family: Family::$family,
            packaging: $pkg,
            user: &[$($u),*],
            system: &[$($s),*],
            detect_paths: &[$($d),*],
            detect_programs: &[$($p),*],
        }
    };
}

use Packaging::{Flatpak, Native};

/// The table. Sources for every row are listed in `docs/install.md`.
pub const ROWS: &[Row] = &[
    // ---------------------------------------------------------------- Linux
    row!("chrome", "Google Chrome", Linux, Chromium, Native,
        user: ["$XDG_CONFIG/google-chrome/NativeMessagingHosts"],
        system: ["/etc/opt/chrome/native-messaging-hosts"],
        paths: ["$XDG_CONFIG/google-chrome"], programs: ["google-chrome", "google-chrome-stable"]),
    row!("chrome-beta", "Google Chrome Beta", Linux, Chromium, Native,
        user: ["$XDG_CONFIG/google-chrome-beta/NativeMessagingHosts"],
        system: ["/etc/opt/chrome/native-messaging-hosts"],
        paths: ["$XDG_CONFIG/google-chrome-beta"], programs: ["google-chrome-beta"]),
    row!("chrome-dev", "Google Chrome Dev", Linux, Chromium, Native,
        user: ["$XDG_CONFIG/google-chrome-unstable/NativeMessagingHosts"],
        system: ["/etc/opt/chrome/native-messaging-hosts"],
        paths: ["$XDG_CONFIG/google-chrome-unstable"], programs: ["google-chrome-unstable"]),
    row!("chrome-canary", "Google Chrome Canary", Linux, Chromium, Native,
        user: ["$XDG_CONFIG/google-chrome-canary/NativeMessagingHosts"],
        system: ["/etc/opt/chrome/native-messaging-hosts"],
        paths: ["$XDG_CONFIG/google-chrome-canary"], programs: ["google-chrome-canary"]),
    row!("chromium", "Chromium", Linux, Chromium, Native,
        user: ["$XDG_CONFIG/chromium/NativeMessagingHosts"],
        system: ["/etc/chromium/native-messaging-hosts"],
        paths: ["$XDG_CONFIG/chromium"], programs: ["chromium", "chromium-browser"]),
    row!("edge", "Microsoft Edge", Linux, Chromium, Native,
        user: ["$XDG_CONFIG/microsoft-edge/NativeMessagingHosts"],
        system: ["/etc/opt/edge/native-messaging-hosts"],
        paths: ["$XDG_CONFIG/microsoft-edge"], programs: ["microsoft-edge", "microsoft-edge-stable"]),
    row!("brave", "Brave", Linux, Chromium, Native,
        user: ["$XDG_CONFIG/BraveSoftware/Brave-Browser/NativeMessagingHosts"],
        system: ["/etc/opt/chrome/native-messaging-hosts"],
        paths: ["$XDG_CONFIG/BraveSoftware/Brave-Browser"], programs: ["brave-browser", "brave"]),
    row!("vivaldi", "Vivaldi", Linux, Chromium, Native,
        user: ["$XDG_CONFIG/vivaldi/NativeMessagingHosts"],
        system: ["/etc/opt/vivaldi/native-messaging-hosts"],
        paths: ["$XDG_CONFIG/vivaldi"], programs: ["vivaldi", "vivaldi-stable"]),
    row!("opera", "Opera", Linux, Chromium, Native,
        user: ["$XDG_CONFIG/opera/NativeMessagingHosts"],
        system: ["/etc/opera/native-messaging-hosts"],
        paths: ["$XDG_CONFIG/opera"], programs: ["opera"]),
    row!("firefox", "Firefox", Linux, Firefox, Native,
        user: ["~/.mozilla/native-messaging-hosts"],
        system: ["/usr/lib/mozilla/native-messaging-hosts", "/usr/lib64/mozilla/native-messaging-hosts?"],
        paths: ["~/.mozilla/firefox"], programs: ["firefox", "firefox-esr"]),
    row!("librewolf", "LibreWolf", Linux, Firefox, Native,
        user: ["~/.librewolf/native-messaging-hosts"],
        system: ["/usr/lib/librewolf/native-messaging-hosts"],
        paths: ["~/.librewolf"], programs: ["librewolf"]),
    row!("waterfox", "Waterfox", Linux, Firefox, Native,
        user: ["~/.waterfox/native-messaging-hosts", "~/.mozilla/native-messaging-hosts"],
        system: ["/usr/lib/mozilla/native-messaging-hosts"],
        paths: ["~/.waterfox"], programs: ["waterfox"]),
    row!("thunderbird", "Thunderbird", Linux, Firefox, Native,
        user: ["~/.mozilla/native-messaging-hosts", "~/.thunderbird/native-messaging-hosts"],
        system: ["/usr/lib/mozilla/native-messaging-hosts", "/usr/lib64/mozilla/native-messaging-hosts?"],
        paths: ["~/.thunderbird"], programs: ["thunderbird"]),
    // Flatpaks: the sandbox sees its own config directory under ~/.var/app.
    row!("chrome", "Google Chrome (Flatpak)", Linux, Chromium, Flatpak("com.google.Chrome"),
        user: ["~/.var/app/com.google.Chrome/config/google-chrome/NativeMessagingHosts"], system: [],
        paths: ["~/.var/app/com.google.Chrome"], programs: []),
    row!("chromium", "Chromium (Flatpak)", Linux, Chromium, Flatpak("org.chromium.Chromium"),
        user: ["~/.var/app/org.chromium.Chromium/config/chromium/NativeMessagingHosts"], system: [],
        paths: ["~/.var/app/org.chromium.Chromium"], programs: []),
    row!("edge", "Microsoft Edge (Flatpak)", Linux, Chromium, Flatpak("com.microsoft.Edge"),
        user: ["~/.var/app/com.microsoft.Edge/config/microsoft-edge/NativeMessagingHosts"], system: [],
        paths: ["~/.var/app/com.microsoft.Edge"], programs: []),
    row!("brave", "Brave (Flatpak)", Linux, Chromium, Flatpak("com.brave.Browser"),
        user: ["~/.var/app/com.brave.Browser/config/BraveSoftware/Brave-Browser/NativeMessagingHosts"], system: [],
        paths: ["~/.var/app/com.brave.Browser"], programs: []),
    row!("vivaldi", "Vivaldi (Flatpak)", Linux, Chromium, Flatpak("com.vivaldi.Vivaldi"),
        user: ["~/.var/app/com.vivaldi.Vivaldi/config/vivaldi/NativeMessagingHosts"], system: [],
        paths: ["~/.var/app/com.vivaldi.Vivaldi"], programs: []),
    row!("opera", "Opera (Flatpak)", Linux, Chromium, Flatpak("com.opera.Opera"),
        user: ["~/.var/app/com.opera.Opera/config/opera/NativeMessagingHosts"], system: [],
        paths: ["~/.var/app/com.opera.Opera"], programs: []),
    // ---------------------------------------------------------------- macOS
    row!("chrome", "Google Chrome", MacOs, Chromium, Native,
        user: ["~/Library/Application Support/Google/Chrome/NativeMessagingHosts"],
        system: ["/Library/Google/Chrome/NativeMessagingHosts"],
        paths: ["~/Library/Application Support/Google/Chrome", "/Applications/Google Chrome.app"], programs: []),
    row!("chrome-beta", "Google Chrome Beta", MacOs, Chromium, Native,
        user: ["~/Library/Application Support/Google/Chrome Beta/NativeMessagingHosts"],
        system: ["/Library/Google/Chrome/NativeMessagingHosts"],
        paths: ["~/Library/Application Support/Google/Chrome Beta", "/Applications/Google Chrome Beta.app"], programs: []),
    row!("chrome-dev", "Google Chrome Dev", MacOs, Chromium, Native,
        user: ["~/Library/Application Support/Google/Chrome Dev/NativeMessagingHosts"],
        system: ["/Library/Google/Chrome/NativeMessagingHosts"],
        paths: ["~/Library/Application Support/Google/Chrome Dev", "/Applications/Google Chrome Dev.app"], programs: []),
    row!("chrome-canary", "Google Chrome Canary", MacOs, Chromium, Native,
        user: ["~/Library/Application Support/Google/Chrome Canary/NativeMessagingHosts"],
        system: ["/Library/Google/Chrome/NativeMessagingHosts"],
        paths: ["~/Library/Application Support/Google/Chrome Canary", "/Applications/Google Chrome Canary.app"], programs: []),
    row!("chromium", "Chromium", MacOs, Chromium, Native,
        user: ["~/Library/Application Support/Chromium/NativeMessagingHosts"],
        system: ["/Library/Application Support/Chromium/NativeMessagingHosts"],
        paths: ["~/Library/Application Support/Chromium", "/Applications/Chromium.app"], programs: []),
    row!("edge", "Microsoft Edge", MacOs, Chromium, Native,
        user: ["~/Library/Application Support/Microsoft Edge/NativeMessagingHosts"],
        system: ["/Library/Microsoft/Edge/NativeMessagingHosts"],
        paths: ["~/Library/Application Support/Microsoft Edge", "/Applications/Microsoft Edge.app"], programs: []),
    // Brave on macOS reads Chrome's directory; its own is written too, harmlessly.
    row!("brave", "Brave", MacOs, Chromium, Native,
        user: ["~/Library/Application Support/Google/Chrome/NativeMessagingHosts",
               "~/Library/Application Support/BraveSoftware/Brave-Browser/NativeMessagingHosts"],
        system: ["/Library/Google/Chrome/NativeMessagingHosts"],
        paths: ["~/Library/Application Support/BraveSoftware/Brave-Browser", "/Applications/Brave Browser.app"], programs: []),
    row!("vivaldi", "Vivaldi", MacOs, Chromium, Native,
        user: ["~/Library/Application Support/Vivaldi/NativeMessagingHosts"],
        system: ["/Library/Application Support/Vivaldi/NativeMessagingHosts"],
        paths: ["~/Library/Application Support/Vivaldi", "/Applications/Vivaldi.app"], programs: []),
    row!("opera", "Opera", MacOs, Chromium, Native,
        user: ["~/Library/Application Support/com.operasoftware.Opera/NativeMessagingHosts"],
        system: ["/Library/Google/Chrome/NativeMessagingHosts"],
        paths: ["~/Library/Application Support/com.operasoftware.Opera", "/Applications/Opera.app"], programs: []),
    row!("arc", "Arc", MacOs, Chromium, Native,
        user: ["~/Library/Application Support/Arc/User Data/NativeMessagingHosts"], system: [],
        paths: ["~/Library/Application Support/Arc", "/Applications/Arc.app"], programs: []),
    row!("firefox", "Firefox", MacOs, Firefox, Native,
        user: ["~/Library/Application Support/Mozilla/NativeMessagingHosts"],
        system: ["/Library/Application Support/Mozilla/NativeMessagingHosts"],
        paths: ["~/Library/Application Support/Firefox", "/Applications/Firefox.app"], programs: []),
    row!("librewolf", "LibreWolf", MacOs, Firefox, Native,
        user: ["~/Library/Application Support/LibreWolf/NativeMessagingHosts"], system: [],
        paths: ["~/Library/Application Support/LibreWolf", "/Applications/LibreWolf.app"], programs: []),
    row!("waterfox", "Waterfox", MacOs, Firefox, Native,
        user: ["~/Library/Application Support/Mozilla/NativeMessagingHosts"],
        system: ["/Library/Application Support/Mozilla/NativeMessagingHosts"],
        paths: ["~/Library/Application Support/Waterfox", "/Applications/Waterfox.app"], programs: []),
    row!("thunderbird", "Thunderbird", MacOs, Firefox, Native,
        user: ["~/Library/Mozilla/NativeMessagingHosts"],
        system: ["/Library/Application Support/Mozilla/NativeMessagingHosts"],
        paths: ["~/Library/Thunderbird", "/Applications/Thunderbird.app"], programs: []),
    // -------------------------------------------------------------- Windows
    row!("chrome", "Google Chrome", Windows, Chromium, Native,
        user: [r"Software\Google\Chrome\NativeMessagingHosts"],
        system: [r"Software\Google\Chrome\NativeMessagingHosts"],
        paths: [r"$LOCALAPPDATA\Google\Chrome\User Data"], programs: []),
    row!("chrome-beta", "Google Chrome Beta", Windows, Chromium, Native,
        user: [r"Software\Google\Chrome\NativeMessagingHosts"],
        system: [r"Software\Google\Chrome\NativeMessagingHosts"],
        paths: [r"$LOCALAPPDATA\Google\Chrome Beta\User Data"], programs: []),
    row!("chrome-dev", "Google Chrome Dev", Windows, Chromium, Native,
        user: [r"Software\Google\Chrome\NativeMessagingHosts"],
        system: [r"Software\Google\Chrome\NativeMessagingHosts"],
        paths: [r"$LOCALAPPDATA\Google\Chrome Dev\User Data"], programs: []),
    row!("chrome-canary", "Google Chrome Canary", Windows, Chromium, Native,
        user: [r"Software\Google\Chrome\NativeMessagingHosts"],
        system: [r"Software\Google\Chrome\NativeMessagingHosts"],
        paths: [r"$LOCALAPPDATA\Google\Chrome SxS\User Data"], programs: []),
    row!("chromium", "Chromium", Windows, Chromium, Native,
        user: [r"Software\Chromium\NativeMessagingHosts"],
        system: [r"Software\Chromium\NativeMessagingHosts"],
        paths: [r"$LOCALAPPDATA\Chromium\User Data"], programs: []),
    row!("edge", "Microsoft Edge", Windows, Chromium, Native,
        user: [r"Software\Microsoft\Edge\NativeMessagingHosts"],
        system: [r"Software\Microsoft\Edge\NativeMessagingHosts"],
        paths: [r"$LOCALAPPDATA\Microsoft\Edge\User Data"], programs: []),
    row!("brave", "Brave", Windows, Chromium, Native,
        user: [r"Software\Google\Chrome\NativeMessagingHosts"],
        system: [r"Software\Google\Chrome\NativeMessagingHosts"],
        paths: [r"$LOCALAPPDATA\BraveSoftware\Brave-Browser\User Data"], programs: []),
    row!("vivaldi", "Vivaldi", Windows, Chromium, Native,
        user: [r"Software\Google\Chrome\NativeMessagingHosts"],
        system: [r"Software\Google\Chrome\NativeMessagingHosts"],
        paths: [r"$LOCALAPPDATA\Vivaldi\User Data"], programs: []),
    row!("opera", "Opera", Windows, Chromium, Native,
        user: [r"Software\Google\Chrome\NativeMessagingHosts"],
        system: [r"Software\Google\Chrome\NativeMessagingHosts"],
        paths: [r"$APPDATA\Opera Software\Opera Stable"], programs: []),
    row!("arc", "Arc", Windows, Chromium, Native,
        user: [r"Software\Google\Chrome\NativeMessagingHosts"],
        system: [r"Software\Google\Chrome\NativeMessagingHosts"],
        paths: [r"$LOCALAPPDATA\Packages\TheBrowserCompany.Arc_ttt1ap7aakyb4"], programs: []),
    row!("firefox", "Firefox", Windows, Firefox, Native,
        user: [r"Software\Mozilla\NativeMessagingHosts"],
        system: [r"Software\Mozilla\NativeMessagingHosts"],
        paths: [r"$APPDATA\Mozilla\Firefox"], programs: []),
    row!("librewolf", "LibreWolf", Windows, Firefox, Native,
        user: [r"Software\Mozilla\NativeMessagingHosts"],
        system: [r"Software\Mozilla\NativeMessagingHosts"],
        paths: [r"$APPDATA\librewolf"], programs: []),
    row!("waterfox", "Waterfox", Windows, Firefox, Native,
        user: [r"Software\Mozilla\NativeMessagingHosts"],
        system: [r"Software\Mozilla\NativeMessagingHosts"],
        paths: [r"$APPDATA\Waterfox"], programs: []),
    row!("thunderbird", "Thunderbird", Windows, Firefox, Native,
        user: [r"Software\Mozilla\NativeMessagingHosts"],
        system: [r"Software\Mozilla\NativeMessagingHosts"],
        paths: [r"$APPDATA\Thunderbird"], programs: []),
];

/// The environment the templates are resolved against.
#[derive(Debug, Clone)]
pub struct Env {
    /// The OS whose conventions apply.
    pub os: Os,
    /// The home directory.
    pub home: PathBuf,
    /// `$XDG_CONFIG_HOME`, when set to an absolute path.
    pub xdg_config_home: Option<PathBuf>,
    /// Windows `%LOCALAPPDATA%`.
    pub local_app_data: Option<PathBuf>,
    /// Windows `%APPDATA%`.
    pub app_data: Option<PathBuf>,
    /// Windows `%ProgramData%`.
    pub program_data: Option<PathBuf>,
}

impl Env {
    /// Reads the running process's environment. `None` when no home
    /// directory can be found.
    pub fn current() -> Option<Env> {
        let var = |name: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let os = Os::current();
        let home = if os == Os::Windows {
            var("USERPROFILE").or_else(|| var("HOME"))
        } else {
            var("HOME")
        }?;
        Some(Env {
            os,
            home,
            xdg_config_home: var("XDG_CONFIG_HOME").filter(|p| p.is_absolute()),
            local_app_data: var("LOCALAPPDATA"),
            app_data: var("APPDATA"),
            program_data: var("PROGRAMDATA"),
        })
    }

    /// A plain environment for `os` with this home directory and nothing
    /// else set; Windows folders get their defaults below the home.
    pub fn for_os(os: Os, home: impl Into<PathBuf>) -> Env {
        let home = home.into();
        let (local, roaming, data) = if os == Os::Windows {
            (
                Some(PathBuf::from(format!(r"{}\AppData\Local", home.display()))),
                Some(PathBuf::from(format!(
                    r"{}\AppData\Roaming",
                    home.display()
                ))),
                Some(PathBuf::from(r"C:\ProgramData")),
            )
        } else {
            (None, None, None)
        };
        Env {
            os,
            home,
            xdg_config_home: None,
            local_app_data: local,
            app_data: roaming,
            program_data: data,
        }
    }

    /// Expands a template's variables. Windows folders that are not set
    /// fall back to their defaults below the home directory.
    pub fn expand(&self, template: &str) -> PathBuf {
        let home = self.home.display().to_string();
        let text = template.trim_end_matches('?');
        let sep = if self.os == Os::Windows { '\\' } else { '/' };
        let or_default = |v: &Option<PathBuf>, default: &str| match v {
            Some(p) => p.display().to_string(),
            None => format!("{home}{sep}{default}"),
        };
        let expanded = if let Some(rest) = text.strip_prefix("$XDG_CONFIG") {
            match &self.xdg_config_home {
                Some(dir) => format!("{}{rest}", dir.display()),
                None => format!("{home}/.config{rest}"),
            }
        } else if let Some(rest) = text.strip_prefix("$LOCALAPPDATA") {
            format!(
                "{}{rest}",
                or_default(&self.local_app_data, r"AppData\Local")
            )
        } else if let Some(rest) = text.strip_prefix("$APPDATA") {
            format!("{}{rest}", or_default(&self.app_data, r"AppData\Roaming"))
        } else if let Some(rest) = text.strip_prefix("$PROGRAMDATA") {
            match &self.program_data {
                Some(p) => format!("{}{rest}", p.display()),
                None => format!(r"C:\ProgramData{rest}"),
            }
        } else if let Some(rest) = text.strip_prefix('~') {
            format!("{home}{rest}")
        } else {
            text.to_string()
        };
        PathBuf::from(expanded)
    }

    /// Where FactorCat keeps its manifest files on Windows, where browsers
    /// find them through the registry: below `%LOCALAPPDATA%` per user,
    /// `%ProgramData%` machine-wide.
    pub fn windows_manifest_dir(&self, system: bool) -> PathBuf {
        self.expand(if system {
            r"$PROGRAMDATA\FactorCat\NativeMessagingHosts"
        } else {
            r"$LOCALAPPDATA\FactorCat\NativeMessagingHosts"
        })
    }
}

/// Whether a `?`-suffixed system directory should be written: its
/// top-level directory (e.g. `/usr/lib64`) must exist.
pub fn optional_place_applies(template: &str, exists: impl Fn(&Path) -> bool) -> bool {
    let Some(path) = template.strip_suffix('?') else {
        return true;
    };
    let mut parts = Path::new(path).components();
    let (Some(root), Some(first), Some(second)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    exists(
        &[root.as_os_str(), first.as_os_str(), second.as_os_str()]
            .iter()
            .collect::<PathBuf>(),
    )
}

/// The rows for one OS.
pub fn rows_for(os: Os) -> impl Iterator<Item = &'static Row> {
    ROWS.iter().filter(move |r| r.os == os)
}

/// The `--browser` names valid on `os`, in table order, without repeats.
pub fn names_for(os: Os) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    for row in rows_for(os) {
        if !names.contains(&row.name) {
            names.push(row.name);
        }
    }
    names
}

/// Resolves a `--browser` name (or alias) to the table's name on `os`.
pub fn canonical_name(os: Os, name: &str) -> Option<&'static str> {
    let lower = name.trim().to_ascii_lowercase();
    let lookup = ALIASES
        .iter()
        .find(|(alias, _)| *alias == lower)
        .map_or(lower.as_str(), |(_, to)| to);
    rows_for(os).find(|r| r.name == lookup).map(|r| r.name)
}

/// The rows of one browser name on `os` (its normal install first, then
/// its Flatpak, if any).
pub fn rows_named(os: Os, name: &str) -> Vec<&'static Row> {
    rows_for(os).filter(|r| r.name == name).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};

    const NMH: &str = "NativeMessagingHosts";

    fn user_places(os: Os, name: &str) -> Vec<String> {
        let env = Env::for_os(
            os,
            if os == Os::Windows {
                r"C:\Users\ann"
            } else {
                "/home/ann"
            },
        );
        rows_named(os, name)
            .iter()
            .filter(|r| r.packaging == Packaging::Native)
            .flat_map(|r| r.user.iter().map(|t| env.expand(t).display().to_string()))
            .collect()
    }

    #[test]
    fn linux_user_places_follow_each_browser() {
        let os = Os::Linux;
        assert_eq!(
            user_places(os, "chrome"),
            ["/home/ann/.config/google-chrome/NativeMessagingHosts"]
        );
        assert_eq!(
            user_places(os, "chrome-beta"),
            ["/home/ann/.config/google-chrome-beta/NativeMessagingHosts"]
        );
        assert_eq!(
            user_places(os, "chrome-dev"),
            ["/home/ann/.config/google-chrome-unstable/NativeMessagingHosts"]
        );
        assert_eq!(
            user_places(os, "chromium"),
            ["/home/ann/.config/chromium/NativeMessagingHosts"]
        );
        assert_eq!(
            user_places(os, "edge"),
            ["/home/ann/.config/microsoft-edge/NativeMessagingHosts"]
        );
        assert_eq!(
            user_places(os, "brave"),
            ["/home/ann/.config/BraveSoftware/Brave-Browser/NativeMessagingHosts"]
        );
        assert_eq!(
            user_places(os, "vivaldi"),
            ["/home/ann/.config/vivaldi/NativeMessagingHosts"]
        );
        assert_eq!(
            user_places(os, "firefox"),
            ["/home/ann/.mozilla/native-messaging-hosts"]
        );
        assert_eq!(
            user_places(os, "librewolf"),
            ["/home/ann/.librewolf/native-messaging-hosts"]
        );
        assert!(
            user_places(os, "waterfox")
                .contains(&"/home/ann/.waterfox/native-messaging-hosts".to_string())
        );
        assert!(
            user_places(os, "thunderbird")
                .contains(&"/home/ann/.mozilla/native-messaging-hosts".to_string())
        );
    }

    #[test]
    fn xdg_config_home_moves_chromium_family_but_not_mozilla() {
        let mut env = Env::for_os(Os::Linux, "/home/ann");
        env.xdg_config_home = Some(PathBuf::from("/cfg"));
        let chromium = rows_named(Os::Linux, "chromium")[0];
        assert_eq!(
            env.expand(chromium.user[0]),
            PathBuf::from("/cfg/chromium/NativeMessagingHosts")
        );
        let firefox = rows_named(Os::Linux, "firefox")[0];
        assert_eq!(
            env.expand(firefox.user[0]),
            PathBuf::from("/home/ann/.mozilla/native-messaging-hosts")
        );
    }

    #[test]
    fn macos_places_include_the_quirks() {
        let os = Os::MacOs;
        let support = "/home/ann/Library/Application Support";
        assert_eq!(
            user_places(os, "chrome"),
            [format!("{support}/Google/Chrome/NativeMessagingHosts")]
        );
        assert_eq!(
            user_places(os, "chrome-canary"),
            [format!(
                "{support}/Google/Chrome Canary/NativeMessagingHosts"
            )]
        );
        // Brave reads Chrome's directory on macOS.
        assert!(
            user_places(os, "brave")
                .contains(&format!("{support}/Google/Chrome/NativeMessagingHosts"))
        );
        assert_eq!(
            user_places(os, "arc"),
            [format!("{support}/Arc/User Data/NativeMessagingHosts")]
        );
        assert_eq!(
            user_places(os, "firefox"),
            [format!("{support}/Mozilla/NativeMessagingHosts")]
        );
        // Thunderbird's user directory is ~/Library/Mozilla, not Application Support.
        assert_eq!(
            user_places(os, "thunderbird"),
            ["/home/ann/Library/Mozilla/NativeMessagingHosts"]
        );
    }

    #[test]
    fn windows_places_are_registry_keys() {
        let os = Os::Windows;
        assert_eq!(
            user_places(os, "chrome"),
            [r"Software\Google\Chrome\NativeMessagingHosts"]
        );
        assert_eq!(
            user_places(os, "edge"),
            [r"Software\Microsoft\Edge\NativeMessagingHosts"]
        );
        assert_eq!(
            user_places(os, "chromium"),
            [r"Software\Chromium\NativeMessagingHosts"]
        );
        for name in ["firefox", "librewolf", "waterfox", "thunderbird"] {
            assert_eq!(
                user_places(os, name),
                [r"Software\Mozilla\NativeMessagingHosts"],
                "{name}"
            );
        }
        for row in rows_for(os) {
            assert!(
                row.user
                    .iter()
                    .chain(row.system)
                    .all(|k| k.starts_with(r"Software\") && k.ends_with(NMH))
            );
        }
        let env = Env::for_os(os, r"C:\Users\ann");
        assert_eq!(
            env.windows_manifest_dir(false),
            PathBuf::from(r"C:\Users\ann\AppData\Local\FactorCat\NativeMessagingHosts")
        );
        assert_eq!(
            env.windows_manifest_dir(true),
            PathBuf::from(r"C:\ProgramData\FactorCat\NativeMessagingHosts")
        );
    }

    #[test]
    fn names_per_os_match_what_each_os_has() {
        let common = [
            "chrome",
            "chrome-beta",
            "chrome-dev",
            "chrome-canary",
            "chromium",
            "edge",
            "brave",
            "vivaldi",
            "opera",
            "firefox",
            "librewolf",
            "waterfox",
            "thunderbird",
        ];
        for os in Os::ALL {
            let names: HashSet<_> = names_for(os).into_iter().collect();
            for name in common {
                assert!(names.contains(name), "{name} missing on {os}");
            }
            assert_eq!(names.contains("arc"), os != Os::Linux, "arc on {os}");
        }
        assert_eq!(
            canonical_name(Os::Linux, "Chrome-Unstable"),
            Some("chrome-dev")
        );
        assert_eq!(canonical_name(Os::Linux, "arc"), None);
        assert_eq!(canonical_name(Os::MacOs, "arc"), Some("arc"));
        assert_eq!(canonical_name(Os::Windows, "netscape"), None);
    }

    #[test]
    fn every_row_is_well_formed() {
        for os in Os::ALL {
            let env = Env::for_os(
                os,
                if os == Os::Windows {
                    r"C:\Users\ann"
                } else {
                    "/home/ann"
                },
            );
            let mut family_of_place: HashMap<PathBuf, Family> = HashMap::new();
            for row in rows_for(os) {
                assert!(
                    !row.user.is_empty(),
                    "{} on {os} has no user place",
                    row.label
                );
                assert!(
                    !row.detect_paths.is_empty() || !row.detect_programs.is_empty(),
                    "{}",
                    row.label
                );
                if let Packaging::Flatpak(id) = row.packaging {
                    assert_eq!(os, Os::Linux);
                    assert!(
                        row.user
                            .iter()
                            .all(|u| u.starts_with(&format!("~/.var/app/{id}/"))),
                        "{}",
                        row.label
                    );
                    assert!(row.system.is_empty());
                }
                for template in row.user.iter().chain(row.system) {
                    let place = env.expand(template);
                    if os != Os::Windows {
                        assert!(place.is_absolute(), "{}: {template}", row.label);
                        let last = place.file_name().unwrap().to_string_lossy().into_owned();
                        assert!(
                            last == NMH || last == "native-messaging-hosts",
                            "{template}"
                        );
                    }
                    // A place never receives both manifest formats: Firefox
                    // refuses a file with `allowed_origins`.
                    let previous = family_of_place.insert(place.clone(), row.family);
                    assert!(
                        previous.is_none_or(|f| f == row.family),
                        "{} shared by both families on {os}",
                        place.display()
                    );
                }
            }
        }
    }

    #[test]
    fn optional_system_places_need_their_top_directory() {
        let t = "/usr/lib64/mozilla/native-messaging-hosts?";
        assert!(optional_place_applies(t, |p| p == Path::new("/usr/lib64")));
        assert!(!optional_place_applies(t, |_| false));
        assert!(optional_place_applies(
            "/usr/lib/mozilla/native-messaging-hosts",
            |_| false
        ));
        assert_eq!(
            Env::for_os(Os::Linux, "/h").expand(t),
            PathBuf::from("/usr/lib64/mozilla/native-messaging-hosts")
        );
    }
}
