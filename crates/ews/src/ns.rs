//! Namespace URIs and the prefixes this crate writes.

/// SOAP 1.1 envelope.
pub const SOAP: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// EWS messages (`m:`).
pub const MESSAGES: &str = "http://schemas.microsoft.com/exchange/services/2006/messages";
/// EWS types (`t:`).
pub const TYPES: &str = "http://schemas.microsoft.com/exchange/services/2006/types";
/// EWS errors (`e:`), used in fault details.
pub const ERRORS: &str = "http://schemas.microsoft.com/exchange/services/2006/errors";
/// SOAP Autodiscover (`a:`).
pub const AUTODISCOVER_SOAP: &str = "http://schemas.microsoft.com/exchange/2010/Autodiscover";
/// WS-Addressing, used in SOAP Autodiscover headers.
pub const WS_ADDRESSING: &str = "http://www.w3.org/2005/08/addressing";
/// XML Schema instance (`xsi:type`).
pub const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";
/// POX Autodiscover request.
pub const POX_REQUEST: &str =
    "http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006";
/// POX Autodiscover response envelope.
pub const POX_RESPONSE: &str =
    "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006";
/// POX Autodiscover Outlook response body.
pub const POX_OUTLOOK_RESPONSE: &str =
    "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a";
