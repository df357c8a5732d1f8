//! What the keyring tests share: whether they can run (they need the
//! Secret Service of the surrounding D-Bus session) and the cleanup of the
//! keyring entries they make.

use factorcat::keystore;

/// True when keyring tests should run; panics with instructions when they
/// cannot run and were not explicitly skipped.
pub fn keyring_tests_enabled() -> bool {
    if std::env::var_os("FACTORCAT_SKIP_KEYRING_TESTS").is_some_and(|v| v == "1") {
        eprintln!("FACTORCAT_SKIP_KEYRING_TESTS=1: skipped");
        return false;
    }
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "DBUS_SESSION_BUS_ADDRESS is unset, so the keyring tests cannot reach a Secret \
         Service. Run the tests through scripts/test.sh, or the long versions through \
         scripts/stress.sh (both start a private D-Bus session with an unlocked \
         gnome-keyring), or set FACTORCAT_SKIP_KEYRING_TESTS=1 to skip them."
    );
    true
}

/// Deletes a vault's keyring entry and cached key, and this machine's
/// generation marks of it, when dropped.
pub struct KeyringCleanup(pub String);

impl Drop for KeyringCleanup {
    fn drop(&mut self) {
        let _ = keystore::keyring_delete(&self.0);
        let _ = keystore::keyring_mark_delete(&self.0);
        keystore::cache_drop(&self.0);
        keystore::cache_mark_drop(&self.0);
    }
}
