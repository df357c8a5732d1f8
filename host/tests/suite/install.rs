//! `factorcat install`, `uninstall` and `doctor`, run as the built binary
//! against a throwaway home directory (Linux layout).
//!
//! Modules of this suite:
//! - placement: every browser name, into HOME and into --user-data-dir
//! - idempotence and dry runs
//! - uninstall never touches other hosts' manifests
//! - detection and refusals (unknown names, bad ids)
//! - doctor: what it catches, and a clean bill of health

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

use crate::support::keyring::{KeyringCleanup, keyring_tests_enabled};
use factorcat::extension_ids::{
    development_chromium_id as chromium_id, firefox_addon_id as firefox_id,
};
use serde_json::{Value, json};
use tempfile::TempDir;

const MANIFEST: &str = "com.factorcat.host.json";

/// Where each browser's per-user manifest must land, relative to HOME
/// (written independently of the code's own table, from each browser's
/// lookup rules).
const LINUX_USER_PLACES: &[(&str, &[&str])] = &[
    ("chrome", &[".config/google-chrome/NativeMessagingHosts"]),
    (
        "chrome-beta",
        &[".config/google-chrome-beta/NativeMessagingHosts"],
    ),
    (
        "chrome-dev",
        &[".config/google-chrome-unstable/NativeMessagingHosts"],
    ),
    (
        "chrome-canary",
        &[".config/google-chrome-canary/NativeMessagingHosts"],
    ),
    ("chromium", &[".config/chromium/NativeMessagingHosts"]),
    ("edge", &[".config/microsoft-edge/NativeMessagingHosts"]),
    (
        "brave",
        &[".config/BraveSoftware/Brave-Browser/NativeMessagingHosts"],
    ),
    ("vivaldi", &[".config/vivaldi/NativeMessagingHosts"]),
    ("opera", &[".config/opera/NativeMessagingHosts"]),
    ("firefox", &[".mozilla/native-messaging-hosts"]),
    ("librewolf", &[".librewolf/native-messaging-hosts"]),
    (
        "waterfox",
        &[
            ".mozilla/native-messaging-hosts",
            ".waterfox/native-messaging-hosts",
        ],
    ),
    (
        "thunderbird",
        &[
            ".mozilla/native-messaging-hosts",
            ".thunderbird/native-messaging-hosts",
        ],
    ),
];

fn is_firefox_family(name: &str) -> bool {
    matches!(name, "firefox" | "librewolf" | "waterfox" | "thunderbird")
}

fn binary() -> PathBuf {
    fs::canonicalize(env!("CARGO_BIN_EXE_factorcat")).unwrap()
}

/// A throwaway home with an empty PATH directory, so nothing of the real
/// machine is detected or touched.
struct Home {
    dir: TempDir,
}

impl Home {
    fn new() -> Home {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("empty-path")).unwrap();
        Home { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Where Firefox looks for FactorCat's manifest in this home.
    fn firefox_manifest(&self) -> PathBuf {
        self.path()
            .join(".mozilla/native-messaging-hosts")
            .join(MANIFEST)
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(binary());
        cmd.args(args)
            .env("HOME", self.path())
            .env_remove("XDG_CONFIG_HOME")
            .env("PATH", self.path().join("empty-path"))
            .env("FACTORCAT_HOME", self.path().join("vault"))
            .env_remove("FACTORCAT_PASSPHRASE");
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    /// Every file below HOME, relative, sorted (the PATH directory excluded).
    fn files(&self) -> Vec<String> {
        fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
            for entry in fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(base, &path, out);
                } else {
                    out.push(path.strip_prefix(base).unwrap().display().to_string());
                }
            }
        }
        let mut out = Vec::new();
        walk(self.path(), self.path(), &mut out);
        out.sort();
        out
    }
}

