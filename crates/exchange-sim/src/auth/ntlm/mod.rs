//! Server-side NTLMv2 authentication (MS-NLMP) for the Exchange simulator.
//!
//! Over HTTP the client sends `Authorization: NTLM <base64 NEGOTIATE>`; the
//! server answers 401 with `WWW-Authenticate: NTLM <base64 CHALLENGE>` from
//! [`NtlmServer::challenge`]; the client then sends its AUTHENTICATE message on
//! the same connection, checked by [`NtlmServer::authenticate`]; [`is_negotiate`]
//! tells the two client messages apart. This module handles the decoded message
//! bytes only; use one [`NtlmServer`] per connection.

mod crypto;
mod error;
mod messages;
mod server;

pub use error::NtlmError;
pub use messages::is_negotiate;
pub use server::{NtlmIdentity, NtlmServer};
