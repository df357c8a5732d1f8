//! One function per subcommand.

use std::io::{self, BufRead, IsTerminal, Write};

use zeroize::Zeroizing;

use super::args::{
    AddArgs, AlgorithmArg, AwsArgs, CodeArgs, Command, CompletionsArgs, EditArgs, InitArgs,
    ListArgs, MatchArgs, PartitionArg, PassphraseArgs, RemoveArgs, ShowArgs,
};
use super::output::{details, display_order, table, token_json};
use super::{CliError, CliResult, unlock};
use factorcat::import::same_generator;
use factorcat::otpauth;
use factorcat::query::{self, short_id};
use factorcat::secret::Secret;
use factorcat::site::{self, Hint, Strength};
use factorcat::token::{Algorithm, Identity, Kind, Partition, STEAM_DIGITS, Token, now_unix};
use factorcat::vault::{CreateOptions, Unlock, Vault, VaultData, VaultError};

/// Runs one parsed subcommand.
pub fn dispatch(command: Command) -> CliResult {
    match command {
        Command::Init(a) => init(a),
        Command::Add(a) => match a.qr {
            Some(image) => super::import_cmd::add_qr(&image),
            None => add(a),
        },
        Command::Import(a) => super::import_cmd::import(&a),
        Command::Code(a) => code(a),
        Command::List(a) => list(a),
        Command::Match(a) => match_page(a),
        Command::Show(a) => show(a),
        Command::Edit(a) => edit(a),
        Command::Remove(a) => remove(a),
        Command::Passphrase(a) => passphrase(a),
        Command::Completions(a) => completions(a),
        Command::Install(a) => Ok(factorcat::install::run_install(&a)?),
        Command::Uninstall(a) => Ok(factorcat::install::run_uninstall(&a)?),
        Command::Doctor(a) => Ok(factorcat::doctor::run(&a)?),
        Command::Export(a) => super::export_cmd::run(a),
    }
}

pub(super) fn io_err(what: &str) -> impl FnOnce(io::Error) -> CliError + '_ {
    move |source| CliError::Io {
        what: what.to_string(),
        source,
    }
}

pub(super) fn say(text: impl std::fmt::Display) -> CliResult {
    let mut out = io::stdout().lock();
    write!(out, "{text}")
        .and_then(|()| out.flush())
        .map_err(io_err("writing to standard output"))
}

/// Reads one line from standard input, for `-` arguments.
fn stdin_line(what: &str) -> CliResult<Zeroizing<String>> {
    let mut line = Zeroizing::new(String::new());
    io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(io_err("reading standard input"))?;
    let trimmed = Zeroizing::new(line.trim().to_string());
    if trimmed.is_empty() {
        return Err(CliError::Usage(format!(
            "expected the {what} on standard input, got nothing"
        )));
    }
    Ok(trimmed)
}

/// A new passphrase: the value of `env_name`, else asked twice on the
/// terminal. `needed` names it when neither is possible ("a new
/// passphrase"), `prompt` asks for it, and `undone` says what did not happen
/// when the two answers differ ("changed").
pub(super) fn new_passphrase(
    env_name: &str,
    needed: &str,
    prompt: &str,
    undone: &str,
) -> CliResult<Zeroizing<String>> {
    if let Ok(value) = std::env::var(env_name) {
        if value.is_empty() {
            return Err(CliError::Usage(format!(
                "{env_name} is set but empty; set it to the passphrase or unset it"
            )));
        }
        return Ok(Zeroizing::new(value));
    }
    if !io::stdin().is_terminal() {
        return Err(CliError::Usage(format!(
            "{needed} is needed; set {env_name} or run this in a terminal"
        )));
    }
    let ask = |prompt: &str| {
        rpassword::prompt_password(prompt)
            .map(Zeroizing::new)
            .map_err(io_err("reading the passphrase"))
    };
    let first = ask(prompt)?;
    let second = ask("Repeat it: ")?;
    if first.is_empty() || *first != *second {
        return Err(CliError::Usage(format!(
            "the passphrases were empty or did not match; nothing was {undone}"
        )));
    }
    Ok(first)
}

