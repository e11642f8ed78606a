//! Properties every item has (`t:ItemType`).

use super::ids::EntityId;
use super::shape::Shape;
use crate::error::DecodeError;
use crate::ns;
use crate::xml::{Element, XmlWriter};

/// `t:Body`: the body in one format.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Body {
    /// `@BodyType`: `Text` or `HTML`.
    pub body_type: String,
    /// The body content.
    pub content: String,
}

/// The base properties of any item, in schema order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ItemCommon {
    /// `t:ItemId`.
    pub item_id: Option<EntityId>,
    /// `t:ParentFolderId`.
    pub parent_folder_id: Option<EntityId>,
    /// `t:ItemClass`, e.g. `IPM.Note`.
    pub item_class: Option<String>,
    /// `t:Subject`.
    pub subject: Option<String>,
    /// `t:Body`.
    pub body: Option<Body>,
    /// `t:DateTimeReceived` (ISO 8601, UTC).
    pub date_time_received: Option<String>,
    /// `t:Size` in bytes.
    pub size: Option<u64>,
    /// `t:Categories/t:String`.
    pub categories: Vec<String>,
    /// `t:Importance`: `Low`, `Normal` or `High`.
    pub importance: Option<String>,
    /// `t:DateTimeSent`.
    pub date_time_sent: Option<String>,
    /// `t:DateTimeCreated`.
    pub date_time_created: Option<String>,
    /// `t:HasAttachments`.
    pub has_attachments: Option<bool>,
    /// `t:LastModifiedTime`.
    pub last_modified_time: Option<String>,
    /// `t:ConversationId/@Id`.
    pub conversation_id: Option<String>,
    /// `t:Preview`: the first characters of the text body.
    pub preview: Option<String>,
}

impl ItemCommon {
    /// Writes the base properties the shape asks for.
    pub(crate) fn write(&self, w: &mut XmlWriter, shape: &Shape) {
        if let Some(id) = &self.item_id {
            id.write(w, "t:ItemId");
        }
        if shape.wants("item:ParentFolderId")
            && let Some(p) = &self.parent_folder_id
        {
            p.write(w, "t:ParentFolderId");
        }
        let leaf = |w: &mut XmlWriter, uri: &str, tag: &str, v: Option<&str>| {
            if shape.wants(uri) {
                w.opt_leaf(tag, v);
            }
        };
        leaf(
            w,
            "item:ItemClass",
            "t:ItemClass",
            self.item_class.as_deref(),
        );
        leaf(w, "item:Subject", "t:Subject", self.subject.as_deref());
        if shape.wants("item:Body")
            && let Some(b) = &self.body
        {
            w.start("t:Body", &[("BodyType", &b.body_type)]);
            w.text(&b.content);
            w.end("t:Body");
        }
        leaf(
            w,
            "item:DateTimeReceived",
            "t:DateTimeReceived",
            self.date_time_received.as_deref(),
        );
        if shape.wants("item:Size") {
            w.opt_leaf("t:Size", self.size);
        }
        if shape.wants("item:Categories") && !self.categories.is_empty() {
            w.start("t:Categories", &[]);
            for c in &self.categories {
                w.leaf("t:String", c);
            }
            w.end("t:Categories");
        }
        leaf(
            w,
            "item:Importance",
            "t:Importance",
            self.importance.as_deref(),
        );
        leaf(
            w,
            "item:DateTimeSent",
            "t:DateTimeSent",
            self.date_time_sent.as_deref(),
        );
        leaf(
            w,
            "item:DateTimeCreated",
            "t:DateTimeCreated",
            self.date_time_created.as_deref(),
        );
        if shape.wants("item:HasAttachments") {
            w.opt_leaf("t:HasAttachments", self.has_attachments);
        }
        leaf(
            w,
            "item:LastModifiedTime",
            "t:LastModifiedTime",
            self.last_modified_time.as_deref(),
        );
        if shape.wants("item:ConversationId")
            && let Some(c) = &self.conversation_id
        {
            w.empty("t:ConversationId", &[("Id", c)]);
        }
        leaf(w, "item:Preview", "t:Preview", self.preview.as_deref());
    }

    /// Reads the base properties of an item element.
    pub(crate) fn read(el: &Element) -> Result<Self, DecodeError> {
        let t = |name: &str| el.child_text(ns::TYPES, name);
        Ok(Self {
            item_id: el
                .child(ns::TYPES, "ItemId")
                .map(EntityId::read)
                .transpose()?,
            parent_folder_id: el
                .child(ns::TYPES, "ParentFolderId")
                .map(EntityId::read)
                .transpose()?,
            item_class: t("ItemClass"),
            subject: el.child(ns::TYPES, "Subject").map(|s| s.text.clone()),
            body: el.child(ns::TYPES, "Body").map(|b| Body {
                body_type: b.attr("BodyType").unwrap_or("Text").to_string(),
                content: b.text.clone(),
            }),
            date_time_received: t("DateTimeReceived"),
            size: el.child_parse(ns::TYPES, "Size")?,
            categories: el
                .child(ns::TYPES, "Categories")
                .map(|c| {
                    c.children_named(ns::TYPES, "String")
                        .map(|s| s.text.clone())
                        .collect()
                })
                .unwrap_or_default(),
            importance: t("Importance"),
            date_time_sent: t("DateTimeSent"),
            date_time_created: t("DateTimeCreated"),
            has_attachments: el.child_parse(ns::TYPES, "HasAttachments")?,
            last_modified_time: t("LastModifiedTime"),
            conversation_id: el
                .child(ns::TYPES, "ConversationId")
                .and_then(|c| c.attr("Id").map(str::to_string)),
            preview: el.child(ns::TYPES, "Preview").map(|p| p.text.clone()),
        })
    }
}
