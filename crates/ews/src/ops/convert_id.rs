//! ConvertId: translate item ids between formats (also used by clients to probe the version).

use crate::error::DecodeError;
use crate::ns;
use crate::operation::{Operation, OperationResponse, expect_op};
use crate::response_message::{ResponseMessage, read_messages, write_messages};
use crate::xml::{Element, XmlWriter};

/// `t:AlternateId`: an id in a named format, within a mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlternateId {
    /// `@Format`: `EwsId`, `EwsLegacyId`, `EntryId`, `HexEntryId`, `StoreId`, `OwaId`.
    pub format: String,
    /// `@Id`.
    pub id: String,
    /// `@Mailbox`: the mailbox's primary SMTP address.
    pub mailbox: String,
}

impl AlternateId {
    fn write(&self, w: &mut XmlWriter, tag: &str) {
        w.empty(
            tag,
            &[
                ("Format", &self.format),
                ("Id", &self.id),
                ("Mailbox", &self.mailbox),
            ],
        );
    }

    fn read(el: &Element) -> Result<Self, DecodeError> {
        let attr = |n: &str| {
            el.attr(n)
                .map(str::to_string)
                .ok_or_else(|| DecodeError::missing(n, &el.name))
        };
        Ok(Self {
            format: attr("Format")?,
            id: attr("Id")?,
            mailbox: el.attr("Mailbox").unwrap_or_default().to_string(),
        })
    }
}

/// `m:ConvertId`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvertId {
    /// `@DestinationFormat`.
    pub destination_format: String,
    /// `m:SourceIds/t:AlternateId`.
    pub source_ids: Vec<AlternateId>,
}

/// `m:ConvertIdResponse`: one message per source id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvertIdResponse {
    /// Each successful message carries the converted id.
    pub messages: Vec<ResponseMessage<AlternateId>>,
}

impl Operation for ConvertId {
    const NAME: &'static str = "ConvertId";
    type Response = ConvertIdResponse;

    fn write(&self, w: &mut XmlWriter) {
        w.start(
            "m:ConvertId",
            &[("DestinationFormat", &self.destination_format)],
        );
        w.start("m:SourceIds", &[]);
        for id in &self.source_ids {
            id.write(w, "t:AlternateId");
        }
        w.end("m:SourceIds");
        w.end("m:ConvertId");
    }

    fn read(el: &Element) -> Result<Self, DecodeError> {
        expect_op(el, Self::NAME)?;
        Ok(Self {
            destination_format: el
                .attr("DestinationFormat")
                .ok_or_else(|| DecodeError::missing("DestinationFormat", Self::NAME))?
                .to_string(),
            source_ids: el
                .require(ns::MESSAGES, "SourceIds")?
                .children_named(ns::TYPES, "AlternateId")
                .map(AlternateId::read)
                .collect::<Result<_, _>>()?,
        })
    }
}

impl OperationResponse for ConvertIdResponse {
    fn write(&self, w: &mut XmlWriter) {
        write_messages(w, ConvertId::NAME, &self.messages, |w, id| {
            // Exchange types the element; the EWS Managed API and its ports pick the
            // id class from `xsi:type` and fail without it.
            w.empty(
                "m:AlternateId",
                &[
                    ("xmlns:xsi", ns::XSI),
                    ("xsi:type", "t:AlternateIdType"),
                    ("Format", &id.format),
                    ("Id", &id.id),
                    ("Mailbox", &id.mailbox),
                ],
            );
        });
    }

    fn read(el: &Element) -> Result<Self, DecodeError> {
        Ok(Self {
            messages: read_messages(el, ConvertId::NAME, |m| {
                AlternateId::read(m.require(ns::MESSAGES, "AlternateId")?)
            })?,
        })
    }
}