fn ok(output: &Output) -> String {
    assert!(
        output.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .unwrap()
}

/// Asserts a manifest is exactly FactorCat's for its family.
fn assert_manifest(path: &Path, firefox: bool, extra_origins: &[&str]) {
    let v = read_json(path);
    let object = v.as_object().unwrap();
    assert_eq!(v["name"], "com.factorcat.host");
    assert!(!v["description"].as_str().unwrap().is_empty());
    assert_eq!(v["path"], binary().display().to_string());
    assert_eq!(v["type"], "stdio");
    if firefox {
        assert_eq!(
            v["allowed_extensions"],
            json!([firefox_id()]),
            "{}",
            path.display()
        );
        assert!(
            !object.contains_key("allowed_origins"),
            "{}",
            path.display()
        );
    } else {
        let mut origins = vec![format!("chrome-extension://{}/", chromium_id())];
        origins.extend(
            extra_origins
                .iter()
                .map(|id| format!("chrome-extension://{id}/")),
        );
        assert_eq!(v["allowed_origins"], json!(origins), "{}", path.display());
        assert!(
            !object.contains_key("allowed_extensions"),
            "{}",
            path.display()
        );
    }
    assert_eq!(object.len(), 5, "{}: unexpected keys", path.display());
}

// ------------------------------------------------------------- placement

#[test]
fn every_browser_installs_into_its_own_place_in_home() {
    for (name, places) in LINUX_USER_PLACES {
        let home = Home::new();
        ok(&home.run(&["install", "--browser", name]));
        let mut expected: Vec<String> = places.iter().map(|p| format!("{p}/{MANIFEST}")).collect();
        expected.sort();
        assert_eq!(home.files(), expected, "{name}");
        for place in *places {
            assert_manifest(
                &home.path().join(place).join(MANIFEST),
                is_firefox_family(name),
                &[],
            );
        }
    }
}

#[test]
fn xdg_config_home_moves_chromium_family_only() {
    let home = Home::new();
    let config = home.path().join("cfg");
    let mut cmd = home.cmd(&["install", "--browser", "chromium", "--browser", "firefox"]);
    ok(&cmd.env("XDG_CONFIG_HOME", &config).output().unwrap());
    assert_eq!(
        home.files(),
        [
            format!(".mozilla/native-messaging-hosts/{MANIFEST}"),
            format!("cfg/chromium/NativeMessagingHosts/{MANIFEST}")
        ]
    );
}

#[test]
fn every_browser_installs_into_a_user_data_dir() {
    let extra = "abcdefghijklmnopabcdefghijklmnop";
    for (name, _) in LINUX_USER_PLACES {
        let home = Home::new();
        let udd = home.path().join("profile");
        let udd_arg = udd.display().to_string();
        ok(&home.run(&[
            "install",
            "--browser",
            name,
            "--user-data-dir",
            &udd_arg,
            "--extension-id",
            extra,
        ]));
        let firefox = is_firefox_family(name);
        let sub = if firefox {
            "native-messaging-hosts"
        } else {
            "NativeMessagingHosts"
        };
        assert_eq!(
            home.files(),
            [format!("profile/{sub}/{MANIFEST}")],
            "{name}"
        );
        assert_manifest(&udd.join(sub).join(MANIFEST), firefox, &[extra]);
    }
}

#[test]
fn extension_ids_go_to_their_own_family() {
    let home = Home::new();
    let out = ok(&home.run(&[
        "install",
        "--browser",
        "chromium",
        "--browser",
        "firefox",
        "--extension-id",
        "chrome-extension://bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb/",
        "--extension-id",
        "beta@factorcat.app",
    ]));
    assert!(out.contains("created"), "{out}");
    let chromium = read_json(
        &home
            .path()
            .join(".config/chromium/NativeMessagingHosts")
            .join(MANIFEST),
    );
    assert_eq!(
        chromium["allowed_origins"],
        json!([
            format!("chrome-extension://{}/", chromium_id()),
            "chrome-extension://bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb/"
        ])
    );
    let firefox = read_json(&home.firefox_manifest());
    assert_eq!(
        firefox["allowed_extensions"],
        json!([firefox_id(), "beta@factorcat.app"])
    );
}

// ------------------------------------------------- idempotence, dry runs

#[test]
fn a_second_run_changes_nothing_and_says_so() {
    let home = Home::new();
    let args = [
        "install",
        "--browser",
        "chromium",
        "--browser",
        "firefox",
        "--browser",
        "thunderbird",
    ];
    ok(&home.run(&args));
    let files = home.files();
    let old = SystemTime::now() - Duration::from_secs(3600 * 24);
    let mut before = Vec::new();
    for f in &files {
        let path = home.path().join(f);
        fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(old)
            .unwrap();
        before.push(fs::read(&path).unwrap());
    }
    let out = ok(&home.run(&args));
    assert!(out.contains("Nothing changed"), "{out}");
    assert!(
        !out.contains("created") && !out.contains("updated"),
        "{out}"
    );
    assert_eq!(home.files(), files);
    for (f, bytes) in files.iter().zip(before) {
        let path = home.path().join(f);
        assert_eq!(fs::read(&path).unwrap(), bytes, "{f}");
        assert_eq!(
            fs::metadata(&path).unwrap().modified().unwrap(),
            old,
            "{f} was rewritten"
        );
    }
}

#[test]
fn dropping_an_extension_id_is_pointed_out() {
    let home = Home::new();
    let extra = "cccccccccccccccccccccccccccccccc";
    ok(&home.run(&["install", "--browser", "chromium", "--extension-id", extra]));
    let out = ok(&home.run(&["install", "--browser", "chromium"]));
    assert!(out.contains("updated"), "{out}");
    assert!(
        out.contains(&format!("no longer allowed: chrome-extension://{extra}/")),
        "{out}"
    );
    assert_manifest(
        &home
            .path()
            .join(".config/chromium/NativeMessagingHosts")
            .join(MANIFEST),
        false,
        &[],
    );
}

/// The user id this test runs as.
fn own_uid() -> u32 {
    use std::os::unix::fs::MetadataExt;
    fs::metadata("/proc/self").unwrap().uid()
}

/// A copy of the binary in `dir` (created, mode 0755), for installs for
/// every user; the test made every directory above it (below /tmp, whose
/// sticky bit keeps others from replacing them). Only root can make it
/// root's, so without root the copy is the running user's.
fn copy_binary_into(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    fs::create_dir_all(dir).unwrap();
    fs::set_permissions(dir, fs::Permissions::from_mode(0o755)).unwrap();
    let copy = dir.join("factorcat");
    fs::copy(binary(), &copy).unwrap();
    fs::set_permissions(&copy, fs::Permissions::from_mode(0o755)).unwrap();
    copy
}

/// Runs `program` (not the built binary) with `args` in `home`.
fn run_program(home: &Home, program: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .env("HOME", home.path())
        .env_remove("XDG_CONFIG_HOME")
        .env("PATH", home.path().join("empty-path"))
        .env("FACTORCAT_HOME", home.path().join("vault"));
    // The copy was just written: a process that another test forked at
    // that moment holds the written file open until it calls exec, and
    // the kernel refuses to run a file open for writing (ETXTBSY). Wait
    // until no such process is left.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match cmd.output() {
            Err(e)
                if e.kind() == std::io::ErrorKind::ExecutableFileBusy
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            result => return result.unwrap(),
        }
    }
}

