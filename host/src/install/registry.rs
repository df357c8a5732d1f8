//! The Windows registry keys that point browsers at a host manifest: the
//! default value of `…\NativeMessagingHosts\com.factorcat.host` below
//! `HKEY_CURRENT_USER`, or `HKEY_LOCAL_MACHINE` for machine-wide installs.
//! Elsewhere these functions report that there is no registry.

use std::io;

/// The key's default value, or `None` when the key does not exist.
#[cfg(windows)]
pub fn default_value(system: bool, key: &str) -> io::Result<Option<String>> {
    match root(system).open_subkey(key) {
        Ok(k) => match k.get_value::<String, _>("") {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Some(String::new())),
            Err(e) => Err(e),
        },
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Creates the key if needed and sets its default value.
#[cfg(windows)]
pub fn set_default_value(system: bool, key: &str, value: &str) -> io::Result<()> {
    let (k, _) = root(system).create_subkey(key)?;
    k.set_value("", &value.to_string())
}

/// Deletes the key (which FactorCat alone owns: its name is the host name).
#[cfg(windows)]
pub fn delete_key(system: bool, key: &str) -> io::Result<()> {
    match root(system).delete_subkey_all(key) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

#[cfg(windows)]
fn root(system: bool) -> winreg::RegKey {
    use winreg::enums::{HKEY_CURRENT_USER, HKEY_LOCAL_MACHINE};
    winreg::RegKey::predef(if system {
        HKEY_LOCAL_MACHINE
    } else {
        HKEY_CURRENT_USER
    })
}

#[cfg(not(windows))]
fn no_registry() -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        "there is no Windows registry on this system",
    )
}

/// The key's default value; there is no registry here.
#[cfg(not(windows))]
pub fn default_value(_system: bool, _key: &str) -> io::Result<Option<String>> {
    Err(no_registry())
}

/// Sets a key's default value; there is no registry here.
#[cfg(not(windows))]
pub fn set_default_value(_system: bool, _key: &str, _value: &str) -> io::Result<()> {
    Err(no_registry())
}

/// Deletes a key; there is no registry here.
#[cfg(not(windows))]
pub fn delete_key(_system: bool, _key: &str) -> io::Result<()> {
    Err(no_registry())
}
