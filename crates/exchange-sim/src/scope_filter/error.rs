//! Errors from parsing a scope filter.

use thiserror::Error;

use super::ast::SUPPORTED_PROPERTIES;

/// Why a scope filter could not be parsed.
///
/// Positions count characters from 1 at the start of the filter text.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FilterError {
    /// The filter holds no comparison at all.
    #[error("the filter is empty")]
    Empty,
    /// A property outside the supported set was named.
    #[error(
        "unsupported filter property '{name}' at position {position}; \
         supported properties are {SUPPORTED_PROPERTIES}"
    )]
    UnsupportedProperty {
        /// The property as written.
        name: String,
        /// Where it starts.
        position: usize,
    },
    /// A comparison operator other than `-eq`, `-ne` or `-like` was used.
    #[error(
        "unsupported operator '{operator}' at position {position}; \
         supported comparisons are -eq, -ne and -like"
    )]
    UnsupportedOperator {
        /// The operator as written.
        operator: String,
        /// Where it starts.
        position: usize,
    },
    /// A variable other than `$null` was used as a value.
    #[error("unsupported variable '${name}' at position {position}; only $null is allowed")]
    UnsupportedVariable {
        /// The variable name without the `$`.
        name: String,
        /// Where the `$` is.
        position: usize,
    },
    /// `$null` was used with `-like`, which needs a pattern.
    #[error("$null at position {position} can only be compared with -eq or -ne")]
    NullPattern {
        /// Where `$null` is.
        position: usize,
    },
    /// A quoted value has no closing quote.
    #[error("unterminated quoted value starting at position {position}")]
    UnterminatedString {
        /// Where the opening quote is.
        position: usize,
    },
    /// Something other than what the grammar allows at this point.
    #[error("syntax error at position {position}: expected {expected}, found {found}")]
    Unexpected {
        /// Where the offending text starts.
        position: usize,
        /// What the grammar allows here.
        expected: &'static str,
        /// What was there instead.
        found: String,
    },
    /// Parentheses or `-not` are nested deeper than the parser allows.
    #[error("filter nested deeper than {limit} levels at position {position}")]
    TooDeep {
        /// Where the limit was crossed.
        position: usize,
        /// The maximum nesting depth.
        limit: usize,
    },
}
