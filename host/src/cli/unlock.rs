//! `factorcat unlock`: open the vault once and keep its key in the kernel
//! key cache for a while, so that commands and the browser extension open it
//! without asking — a vault that only a passphrase opens included, without
//! putting the passphrase into any program's environment.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::Args;

use factorcat::vault::{KeyCaching, Vault};

use super::console::unlock;
use super::output::utc_time;
use super::{CliError, CliResult};

/// The longest `--for`: a day.
const MAX_UNLOCK: Duration = Duration::from_secs(24 * 60 * 60);

/// `factorcat unlock`.
#[derive(Debug, Clone, Args)]
pub struct UnlockArgs {
    /// How long the vault stays unlocked: seconds, or a number followed by s, m, h or d (at most 24h).
    #[arg(long = "for", value_name = "DURATION", default_value = DEFAULT_FOR, value_parser = parse_duration)]
    pub duration: Duration,
}

/// As long as a key the keyring gave stays cached.
const DEFAULT_FOR: &str = "8h";

/// `30`, `90s`, `15m`, `8h`, `1d`: between one minute and [`MAX_UNLOCK`].
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => return Err("write it as a number with s, m, h or d, e.g. 8h or 30m".into()),
    };
    let secs = number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(scale))
        .ok_or("write it as a number with s, m, h or d, e.g. 8h or 30m")?;
    let duration = Duration::from_secs(secs);
    if duration < Duration::from_secs(60) || duration > MAX_UNLOCK {
        return Err("it must be between 1m and 24h".into());
    }
    Ok(duration)
}

/// Runs `factorcat unlock`.
pub(super) fn run(args: UnlockArgs) -> CliResult {
    let vault = Vault::locate()?;
    match vault.unlock_for(&unlock(), args.duration)? {
        KeyCaching::Cached => {
            let until = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
                .saturating_add(args.duration.as_secs());
            eprintln!(
                "Unlocked until {}: commands and the browser extension open the vault without asking. \
                 `factorcat lock` locks it now.",
                utc_time(until)
            );
            Ok(())
        }
        KeyCaching::TurnedOff => Err(CliError::NotKept(
            "FACTORCAT_NO_KEY_CACHE turns the key cache off; unset it and run `factorcat unlock` again",
        )),
        KeyCaching::Unavailable => Err(CliError::NotKept(
            "this system has no kernel key cache to keep it in (it needs Linux, and keyctl allowed); \
             each command asks for the passphrase instead",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use factorcat::keystore::CACHE_TIMEOUT_SECS;

    #[test]
    fn durations_read_as_people_write_them() {
        for (text, secs) in [
            ("8h", 8 * 3600),
            ("30m", 1800),
            ("90", 90),
            ("120s", 120),
            ("1d", 86_400),
        ] {
            assert_eq!(
                parse_duration(text),
                Ok(Duration::from_secs(secs)),
                "{text}"
            );
        }
        for bad in [
            "",
            "h",
            "8x",
            "59",
            "25h",
            "2d",
            "-1h",
            "99999999999999999999d",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_duration(DEFAULT_FOR),
            Ok(Duration::from_secs(CACHE_TIMEOUT_SECS as u64))
        );
    }
}
