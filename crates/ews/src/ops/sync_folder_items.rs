//! SyncFolderItems: the changes to a folder's items since a sync state.

use crate::error::DecodeError;
use crate::ns;
use crate::operation::{Operation, OperationResponse, expect_op};
use crate::response_message::{ResponseMessage, read_messages, write_messages};
use crate::types::{EntityId, FolderRef, Item, Shape};
use crate::xml::{Element, XmlWriter};

/// The most changes one call may ask for.
pub const MAX_CHANGES_PER_CALL: u32 = 512;

/// `m:SyncFolderItems`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncFolderItems {
    /// `m:ItemShape`.
    pub shape: Shape,
    /// `m:SyncFolderId`.
    pub folder: FolderRef,
    /// `m:SyncState`; `None` or empty starts from the beginning.
    pub sync_state: Option<String>,
    /// `m:Ignore/t:ItemId`: items whose changes are not reported.
    pub ignore: Vec<EntityId>,
    /// `m:MaxChangesReturned`, 1 to 512.
    pub max_changes_returned: u32,
    /// `m:SyncScope`: `NormalItems` or `NormalAndAssociatedItems`.
    pub sync_scope: Option<String>,
}

/// One change in a folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemChange {
    /// `t:Create`: a new item.
    Create(Item),
    /// `t:Update`: a changed item.
    Update(Item),
    /// `t:Delete`: the item with this id is gone.
    Delete(EntityId),
    /// `t:ReadFlagChange`: only the read flag changed.
    ReadFlagChange {
        /// The item.
        item_id: EntityId,
        /// The new read flag.
        is_read: bool,
    },
}

/// The payload of a successful SyncFolderItems message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ItemChanges {
    /// `m:SyncState` to send next time.
    pub sync_state: String,
    /// `m:IncludesLastItemInRange`: false means call again for more.
    pub includes_last_item_in_range: bool,
    /// `m:Changes`, oldest first.
    pub changes: Vec<ItemChange>,
}

/// `m:SyncFolderItemsResponse`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncFolderItemsResponse {
    /// One message.
    pub messages: Vec<ResponseMessage<ItemChanges>>,
    /// The shape to write items with (not on the wire).
    pub shape: Shape,
}

impl Operation for SyncFolderItems {
    const NAME: &'static str = "SyncFolderItems";
    type Response = SyncFolderItemsResponse;

    fn write(&self, w: &mut XmlWriter) {
        w.start("m:SyncFolderItems", &[]);
        self.shape.write(w, "m:ItemShape");
        w.start("m:SyncFolderId", &[]);
        self.folder.write(w);
        w.end("m:SyncFolderId");
        w.opt_leaf("m:SyncState", self.sync_state.as_deref());
        if !self.ignore.is_empty() {
            w.start("m:Ignore", &[]);
            for id in &self.ignore {
                id.write(w, "t:ItemId");
            }
            w.end("m:Ignore");
        }
        w.leaf("m:MaxChangesReturned", self.max_changes_returned);
        w.opt_leaf("m:SyncScope", self.sync_scope.as_deref());
        w.end("m:SyncFolderItems");
    }

    fn read(el: &Element) -> Result<Self, DecodeError> {
        expect_op(el, Self::NAME)?;
        let folder_el = el
            .require(ns::MESSAGES, "SyncFolderId")?
            .first_child()
            .ok_or_else(|| DecodeError::missing("FolderId", "SyncFolderId"))?;
        Ok(Self {
            shape: Shape::read(el.require(ns::MESSAGES, "ItemShape")?)?,
            folder: FolderRef::read(folder_el)?,
            sync_state: el
                .child_text(ns::MESSAGES, "SyncState")
                .filter(|s| !s.is_empty()),
            ignore: el
                .child(ns::MESSAGES, "Ignore")
                .map(|i| {
                    i.children_named(ns::TYPES, "ItemId")
                        .map(EntityId::read)
                        .collect()
                })
                .transpose()?
                .unwrap_or_default(),
            max_changes_returned: el
                .child_parse(ns::MESSAGES, "MaxChangesReturned")?
                .ok_or_else(|| DecodeError::missing("MaxChangesReturned", Self::NAME))?,
            sync_scope: el.child_text(ns::MESSAGES, "SyncScope"),
        })
    }
}

impl OperationResponse for SyncFolderItemsResponse {
    fn write(&self, w: &mut XmlWriter) {
        write_messages(w, SyncFolderItems::NAME, &self.messages, |w, p| {
            w.leaf("m:SyncState", &p.sync_state);
            w.leaf("m:IncludesLastItemInRange", p.includes_last_item_in_range);
            w.start("m:Changes", &[]);
            for c in &p.changes {
                match c {
                    ItemChange::Create(item) => {
                        w.start("t:Create", &[]);
                        item.write(w, &self.shape);
                        w.end("t:Create");
                    }
                    ItemChange::Update(item) => {
                        w.start("t:Update", &[]);
                        item.write(w, &self.shape);
                        w.end("t:Update");
                    }
                    ItemChange::Delete(id) => {
                        w.start("t:Delete", &[]);
                        id.write(w, "t:ItemId");
                        w.end("t:Delete");
                    }
                    ItemChange::ReadFlagChange { item_id, is_read } => {
                        w.start("t:ReadFlagChange", &[]);
                        item_id.write(w, "t:ItemId");
                        w.leaf("t:IsRead", is_read);
                        w.end("t:ReadFlagChange");
                    }
                }
            }
            w.end("m:Changes");
        });
    }

    fn read(el: &Element) -> Result<Self, DecodeError> {
        Ok(Self {
            messages: read_messages(el, SyncFolderItems::NAME, read_changes)?,
            shape: Shape::default(),
        })
    }
}

fn read_changes(m: &Element) -> Result<ItemChanges, DecodeError> {
    let mut changes = Vec::new();
    if let Some(list) = m.child(ns::MESSAGES, "Changes") {
        for c in list.children.iter().filter(|c| c.ns == ns::TYPES) {
            let item = || {
                c.first_child()
                    .ok_or_else(|| DecodeError::missing("item", &c.name))
                    .and_then(Item::read)
            };
            let item_id = || EntityId::read(c.require(ns::TYPES, "ItemId")?);
            changes.push(match c.name.as_str() {
                "Create" => ItemChange::Create(item()?),
                "Update" => ItemChange::Update(item()?),
                "Delete" => ItemChange::Delete(item_id()?),
                "ReadFlagChange" => ItemChange::ReadFlagChange {
                    item_id: item_id()?,
                    is_read: c
                        .child_parse(ns::TYPES, "IsRead")?
                        .ok_or_else(|| DecodeError::missing("IsRead", "ReadFlagChange"))?,
                },
                _ => continue,
            });
        }
    }
    Ok(ItemChanges {
        sync_state: m.require_text(ns::MESSAGES, "SyncState")?,
        includes_last_item_in_range: m
            .child_parse(ns::MESSAGES, "IncludesLastItemInRange")?
            .unwrap_or(true),
        changes,
    })
}