/// A new passphrase for the vault's passphrase slot, from `env_name` or the
/// terminal.
fn new_vault_passphrase(env_name: &str) -> CliResult<Zeroizing<String>> {
    new_passphrase(env_name, "a new passphrase", "New passphrase: ", "changed")
}

fn init(args: InitArgs) -> CliResult {
    let vault = Vault::locate()?;
    let passphrase = if args.passphrase {
        Some(new_vault_passphrase("FACTORCAT_PASSPHRASE")?)
    } else {
        None
    };
    vault.create(&CreateOptions {
        keyring: !args.no_keyring,
        passphrase,
    })?;
    eprintln!("Created a new vault at {}", vault.file().display());
    Ok(())
}

/// Opens the vault for a write, creating it on first use: keyring slot,
/// plus a passphrase slot when `FACTORCAT_PASSPHRASE` is set. Without a
/// reachable keyring, the passphrase alone protects it.
pub(super) fn vault_for_writing() -> CliResult<Vault> {
    let vault = Vault::locate()?;
    if vault.exists() {
        return Ok(vault);
    }
    let passphrase = Unlock::from_env().passphrase;
    let with_keyring = CreateOptions {
        keyring: true,
        passphrase: passphrase.clone(),
    };
    match vault.create(&with_keyring) {
        Ok(()) => eprintln!(
            "Created a new vault at {} (key kept in the OS keyring)",
            vault.file().display()
        ),
        Err(e @ (VaultError::KeyringLocked | VaultError::KeyringUnavailable { .. })) => {
            if passphrase.is_none() {
                return Err(e.into());
            }
            vault.create(&CreateOptions {
                keyring: false,
                passphrase,
            })?;
            eprintln!(
                "Created a new vault at {} protected by FACTORCAT_PASSPHRASE only (the OS keyring was not reachable)",
                vault.file().display()
            );
        }
        Err(e) => return Err(e.into()),
    }
    Ok(vault)
}

fn algorithm(arg: AlgorithmArg) -> Algorithm {
    match arg {
        AlgorithmArg::Sha1 => Algorithm::Sha1,
        AlgorithmArg::Sha256 => Algorithm::Sha256,
        AlgorithmArg::Sha512 => Algorithm::Sha512,
    }
}

fn partition(arg: PartitionArg) -> Partition {
    match arg {
        PartitionArg::Aws => Partition::Aws,
        PartitionArg::AwsUsGov => Partition::AwsUsGov,
        PartitionArg::AwsCn => Partition::AwsCn,
    }
}

/// Merges AWS flags into a token's AWS context (creating it when needed).
fn apply_aws(token: &mut Token, args: &AwsArgs) {
    if args.aws_account.is_none() && args.aws_user.is_none() && args.aws_partition.is_none() {
        return;
    }
    let mut aws = token.aws.take().unwrap_or_default();
    if let Some(account) = &args.aws_account {
        aws.account_id = None;
        aws.account_alias = None;
        aws = aws.with_account(account);
    }
    if let Some(user) = &args.aws_user {
        aws.user = Some(user.trim().to_string()).filter(|u| !u.is_empty());
    }
    if let Some(p) = args.aws_partition {
        aws.partition = partition(p);
    }
    token.aws = Some(aws);
}

/// A site as the vault keeps it (lower-case ASCII host), or a usage error.
fn normalize_site(text: &str) -> CliResult<String> {
    site::normalize_site(text).map_err(|e| CliError::Usage(format!("\"{text}\": {e}")))
}

fn push_unique(list: &mut Vec<String>, value: String) {
    if !list.contains(&value) {
        list.push(value);
    }
}

