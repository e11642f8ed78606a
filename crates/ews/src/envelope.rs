//! The SOAP 1.1 envelope: request headers, the response header and body framing.

use crate::error::DecodeError;
use crate::fault::SoapFault;
use crate::ns;
use crate::xml::{self, Element, XmlWriter};

/// Whom the caller acts for: `t:ExchangeImpersonation/t:ConnectingSID`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectingSid {
    /// A user principal name (`alice@contoso.test`).
    PrincipalName(String),
    /// A security identifier (`S-1-5-21-...`).
    Sid(String),
    /// The primary SMTP address.
    PrimarySmtpAddress(String),
    /// Any SMTP address of the user, primary or proxy.
    SmtpAddress(String),
}

impl ConnectingSid {
    /// The element name of this kind of id.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::PrincipalName(_) => "PrincipalName",
            Self::Sid(_) => "SID",
            Self::PrimarySmtpAddress(_) => "PrimarySmtpAddress",
            Self::SmtpAddress(_) => "SmtpAddress",
        }
    }

    /// The value that names the user.
    pub fn value(&self) -> &str {
        match self {
            Self::PrincipalName(v)
            | Self::Sid(v)
            | Self::PrimarySmtpAddress(v)
            | Self::SmtpAddress(v) => v,
        }
    }

    /// Builds an id of the kind named as on the wire.
    pub fn from_kind(kind: &str, value: String) -> Option<Self> {
        Some(match kind {
            "PrincipalName" => Self::PrincipalName(value),
            "SID" => Self::Sid(value),
            "PrimarySmtpAddress" => Self::PrimarySmtpAddress(value),
            "SmtpAddress" => Self::SmtpAddress(value),
            _ => return None,
        })
    }
}

/// The headers a client puts on a request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestHeader {
    /// `t:RequestServerVersion/@Version`, e.g. `Exchange2016`.
    pub server_version: Option<String>,
    /// The impersonated user, if any.
    pub impersonation: Option<ConnectingSid>,
    /// `t:TimeZoneContext/t:TimeZoneDefinition/@Id`; accepted and otherwise ignored.
    pub time_zone: Option<String>,
}

/// `t:ServerVersionInfo`, carried by every response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerVersionInfo {
    /// Major build number (15 for Exchange 2013 to 2019).
    pub major: u32,
    /// Minor build number (1 for Exchange 2016).
    pub minor: u32,
    /// Major build revision.
    pub build: u32,
    /// Minor build revision.
    pub revision: u32,
    /// Schema version name, e.g. `V2017_07_11`.
    pub version: String,
}

impl ServerVersionInfo {
    /// Exchange 2016 CU23, the version the simulator reports.
    pub fn exchange2016() -> Self {
        Self {
            major: 15,
            minor: 1,
            build: 2507,
            revision: 6,
            version: "V2017_07_11".into(),
        }
    }
}

/// A decoded request: its headers and its body element.
#[derive(Debug, Clone)]
pub struct RequestEnvelope {
    /// The SOAP headers.
    pub header: RequestHeader,
    /// The single child of `soap:Body`: the operation element.
    pub body: Element,
}

/// A decoded response: its version header, and the body element or a fault.
#[derive(Debug, Clone)]
pub struct ResponseEnvelope {
    /// `ServerVersionInfo`, when the server sent one.
    pub server_version: Option<ServerVersionInfo>,
    /// The operation's response element, or the SOAP fault.
    pub body: Result<Element, SoapFault>,
}

const ENVELOPE_OPEN: &str = "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:m=\"http://schemas.microsoft.com/exchange/services/2006/messages\" xmlns:t=\"http://schemas.microsoft.com/exchange/services/2006/types\">";

/// Writes a request envelope; `body` writes the operation element.
pub fn write_request(header: &RequestHeader, body: impl FnOnce(&mut XmlWriter)) -> String {
    let mut w = XmlWriter::with_capacity(1024);
    w.declaration();
    w.raw(ENVELOPE_OPEN);
    w.start("s:Header", &[]);
    if let Some(v) = &header.server_version {
        w.empty("t:RequestServerVersion", &[("Version", v)]);
    }
    if let Some(sid) = &header.impersonation {
        w.start("t:ExchangeImpersonation", &[]);
        w.start("t:ConnectingSID", &[]);
        w.leaf(&format!("t:{}", sid.kind()), sid.value());
        w.end("t:ConnectingSID");
        w.end("t:ExchangeImpersonation");
    }
    if let Some(tz) = &header.time_zone {
        w.start("t:TimeZoneContext", &[]);
        w.empty("t:TimeZoneDefinition", &[("Id", tz)]);
        w.end("t:TimeZoneContext");
    }
    w.end("s:Header");
    w.start("s:Body", &[]);
    body(&mut w);
    w.end("s:Body");
    w.end("s:Envelope");
    w.finish()
}

