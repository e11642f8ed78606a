//! FindItem and GetItem.

use super::context::Ctx;
use impersync_ews::ResponseMessage;
use impersync_ews::ops::{FindItem, FindItemResponse, GetItem, GetItemResponse};
use impersync_ews::types::Page;

/// Serves FindItem: a page of a folder's live items, newest first.
pub fn find_item(ctx: &Ctx<'_>, req: FindItem) -> FindItemResponse {
    let messages = req
        .parent_folder_ids
        .iter()
        .map(|f| {
            let folder = match ctx.folder(f) {
                Ok(n) => n,
                Err((code, text)) => return ResponseMessage::error(code, text),
            };
            let mb = ctx.mailbox().expect("folder resolved");
            let serials = mb.live_items(folder);
            let total = serials.len();
            let range = req.paging.unwrap_or_default().range(total);
            let end = range.end;
            let entries = serials[range]
                .iter()
                .map(|s| ctx.item(*s, &mb.items[s]))
                .collect();
            ResponseMessage::ok(Page {
                next_offset: Some(end as u32),
                total_items_in_view: total as u32,
                includes_last_item_in_range: end == total,
                entries,
            })
        })
        .collect();
    FindItemResponse {
        messages,
        shape: req.shape,
    }
}

/// Serves GetItem: one message per id, in request order.
pub fn get_item(ctx: &Ctx<'_>, req: GetItem) -> GetItemResponse {
    let messages = req
        .item_ids
        .iter()
        .map(|id| match ctx.item_record(id) {
            Ok((serial, rec)) => ResponseMessage::ok(vec![ctx.item(serial, rec)]),
            Err((code, text)) => ResponseMessage::error(code, text),
        })
        .collect();
    GetItemResponse {
        messages,
        shape: req.shape,
    }
}
