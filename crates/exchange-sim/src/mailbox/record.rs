//! One item's bookkeeping: where it lives, when it changed, and its content.

use impersync_ews::types::Item;

/// Where an item's properties come from.
#[derive(Debug, Clone)]
pub enum Content {
    /// Generated on demand from the seed; only the index is stored.
    Generated(u32),
    /// Delivered or modified through the control API.
    Stored(Box<Item>),
}

/// An item and the sequence numbers of its changes.
#[derive(Debug, Clone)]
pub struct ItemRecord {
    /// Folder number.
    pub folder: u16,
    /// Sequence number of its creation; the item keeps this key in the change index too.
    pub created: u64,
    /// Sequence number of its last property change (0 if never changed).
    pub modified: u64,
    /// Sequence number of its last read-flag change (0 if never changed).
    pub read_changed: u64,
    /// Sequence number of its deletion; 0 while it lives.
    pub deleted: u64,
    /// Sequence number of its latest change of any kind: its key in the folder's change index.
    pub last: u64,
    /// The read flag.
    pub is_read: bool,
    /// Version, for the change key.
    pub version: u32,
    /// Its properties.
    pub content: Content,
}

impl ItemRecord {
    /// Whether the item still exists.
    pub fn is_live(&self) -> bool {
        self.deleted == 0
    }
}
