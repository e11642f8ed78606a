//! Sync monitoring reads: an organisation's mailboxes with their status and item counts per
//! folder, its mailbox counts by state, and the Impersync-wide figures a metrics scrape reads.
//! Only mailboxes of users with sync enabled count.

use std::collections::BTreeMap;

use serde::Serialize;
use sqlx::Row;

use crate::db::{Page, PageRequest};
use crate::error::StoreError;
use crate::ids::UserId;
use crate::leases;
use crate::mailboxes::{MailboxState, MailboxStatus, Mailboxes, status_from_row};
use crate::store::Store;
use crate::tenant::Principal;

/// How many mailboxes are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StateCounts {
    /// Waiting for their next due time.
    pub idle: u64,
    /// Held by a worker.
    pub syncing: u64,
    /// Retried later after a transient failure.
    pub backoff: u64,
    /// Waiting for an admin after a permanent failure.
    pub needs_attention: u64,
}

impl StateCounts {
    /// Every mailbox counted.
    pub fn total(&self) -> u64 {
        self.idle + self.syncing + self.backoff + self.needs_attention
    }

    /// The failing mailboxes: needing attention or backed off.
    pub fn failing(&self) -> u64 {
        self.backoff + self.needs_attention
    }

    /// The count of one state.
    pub fn get(&self, state: MailboxState) -> u64 {
        match state {
            MailboxState::Idle => self.idle,
            MailboxState::Syncing => self.syncing,
            MailboxState::Backoff => self.backoff,
            MailboxState::NeedsAttention => self.needs_attention,
        }
    }

    fn add(&mut self, state: MailboxState, n: u64) {
        let slot = match state {
            MailboxState::Idle => &mut self.idle,
            MailboxState::Syncing => &mut self.syncing,
            MailboxState::Backoff => &mut self.backoff,
            MailboxState::NeedsAttention => &mut self.needs_attention,
        };
        *slot += n;
    }
}

/// Every state, in the order monitoring shows them.
pub const ALL_STATES: [MailboxState; 4] = [
    MailboxState::Idle,
    MailboxState::Syncing,
    MailboxState::Backoff,
    MailboxState::NeedsAttention,
];

/// One mailbox as monitoring shows it: its user, sync status and item counts per folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MailboxEntry {
    /// The mailbox's address.
    pub email: String,
    /// The user's display name.
    pub display_name: String,
    /// The sync status.
    #[serde(flatten)]
    pub status: MailboxStatus,
    /// Synced items per folder (distinguished name).
    pub folders: BTreeMap<String, u64>,
}

/// Impersync-wide sync figures, read at scrape time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncGauges {
    /// Mailboxes per state, over every organisation.
    pub by_state: StateCounts,
    /// When the longest-waiting mailbox that is due but not claimed became due (Unix ms).
    pub oldest_due_at: Option<i64>,
}

/// The entries' query: `$1` org, `$2` state or NULL, `$3` user or NULL.
const ENTRIES: &str = "FROM mailbox_sync m JOIN users u ON u.id = m.user_id \
     WHERE m.org_id = $1 AND u.sync_enabled = 1 \
     AND ($2 IS NULL OR m.state = $2) AND ($3 IS NULL OR m.user_id = $3)";

