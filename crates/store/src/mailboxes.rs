//! Mailbox sync status: each activated user's schedule, lease and last outcome.
//!
//! Admins read a status and ask for "sync now" through [`OrgStore::mailboxes`](crate::OrgStore::mailboxes);
//! the sync worker claims and finishes leases through [`SyncWorker`](crate::SyncWorker).

use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::check_runs::OUTCOME_OK;
use crate::db::now_millis;
use crate::error::StoreError;
use crate::ids::{CheckRunId, OrgId, UserId};
use crate::store::Conn;
use crate::tenant::Scope;

/// Where a mailbox's sync stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailboxState {
    /// Waiting for its next due time.
    Idle,
    /// A worker holds its lease.
    Syncing,
    /// The last sync failed in a way an admin must fix; not scheduled until then.
    NeedsAttention,
    /// The last sync failed; it is retried later.
    Backoff,
}

impl MailboxState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::Syncing => "syncing",
            Self::NeedsAttention => "needs_attention",
            Self::Backoff => "backoff",
        }
    }

    pub(crate) fn from_stored(value: &str) -> Result<Self, StoreError> {
        Ok(match value {
            "idle" => Self::Idle,
            "syncing" => Self::Syncing,
            "needs_attention" => Self::NeedsAttention,
            "backoff" => Self::Backoff,
            other => {
                return Err(StoreError::Corrupt {
                    what: "mailbox_sync.state",
                    value: other.to_string(),
                });
            }
        })
    }
}

/// Why a sync failed: its outcome class, code, message and remedy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncFailure {
    /// The outcome class (as for access checks), e.g. `ImpersonationDenied`.
    pub outcome: String,
    /// The EWS or HTTP code, if any.
    pub code: Option<String>,
    /// What happened.
    pub message: String,
    /// What to do about it.
    pub remedy: String,
}

/// One mailbox's sync status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MailboxStatus {
    /// The mailbox's user.
    pub user: UserId,
    /// Where its sync stands.
    pub state: MailboxState,
    /// When it is due next (Unix ms); `None` when not scheduled.
    pub next_due_at: Option<i64>,
    /// Failed syncs since the last success.
    pub failures: i64,
    /// The last failure, until a sync succeeds; after a success, what that sync could not
    /// do (a configured folder the mailbox lacks), if anything.
    pub last_error: Option<SyncFailure>,
    /// When a sync last succeeded (Unix ms).
    pub last_success_at: Option<i64>,
    /// The worker holding the lease, if any.
    pub lease_owner: Option<String>,
    /// When that lease expires (Unix ms).
    pub lease_expires_at: Option<i64>,
    /// How many times an expired lease on it was taken over.
    pub takeovers: i64,
}

/// A worker's lease on one mailbox, as handed out by [`SyncWorker::claim_due`](crate::SyncWorker::claim_due).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The mailbox's organisation.
    pub org: OrgId,
    /// The mailbox's user.
    pub user: UserId,
    /// The mailbox's address.
    pub email: String,
    /// The worker holding it.
    pub owner: String,
    /// When it expires (Unix ms) unless renewed.
    pub expires_at: i64,
    /// Whether it was taken over from a worker whose lease had expired.
    pub taken_over: bool,
}

/// The mailboxes' sync status of one organisation, for admins.
#[derive(Debug, Clone, Copy)]
pub struct Mailboxes<'a> {
    pub(crate) scope: Scope<'a>,
}

impl<'a> Mailboxes<'a> {
    pub(crate) fn new(scope: Scope<'a>) -> Self {
        Self { scope }
    }

    /// Makes the user's mailbox due now ("sync now"); it keeps any lease a worker holds.
    pub async fn sync_now(&self, user: UserId) -> Result<(), StoreError> {
        let mut conn = self.scope.store.db().pool.acquire().await?;
        if schedule_now(&mut conn, self.scope.org, user, now_millis()).await? == 0 {
            return Err(StoreError::NotFound("user"));
        }
        Ok(())
    }

