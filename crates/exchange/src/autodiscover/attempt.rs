//! The record of each Autodiscover attempt, for the doctor's step tree.

use serde::Serialize;
use std::time::Duration;

/// One candidate tried.
#[derive(Debug, Clone, Serialize)]
pub struct Attempt {
    /// What was tried: `SOAP POST`, `POX POST`, `HTTP redirect GET`, `SRV lookup`, `v2 JSON GET`.
    pub method: &'static str,
    /// The URL or DNS name.
    pub target: String,
    /// DNS: the addresses found, or why not.
    pub dns: Option<Result<Vec<String>, String>>,
    /// Connection and TLS: `ok` or the failure.
    pub connect: Option<Result<(), String>>,
    /// HTTP status, if a response came.
    pub http_status: Option<u16>,
    /// What this attempt concluded.
    pub result: String,
    /// Whether it produced the EWS URL.
    pub found: bool,
    /// How long it took.
    #[serde(with = "millis")]
    pub elapsed: Duration,
}

/// The whole discovery: the URL found, if any, and every attempt in order.
#[derive(Debug, Clone, Serialize)]
pub struct Discovery {
    /// The EWS URL found.
    pub ews_url: Option<String>,
    /// Each attempt, in the order made.
    pub attempts: Vec<Attempt>,
}

mod millis {
    use serde::Serializer;
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_millis() as u64)
    }
}
