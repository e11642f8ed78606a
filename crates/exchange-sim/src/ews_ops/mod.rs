//! EWS operation handlers: each turns a decoded request into its response.

mod context;
mod folders;
mod items;
mod misc;
mod sync;

pub use context::Ctx;

use impersync_ews::ops::Request;
use impersync_ews::{ServerVersionInfo, encode_response};

/// Serves one decoded request and encodes the response envelope.
pub fn dispatch(ctx: &Ctx<'_>, version: &ServerVersionInfo, request: Request) -> String {
    match request {
        Request::GetFolder(r) => encode_response(version, &folders::get_folder(ctx, r)),
        Request::FindFolder(r) => encode_response(version, &folders::find_folder(ctx, r)),
        Request::FindItem(r) => encode_response(version, &items::find_item(ctx, r)),
        Request::GetItem(r) => encode_response(version, &items::get_item(ctx, r)),
        Request::SyncFolderItems(r) => encode_response(version, &sync::sync_folder_items(ctx, r)),
        Request::SyncFolderHierarchy(r) => {
            encode_response(version, &sync::sync_folder_hierarchy(ctx, r))
        }
        Request::ConvertId(r) => encode_response(version, &misc::convert_id(r)),
        Request::GetRoomLists(r) => encode_response(version, &misc::get_room_lists(ctx, r)),
        Request::GetRooms(r) => encode_response(version, &misc::get_rooms(ctx, r)),
    }
}
