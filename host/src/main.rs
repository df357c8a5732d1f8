fn main() {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Some(caller) = factorcat::native::browser_caller(&args) {
        std::process::exit(factorcat::native::run_native_host(caller));
    }
}
