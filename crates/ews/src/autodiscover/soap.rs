//! SOAP Autodiscover: `GetUserSettings` at `/autodiscover/autodiscover.svc`.

use crate::error::DecodeError;
use crate::ns;
use crate::xml::{self, Element, XmlWriter};

/// The WS-Addressing action of the request.
pub const GET_USER_SETTINGS_ACTION: &str =
    "http://schemas.microsoft.com/exchange/2010/Autodiscover/Autodiscover/GetUserSettings";

/// `a:GetUserSettingsRequestMessage`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetUserSettingsRequest {
    /// `a:RequestedServerVersion`.
    pub requested_server_version: Option<String>,
    /// `a:Users/a:User/a:Mailbox`.
    pub mailboxes: Vec<String>,
    /// `a:RequestedSettings/a:Setting`, e.g. `ExternalEwsUrl`.
    pub settings: Vec<String>,
}

/// One user's answer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserResponse {
    /// `a:ErrorCode`: `NoError`, `RedirectAddress`, `RedirectUrl`, `InvalidUser`, ...
    pub error_code: String,
    /// `a:ErrorMessage`.
    pub error_message: String,
    /// `a:RedirectTarget`, for redirects.
    pub redirect_target: Option<String>,
    /// `a:UserSettings/a:UserSetting`: name and string value.
    pub settings: Vec<(String, String)>,
}

impl UserResponse {
    /// The value of a named setting.
    pub fn setting(&self, name: &str) -> Option<&str> {
        self.settings
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// `a:GetUserSettingsResponseMessage`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GetUserSettingsResponse {
    /// `a:Response/a:ErrorCode`.
    pub error_code: String,
    /// `a:Response/a:ErrorMessage`.
    pub error_message: String,
    /// One per requested mailbox.
    pub users: Vec<UserResponse>,
}

const ENVELOPE_OPEN: &str = "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:a=\"http://schemas.microsoft.com/exchange/2010/Autodiscover\" xmlns:wsa=\"http://www.w3.org/2005/08/addressing\" xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\">";

impl GetUserSettingsRequest {
    /// Writes the request envelope addressed to `to`.
    pub fn to_xml(&self, to: &str) -> String {
        let mut w = XmlWriter::with_capacity(1024);
        w.declaration();
        w.raw(ENVELOPE_OPEN);
        w.start("s:Header", &[]);
        w.opt_leaf(
            "a:RequestedServerVersion",
            self.requested_server_version.as_deref(),
        );
        w.leaf("wsa:Action", GET_USER_SETTINGS_ACTION);
        w.leaf("wsa:To", to);
        w.end("s:Header");
        w.start("s:Body", &[]);
        w.start("a:GetUserSettingsRequestMessage", &[]);
        w.start("a:Request", &[]);
        w.start("a:Users", &[]);
        for m in &self.mailboxes {
            w.start("a:User", &[]);
            w.leaf("a:Mailbox", m);
            w.end("a:User");
        }
        w.end("a:Users");
        w.start("a:RequestedSettings", &[]);
        for s in &self.settings {
            w.leaf("a:Setting", s);
        }
        w.end("a:RequestedSettings");
        w.end("a:Request");
        w.end("a:GetUserSettingsRequestMessage");
        w.end("s:Body");
        w.end("s:Envelope");
        w.finish()
    }

