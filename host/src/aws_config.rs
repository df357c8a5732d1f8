//! The AWS shared config file (`~/.aws/config`, or `AWS_CONFIG_FILE`) as
//! the AWS tools read it, and the one change FactorCat makes to it: an
//! `mfa_process` line that runs `factorcat code --aws-mfa-serial <ARN>`
//! (aws-vault runs it, through `/bin/sh -c`, whenever the profile needs an
//! MFA code, and takes its standard output, trimmed, as the code).
//!
//! The file is read as the AWS CLI and aws-vault read it: `[default]` and
//! `[profile NAME]` sections are profiles (other sections, such as
//! `[sso-session NAME]` and `[services NAME]`, are not); `key = value` or
//! `key: value` lines, keys compared ignoring case; lines starting with `#`
//! or `;` are comments; indented lines after a key continue its value (the
//! nested `s3 =` settings), so a key inside them is not the profile's.
//!
//! An edit only inserts whole lines: every byte of the file that was there
//! stays, in order — comments, blank lines, other profiles, CRLF line ends,
//! a missing final newline.

use std::fs;
use std::path::{Path, PathBuf};

use crate::fsutil::{self, FsError, Mode, WriteOptions};
use crate::token::MfaSerial;

/// The variable naming the config file, read as the AWS tools read it.
pub const ENV_CONFIG_FILE: &str = "AWS_CONFIG_FILE";

/// The key naming a profile's MFA device.
pub const MFA_SERIAL: &str = "mfa_serial";
/// The key naming the command that prints the profile's MFA code.
pub const MFA_PROCESS: &str = "mfa_process";

/// One profile that names an MFA device (`mfa_serial`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// The profile's name (`default` for `[default]`).
    pub name: String,
    /// The `mfa_serial` value, as written (trimmed).
    pub mfa_serial: String,
    /// The `mfa_process` value, when the profile has one of its own.
    pub mfa_process: Option<String>,
    /// Where an `mfa_process` line would go: the byte offset just past the
    /// `mfa_serial` line's end, and that line's indentation and line end.
    insert: Insert,
}

/// Where and how a new line is inserted.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Insert {
    /// Byte offset just past the line it follows (its line end included).
    at: usize,
    /// The leading white space of that line.
    indent: String,
    /// That line's end (`\n`, `\r\n`), or empty when it is the file's last
    /// line and has none.
    eol: &'static str,
}

impl Profile {
    /// The serial, when it is a virtual MFA device's ARN (a hardware
    /// device's serial, such as `GAHT12345678`, is not).
    pub fn serial(&self) -> Option<MfaSerial> {
        MfaSerial::parse(&self.mfa_serial)
    }
}

/// The `mfa_process` command for `serial`, as it is written into the file:
/// `factorcat code --aws-mfa-serial <ARN>`, the ARN quoted for `/bin/sh`
/// only when it holds a character the shell would read (an IAM path may).
pub fn mfa_process_command(serial: &MfaSerial) -> String {
    let arn = serial.arn();
    let plain = arn
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@/:-".contains(&b));
    if plain {
        format!("factorcat code --aws-mfa-serial {arn}")
    } else {
        format!(
            "factorcat code --aws-mfa-serial '{}'",
            arn.replace('\'', r"'\''")
        )
    }
}

/// Where the AWS tools read their config file: `AWS_CONFIG_FILE` when it
/// is set and not empty (a leading `~/` is the home directory, as the AWS
/// CLI reads it), else `.aws/config` in the home directory. `None` when
/// there is no home directory to speak of.
pub fn locate() -> Option<PathBuf> {
    let home = || directories::BaseDirs::new().map(|d| d.home_dir().to_path_buf());
    match std::env::var_os(ENV_CONFIG_FILE).filter(|p| !p.is_empty()) {
        Some(path) => match path.to_str().and_then(|p| p.strip_prefix("~/")) {
            Some(rest) => home().map(|h| h.join(rest)),
            None => Some(PathBuf::from(path)),
        },
        None => home().map(|h| h.join(".aws").join("config")),
    }
}

/// Where [`write`] keeps the file it replaces: `<name>.factorcat-backup`
/// beside it.
pub fn backup_path(file: &Path) -> PathBuf {
    let mut name = file.file_name().unwrap_or_default().to_os_string();
    name.push(".factorcat-backup");
    file.with_file_name(name)
}

/// Replaces the config file at `path` (a link is followed: the file it
/// names is replaced, so a config kept elsewhere stays linked) with
/// `bytes` in one atomic step (temporary file, fsync, rename), keeping
/// the file that was there as its [`backup_path`]. The new file is
/// readable by everyone when the old one was, else by its owner only.
/// Returns where the backup is.
pub fn write(path: &Path, bytes: &[u8]) -> Result<PathBuf, FsError> {
    let file = fs::canonicalize(path).map_err(|e| FsError::new("reading", path, e))?;
    let mode = match fs::metadata(&file) {
        #[cfg(unix)]
        Ok(meta) if std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o044 != 0 => {
            Mode::Public
        }
        _ => Mode::Private,
    };
    let backup = backup_path(&file);
    let options = WriteOptions {
        keep_previous: Some(&backup),
        ..WriteOptions::replacing(mode)
    };
    fsutil::write_atomic(&file, bytes, &options)?;
    Ok(backup)
}

