//! Token assembly: the requests `add` and `update` translated into the
//! token rules' [`TokenDraft`] and [`TokenPatch`], which normalise, cap and
//! validate for every way in.

use crate::protocol::{AddRequest, ProtoError, UpdateRequest};
use crate::secret::Secret;
use crate::token::{
    Algorithm, AwsPatch, GeneratorFields, KindName, ListPatch, TokenDraft, TokenError, TokenPatch,
};

/// `add`'s fields as a token draft: the token of `uri`, or of `secret`
/// and its parameters; with a `uri` the request's issuer and account are
/// not used.
pub(super) fn draft(add: AddRequest) -> Result<TokenDraft, ProtoError> {
    let draft = match (&add.uri, &add.secret) {
        (Some(uri), _) => TokenDraft::from_token(
            crate::otpauth::parse(&uri.0).map_err(|e| ProtoError::new(e.code(), e.to_string()))?,
        ),
        (None, Some(secret)) => TokenDraft::from_fields(GeneratorFields {
            secret: Secret::from_base32(&secret.0).map_err(TokenError::from)?,
            kind: add.kind.as_deref().map(KindName::parse).transpose()?,
            algorithm: add.algorithm.as_deref().map(Algorithm::named).transpose()?,
            digits: add.digits,
            period: add.period,
            counter: add.counter,
        }),
        (None, None) => {
            return Err(ProtoError::bad_request(
                "add: give either \"uri\" or \"secret\" (with issuer, account, …)",
            ));
        }
    };
    let fields = add.uri.is_none();
    Ok(draft.with(TokenPatch {
        issuer: add.issuer.filter(|_| fields),
        account: add.account.filter(|_| fields),
        sites: add.sites.map(ListPatch::replacing).unwrap_or_default(),
        tags: add.tags.map(ListPatch::replacing).unwrap_or_default(),
        aws: add.aws.map_or(AwsPatch::Keep, AwsPatch::Replace),
        pinned: add.pinned,
    }))
}

/// `update`'s fields as a patch of a stored token's metadata: the lists
/// and the AWS context it names are replaced, `aws: null` clears it.
pub(super) fn patch(update: UpdateRequest) -> TokenPatch {
    TokenPatch {
        issuer: update.issuer,
        account: update.account,
        sites: update.sites.map(ListPatch::replacing).unwrap_or_default(),
        tags: update.tags.map(ListPatch::replacing).unwrap_or_default(),
        aws: match update.aws {
            None => AwsPatch::Keep,
            Some(None) => AwsPatch::Clear,
            Some(Some(fields)) => AwsPatch::Replace(fields),
        },
        pinned: update.pinned,
    }
}