fn token_from_fields(args: &AddArgs) -> CliResult<Token> {
    let text = args.secret.as_deref().unwrap_or_default();
    let secret = if text == "-" {
        Secret::from_base32(&stdin_line("secret")?)?
    } else {
        Secret::from_base32(text)?
    };
    let mut token = Token::new(
        args.issuer.clone().unwrap_or_default().trim(),
        args.account.clone().unwrap_or_default().trim(),
        secret,
    );
    if let Some(a) = args.algorithm {
        token.algorithm = algorithm(a);
    }
    if let Some(d) = args.digits {
        token.digits = d;
    }
    token.kind = if args.steam {
        token.digits = STEAM_DIGITS;
        Kind::Steam
    } else if args.hotp {
        Kind::Hotp {
            counter: args.counter.unwrap_or_default(),
        }
    } else {
        Kind::Totp {
            period: args.period.unwrap_or(30),
        }
    };
    Ok(token)
}

fn add(args: AddArgs) -> CliResult {
    let mut token = match args.uri.as_deref() {
        Some("-") => otpauth::parse(&stdin_line("otpauth:// URI")?)?,
        Some(uri) => otpauth::parse(uri)?,
        None => token_from_fields(&args)?,
    };
    for site in &args.sites {
        push_unique(&mut token.sites, normalize_site(site)?);
    }
    for tag in &args.tags {
        push_unique(&mut token.tags, tag.trim().to_string());
    }
    token.pinned |= args.pin;
    apply_aws(&mut token, &args.aws);
    token.validate()?;

    let vault = vault_for_writing()?;
    let label = token.label();
    let id = token.id;
    vault.update(&unlock(), |data: &mut VaultData| {
        if let Some(twin) = data.tokens.iter().find(|t| same_generator(t, &token)) {
            return Err(CliError::Usage(format!(
                "this token is already in the vault as {} {}; use `factorcat edit {}` to change it",
                short_id(&twin.id),
                twin.label(),
                short_id(&twin.id)
            )));
        }
        data.insert(token);
        Ok(())
    })?;
    say(format!("added {} {label}\n", short_id(&id)))
}

/// Resolves a query or an AWS MFA serial among `tokens`.
fn resolve<T: Identity>(
    tokens: &[T],
    args_query: Option<&str>,
    serial: Option<&str>,
) -> CliResult<usize> {
    Ok(match (args_query, serial) {
        (_, Some(arn)) => {
            if query::MfaSerial::parse(arn).is_none() {
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

fn code(args: CodeArgs) -> CliResult {
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
                let token = data.get_mut(id).ok_or_else(|| vanished(id))?;
                let Kind::Hotp { counter } = token.kind else {
                    return Err(CliError::Usage(
                        "the token changed while it was being read; try again".into(),
                    ));
                };
                let next = counter.checked_add(1).ok_or_else(|| {
                    CliError::Usage(
                        "this HOTP token's counter is exhausted; add the token again".into(),
                    )
                })?;
                let code = token.hotp_code(counter);
                token.kind = Kind::Hotp { counter: next };
                token.touch();
                Ok(code)
            })?
        }
        _ => token.code_at(args.time.unwrap_or_else(now_unix)),
    };
    say(format!("{code}\n"))
}

/// The token was removed by another process between the read and the write.
fn vanished(id: uuid::Uuid) -> CliError {
    CliError::Query(query::QueryError::NotFound(id.to_string()))
}

fn list(args: ListArgs) -> CliResult {
    let vault = Vault::locate()?;
    if !vault.exists() {
        // An empty list is the truthful answer before the first `add`.
        return say(if args.json {
            "[]\n"
        } else {
            "No tokens yet; add one with `factorcat add <otpauth-uri>`.\n"
        });
    }
    let data = vault.read(&unlock())?;
    let ordered = display_order(&data.tokens);
    if args.json {
        let array: Vec<_> = ordered.iter().map(|t| token_json(t)).collect();
        return say(format!("{}\n", serde_json::Value::Array(array)));
    }
    if ordered.is_empty() {
        return say("No tokens yet; add one with `factorcat add <otpauth-uri>`.\n");
    }
    say(table(&ordered))
}

fn strength_name(strength: Strength) -> &'static str {
    match strength {
        Strength::AccountUser => "account + user",
        Strength::Account => "account",
        Strength::User => "user",
        Strength::Site => "site",
    }
}

