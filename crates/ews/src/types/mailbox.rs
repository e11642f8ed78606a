//! `t:Mailbox`: a person or resource on a message or meeting.

use crate::error::DecodeError;
use crate::ns;
use crate::xml::{Element, XmlWriter};

/// A named address (`t:Mailbox`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mailbox {
    /// Display name.
    pub name: Option<String>,
    /// SMTP address.
    pub email_address: String,
    /// `SMTP` for internet addresses.
    pub routing_type: Option<String>,
    /// `Mailbox`, `PublicDL`, `PrivateDL`, `Contact`, ...
    pub mailbox_type: Option<String>,
}

impl Mailbox {
    /// An SMTP mailbox with a display name.
    pub fn smtp(name: impl Into<String>, address: impl Into<String>) -> Self {
        Self {
            name: Some(name.into()),
            email_address: address.into(),
            routing_type: Some("SMTP".into()),
            mailbox_type: Some("Mailbox".into()),
        }
    }

    /// Writes `<t:Mailbox>` with its children.
    pub fn write(&self, w: &mut XmlWriter) {
        self.write_as(w, "t:Mailbox");
    }

    /// Writes the mailbox's children under another tag, e.g. `t:Address` in room lists.
    pub fn write_as(&self, w: &mut XmlWriter, tag: &str) {
        w.start(tag, &[]);
        w.opt_leaf("t:Name", self.name.as_deref());
        w.leaf("t:EmailAddress", &self.email_address);
        w.opt_leaf("t:RoutingType", self.routing_type.as_deref());
        w.opt_leaf("t:MailboxType", self.mailbox_type.as_deref());
        w.end(tag);
    }

    /// Writes `<tag><t:Mailbox/></tag>`, the shape of `t:From` and `t:Organizer`.
    pub fn write_wrapped(&self, w: &mut XmlWriter, tag: &str) {
        w.start(tag, &[]);
        self.write(w);
        w.end(tag);
    }

    /// Reads a `t:Mailbox` element.
    pub fn read(el: &Element) -> Result<Self, DecodeError> {
        Ok(Self {
            name: el.child_text(ns::TYPES, "Name"),
            email_address: el.child_text(ns::TYPES, "EmailAddress").unwrap_or_default(),
            routing_type: el.child_text(ns::TYPES, "RoutingType"),
            mailbox_type: el.child_text(ns::TYPES, "MailboxType"),
        })
    }

    /// Reads the `t:Mailbox` inside a wrapper such as `t:From`.
    pub fn read_wrapped(el: &Element) -> Result<Option<Self>, DecodeError> {
        el.child(ns::TYPES, "Mailbox").map(Self::read).transpose()
    }

    /// Reads every `t:Mailbox` inside a list such as `t:ToRecipients`.
    pub fn read_list(el: &Element) -> Result<Vec<Self>, DecodeError> {
        el.children_named(ns::TYPES, "Mailbox")
            .map(Self::read)
            .collect()
    }
}
