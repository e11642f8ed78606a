//! Check results as CSV: RFC 4180 quoting, and cells that a spreadsheet would run as a
//! formula (starting with `=`, `+`, `-` or `@`) prefixed with `'`.

/// The header line (without its line end).
pub const CSV_HEADER: &str = "email,outcome,code,message,remedy,latency_ms";

/// One result as a CSV line (without its line end), in the columns of [`CSV_HEADER`].
pub fn csv_line(
    email: &str,
    outcome: &str,
    code: Option<&str>,
    message: &str,
    remedy: &str,
    latency_ms: u64,
) -> String {
    let cells = [email, outcome, code.unwrap_or(""), message, remedy];
    let mut line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
    line.push(latency_ms.to_string());
    line.join(",")
}

/// One cell: neutralised against formula injection, quoted when needed.
fn csv_cell(value: &str) -> String {
    let guarded = if value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_neutralises_formulas() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("+1"), "'+1");
        assert_eq!(csv_cell("-1"), "'-1");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(
            csv_line("a@x.test", "Ok", None, "line\nbreak", "", 7),
            "a@x.test,Ok,,\"line\nbreak\",,7"
        );
    }
}
