//! `factorcat`: the command-line tool, and the native-messaging host when a
//! browser starts it.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    #[cfg(all(target_os = "linux", target_env = "gnu", target_feature = "crt-static"))]
    static_glibc::builtin_name_services();
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Some(caller) = factorcat::native::browser_caller(&args) {
        std::process::exit(factorcat::native::run_native_host(caller));
    }
    cli::run(args)
}

/// The release build of the Debian package and the benchmarks links glibc
/// statically (a static PIE, `scripts/lib.sh`). Such a binary still reads
/// `/etc/nsswitch.conf`, and for a source that is not built into glibc
/// (`systemd`, `sss`, `ldap`, `mdns4_minimal`, …) it loads that module of
/// the installed, shared glibc into the process — which crashes it (seen
/// with `libnss_systemd` of the very same glibc version, for a user not in
/// `/etc/passwd` and no `HOME`). So the three databases the binary consults
/// are limited to the sources built into glibc; nothing is ever loaded.
#[cfg(all(target_os = "linux", target_env = "gnu", target_feature = "crt-static"))]
mod static_glibc {
    use std::ffi::{CStr, c_char, c_int};

    unsafe extern "C" {
        /// glibc's `<nss.h>`: use these sources for this database instead
        /// of the ones `/etc/nsswitch.conf` names.
        fn __nss_configure_lookup(database: *const c_char, sources: *const c_char) -> c_int;
    }

    /// Who the user is (the home directory when `HOME` is unset; libdbus
    /// asks too) only from `/etc/passwd`; host names and services (a
    /// D-Bus address over TCP) from the files and DNS. A user known only
    /// to a directory service gets the command's "no home directory" advice
    /// (set `FACTORCAT_HOME`) when `HOME` is unset.
    pub(super) fn builtin_name_services() {
        const SOURCES: [(&CStr, &CStr); 3] = [
            (c"passwd", c"files"),
            (c"hosts", c"files dns"),
            (c"services", c"files"),
        ];
        for (database, sources) in SOURCES {
            // SAFETY: both are NUL-terminated strings that outlive the
            // call, and no other thread is running yet.
            unsafe { __nss_configure_lookup(database.as_ptr(), sources.as_ptr()) };
        }
    }
}
