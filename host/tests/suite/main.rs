//! FactorCat's integration tests: one test binary, one module per suite.
//!
//! Every suite is a module here instead of a file of its own under
//! `host/tests/`, so the crate is linked into one test binary, not one per
//! suite. Each module's first comment says what it proves; shared helpers
//! are in [`support`]. Module names put the subject first and the kind of
//! test after it (`vault`, `vault_props`; `otpauth_corpus`,
//! `otpauth_props`), so one subject's suites sit together.
//!
//! Run one suite with a filter on its module path, e.g.
//! `cargo test -p factorcat --test suite vault_props::`; every property
//! suite with `_props::`. Proptest keeps the failures it found in
//! `host/tests/proptest-regressions/<module>.txt`.
//!
//! Tests of different suites run at the same time: a test must not depend
//! on process-wide state (environment variables, the working directory) that
//! another test could change, and keyring tests use entries of their own.

// Shared helpers: processes, keyring guards, secrets' spellings, generators.
mod support;

// How codes are made: RFC and Steam vectors, oathtool as a second opinion.
mod codes;

// otpauth:// links: hand-picked URIs with exact outcomes; round trips.
mod otpauth_corpus;
mod otpauth_props;

// The vault file: slots, damage, `.prev`, locks; any tokens round trip.
mod vault;
mod vault_props;

// Two machines, one vault: merge, conflict copies, the rollback guard.
mod vault_merge;

// `factorcat unlock` and `lock` with the real kernel key cache.
#[cfg(target_os = "linux")]
mod lock;

// Native-messaging frames and request decoding, any input.
mod frames_props;

// Which tokens a page is offered, against a public-suffix oracle.
mod matching_props;

// Importers against fixtures from independent generators; export read back.
mod import_aegis_export;
mod import_apps;
mod import_export_props;
mod import_text_qr;

// The built binary as a command line, a native host, an installer/doctor.
mod cli;
mod first_run;
mod fresh_codes;
#[cfg(target_os = "linux")]
mod install;
mod native_host;

// No secret, passphrase or code where it does not belong.
mod hygiene;

// Kills, full disks, read-only directories, garbage vaults, a lost keyring.
mod faults;

// Many hosts and command lines on one keyring vault; a long connection.
mod load;

// Every committed fuzz corpus and regression input, replayed.
mod fuzz_corpus;

// The test scripts' shell functions: where cargo builds, a private session.
mod scripts;

// What the documents claim, against the code and each other.
mod docs;