#[test]
fn system_places_are_shown_by_a_dry_run() {
    let home = Home::new();
    let program = copy_binary_into(&home.path().join("system-bin"));
    let out = run_program(
        &home,
        &program,
        &[
            "install",
            "--system",
            "--dry-run",
            "--browser",
            "chromium",
            "--browser",
            "chrome",
            "--browser",
            "brave",
            "--browser",
            "firefox",
        ],
    );
    if own_uid() != 0 {
        // The copy is this user's: refused (the next test covers how).
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        eprintln!(
            "system_places_are_shown_by_a_dry_run: not root, so only the refusal was checked"
        );
        return;
    }
    let out = ok(&out);
    for path in [
        "/etc/chromium/native-messaging-hosts/com.factorcat.host.json  [chromium]",
        "/etc/opt/chrome/native-messaging-hosts/com.factorcat.host.json  [chrome, brave]",
        "/usr/lib/mozilla/native-messaging-hosts/com.factorcat.host.json  [firefox]",
    ] {
        assert!(out.contains(path), "{path} missing from:\n{out}");
    }
    assert!(home.files().iter().all(|f| f.starts_with("system-bin/")));
}

/// Regression (issue: root's `install --system` of `~alice/.cargo/bin/factorcat`):
/// a machine-wide install names only a binary that root alone can
/// replace, and says where to put it otherwise. The tests run as root in
/// CI: the user-owned binary and directories are made with chown to the
/// `nobody` user id (65534). Run as anyone else, only the refusal of the
/// running user's own copy can be checked, and the test says so.
#[test]
fn system_installs_refuse_a_binary_others_can_replace() {
    use std::os::unix::fs::{PermissionsExt, chown, symlink};
    const NOBODY: u32 = 65534;
    let home = Home::new();
    let refused = |program: &Path, at_fault: &Path, fault: &str| {
        let out = run_program(
            &home,
            program,
            &["install", "--system", "--dry-run", "--browser", "chromium"],
        );
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(1), "{}: {err}", program.display());
        assert!(
            out.stdout.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        let real = fs::canonicalize(program).unwrap();
        for want in [
            format!("refusing to register {} for every user: ", real.display()),
            format!("{} {fault}", at_fault.display()),
            format!(
                "sudo install -m 755 '{}' /usr/local/bin/factorcat",
                real.display()
            ),
            "sudo /usr/local/bin/factorcat install --system".to_string(),
        ] {
            assert!(err.contains(&want), "{want:?} missing from: {err}");
        }
    };
    let accepted = |program: &Path| {
        let out = ok(&run_program(
            &home,
            program,
            &["install", "--system", "--dry-run", "--browser", "chromium"],
        ));
        assert!(
            out.contains("/etc/chromium/native-messaging-hosts/com.factorcat.host.json"),
            "{out}"
        );
        let manifest = out
            .lines()
            .find(|l| l.contains("\"path\""))
            .unwrap_or_default();
        assert!(manifest.contains(&program.display().to_string()), "{out}");
    };

    let dir = home.path().join("owned");
    let program = copy_binary_into(&dir);
    if own_uid() != 0 {
        refused(
            &program,
            &program,
            &format!("is owned by user id {}, not by root", own_uid()),
        );
        eprintln!(
            "system_installs_refuse_a_binary_others_can_replace: not root, so only this user's own copy was tried"
        );
        return;
    }
    // Root's file in root's directories (below the sticky /tmp): accepted.
    accepted(&program);

    // The file is a user's.
    chown(&program, Some(NOBODY), None).unwrap();
    refused(&program, &program, "is owned by user id 65534, not by root");
    chown(&program, Some(0), None).unwrap();
    accepted(&program);

    // A directory above it is a user's.
    chown(&dir, Some(NOBODY), None).unwrap();
    refused(&program, &dir, "is owned by user id 65534, not by root");
    chown(&dir, Some(0), None).unwrap();

    // Writable by its group, or by everyone; the file itself too.
    for (path, mode, fault) in [
        (&dir, 0o775, "can be written by its group"),
        (&dir, 0o757, "can be written by every user"),
        (&program, 0o775, "can be written by its group"),
    ] {
        let before = fs::metadata(path).unwrap().permissions();
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
        refused(&program, path, fault);
        fs::set_permissions(path, before).unwrap();
    }
    accepted(&program);

    // A sticky directory everyone may write (like /tmp) above root's own
    // directory: nobody else can rename or remove that directory.
    let sticky = home.path().join("sticky");
    fs::create_dir(&sticky).unwrap();
    fs::set_permissions(&sticky, fs::Permissions::from_mode(0o1777)).unwrap();
    let in_sticky = copy_binary_into(&sticky.join("root-dir"));
    accepted(&in_sticky);
    // … but not a user's directory in it.
    chown(sticky.join("root-dir"), Some(NOBODY), None).unwrap();
    refused(
        &in_sticky,
        &sticky.join("root-dir"),
        "is owned by user id 65534, not by root",
    );

    // Started through a link in root's directory, the binary is still the
    // user's: the manifest would name the link's target.
    let users = home.path().join("users-bin");
    let user_copy = copy_binary_into(&users);
    chown(&users, Some(NOBODY), None).unwrap();
    let link_dir = home.path().join("links");
    fs::create_dir(&link_dir).unwrap();
    symlink(&user_copy, link_dir.join("factorcat")).unwrap();
    refused(
        &link_dir.join("factorcat"),
        &users,
        "is owned by user id 65534, not by root",
    );
}

