//! Whether a program may be named in a machine-wide manifest.
//!
//! Every user's browser starts the program that a machine-wide manifest
//! names, so that program must be one no ordinary user can replace: the
//! file and every directory above it owned by root and writable by nobody
//! else. A directory that others may write is accepted only when it has
//! the sticky bit (like `/tmp`): there the kernel lets nobody but an
//! entry's owner, or the directory's, rename or remove the entry, and the
//! entry below it is checked in turn. Symbolic links are followed: the
//! directories holding the link and everything on the way to the real file
//! are checked. This is Unix only; on Windows machine-wide installs write
//! into a folder whose ACL only administrators can write (see `acl`), and
//! the program's own folder is not checked.

// The check itself is plain logic, tested everywhere; only Unix uses it.
#![cfg_attr(not(unix), allow(dead_code))]

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// A file or directory on the way to a program that a user other than
/// root could change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Untrusted {
    /// The file or directory at fault.
    pub path: PathBuf,
    /// What is wrong with it.
    pub fault: Fault,
}

/// What makes a path untrusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Owned by this user id, not by root.
    Owner(u32),
    /// Its group may write it.
    GroupWritable,
    /// Every user may write it.
    OthersWritable,
    /// It could not be examined (the system's words).
    Unreadable(String),
}

impl fmt::Display for Untrusted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display();
        match &self.fault {
            Fault::Owner(uid) => write!(f, "{path} is owned by user id {uid}, not by root"),
            Fault::GroupWritable => write!(f, "{path} can be written by its group"),
            Fault::OthersWritable => write!(f, "{path} can be written by every user"),
            Fault::Unreadable(why) => write!(f, "{path} cannot be examined: {why}"),
        }
    }
}

/// What the check needs to know of one path, without following a link.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Meta {
    pub uid: u32,
    pub mode: u32,
    pub link: bool,
}

/// Ways to look at the file system; replaced in unit tests.
pub(crate) struct Look<'a> {
    /// `lstat`.
    pub meta: &'a dyn Fn(&Path) -> io::Result<Meta>,
    /// The path with every link resolved.
    pub canonical: &'a dyn Fn(&Path) -> io::Result<PathBuf>,
}

const GROUP_WRITE: u32 = 0o020;
const OTHERS_WRITE: u32 = 0o002;
const STICKY: u32 = 0o1000;

/// Checks one path and every directory above it, as written.
fn check_chain(path: &Path, look: &Look<'_>) -> Result<(), Untrusted> {
    for part in path.ancestors().filter(|p| !p.as_os_str().is_empty()) {
        let untrusted = |fault| Untrusted {
            path: part.to_path_buf(),
            fault,
        };
        let meta = (look.meta)(part).map_err(|e| untrusted(Fault::Unreadable(e.to_string())))?;
        if meta.link {
            // A link cannot be changed in place; replacing it needs write
            // access to its directory, checked next. Its target is checked
            // through the canonical path.
            continue;
        }
        if meta.uid != 0 {
            return Err(untrusted(Fault::Owner(meta.uid)));
        }
        let sticky = part != path && meta.mode & STICKY != 0;
        if meta.mode & OTHERS_WRITE != 0 && !sticky {
            return Err(untrusted(Fault::OthersWritable));
        }
        if meta.mode & GROUP_WRITE != 0 && !sticky {
            return Err(untrusted(Fault::GroupWritable));
        }
    }
    Ok(())
}

/// Checks `program` (absolute) with the given view of the file system.
pub(crate) fn check_with(program: &Path, look: &Look<'_>) -> Result<(), Untrusted> {
    check_chain(program, look)?;
    let real = (look.canonical)(program).map_err(|e| Untrusted {
        path: program.to_path_buf(),
        fault: Fault::Unreadable(e.to_string()),
    })?;
    if real != program {
        check_chain(&real, look)?;
    }
    Ok(())
}

/// Whether `program` may be named in a machine-wide manifest: `Ok` when
/// only root can replace it, else the first path that lets someone else.
/// Always `Ok` off Unix (see the module's comment).
pub fn system_program(program: &Path) -> Result<(), Untrusted> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let program = std::path::absolute(program).unwrap_or_else(|_| program.to_path_buf());
        let meta = |p: &Path| {
            std::fs::symlink_metadata(p).map(|m| Meta {
                uid: m.uid(),
                mode: m.mode(),
                link: m.file_type().is_symlink(),
            })
        };
        check_with(
            &program,
            &Look {
                meta: &meta,
                canonical: &|p: &Path| std::fs::canonicalize(p),
            },
        )
    }
    #[cfg(not(unix))]
    {
        let _ = program;
        Ok(())
    }
}

