//! The worker's schedule across organisations: when the next mailbox falls due, and an
//! organisation-wide stop when its service account can no longer sign in.

use sqlx::Row;

use crate::db::Db;
use crate::error::StoreError;
use crate::ids::OrgId;
use crate::mailboxes::{MailboxState, SyncFailure};

/// When the next claimable mailbox is due (Unix ms): the earliest due time of the mailboxes
/// a claim could take (configuration saved, sync enabled), a held lease counting from its
/// expiry. `None` when nothing is scheduled.
pub(crate) async fn next_due_at(db: &Db) -> Result<Option<i64>, StoreError> {
    let row = sqlx::query(
        "SELECT MIN(CASE WHEN m.lease_owner IS NOT NULL AND m.lease_expires_at > m.next_due_at \
         THEN m.lease_expires_at ELSE m.next_due_at END) AS due FROM mailbox_sync m \
         JOIN users u ON u.id = m.user_id \
         JOIN email_configs c ON c.org_id = m.org_id \
         WHERE m.next_due_at IS NOT NULL AND u.sync_enabled = 1 AND c.saved = 1",
    )
    .fetch_one(&db.pool)
    .await?;
    Ok(row.try_get("due")?)
}

/// Puts every mailbox of `org` into needs attention with `failure`, not due until the
/// configuration is saved again, a check passes or someone asks; ends every lease on them,
/// so the workers syncing them stop without writing. Returns how many mailboxes.
pub(crate) async fn org_needs_attention(
    db: &Db,
    org: OrgId,
    failure: &SyncFailure,
    now: i64,
) -> Result<u64, StoreError> {
    Ok(sqlx::query(
        "UPDATE mailbox_sync SET state = $1, failures = failures + 1, error_outcome = $2, \
         error_code = $3, error_message = $4, error_remedy = $5, next_due_at = NULL, \
         lease_owner = NULL, lease_expires_at = NULL, updated_at = $6 WHERE org_id = $7",
    )
    .bind(MailboxState::NeedsAttention.as_str())
    .bind(failure.outcome.clone())
    .bind(failure.code.clone())
    .bind(failure.message.clone())
    .bind(failure.remedy.clone())
    .bind(now)
    .bind(org.get())
    .execute(&db.pool)
    .await?
    .rows_affected())
}
