//! An organisation-wide stop of the worker's schedule, when its service account can no
//! longer sign in.

use crate::db::Db;
use crate::error::StoreError;
use crate::ids::OrgId;
use crate::mailboxes::{MailboxState, SyncFailure};

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