    /// Reads a request envelope.
    pub fn from_xml(bytes: &[u8]) -> Result<Self, DecodeError> {
        let (header, body) = split(bytes)?;
        let msg = body.require(ns::AUTODISCOVER_SOAP, "GetUserSettingsRequestMessage")?;
        let req = msg.require(ns::AUTODISCOVER_SOAP, "Request")?;
        let a = ns::AUTODISCOVER_SOAP;
        Ok(Self {
            requested_server_version: header
                .and_then(|h| h.child_text(a, "RequestedServerVersion")),
            mailboxes: req
                .require(a, "Users")?
                .children_named(a, "User")
                .filter_map(|u| u.child_text(a, "Mailbox"))
                .collect(),
            settings: req
                .child(a, "RequestedSettings")
                .map(|s| {
                    s.children_named(a, "Setting")
                        .map(|s| s.text.trim().to_string())
                        .collect()
                })
                .unwrap_or_default(),
        })
    }
}

impl GetUserSettingsResponse {
    /// Writes the response envelope.
    pub fn to_xml(&self) -> String {
        let mut w = XmlWriter::with_capacity(2048);
        w.declaration();
        w.raw(ENVELOPE_OPEN);
        w.start("s:Header", &[]);
        w.leaf(
            "wsa:Action",
            format_args!("{GET_USER_SETTINGS_ACTION}Response"),
        );
        w.start("a:ServerVersionInfo", &[]);
        w.leaf("a:MajorVersion", 15);
        w.leaf("a:MinorVersion", 1);
        w.leaf("a:MajorBuildNumber", 2507);
        w.leaf("a:MinorBuildNumber", 6);
        w.leaf("a:Version", "Exchange2015");
        w.end("a:ServerVersionInfo");
        w.end("s:Header");
        w.start("s:Body", &[]);
        w.start("a:GetUserSettingsResponseMessage", &[]);
        w.start("a:Response", &[]);
        w.leaf("a:ErrorCode", &self.error_code);
        w.leaf("a:ErrorMessage", &self.error_message);
        w.start("a:UserResponses", &[]);
        for u in &self.users {
            w.start("a:UserResponse", &[]);
            w.leaf("a:ErrorCode", &u.error_code);
            w.leaf("a:ErrorMessage", &u.error_message);
            match &u.redirect_target {
                Some(t) => w.leaf("a:RedirectTarget", t),
                None => w.empty("a:RedirectTarget", &[("i:nil", "true")]),
            }
            w.empty("a:UserSettingErrors", &[]);
            w.start("a:UserSettings", &[]);
            for (name, value) in &u.settings {
                // Unprefixed, as Exchange writes it: the EWS Managed API and
                // ews-javascript-api compare the raw value with `StringSetting`.
                w.start("a:UserSetting", &[("i:type", "StringSetting")]);
                w.leaf("a:Name", name);
                w.leaf("a:Value", value);
                w.end("a:UserSetting");
            }
            w.end("a:UserSettings");
            w.end("a:UserResponse");
        }
        w.end("a:UserResponses");
        w.end("a:Response");
        w.end("a:GetUserSettingsResponseMessage");
        w.end("s:Body");
        w.end("s:Envelope");
        w.finish()
    }

    /// Reads a response envelope.
    pub fn from_xml(bytes: &[u8]) -> Result<Self, DecodeError> {
        let (_, body) = split(bytes)?;
        let a = ns::AUTODISCOVER_SOAP;
        let resp = body
            .require(a, "GetUserSettingsResponseMessage")?
            .require(a, "Response")?;
        let users = resp
            .child(a, "UserResponses")
            .map(|list| {
                list.children_named(a, "UserResponse")
                    .map(|u| UserResponse {
                        error_code: u.child_text(a, "ErrorCode").unwrap_or_default(),
                        error_message: u.child_text(a, "ErrorMessage").unwrap_or_default(),
                        redirect_target: u
                            .child_text(a, "RedirectTarget")
                            .filter(|t| !t.is_empty()),
                        settings: u
                            .child(a, "UserSettings")
                            .map(|s| {
                                s.children_named(a, "UserSetting")
                                    .filter_map(|s| {
                                        Some((s.child_text(a, "Name")?, s.child_text(a, "Value")?))
                                    })
                                    .collect()
                            })
                            .unwrap_or_default(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(Self {
            error_code: resp.child_text(a, "ErrorCode").unwrap_or_default(),
            error_message: resp.child_text(a, "ErrorMessage").unwrap_or_default(),
            users,
        })
    }
}

fn split(bytes: &[u8]) -> Result<(Option<Element>, Element), DecodeError> {
    let root = xml::parse(bytes)?;
    if !root.is(ns::SOAP, "Envelope") {
        return Err(DecodeError::unexpected("soap:Envelope", &root.name));
    }
    let mut header = None;
    let mut body = None;
    for c in root.children {
        if c.is(ns::SOAP, "Header") {
            header = Some(c);
        } else if c.is(ns::SOAP, "Body") {
            body = Some(c);
        }
    }
    Ok((
        header,
        body.ok_or_else(|| DecodeError::missing("Body", "Envelope"))?,
    ))
}