/// `factorcat match`: the same decision the browser extension gets.
fn match_page(args: MatchArgs) -> CliResult {
    let vault = Vault::locate()?;
    let data = if vault.exists() {
        vault.read(&unlock())?
    } else {
        VaultData::default()
    };
    let hint = Hint {
        account: args.account,
        user: args.user,
        email: args.email,
    };
    let result = site::match_url(&data.tokens, &args.url, &hint)
        .map_err(|e| CliError::Usage(format!("nothing is offered for \"{}\": {e}", args.url)))?;
    let autofill = result.autofill();
    if args.json {
        let candidates: Vec<_> = result
            .candidates
            .iter()
            .map(|c| {
                let mut obj = token_json(&data.tokens[c.index]);
                obj["strength"] = serde_json::json!(c.strength);
                obj
            })
            .collect();
        let out = serde_json::json!({
            "host": result.host,
            "site": result.site,
            "aws": result.aws.as_ref().map(|a| serde_json::json!({
                "partition": a.partition.as_str(),
                "account": a.account,
                "region": a.region,
            })),
            "candidates": candidates,
            "autofill": autofill,
        });
        say(format!("{out}\n"))?;
    } else {
        let mut text = format!("page: {}", result.host);
        if let Some(aws) = &result.aws {
            text.push_str(&format!(
                " (AWS sign-in, partition {}",
                aws.partition.as_str()
            ));
            if let Some(account) = &aws.account {
                text.push_str(&format!(", account {account}"));
            }
            text.push(')');
        }
        text.push('\n');
        for c in &result.candidates {
            let token = &data.tokens[c.index];
            let mark = if autofill == Some(c.id) {
                "fill"
            } else {
                "    "
            };
            text.push_str(&format!(
                "{mark}  {}  {}  [{}]\n",
                short_id(&c.id),
                token.label(),
                strength_name(c.strength)
            ));
        }
        text.push_str(&match (autofill, result.candidates.len()) {
            (_, 0) => "no token belongs to this page\n".to_string(),
            (Some(_), _) => "auto-fill: yes, exactly one token matches\n".to_string(),
            (None, _) => format!(
                "auto-fill: no, the person chooses (needs one token matching at least by {})\n",
                strength_name(result.autofill_needs)
            ),
        });
        say(text)?;
    }
    if result.candidates.is_empty() {
        return Err(CliError::Query(query::QueryError::NotFound(
            args.url.clone(),
        )));
    }
    Ok(())
}

fn show(args: ShowArgs) -> CliResult {
    let data = Vault::locate()?.read(&unlock())?;
    let token = &data.tokens[query::resolve(&data.tokens, &args.query)?];
    if args.json {
        say(format!("{}\n", token_json(token)))
    } else {
        say(details(token))
    }
}

fn edit(args: EditArgs) -> CliResult {
    let vault = Vault::locate()?;
    let add_sites = args
        .add_site
        .iter()
        .map(|s| normalize_site(s))
        .collect::<CliResult<Vec<_>>>()?;
    let remove_sites = args
        .remove_site
        .iter()
        .map(|s| normalize_site(s))
        .collect::<CliResult<Vec<_>>>()?;
    let label = vault.update(&unlock(), |data: &mut VaultData| {
        let index = query::resolve(&data.tokens, &args.query)?;
        let token = &mut data.tokens[index];
        if let Some(issuer) = &args.issuer {
            token.issuer = issuer.trim().to_string();
        }
        if let Some(account) = &args.account {
            token.account = account.trim().to_string();
        }
        token.sites.retain(|s| !remove_sites.contains(s));
        for site in &add_sites {
            push_unique(&mut token.sites, site.clone());
        }
        token
            .tags
            .retain(|t| !args.remove_tag.iter().any(|r| r.trim() == t));
        for tag in &args.add_tag {
            push_unique(&mut token.tags, tag.trim().to_string());
        }
        if args.pin {
            token.pinned = true;
        }
        if args.unpin {
            token.pinned = false;
        }
        if args.clear_aws {
            token.aws = None;
        }
        apply_aws(token, &args.aws);
        token.validate()?;
        token.touch();
        Ok::<_, CliError>(format!("{} {}", short_id(&token.id), token.label()))
    })?;
    say(format!("updated {label}\n"))
}

