//! Flags that `add` and `edit` share: the AWS context, translated into the
//! token rules' [`AwsFields`].

use clap::{Args, ValueEnum};

use factorcat::token::{AwsFields, AwsPatch, Partition};

/// AWS partitions on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PartitionArg {
    /// Commercial regions.
    Aws,
    /// AWS GovCloud (US).
    AwsUsGov,
    /// AWS China.
    AwsCn,
    /// AWS European Sovereign Cloud.
    AwsEusc,
}

impl PartitionArg {
    fn partition(self) -> Partition {
        match self {
            PartitionArg::Aws => Partition::Aws,
            PartitionArg::AwsUsGov => Partition::AwsUsGov,
            PartitionArg::AwsCn => Partition::AwsCn,
            PartitionArg::AwsEusc => Partition::AwsEusc,
        }
    }
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
    /// AWS partition (when not given: aws for a new AWS context; an edit keeps the token's).
    #[arg(long, value_enum)]
    pub aws_partition: Option<PartitionArg>,
    /// The AWS access portal of the IAM Identity Center instance this MFA
    /// device belongs to (https://<name>.awsapps.com/start); "" removes it. Its directory is learned at the
    /// next sign-in through the portal in the browser (giving the URL again forgets what was learned).
    #[arg(long, value_name = "URL")]
    pub aws_sso_start_url: Option<String>,
    /// The serial of this IAM virtual MFA device, arn:aws:iam::<account>:mfa/<device name> (as
    /// AWS tools name it in mfa_serial); "" removes it. `code --aws-mfa-serial` finds the token by
    /// it. Gives the token that account (and partition) when it has none.
    #[arg(long, value_name = "ARN")]
    pub aws_mfa_serial: Option<String>,
}

impl AwsArgs {
    /// The flags as a change to the token's AWS context: the fields given
    /// replace those stored, the others stay.
    pub(super) fn patch(&self) -> AwsPatch {
        let fields = AwsFields {
            account: self.aws_account.clone(),
            user: self.aws_user.clone(),
            partition: self
                .aws_partition
                .map(|p| p.partition().as_str().to_string()),
            sso_start_url: self.aws_sso_start_url.clone(),
            mfa_serial: self.aws_mfa_serial.clone(),
            ..AwsFields::default()
        };
        if fields.is_empty() {
            AwsPatch::Keep
        } else {
            AwsPatch::Merge(fields)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_flags_are_a_merge_of_the_fields_given() {
        assert_eq!(AwsArgs::default().patch(), AwsPatch::Keep);
        let args = AwsArgs {
            aws_account: Some("123456789012".into()),
            aws_partition: Some(PartitionArg::AwsUsGov),
            ..AwsArgs::default()
        };
        assert_eq!(
            args.patch(),
            AwsPatch::Merge(AwsFields {
                account: Some("123456789012".into()),
                partition: Some("aws-us-gov".into()),
                ..AwsFields::default()
            })
        );
    }
}
