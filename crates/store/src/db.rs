//! The connection pool: one `AnyPool` whose backend is picked at run time from the URL.
//!
//! Every query in this crate is written once, with `$1` placeholders, and runs on both
//! SQLite and PostgreSQL. The only backend-specific code is here: the SQLite pragmas set
//! when the pool opens, and `BEGIN IMMEDIATE` for write transactions on SQLite (one
//! writer at a time; it waits for the lock instead of failing halfway).

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{Any, AnyConnection, AnyPool, Connection, Row, Transaction};
use std::path::Path;
use std::time::Duration;

use crate::error::StoreError;

/// The environment variable that selects PostgreSQL.
pub const DATABASE_URL_ENV: &str = "IMPERSYNC_DATABASE_URL";

/// How long a SQLite writer waits for the write lock.
const SQLITE_BUSY_TIMEOUT: &str = "PRAGMA busy_timeout = 60000";

/// Plan each execution of a prepared statement for its values. A connection keeps its
/// prepared statements, and PostgreSQL would otherwise settle on a generic plan made while
/// the sync tables were still empty (a sequential scan), which gets slower with every row.
const POSTGRES_CUSTOM_PLANS: &str = "SET plan_cache_mode = force_custom_plan";

/// No JIT compilation of queries. The store's statements are short and read few rows, but
/// a claim's plan carries the cost of scanning every due row (it stops after a batch), and
/// above `jit_above_cost` PostgreSQL would spend most of a second compiling it each time.
const POSTGRES_NO_JIT: &str = "SET jit = off";

/// Each connection's page cache: 32 MiB (SQLite's default is 2 MiB), so that the indexes
/// a sync writes into (items and change feed by item id, in random order) stay in memory
/// instead of being read back from the file for every row.
const SQLITE_CACHE_SIZE: &str = "PRAGMA cache_size = -32768";

/// The SQLite file's name inside the data directory.
pub const SQLITE_FILE_NAME: &str = "impersync.db";

/// Which database the store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An SQLite file (the default).
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl Backend {
    /// The backend a URL selects.
    pub fn of_url(url: &str) -> Result<Self, StoreError> {
        let lower = url.trim().to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else if lower.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else {
            Err(StoreError::DatabaseUrl {
                url: redact_url(url),
                reason: "only postgres:// and sqlite: URLs are supported".into(),
            })
        }
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Sqlite => "SQLite",
            Self::Postgres => "PostgreSQL",
        })
    }
}

/// The SQLite URL for the default database file in `data_dir`.
pub fn sqlite_url(data_dir: &Path) -> String {
    let path = data_dir.join(SQLITE_FILE_NAME);
    let mut encoded = String::new();
    for byte in path.to_string_lossy().bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'.' | b'_' | b'-' | b'~' => {
                encoded.push(byte as char)
            }
            _ => encoded.push_str(&format!("%{byte:02X}")),
        }
    }
    format!("sqlite://{encoded}?mode=rwc")
}

/// The URL with any password replaced by `***`, for messages and logs.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
            let masked = if userinfo.contains(':') {
                format!("{user}:***")
            } else {
                user.to_string()
            };
            format!("{scheme}://{masked}@{host}{tail}")
        }
        None => url.to_string(),
    }
}

/// The pool and the backend it talks to.
#[derive(Debug, Clone)]
pub(crate) struct Db {
    pub(crate) pool: AnyPool,
    pub(crate) backend: Backend,
}

impl Db {
    /// Connects to `url` (SQLite or PostgreSQL).
    pub(crate) async fn connect(
        url: &str,
        max_connections: Option<u32>,
    ) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of_url(url)?;
        let max = max_connections.unwrap_or(match backend {
            Backend::Sqlite => 4,
            Backend::Postgres => 10,
        });
        let mut options = AnyPoolOptions::new()
            .max_connections(max.max(1))
            .acquire_timeout(Duration::from_secs(30));
        if backend == Backend::Sqlite {
            // Writers queue for the write lock (`BEGIN IMMEDIATE`) rather than fail after
            // SQLite's default 5 s while concurrent mailbox syncs commit their pages.
            options = options.after_connect(|conn, _| {
                Box::pin(async move {
                    sqlx::query(SQLITE_BUSY_TIMEOUT).execute(&mut *conn).await?;
                    sqlx::query(SQLITE_CACHE_SIZE).execute(conn).await?;
                    Ok(())
                })
            });
        } else {
            options = options.after_connect(|conn, _| {
                Box::pin(async move {
                    sqlx::query(POSTGRES_CUSTOM_PLANS)
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query(POSTGRES_NO_JIT).execute(conn).await?;
                    Ok(())
                })
            });
        }
        let pool = options
            .connect(url)
            .await
            .map_err(|source| StoreError::Connect {
                url: redact_url(url),
                source,
            })?;
        if backend == Backend::Sqlite {
            // WAL lets readers run while the single writer writes; it is kept in the file.
            // `synchronous` stays FULL: a commit is on disk before it is visible, so a
            // change-feed row a consumer has read cannot vanish (and its sequence number be
            // reused) after a power cut.
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&pool)
                .await
                .map_err(|source| StoreError::Connect {
                    url: redact_url(url),
                    source,
                })?;
        }
        Ok(Self { pool, backend })
    }

    /// Begins a transaction that will write. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so it waits for another writer instead of failing later.
    pub(crate) async fn begin_write(&self) -> Result<Transaction<'static, Any>, StoreError> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }
}

