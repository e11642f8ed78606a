//! Numbered placeholder lists for statements that carry many rows or ids at once.

/// Rows per multi-row statement: well under both backends' limits on bound values
/// (SQLite 32,766, PostgreSQL 65,535) for tables of up to 15 columns.
pub(crate) const ROWS_PER_STATEMENT: usize = 200;

/// `$first, $first+1, ...`: `n` placeholders.
pub(crate) fn placeholders(n: usize, first: usize) -> String {
    (first..first + n)
        .map(|p| format!("${p}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `($first, ...), (...)`: `rows` tuples of `columns` placeholders, numbered on from `first`.
pub(crate) fn value_rows(rows: usize, columns: usize, first: usize) -> String {
    (0..rows)
        .map(|r| format!("({})", placeholders(columns, first + r * columns)))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_on() {
        assert_eq!(placeholders(3, 2), "$2, $3, $4");
        assert_eq!(value_rows(2, 2, 1), "($1, $2), ($3, $4)");
    }
}
