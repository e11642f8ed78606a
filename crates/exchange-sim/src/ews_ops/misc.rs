//! ConvertId, GetRoomLists and GetRooms.

use super::context::Ctx;
use crate::mailbox::ids;
use impersync_ews::ops::{
    AlternateId, ConvertId, ConvertIdResponse, GetRoomLists, GetRoomListsResponse, GetRooms,
    GetRoomsResponse,
};
use impersync_ews::types::Mailbox;
use impersync_ews::{ResponseCode, ResponseMessage, ResponseStatus};

/// Id formats this simulator converts between; its ids are the same in each.
const FORMATS: &[&str] = &["EwsId", "EwsLegacyId"];

/// Serves ConvertId between the EWS id formats.
pub fn convert_id(req: ConvertId) -> ConvertIdResponse {
    let messages = req
        .source_ids
        .into_iter()
        .map(|src| {
            if !FORMATS.contains(&req.destination_format.as_str())
                || !FORMATS.contains(&src.format.as_str())
            {
                return ResponseMessage::error(
                    ResponseCode::ErrorInvalidRequest,
                    "The id format is not supported.",
                );
            }
            if ids::parse_item_id(&src.id).is_none() && ids::parse_folder_id(&src.id).is_none() {
                return ResponseMessage::error(
                    ResponseCode::ErrorInvalidIdMalformed,
                    "Id is malformed.",
                );
            }
            ResponseMessage::ok(AlternateId {
                format: req.destination_format.clone(),
                ..src
            })
        })
        .collect();
    ConvertIdResponse { messages }
}

/// Serves GetRoomLists through the acting user's own mailbox.
pub fn get_room_lists(ctx: &Ctx<'_>, _req: GetRoomLists) -> GetRoomListsResponse {
    if let Err((code, text)) = ctx.mailbox() {
        return GetRoomListsResponse {
            status: ResponseStatus::error(code, text),
            room_lists: Vec::new(),
        };
    }
    GetRoomListsResponse {
        status: ResponseStatus::success(),
        room_lists: ctx
            .dir
            .room_lists
            .iter()
            .map(|l| Mailbox {
                mailbox_type: Some("PublicDL".into()),
                ..Mailbox::smtp(&l.name, &l.address)
            })
            .collect(),
    }
}

/// Serves GetRooms for one room list.
pub fn get_rooms(ctx: &Ctx<'_>, req: GetRooms) -> GetRoomsResponse {
    if let Err((code, text)) = ctx.mailbox() {
        return GetRoomsResponse {
            status: ResponseStatus::error(code, text),
            rooms: Vec::new(),
        };
    }
    match ctx
        .dir
        .room_lists
        .iter()
        .find(|l| l.address.eq_ignore_ascii_case(&req.room_list))
    {
        Some(list) => GetRoomsResponse {
            status: ResponseStatus::success(),
            rooms: list
                .rooms
                .iter()
                .map(|r| Mailbox::smtp(&r.name, &r.address))
                .collect(),
        },
        None => GetRoomsResponse {
            status: ResponseStatus::error(
                ResponseCode::ErrorNameResolutionNoResults,
                "No results were found.",
            ),
            rooms: Vec::new(),
        },
    }
}
