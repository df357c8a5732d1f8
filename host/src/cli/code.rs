//! `factorcat code`: the current code of one token, and nothing else, on
//! standard output; with `--fresh` (and always for `--aws-mfa-serial`) a
//! code never handed out before, as browser fills get. AWS tokens' codes
//! follow AWS's clock when the browser measured it to differ from this
//! computer's within the last hour (`factorcat::clock`), unless
//! `--local-clock`.

use std::io::IsTerminal;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::Args;
use clap_complete::engine::ArgValueCompleter;

use factorcat::clock::{self, Clocks, CodeTime};
use factorcat::ledger::{self, Reach};
use factorcat::query::{self, Query};
use factorcat::token::{Identity, Kind, MfaSerial, Token, TokenHead, now_unix};
use factorcat::vault::{Unlock, Vault, VaultData};

use super::console::{say, unlock};
use super::{CliError, CliResult};

/// What `factorcat code --help` says after the options.
const AFTER_HELP: &str = "\
A plain `code` prints the current code at once (and, when standard error is a terminal, \
the seconds it has left there). Sites such as AWS reject a code that was already used, so \
`--fresh` (always in force with --aws-mfa-serial) prints only a code that FactorCat has \
never handed out, neither to the browser extension nor to another fresh call, and that has \
at least 5 s left: when the current code is used or about to expire, it waits for the next \
one (at most one period and 5 s) and says so on standard error. --no-wait fails with exit \
code 9 instead of waiting. HOTP codes advance the counter once per code, fresh or not; \
--time never records anything.";

/// `factorcat code`.
#[derive(Debug, Args)]
#[command(
    group(clap::ArgGroup::new("which").required(true).args(["query", "aws_mfa_serial"])),
    after_long_help = AFTER_HELP
)]
pub struct CodeArgs {
    #[arg(help = super::which::QUERY_HELP, add = ArgValueCompleter::new(super::which::complete_query))]
    pub query: Option<String>,
    /// Pick the token of an AWS virtual MFA device by its serial, arn:aws:iam::<account>:mfa/<name>:
    /// the token bound to it (add/edit --aws-mfa-serial), else the account's token whose AWS user or
    /// device name is <name>, else the account's only token when whose it is is not known.
    /// The code is always fresh, as with --fresh.
    #[arg(long, value_name = "ARN", conflicts_with = "query")]
    pub aws_mfa_serial: Option<String>,
    /// A code never handed out before (by a browser fill or another fresh
    /// call) with at least 5 s left; waits for the next one if need be.
    #[arg(long)]
    pub fresh: bool,
    /// With a fresh code: fail (exit code 9) instead of waiting for one.
    #[arg(long)]
    pub no_wait: bool,
    /// Compute the code for this Unix time instead of now (TOTP and Steam);
    /// records nothing.
    #[arg(long, value_name = "UNIX_SECONDS", conflicts_with_all = ["fresh", "no_wait"])]
    pub time: Option<u64>,
    /// Use this computer's clock even when the browser measured AWS's clock
    /// to differ from it in the last hour (AWS tokens use that offset otherwise).
    #[arg(long)]
    pub local_clock: bool,
}

/// Resolves a query or an AWS MFA serial among `tokens`.
fn resolve<T: Identity>(
    tokens: &[T],
    args_query: Option<&Query>,
    serial: Option<&str>,
) -> CliResult<usize> {
    Ok(match (args_query, serial) {
        (_, Some(arn)) => {
            if MfaSerial::parse(arn).is_none() {
                return Err(CliError::Usage(format!(
                    "\"{arn}\" is not an MFA serial; expected arn:aws:iam::<12-digit account>:mfa/<device name>"
                )));
            }
            query::resolve_mfa_serial(tokens, arn)?
        }
        (Some(q), None) => q.resolve(tokens)?,
        (None, None) => return Err(CliError::Usage("name a token".into())),
    })
}