#[test]
fn flatpak_browsers_get_a_wrapper_and_doctor_explains_the_permission() {
    let home = Home::new();
    let app = home.path().join(".var/app/org.chromium.Chromium");
    fs::create_dir_all(&app).unwrap();
    let out = ok(&home.run(&["install", "--browser", "chromium"]));
    assert!(
        out.contains(
            "flatpak override --user --talk-name=org.freedesktop.Flatpak org.chromium.Chromium"
        ),
        "{out}"
    );
    let wrapper = app.join("data/factorcat/factorcat-host");
    let script = fs::read_to_string(&wrapper).unwrap();
    assert!(
        script.contains(&format!(
            "exec flatpak-spawn --host '{}' \"$@\"",
            binary().display()
        )),
        "{script}"
    );
    let manifest = read_json(
        &app.join("config/chromium/NativeMessagingHosts")
            .join(MANIFEST),
    );
    assert_eq!(manifest["path"], wrapper.display().to_string());
    // The normal install is there too, pointing at the binary itself.
    assert_manifest(
        &home
            .path()
            .join(".config/chromium/NativeMessagingHosts")
            .join(MANIFEST),
        false,
        &[],
    );

    let (code, out) = doctor(&home, &["--browser", "chromium"]);
    assert_ne!(code, Some(0), "{out}");
    assert!(out.contains("may not start FactorCat outside it"), "{out}");
    let overrides = home.path().join(".local/share/flatpak/overrides");
    fs::create_dir_all(&overrides).unwrap();
    fs::write(
        overrides.join("org.chromium.Chromium"),
        "[Session Bus Policy]\norg.freedesktop.Flatpak=talk\n",
    )
    .unwrap();
    let (code, out) = doctor(&home, &["--browser", "chromium"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains(&format!("{} is factorcat ", binary().display())),
        "{out}"
    );
}

#[test]
fn a_stale_manifest_is_updated_in_place() {
    let home = Home::new();
    let dir = home.path().join(".config/chromium/NativeMessagingHosts");
    fs::create_dir_all(&dir).unwrap();
    fs::write(
        dir.join(MANIFEST),
        "{\"name\": \"com.factorcat.host\", \"path\": \"/old/factorcat\"}",
    )
    .unwrap();
    let out = ok(&home.run(&["install", "--browser", "chromium"]));
    assert!(out.contains("updated"), "{out}");
    assert_manifest(&dir.join(MANIFEST), false, &[]);
}

#[test]
fn dry_run_prints_and_writes_nothing() {
    let home = Home::new();
    let out = ok(&home.run(&["install", "--browser", "chromium", "--dry-run"]));
    assert!(out.contains("would create"), "{out}");
    assert!(
        out.contains(&format!("chrome-extension://{}/", chromium_id())),
        "{out}"
    );
    assert!(out.contains(&binary().display().to_string()), "{out}");
    assert!(home.files().is_empty(), "{:?}", home.files());
}

/// Starts the program a manifest names the way the browser would, sends
/// `hello`, and returns the reply.
fn hello_as_browser(program: &str, args: &[&str], home: &Home) -> Value {
    use std::io::{Read, Write};
    use std::process::Stdio;
    let mut child = Command::new(program)
        .args(args)
        .env("HOME", home.path())
        .env("FACTORCAT_HOME", home.path().join("vault"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let body = br#"{"id": 1, "type": "hello", "protocol": 1}"#;
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&(body.len() as u32).to_ne_bytes()).unwrap();
    stdin.write_all(body).unwrap();
    drop(stdin);
    let mut out = Vec::new();
    child.stdout.take().unwrap().read_to_end(&mut out).unwrap();
    child.wait().unwrap();
    assert!(out.len() > 4, "no reply frame from {program}");
    let len = u32::from_ne_bytes(out[..4].try_into().unwrap()) as usize;
    serde_json::from_slice(&out[4..4 + len]).unwrap()
}

#[test]
fn installed_manifests_start_a_host_that_serves_the_extension_they_allow() {
    let home = Home::new();
    ok(&home.run(&["install", "--browser", "chromium", "--browser", "firefox"]));
    let chromium = read_json(
        &home
            .path()
            .join(".config/chromium/NativeMessagingHosts")
            .join(MANIFEST),
    );
    let origin = chromium["allowed_origins"][0].as_str().unwrap();
    let reply = hello_as_browser(chromium["path"].as_str().unwrap(), &[origin], &home);
    assert_eq!(reply["ok"], true, "{reply}");
    assert_eq!(reply["host"], "factorcat", "{reply}");

    let manifest = home.firefox_manifest();
    let firefox = read_json(&manifest);
    let addon = firefox["allowed_extensions"][0].as_str().unwrap();
    let manifest_arg = manifest.display().to_string();
    let reply = hello_as_browser(
        firefox["path"].as_str().unwrap(),
        &[&manifest_arg, addon],
        &home,
    );
    assert_eq!(reply["ok"], true, "{reply}");
}

// ------------------------------------------------------------- uninstall

#[test]
fn uninstall_removes_only_factorcat_files() {
    let home = Home::new();
    ok(&home.run(&["install", "--browser", "chromium", "--browser", "firefox"]));
    let chromium_dir = home.path().join(".config/chromium/NativeMessagingHosts");
    let firefox_dir = home.path().join(".mozilla/native-messaging-hosts");
    let foreign = b"{\"name\": \"com.other.host\", \"path\": \"/usr/bin/other\"}\n";
    for dir in [&chromium_dir, &firefox_dir] {
        fs::write(dir.join("com.other.host.json"), foreign).unwrap();
    }
    let out = ok(&home.run(&["uninstall"]));
    assert!(out.contains("removed"), "{out}");
    for dir in [&chromium_dir, &firefox_dir] {
        assert!(!dir.join(MANIFEST).exists());
        assert_eq!(fs::read(dir.join("com.other.host.json")).unwrap(), foreign);
    }
    let again = ok(&home.run(&["uninstall"]));
    assert!(again.contains("Nothing to remove"), "{again}");
}

#[test]
fn uninstall_of_one_browser_keeps_the_others() {
    let home = Home::new();
    ok(&home.run(&["install", "--browser", "chromium", "--browser", "chrome"]));
    let out = ok(&home.run(&["uninstall", "--browser", "chromium"]));
    assert!(!out.contains("Note:"), "{out}");
    assert_eq!(
        home.files(),
        [format!(
            ".config/google-chrome/NativeMessagingHosts/{MANIFEST}"
        )]
    );
}

#[test]
fn uninstall_names_the_browsers_sharing_a_place() {
    let home = Home::new();
    ok(&home.run(&["install", "--browser", "firefox"]));
    let out = ok(&home.run(&["uninstall", "--browser", "thunderbird"]));
    assert!(
        out.contains("removed") && out.contains(".mozilla/native-messaging-hosts"),
        "{out}"
    );
    assert!(
        out.contains("Note: firefox, waterfox read the same places"),
        "{out}"
    );
}

#[test]
fn uninstall_from_a_user_data_dir() {
    let home = Home::new();
    let udd = home.path().join("p").display().to_string();
    ok(&home.run(&["install", "--browser", "chromium", "--user-data-dir", &udd]));
    fs::write(
        home.path()
            .join("p/NativeMessagingHosts/com.other.host.json"),
        "{}",
    )
    .unwrap();
    ok(&home.run(&[
        "uninstall",
        "--browser",
        "chromium",
        "--user-data-dir",
        &udd,
    ]));
    assert_eq!(home.files(), ["p/NativeMessagingHosts/com.other.host.json"]);
}

// ------------------------------------------------ detection and refusals

#[test]
fn without_browser_flag_installs_what_is_found() {
    let home = Home::new();
    fs::create_dir_all(home.path().join(".config/chromium")).unwrap();
    fs::create_dir_all(home.path().join(".librewolf")).unwrap();
    let out = ok(&home.run(&["install"]));
    assert!(
        out.contains("Browsers found") && out.contains("chromium") && out.contains("librewolf"),
        "{out}"
    );
    assert_eq!(
        home.files(),
        [
            format!(".config/chromium/NativeMessagingHosts/{MANIFEST}"),
            format!(".librewolf/native-messaging-hosts/{MANIFEST}"),
        ]
    );
}

#[test]
fn a_browser_on_path_counts_as_found() {
    let home = Home::new();
    let fake = home.path().join("empty-path/firefox");
    fs::write(&fake, "#!/bin/sh\n").unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&fake, fs::Permissions::from_mode(0o755)).unwrap();
    }
    let out = ok(&home.run(&["install"]));
    assert!(out.contains("firefox on PATH"), "{out}");
    assert_manifest(&home.firefox_manifest(), true, &[]);
}

