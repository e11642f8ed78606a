//! Numbered placeholder lists for statements that carry many rows or ids at once.

/// Bound values per statement at most. Both backends allow far more (SQLite 32,766,
/// PostgreSQL 65,535), but SQLite looks each numbered parameter up by a linear scan, so a
/// statement's binding time grows with the square of its parameters; at this size it is
/// still small next to the statement's work.
const MAX_PARAMETERS: usize = 240;

/// Ids per `IN (...)` list (one more parameter is usually bound besides).
pub(crate) const IDS_PER_STATEMENT: usize = MAX_PARAMETERS - 8;

/// Rows of `columns` values per multi-row statement.
pub(crate) fn rows_per_statement(columns: usize) -> usize {
    (MAX_PARAMETERS / columns.max(1)).max(1)
}

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
