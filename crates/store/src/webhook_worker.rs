//! [`WebhookWorker`]: the webhook deliverer's handle on the store.
//!
//! Like the [`SyncWorker`](crate::SyncWorker), it is Impersync itself working across
//! organisations, handed out only for a system principal. It claims due webhooks with a
//! lease (one write transaction; `FOR UPDATE SKIP LOCKED` on PostgreSQL, the single writer
//! on SQLite), reads each one's next batch of its own organisation's feed, and records the
//! attempt. Every write matches the webhook on (id, owner, unexpired lease), so a worker
//! whose lease expired or was taken over changes nothing.

use sqlx::Row;
use std::time::Duration;

use crate::change_feed::{ChangeFeed, FeedCursor, FeedPage};
use crate::db::{Backend, flag};
use crate::error::StoreError;
use crate::ids::{OrgId, WebhookId};
use crate::secrets::SecretString;
use crate::store::Store;
use crate::tenant::{Actor, Principal, Scope};
use crate::webhooks::{DeliveryAttempt, KEPT_ATTEMPTS, secret_context, secret_error};

/// A webhook claimed for delivery, with its decrypted secret. Never log the secret.
#[derive(Debug, Clone)]
pub struct WebhookLease {
    /// The webhook.
    pub id: WebhookId,
    /// Its organisation.
    pub org: OrgId,
    /// Where to POST.
    pub url: String,
    /// The signing secret.
    pub secret: SecretString,
    /// Whether the organisation is a lab (its email configuration says so).
    pub lab: bool,
    /// The cursor up to which the feed was delivered.
    pub delivered: FeedCursor,
    /// After a failed attempt, its batch's last change id: the retry sends the same batch.
    pub retry_through: Option<FeedCursor>,
    /// Failed attempts in a row before this one.
    pub failures: i64,
    /// The worker holding it.
    pub owner: String,
    /// When the lease ends (Unix ms).
    pub expires_at: i64,
}

/// What to write after an attempt.
#[derive(Debug, Clone)]
pub struct AttemptRecord {
    /// The attempt (its `attempt` number is assigned on write).
    pub attempt: DeliveryAttempt,
    /// When the webhook is due next (Unix ms): after a back-off if it failed, at once (the
    /// round's time) if it was delivered.
    pub next_attempt_at: i64,
}

macro_rules! claim_select {
    ($lock:literal) => {
        concat!(
            "SELECT w.id, w.org_id, w.url, w.secret_enc, w.delivered_seq, w.retry_through, w.failures, \
             (SELECT c.lab FROM email_configs c WHERE c.org_id = w.org_id) AS lab \
             FROM webhooks w \
             WHERE w.enabled = 1 AND w.next_attempt_at <= $1 \
             AND (w.lease_owner IS NULL OR w.lease_expires_at <= $1) \
             AND EXISTS (SELECT 1 FROM feed_counters f WHERE f.org_id = w.org_id AND f.last_seq > w.delivered_seq) \
             ORDER BY w.next_attempt_at, w.id LIMIT $2",
            $lock
        )
    };
}

/// The webhook deliverer's access to webhooks, their feeds and their attempts. Times are
/// Unix milliseconds given by the caller.
#[derive(Debug, Clone)]
pub struct WebhookWorker<'s> {
    store: &'s Store,
    principal: Principal,
}

impl<'s> WebhookWorker<'s> {
    /// The handle, for a system principal only ([`Principal::system`]).
    pub(crate) fn new(store: &'s Store, principal: &Principal) -> Result<Self, StoreError> {
        match principal.actor {
            Actor::System(_) => Ok(Self {
                store,
                principal: principal.clone(),
            }),
            Actor::Admin(_) => Err(StoreError::Forbidden(
                "only Impersync's own worker may deliver webhooks",
            )),
        }
    }

    /// Claims up to `limit` enabled webhooks that are due at `now` and have undelivered
    /// changes, for `lease_for`. Concurrent callers get disjoint webhooks.
    pub async fn claim_due(
        &self,
        owner: &str,
        limit: u32,
        lease_for: Duration,
        now: i64,
    ) -> Result<Vec<WebhookLease>, StoreError> {
        if owner.trim().is_empty() {
            return Err(StoreError::Invalid("owner: give the worker's name".into()));
        }
        let db = self.store.db();
        let secret_box = self.store.secret_box();
        let mut tx = db.begin_write().await?;
        let select = match db.backend {
            Backend::Postgres => claim_select!(" FOR UPDATE OF w SKIP LOCKED"),
            Backend::Sqlite => claim_select!(""),
        };
        let rows = sqlx::query(select)
            .bind(now)
            .bind(i64::from(limit))
            .fetch_all(&mut *tx)
            .await?;
        let expires_at = crate::leases::expiry(now, lease_for);
        let mut leases = Vec::with_capacity(rows.len());
        for row in &rows {
            let id = WebhookId::from_raw(row.try_get("id")?);
            let org = OrgId::from_raw(row.try_get("org_id")?);
            sqlx::query(
                "UPDATE webhooks SET lease_owner = $1, lease_expires_at = $2 WHERE id = $3",
            )
            .bind(owner)
            .bind(expires_at)
            .bind(id.get())
            .execute(&mut *tx)
            .await?;
            let secret = secret_box
                .open(
                    &row.try_get::<String, _>("secret_enc")?,
                    &secret_context(org, id),
                )
                .map_err(|e| secret_error(id, e))?;
            leases.push(WebhookLease {
                id,
                org,
                url: row.try_get("url")?,
                secret,
                lab: row.try_get::<Option<i64>, _>("lab")?.unwrap_or(0) != 0,
                delivered: FeedCursor(row.try_get("delivered_seq")?),
                retry_through: row
                    .try_get::<Option<i64>, _>("retry_through")?
                    .map(FeedCursor),
                failures: row.try_get("failures")?,
                owner: owner.to_string(),
                expires_at,
            });
        }
        tx.commit().await?;
        Ok(leases)
    }

