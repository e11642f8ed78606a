//! The migration runner: one set of portable SQL files, applied in order, each in its own
//! transaction, and recorded in `schema_migrations`. Running it again does nothing.

use sqlx::{AnyConnection, Row};

use crate::db::{Backend, Db, begin_write_on, now_millis};
use crate::error::StoreError;

/// One schema migration.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// Its version; applied in increasing order.
    pub version: i64,
    /// A short name.
    pub name: &'static str,
    /// The SQL, statements separated by `;`.
    pub sql: &'static str,
}

/// Every migration this build knows, oldest first.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "init",
        sql: include_str!("../migrations/0001_init.sql"),
    },
    Migration {
        version: 2,
        name: "check_run_details",
        sql: include_str!("../migrations/0002_check_run_details.sql"),
    },
    Migration {
        version: 3,
        name: "sync",
        sql: include_str!("../migrations/0003_sync.sql"),
    },
    Migration {
        version: 4,
        name: "webhooks",
        sql: include_str!("../migrations/0004_webhooks.sql"),
    },
    Migration {
        version: 5,
        name: "rooms",
        sql: include_str!("../migrations/0005_rooms.sql"),
    },
    Migration {
        version: 6,
        name: "feed_item_index",
        sql: include_str!("../migrations/0006_feed_item_index.sql"),
    },
    Migration {
        version: 7,
        name: "claim_order",
        sql: include_str!("../migrations/0007_claim_order.sql"),
    },
];

/// What a migration run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationReport {
    /// The versions applied by this run (empty when the schema was current).
    pub applied: Vec<i64>,
    /// The schema version now.
    pub current: i64,
}

/// The statements of a migration file: comments removed, split on `;`.
fn statements(sql: &str) -> Vec<String> {
    let without_comments: String = sql
        .lines()
        .map(|line| match line.find("--") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n");
    without_comments
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// The PostgreSQL advisory lock that serialises migration runs of several processes
/// ("Impersyn" in ASCII). On SQLite, `BEGIN IMMEDIATE` serialises them.
const PG_MIGRATION_LOCK: i64 = 0x496d_7065_7273_796e;

async fn applied_versions(conn: &mut AnyConnection) -> Result<Vec<i64>, sqlx::Error> {
    let rows = sqlx::query("SELECT version FROM schema_migrations ORDER BY version")
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| r.try_get::<i64, _>("version"))
        .collect()
}

/// Brings the schema up to date. Several processes may run it at once: on PostgreSQL they
/// take turns on an advisory lock; on SQLite each migration is a `BEGIN IMMEDIATE`
/// transaction that first checks whether another process applied it meanwhile.
pub(crate) async fn run(db: &Db) -> Result<MigrationReport, StoreError> {
    let mut conn = db.pool.acquire().await?;
    if db.backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(PG_MIGRATION_LOCK)
            .execute(&mut *conn)
            .await?;
    }
    let result = run_locked(db.backend, &mut conn).await;
    if db.backend == Backend::Postgres {
        // If this fails the connection is broken, and closing it releases the lock.
        let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(PG_MIGRATION_LOCK)
            .execute(&mut *conn)
            .await;
    }
    result
}

async fn run_locked(
    backend: Backend,
    conn: &mut AnyConnection,
) -> Result<MigrationReport, StoreError> {
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (\
            version BIGINT PRIMARY KEY, \
            name TEXT NOT NULL, \
            applied_at BIGINT NOT NULL)",
    )
    .execute(&mut *conn)
    .await?;

    let known = MIGRATIONS.last().map_or(0, |m| m.version);
    let done = applied_versions(conn).await?;
    if let Some(&found) = done.last()
        && found > known
    {
        return Err(StoreError::DatabaseTooNew { found, known });
    }

    let mut applied = Vec::new();
    for migration in MIGRATIONS {
        if done.contains(&migration.version) {
            continue;
        }
        let did_apply =
            apply(backend, conn, migration)
                .await
                .map_err(|source| StoreError::Migration {
                    version: migration.version,
                    name: migration.name,
                    source,
                })?;
        if did_apply {
            tracing::info!(
                version = migration.version,
                name = migration.name,
                "applied migration"
            );
            applied.push(migration.version);
        }
    }
    Ok(MigrationReport {
        applied,
        current: known.max(done.last().copied().unwrap_or(0)),
    })
}

/// Applies one migration in its own transaction; `false` if another process already had.
async fn apply(
    backend: Backend,
    conn: &mut AnyConnection,
    migration: &Migration,
) -> Result<bool, sqlx::Error> {
    let mut tx = begin_write_on(backend, conn).await?;
    let already = sqlx::query("SELECT version FROM schema_migrations WHERE version = $1")
        .bind(migration.version)
        .fetch_optional(&mut *tx)
        .await?;
    if already.is_some() {
        return Ok(false);
    }
    for statement in statements(migration.sql) {
        sqlx::query(sqlx::AssertSqlSafe(statement))
            .persistent(false)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
        .bind(migration.version)
        .bind(migration.name)
        .bind(now_millis())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_ordered_and_split() {
        for pair in MIGRATIONS.windows(2) {
            assert!(pair[0].version < pair[1].version);
        }
        let stmts = statements(
            "-- c; here\nCREATE TABLE a (x TEXT); -- tail;\n\nCREATE INDEX i ON a (x);\n",
        );
        assert_eq!(
            stmts,
            vec!["CREATE TABLE a (x TEXT)", "CREATE INDEX i ON a (x)"]
        );
        assert!(statements(MIGRATIONS[0].sql).len() > 10);
    }
}
