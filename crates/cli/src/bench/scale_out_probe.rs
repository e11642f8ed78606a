//! What `bench scale-out` reads from PostgreSQL beside the product: a claim log filled by
//! a trigger on `mailbox_sync` (every lease claim with its claim and due time), progress,
//! the server's write figures, spreading due times over a poll interval, and the
//! exactness check of the synced store.

use anyhow::{Context, bail};
use sqlx::Row;
use sqlx::postgres::{PgPool, PgPoolOptions};

/// The claim log: one row per claim of a mailbox's lease, written by a trigger in the
/// claim's own transaction. A claim is an update that gives the row a new owner, or a new
/// lease after the old one expired; renewals and page writes are not claims.
const CLAIM_LOG: &str = r#"
CREATE TABLE bench_claims (
    user_id BIGINT NOT NULL,
    owner TEXT NOT NULL,
    claimed_at BIGINT NOT NULL,
    due_at BIGINT,
    taken_over BOOLEAN NOT NULL
);
CREATE INDEX bench_claims_user ON bench_claims (user_id);
CREATE FUNCTION bench_log_claim() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO bench_claims VALUES
        (NEW.user_id, NEW.lease_owner, NEW.updated_at, NEW.next_due_at, OLD.lease_owner IS NOT NULL);
    RETURN NULL;
END $$;
CREATE TRIGGER bench_claim AFTER UPDATE ON mailbox_sync FOR EACH ROW
WHEN (NEW.lease_owner IS NOT NULL AND (OLD.lease_owner IS DISTINCT FROM NEW.lease_owner
    OR (OLD.lease_expires_at <= NEW.updated_at AND NEW.lease_expires_at IS DISTINCT FROM OLD.lease_expires_at)))
EXECUTE FUNCTION bench_log_claim();
"#;

/// The benchmark's own connection to the database.
pub struct Probe {
    pool: PgPool,
}

/// The server's cumulative write figures at one moment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ServerFigures {
    /// Committed transactions in this database.
    pub commits: i64,
    /// Rows inserted into the product's tables.
    pub inserted: i64,
    /// Rows updated in the product's tables.
    pub updated: i64,
    /// WAL bytes written since the cluster began.
    pub wal_bytes: i64,
}

impl std::ops::Sub for ServerFigures {
    type Output = Self;
    fn sub(self, o: Self) -> Self {
        Self {
            commits: self.commits - o.commits,
            inserted: self.inserted - o.inserted,
            updated: self.updated - o.updated,
            wal_bytes: self.wal_bytes - o.wal_bytes,
        }
    }
}

/// Claims of one phase: how many, how fast, how late.
#[derive(Debug, Clone, Copy, Default)]
pub struct Claims {
    /// Mailbox leases claimed.
    pub claims: i64,
    /// Claim transactions (one worker's claim of a batch).
    pub claim_batches: i64,
    /// Claims of an expired lease.
    pub takeovers: i64,
    /// First claim to last claim, seconds.
    pub span_secs: f64,
    /// The most claims in one wall-clock second.
    pub peak_per_sec: i64,
    /// Queue lag (claim time minus due time) in ms: p50, p95, max.
    pub lag_ms: [i64; 3],
}

impl Claims {
    /// Mean claims per second over the phase.
    pub fn per_sec(&self) -> f64 {
        self.claims as f64 / self.span_secs.max(0.001)
    }
}

