//! `factorcat code`: the current code of one token, and nothing else, on
//! standard output.

use clap::Args;
use clap_complete::engine::ArgValueCompleter;

use factorcat::token::{Identity, Kind, MfaSerial, now_unix};
use factorcat::vault::{Vault, VaultData};
use factorcat::{ledger, query};

use super::console::{say, unlock};
use super::{CliError, CliResult};

/// `factorcat code`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["query", "aws_mfa_serial"])))]
pub struct CodeArgs {
    #[arg(help = super::which::QUERY_HELP, add = ArgValueCompleter::new(super::which::complete_query))]
    pub query: Option<String>,
    /// Pick the token of an AWS virtual MFA device by its serial, arn:aws:iam::<account>:mfa/<name>:
    /// the token bound to it (add/edit --aws-mfa-serial), else the account's token whose AWS user or
    /// device name is <name>, else the account's only token when whose it is is not known.
    #[arg(long, value_name = "ARN", conflicts_with = "query")]
    pub aws_mfa_serial: Option<String>,
    /// Compute the code for this Unix time instead of now (TOTP and Steam).
    #[arg(long, value_name = "UNIX_SECONDS")]
    pub time: Option<u64>,
}

/// Resolves a query or an AWS MFA serial among `tokens`.
fn resolve<T: Identity>(
    tokens: &[T],
    args_query: Option<&str>,
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
        (Some(q), None) => query::resolve(tokens, q)?,
        (None, None) => return Err(CliError::Usage("name a token".into())),
    })
}

/// Runs `factorcat code`.
pub(super) fn run(args: CodeArgs) -> CliResult {
    let vault = Vault::locate()?;
    let unlock = unlock();
    // Only the chosen token is decoded: `code` is what scripts call in a
    // loop, and a large vault must not slow it down.
    let token = vault.read_one(&unlock, |heads| {
        resolve(heads, args.query.as_deref(), args.aws_mfa_serial.as_deref())
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
            vault.update(&unlock, |data: &mut VaultData| {
                let (mut codes, _) = ledger::spend_hotp(data, id, 1)?;
                Ok::<_, CliError>(codes.remove(0))
            })?
        }
        _ => token.code_at(args.time.unwrap_or_else(now_unix)),
    };
    say(format!("{code}\n"))
}
