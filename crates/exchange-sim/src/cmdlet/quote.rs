//! PowerShell's quote and dash characters, and quoting values for scripts.

/// True for every character PowerShell treats as a single quote: the ASCII
/// apostrophe and the typographic quotes `‘ ’ ‚ ‛`.
pub(super) fn is_single_quote(c: char) -> bool {
    matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}')
}

/// True for every character PowerShell treats as a double quote: `"` and
/// the typographic quotes `“ ” „`.
pub(super) fn is_double_quote(c: char) -> bool {
    matches!(c, '"' | '\u{201C}' | '\u{201D}' | '\u{201E}')
}

/// True for every character PowerShell accepts as the dash of a parameter:
/// `-` and the en dash, em dash and horizontal bar.
pub(super) fn is_dash(c: char) -> bool {
    matches!(c, '-' | '\u{2013}' | '\u{2014}' | '\u{2015}')
}

/// Quotes a value as a PowerShell single-quoted string that always reads
/// back as exactly `value`, whatever it contains.
///
/// Every single-quote character is doubled, including the typographic ones
/// that PowerShell also treats as quotes, so no value can close the string
/// early and inject further commands.
pub fn single_quote(value: &str) -> String {
    let mut quoted = String::with_capacity(value.len() + 2);
    quoted.push('\'');
    for c in value.chars() {
        if is_single_quote(c) {
            quoted.push(c);
        }
        quoted.push(c);
    }
    quoted.push('\'');
    quoted
}
