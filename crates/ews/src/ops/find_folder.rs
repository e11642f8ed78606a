//! FindFolder: list the subfolders of a folder.

use crate::error::DecodeError;
use crate::ns;
use crate::operation::{Operation, OperationResponse, expect_op};
use crate::response_message::{ResponseMessage, read_messages, write_messages};
use crate::types::{Folder, FolderRef, IndexedPage, Page, Shape};
use crate::xml::{Element, XmlWriter};

/// `@Traversal` of FindFolder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FolderTraversal {
    /// Direct children only.
    Shallow,
    /// The whole subtree.
    Deep,
    /// Soft-deleted folders.
    SoftDeleted,
}

/// `m:FindFolder`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindFolder {
    /// `@Traversal`.
    pub traversal: FolderTraversal,
    /// `m:FolderShape`.
    pub shape: Shape,
    /// `m:IndexedPageFolderView`, if paged.
    pub paging: Option<IndexedPage>,
    /// `m:ParentFolderIds`.
    pub parent_folder_ids: Vec<FolderRef>,
}

/// `m:FindFolderResponse`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindFolderResponse {
    /// One message per parent folder, each with a page of folders.
    pub messages: Vec<ResponseMessage<Page<Folder>>>,
    /// The shape to write folders with (not on the wire).
    pub shape: Shape,
}

impl Operation for FindFolder {
    const NAME: &'static str = "FindFolder";
    type Response = FindFolderResponse;

    fn write(&self, w: &mut XmlWriter) {
        let traversal = match self.traversal {
            FolderTraversal::Shallow => "Shallow",
            FolderTraversal::Deep => "Deep",
            FolderTraversal::SoftDeleted => "SoftDeleted",
        };
        w.start("m:FindFolder", &[("Traversal", traversal)]);
        self.shape.write(w, "m:FolderShape");
        if let Some(p) = &self.paging {
            p.write(w, "m:IndexedPageFolderView");
        }
        w.start("m:ParentFolderIds", &[]);
        for f in &self.parent_folder_ids {
            f.write(w);
        }
        w.end("m:ParentFolderIds");
        w.end("m:FindFolder");
    }

    fn read(el: &Element) -> Result<Self, DecodeError> {
        expect_op(el, Self::NAME)?;
        Ok(Self {
            traversal: match el.attr("Traversal") {
                Some("Shallow") => FolderTraversal::Shallow,
                Some("Deep") => FolderTraversal::Deep,
                Some("SoftDeleted") => FolderTraversal::SoftDeleted,
                Some(other) => return Err(DecodeError::invalid("Traversal", other)),
                None => return Err(DecodeError::missing("Traversal", Self::NAME)),
            },
            shape: Shape::read(el.require(ns::MESSAGES, "FolderShape")?)?,
            paging: el
                .child(ns::MESSAGES, "IndexedPageFolderView")
                .map(IndexedPage::read)
                .transpose()?,
            parent_folder_ids: FolderRef::read_all(el.require(ns::MESSAGES, "ParentFolderIds")?)?,
        })
    }
}

impl OperationResponse for FindFolderResponse {
    fn write(&self, w: &mut XmlWriter) {
        write_messages(w, FindFolder::NAME, &self.messages, |w, page| {
            page.write(w, "t:Folders", |w, f| f.write(w, &self.shape));
        });
    }

    fn read(el: &Element) -> Result<Self, DecodeError> {
        Ok(Self {
            messages: read_messages(el, FindFolder::NAME, |m| {
                Page::read(m, "Folders", Folder::read_all)
            })?,
            shape: Shape::default(),
        })
    }
}