/// The commands that put a copy of `binary` where only root can change it
/// and register that copy for every user.
pub fn safe_copy_commands(binary: &Path) -> String {
    format!(
        "sudo install -m 755 '{}' /usr/local/bin/factorcat && sudo /usr/local/bin/factorcat install --system",
        binary.display()
    )
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// A file system of (path, uid, mode, link target).
    fn check(entries: &[(&str, u32, u32, Option<&str>)], program: &str) -> Result<(), Untrusted> {
        let table: BTreeMap<PathBuf, (u32, u32, Option<PathBuf>)> = entries
            .iter()
            .map(|(p, uid, mode, to)| (PathBuf::from(p), (*uid, *mode, to.map(PathBuf::from))))
            .collect();
        let meta = |p: &Path| {
            table
                .get(p)
                .map(|(uid, mode, to)| Meta {
                    uid: *uid,
                    mode: *mode,
                    link: to.is_some(),
                })
                .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))
        };
        // Resolves links component by component (absolute targets only).
        let canonical = |p: &Path| {
            let mut out = PathBuf::from("/");
            for part in p.components().skip(1) {
                out.push(part);
                if let Some((_, _, Some(to))) = table.get(&out) {
                    out = to.clone();
                }
            }
            Ok(out)
        };
        check_with(
            Path::new(program),
            &Look {
                meta: &meta,
                canonical: &canonical,
            },
        )
    }

    const ROOT_DIRS: &[(&str, u32, u32, Option<&str>)] = &[
        ("/", 0, 0o40755, None),
        ("/usr", 0, 0o40755, None),
        ("/usr/bin", 0, 0o40755, None),
        ("/usr/local", 0, 0o40755, None),
        ("/usr/local/bin", 0, 0o40755, None),
        ("/home", 0, 0o40755, None),
        ("/home/alice", 1000, 0o40750, None),
        ("/home/alice/bin", 1000, 0o40755, None),
        ("/home/alice/bin/factorcat", 1000, 0o100755, None),
        ("/tmp", 0, 0o41777, None),
        ("/tmp/root", 0, 0o40700, None),
        ("/tmp/root/factorcat", 0, 0o100755, None),
        ("/tmp/alice", 1000, 0o40700, None),
        ("/tmp/alice/factorcat", 0, 0o100755, None),
        ("/tmp/factorcat", 0, 0o100755, None),
        ("/usr/bin/factorcat", 0, 0o100755, None),
        ("/usr/local/bin/group", 0, 0o100775, None),
        ("/usr/local/bin/world", 0, 0o100757, None),
        ("/usr/local/bin/sticky", 0, 0o101777, None),
        (
            "/usr/local/bin/to-alice",
            0,
            0o120777,
            Some("/home/alice/bin/factorcat"),
        ),
        (
            "/usr/local/bin/to-usr",
            1000,
            0o120777,
            Some("/usr/bin/factorcat"),
        ),
        (
            "/home/alice/bin/to-usr",
            1000,
            0o120777,
            Some("/usr/bin/factorcat"),
        ),
        ("/opt", 0, 0o40775, None),
        ("/opt/factorcat", 0, 0o100755, None),
    ];

    fn fault(path: &str, fault: Fault) -> Result<(), Untrusted> {
        Err(Untrusted {
            path: PathBuf::from(path),
            fault,
        })
    }

    #[test]
    fn only_what_root_alone_can_change_is_trusted() {
        let t = ROOT_DIRS;
        assert_eq!(check(t, "/usr/bin/factorcat"), Ok(()));
        assert_eq!(
            check(t, "/home/alice/bin/factorcat"),
            fault("/home/alice/bin/factorcat", Fault::Owner(1000))
        );
        assert_eq!(
            check(t, "/usr/local/bin/group"),
            fault("/usr/local/bin/group", Fault::GroupWritable)
        );
        assert_eq!(
            check(t, "/usr/local/bin/world"),
            fault("/usr/local/bin/world", Fault::OthersWritable)
        );
        // The sticky bit protects a directory's entries, not a file.
        assert_eq!(
            check(t, "/usr/local/bin/sticky"),
            fault("/usr/local/bin/sticky", Fault::OthersWritable)
        );
        assert_eq!(
            check(t, "/opt/factorcat"),
            fault("/opt", Fault::GroupWritable)
        );
        assert!(matches!(
            check(t, "/usr/bin/missing"),
            Err(Untrusted {
                fault: Fault::Unreadable(_),
                ..
            })
        ));
    }

    #[test]
    fn sticky_directories_protect_only_root_entries() {
        let t = ROOT_DIRS;
        assert_eq!(check(t, "/tmp/root/factorcat"), Ok(()));
        assert_eq!(
            check(t, "/tmp/alice/factorcat"),
            fault("/tmp/alice", Fault::Owner(1000))
        );
        // A root-owned file directly in /tmp: nobody else may rename or
        // remove it, and it is not writable.
        assert_eq!(check(t, "/tmp/factorcat"), Ok(()));
    }

    #[test]
    fn links_are_checked_on_both_sides() {
        let t = ROOT_DIRS;
        assert_eq!(
            check(t, "/usr/local/bin/to-alice"),
            fault("/home/alice/bin/factorcat", Fault::Owner(1000))
        );
        // A link's own owner does not matter; its directory's does.
        assert_eq!(check(t, "/usr/local/bin/to-usr"), Ok(()));
        assert_eq!(
            check(t, "/home/alice/bin/to-usr"),
            fault("/home/alice/bin", Fault::Owner(1000))
        );
    }

    #[test]
    fn messages_name_the_path_and_the_fault() {
        let text = Untrusted {
            path: PathBuf::from("/home/alice/.cargo/bin"),
            fault: Fault::Owner(1000),
        }
        .to_string();
        assert_eq!(
            text,
            "/home/alice/.cargo/bin is owned by user id 1000, not by root"
        );
    }
}
