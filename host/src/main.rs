//! `factorcat`: the command-line tool, and the native-messaging host when a
//! browser starts it.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Some(caller) = factorcat::native::browser_caller(&args) {
        std::process::exit(factorcat::native::run_native_host(caller));
    }
    cli::run(args)
}
