//! SOAP faults: header-level refusals and fault-shaped throttling.

use crate::envelope::{ServerVersionInfo, write_server_version};
use crate::error::DecodeError;
use crate::ns;
use crate::response_code::ResponseCode;
use crate::xml::{Element, XmlWriter};

/// A `soap:Fault` as Exchange sends it with HTTP 500.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoapFault {
    /// The code, from `detail/e:ResponseCode` or else `faultcode`.
    pub code: ResponseCode,
    /// `faultstring`: the human-readable reason.
    pub message: String,
    /// `MessageXml/Value[@Name="BackOffMilliseconds"]`, for `ErrorServerBusy`.
    pub back_off_ms: Option<u64>,
}

impl SoapFault {
    /// A fault with a code and message.
    pub fn new(code: ResponseCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            back_off_ms: None,
        }
    }

    /// Writes the whole fault envelope, with `ServerVersionInfo` in the header.
    pub fn to_envelope(&self, version: &ServerVersionInfo) -> String {
        let mut w = XmlWriter::with_capacity(1024);
        w.declaration();
        w.raw("<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:t=\"http://schemas.microsoft.com/exchange/services/2006/types\">");
        w.start("s:Header", &[]);
        write_server_version(&mut w, version);
        w.end("s:Header");
        w.start("s:Body", &[]);
        w.start("s:Fault", &[]);
        w.raw(
            "<faultcode xmlns:a=\"http://schemas.microsoft.com/exchange/services/2006/types\">a:",
        );
        w.text(self.code.as_str());
        w.raw("</faultcode>");
        w.start("faultstring", &[("xml:lang", "en-US")]);
        w.text(&self.message);
        w.end("faultstring");
        w.start("detail", &[]);
        w.raw("<e:ResponseCode xmlns:e=\"http://schemas.microsoft.com/exchange/services/2006/errors\">");
        w.text(self.code.as_str());
        w.raw("</e:ResponseCode>");
        w.raw("<e:Message xmlns:e=\"http://schemas.microsoft.com/exchange/services/2006/errors\">");
        w.text(&self.message);
        w.raw("</e:Message>");
        if let Some(ms) = self.back_off_ms {
            w.start("t:MessageXml", &[]);
            w.start("t:Value", &[("Name", "BackOffMilliseconds")]);
            w.text(ms);
            w.end("t:Value");
            w.end("t:MessageXml");
        }
        w.end("detail");
        w.end("s:Fault");
        w.end("s:Body");
        w.end("s:Envelope");
        w.finish()
    }

    /// Reads a `soap:Fault` element.
    pub fn read(fault: &Element) -> Result<Self, DecodeError> {
        let faultcode = fault
            .child("", "faultcode")
            .map(|c| c.text.trim().to_string());
        let detail = fault.child("", "detail");
        let detail_code = detail.and_then(|d| d.child_text(ns::ERRORS, "ResponseCode"));
        let code = match (detail_code, faultcode) {
            (Some(c), _) if !c.is_empty() => ResponseCode::parse(&c),
            (_, Some(c)) => ResponseCode::parse(&c),
            _ => return Err(DecodeError::missing("faultcode", "Fault")),
        };
        let message = fault.child_text("", "faultstring").unwrap_or_default();
        let back_off_ms = detail
            .and_then(|d| d.child(ns::TYPES, "MessageXml"))
            .map(read_back_off)
            .transpose()?
            .flatten();
        Ok(Self {
            code,
            message,
            back_off_ms,
        })
    }
}

/// Reads `Value[@Name="BackOffMilliseconds"]` from a `MessageXml` element.
pub(crate) fn read_back_off(message_xml: &Element) -> Result<Option<u64>, DecodeError> {
    message_xml
        .children
        .iter()
        .find(|v| v.name == "Value" && v.attr("Name") == Some("BackOffMilliseconds"))
        .map(|v| crate::xml::parse_value(v.text.trim(), "BackOffMilliseconds"))
        .transpose()
}