fn remove(args: RemoveArgs) -> CliResult {
    let vault = Vault::locate()?;
    let unlock = unlock();
    let data = vault.read(&unlock)?;
    let token = &data.tokens[query::resolve(&data.tokens, &args.query)?];
    let (id, label) = (
        token.id,
        format!("{} {}", short_id(&token.id), token.label()),
    );
    if !args.yes {
        if !io::stdin().is_terminal() {
            return Err(CliError::Usage(format!(
                "not removing {label} without confirmation; add --yes"
            )));
        }
        eprint!("Remove {label}? Its codes cannot be recovered without a backup. [y/N] ");
        let mut answer = String::new();
        io::stdin()
            .lock()
            .read_line(&mut answer)
            .map_err(io_err("reading the answer"))?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            eprintln!("Nothing removed.");
            return Ok(());
        }
    }
    vault.update(&unlock, |data: &mut VaultData| {
        data.remove(id).map(|_| ()).ok_or_else(|| vanished(id))
    })?;
    say(format!("removed {label}\n"))
}

fn passphrase(args: PassphraseArgs) -> CliResult {
    let vault = Vault::locate()?;
    let unlock = unlock();
    if args.remove {
        vault.set_passphrase(&unlock, None)?;
        eprintln!("Removed the passphrase slot; the OS keyring alone now unlocks the vault.");
        return Ok(());
    }
    let new = new_vault_passphrase("FACTORCAT_NEW_PASSPHRASE")?;
    vault.set_passphrase(&unlock, Some(new))?;
    eprintln!("The passphrase slot is set; keep the passphrase somewhere safe.");
    Ok(())
}

fn completions(args: CompletionsArgs) -> CliResult {
    use clap::CommandFactory;
    let mut command = super::Cli::command();
    let mut buffer = Vec::new();
    clap_complete::generate(args.shell, &mut command, "factorcat", &mut buffer);
    match args.output {
        Some(path) => {
            std::fs::write(&path, buffer).map_err(io_err("writing the completion script"))
        }
        None => say(String::from_utf8_lossy(&buffer)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use factorcat::token::AwsContext;

    #[test]
    fn sites_are_normalized_or_refused() {
        assert_eq!(normalize_site(" GitHub.com. ").unwrap(), "github.com");
        assert_eq!(
            normalize_site("https://github.com/login").unwrap(),
            "github.com"
        );
        for bad in ["", "git hub.com", "localhost"] {
            assert!(normalize_site(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn aws_flags_merge() {
        let mut t = Token::new("AWS", "x", Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap());
        apply_aws(
            &mut t,
            &AwsArgs {
                aws_account: Some("123456789012".into()),
                ..AwsArgs::default()
            },
        );
        apply_aws(
            &mut t,
            &AwsArgs {
                aws_user: Some("alice".into()),
                ..AwsArgs::default()
            },
        );
        let aws = t.aws.unwrap();
        assert_eq!(aws.account_id.as_deref(), Some("123456789012"));
        assert_eq!(aws.user.as_deref(), Some("alice"));
        assert_eq!(
            aws,
            AwsContext {
                user: Some("alice".into()),
                ..AwsContext::default().with_account("123456789012")
            }
        );
    }
}
