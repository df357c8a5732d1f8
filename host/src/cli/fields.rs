//! Flags that `add` and `edit` share: the AWS context, sites and tags.

use clap::{Args, ValueEnum};

use factorcat::site;
use factorcat::token::{Partition, Token};

use super::{CliError, CliResult};

/// AWS partitions on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PartitionArg {
    /// Commercial regions.
    Aws,
    /// AWS GovCloud (US).
    AwsUsGov,
    /// AWS China.
    AwsCn,
}

/// AWS context flags shared by `add` and `edit`.
#[derive(Debug, Args, Default)]
pub struct AwsArgs {
    /// AWS account id (12 digits) or alias this MFA device belongs to.
    #[arg(long, value_name = "ID_OR_ALIAS")]
    pub aws_account: Option<String>,
    /// IAM user name, root e-mail or MFA device name.
    #[arg(long, value_name = "NAME")]
    pub aws_user: Option<String>,
    /// AWS partition [default: aws].
    #[arg(long, value_enum)]
    pub aws_partition: Option<PartitionArg>,
}

fn partition(arg: PartitionArg) -> Partition {
    match arg {
        PartitionArg::Aws => Partition::Aws,
        PartitionArg::AwsUsGov => Partition::AwsUsGov,
        PartitionArg::AwsCn => Partition::AwsCn,
    }
}

/// Merges AWS flags into a token's AWS context (creating it when needed).
pub(super) fn apply_aws(token: &mut Token, args: &AwsArgs) {
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
pub(super) fn normalize_site(text: &str) -> CliResult<String> {
    site::normalize_site(text).map_err(|e| CliError::Usage(format!("\"{text}\": {e}")))
}

pub(super) fn push_unique(list: &mut Vec<String>, value: String) {
    if !list.contains(&value) {
        list.push(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use factorcat::secret::Secret;
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
