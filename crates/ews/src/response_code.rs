//! EWS response codes (`m:ResponseCode`, `faultcode`, `e:ResponseCode`).

use std::fmt;

macro_rules! response_codes {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {
        /// An EWS response code. Codes this crate does not name are kept in `Other`.
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum ResponseCode {
            $($(#[$doc])* $name,)*
            /// Any other code, as sent.
            Other(String),
        }

        impl ResponseCode {
            /// Every code this crate names, in declaration order (not `Other`).
            pub const NAMED: &[ResponseCode] = &[$(Self::$name),*];

            /// The code as it appears on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$name => stringify!($name),)*
                    Self::Other(s) => s,
                }
            }

            /// Reads a code from its wire form; a `a:` prefix as in `faultcode` is ignored.
            pub fn parse(raw: &str) -> Self {
                let raw = raw.trim();
                let raw = raw.rsplit(':').next().unwrap_or(raw);
                match raw {
                    $(stringify!($name) => Self::$name,)*
                    other => Self::Other(other.to_string()),
                }
            }
        }
    };
}

response_codes! {
    /// Success.
    NoError,
    /// The server is too busy; wait BackOffMilliseconds and retry.
    ErrorServerBusy,
    /// More concurrent connections than EWSMaxConcurrency allows.
    ErrorExceededConnectionCount,
    /// The caller may not impersonate this user (outside the scope, or no role).
    ErrorImpersonateUserDenied,
    /// Impersonation failed for another reason.
    ErrorImpersonationFailed,
    /// The ConnectingSID is empty or malformed.
    ErrorInvalidExchangeImpersonationHeaderData,
    /// The addressed user has no mailbox.
    ErrorNonExistentMailbox,
    /// The sync state is corrupt, forged or from another folder.
    ErrorInvalidSyncStateData,
    /// The item does not exist.
    ErrorItemNotFound,
    /// The folder does not exist.
    ErrorFolderNotFound,
    /// An id cannot be parsed.
    ErrorInvalidIdMalformed,
    /// The caller lacks rights.
    ErrorAccessDenied,
    /// The request is not valid for this operation.
    ErrorInvalidRequest,
    /// The request does not validate against the schema.
    ErrorSchemaValidation,
    /// A MaxChangesReturned or paging value is out of range.
    ErrorInvalidPagingMaxRows,
    /// The server failed.
    ErrorInternalServerError,
    /// The operation is not supported.
    ErrorInvalidOperation,
    /// The server version requested is not supported.
    ErrorInvalidServerVersion,
    /// The room list does not exist.
    ErrorNameResolutionNoResults,
    /// The mailbox is not reachable over EWS (EWS disabled for the user).
    ErrorMailboxConfiguration,
    /// The account is disabled.
    ErrorAccountDisabled,
}

impl fmt::Display for ResponseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