/// One line of the file, without its line end.
struct Line<'a> {
    /// Its text, without the line end (lossy for bytes that are not UTF-8:
    /// such lines are never keys FactorCat reads).
    text: std::borrow::Cow<'a, str>,
    /// Offset just past its line end.
    end: usize,
    /// Its line end.
    eol: &'static str,
}

fn lines(bytes: &[u8]) -> impl Iterator<Item = Line<'_>> {
    let mut start = 0;
    std::iter::from_fn(move || {
        if start >= bytes.len() {
            return None;
        }
        let rest = &bytes[start..];
        let (content, eol, len) = match rest.iter().position(|&b| b == b'\n') {
            Some(i) if i > 0 && rest[i - 1] == b'\r' => (&rest[..i - 1], "\r\n", i + 1),
            Some(i) => (&rest[..i], "\n", i + 1),
            None => (rest, "", rest.len()),
        };
        let line = Line {
            text: String::from_utf8_lossy(content),
            end: start + len,
            eol,
        };
        start += len;
        Some(line)
    })
}

/// What a section header line says: `None` when the line is no header;
/// `Some(Some(name))` for a profile, `[default]` or `[profile NAME]`;
/// `Some(None)` for any other section (`[sso-session NAME]`, …).
fn header(line: &str) -> Option<Option<String>> {
    let inner = line
        .trim()
        .strip_prefix('[')
        .and_then(|l| l.split_once(']'))
        .map(|(inner, _)| inner.trim())?;
    if inner == "default" {
        return Some(Some("default".to_string()));
    }
    Some(
        inner
            .strip_prefix("profile")
            .filter(|rest| rest.starts_with([' ', '\t']))
            .map(|rest| rest.trim().to_string())
            .filter(|name| !name.is_empty()),
    )
}

/// A `key = value` (or `key: value`) line's key, lower-cased, and value,
/// trimmed, without an inline comment (`#` or `;` after white space).
fn key_value(line: &str) -> Option<(String, String)> {
    let split = line.find(['=', ':'])?;
    let key = line[..split].trim().to_ascii_lowercase();
    let mut value = line[split + 1..].trim();
    if let Some(i) = value
        .char_indices()
        .find(|&(i, c)| (c == '#' || c == ';') && value[..i].ends_with(|p: char| p.is_whitespace()))
        .map(|(i, _)| i)
    {
        value = value[..i].trim_end();
    }
    (!key.is_empty()).then(|| (key, value.to_string()))
}

/// Every profile of the config file `bytes` that names an MFA device, in
/// the order of the file. A profile whose section appears twice is one
/// profile (the later value of a key wins, as aws-vault reads it).
pub fn profiles(bytes: &[u8]) -> Vec<Profile> {
    #[derive(Default)]
    struct Seen {
        name: String,
        serial: Option<(String, Insert)>,
        process: Option<String>,
    }
    let mut seen: Vec<Seen> = Vec::new();
    let mut current: Option<usize> = None;
    // Whether the previous key line's value may continue on indented lines.
    let mut in_value = false;
    for line in lines(bytes) {
        let text = line.text.as_ref();
        let trimmed = text.trim();
        if trimmed.is_empty() || trimmed.starts_with(['#', ';']) {
            continue;
        }
        let indented = text.starts_with([' ', '\t']);
        if indented && in_value {
            continue;
        }
        if let Some(name) = header(text) {
            in_value = false;
            current = name.map(|name| {
                seen.iter().position(|s| s.name == name).unwrap_or_else(|| {
                    seen.push(Seen {
                        name,
                        ..Seen::default()
                    });
                    seen.len() - 1
                })
            });
            continue;
        }
        let Some((key, value)) = key_value(text) else {
            continue;
        };
        in_value = true;
        let Some(profile) = current.map(|i| &mut seen[i]) else {
            continue;
        };
        match key.as_str() {
            MFA_SERIAL => {
                let indent = &text[..text.len() - text.trim_start().len()];
                let insert = Insert {
                    at: line.end,
                    indent: indent.to_string(),
                    eol: line.eol,
                };
                profile.serial = Some((value, insert));
            }
            MFA_PROCESS => profile.process = Some(value),
            _ => {}
        }
    }
    seen.into_iter()
        .filter_map(|s| {
            let (mfa_serial, insert) = s.serial?;
            Some(Profile {
                name: s.name,
                mfa_serial,
                mfa_process: s.process,
                insert,
            })
        })
        .collect()
}

