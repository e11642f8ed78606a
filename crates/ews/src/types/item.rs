//! Any item: message, calendar item or contact.

use super::calendar_item::CalendarItem;
use super::contact::Contact;
use super::ids::EntityId;
use super::item_common::ItemCommon;
use super::message::Message;
use super::shape::Shape;
use crate::error::DecodeError;
use crate::xml::{Element, XmlWriter};

/// An item of one of the kinds Impersync syncs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// `t:Message` (also meeting requests and responses, read as messages).
    Message(Message),
    /// `t:CalendarItem`.
    CalendarItem(CalendarItem),
    /// `t:Contact`.
    Contact(Contact),
    /// Any other item element (`t:Item`, `t:Task`, ...), with its base properties.
    Other(ItemCommon),
}

impl Item {
    /// The base properties.
    pub fn common(&self) -> &ItemCommon {
        match self {
            Self::Message(m) => &m.item,
            Self::CalendarItem(c) => &c.item,
            Self::Contact(c) => &c.item,
            Self::Other(i) => i,
        }
    }

    /// The base properties, mutably.
    pub fn common_mut(&mut self) -> &mut ItemCommon {
        match self {
            Self::Message(m) => &mut m.item,
            Self::CalendarItem(c) => &mut c.item,
            Self::Contact(c) => &mut c.item,
            Self::Other(i) => i,
        }
    }

    /// The item's id, if it has one.
    pub fn id(&self) -> Option<&EntityId> {
        self.common().item_id.as_ref()
    }

    /// Writes the item element with the properties the shape asks for.
    pub fn write(&self, w: &mut XmlWriter, shape: &Shape) {
        let tag = match self {
            Self::Message(_) => "t:Message",
            Self::CalendarItem(_) => "t:CalendarItem",
            Self::Contact(_) => "t:Contact",
            Self::Other(_) => "t:Item",
        };
        w.start(tag, &[]);
        self.common().write(w, shape);
        match self {
            Self::Message(m) => m.write_fields(w, shape),
            Self::CalendarItem(c) => c.write_fields(w, shape),
            Self::Contact(c) => c.write_fields(w, shape),
            Self::Other(_) => {}
        }
        w.end(tag);
    }

    /// Reads any item element.
    pub fn read(el: &Element) -> Result<Self, DecodeError> {
        Ok(match el.name.as_str() {
            "Message" | "MeetingRequest" | "MeetingResponse" | "MeetingCancellation" => {
                Self::Message(Message::read(el)?)
            }
            "CalendarItem" => Self::CalendarItem(CalendarItem::read(el)?),
            "Contact" => Self::Contact(Contact::read(el)?),
            _ => Self::Other(ItemCommon::read(el)?),
        })
    }

    /// Reads every item inside a container such as `t:Items`.
    pub fn read_all(container: &Element) -> Result<Vec<Self>, DecodeError> {
        container.children.iter().map(Self::read).collect()
    }
}
