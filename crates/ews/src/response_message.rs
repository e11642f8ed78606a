//! The status part shared by every EWS response message.

use crate::error::DecodeError;
use crate::fault::read_back_off;
use crate::ns;
use crate::response_code::ResponseCode;
use crate::xml::{Element, XmlWriter};

/// `@ResponseClass` of a response message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseClass {
    /// The operation succeeded.
    Success,
    /// It succeeded partially.
    Warning,
    /// It failed; see the code.
    Error,
}

impl ResponseClass {
    fn as_str(self) -> &'static str {
        match self {
            Self::Success => "Success",
            Self::Warning => "Warning",
            Self::Error => "Error",
        }
    }
}

/// Class, code, text and back-off hint of one response message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseStatus {
    /// Success, Warning or Error.
    pub class: ResponseClass,
    /// `m:ResponseCode`.
    pub code: ResponseCode,
    /// `m:MessageText`, present on errors.
    pub message_text: Option<String>,
    /// `m:MessageXml/t:Value[@Name="BackOffMilliseconds"]`, for `ErrorServerBusy`.
    pub back_off_ms: Option<u64>,
}

impl ResponseStatus {
    /// A successful status.
    pub fn success() -> Self {
        Self {
            class: ResponseClass::Success,
            code: ResponseCode::NoError,
            message_text: None,
            back_off_ms: None,
        }
    }

    /// An error status with its text.
    pub fn error(code: ResponseCode, text: impl Into<String>) -> Self {
        Self {
            class: ResponseClass::Error,
            code,
            message_text: Some(text.into()),
            back_off_ms: None,
        }
    }

    /// Whether the class is `Success`.
    pub fn is_success(&self) -> bool {
        self.class == ResponseClass::Success
    }

    /// Writes the opening tag and status children; the caller writes the payload and closes.
    pub(crate) fn write_open(&self, w: &mut XmlWriter, tag: &str) {
        w.start(tag, &[("ResponseClass", self.class.as_str())]);
        if let Some(text) = &self.message_text {
            w.leaf("m:MessageText", text);
        }
        w.leaf("m:ResponseCode", self.code.as_str());
        if self.class != ResponseClass::Success {
            w.leaf("m:DescriptiveLinkKey", 0);
        }
        if let Some(ms) = self.back_off_ms {
            w.start("m:MessageXml", &[]);
            w.start("t:Value", &[("Name", "BackOffMilliseconds")]);
            w.text(ms);
            w.end("t:Value");
            w.end("m:MessageXml");
        }
    }

    /// Reads the status of a response message element.
    pub(crate) fn read(el: &Element) -> Result<Self, DecodeError> {
        let class = match el.attr("ResponseClass") {
            Some("Success") => ResponseClass::Success,
            Some("Warning") => ResponseClass::Warning,
            Some("Error") => ResponseClass::Error,
            Some(other) => return Err(DecodeError::invalid("ResponseClass", other)),
            None => return Err(DecodeError::missing("ResponseClass", &el.name)),
        };
        let code = el
            .child_text(ns::MESSAGES, "ResponseCode")
            .map(|c| ResponseCode::parse(&c))
            .unwrap_or(if class == ResponseClass::Success {
                ResponseCode::NoError
            } else {
                ResponseCode::Other(String::new())
            });
        let back_off_ms = el
            .child(ns::MESSAGES, "MessageXml")
            .map(read_back_off)
            .transpose()?
            .flatten();
        Ok(Self {
            class,
            code,
            message_text: el.child_text(ns::MESSAGES, "MessageText"),
            back_off_ms,
        })
    }
}

/// One response message: a status and, on success, the operation's payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseMessage<T> {
    /// Class and code.
    pub status: ResponseStatus,
    /// The payload; `None` when the message is an error.
    pub payload: Option<T>,
}

impl<T> ResponseMessage<T> {
    /// A successful message carrying `payload`.
    pub fn ok(payload: T) -> Self {
        Self {
            status: ResponseStatus::success(),
            payload: Some(payload),
        }
    }

    /// An error message.
    pub fn error(code: ResponseCode, text: impl Into<String>) -> Self {
        Self {
            status: ResponseStatus::error(code, text),
            payload: None,
        }
    }
}

/// Writes `<m:{op}Response><m:ResponseMessages>` with one element per message.
pub(crate) fn write_messages<T>(
    w: &mut XmlWriter,
    op: &str,
    messages: &[ResponseMessage<T>],
    payload: impl Fn(&mut XmlWriter, &T),
) {
    let response_tag = format!("m:{op}Response");
    let message_tag = format!("m:{op}ResponseMessage");
    w.start(&response_tag, &[]);
    w.start("m:ResponseMessages", &[]);
    for m in messages {
        m.status.write_open(w, &message_tag);
        if let Some(p) = &m.payload {
            payload(w, p);
        }
        w.end(&message_tag);
    }
    w.end("m:ResponseMessages");
    w.end(&response_tag);
}

/// Reads the messages of `<m:{op}Response>`; the payload reader runs on successful ones.
pub(crate) fn read_messages<T>(
    el: &Element,
    op: &str,
    payload: impl Fn(&Element) -> Result<T, DecodeError>,
) -> Result<Vec<ResponseMessage<T>>, DecodeError> {
    let response_name = format!("{op}Response");
    if !el.is(ns::MESSAGES, &response_name) {
        return Err(DecodeError::unexpected(&response_name, &el.name));
    }
    let message_name = format!("{op}ResponseMessage");
    el.require(ns::MESSAGES, "ResponseMessages")?
        .children_named(ns::MESSAGES, &message_name)
        .map(|m| {
            let status = ResponseStatus::read(m)?;
            let payload = match status.class {
                ResponseClass::Error => None,
                // A warning (e.g. ErrorBatchProcessingStopped) may come without a payload.
                ResponseClass::Warning => payload(m).ok(),
                ResponseClass::Success => Some(payload(m)?),
            };
            Ok(ResponseMessage { status, payload })
        })
        .collect()
}
