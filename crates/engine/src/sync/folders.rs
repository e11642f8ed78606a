//! Finding a mailbox's configured folders: their FolderIds come from the stored sync
//! states, and the ones not stored yet are resolved with ONE GetFolder call naming all of
//! them by distinguished id (one response message per folder, in request order).
//!
//! SyncFolderHierarchy is not used for this: it lists every folder of the mailbox but no
//! distinguished names (Inbox and Sent Items are both `IPF.Note` folders under the root),
//! so mapping its answer to `inbox`, `sentitems`, ... would need the same GetFolder call
//! anyway, and polling it would cost one more request per mailbox and round. A stored
//! FolderId needs no request at all.
//!
//! A configured folder that the mailbox does not have (`ErrorFolderNotFound`) is reported
//! by name and skipped; the other folders are synced.

use impersync_ews::ResponseCode;
use impersync_ews::ops::GetFolder;
use impersync_ews::types::{BaseShape, FolderRef, Shape};
use impersync_exchange::{ExchangeClient, ExchangeError, Impersonate, first_payload};
use std::collections::HashMap;

/// A configured folder that could not be synced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderError {
    /// The folder's distinguished name, as configured.
    pub folder: String,
    /// The EWS response code, e.g. `ErrorFolderNotFound`.
    pub code: String,
    /// What Exchange said.
    pub message: String,
}

/// The configured folders found, in configuration order, and the ones missing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FolderIds {
    /// (distinguished name, FolderId).
    pub found: Vec<(String, String)>,
    /// The folders the mailbox does not have.
    pub missing: Vec<FolderError>,
}

/// Resolves `wanted` (distinguished names) to FolderIds: from `stored` (name → FolderId)
/// where known, the rest with one GetFolder call. Errors other than a missing folder
/// (impersonation refused, no mailbox, ...) fail the whole call.
pub async fn resolve(
    client: &ExchangeClient,
    acting: &Impersonate,
    wanted: &[String],
    stored: &HashMap<String, String>,
) -> Result<FolderIds, ExchangeError> {
    let unknown: Vec<&String> = wanted
        .iter()
        .filter(|f| stored.get(*f).is_none_or(|id| id.is_empty()))
        .collect();
    let mut resolved = HashMap::new();
    let mut missing = Vec::new();
    if !unknown.is_empty() {
        let op = GetFolder {
            shape: Shape::base(BaseShape::IdOnly),
            folder_ids: unknown
                .iter()
                .map(|f| FolderRef::distinguished(f.as_str()))
                .collect(),
        };
        let called = client.call_read(Some(acting), &op).await?;
        if called.response.messages.len() != unknown.len() {
            return Err(ExchangeError::Response {
                code: ResponseCode::Other("UnexpectedResponse".into()),
                message: format!(
                    "GetFolder answered {} messages for {} folders",
                    called.response.messages.len(),
                    unknown.len()
                ),
                back_off_ms: None,
            });
        }
        for (name, message) in unknown.into_iter().zip(called.response.messages) {
            let not_found = |message: String| FolderError {
                folder: name.clone(),
                code: ResponseCode::ErrorFolderNotFound.to_string(),
                message,
            };
            match first_payload(vec![message]).map(|f| f.into_iter().next()) {
                Ok(Some(folder)) => {
                    resolved.insert(name.clone(), folder.folder_id.id);
                }
                Ok(None) => missing.push(not_found("GetFolder returned no folder".into())),
                Err(ExchangeError::Response {
                    code: ResponseCode::ErrorFolderNotFound,
                    message,
                    ..
                }) => missing.push(not_found(message)),
                Err(e) => return Err(e),
            }
        }
    }
    let found = wanted
        .iter()
        .filter_map(|f| {
            let id = stored
                .get(f)
                .filter(|id| !id.is_empty())
                .or_else(|| resolved.get(f))?;
            Some((f.clone(), id.clone()))
        })
        .collect();
    Ok(FolderIds { found, missing })
}
