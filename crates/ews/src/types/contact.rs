//! `t:Contact`: an address-book entry.

use super::item_common::ItemCommon;
use super::shape::Shape;
use crate::error::DecodeError;
use crate::ns;
use crate::xml::{Element, XmlWriter};

/// A keyed entry such as `EmailAddress1` or `BusinessPhone`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeyedValue {
    /// `@Key`.
    pub key: String,
    /// The value.
    pub value: String,
}

/// A contact with the properties a CRM needs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Contact {
    /// Base item properties.
    pub item: ItemCommon,
    /// `t:DisplayName`.
    pub display_name: Option<String>,
    /// `t:GivenName`.
    pub given_name: Option<String>,
    /// `t:CompanyName`.
    pub company_name: Option<String>,
    /// `t:EmailAddresses/t:Entry`.
    pub email_addresses: Vec<KeyedValue>,
    /// `t:PhoneNumbers/t:Entry`.
    pub phone_numbers: Vec<KeyedValue>,
    /// `t:JobTitle`.
    pub job_title: Option<String>,
    /// `t:Surname`.
    pub surname: Option<String>,
}

impl Contact {
    pub(crate) fn write_fields(&self, w: &mut XmlWriter, shape: &Shape) {
        let leaf = |w: &mut XmlWriter, uri: &str, tag: &str, v: Option<&str>| {
            if shape.wants(uri) {
                w.opt_leaf(tag, v);
            }
        };
        leaf(
            w,
            "contacts:DisplayName",
            "t:DisplayName",
            self.display_name.as_deref(),
        );
        leaf(
            w,
            "contacts:GivenName",
            "t:GivenName",
            self.given_name.as_deref(),
        );
        leaf(
            w,
            "contacts:CompanyName",
            "t:CompanyName",
            self.company_name.as_deref(),
        );
        write_entries(
            w,
            shape,
            "contacts:EmailAddresses",
            "contacts:EmailAddress",
            "t:EmailAddresses",
            &self.email_addresses,
        );
        write_entries(
            w,
            shape,
            "contacts:PhoneNumbers",
            "contacts:PhoneNumber",
            "t:PhoneNumbers",
            &self.phone_numbers,
        );
        leaf(
            w,
            "contacts:JobTitle",
            "t:JobTitle",
            self.job_title.as_deref(),
        );
        leaf(w, "contacts:Surname", "t:Surname", self.surname.as_deref());
    }

    pub(crate) fn read(el: &Element) -> Result<Self, DecodeError> {
        let t = |name: &str| el.child_text(ns::TYPES, name);
        let entries = |name: &str| {
            el.child(ns::TYPES, name)
                .map(|list| {
                    list.children_named(ns::TYPES, "Entry")
                        .map(|e| KeyedValue {
                            key: e.attr("Key").unwrap_or_default().to_string(),
                            value: e.text.trim().to_string(),
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        Ok(Self {
            item: ItemCommon::read(el)?,
            display_name: t("DisplayName"),
            given_name: t("GivenName"),
            company_name: t("CompanyName"),
            email_addresses: entries("EmailAddresses"),
            phone_numbers: entries("PhoneNumbers"),
            job_title: t("JobTitle"),
            surname: t("Surname"),
        })
    }
}

/// `uri` is the dictionary's field URI; `indexed_uri` the one `IndexedFieldURI` uses.
fn write_entries(
    w: &mut XmlWriter,
    shape: &Shape,
    uri: &str,
    indexed_uri: &str,
    tag: &str,
    list: &[KeyedValue],
) {
    if (shape.wants(uri) || shape.wants(indexed_uri)) && !list.is_empty() {
        w.start(tag, &[]);
        for e in list {
            w.start("t:Entry", &[("Key", &e.key)]);
            w.text(&e.value);
            w.end("t:Entry");
        }
        w.end(tag);
    }
}
