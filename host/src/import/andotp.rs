//! Importer stub: replaced by the real reader.

use super::{ImportError, Imported};

/// Whether `bytes` look like this format.
pub(crate) fn detect(_bytes: &[u8]) -> bool {
    false
}

/// Reads the whole file.
pub(crate) fn parse(_bytes: &[u8], _password: Option<&str>) -> Result<Imported, ImportError> {
    Err(ImportError::Unsupported {
        format: FORMAT,
        what: "this format".into(),
    })
}

const FORMAT: super::Format = super::Format::AndOtp;
