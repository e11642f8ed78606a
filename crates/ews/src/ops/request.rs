//! Any request a server may receive, decoded by its body element.

use super::*;
use crate::error::DecodeError;
use crate::ns;
use crate::operation::Operation;
use crate::xml::Element;

/// A decoded request body of any supported operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// GetFolder.
    GetFolder(GetFolder),
    /// FindFolder.
    FindFolder(FindFolder),
    /// SyncFolderHierarchy.
    SyncFolderHierarchy(SyncFolderHierarchy),
    /// SyncFolderItems.
    SyncFolderItems(SyncFolderItems),
    /// GetItem.
    GetItem(GetItem),
    /// FindItem.
    FindItem(FindItem),
    /// ConvertId.
    ConvertId(ConvertId),
    /// GetRoomLists.
    GetRoomLists(GetRoomLists),
    /// GetRooms.
    GetRooms(GetRooms),
}

impl Request {
    /// Decodes the operation element found in `soap:Body`.
    pub fn read(el: &Element) -> Result<Self, DecodeError> {
        if el.ns != ns::MESSAGES {
            return Err(DecodeError::UnsupportedOperation(el.name.clone()));
        }
        Ok(match el.name.as_str() {
            GetFolder::NAME => Self::GetFolder(GetFolder::read(el)?),
            FindFolder::NAME => Self::FindFolder(FindFolder::read(el)?),
            SyncFolderHierarchy::NAME => Self::SyncFolderHierarchy(SyncFolderHierarchy::read(el)?),
            SyncFolderItems::NAME => Self::SyncFolderItems(SyncFolderItems::read(el)?),
            GetItem::NAME => Self::GetItem(GetItem::read(el)?),
            FindItem::NAME => Self::FindItem(FindItem::read(el)?),
            ConvertId::NAME => Self::ConvertId(ConvertId::read(el)?),
            GetRoomLists::NAME => Self::GetRoomLists(GetRoomLists::read(el)?),
            GetRooms::NAME => Self::GetRooms(GetRooms::read(el)?),
            other => return Err(DecodeError::UnsupportedOperation(other.to_string())),
        })
    }

    /// The operation's name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::GetFolder(_) => GetFolder::NAME,
            Self::FindFolder(_) => FindFolder::NAME,
            Self::SyncFolderHierarchy(_) => SyncFolderHierarchy::NAME,
            Self::SyncFolderItems(_) => SyncFolderItems::NAME,
            Self::GetItem(_) => GetItem::NAME,
            Self::FindItem(_) => FindItem::NAME,
            Self::ConvertId(_) => ConvertId::NAME,
            Self::GetRoomLists(_) => GetRoomLists::NAME,
            Self::GetRooms(_) => GetRooms::NAME,
        }
    }
}
