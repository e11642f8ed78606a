//! SyncFolderItems and SyncFolderHierarchy.

use super::context::Ctx;
use crate::mailbox::ids;
use crate::sync_state::SyncTarget;
use impersync_ews::ops::{
    FolderChanges, ItemChanges, SyncFolderHierarchy, SyncFolderHierarchyResponse, SyncFolderItems,
    SyncFolderItemsResponse,
};
use impersync_ews::{ResponseCode, ResponseMessage, ResponseStatus};
use std::collections::HashSet;

const BAD_STATE: &str = "Synchronization state data is corrupt or otherwise invalid.";

/// An error message that still carries the elements clients require in sync responses:
/// an empty SyncState and IncludesLast...InRange true, as Exchange sends them.
fn failed<T>(code: ResponseCode, text: impl Into<String>, payload: T) -> ResponseMessage<T> {
    ResponseMessage {
        status: ResponseStatus::error(code, text),
        payload: Some(payload),
    }
}

fn no_items() -> ItemChanges {
    ItemChanges {
        includes_last_item_in_range: true,
        ..ItemChanges::default()
    }
}

fn no_folders() -> FolderChanges {
    FolderChanges {
        includes_last_folder_in_range: true,
        ..FolderChanges::default()
    }
}

/// Serves SyncFolderItems: net changes since the state, at most MaxChangesReturned.
pub fn sync_folder_items(ctx: &Ctx<'_>, req: SyncFolderItems) -> SyncFolderItemsResponse {
    let message = (|| {
        let folder = match ctx.folder(&req.folder) {
            Ok(n) => n,
            Err((code, text)) => return failed(code, text, no_items()),
        };
        let mb = ctx.mailbox().expect("folder resolved");
        let target = SyncTarget::Items {
            mailbox: mb.number,
            folder,
        };
        let Some(watermark) = watermark(ctx, target, req.sync_state.as_deref()) else {
            return failed(
                ResponseCode::ErrorInvalidSyncStateData,
                BAD_STATE,
                no_items(),
            );
        };
        let ignore: HashSet<u64> = req
            .ignore
            .iter()
            .filter_map(|id| ids::parse_item_id(&id.id))
            .filter(|(m, _)| *m == mb.number)
            .map(|(_, s)| s)
            .collect();
        let delta = mb.item_changes(
            folder,
            watermark,
            req.max_changes_returned as usize,
            &ignore,
        );
        let changes = delta
            .changes
            .iter()
            .map(|&(serial, kind)| {
                mb.sync_change(serial, kind, || ctx.item(serial, &mb.items[&serial]))
            })
            .collect();
        ResponseMessage::ok(ItemChanges {
            sync_state: ctx.sim.sync_key.encode(target, delta.watermark),
            includes_last_item_in_range: delta.complete,
            changes,
        })
    })();
    SyncFolderItemsResponse {
        messages: vec![message],
        shape: req.shape,
    }
}

/// Serves SyncFolderHierarchy: the folder tree on the first call, nothing after.
pub fn sync_folder_hierarchy(
    ctx: &Ctx<'_>,
    req: SyncFolderHierarchy,
) -> SyncFolderHierarchyResponse {
    let message = (|| {
        let mb = match ctx.mailbox() {
            Ok(mb) => mb,
            Err((code, text)) => return failed(code, text, no_folders()),
        };
        if let Some(f) = &req.folder
            && let Err((code, text)) = ctx.folder(f)
        {
            return failed(code, text, no_folders());
        }
        let target = SyncTarget::Hierarchy { mailbox: mb.number };
        let Some(watermark) = watermark(ctx, target, req.sync_state.as_deref()) else {
            return failed(
                ResponseCode::ErrorInvalidSyncStateData,
                BAD_STATE,
                no_folders(),
            );
        };
        ResponseMessage::ok(FolderChanges {
            sync_state: ctx.sim.sync_key.encode(target, 1),
            includes_last_folder_in_range: true,
            changes: mb.folder_changes(watermark),
        })
    })();
    SyncFolderHierarchyResponse {
        messages: vec![message],
        shape: req.shape,
    }
}

/// The watermark a sync state stands for (0 without one); `None` if it is not valid here.
fn watermark(ctx: &Ctx<'_>, target: SyncTarget, state: Option<&str>) -> Option<u64> {
    match state {
        None => Some(0),
        Some(state) => ctx.sim.sync_key.decode(target, state),
    }
}