/// The file `bytes` with `mfa_process = <command>` inserted after the
/// `mfa_serial` line of each of `changes` (a profile of [`profiles`] of
/// these bytes, and its command), with that line's indentation and line
/// end. Nothing else changes: when the `mfa_serial` line is the last one
/// and has no line end, the new line gets none either (the file's first
/// line end goes between them).
pub fn with_mfa_process(bytes: &[u8], changes: &[(&Profile, String)]) -> Vec<u8> {
    let first_eol = lines(bytes)
        .map(|l| l.eol)
        .find(|eol| !eol.is_empty())
        .unwrap_or("\n");
    let mut inserts: Vec<(usize, Vec<u8>)> = changes
        .iter()
        .map(|(profile, command)| {
            let Insert { at, indent, eol } = &profile.insert;
            let line = if eol.is_empty() {
                format!("{first_eol}{indent}{MFA_PROCESS} = {command}")
            } else {
                format!("{indent}{MFA_PROCESS} = {command}{eol}")
            };
            (*at, line.into_bytes())
        })
        .collect();
    inserts.sort_by_key(|(at, _)| *at);
    let mut out =
        Vec::with_capacity(bytes.len() + inserts.iter().map(|(_, l)| l.len()).sum::<usize>());
    let mut from = 0;
    for (at, line) in inserts {
        out.extend_from_slice(&bytes[from..at]);
        out.extend_from_slice(&line);
        from = at;
    }
    out.extend_from_slice(&bytes[from..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = "\
# My AWS profiles
[default]
region = eu-west-1
mfa_serial = arn:aws:iam::123456789012:mfa/alice

[profile prod]
source_profile = default
role_arn = arn:aws:iam::210987654321:role/Admin
mfa_serial=arn:aws:iam::123456789012:mfa/alice ; alice's phone
s3 =
  mfa_serial = not-this-one

[sso-session corp]
sso_start_url = https://my-portal.awsapps.com/start
mfa_serial = arn:aws:iam::123456789012:mfa/not-a-profile

[profile ci]
MFA_Serial: arn:aws:iam::123456789012:mfa/ci
mfa_process = op item get ci --otp

[profile hardware]
mfa_serial = GAHT12345678
";

    #[test]
    fn profiles_with_an_mfa_serial_as_the_aws_tools_read_them() {
        let found = profiles(CONFIG.as_bytes());
        let names: Vec<&str> = found.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["default", "prod", "ci", "hardware"]);
        assert_eq!(found[1].mfa_serial, "arn:aws:iam::123456789012:mfa/alice");
        assert_eq!(
            found[2].mfa_process.as_deref(),
            Some("op item get ci --otp")
        );
        assert_eq!(found[2].mfa_serial, "arn:aws:iam::123456789012:mfa/ci");
        assert!(found[3].serial().is_none());
    }

    #[test]
    fn inserting_keeps_every_other_byte() {
        let found = profiles(CONFIG.as_bytes());
        let changes: Vec<(&Profile, String)> = found[..2]
            .iter()
            .map(|p| (p, mfa_process_command(&p.serial().unwrap())))
            .collect();
        let out = with_mfa_process(CONFIG.as_bytes(), &changes);
        let want = CONFIG
            .replacen(
                "mfa_serial = arn:aws:iam::123456789012:mfa/alice\n",
                "mfa_serial = arn:aws:iam::123456789012:mfa/alice\nmfa_process = factorcat code --aws-mfa-serial arn:aws:iam::123456789012:mfa/alice\n",
                1,
            )
            .replacen(
                "; alice's phone\n",
                "; alice's phone\nmfa_process = factorcat code --aws-mfa-serial arn:aws:iam::123456789012:mfa/alice\n",
                1,
            );
        assert_eq!(String::from_utf8(out).unwrap(), want);
    }

    #[test]
    fn crlf_indentation_and_no_final_newline() {
        let text = "[profile a]\r\n  mfa_serial = arn:aws:iam::123456789012:mfa/a\r\n[profile b]\r\nmfa_serial = arn:aws:iam::123456789012:mfa/b";
        let found = profiles(text.as_bytes());
        let changes: Vec<(&Profile, String)> = found.iter().map(|p| (p, "X".to_string())).collect();
        let out = String::from_utf8(with_mfa_process(text.as_bytes(), &changes)).unwrap();
        assert_eq!(
            out,
            "[profile a]\r\n  mfa_serial = arn:aws:iam::123456789012:mfa/a\r\n  mfa_process = X\r\n[profile b]\r\nmfa_serial = arn:aws:iam::123456789012:mfa/b\r\nmfa_process = X"
        );
    }

    #[test]
    fn commands_quote_only_what_the_shell_would_read() {
        let plain =
            MfaSerial::parse("arn:aws-us-gov:iam::123456789012:mfa/team/a+b=c,d.e@f-g").unwrap();
        assert_eq!(
            mfa_process_command(&plain),
            "factorcat code --aws-mfa-serial arn:aws-us-gov:iam::123456789012:mfa/team/a+b=c,d.e@f-g"
        );
        let odd = MfaSerial::parse("arn:aws:iam::123456789012:mfa/it's$x/a").unwrap();
        assert_eq!(
            mfa_process_command(&odd),
            r"factorcat code --aws-mfa-serial 'arn:aws:iam::123456789012:mfa/it'\''s$x/a'"
        );
    }
}
