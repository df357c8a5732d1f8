//! What `factorcat --help` adds after the subcommands (the environment and
//! the exit codes), and `factorcat man`: the manual pages, made from the
//! same clap definitions and tables (`clap_mangen`), so they never disagree
//! with the binary. The Debian package ships them.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;

use clap::{Args, CommandFactory};
use clap_mangen::Man;
use clap_mangen::roff::{Roff, bold, roman};

use factorcat::vault::{ENV_HOME, ENV_NO_KEY_CACHE, ENV_PASSPHRASE};

use super::console::{io_err, say};
use super::exit;
use super::{Cli, CliResult};

/// The environment variables `factorcat` reads, with what each means.
pub(super) const ENVIRONMENT: &[(&str, &str)] = &[
    (
        ENV_HOME,
        "the vault directory (default: the platform's data directory, e.g. ~/.local/share/factorcat)",
    ),
    (
        ENV_PASSPHRASE,
        "unlocks the passphrase slot; when creating a vault, adds one",
    ),
    (
        "FACTORCAT_NEW_PASSPHRASE",
        "the new passphrase for `factorcat passphrase` (otherwise asked)",
    ),
    (
        ENV_NO_KEY_CACHE,
        "1 disables the short-lived vault-key cache in the Linux kernel keyring",
    ),
    (
        super::import::ENV_IMPORT_PASSWORD,
        "the password of an encrypted file being imported (else --password-file or a prompt)",
    ),
    (
        super::export::ENV_EXPORT_PASSPHRASE,
        "the passphrase that encrypts an export (else asked twice)",
    ),
    (
        factorcat::aws_config::ENV_CONFIG_FILE,
        "the AWS config file `factorcat aws config` reads (default: ~/.aws/config), as the AWS tools read it",
    ),
    (
        factorcat::native::EXTRA_IDS_ENV,
        "comma-separated extra extension ids the native host serves (other builds, e.g. a store build whose id is not yet in the host's list)",
    ),
];

/// The text after `factorcat -h`.
pub(super) const SHORT_AFTER_HELP: &str = "`factorcat --help` also lists the environment variables and the exit codes; \
     the manual page has every subcommand (`man factorcat`, or `factorcat man | man -l -`).";

/// The text after `factorcat --help`: the environment and the exit codes.
pub(super) fn long_after_help() -> String {
    let mut text = String::from("Environment:\n");
    for (name, meaning) in ENVIRONMENT {
        let _ = writeln!(text, "  {name}\n      {meaning}");
    }
    text.push_str("\nExit codes:\n");
    for (code, meaning) in exit::MEANINGS {
        let _ = writeln!(text, "  {code}\n      {meaning}");
    }
    text
}

/// `factorcat man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write factorcat.1 and one page per subcommand (factorcat-add.1, …)
    /// into this directory instead of printing factorcat.1.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// The page of the whole program: clap's sections, then ENVIRONMENT, EXIT
/// STATUS and SEE ALSO from the tables above.
fn main_page(cmd: &clap::Command) -> std::io::Result<Vec<u8>> {
    let man = Man::new(cmd.clone()).manual("FactorCat");
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    man.render_subcommands_section(&mut out)?;
    let mut roff = Roff::new();
    roff.control("SH", ["ENVIRONMENT"]);
    for (name, meaning) in ENVIRONMENT {
        roff.control("TP", []);
        roff.text([bold(*name)]);
        roff.text([roman(*meaning)]);
    }
    roff.control("SH", ["EXIT STATUS"]);
    for (code, meaning) in exit::MEANINGS {
        roff.control("TP", []);
        roff.text([bold(code.to_string())]);
        roff.text([roman(*meaning)]);
    }
    roff.control("SH", ["SEE ALSO"]);
    let mut see_also = Vec::new();
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        if !see_also.is_empty() {
            see_also.push(roman(", "));
        }
        see_also.push(bold(format!("factorcat-{}", sub.get_name())));
        see_also.push(roman("(1)"));
    }
    roff.text(see_also);
    roff.to_writer(&mut out)?;
    man.render_version_section(&mut out)?;
    Ok(out)
}

/// Runs `factorcat man`.
pub(super) fn run(args: ManArgs) -> CliResult {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let page = main_page(&cmd).map_err(io_err("writing the manual page"))?;
    let Some(dir) = args.dir else {
        return say(String::from_utf8_lossy(&page));
    };
    let what = format!("writing the manual pages into {}", dir.display());
    std::fs::create_dir_all(&dir).map_err(io_err(&what))?;
    std::fs::File::create(dir.join("factorcat.1"))
        .and_then(|mut f| f.write_all(&page))
        .map_err(io_err(&what))?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        // Named as clap names them: factorcat-add.1, with the title
        // factorcat-add.
        Man::new(sub.clone())
            .manual("FactorCat")
            .generate_to(&dir)
            .map_err(io_err(&what))?;
    }
    Ok(())
}
