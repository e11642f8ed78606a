//! GetFolder: read folders by id or well-known name.

use crate::error::DecodeError;
use crate::ns;
use crate::operation::{Operation, OperationResponse, expect_op};
use crate::response_message::{ResponseMessage, read_messages, write_messages};
use crate::types::{Folder, FolderRef, Shape};
use crate::xml::{Element, XmlWriter};

/// `m:GetFolder`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetFolder {
    /// `m:FolderShape`.
    pub shape: Shape,
    /// `m:FolderIds`.
    pub folder_ids: Vec<FolderRef>,
}

/// `m:GetFolderResponse`: one message per requested folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetFolderResponse {
    /// The response messages; each successful one carries its folders.
    pub messages: Vec<ResponseMessage<Vec<Folder>>>,
    /// The shape to write folders with (not on the wire).
    pub shape: Shape,
}

impl Operation for GetFolder {
    const NAME: &'static str = "GetFolder";
    type Response = GetFolderResponse;

    fn write(&self, w: &mut XmlWriter) {
        w.start("m:GetFolder", &[]);
        self.shape.write(w, "m:FolderShape");
        w.start("m:FolderIds", &[]);
        for f in &self.folder_ids {
            f.write(w);
        }
        w.end("m:FolderIds");
        w.end("m:GetFolder");
    }

    fn read(el: &Element) -> Result<Self, DecodeError> {
        expect_op(el, Self::NAME)?;
        Ok(Self {
            shape: Shape::read(el.require(ns::MESSAGES, "FolderShape")?)?,
            folder_ids: FolderRef::read_all(el.require(ns::MESSAGES, "FolderIds")?)?,
        })
    }
}

impl OperationResponse for GetFolderResponse {
    fn write(&self, w: &mut XmlWriter) {
        write_messages(w, GetFolder::NAME, &self.messages, |w, folders| {
            w.start("m:Folders", &[]);
            for f in folders {
                f.write(w, &self.shape);
            }
            w.end("m:Folders");
        });
    }

    fn read(el: &Element) -> Result<Self, DecodeError> {
        Ok(Self {
            messages: read_messages(el, GetFolder::NAME, |m| {
                Folder::read_all(m.require(ns::MESSAGES, "Folders")?)
            })?,
            shape: Shape::default(),
        })
    }
}
