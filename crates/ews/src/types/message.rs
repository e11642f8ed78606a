//! `t:Message`: an email.

use super::item_common::ItemCommon;
use super::mailbox::Mailbox;
use super::shape::Shape;
use crate::error::DecodeError;
use crate::ns;
use crate::xml::{Element, XmlWriter};

/// An email message with the properties a CRM activity needs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Message {
    /// Base item properties.
    pub item: ItemCommon,
    /// `t:Sender`.
    pub sender: Option<Mailbox>,
    /// `t:ToRecipients`.
    pub to_recipients: Vec<Mailbox>,
    /// `t:CcRecipients`.
    pub cc_recipients: Vec<Mailbox>,
    /// `t:From`.
    pub from: Option<Mailbox>,
    /// `t:InternetMessageId`, the RFC 5322 Message-ID.
    pub internet_message_id: Option<String>,
    /// `t:IsRead`.
    pub is_read: Option<bool>,
}

impl Message {
    pub(crate) fn write_fields(&self, w: &mut XmlWriter, shape: &Shape) {
        if shape.wants("message:Sender")
            && let Some(s) = &self.sender
        {
            s.write_wrapped(w, "t:Sender");
        }
        write_recipients(
            w,
            shape,
            "message:ToRecipients",
            "t:ToRecipients",
            &self.to_recipients,
        );
        write_recipients(
            w,
            shape,
            "message:CcRecipients",
            "t:CcRecipients",
            &self.cc_recipients,
        );
        if shape.wants("message:From")
            && let Some(f) = &self.from
        {
            f.write_wrapped(w, "t:From");
        }
        if shape.wants("message:InternetMessageId") {
            w.opt_leaf("t:InternetMessageId", self.internet_message_id.as_deref());
        }
        if shape.wants("message:IsRead") {
            w.opt_leaf("t:IsRead", self.is_read);
        }
    }

    pub(crate) fn read(el: &Element) -> Result<Self, DecodeError> {
        let wrapped = |name: &str| {
            el.child(ns::TYPES, name)
                .map(Mailbox::read_wrapped)
                .transpose()
                .map(Option::flatten)
        };
        let list = |name: &str| {
            el.child(ns::TYPES, name)
                .map(Mailbox::read_list)
                .transpose()
                .map(Option::unwrap_or_default)
        };
        Ok(Self {
            item: ItemCommon::read(el)?,
            sender: wrapped("Sender")?,
            to_recipients: list("ToRecipients")?,
            cc_recipients: list("CcRecipients")?,
            from: wrapped("From")?,
            internet_message_id: el.child_text(ns::TYPES, "InternetMessageId"),
            is_read: el.child_parse(ns::TYPES, "IsRead")?,
        })
    }
}

fn write_recipients(w: &mut XmlWriter, shape: &Shape, uri: &str, tag: &str, list: &[Mailbox]) {
    if shape.wants(uri) && !list.is_empty() {
        w.start(tag, &[]);
        for m in list {
            m.write(w);
        }
        w.end(tag);
    }
}
