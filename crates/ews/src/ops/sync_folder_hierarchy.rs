//! SyncFolderHierarchy: the changes to a mailbox's folder tree since a sync state.

use crate::error::DecodeError;
use crate::ns;
use crate::operation::{Operation, OperationResponse, expect_op};
use crate::response_message::{ResponseMessage, read_messages, write_messages};
use crate::types::{EntityId, Folder, FolderRef, Shape};
use crate::xml::{Element, XmlWriter};

/// `m:SyncFolderHierarchy`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncFolderHierarchy {
    /// `m:FolderShape`.
    pub shape: Shape,
    /// `m:SyncFolderId`; `None` means the whole mailbox.
    pub folder: Option<FolderRef>,
    /// `m:SyncState`; `None` starts from the beginning.
    pub sync_state: Option<String>,
}

/// One change in the folder tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FolderChange {
    /// `t:Create`.
    Create(Folder),
    /// `t:Update`.
    Update(Folder),
    /// `t:Delete`.
    Delete(EntityId),
}

/// The payload of a successful SyncFolderHierarchy message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FolderChanges {
    /// `m:SyncState` to send next time.
    pub sync_state: String,
    /// `m:IncludesLastFolderInRange`.
    pub includes_last_folder_in_range: bool,
    /// `m:Changes`.
    pub changes: Vec<FolderChange>,
}

/// `m:SyncFolderHierarchyResponse`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncFolderHierarchyResponse {
    /// One message.
    pub messages: Vec<ResponseMessage<FolderChanges>>,
    /// The shape to write folders with (not on the wire).
    pub shape: Shape,
}

impl Operation for SyncFolderHierarchy {
    const NAME: &'static str = "SyncFolderHierarchy";
    type Response = SyncFolderHierarchyResponse;

    fn write(&self, w: &mut XmlWriter) {
        w.start("m:SyncFolderHierarchy", &[]);
        self.shape.write(w, "m:FolderShape");
        if let Some(f) = &self.folder {
            w.start("m:SyncFolderId", &[]);
            f.write(w);
            w.end("m:SyncFolderId");
        }
        w.opt_leaf("m:SyncState", self.sync_state.as_deref());
        w.end("m:SyncFolderHierarchy");
    }

    fn read(el: &Element) -> Result<Self, DecodeError> {
        expect_op(el, Self::NAME)?;
        Ok(Self {
            shape: Shape::read(el.require(ns::MESSAGES, "FolderShape")?)?,
            folder: el
                .child(ns::MESSAGES, "SyncFolderId")
                .and_then(Element::first_child)
                .map(FolderRef::read)
                .transpose()?,
            sync_state: el
                .child_text(ns::MESSAGES, "SyncState")
                .filter(|s| !s.is_empty()),
        })
    }
}

impl OperationResponse for SyncFolderHierarchyResponse {
    fn write(&self, w: &mut XmlWriter) {
        write_messages(w, SyncFolderHierarchy::NAME, &self.messages, |w, p| {
            w.leaf("m:SyncState", &p.sync_state);
            w.leaf(
                "m:IncludesLastFolderInRange",
                p.includes_last_folder_in_range,
            );
            w.start("m:Changes", &[]);
            for c in &p.changes {
                match c {
                    FolderChange::Create(f) | FolderChange::Update(f) => {
                        let tag = if matches!(c, FolderChange::Create(_)) {
                            "t:Create"
                        } else {
                            "t:Update"
                        };
                        w.start(tag, &[]);
                        f.write(w, &self.shape);
                        w.end(tag);
                    }
                    FolderChange::Delete(id) => {
                        w.start("t:Delete", &[]);
                        id.write(w, "t:FolderId");
                        w.end("t:Delete");
                    }
                }
            }
            w.end("m:Changes");
        });
    }

    fn read(el: &Element) -> Result<Self, DecodeError> {
        Ok(Self {
            messages: read_messages(el, SyncFolderHierarchy::NAME, read_changes)?,
            shape: Shape::default(),
        })
    }
}

fn read_changes(m: &Element) -> Result<FolderChanges, DecodeError> {
    let mut changes = Vec::new();
    if let Some(list) = m.child(ns::MESSAGES, "Changes") {
        for c in list.children.iter().filter(|c| c.ns == ns::TYPES) {
            let folder = || -> Result<Option<Folder>, DecodeError> {
                c.first_child()
                    .map(Folder::read)
                    .transpose()
                    .map(Option::flatten)
            };
            match c.name.as_str() {
                "Create" => changes.extend(folder()?.map(FolderChange::Create)),
                "Update" => changes.extend(folder()?.map(FolderChange::Update)),
                "Delete" => changes.push(FolderChange::Delete(EntityId::read(
                    c.require(ns::TYPES, "FolderId")?,
                )?)),
                _ => {}
            }
        }
    }
    Ok(FolderChanges {
        sync_state: m.require_text(ns::MESSAGES, "SyncState")?,
        includes_last_folder_in_range: m
            .child_parse(ns::MESSAGES, "IncludesLastFolderInRange")?
            .unwrap_or(true),
        changes,
    })
}
