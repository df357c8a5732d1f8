//! FactorCat: a TOTP/HOTP/Steam authenticator whose tokens live in an
//! encrypted vault keyed from the OS keyring. The `factorcat` binary is both
//! the command-line tool and the browser's native-messaging host.

pub mod aws_config;
pub mod clock;
pub mod doctor;
pub mod error;
pub mod export;
pub mod extension_ids;
pub mod fsutil;
pub mod import;
pub mod install;
pub mod keystore;
pub mod ledger;
pub mod native;
pub mod otpauth;
pub mod protocol;
pub mod qr;
pub mod query;
pub mod secret;
pub mod site;
pub mod token;
pub mod vault;

#[doc(hidden)]
pub mod fuzzing;

#[cfg(test)]
mod alloc_check;
