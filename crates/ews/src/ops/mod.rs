//! One module per EWS operation: its request and its response.

mod convert_id;
mod find_folder;
mod find_item;
mod get_folder;
mod get_item;
mod get_room_lists;
mod get_rooms;
mod request;
mod sync_folder_hierarchy;
mod sync_folder_items;

pub use convert_id::{AlternateId, ConvertId, ConvertIdResponse};
pub use find_folder::{FindFolder, FindFolderResponse, FolderTraversal};
pub use find_item::{FindItem, FindItemResponse};
pub use get_folder::{GetFolder, GetFolderResponse};
pub use get_item::{GetItem, GetItemResponse};
pub use get_room_lists::{GetRoomLists, GetRoomListsResponse};
pub use get_rooms::{GetRooms, GetRoomsResponse};
pub use request::Request;
pub use sync_folder_hierarchy::{
    FolderChange, FolderChanges, SyncFolderHierarchy, SyncFolderHierarchyResponse,
};
pub use sync_folder_items::{
    ItemChange, ItemChanges, MAX_CHANGES_PER_CALL, SyncFolderItems, SyncFolderItemsResponse,
};
