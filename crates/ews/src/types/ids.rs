//! Folder and item identifiers.

use crate::error::DecodeError;
use crate::ns;
use crate::xml::{Element, XmlWriter};

/// An opaque id with its change key, as in `t:ItemId` and `t:FolderId`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EntityId {
    /// `@Id`: stable for the life of the entity.
    pub id: String,
    /// `@ChangeKey`: changes whenever the entity changes.
    pub change_key: Option<String>,
}

impl EntityId {
    /// An id with a change key.
    pub fn new(id: impl Into<String>, change_key: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            change_key: Some(change_key.into()),
        }
    }

    /// Writes `<tag Id=".." ChangeKey=".."/>`.
    pub fn write(&self, w: &mut XmlWriter, tag: &str) {
        match &self.change_key {
            Some(ck) => w.empty(tag, &[("Id", &self.id), ("ChangeKey", ck)]),
            None => w.empty(tag, &[("Id", &self.id)]),
        }
    }

    /// Reads the `Id` and `ChangeKey` attributes.
    pub fn read(el: &Element) -> Result<Self, DecodeError> {
        Ok(Self {
            id: el
                .attr("Id")
                .ok_or_else(|| DecodeError::missing("Id", &el.name))?
                .to_string(),
            change_key: el.attr("ChangeKey").map(str::to_string),
        })
    }
}

/// `t:DistinguishedFolderId`: a well-known folder, optionally of another mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistinguishedFolderId {
    /// The well-known name, e.g. `inbox`, `sentitems`, `calendar`, `contacts`, `root`, `msgfolderroot`.
    pub name: String,
    /// `t:Mailbox/t:EmailAddress`, when addressing another user's folder.
    pub mailbox: Option<String>,
}

/// A folder reference: a real id or a well-known name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FolderRef {
    /// `t:FolderId`.
    Id(EntityId),
    /// `t:DistinguishedFolderId`.
    Distinguished(DistinguishedFolderId),
}

impl FolderRef {
    /// A well-known folder of the acting mailbox.
    pub fn distinguished(name: &str) -> Self {
        Self::Distinguished(DistinguishedFolderId {
            name: name.to_string(),
            mailbox: None,
        })
    }

    /// Writes `t:FolderId` or `t:DistinguishedFolderId`.
    pub fn write(&self, w: &mut XmlWriter) {
        match self {
            Self::Id(id) => id.write(w, "t:FolderId"),
            Self::Distinguished(d) => match &d.mailbox {
                None => w.empty("t:DistinguishedFolderId", &[("Id", &d.name)]),
                Some(mb) => {
                    w.start("t:DistinguishedFolderId", &[("Id", &d.name)]);
                    w.start("t:Mailbox", &[]);
                    w.leaf("t:EmailAddress", mb);
                    w.end("t:Mailbox");
                    w.end("t:DistinguishedFolderId");
                }
            },
        }
    }

    /// Reads one `t:FolderId` or `t:DistinguishedFolderId` element.
    pub fn read(el: &Element) -> Result<Self, DecodeError> {
        match el.name.as_str() {
            "FolderId" => Ok(Self::Id(EntityId::read(el)?)),
            "DistinguishedFolderId" => Ok(Self::Distinguished(DistinguishedFolderId {
                name: el
                    .attr("Id")
                    .ok_or_else(|| DecodeError::missing("Id", &el.name))?
                    .to_string(),
                mailbox: el
                    .child(ns::TYPES, "Mailbox")
                    .and_then(|m| m.child_text(ns::TYPES, "EmailAddress")),
            })),
            other => Err(DecodeError::unexpected(
                "FolderId or DistinguishedFolderId",
                other,
            )),
        }
    }

    /// Reads every folder reference inside a container such as `m:FolderIds`.
    pub fn read_all(container: &Element) -> Result<Vec<Self>, DecodeError> {
        container
            .children
            .iter()
            .filter(|c| c.ns == ns::TYPES)
            .map(Self::read)
            .collect()
    }
}
