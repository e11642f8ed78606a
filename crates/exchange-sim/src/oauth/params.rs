//! Helpers for request parameters.

/// The value of an optional parameter, treating an empty value as absent (RFC 6749 §3.1).
pub(crate) fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.is_empty())
}
