//! Folders: `t:Folder`, `t:CalendarFolder`, `t:ContactsFolder` and kin.

use super::ids::EntityId;
use super::shape::Shape;
use crate::error::DecodeError;
use crate::ns;
use crate::xml::{Element, XmlWriter};

/// Which folder element a folder is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FolderKind {
    /// `t:Folder` (mail and generic folders).
    Folder,
    /// `t:CalendarFolder`.
    Calendar,
    /// `t:ContactsFolder`.
    Contacts,
    /// `t:TasksFolder`.
    Tasks,
    /// `t:SearchFolder`.
    Search,
}

impl FolderKind {
    /// The element's local name.
    pub fn element(self) -> &'static str {
        match self {
            Self::Folder => "Folder",
            Self::Calendar => "CalendarFolder",
            Self::Contacts => "ContactsFolder",
            Self::Tasks => "TasksFolder",
            Self::Search => "SearchFolder",
        }
    }

    fn from_element(name: &str) -> Option<Self> {
        Some(match name {
            "Folder" => Self::Folder,
            "CalendarFolder" => Self::Calendar,
            "ContactsFolder" => Self::Contacts,
            "TasksFolder" => Self::Tasks,
            "SearchFolder" => Self::Search,
            _ => return None,
        })
    }
}

/// A mailbox folder with its counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folder {
    /// The element kind.
    pub kind: FolderKind,
    /// `t:FolderId`.
    pub folder_id: EntityId,
    /// `t:ParentFolderId`.
    pub parent_folder_id: Option<EntityId>,
    /// `t:FolderClass`, e.g. `IPF.Note`.
    pub folder_class: Option<String>,
    /// `t:DisplayName`.
    pub display_name: Option<String>,
    /// `t:TotalCount`: items in the folder.
    pub total_count: Option<u32>,
    /// `t:ChildFolderCount`.
    pub child_folder_count: Option<u32>,
    /// `t:UnreadCount` (mail folders only).
    pub unread_count: Option<u32>,
}

impl Folder {
    /// Writes the folder with the properties the shape asks for.
    pub fn write(&self, w: &mut XmlWriter, shape: &Shape) {
        let tag = format!("t:{}", self.kind.element());
        w.start(&tag, &[]);
        self.folder_id.write(w, "t:FolderId");
        if shape.wants("folder:ParentFolderId")
            && let Some(p) = &self.parent_folder_id
        {
            p.write(w, "t:ParentFolderId");
        }
        if shape.wants("folder:FolderClass") {
            w.opt_leaf("t:FolderClass", self.folder_class.as_deref());
        }
        if shape.wants("folder:DisplayName") {
            w.opt_leaf("t:DisplayName", self.display_name.as_deref());
        }
        if shape.wants("folder:TotalCount") {
            w.opt_leaf("t:TotalCount", self.total_count);
        }
        if shape.wants("folder:ChildFolderCount") {
            w.opt_leaf("t:ChildFolderCount", self.child_folder_count);
        }
        if shape.wants("folder:UnreadCount") && self.kind == FolderKind::Folder {
            w.opt_leaf("t:UnreadCount", self.unread_count);
        }
        w.end(&tag);
    }

    /// Reads a folder element of any kind; `None` for folder kinds this crate does not model.
    pub fn read(el: &Element) -> Result<Option<Self>, DecodeError> {
        let Some(kind) = FolderKind::from_element(&el.name) else {
            return Ok(None);
        };
        Ok(Some(Self {
            kind,
            folder_id: EntityId::read(el.require(ns::TYPES, "FolderId")?)?,
            parent_folder_id: el
                .child(ns::TYPES, "ParentFolderId")
                .map(EntityId::read)
                .transpose()?,
            folder_class: el.child_text(ns::TYPES, "FolderClass"),
            display_name: el.child_text(ns::TYPES, "DisplayName"),
            total_count: el.child_parse(ns::TYPES, "TotalCount")?,
            child_folder_count: el.child_parse(ns::TYPES, "ChildFolderCount")?,
            unread_count: el.child_parse(ns::TYPES, "UnreadCount")?,
        }))
    }

    /// Reads every modelled folder inside a container such as `m:Folders`.
    pub fn read_all(container: &Element) -> Result<Vec<Self>, DecodeError> {
        let mut out = Vec::new();
        for c in &container.children {
            if let Some(f) = Self::read(c)? {
                out.push(f);
            }
        }
        Ok(out)
    }
}
