//! Autodiscover v2: `GET /autodiscover/autodiscover.json/v1.0/{smtp}?Protocol=EWS`.

use serde::{Deserialize, Serialize};

/// The v2 answer naming the protocol's URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct V2Response {
    /// `Protocol`, e.g. `EWS`.
    #[serde(rename = "Protocol")]
    pub protocol: String,
    /// `Url`: the endpoint to use.
    #[serde(rename = "Url")]
    pub url: String,
}

/// The v2 error body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct V2Error {
    /// `ErrorCode`, e.g. `InvalidProtocol` or `MailboxNotFound`.
    #[serde(rename = "ErrorCode")]
    pub error_code: String,
    /// `ErrorMessage`.
    #[serde(rename = "ErrorMessage")]
    pub error_message: String,
}
