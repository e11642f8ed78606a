//! GetRoomLists: the organisation's room lists, read through the caller's own mailbox.

use crate::error::DecodeError;
use crate::ns;
use crate::operation::{Operation, OperationResponse, expect_op};
use crate::response_message::ResponseStatus;
use crate::types::Mailbox;
use crate::xml::{Element, XmlWriter};

/// `m:GetRoomLists` (it has no parameters).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GetRoomLists;

/// `m:GetRoomListsResponse`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetRoomListsResponse {
    /// Class and code.
    pub status: ResponseStatus,
    /// `m:RoomLists/t:Address`.
    pub room_lists: Vec<Mailbox>,
}

impl Operation for GetRoomLists {
    const NAME: &'static str = "GetRoomLists";
    type Response = GetRoomListsResponse;

    fn write(&self, w: &mut XmlWriter) {
        w.empty("m:GetRoomLists", &[]);
    }

    fn read(el: &Element) -> Result<Self, DecodeError> {
        expect_op(el, Self::NAME)?;
        Ok(Self)
    }
}

impl OperationResponse for GetRoomListsResponse {
    fn write(&self, w: &mut XmlWriter) {
        self.status.write_open(w, "m:GetRoomListsResponse");
        if self.status.is_success() {
            w.start("m:RoomLists", &[]);
            for l in &self.room_lists {
                l.write_as(w, "t:Address");
            }
            w.end("m:RoomLists");
        }
        w.end("m:GetRoomListsResponse");
    }

    fn read(el: &Element) -> Result<Self, DecodeError> {
        if !el.is(ns::MESSAGES, "GetRoomListsResponse") {
            return Err(DecodeError::unexpected("GetRoomListsResponse", &el.name));
        }
        Ok(Self {
            status: ResponseStatus::read(el)?,
            room_lists: el
                .child(ns::MESSAGES, "RoomLists")
                .map(|l| {
                    l.children_named(ns::TYPES, "Address")
                        .map(Mailbox::read)
                        .collect()
                })
                .transpose()?
                .unwrap_or_default(),
        })
    }
}