/// Runs `factorcat code`.
pub(super) fn run(args: CodeArgs) -> CliResult {
    // A code for AWS tools is always fresh; --time is a computation, not a
    // code handed out.
    let fresh = (args.fresh || args.aws_mfa_serial.is_some()) && args.time.is_none();
    if args.no_wait && !fresh {
        return Err(CliError::Usage(
            "--no-wait applies to fresh codes: add --fresh".into(),
        ));
    }
    let vault = Vault::locate()?;
    let unlock = unlock();
    // Only the chosen token is decoded, and only the tokens the query
    // could name are kept while the index is read: `code` is what scripts
    // call in a loop, and a large vault must not slow it down.
    let query = args.query.as_deref().map(Query::new);
    let serial = args.aws_mfa_serial.as_deref();
    let device = serial.and_then(MfaSerial::parse);
    let keep = |head: &TokenHead| match (&query, &device) {
        (_, Some(device)) => query::could_be_device(head, device),
        (Some(q), None) => serial.is_none() && q.admits(head),
        (None, None) => false,
    };
    let (token, clocks) = vault.read_one_with_clock(&unlock, keep, |heads| {
        resolve(heads, query.as_ref(), serial)
    })?;
    let code = match token.kind {
        Kind::Hotp { .. } => {
            if args.time.is_some() {
                return Err(CliError::Usage(
                    "--time applies to time-based tokens; this one is HOTP (counter-based)".into(),
                ));
            }
            let id = token.id;
            // Advance the counter durably before the code is shown, so a
            // crash can never hand out the same code twice.
            vault.update_data(&unlock, Some(id), |data: &mut VaultData| {
                let (mut codes, _) = ledger::spend_hotp(data, id, 1)?;
                Ok::<_, CliError>(codes.remove(0))
            })?
        }
        _ if fresh => {
            let reach = if args.no_wait {
                Reach::Now
            } else {
                Reach::Waiting
            };
            fresh_code(&vault, &unlock, &token, reach, args.local_clock)?
        }
        _ => match args.time {
            Some(time) => token.code_at(time),
            None => {
                let at = code_time(&clocks, &token, args.local_clock);
                tell_offset(at);
                let now = at.now();
                if std::io::stderr().is_terminal()
                    && let Some(left) = token.seconds_left(now)
                {
                    eprintln!("({left} s left)");
                }
                token.code_at(now)
            }
        },
    };
    say(format!("{code}\n"))
}

/// The time `token`'s codes are made at now: AWS's, when the browser
/// measured an offset that is in use (`clocks`), unless `local_clock`.
fn code_time(clocks: &Clocks, token: &Token, local_clock: bool) -> CodeTime {
    let local_now = now_unix();
    if local_clock {
        CodeTime {
            local_now,
            offset: 0,
        }
    } else {
        CodeTime::of(clocks, token, local_now)
    }
}

/// Says on a terminal's standard error that the code follows AWS's clock.
fn tell_offset(at: CodeTime) {
    if at.offset != 0 && std::io::stderr().is_terminal() {
        eprintln!(
            "factorcat: using AWS's clock, which the browser measured {} this computer's; set this computer's clock (--local-clock ignores the offset)",
            clock::describe(at.offset)
        );
    }
}

/// A code of `token` no one was handed before: the ledger's first free step
/// within `reach` (of AWS's time when an offset is in use), recorded in the
/// vault before it is shown, then waited for when it is not valid yet.
fn fresh_code(
    vault: &Vault,
    unlock: &Unlock,
    token: &Token,
    reach: Reach,
    local_clock: bool,
) -> CliResult<String> {
    let id = token.id;
    let (step, at) = vault.update_data(unlock, Some(id), |data: &mut VaultData| {
        // The time is read under the lock: waiting for it must not make
        // the code older than the ledger judged it.
        let at = code_time(&data.clock, token, local_clock);
        Ok::<_, CliError>((ledger::take_steps(data, id, at.now(), 1, reach)?, at))
    })?;
    tell_offset(at);
    // A step valid already has at least MIN_SECONDS_LEFT seconds left; one
    // waited for has its whole period.
    wait_until(at.local(step.valid_from()));
    Ok(token.code_at(step.valid_from()))
}

/// Sleeps until `valid_from` (this computer's Unix seconds), saying so on
/// standard error when there is anything to wait for.
fn wait_until(valid_from: u64) {
    let start = UNIX_EPOCH + Duration::from_secs(valid_from);
    let Ok(left) = start.duration_since(SystemTime::now()) else {
        return;
    };
    eprintln!(
        "waiting {} s for a fresh code…",
        left.as_secs() + u64::from(left.subsec_nanos() > 0)
    );
    // The wall clock decides, not the sleep: a sleep may end early or the
    // clock may be set back meanwhile.
    while let Ok(left) = start.duration_since(SystemTime::now()) {
        std::thread::sleep(
            left.min(Duration::from_secs(1))
                .max(Duration::from_millis(1)),
        );
    }
}
