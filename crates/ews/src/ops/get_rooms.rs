//! GetRooms: the rooms of one room list.

use crate::error::DecodeError;
use crate::ns;
use crate::operation::{Operation, OperationResponse, expect_op};
use crate::response_message::ResponseStatus;
use crate::types::Mailbox;
use crate::xml::{Element, XmlWriter};

/// `m:GetRooms`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetRooms {
    /// `m:RoomList/t:EmailAddress`.
    pub room_list: String,
}

/// `m:GetRoomsResponse`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetRoomsResponse {
    /// Class and code.
    pub status: ResponseStatus,
    /// `m:Rooms/t:Room/t:Id`.
    pub rooms: Vec<Mailbox>,
}

impl Operation for GetRooms {
    const NAME: &'static str = "GetRooms";
    type Response = GetRoomsResponse;

    fn write(&self, w: &mut XmlWriter) {
        w.start("m:GetRooms", &[]);
        w.start("m:RoomList", &[]);
        w.leaf("t:EmailAddress", &self.room_list);
        w.end("m:RoomList");
        w.end("m:GetRooms");
    }

    fn read(el: &Element) -> Result<Self, DecodeError> {
        expect_op(el, Self::NAME)?;
        Ok(Self {
            room_list: el
                .require(ns::MESSAGES, "RoomList")?
                .require_text(ns::TYPES, "EmailAddress")?,
        })
    }
}

impl OperationResponse for GetRoomsResponse {
    fn write(&self, w: &mut XmlWriter) {
        self.status.write_open(w, "m:GetRoomsResponse");
        if self.status.is_success() {
            w.start("m:Rooms", &[]);
            for r in &self.rooms {
                w.start("t:Room", &[]);
                r.write_as(w, "t:Id");
                w.end("t:Room");
            }
            w.end("m:Rooms");
        }
        w.end("m:GetRoomsResponse");
    }

    fn read(el: &Element) -> Result<Self, DecodeError> {
        if !el.is(ns::MESSAGES, "GetRoomsResponse") {
            return Err(DecodeError::unexpected("GetRoomsResponse", &el.name));
        }
        let rooms = match el.child(ns::MESSAGES, "Rooms") {
            None => Vec::new(),
            Some(list) => list
                .children_named(ns::TYPES, "Room")
                .filter_map(|r| r.child(ns::TYPES, "Id"))
                .map(Mailbox::read)
                .collect::<Result<_, _>>()?,
        };
        Ok(Self {
            status: ResponseStatus::read(el)?,
            rooms,
        })
    }
}
