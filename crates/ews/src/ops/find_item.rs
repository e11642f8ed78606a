//! FindItem: list a folder's items, page by page.

use crate::error::DecodeError;
use crate::ns;
use crate::operation::{Operation, OperationResponse, expect_op};
use crate::response_message::{ResponseMessage, read_messages, write_messages};
use crate::types::{FolderRef, IndexedPage, Item, Page, Shape};
use crate::xml::{Element, XmlWriter};

/// `m:FindItem`. Restrictions and sort orders are accepted and not modelled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindItem {
    /// `@Traversal`: `Shallow`, `SoftDeleted` or `Associated`.
    pub traversal: String,
    /// `m:ItemShape`.
    pub shape: Shape,
    /// `m:IndexedPageItemView`, if paged.
    pub paging: Option<IndexedPage>,
    /// `m:ParentFolderIds`.
    pub parent_folder_ids: Vec<FolderRef>,
}

/// `m:FindItemResponse`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindItemResponse {
    /// One message per parent folder, each with a page of items.
    pub messages: Vec<ResponseMessage<Page<Item>>>,
    /// The shape to write items with (not on the wire).
    pub shape: Shape,
}

impl Operation for FindItem {
    const NAME: &'static str = "FindItem";
    type Response = FindItemResponse;

    fn write(&self, w: &mut XmlWriter) {
        w.start("m:FindItem", &[("Traversal", &self.traversal)]);
        self.shape.write(w, "m:ItemShape");
        if let Some(p) = &self.paging {
            p.write(w, "m:IndexedPageItemView");
        }
        w.start("m:ParentFolderIds", &[]);
        for f in &self.parent_folder_ids {
            f.write(w);
        }
        w.end("m:ParentFolderIds");
        w.end("m:FindItem");
    }

    fn read(el: &Element) -> Result<Self, DecodeError> {
        expect_op(el, Self::NAME)?;
        Ok(Self {
            traversal: el.attr("Traversal").unwrap_or("Shallow").to_string(),
            shape: Shape::read(el.require(ns::MESSAGES, "ItemShape")?)?,
            paging: el
                .child(ns::MESSAGES, "IndexedPageItemView")
                .map(IndexedPage::read)
                .transpose()?,
            parent_folder_ids: FolderRef::read_all(el.require(ns::MESSAGES, "ParentFolderIds")?)?,
        })
    }
}

impl OperationResponse for FindItemResponse {
    fn write(&self, w: &mut XmlWriter) {
        write_messages(w, FindItem::NAME, &self.messages, |w, page| {
            page.write(w, "t:Items", |w, i| i.write(w, &self.shape));
        });
    }

    fn read(el: &Element) -> Result<Self, DecodeError> {
        Ok(Self {
            messages: read_messages(el, FindItem::NAME, |m| {
                Page::read(m, "Items", Item::read_all)
            })?,
            shape: Shape::default(),
        })
    }
}
