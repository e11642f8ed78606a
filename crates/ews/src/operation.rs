//! The link between a request type and its response type, and whole-message encoding.

use crate::envelope::{self, RequestHeader, ServerVersionInfo};
use crate::error::DecodeError;
use crate::fault::SoapFault;
use crate::ns;
use crate::xml::{Element, XmlWriter};

/// An EWS operation's request; it names the one response type it may be decoded as.
pub trait Operation: Sized {
    /// The operation name, which is also the body element's local name.
    const NAME: &'static str;
    /// The response this request gets.
    type Response: OperationResponse;
    /// Writes the `m:{NAME}` element.
    fn write(&self, w: &mut XmlWriter);
    /// Reads the `m:{NAME}` element.
    fn read(el: &Element) -> Result<Self, DecodeError>;
}

/// The response body of an operation.
pub trait OperationResponse: Sized {
    /// Writes the `m:{NAME}Response` element.
    fn write(&self, w: &mut XmlWriter);
    /// Reads the `m:{NAME}Response` element.
    fn read(el: &Element) -> Result<Self, DecodeError>;
}

/// Encodes a whole request envelope, as a client sends it.
pub fn encode_request<O: Operation>(header: &RequestHeader, op: &O) -> String {
    envelope::write_request(header, |w| op.write(w))
}

/// Encodes a whole response envelope, as a server sends it.
pub fn encode_response<R: OperationResponse>(version: &ServerVersionInfo, response: &R) -> String {
    envelope::write_response(version, |w| response.write(w))
}

/// A decoded response: the server's version and the typed body or its fault.
#[derive(Debug, Clone)]
pub struct Decoded<R> {
    /// `ServerVersionInfo` from the header, if sent.
    pub server_version: Option<ServerVersionInfo>,
    /// The response, or the SOAP fault that replaced it.
    pub body: Result<R, SoapFault>,
}

/// Decodes the response to operation `O`, as a client receives it.
pub fn decode_response<O: Operation>(bytes: &[u8]) -> Result<Decoded<O::Response>, DecodeError> {
    let env = envelope::read_response(bytes)?;
    let body = match env.body {
        Ok(el) => Ok(O::Response::read(&el)?),
        Err(fault) => Err(fault),
    };
    Ok(Decoded {
        server_version: env.server_version,
        body,
    })
}

/// Checks that a request element is `m:{name}`.
pub(crate) fn expect_op(el: &Element, name: &str) -> Result<(), DecodeError> {
    if el.is(ns::MESSAGES, name) {
        Ok(())
    } else {
        Err(DecodeError::unexpected(name, &el.name))
    }
}
