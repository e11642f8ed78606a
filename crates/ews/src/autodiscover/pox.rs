//! POX Autodiscover: `POST /autodiscover/autodiscover.xml`.

use crate::error::DecodeError;
use crate::ns;
use crate::xml::{self, Element, XmlWriter};

/// The Outlook response schema a client asks for.
pub const OUTLOOK_RESPONSE_SCHEMA: &str = ns::POX_OUTLOOK_RESPONSE;

/// The POX request: whose settings are wanted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoxRequest {
    /// `EMailAddress`.
    pub email_address: String,
    /// `AcceptableResponseSchema`.
    pub acceptable_response_schema: String,
}

/// The settings part of a successful POX answer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PoxSettings {
    /// `User/DisplayName`.
    pub display_name: Option<String>,
    /// `User/AutoDiscoverSMTPAddress`.
    pub smtp_address: Option<String>,
    /// `Protocol[Type=EXCH]/EwsUrl`: the internal EWS URL.
    pub internal_ews_url: Option<String>,
    /// `Protocol[Type=EXPR]/EwsUrl`: the external EWS URL.
    pub external_ews_url: Option<String>,
}

impl PoxSettings {
    /// The EWS URL to use: external first, then internal.
    pub fn ews_url(&self) -> Option<&str> {
        self.external_ews_url
            .as_deref()
            .or(self.internal_ews_url.as_deref())
    }
}

/// A POX answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PoxResponse {
    /// `Action=settings`.
    Settings(PoxSettings),
    /// `Action=redirectAddr`: ask again for this address.
    RedirectAddr(String),
    /// `Action=redirectUrl`: ask this URL instead.
    RedirectUrl(String),
    /// `Response/Error`.
    Error {
        /// `ErrorCode`, e.g. `500`.
        code: String,
        /// `Message`.
        message: String,
    },
}

impl PoxRequest {
    /// A request for an address with the Outlook response schema.
    pub fn new(email_address: impl Into<String>) -> Self {
        Self {
            email_address: email_address.into(),
            acceptable_response_schema: OUTLOOK_RESPONSE_SCHEMA.into(),
        }
    }

    /// Writes the request document.
    pub fn to_xml(&self) -> String {
        let mut w = XmlWriter::with_capacity(512);
        w.declaration();
        w.start("Autodiscover", &[("xmlns", ns::POX_REQUEST)]);
        w.start("Request", &[]);
        w.leaf("EMailAddress", &self.email_address);
        w.leaf("AcceptableResponseSchema", &self.acceptable_response_schema);
        w.end("Request");
        w.end("Autodiscover");
        w.finish()
    }

    /// Reads a request document.
    pub fn from_xml(bytes: &[u8]) -> Result<Self, DecodeError> {
        let root = xml::parse(bytes)?;
        if root.name != "Autodiscover" {
            return Err(DecodeError::unexpected("Autodiscover", &root.name));
        }
        let req = root.require(ns::POX_REQUEST, "Request")?;
        Ok(Self {
            email_address: req.require_text(ns::POX_REQUEST, "EMailAddress")?,
            acceptable_response_schema: req
                .child_text(ns::POX_REQUEST, "AcceptableResponseSchema")
                .unwrap_or_default(),
        })
    }
}

impl PoxResponse {
    /// Writes the response document.
    pub fn to_xml(&self) -> String {
        let mut w = XmlWriter::with_capacity(1024);
        w.declaration();
        w.start("Autodiscover", &[("xmlns", ns::POX_RESPONSE)]);
        if let Self::Error { code, message } = self {
            w.start("Response", &[]);
            w.start("Error", &[("Id", "0")]);
            w.leaf("ErrorCode", code);
            w.leaf("Message", message);
            w.empty("DebugData", &[]);
            w.end("Error");
            w.end("Response");
            w.end("Autodiscover");
            return w.finish();
        }
        w.start("Response", &[("xmlns", ns::POX_OUTLOOK_RESPONSE)]);
        if let Self::Settings(s) = self {
            w.start("User", &[]);
            w.opt_leaf("DisplayName", s.display_name.as_deref());
            w.opt_leaf("AutoDiscoverSMTPAddress", s.smtp_address.as_deref());
            w.end("User");
        }
        w.start("Account", &[]);
        w.leaf("AccountType", "email");
        match self {
            Self::Settings(s) => {
                w.leaf("Action", "settings");
                for (kind, url) in [("EXCH", &s.internal_ews_url), ("EXPR", &s.external_ews_url)] {
                    if let Some(url) = url {
                        w.start("Protocol", &[]);
                        w.leaf("Type", kind);
                        w.leaf("EwsUrl", url);
                        w.end("Protocol");
                    }
                }
            }
            Self::RedirectAddr(addr) => {
                w.leaf("Action", "redirectAddr");
                w.leaf("RedirectAddr", addr);
            }
            Self::RedirectUrl(url) => {
                w.leaf("Action", "redirectUrl");
                w.leaf("RedirectUrl", url);
            }
            Self::Error { .. } => unreachable!("handled above"),
        }
        w.end("Account");
        w.end("Response");
        w.end("Autodiscover");
        w.finish()
    }

    /// Reads a response document.
    pub fn from_xml(bytes: &[u8]) -> Result<Self, DecodeError> {
        let root = xml::parse(bytes)?;
        if !root.is(ns::POX_RESPONSE, "Autodiscover") {
            return Err(DecodeError::unexpected("Autodiscover", &root.name));
        }
        let resp = root
            .children
            .iter()
            .find(|c| c.name == "Response")
            .ok_or_else(|| DecodeError::missing("Response", "Autodiscover"))?;
        if let Some(err) = resp.children.iter().find(|c| c.name == "Error") {
            return Ok(Self::Error {
                code: text(err, "ErrorCode").unwrap_or_default(),
                message: text(err, "Message").unwrap_or_default(),
            });
        }
        let account = resp
            .children
            .iter()
            .find(|c| c.name == "Account")
            .ok_or_else(|| DecodeError::missing("Account", "Response"))?;
        match text(account, "Action").as_deref() {
            Some("redirectAddr") => Ok(Self::RedirectAddr(
                text(account, "RedirectAddr")
                    .ok_or_else(|| DecodeError::missing("RedirectAddr", "Account"))?,
            )),
            Some("redirectUrl") => Ok(Self::RedirectUrl(
                text(account, "RedirectUrl")
                    .ok_or_else(|| DecodeError::missing("RedirectUrl", "Account"))?,
            )),
            Some("settings") | None => {
                let user = resp.children.iter().find(|c| c.name == "User");
                let mut s = PoxSettings {
                    display_name: user.and_then(|u| text(u, "DisplayName")),
                    smtp_address: user.and_then(|u| text(u, "AutoDiscoverSMTPAddress")),
                    ..PoxSettings::default()
                };
                for p in account.children.iter().filter(|c| c.name == "Protocol") {
                    let url = text(p, "EwsUrl");
                    match text(p, "Type").as_deref() {
                        Some("EXCH") => s.internal_ews_url = url,
                        Some("EXPR") => s.external_ews_url = url,
                        _ => {}
                    }
                }
                Ok(Self::Settings(s))
            }
            Some(other) => Err(DecodeError::invalid("Action", other)),
        }
    }
}

fn text(el: &Element, name: &str) -> Option<String> {
    el.children
        .iter()
        .find(|c| c.name == name)
        .map(|c| c.text.trim().to_string())
}
