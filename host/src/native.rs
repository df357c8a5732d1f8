//! The native-messaging host: who may call it, the serve loop, and the
//! operations of `docs/protocol.md`.
//!
//! `ops` runs the operations, translating requests into domain calls:
//! `assemble` turns requests into token drafts and patches, the
//! [`crate::ledger`] decides which codes may be handed out, `replies`
//! says what a reply says of tokens and errors, and `budget` keeps every
//! reply under the browsers' size limit. The operations run against a
//! [`Store`], so they are tested without the encrypted vault
//! ([`MemoryStore`]); the binary uses [`VaultStore`].

mod assemble;
mod budget;
mod ops;
mod replies;
mod store;

use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

pub use budget::MAX_MATCH_CANDIDATES;
pub use ops::Handler;
pub use store::{MemoryStore, READ_CACHE_MAX_AGE, Store, Tokens, VaultData, VaultStore};

use crate::error::ErrorCode;
use crate::extension_ids;
use crate::install::table::Family;
use crate::protocol::{FrameError, ProtoError, failure, read_frame, write_frame};

/// Environment variable with more extension ids to serve, comma separated
/// (development builds of the extension).
pub const EXTRA_IDS_ENV: &str = "FACTORCAT_EXTRA_EXTENSION_IDS";

/// The browser extension that started the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// A Chromium-family browser; the id is the 32 letters of the origin
    /// `chrome-extension://<id>/`.
    Chromium {
        /// The extension id.
        extension_id: String,
    },
    /// Firefox or a Gecko fork.
    Firefox {
        /// The add-on id.
        addon_id: String,
        /// The host manifest the browser used.
        manifest: PathBuf,
    },
}

impl Caller {
    /// The extension or add-on id.
    pub fn id(&self) -> &str {
        match self {
            Caller::Chromium { extension_id } => extension_id,
            Caller::Firefox { addon_id, .. } => addon_id,
        }
    }

    /// `chromium` or `firefox`.
    pub fn browser(&self) -> &'static str {
        match self {
            Caller::Chromium { .. } => "chromium",
            Caller::Firefox { .. } => "firefox",
        }
    }

    /// Whether FactorCat serves this caller: the ids of
    /// [`crate::extension_ids`], plus those listed in [`EXTRA_IDS_ENV`].
    pub fn is_allowed(&self) -> bool {
        let extra = std::env::var(EXTRA_IDS_ENV).unwrap_or_default();
        self.is_allowed_with(&extra)
    }

    /// Whether this caller is FactorCat's, or one of the comma-separated
    /// `extra` ids.
    pub fn is_allowed_with(&self, extra: &str) -> bool {
        let family = match self {
            Caller::Chromium { .. } => Family::Chromium,
            Caller::Firefox { .. } => Family::Firefox,
        };
        let id = self.id();
        !id.is_empty()
            && (extension_ids::is_allowed(family, id)
                || extra
                    .split(',')
                    .map(str::trim)
                    .any(|e| !e.is_empty() && e == id))
    }
}

/// Recognises a browser start from the full argument list (program name
/// first, as `std::env::args_os()` gives it):
///
/// * Chromium: `chrome-extension://<id>/` first, then maybe
///   `--parent-window=<n>` and other flags, which are ignored;
/// * Firefox: the absolute path of a `.json` host manifest, then the add-on
///   id, and nothing else.
///
/// Returns `None` for anything else (a command-line invocation). A caller
/// that is recognised is not necessarily allowed: see [`Caller::is_allowed`].
pub fn browser_caller(args: &[OsString]) -> Option<Caller> {
    let rest = args.get(1..)?;
    let first = rest.first()?;
    if let Some(origin) = first.to_str()
        && let Some(id) = origin.strip_prefix("chrome-extension://")
    {
        let id = id.strip_suffix('/').unwrap_or(id);
        return Some(Caller::Chromium {
            extension_id: id.to_string(),
        });
    }
    if let [manifest, addon] = rest {
        let path = Path::new(manifest);
        let is_manifest = path.is_absolute()
            && path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        let addon = addon.to_str()?;
        if is_manifest && !addon.is_empty() && !addon.starts_with('-') {
            return Some(Caller::Firefox {
                addon_id: addon.to_string(),
                manifest: path.to_path_buf(),
            });
        }
    }
    None
}

/// Writes a diagnostic line to stderr. Callers never pass secrets or codes.
pub(crate) fn log(line: &str) {
    let _ = writeln!(io::stderr().lock(), "factorcat native host: {line}");
}

/// Serves requests from `input` until it ends; returns the exit status.
///
/// * end of input, also mid-frame: 0;
/// * an oversized length prefix: one `frame_too_large` reply, then 1;
/// * the browser no longer reading replies: 1.
pub fn serve<R: Read, W: Write, S: Store>(
    input: &mut R,
    output: &mut W,
    handler: &Handler<S>,
) -> i32 {
    loop {
        match read_frame(input) {
            Ok(None) => return 0,
            Ok(Some(body)) => {
                let reply = handler.reply(&body);
                if let Err(e) = write_frame(output, &reply) {
                    log(&format!("could not send a reply: {e}"));
                    return 1;
                }
            }
            Err(FrameError::Truncated) => {
                log("the input ended in the middle of a message; exiting");
                return 0;
            }
            Err(e @ FrameError::TooLarge(_)) => {
                let error = ProtoError::from(e);
                log(&format!("{}; exiting", error.code));
                let _ = write_frame(output, &failure(None, &error));
                return 1;
            }
            Err(e) => {
                log(&format!("{e}; exiting"));
                return 1;
            }
        }
    }
}

/// Runs the host for a browser caller on stdin/stdout against the vault;
/// returns the process exit status. A caller that is not FactorCat's gets a
/// single `forbidden_caller` frame and status 1.
pub fn run_native_host(caller: Caller) -> i32 {
    let stdout = io::stdout();
    let mut output = stdout.lock();
    if !caller.is_allowed() {
        let error = ProtoError::new(
            ErrorCode::ForbiddenCaller,
            format!(
                "this host serves only the FactorCat extension; the {} extension that called is not allowed (development builds: add its id to {EXTRA_IDS_ENV})",
                caller.browser()
            ),
        );
        log(&format!(
            "refused a {} caller that is not FactorCat",
            caller.browser()
        ));
        let _ = write_frame(&mut output, &failure(None, &error));
        return 1;
    }
    let handler = Handler::new(VaultStore::locate());
    let stdin = io::stdin();
    let mut input = stdin.lock();
    serve(&mut input, &mut output, &handler)
}

#[cfg(test)]
mod tests;
