//! Errors reported by the NTLM server.

/// Why an NTLM handshake step was rejected.
#[derive(Debug, thiserror::Error)]
pub enum NtlmError {
    /// The message is truncated, has out-of-bounds fields or invalid contents.
    #[error("malformed NTLM {message} message: {reason}")]
    Malformed {
        /// Which message was being parsed (`NEGOTIATE` or `AUTHENTICATE`).
        message: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The message is a valid NTLM message, but not of the expected type.
    #[error("expected NTLM message type {expected}, got type {actual}")]
    UnexpectedMessageType {
        /// The message type the handshake expected (1 or 3).
        expected: u32,
        /// The message type the client sent.
        actual: u32,
    },
    /// An AUTHENTICATE message arrived without a pending challenge.
    #[error(
        "NTLM AUTHENTICATE message received without a pending challenge; \
         the handshake must restart with a NEGOTIATE message"
    )]
    OutOfOrder,
    /// The client did not negotiate UTF-16 strings (`NTLMSSP_NEGOTIATE_UNICODE`).
    #[error("the NTLM client does not support Unicode strings (NTLMSSP_NEGOTIATE_UNICODE)")]
    UnicodeRequired,
    /// The client attempted an anonymous logon.
    #[error("anonymous NTLM authentication is not allowed")]
    Anonymous,
    /// The client sent an NTLMv1 (or LM-only) response.
    #[error("NTLMv1 responses are refused; the client must use NTLMv2")]
    NtlmV1Refused,
    /// The password lookup found no such account.
    #[error("unknown NTLM user {user:?} (domain {domain:?})")]
    UnknownUser {
        /// User name as sent by the client.
        user: String,
        /// Domain as sent by the client.
        domain: String,
    },
    /// The NTLMv2 proof does not match the account's password.
    #[error("wrong password for NTLM user {user:?} (domain {domain:?})")]
    WrongPassword {
        /// User name as sent by the client.
        user: String,
        /// Domain as sent by the client.
        domain: String,
    },
    /// The password matched but the message integrity code did not: the handshake was altered.
    #[error("NTLM message integrity code (MIC) mismatch for user {user:?} (domain {domain:?})")]
    MicMismatch {
        /// User name as sent by the client.
        user: String,
        /// Domain as sent by the client.
        domain: String,
    },
    /// The configured domain or server names do not fit in a CHALLENGE message.
    #[error("the configured domain and server names are too long for an NTLM CHALLENGE message")]
    NamesTooLong,
}