#[test]
fn nothing_found_is_an_error_naming_the_choices() {
    let home = Home::new();
    let out = home.run(&["install"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no supported browser")
            && err.contains("--browser")
            && err.contains("thunderbird"),
        "{err}"
    );
    assert!(home.files().is_empty());
}

#[test]
fn unknown_or_foreign_browser_names_are_refused() {
    for name in ["netscape", "arc"] {
        let home = Home::new();
        let out = home.run(&["install", "--browser", "chromium", "--browser", name]);
        assert_eq!(out.status.code(), Some(2), "{name}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!("\"{name}\"")) && err.contains("valid names: chrome,"),
            "{err}"
        );
        assert!(home.files().is_empty(), "{name}: something was written");
    }
}

#[test]
fn bad_extension_ids_are_refused() {
    let home = Home::new();
    let out = home.run(&[
        "install",
        "--browser",
        "chromium",
        "--extension-id",
        "not-an-id",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("32 letters a-p"));
    assert!(home.files().is_empty());
}

#[test]
fn aliases_name_the_same_browser() {
    let home = Home::new();
    ok(&home.run(&["install", "--browser", "chrome-unstable"]));
    assert_eq!(
        home.files(),
        [format!(
            ".config/google-chrome-unstable/NativeMessagingHosts/{MANIFEST}"
        )]
    );
}

// ---------------------------------------------------------------- doctor

/// `factorcat doctor` with `args`. FACTORCAT_PASSPHRASE is set, so that
/// the missing vault is a note whether or not a Secret Service answers
/// here (the first `add` then creates the vault either way): these tests
/// are about the browsers' side.
fn doctor(home: &Home, args: &[&str]) -> (Option<i32>, String) {
    let mut all = vec!["doctor"];
    all.extend_from_slice(args);
    let out = home
        .cmd(&all)
        .env("FACTORCAT_PASSPHRASE", "doctor test")
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn edit_manifest(path: &Path, change: impl FnOnce(&mut Value)) {
    let mut v = read_json(path);
    change(&mut v);
    fs::write(path, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
}

#[test]
fn doctor_passes_a_fresh_install() {
    let home = Home::new();
    ok(&home.run(&["install", "--browser", "chromium", "--browser", "firefox"]));
    let (code, out) = doctor(&home, &[]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("No problems found"), "{out}");
    assert!(
        out.contains(&format!("{} is factorcat ", binary().display())),
        "{out}"
    );
    assert!(out.contains("there is no vault yet"), "{out}");
}

#[test]
fn doctor_catches_a_missing_program() {
    let home = Home::new();
    ok(&home.run(&["install", "--browser", "chromium"]));
    let gone = home.path().join("gone/factorcat");
    edit_manifest(
        &home
            .path()
            .join(".config/chromium/NativeMessagingHosts")
            .join(MANIFEST),
        |v| {
            v["path"] = json!(gone.display().to_string());
        },
    );
    let (code, out) = doctor(&home, &[]);
    assert_ne!(code, Some(0), "{out}");
    assert!(
        out.contains(&format!("{} does not exist", gone.display())),
        "{out}"
    );
    assert!(
        out.contains("fix: run `factorcat install --browser chromium`"),
        "{out}"
    );
}

#[test]
fn doctor_catches_a_program_that_is_not_factorcat() {
    let home = Home::new();
    ok(&home.run(&["install", "--browser", "firefox"]));
    edit_manifest(&home.firefox_manifest(), |v| {
        v["path"] = json!("/bin/true");
    });
    let (code, out) = doctor(&home, &["--browser", "firefox"]);
    assert_ne!(code, Some(0), "{out}");
    assert!(
        out.contains("/bin/true does not answer --version like factorcat"),
        "{out}"
    );
}

#[test]
fn doctor_catches_a_wrong_extension_id() {
    let home = Home::new();
    let udd = home.path().join("p").display().to_string();
    ok(&home.run(&["install", "--browser", "chromium", "--user-data-dir", &udd]));
    edit_manifest(
        &home.path().join("p/NativeMessagingHosts").join(MANIFEST),
        |v| {
            v["allowed_origins"] = json!(["chrome-extension://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/"]);
        },
    );
    let (code, out) = doctor(&home, &["--browser", "chromium", "--user-data-dir", &udd]);
    assert_ne!(code, Some(0), "{out}");
    assert!(
        out.contains(&format!(
            "does not include FactorCat's extension chrome-extension://{}/",
            chromium_id()
        )),
        "{out}"
    );
    assert!(
        out.contains("fix: factorcat install --browser chromium --user-data-dir"),
        "{out}"
    );
}

#[test]
fn doctor_catches_a_chromium_manifest_where_firefox_looks() {
    let home = Home::new();
    ok(&home.run(&["install", "--browser", "firefox"]));
    edit_manifest(&home.firefox_manifest(), |v| {
        v["allowed_origins"] = json!([format!("chrome-extension://{}/", chromium_id())]);
    });
    let (code, out) = doctor(&home, &[]);
    assert_ne!(code, Some(0), "{out}");
    assert!(out.contains("Firefox refuses it"), "{out}");
}

#[test]
fn doctor_catches_a_browser_without_manifest_and_broken_json() {
    let home = Home::new();
    fs::create_dir_all(home.path().join(".config/google-chrome")).unwrap();
    let dir = home.path().join(".config/chromium/NativeMessagingHosts");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join(MANIFEST), "{ not json").unwrap();
    let (code, out) = doctor(&home, &[]);
    assert_ne!(code, Some(0), "{out}");
    assert!(
        out.contains("no FactorCat manifest at")
            && out.contains("fix: factorcat install --browser chrome"),
        "{out}"
    );
    assert!(out.contains("not valid JSON"), "{out}");
    assert!(out.contains("2 problem(s) found"), "{out}");
}

#[test]
fn doctor_opens_a_keyring_vault_and_catches_an_unreachable_keyring() {
    if !keyring_tests_enabled() {
        return;
    }
    let home = Home::new();
    ok(&home.run(&["install", "--browser", "chromium"]));
    ok(&home.run(&["init"]));
    let vault_dir = home.path().join("vault");
    let id = factorcat::vault::Vault::at(&vault_dir)
        .id()
        .unwrap()
        .to_string();
    let _cleanup = KeyringCleanup(id);

    let (code, out) = doctor(&home, &[]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("keyring slot: yes") && out.contains("the vault opens"),
        "{out}"
    );

    let missing_bus = format!("unix:path={}", home.path().join("no-such-bus").display());
    let out = home
        .cmd(&["doctor"])
        .env("DBUS_SESSION_BUS_ADDRESS", &missing_bus)
        .env("FACTORCAT_NO_KEY_CACHE", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_ne!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("PROBLEM  the vault does not open"),
        "{stdout}"
    );
    assert!(
        stdout.contains("fix: start a Secret Service")
            || stdout.contains("fix: unlock the OS keyring"),
        "{stdout}"
    );
    assert!(stdout.contains("1 problem(s) found"), "{stdout}");
}

#[test]
fn doctor_reports_a_damaged_vault() {
    let home = Home::new();
    ok(&home.run(&["install", "--browser", "firefox"]));
    let vault_dir = home.path().join("vault");
    fs::create_dir_all(&vault_dir).unwrap();
    let file = factorcat::vault::Vault::at(&vault_dir).file();
    fs::write(&file, b"this is not a vault\n").unwrap();
    let (code, out) = doctor(&home, &[]);
    assert_ne!(code, Some(0), "{out}");
    assert!(
        out.contains(&format!("the vault at {} cannot be used", file.display())),
        "{out}"
    );
    assert_eq!(
        fs::read(&file).unwrap(),
        b"this is not a vault\n",
        "doctor changed the vault"
    );
}
