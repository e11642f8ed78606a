//! EWS and Autodiscover wire types for Impersync.
//!
//! Every operation has a request type and a response type that encode and decode in
//! both directions, for the client and the simulator alike. There is no I/O here.

pub mod autodiscover;
mod envelope;
mod error;
mod fault;
pub mod ns;
mod operation;
pub mod ops;
mod response_code;
mod response_message;
pub mod types;
pub mod xml;

pub use envelope::{
    ConnectingSid, RequestEnvelope, RequestHeader, ResponseEnvelope, ServerVersionInfo,
    read_request, read_response, write_request, write_response,
};
pub use error::DecodeError;
pub use fault::SoapFault;
pub use operation::{
    Decoded, Operation, OperationResponse, decode_response, encode_request, encode_response,
};
pub use response_code::ResponseCode;
pub use response_message::{ResponseClass, ResponseMessage, ResponseStatus};
