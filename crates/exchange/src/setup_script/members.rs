//! [`read_members`]: the group's members from a file, one address per line or CSV.

use super::error::{MemberLineError, SetupScriptError};
use super::names::NameKind;

/// Header names (ignoring case) of the address column in a CSV file.
const EMAIL_HEADERS: [&str; 2] = ["email", "PrimarySmtpAddress"];

/// Reads member addresses from text: one address per line, or CSV whose header has
/// an `email` (or `PrimarySmtpAddress`) column, separated by `,` or `;`.
///
/// Blank lines and lines starting with `#` are skipped, and so is an address seen
/// before (ignoring case). Every line that holds no valid address is reported, with
/// its line number, in one [`SetupScriptError::InvalidMembers`].
pub fn read_members(text: &str) -> Result<Vec<String>, SetupScriptError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'))
        .peekable();
    let column = match lines.peek() {
        Some(&(number, header)) => email_column(number, header)?,
        None => None,
    };
    if column.is_some() {
        lines.next();
    }
    let mut members: Vec<String> = Vec::new();
    let mut problems = Vec::new();
    for (line, text) in lines {
        let address = match column {
            Some((index, separator)) => csv_cell(text, separator, index),
            None => Ok(text.to_owned()),
        };
        let checked = address.and_then(|a| match NameKind::Address.problem(&a) {
            None => Ok(a),
            Some(problem) => Err(format!("is not a valid email address: {problem}")),
        });
        match checked {
            Ok(address) => {
                if !members.iter().any(|m| m.eq_ignore_ascii_case(&address)) {
                    members.push(address);
                }
            }
            Err(problem) => problems.push(MemberLineError {
                line,
                value: text.to_owned(),
                problem,
            }),
        }
    }
    if problems.is_empty() {
        Ok(members)
    } else {
        Err(SetupScriptError::InvalidMembers(problems))
    }
}

/// The address column and separator when the first line is a CSV header; `None`
/// for a plain list of addresses.
fn email_column(line: usize, header: &str) -> Result<Option<(usize, char)>, SetupScriptError> {
    let separator = [',', ';'].into_iter().find(|&s| header.contains(s));
    let cells = split_csv(header, separator.unwrap_or(',')).unwrap_or_default();
    let index = cells
        .iter()
        .position(|cell| EMAIL_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(cell)));
    match (index, separator) {
        (Some(index), _) => Ok(Some((index, separator.unwrap_or(',')))),
        (None, None) => Ok(None),
        (None, Some(_)) => Err(SetupScriptError::NoEmailColumn {
            line,
            header: header.to_owned(),
        }),
    }
}

/// The trimmed cell at `index` of a CSV row.
fn csv_cell(row: &str, separator: char, index: usize) -> Result<String, String> {
    let mut cells = split_csv(row, separator)?;
    if index >= cells.len() {
        return Err(format!(
            "has no cell in the email column (column {})",
            index + 1
        ));
    }
    Ok(cells.swap_remove(index))
}

/// Splits one CSV row; cells may be `"quoted"`, with `""` for a quote inside.
fn split_csv(row: &str, separator: char) -> Result<Vec<String>, String> {
    let mut cells = Vec::new();
    let mut chars = row.chars().peekable();
    loop {
        let mut cell = String::new();
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.next_if_eq(&'"').is_some() {
            loop {
                match chars.next() {
                    None => {
                        return Err(
                            "has a quote that is not closed (a cell cannot span lines)".to_owned()
                        );
                    }
                    Some('"') if chars.next_if_eq(&'"').is_none() => break,
                    Some(c) => cell.push(c),
                }
            }
        }
        while let Some(c) = chars.next_if(|&c| c != separator) {
            cell.push(c);
        }
        cells.push(cell.trim().to_owned());
        if chars.next().is_none() {
            return Ok(cells);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::split_csv;

    #[test]
    fn splits_quoted_cells() {
        assert_eq!(
            split_csv(r#"a, "b,c" ,"d""e",,f"#, ','),
            Ok(vec!["a", "b,c", "d\"e", "", "f"]
                .into_iter()
                .map(String::from)
                .collect())
        );
        assert_eq!(split_csv("x;y", ';'), Ok(vec!["x".into(), "y".into()]));
        assert!(split_csv(r#"a,"b"#, ',').is_err());
    }
}