/// Writes a response envelope with `ServerVersionInfo`; `body` writes the response element.
pub fn write_response(version: &ServerVersionInfo, body: impl FnOnce(&mut XmlWriter)) -> String {
    let mut w = XmlWriter::with_capacity(2048);
    w.declaration();
    w.raw(ENVELOPE_OPEN);
    w.start("s:Header", &[]);
    write_server_version(&mut w, version);
    w.end("s:Header");
    w.start("s:Body", &[]);
    body(&mut w);
    w.end("s:Body");
    w.end("s:Envelope");
    w.finish()
}

pub(crate) fn write_server_version(w: &mut XmlWriter, v: &ServerVersionInfo) {
    let (major, minor, build, revision) = (
        v.major.to_string(),
        v.minor.to_string(),
        v.build.to_string(),
        v.revision.to_string(),
    );
    w.empty(
        "t:ServerVersionInfo",
        &[
            ("MajorVersion", &major),
            ("MinorVersion", &minor),
            ("MajorBuildNumber", &build),
            ("MinorBuildNumber", &revision),
            ("Version", &v.version),
        ],
    );
}

fn split_envelope(bytes: &[u8]) -> Result<(Option<Element>, Element), DecodeError> {
    let mut root = xml::parse(bytes)?;
    if !root.is(ns::SOAP, "Envelope") {
        return Err(DecodeError::unexpected("soap:Envelope", &root.name));
    }
    let header_pos = root.children.iter().position(|c| c.is(ns::SOAP, "Header"));
    let header = header_pos.map(|i| root.children.remove(i));
    let body_pos = root
        .children
        .iter()
        .position(|c| c.is(ns::SOAP, "Body"))
        .ok_or_else(|| DecodeError::missing("Body", "Envelope"))?;
    let body = root.children.swap_remove(body_pos);
    Ok((header, body))
}

/// Decodes a request envelope as a server receives it.
pub fn read_request(bytes: &[u8]) -> Result<RequestEnvelope, DecodeError> {
    let (header_el, mut body) = split_envelope(bytes)?;
    let mut header = RequestHeader::default();
    if let Some(h) = header_el {
        if let Some(v) = h.child(ns::TYPES, "RequestServerVersion") {
            header.server_version = v.attr("Version").map(str::to_string);
        }
        if let Some(imp) = h.child(ns::TYPES, "ExchangeImpersonation") {
            header.impersonation = Some(read_connecting_sid(imp)?);
        }
        header.time_zone = h
            .child(ns::TYPES, "TimeZoneContext")
            .and_then(|tz| tz.child(ns::TYPES, "TimeZoneDefinition"))
            .and_then(|d| d.attr("Id").map(str::to_string));
    }
    if body.children.is_empty() {
        return Err(DecodeError::missing("operation", "Body"));
    }
    let op = body.children.swap_remove(0);
    Ok(RequestEnvelope { header, body: op })
}

fn read_connecting_sid(imp: &Element) -> Result<ConnectingSid, DecodeError> {
    let sid = imp.child(ns::TYPES, "ConnectingSID").ok_or_else(|| {
        DecodeError::InvalidImpersonationHeader("ConnectingSID is missing".into())
    })?;
    let mut ids = sid.children.iter().filter(|c| c.ns == ns::TYPES);
    let first = ids.next().ok_or_else(|| {
        DecodeError::InvalidImpersonationHeader("ConnectingSID names no user".into())
    })?;
    if ids.next().is_some() {
        return Err(DecodeError::InvalidImpersonationHeader(
            "ConnectingSID must hold exactly one id".into(),
        ));
    }
    let value = first.text.trim().to_string();
    if value.is_empty() {
        return Err(DecodeError::InvalidImpersonationHeader(format!(
            "{} is empty",
            first.name
        )));
    }
    ConnectingSid::from_kind(&first.name, value).ok_or_else(|| {
        DecodeError::InvalidImpersonationHeader(format!("unknown id kind {}", first.name))
    })
}

/// Decodes a response envelope as a client receives it (success or fault).
pub fn read_response(bytes: &[u8]) -> Result<ResponseEnvelope, DecodeError> {
    let (header_el, mut body) = split_envelope(bytes)?;
    let server_version = header_el
        .as_ref()
        .and_then(|h| h.children.iter().find(|c| c.name == "ServerVersionInfo"))
        .map(read_server_version)
        .transpose()?;
    if body.children.is_empty() {
        return Err(DecodeError::missing("response", "Body"));
    }
    let first = body.children.swap_remove(0);
    let body = if first.is(ns::SOAP, "Fault") {
        Err(SoapFault::read(&first)?)
    } else {
        Ok(first)
    };
    Ok(ResponseEnvelope {
        server_version,
        body,
    })
}

fn read_server_version(el: &Element) -> Result<ServerVersionInfo, DecodeError> {
    Ok(ServerVersionInfo {
        major: el.attr_parse("MajorVersion")?.unwrap_or(0),
        minor: el.attr_parse("MinorVersion")?.unwrap_or(0),
        build: el.attr_parse("MajorBuildNumber")?.unwrap_or(0),
        revision: el.attr_parse("MinorBuildNumber")?.unwrap_or(0),
        version: el.attr("Version").unwrap_or_default().to_string(),
    })
}