impl Mailboxes<'_> {
    /// A page of the organisation's mailboxes (optionally in one state), by address.
    pub async fn list(
        &self,
        state: Option<MailboxState>,
        page: PageRequest,
    ) -> Result<Page<MailboxEntry>, StoreError> {
        let pool = &self.scope.store.db().pool;
        let state = state.map(MailboxState::as_str);
        let total: i64 = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) AS n {ENTRIES}"
        )))
        .bind(self.scope.org.get())
        .bind(state)
        .bind(None::<i64>)
        .fetch_one(pool)
        .await?
        .try_get("n")?;
        let entries = self.entries(state, None, page).await?;
        Ok(Page::new(entries, total, page))
    }

    /// One user's mailbox entry; `None` unless the user's sync is enabled and scheduled.
    pub async fn entry(&self, user: UserId) -> Result<Option<MailboxEntry>, StoreError> {
        let mut entries = self
            .entries(None, Some(user), PageRequest::new(0, 1))
            .await?;
        Ok(entries.pop())
    }

    /// How many of the organisation's mailboxes are in each state.
    pub async fn counts(&self) -> Result<StateCounts, StoreError> {
        let rows = sqlx::query(
            "SELECT m.state, COUNT(*) AS n FROM mailbox_sync m JOIN users u ON u.id = m.user_id \
             WHERE m.org_id = $1 AND u.sync_enabled = 1 GROUP BY m.state",
        )
        .bind(self.scope.org.get())
        .fetch_all(&self.scope.store.db().pool)
        .await?;
        state_counts(&rows)
    }

    async fn entries(
        &self,
        state: Option<&str>,
        user: Option<UserId>,
        page: PageRequest,
    ) -> Result<Vec<MailboxEntry>, StoreError> {
        let pool = &self.scope.store.db().pool;
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT m.user_id, m.state, m.next_due_at, m.failures, m.error_outcome, m.error_code, \
             m.error_message, m.error_remedy, m.last_success_at, m.lease_owner, \
             m.lease_expires_at, m.takeovers, u.email, u.display_name {ENTRIES} \
             ORDER BY u.email LIMIT $4 OFFSET $5"
        )))
        .bind(self.scope.org.get())
        .bind(state)
        .bind(user.map(UserId::get))
        .bind(page.sql_limit())
        .bind(page.sql_offset())
        .fetch_all(pool)
        .await?;
        let mut entries = Vec::with_capacity(rows.len());
        for row in &rows {
            entries.push(MailboxEntry {
                email: row.try_get("email")?,
                display_name: row.try_get("display_name")?,
                status: status_from_row(row)?,
                folders: BTreeMap::new(),
            });
        }
        if entries.is_empty() {
            return Ok(entries);
        }
        let users: Vec<String> = (0..entries.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT user_id, folder, COUNT(*) AS n FROM items WHERE org_id = $1 \
             AND user_id IN ({}) GROUP BY user_id, folder",
            users.join(", ")
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(self.scope.org.get());
        for entry in &entries {
            query = query.bind(entry.status.user.get());
        }
        let mut counts: BTreeMap<i64, BTreeMap<String, u64>> = BTreeMap::new();
        for row in query.fetch_all(pool).await? {
            let n: i64 = row.try_get("n")?;
            counts
                .entry(row.try_get("user_id")?)
                .or_default()
                .insert(row.try_get("folder")?, u64::try_from(n).unwrap_or(0));
        }
        for entry in &mut entries {
            entry.folders = counts.remove(&entry.status.user.get()).unwrap_or_default();
        }
        Ok(entries)
    }
}

fn state_counts(rows: &[sqlx::any::AnyRow]) -> Result<StateCounts, StoreError> {
    let mut counts = StateCounts::default();
    for row in rows {
        let state = MailboxState::from_stored(&row.try_get::<String, _>("state")?)?;
        let n: i64 = row.try_get("n")?;
        counts.add(state, u64::try_from(n).unwrap_or(0));
    }
    Ok(counts)
}

impl Store {
    /// The sync figures over every organisation at `now` (Unix ms), for operators and
    /// Impersync itself: mailboxes per state and the oldest due, unclaimed mailbox.
    pub async fn sync_gauges(
        &self,
        principal: &Principal,
        now: i64,
    ) -> Result<SyncGauges, StoreError> {
        principal.require_operator("only operators may read Impersync-wide sync figures")?;
        let pool = &self.db().pool;
        // The oldest due mailbox is read before the states: a claim turns a due, idle
        // mailbox into a syncing one, and a finish a syncing one into an idle one not due,
        // so in this order "every mailbox idle, none due" is never seen while one is claimed.
        let oldest_due_at = leases::oldest_waiting(self.db(), now).await?;
        let rows = sqlx::query(
            "SELECT m.state, COUNT(*) AS n FROM mailbox_sync m JOIN users u ON u.id = m.user_id \
             WHERE u.sync_enabled = 1 GROUP BY m.state",
        )
        .fetch_all(pool)
        .await?;
        Ok(SyncGauges {
            by_state: state_counts(&rows)?,
            oldest_due_at,
        })
    }
}
