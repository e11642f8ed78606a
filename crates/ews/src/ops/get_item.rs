//! GetItem: read items by id.

use crate::error::DecodeError;
use crate::ns;
use crate::operation::{Operation, OperationResponse, expect_op};
use crate::response_message::{ResponseMessage, read_messages, write_messages};
use crate::types::{EntityId, Item, Shape};
use crate::xml::{Element, XmlWriter};

/// `m:GetItem`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetItem {
    /// `m:ItemShape`.
    pub shape: Shape,
    /// `m:ItemIds/t:ItemId`.
    pub item_ids: Vec<EntityId>,
}

/// `m:GetItemResponse`: one message per requested id, in request order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetItemResponse {
    /// The response messages; each successful one carries its item.
    pub messages: Vec<ResponseMessage<Vec<Item>>>,
    /// The shape to write items with (not on the wire).
    pub shape: Shape,
}

impl Operation for GetItem {
    const NAME: &'static str = "GetItem";
    type Response = GetItemResponse;

    fn write(&self, w: &mut XmlWriter) {
        w.start("m:GetItem", &[]);
        self.shape.write(w, "m:ItemShape");
        w.start("m:ItemIds", &[]);
        for id in &self.item_ids {
            id.write(w, "t:ItemId");
        }
        w.end("m:ItemIds");
        w.end("m:GetItem");
    }

    fn read(el: &Element) -> Result<Self, DecodeError> {
        expect_op(el, Self::NAME)?;
        Ok(Self {
            shape: Shape::read(el.require(ns::MESSAGES, "ItemShape")?)?,
            item_ids: el
                .require(ns::MESSAGES, "ItemIds")?
                .children_named(ns::TYPES, "ItemId")
                .map(EntityId::read)
                .collect::<Result<_, _>>()?,
        })
    }
}

impl OperationResponse for GetItemResponse {
    fn write(&self, w: &mut XmlWriter) {
        write_messages(w, GetItem::NAME, &self.messages, |w, items| {
            w.start("m:Items", &[]);
            for i in items {
                i.write(w, &self.shape);
            }
            w.end("m:Items");
        });
    }

    fn read(el: &Element) -> Result<Self, DecodeError> {
        Ok(Self {
            messages: read_messages(el, GetItem::NAME, |m| {
                Item::read_all(m.require(ns::MESSAGES, "Items")?)
            })?,
            shape: Shape::default(),
        })
    }
}