/// [`Db::begin_write`] on a connection the caller holds.
pub(crate) async fn begin_write_on(
    backend: Backend,
    conn: &mut AnyConnection,
) -> Result<Transaction<'_, Any>, sqlx::Error> {
    match backend {
        Backend::Sqlite => conn.begin_with("BEGIN IMMEDIATE").await,
        Backend::Postgres => conn.begin().await,
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A boolean as stored: `SMALLINT` 0 or 1 on both backends (SQLite has no real BOOLEAN,
/// and the Any driver cannot decode a column declared BOOLEAN on SQLite).
pub(crate) fn flag(value: bool) -> i16 {
    i16::from(value)
}

/// Reads a `SMALLINT` 0/1 column as a bool.
pub(crate) fn get_flag(row: &AnyRow, column: &str) -> Result<bool, sqlx::Error> {
    Ok(row.try_get::<i64, _>(column)? != 0)
}

/// Offset and size of one page of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PageRequest {
    /// How many rows to skip.
    pub offset: u64,
    /// How many rows at most (1 to 1000).
    pub limit: u32,
}

impl PageRequest {
    /// The largest page size.
    pub const MAX_LIMIT: u32 = 1000;

    /// A page; the limit is clamped to `1..=1000`.
    pub fn new(offset: u64, limit: u32) -> Self {
        Self {
            offset,
            limit: limit.clamp(1, Self::MAX_LIMIT),
        }
    }

    /// The first `limit` rows.
    pub fn first(limit: u32) -> Self {
        Self::new(0, limit)
    }

    pub(crate) fn sql_limit(self) -> i64 {
        i64::from(self.limit.clamp(1, Self::MAX_LIMIT))
    }

    pub(crate) fn sql_offset(self) -> i64 {
        i64::try_from(self.offset).unwrap_or(i64::MAX)
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self::first(100)
    }
}

/// One page of a list, with the total number of rows that match.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Page<T> {
    /// The rows of this page.
    pub items: Vec<T>,
    /// How many rows match in all.
    pub total: u64,
    /// The offset of this page.
    pub offset: u64,
    /// The page size asked for.
    pub limit: u32,
}

impl<T> Page<T> {
    /// The same page with each row turned into another type.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
            offset: self.offset,
            limit: self.limit,
        }
    }

    pub(crate) fn new(items: Vec<T>, total: i64, page: PageRequest) -> Self {
        Self {
            items,
            total: u64::try_from(total).unwrap_or(0),
            offset: page.offset,
            limit: page.limit,
        }
    }
}

/// Escapes `%`, `_` and `\` for a `LIKE ... ESCAPE '\'` pattern.
pub(crate) fn like_contains(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            Backend::of_url("postgres://u:p@h/db").unwrap(),
            Backend::Postgres
        );
        assert_eq!(Backend::of_url("sqlite://x.db").unwrap(), Backend::Sqlite);
        assert!(Backend::of_url("mysql://x").is_err());
        assert_eq!(
            redact_url("postgres://u:secret@h:5/db?x=1"),
            "postgres://u:***@h:5/db?x=1"
        );
        assert_eq!(redact_url("postgres://h/db"), "postgres://h/db");
        assert_eq!(
            sqlite_url(Path::new("/tmp/a b?")),
            "sqlite:///tmp/a%20b%3F/impersync.db?mode=rwc"
        );
        assert_eq!(like_contains("a_b%"), "%a\\_b\\%%");
    }
}
