//! Errors from decoding wire messages.

/// Why bytes could not be decoded into a typed message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The bytes are not well-formed XML.
    #[error("malformed XML: {0}")]
    Xml(String),
    /// The document declares a DTD; EWS never uses one and it could carry entity tricks.
    #[error("the document contains a DTD or entity declaration, which EWS never sends; refused")]
    DtdRefused,
    /// An entity reference that XML does not predefine.
    #[error("undeclared entity `&{0};` refused")]
    UndeclaredEntity(String),
    /// A required element is missing.
    #[error("element `{element}` is missing inside `{parent}`")]
    Missing {
        /// The missing element.
        element: String,
        /// Where it was expected.
        parent: String,
    },
    /// An element or attribute has a value of the wrong form.
    #[error("`{name}` has an invalid value `{value}`")]
    Invalid {
        /// Element or attribute name.
        name: String,
        /// The offending value (truncated).
        value: String,
    },
    /// The root or body element is not what this decoder expects.
    #[error("expected `{expected}` but found `{found}`")]
    Unexpected {
        /// What the decoder wanted.
        expected: String,
        /// What it found.
        found: String,
    },
    /// The request names an operation this crate does not model.
    #[error("operation `{0}` is not supported")]
    UnsupportedOperation(String),
    /// The `ExchangeImpersonation` header is present but names nobody usable.
    #[error("the ExchangeImpersonation header is invalid: {0}")]
    InvalidImpersonationHeader(String),
}

impl DecodeError {
    pub(crate) fn missing(element: &str, parent: &str) -> Self {
        Self::Missing {
            element: element.to_string(),
            parent: parent.to_string(),
        }
    }

    pub(crate) fn invalid(name: &str, value: &str) -> Self {
        let value: String = value.chars().take(80).collect();
        Self::Invalid {
            name: name.to_string(),
            value,
        }
    }

    pub(crate) fn unexpected(expected: &str, found: &str) -> Self {
        Self::Unexpected {
            expected: expected.to_string(),
            found: found.to_string(),
        }
    }
}
