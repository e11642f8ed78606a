//! Numbered placeholder lists for statements that carry many rows or ids at once.

use crate::store::Conn;

/// Bound values per statement at most. Both backends allow far more (SQLite 32,766,
/// PostgreSQL 65,535); at this size one statement carries a whole page of a folder's
/// changes in one or two round trips.
const MAX_PARAMETERS: usize = 960;

/// Ids per `IN (...)` list (one more parameter is usually bound besides).
pub(crate) const IDS_PER_STATEMENT: usize = MAX_PARAMETERS - 8;

/// The Any driver's name of the SQLite backend.
const SQLITE: &str = "SQLite";

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

/// `sql` for the connection's backend. On SQLite the numbered placeholders become anonymous
/// `?` when they appear in order `$1, $2, ...` (as the lists above make them): SQLite looks
/// a numbered parameter's name up by a linear scan for each bound value, so binding a
/// statement with many numbered parameters costs the square of their count.
pub(crate) fn for_backend(conn: &Conn, sql: String) -> sqlx::AssertSqlSafe<String> {
    if conn.backend_name() != SQLITE {
        return sqlx::AssertSqlSafe(sql);
    }
    sqlx::AssertSqlSafe(anonymous(&sql).unwrap_or(sql))
}

/// `sql` with `$1, $2, ...` replaced by `?`; `None` unless they appear in that order.
fn anonymous(sql: &str) -> Option<String> {
    let mut out = String::with_capacity(sql.len());
    let mut expected = 1u32;
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let digits = rest[at + 1..]
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len() - at - 1);
        let number: u32 = rest[at + 1..at + 1 + digits].parse().ok()?;
        if number != expected {
            return None;
        }
        expected += 1;
        out.push('?');
        rest = &rest[at + 1 + digits..];
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_on() {
        assert_eq!(placeholders(3, 2), "$2, $3, $4");
        assert_eq!(value_rows(2, 2, 1), "($1, $2), ($3, $4)");
    }

    #[test]
    fn numbered_in_order_become_anonymous_and_others_stay() {
        assert_eq!(
            anonymous("SELECT a FROM t WHERE u = $1 AND id IN ($2, $3)").as_deref(),
            Some("SELECT a FROM t WHERE u = ? AND id IN (?, ?)")
        );
        assert_eq!(anonymous("UPDATE t SET a = $2 WHERE b = $1"), None);
        assert_eq!(anonymous("SELECT $1, $1"), None);
        assert_eq!(anonymous("SELECT 1").as_deref(), Some("SELECT 1"));
    }
}
