//! Access to the response statuses of every operation's response.

use impersync_ews::ResponseStatus;
use impersync_ews::ops::*;

/// A response that carries one or more response-message statuses.
pub trait Statuses {
    /// Every status in the response.
    fn statuses(&self) -> Vec<&ResponseStatus>;
}

macro_rules! message_statuses {
    ($($t:ty),*) => {$(
        impl Statuses for $t {
            fn statuses(&self) -> Vec<&ResponseStatus> {
                self.messages.iter().map(|m| &m.status).collect()
            }
        }
    )*};
}

message_statuses!(
    GetFolderResponse,
    FindFolderResponse,
    FindItemResponse,
    GetItemResponse,
    SyncFolderItemsResponse,
    SyncFolderHierarchyResponse,
    ConvertIdResponse
);

impl Statuses for GetRoomListsResponse {
    fn statuses(&self) -> Vec<&ResponseStatus> {
        vec![&self.status]
    }
}

impl Statuses for GetRoomsResponse {
    fn statuses(&self) -> Vec<&ResponseStatus> {
        vec![&self.status]
    }
}
