//! EWS data types shared by several operations.

mod calendar_item;
mod contact;
mod folder;
mod ids;
mod item;
mod item_common;
mod mailbox;
mod message;
mod paging;
mod shape;

pub use calendar_item::{Attendee, CalendarItem};
pub use contact::{Contact, KeyedValue};
pub use folder::{Folder, FolderKind};
pub use ids::{DistinguishedFolderId, EntityId, FolderRef};
pub use item::Item;
pub use item_common::{Body, ItemCommon};
pub use mailbox::Mailbox;
pub use message::Message;
pub use paging::{BasePoint, IndexedPage, Page};
pub use shape::{BaseShape, Shape};
