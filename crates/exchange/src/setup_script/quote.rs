//! Quoting values for PowerShell and for OPATH filters.
//!
//! Every value is validated first (see `names`); quoting is the second, independent
//! guard. Inside a PowerShell single-quoted string nothing is expanded (`$`,
//! backticks and `$(...)` are plain text) and the only way out is a single quote,
//! which PowerShell recognises in five forms: `'` and the typographic `‘ ’ ‚ ‛`.
//! Doubling each of them keeps the value inside the string.

/// Every character PowerShell treats as a single quote.
const SINGLE_QUOTES: [char; 5] = ['\'', '\u{2018}', '\u{2019}', '\u{201A}', '\u{201B}'];

/// `value` wrapped in single quotes with every single-quote character doubled.
fn single_quoted(value: &str) -> String {
    let mut quoted = String::with_capacity(value.len() + 2);
    quoted.push('\'');
    for c in value.chars() {
        if SINGLE_QUOTES.contains(&c) {
            quoted.push(c);
        }
        quoted.push(c);
    }
    quoted.push('\'');
    quoted
}

/// A PowerShell single-quoted string that reads back as exactly `value`.
pub(super) fn powershell(value: &str) -> String {
    single_quoted(value)
}

/// An OPATH single-quoted value, as in `MemberOfGroup -eq 'CN=..'`.
///
/// OPATH also ends a single-quoted value at a quote and reads a doubled quote as
/// one. The result still has to go through [`powershell`] when the filter is
/// written into a script: the two levels are quoted one after the other.
pub(super) fn opath(value: &str) -> String {
    single_quoted(value)
}

#[cfg(test)]
mod tests {
    use super::{opath, powershell};
    use impersync_exchange_sim::cmdlet::{parse_script, single_quote};

    #[test]
    fn doubles_every_single_quote_form() {
        assert_eq!(powershell("it's"), "'it''s'");
        assert_eq!(
            powershell("a\u{2018}b\u{2019}c\u{201A}d\u{201B}e"),
            "'a\u{2018}\u{2018}b\u{2019}\u{2019}c\u{201A}\u{201A}d\u{201B}\u{201B}e'"
        );
        assert_eq!(powershell("$(x) `n \"q\""), "'$(x) `n \"q\"'");
        assert_eq!(opath("O'Brien"), "'O''Brien'");
    }

    #[test]
    fn agrees_with_the_simulator_quoting() {
        for value in [
            "",
            "plain",
            "x'; Remove-Mailbox -Identity alice; '",
            "\u{2019}\u{2019}'",
        ] {
            assert_eq!(powershell(value), single_quote(value));
        }
    }

    /// Whatever the value, a parameter quoted with [`powershell`] parses back as that
    /// value and no further command appears.
    #[test]
    fn hostile_values_stay_data() {
        let pieces = [
            "'",
            "''",
            "\u{2018}",
            "\u{2019}",
            "\u{201A}",
            "\u{201B}",
            "\"",
            "\u{201C}",
            "`",
            "$(Remove-Mailbox)",
            "$x",
            ";",
            "|",
            "&",
            "\n",
            "#",
            "<#",
            "{",
            "}",
            "(",
            ")",
            " -Identity ",
            "Remove-Mailbox -Identity alice",
            "\u{2013}Force",
        ];
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        for _ in 0..5_000 {
            let mut value = String::new();
            for _ in 0..(state % 7) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                value.push_str(pieces[(state % pieces.len() as u64) as usize]);
            }
            let script = format!(
                "Set-User -Identity {}\nWrite-Host 'end'",
                powershell(&value)
            );
            let commands = parse_script(&script).unwrap_or_else(|e| panic!("{value:?}: {e}"));
            let names: Vec<&str> = commands.iter().map(|c| c.name.as_str()).collect();
            assert_eq!(names, ["Set-User", "Write-Host"], "{value:?}");
            assert_eq!(commands[0].string("Identity"), Ok(value.as_str()));
        }
    }
}