    /// The next batch (up to `limit` rows) of the leased webhook's organisation's feed;
    /// after a failed attempt, the same rows again.
    pub async fn batch(&self, lease: &WebhookLease, limit: u32) -> Result<FeedPage, StoreError> {
        let scope = Scope {
            store: self.store,
            org: lease.org,
            principal: &self.principal,
        };
        let mut page = ChangeFeed::new(scope)
            .changes(lease.delivered, limit)
            .await?;
        if let Some(through) = lease.retry_through {
            page.changes.retain(|c| c.seq <= through.0);
            page.next_cursor = page
                .changes
                .last()
                .map_or(lease.delivered, |c| FeedCursor(c.seq));
        }
        Ok(page)
    }

    /// Records an attempt and ends the lease, if it is still held at `now`: a delivered
    /// batch moves the cursor to its last change and clears the failures; a failed one
    /// counts. Either way the webhook is due again at the record's `next_attempt_at`. Only
    /// the webhook's latest [`KEPT_ATTEMPTS`] attempts are kept.
    pub async fn record(
        &self,
        lease: &WebhookLease,
        record: &AttemptRecord,
        now: i64,
    ) -> Result<(), StoreError> {
        let a = &record.attempt;
        let mut tx = self.store.db().begin_write().await?;
        let held = sqlx::query(
            "UPDATE webhooks SET attempts = attempts + 1, lease_owner = NULL, lease_expires_at = NULL, \
             delivered_seq = CASE WHEN $1 = 1 THEN $2 ELSE delivered_seq END, \
             failures = CASE WHEN $1 = 1 THEN 0 ELSE failures + 1 END, \
             retry_through = CASE WHEN $1 = 1 THEN NULL ELSE $2 END, \
             next_attempt_at = $4, \
             last_error = $5 \
             WHERE id = $6 AND lease_owner = $7 AND lease_expires_at > $3",
        )
        .bind(flag(a.delivered))
        .bind(a.last_id.0)
        .bind(now)
        .bind(record.next_attempt_at)
        .bind(if a.delivered { None } else { a.error.clone() })
        .bind(lease.id.get())
        .bind(&lease.owner)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if held == 0 {
            return Err(lost(lease));
        }
        let attempt: i64 = sqlx::query("SELECT attempts FROM webhooks WHERE id = $1")
            .bind(lease.id.get())
            .fetch_one(&mut *tx)
            .await?
            .try_get("attempts")?;
        sqlx::query(
            "INSERT INTO webhook_deliveries (id, webhook_id, org_id, attempt, first_seq, last_seq, \
             attempted_at, http_status, error, duration_ms, delivered) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(a.id.get())
        .bind(lease.id.get())
        .bind(lease.org.get())
        .bind(attempt)
        .bind(a.first_id.0)
        .bind(a.last_id.0)
        .bind(a.attempted_at)
        .bind(a.http_status.map(i64::from))
        .bind(a.error.clone())
        .bind(a.duration_ms)
        .bind(flag(a.delivered))
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM webhook_deliveries WHERE webhook_id = $1 AND attempt <= $2")
            .bind(lease.id.get())
            .bind(attempt - i64::from(KEPT_ATTEMPTS))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Gives a webhook back without an attempt (nothing to send); it stays due.
    pub async fn release(&self, lease: &WebhookLease, now: i64) -> Result<(), StoreError> {
        let released = sqlx::query(
            "UPDATE webhooks SET lease_owner = NULL, lease_expires_at = NULL \
             WHERE id = $1 AND lease_owner = $2 AND lease_expires_at > $3",
        )
        .bind(lease.id.get())
        .bind(&lease.owner)
        .bind(now)
        .execute(&self.store.db().pool)
        .await?
        .rows_affected();
        if released == 0 {
            return Err(lost(lease));
        }
        Ok(())
    }
}

fn lost(lease: &WebhookLease) -> StoreError {
    StoreError::WebhookLeaseLost {
        webhook: lease.id,
        owner: lease.owner.clone(),
    }
}