    /// The user's sync status; `None` if the mailbox was never scheduled.
    pub async fn status(&self, user: UserId) -> Result<Option<MailboxStatus>, StoreError> {
        let row = sqlx::query(
            "SELECT user_id, state, next_due_at, failures, error_outcome, error_code, error_message, \
             error_remedy, last_success_at, lease_owner, lease_expires_at, takeovers \
             FROM mailbox_sync WHERE org_id = $1 AND user_id = $2",
        )
        .bind(self.scope.org.get())
        .bind(user.get())
        .fetch_optional(&self.scope.store.db().pool)
        .await?;
        row.as_ref().map(status_from_row).transpose()
    }
}

/// Makes a user of `org` due at `at`; the number of rows written (0: no such user).
pub(crate) async fn schedule_now(
    conn: &mut Conn,
    org: OrgId,
    user: UserId,
    at: i64,
) -> Result<u64, StoreError> {
    Ok(sqlx::query(
        "INSERT INTO mailbox_sync (user_id, org_id, next_due_at, updated_at) \
         SELECT id, org_id, $1, $1 FROM users WHERE org_id = $2 AND id = $3 \
         ON CONFLICT (user_id) DO UPDATE SET next_due_at = excluded.next_due_at, \
         updated_at = excluded.updated_at",
    )
    .bind(at)
    .bind(org.get())
    .bind(user.get())
    .execute(&mut *conn)
    .await?
    .rows_affected())
}

/// Makes the mailboxes of `org` that need attention or back off due at `at` (their
/// configuration changed, so it may work now); how many.
pub(crate) async fn resume_org(conn: &mut Conn, org: OrgId, at: i64) -> Result<u64, StoreError> {
    Ok(sqlx::query(
        "UPDATE mailbox_sync SET next_due_at = $1, updated_at = $1 \
         WHERE org_id = $2 AND state IN ('needs_attention', 'backoff')",
    )
    .bind(at)
    .bind(org.get())
    .execute(&mut *conn)
    .await?
    .rows_affected())
}

/// Makes the mailboxes of `org` that need attention due at `at` when their user passed
/// the access check of `run` (one of `emails`); how many.
pub(crate) async fn resume_passed(
    conn: &mut Conn,
    org: OrgId,
    run: CheckRunId,
    emails: &[String],
    at: i64,
) -> Result<u64, StoreError> {
    if emails.is_empty() {
        return Ok(0);
    }
    // $1 at, $2 org, $3 run, $4 the passing outcome, then the addresses.
    let list: Vec<String> = (0..emails.len()).map(|n| format!("${}", 5 + n)).collect();
    let sql = format!(
        "UPDATE mailbox_sync SET next_due_at = $1, updated_at = $1 \
         WHERE org_id = $2 AND state = 'needs_attention' AND user_id IN \
         (SELECT user_id FROM check_results WHERE run_id = $3 AND org_id = $2 AND outcome = $4 \
         AND user_id IS NOT NULL AND email IN ({}))",
        list.join(", ")
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(at)
        .bind(org.get())
        .bind(run.get())
        .bind(OUTCOME_OK);
    for email in emails {
        query = query.bind(email.clone());
    }
    Ok(query.execute(&mut *conn).await?.rows_affected())
}

/// The failure stored in a row's `error_outcome`, `error_code`, `error_message` and
/// `error_remedy` columns, if any.
pub(crate) fn failure_from_row(row: &AnyRow) -> Result<Option<SyncFailure>, StoreError> {
    let Some(outcome) = row.try_get::<Option<String>, _>("error_outcome")? else {
        return Ok(None);
    };
    Ok(Some(SyncFailure {
        outcome,
        code: row.try_get("error_code")?,
        message: row
            .try_get::<Option<String>, _>("error_message")?
            .unwrap_or_default(),
        remedy: row
            .try_get::<Option<String>, _>("error_remedy")?
            .unwrap_or_default(),
    }))
}

pub(crate) fn status_from_row(row: &AnyRow) -> Result<MailboxStatus, StoreError> {
    let last_error = failure_from_row(row)?;
    Ok(MailboxStatus {
        user: UserId::from_raw(row.try_get("user_id")?),
        state: MailboxState::from_stored(&row.try_get::<String, _>("state")?)?,
        next_due_at: row.try_get("next_due_at")?,
        failures: row.try_get("failures")?,
        last_error,
        last_success_at: row.try_get("last_success_at")?,
        lease_owner: row.try_get("lease_owner")?,
        lease_expires_at: row.try_get("lease_expires_at")?,
        takeovers: row.try_get("takeovers")?,
    })
}
