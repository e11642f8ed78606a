//! GetFolder and FindFolder.

use super::context::Ctx;
use impersync_ews::ResponseMessage;
use impersync_ews::ops::{
    FindFolder, FindFolderResponse, FolderTraversal, GetFolder, GetFolderResponse,
};
use impersync_ews::types::{Folder, Page};

/// Serves GetFolder: one message per requested folder, in request order.
pub fn get_folder(ctx: &Ctx<'_>, req: GetFolder) -> GetFolderResponse {
    let messages = req
        .folder_ids
        .iter()
        .map(|f| match ctx.folder(f) {
            Ok(n) => ResponseMessage::ok(vec![ctx.mailbox().expect("folder resolved").folder(n)]),
            Err((code, text)) => ResponseMessage::error(code, text),
        })
        .collect();
    GetFolderResponse {
        messages,
        shape: req.shape,
    }
}

/// Serves FindFolder: the subfolders (or the whole subtree) of each parent.
pub fn find_folder(ctx: &Ctx<'_>, req: FindFolder) -> FindFolderResponse {
    let messages = req
        .parent_folder_ids
        .iter()
        .map(|f| {
            let parent = match ctx.folder(f) {
                Ok(n) => n,
                Err((code, text)) => return ResponseMessage::error(code, text),
            };
            let mb = ctx.mailbox().expect("folder resolved");
            let mut found: Vec<Folder> = Vec::new();
            let mut frontier = vec![parent];
            while let Some(p) = frontier.pop() {
                for (n, folder) in mb.folders.iter().enumerate() {
                    if folder.parent == Some(p) {
                        found.push(mb.folder(n as u16));
                        if req.traversal == FolderTraversal::Deep {
                            frontier.push(n as u16);
                        }
                    }
                }
            }
            let total = found.len();
            let range = req.paging.unwrap_or_default().range(total);
            let end = range.end;
            ResponseMessage::ok(Page {
                next_offset: Some(end as u32),
                total_items_in_view: total as u32,
                includes_last_item_in_range: end == total,
                entries: found.drain(range).collect(),
            })
        })
        .collect();
    FindFolderResponse {
        messages,
        shape: req.shape,
    }
}