impl Probe {
    /// Connects to `url` and installs the claim log.
    pub async fn install(url: &str) -> anyhow::Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(2)
            .connect(url)
            .await
            .context("connecting to PostgreSQL for the claim log")?;
        sqlx::raw_sql(CLAIM_LOG)
            .execute(&pool)
            .await
            .context("installing the claim log")?;
        Ok(Self { pool })
    }

    /// The process id of one of this connection's server backends.
    pub async fn backend_pid(&self) -> anyhow::Result<u32> {
        let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
            .fetch_one(&self.pool)
            .await?;
        Ok(u32::try_from(pid)?)
    }

    /// Mailboxes whose last successful sync ended at or after `since` (Unix ms), and
    /// mailboxes in a failed state.
    pub async fn progress(&self, since: i64) -> anyhow::Result<(i64, i64)> {
        let row = sqlx::query(
            "SELECT count(*) FILTER (WHERE last_success_at >= $1) AS synced, \
             count(*) FILTER (WHERE state IN ('backoff', 'needs_attention')) AS failed \
             FROM mailbox_sync",
        )
        .bind(since)
        .fetch_one(&self.pool)
        .await?;
        Ok((row.try_get("synced")?, row.try_get("failed")?))
    }

    /// The mailboxes whose lease `owner` holds now.
    pub async fn held_by(&self, owner: &str) -> anyhow::Result<Vec<i64>> {
        Ok(
            sqlx::query_scalar("SELECT user_id FROM mailbox_sync WHERE lease_owner = $1")
                .bind(owner)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// The first claim of each of `users` by another owner than `owner` at or after `since`
    /// (Unix ms); `None` for a mailbox not claimed again.
    pub async fn reclaimed(
        &self,
        users: &[i64],
        owner: &str,
        since: i64,
    ) -> anyhow::Result<Vec<Option<i64>>> {
        let mut times = Vec::with_capacity(users.len());
        for &user in users {
            let at: Option<i64> = sqlx::query_scalar(
                "SELECT min(claimed_at) FROM bench_claims \
                 WHERE user_id = $1 AND owner <> $2 AND claimed_at >= $3",
            )
            .bind(user)
            .bind(owner)
            .bind(since)
            .fetch_one(&self.pool)
            .await?;
            times.push(at);
        }
        Ok(times)
    }

    /// The claims whose due time lies in `[due_from, due_to)` (Unix ms).
    pub async fn claims(&self, due_from: i64, due_to: i64) -> anyhow::Result<Claims> {
        let row = sqlx::query(
            "SELECT count(*) AS claims, count(DISTINCT (owner, claimed_at)) AS batches, \
             count(*) FILTER (WHERE taken_over) AS takeovers, \
             coalesce(max(claimed_at) - min(claimed_at), 0) AS span_ms, \
             coalesce(percentile_disc(0.5) WITHIN GROUP (ORDER BY claimed_at - due_at), 0) AS p50, \
             coalesce(percentile_disc(0.95) WITHIN GROUP (ORDER BY claimed_at - due_at), 0) AS p95, \
             coalesce(max(claimed_at - due_at), 0) AS lag_max \
             FROM bench_claims WHERE due_at >= $1 AND due_at < $2",
        )
        .bind(due_from)
        .bind(due_to)
        .fetch_one(&self.pool)
        .await?;
        let peak: Option<i64> = sqlx::query_scalar(
            "SELECT max(n) FROM (SELECT count(*) AS n FROM bench_claims \
             WHERE due_at >= $1 AND due_at < $2 GROUP BY claimed_at / 1000) s",
        )
        .bind(due_from)
        .bind(due_to)
        .fetch_one(&self.pool)
        .await?;
        Ok(Claims {
            claims: row.try_get("claims")?,
            claim_batches: row.try_get("batches")?,
            takeovers: row.try_get("takeovers")?,
            span_secs: row.try_get::<i64, _>("span_ms")? as f64 / 1000.0,
            peak_per_sec: peak.unwrap_or(0),
            lag_ms: [
                row.try_get("p50")?,
                row.try_get("p95")?,
                row.try_get("lag_max")?,
            ],
        })
    }

    /// Makes every mailbox due once within `window_ms` from `start` (Unix ms), at evenly
    /// spaced times in random order, as a steady poll interval spreads them.
    pub async fn spread_due(&self, start: i64, window_ms: i64) -> anyhow::Result<u64> {
        Ok(sqlx::query(
            "UPDATE mailbox_sync m SET next_due_at = $1 + s.rn * $2 / s.total \
             FROM (SELECT user_id, row_number() OVER (ORDER BY random()) - 1 AS rn, \
                   count(*) OVER () AS total FROM mailbox_sync) s \
             WHERE m.user_id = s.user_id",
        )
        .bind(start)
        .bind(window_ms)
        .execute(&self.pool)
        .await?
        .rows_affected())
    }

    /// The server's cumulative write figures now (the statistics lag commits by up to a
    /// second; the caller waits before reading).
    pub async fn server_figures(&self) -> anyhow::Result<ServerFigures> {
        let row = sqlx::query(
            "SELECT (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()) AS commits, \
             (SELECT coalesce(sum(n_tup_ins), 0)::bigint FROM pg_stat_user_tables WHERE relname <> 'bench_claims') AS inserted, \
             (SELECT coalesce(sum(n_tup_upd), 0)::bigint FROM pg_stat_user_tables WHERE relname <> 'bench_claims') AS updated, \
             pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint AS wal",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(ServerFigures {
            commits: row.try_get("commits")?,
            inserted: row.try_get("inserted")?,
            updated: row.try_get("updated")?,
            wal_bytes: row.try_get("wal")?,
        })
    }

    /// Fails unless the store is exact: every mailbox synced and idle with no failure,
    /// `per_folder` items in each of the folders that have any (`folders` of them per
    /// mailbox), and per organisation one `created` feed row per item, numbered without
    /// gaps, none repeated.
    pub async fn verify_exact(
        &self,
        mailboxes: i64,
        folders: i64,
        per_folder: &[(&str, i64)],
    ) -> anyhow::Result<()> {
        let row = sqlx::query(
            "SELECT count(*) AS n, count(*) FILTER (WHERE last_success_at IS NOT NULL \
             AND state = 'idle' AND failures = 0 AND lease_owner IS NULL) AS ok FROM mailbox_sync",
        )
        .fetch_one(&self.pool)
        .await?;
        let (n, ok): (i64, i64) = (row.try_get("n")?, row.try_get("ok")?);
        if n != mailboxes || ok != mailboxes {
            bail!("{ok} of {n} mailboxes are synced and idle, not all {mailboxes}");
        }
        let mut expected_items = 0;
        for &(folder, items) in per_folder {
            let wrong: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM (SELECT m.user_id, count(i.item_id) AS n FROM mailbox_sync m \
                 LEFT JOIN items i ON i.user_id = m.user_id AND i.folder = $1 \
                 GROUP BY m.user_id) s WHERE n <> $2",
            )
            .bind(folder)
            .bind(items)
            .fetch_one(&self.pool)
            .await?;
            if wrong > 0 {
                bail!("{wrong} mailboxes do not hold exactly {items} items in {folder}");
            }
            expected_items += items * mailboxes;
        }
        let states: i64 = sqlx::query_scalar("SELECT count(*) FROM folder_sync_states")
            .fetch_one(&self.pool)
            .await?;
        if states != mailboxes * folders {
            bail!("{states} folder SyncStates, not {}", mailboxes * folders);
        }
        let total: i64 = sqlx::query_scalar("SELECT count(*) FROM items")
            .fetch_one(&self.pool)
            .await?;
        if total != expected_items {
            bail!("the store holds {total} items, not {expected_items}");
        }
        let feed = sqlx::query(
            "SELECT count(*) AS n, count(*) FILTER (WHERE kind = 'created') AS created, \
             count(DISTINCT (org_id, user_id, item_id)) AS distinct_items FROM change_feed",
        )
        .fetch_one(&self.pool)
        .await?;
        let (rows, created, distinct): (i64, i64, i64) = (
            feed.try_get("n")?,
            feed.try_get("created")?,
            feed.try_get("distinct_items")?,
        );
        if rows != expected_items || created != rows || distinct != rows {
            bail!(
                "the feed holds {rows} rows ({created} created, {distinct} distinct items), \
                 not {expected_items} created rows, one per item"
            );
        }
        let gapped: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM (SELECT org_id FROM change_feed GROUP BY org_id \
             HAVING count(*) <> max(seq) OR min(seq) <> 1) s",
        )
        .fetch_one(&self.pool)
        .await?;
        if gapped > 0 {
            bail!("the feeds of {gapped} organisations have gaps in their numbering");
        }
        Ok(())
    }

    /// Closes the connection.
    pub async fn close(self) {
        self.pool.close().await;
    }
}
