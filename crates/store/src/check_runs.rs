//! Check runs: bulk access checks over an organisation's users, their progress and their
//! per-user results. At most one run per organisation is running at a time (a partial
//! unique index enforces it on both backends).

use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit;
use crate::db::{Page, PageRequest, now_millis};
use crate::error::{StoreError, is_unique_violation, require_row};
use crate::ids::{AdminId, CheckRunId, OrgId, UserId};
use crate::mailboxes;
use crate::store::Conn;
use crate::tenant::Scope;

/// The outcome name of a successful check.
pub const OUTCOME_OK: &str = "Ok";

/// Where a check run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckRunStatus {
    /// Still checking.
    Running,
    /// Every user was checked.
    Finished,
    /// Stopped by an admin.
    Cancelled,
    /// Stopped by an error.
    Failed,
}

impl CheckRunStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Finished => "finished",
            Self::Cancelled => "cancelled",
            Self::Failed => "failed",
        }
    }

    fn from_stored(s: &str) -> Result<Self, StoreError> {
        Ok(match s {
            "running" => Self::Running,
            "finished" => Self::Finished,
            "cancelled" => Self::Cancelled,
            "failed" => Self::Failed,
            other => {
                return Err(StoreError::Corrupt {
                    what: "check_runs.status",
                    value: other.into(),
                });
            }
        })
    }
}

/// A bulk access-check run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckRun {
    /// Its id.
    pub id: CheckRunId,
    /// The organisation.
    pub org_id: OrgId,
    /// Where it stands.
    pub status: CheckRunStatus,
    /// When it started (Unix milliseconds).
    pub started_at: i64,
    /// When it ended, if it has.
    pub finished_at: Option<i64>,
    /// The admin who started it, if an admin did.
    pub started_by: Option<AdminId>,
    /// How many users it will check.
    pub total: u64,
    /// How many it has checked.
    pub checked: u64,
    /// How many checks succeeded.
    pub ok: u64,
    /// How many checks failed.
    pub failed: u64,
    /// A note, e.g. why it failed.
    pub note: Option<String>,
    /// When its job last reported being alive (Unix milliseconds).
    pub heartbeat_at: Option<i64>,
}

/// One user's result, to add to a run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct NewCheckResult {
    /// The user, if the address belongs to one.
    pub user_id: Option<UserId>,
    /// The checked address.
    pub email: String,
    /// The outcome class name (`Ok`, `AuthFailed`, ...).
    pub outcome: String,
    /// The EWS or HTTP code, if any (`ErrorImpersonateUserDenied`, `HTTP 401`, ...).
    pub code: Option<String>,
    /// What happened.
    pub detail: String,
    /// What to do about it.
    pub remedy: String,
    /// How long the check took.
    pub duration_ms: u64,
    /// When it was checked (Unix milliseconds).
    pub checked_at: i64,
}

/// One user's stored result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckResult {
    /// The run.
    pub run_id: CheckRunId,
    /// The user, if they still exist.
    pub user_id: Option<UserId>,
    /// The checked address.
    pub email: String,
    /// The outcome class name.
    pub outcome: String,
    /// The EWS or HTTP code, if any.
    pub code: Option<String>,
    /// What happened.
    pub detail: String,
    /// What to do about it.
    pub remedy: String,
    /// How long the check took.
    pub duration_ms: u64,
    /// When it was checked (Unix milliseconds).
    pub checked_at: i64,
}

/// Results written by one statement (10 parameters each, well within both backends' limits).
const ROWS_PER_STATEMENT: usize = 100;

/// Inserts results (skipping addresses the run has); how many were inserted.
async fn insert_results(
    conn: &mut Conn,
    org: OrgId,
    run: CheckRunId,
    rows: &[(String, &NewCheckResult)],
) -> Result<u64, StoreError> {
    // $1 run, $2 org; then per row: email, user id, outcome, code, detail, remedy, ms, at.
    let values = (0..rows.len())
        .map(|r| {
            let p = |c: usize| format!("${}", 3 + r * 8 + c);
            format!(
                "($1, $2, {email}, COALESCE((SELECT id FROM users WHERE org_id = $2 AND id = {user}), \
                 (SELECT id FROM users WHERE org_id = $2 AND email = {email})), {}, {}, {}, {}, {}, {})",
                p(2),
                p(3),
                p(4),
                p(5),
                p(6),
                p(7),
                email = p(0),
                user = p(1),
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "INSERT INTO check_results (run_id, org_id, email, user_id, outcome, code, detail, remedy, duration_ms, checked_at) \
         VALUES {values} ON CONFLICT (run_id, email) DO NOTHING"
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(run.get())
        .bind(org.get());
    for (email, r) in rows {
        query = query
            .bind(email.clone())
            .bind(r.user_id.map(UserId::get))
            .bind(r.outcome.clone())
            .bind(r.code.clone())
            .bind(r.detail.clone())
            .bind(r.remedy.clone())
            .bind(i(r.duration_ms))
            .bind(r.checked_at);
    }
    Ok(query.execute(&mut *conn).await?.rows_affected())
}

/// Copies the run's stored results of these addresses into the users' last check.
async fn link_last_check(
    conn: &mut Conn,
    org: OrgId,
    run: CheckRunId,
    rows: &[(String, &NewCheckResult)],
) -> Result<(), StoreError> {
    // $1 run, $2 org, then the addresses.
    let emails: Vec<String> = (0..rows.len()).map(|n| format!("${}", 3 + n)).collect();
    let sql = format!(
        "UPDATE users SET last_check_outcome = r.outcome, last_check_detail = r.detail, \
         last_check_at = r.checked_at, last_check_run_id = r.run_id \
         FROM check_results r WHERE r.run_id = $1 AND r.org_id = $2 AND users.org_id = $2 \
         AND users.email = r.email AND r.email IN ({})",
        emails.join(", ")
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(run.get())
        .bind(org.get());
    for (email, _) in rows {
        query = query.bind(email.clone());
    }
    query.execute(&mut *conn).await?;
    Ok(())
}

/// A user whose outcome differs from the previous run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResultChange {
    /// The address.
    pub email: String,
    /// The outcome in the previous run (`None`: not checked then).
    pub before: Option<String>,
    /// The outcome in this run.
    pub after: String,
}

fn u(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

fn i(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn run_from_row(row: &AnyRow) -> Result<CheckRun, StoreError> {
    Ok(CheckRun {
        id: CheckRunId::from_raw(row.try_get("id")?),
        org_id: OrgId::from_raw(row.try_get("org_id")?),
        status: CheckRunStatus::from_stored(&row.try_get::<String, _>("status")?)?,
        started_at: row.try_get("started_at")?,
        finished_at: row.try_get("finished_at")?,
        started_by: row
            .try_get::<Option<i64>, _>("started_by")?
            .map(AdminId::from_raw),
        total: u(row.try_get("total")?),
        checked: u(row.try_get("checked")?),
        ok: u(row.try_get("ok")?),
        failed: u(row.try_get("failed")?),
        note: row.try_get("note")?,
        heartbeat_at: row.try_get("heartbeat_at")?,
    })
}

fn result_from_row(row: &AnyRow) -> Result<CheckResult, StoreError> {
    Ok(CheckResult {
        run_id: CheckRunId::from_raw(row.try_get("run_id")?),
        user_id: row
            .try_get::<Option<i64>, _>("user_id")?
            .map(UserId::from_raw),
        email: row.try_get("email")?,
        outcome: row.try_get("outcome")?,
        code: row.try_get("code")?,
        detail: row.try_get("detail")?,
        remedy: row.try_get("remedy")?,
        duration_ms: u(row.try_get("duration_ms")?),
        checked_at: row.try_get("checked_at")?,
    })
}

const RUN_COLUMNS_BY_ID: &str = "SELECT id, org_id, status, started_at, finished_at, started_by, total, checked, ok, \
     failed, note, heartbeat_at FROM check_runs WHERE org_id = $1 AND id = $2";

/// One organisation's check runs.
#[derive(Debug, Clone, Copy)]
pub struct CheckRuns<'a> {
    scope: Scope<'a>,
}

impl<'a> CheckRuns<'a> {
    pub(crate) fn new(scope: Scope<'a>) -> Self {
        Self { scope }
    }

    /// Starts a run over `total` users. Fails with [`StoreError::CheckRunAlreadyRunning`]
    /// while another run of the organisation is running.
    pub async fn start(&self, total: u64) -> Result<CheckRun, StoreError> {
        self.start_for(total, "unspecified").await
    }

    /// Starts a run over `total` users, recording in the audit log which users were
    /// selected (e.g. `all`, `emails`, `failed_last_time`); as [`CheckRuns::start`].
    pub async fn start_for(&self, total: u64, selection: &str) -> Result<CheckRun, StoreError> {
        let run = CheckRun {
            id: CheckRunId::generate(),
            org_id: self.scope.org,
            status: CheckRunStatus::Running,
            started_at: now_millis(),
            finished_at: None,
            started_by: self.scope.principal.admin_id(),
            total,
            checked: 0,
            ok: 0,
            failed: 0,
            note: None,
            heartbeat_at: None,
        };
        let run = CheckRun {
            heartbeat_at: Some(run.started_at),
            ..run
        };
        let mut tx = self.scope.store.db().begin_write().await?;
        let inserted = sqlx::query(
            "INSERT INTO check_runs (id, org_id, status, started_at, started_by, total, heartbeat_at) \
             VALUES ($1, $2, 'running', $3, $4, $5, $3)",
        )
        .bind(run.id.get())
        .bind(self.scope.org.get())
        .bind(run.started_at)
        .bind(run.started_by.map(AdminId::get))
        .bind(i(total))
        .execute(&mut *tx)
        .await;
        if let Err(e) = inserted {
            drop(tx);
            if is_unique_violation(&e)
                && let Some(running) = self.running().await?
            {
                return Err(StoreError::CheckRunAlreadyRunning {
                    org: self.scope.org,
                    running: running.id,
                });
            }
            return Err(e.into());
        }
        audit::insert(
            &mut tx,
            self.scope.principal,
            "check_run.started",
            Some(self.scope.org),
            serde_json::json!({"run_id": run.id, "total": total, "selection": selection}),
        )
        .await?;
        tx.commit().await?;
        Ok(run)
    }

    /// One run.
    pub async fn get(&self, id: CheckRunId) -> Result<CheckRun, StoreError> {
        let row = sqlx::query(RUN_COLUMNS_BY_ID)
            .bind(self.scope.org.get())
            .bind(id.get())
            .fetch_optional(&self.scope.store.db().pool)
            .await?
            .ok_or(StoreError::NotFound("check run"))?;
        run_from_row(&row)
    }

    /// The running run, if there is one.
    pub async fn running(&self) -> Result<Option<CheckRun>, StoreError> {
        let row = sqlx::query(
            "SELECT id, org_id, status, started_at, finished_at, started_by, total, checked, ok, failed, note, heartbeat_at \
             FROM check_runs WHERE org_id = $1 AND status = 'running'",
        )
        .bind(self.scope.org.get())
        .fetch_optional(&self.scope.store.db().pool)
        .await?;
        row.as_ref().map(run_from_row).transpose()
    }

    /// A page of runs, newest first.
    pub async fn list(&self, page: PageRequest) -> Result<Page<CheckRun>, StoreError> {
        let pool = &self.scope.store.db().pool;
        let total: i64 = sqlx::query("SELECT COUNT(*) AS n FROM check_runs WHERE org_id = $1")
            .bind(self.scope.org.get())
            .fetch_one(pool)
            .await?
            .try_get("n")?;
        let rows = sqlx::query(
            "SELECT id, org_id, status, started_at, finished_at, started_by, total, checked, ok, failed, note, heartbeat_at \
             FROM check_runs WHERE org_id = $1 ORDER BY started_at DESC, id DESC LIMIT $2 OFFSET $3",
        )
        .bind(self.scope.org.get())
        .bind(page.sql_limit())
        .bind(page.sql_offset())
        .fetch_all(pool)
        .await?;
        let items = rows.iter().map(run_from_row).collect::<Result<_, _>>()?;
        Ok(Page::new(items, total, page))
    }

    /// Changes how many users the run will check (e.g. once the user list is known).
    pub async fn set_total(&self, id: CheckRunId, total: u64) -> Result<(), StoreError> {
        let changed = sqlx::query("UPDATE check_runs SET total = $1 WHERE org_id = $2 AND id = $3")
            .bind(i(total))
            .bind(self.scope.org.get())
            .bind(id.get())
            .execute(&self.scope.store.db().pool)
            .await?
            .rows_affected();
        require_row(changed, "check run")?;
        Ok(())
    }

    /// Adds a batch of results to a running run, in one transaction: the results, the
    /// run's progress counters, and each user's last check outcome. A result is linked to
    /// the organisation's user with its `user_id`, or else with its address. A result for an address
    /// the run already has is skipped (so a resumed run can resend a batch). Returns how
    /// many results were added. Rows are written many to a statement. A user who passes
    /// and whose mailbox needs attention is due for sync at once.
    pub async fn add_results(
        &self,
        id: CheckRunId,
        results: &[NewCheckResult],
    ) -> Result<u64, StoreError> {
        let mut tx = self.scope.store.db().begin_write().await?;
        let row = sqlx::query("SELECT status FROM check_runs WHERE org_id = $1 AND id = $2")
            .bind(self.scope.org.get())
            .bind(id.get())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound("check run"))?;
        if CheckRunStatus::from_stored(&row.try_get::<String, _>("status")?)?
            != CheckRunStatus::Running
        {
            return Err(StoreError::CheckRunNotRunning(id));
        }
        let mut seen = std::collections::HashSet::new();
        let unique: Vec<(String, &NewCheckResult)> = results
            .iter()
            .map(|r| (r.email.trim().to_lowercase(), r))
            .filter(|(email, _)| seen.insert(email.clone()))
            .collect();
        let mut added = 0u64;
        for chunk in unique.chunks(ROWS_PER_STATEMENT) {
            added += insert_results(&mut tx, self.scope.org, id, chunk).await?;
            link_last_check(&mut tx, self.scope.org, id, chunk).await?;
            let emails: Vec<String> = chunk.iter().map(|(e, _)| e.clone()).collect();
            mailboxes::resume_passed(&mut tx, self.scope.org, id, &emails, now_millis()).await?;
        }
        sqlx::query(
            "UPDATE check_runs SET \
             checked = (SELECT COUNT(*) FROM check_results WHERE run_id = $1), \
             ok = (SELECT COUNT(*) FROM check_results WHERE run_id = $1 AND outcome = $3), \
             failed = (SELECT COUNT(*) FROM check_results WHERE run_id = $1 AND outcome <> $3), \
             heartbeat_at = $4 WHERE id = $1 AND org_id = $2",
        )
        .bind(id.get())
        .bind(self.scope.org.get())
        .bind(OUTCOME_OK)
        .bind(now_millis())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(added)
    }

    /// Records that the job of a running run is alive (see [`CheckRuns::fail_stale`]).
    pub async fn heartbeat(&self, id: CheckRunId) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE check_runs SET heartbeat_at = $1 WHERE org_id = $2 AND id = $3 AND status = 'running'",
        )
        .bind(now_millis())
        .bind(self.scope.org.get())
        .bind(id.get())
        .execute(&self.scope.store.db().pool)
        .await?;
        Ok(())
    }

    /// Ends the organisation's running run as failed ("interrupted") when its job has not
    /// written a heartbeat for `stale_after_ms` (its process died). Returns that run.
    pub async fn fail_stale(&self, stale_after_ms: u64) -> Result<Option<CheckRun>, StoreError> {
        let Some(running) = self.running().await? else {
            return Ok(None);
        };
        let now = now_millis();
        let last_sign = running.heartbeat_at.unwrap_or(running.started_at);
        if last_sign >= now.saturating_sub(i(stale_after_ms)) {
            return Ok(None);
        }
        let mut tx = self.scope.store.db().begin_write().await?;
        let note = format!(
            "interrupted: the job stopped reporting progress (no heartbeat for {} s); start a new run",
            stale_after_ms / 1000
        );
        let changed = sqlx::query(
            "UPDATE check_runs SET status = 'failed', finished_at = $1, note = $2 \
             WHERE org_id = $3 AND id = $4 AND status = 'running' AND COALESCE(heartbeat_at, started_at) < $5",
        )
        .bind(now)
        .bind(&note)
        .bind(self.scope.org.get())
        .bind(running.id.get())
        .bind(now.saturating_sub(i(stale_after_ms)))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Ok(None);
        }
        audit::insert(
            &mut tx,
            self.scope.principal,
            "check_run.interrupted",
            Some(self.scope.org),
            serde_json::json!({"run_id": running.id, "checked": running.checked, "total": running.total}),
        )
        .await?;
        tx.commit().await?;
        self.get(running.id).await.map(Some)
    }

    /// Ends a running run with `status` (not `Running`) and an optional note.
    pub async fn finish(
        &self,
        id: CheckRunId,
        status: CheckRunStatus,
        note: Option<&str>,
    ) -> Result<CheckRun, StoreError> {
        if status == CheckRunStatus::Running {
            return Err(StoreError::Invalid(
                "a run cannot be finished as running".into(),
            ));
        }
        let mut tx = self.scope.store.db().begin_write().await?;
        let changed = sqlx::query(
            "UPDATE check_runs SET status = $1, finished_at = $2, note = $3 \
             WHERE org_id = $4 AND id = $5 AND status = 'running'",
        )
        .bind(status.as_str())
        .bind(now_millis())
        .bind(note)
        .bind(self.scope.org.get())
        .bind(id.get())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            drop(tx);
            // Tell "no such run" from "already finished".
            self.get(id).await?;
            return Err(StoreError::CheckRunNotRunning(id));
        }
        audit::insert(
            &mut tx,
            self.scope.principal,
            "check_run.finished",
            Some(self.scope.org),
            serde_json::json!({"run_id": id, "status": status.as_str()}),
        )
        .await?;
        tx.commit().await?;
        self.get(id).await
    }

    /// A page of a run's results by address, optionally only those with `outcome`.
    pub async fn results(
        &self,
        id: CheckRunId,
        outcome: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<CheckResult>, StoreError> {
        self.get(id).await?;
        let pool = &self.scope.store.db().pool;
        let total: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM check_results WHERE org_id = $1 AND run_id = $2 AND ($3 IS NULL OR outcome = $3)",
        )
        .bind(self.scope.org.get())
        .bind(id.get())
        .bind(outcome)
        .fetch_one(pool)
        .await?
        .try_get("n")?;
        let rows = sqlx::query(
            "SELECT run_id, user_id, email, outcome, code, detail, remedy, duration_ms, checked_at FROM check_results \
             WHERE org_id = $1 AND run_id = $2 AND ($3 IS NULL OR outcome = $3) \
             ORDER BY email LIMIT $4 OFFSET $5",
        )
        .bind(self.scope.org.get())
        .bind(id.get())
        .bind(outcome)
        .bind(page.sql_limit())
        .bind(page.sql_offset())
        .fetch_all(pool)
        .await?;
        let items = rows.iter().map(result_from_row).collect::<Result<_, _>>()?;
        Ok(Page::new(items, total, page))
    }

    /// How many results a run has per outcome, most frequent first.
    pub async fn outcome_counts(&self, id: CheckRunId) -> Result<Vec<(String, u64)>, StoreError> {
        self.get(id).await?;
        let rows = sqlx::query(
            "SELECT outcome, COUNT(*) AS n FROM check_results WHERE org_id = $1 AND run_id = $2 \
             GROUP BY outcome ORDER BY n DESC, outcome",
        )
        .bind(self.scope.org.get())
        .bind(id.get())
        .fetch_all(&self.scope.store.db().pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("outcome")?, u(r.try_get("n")?))))
            .collect()
    }

    /// The addresses a run has already checked (to resume it without checking them again).
    pub async fn checked_emails(&self, id: CheckRunId) -> Result<Vec<String>, StoreError> {
        self.get(id).await?;
        let rows = sqlx::query(
            "SELECT email FROM check_results WHERE org_id = $1 AND run_id = $2 ORDER BY email",
        )
        .bind(self.scope.org.get())
        .bind(id.get())
        .fetch_all(&self.scope.store.db().pool)
        .await?;
        rows.iter().map(|r| Ok(r.try_get("email")?)).collect()
    }

    /// The run before `id` that is not running (the one to compare with), if any.
    pub async fn previous(&self, id: CheckRunId) -> Result<Option<CheckRun>, StoreError> {
        let run = self.get(id).await?;
        let row = sqlx::query(
            "SELECT id, org_id, status, started_at, finished_at, started_by, total, checked, ok, failed, note, heartbeat_at \
             FROM check_runs WHERE org_id = $1 AND id <> $2 AND status <> 'running' \
             AND (started_at < $3 OR (started_at = $3 AND id < $2)) \
             ORDER BY started_at DESC, id DESC LIMIT 1",
        )
        .bind(self.scope.org.get())
        .bind(id.get())
        .bind(run.started_at)
        .fetch_optional(&self.scope.store.db().pool)
        .await?;
        row.as_ref().map(run_from_row).transpose()
    }

    /// The users whose outcome in run `id` differs from the previous run's, by address.
    pub async fn changes_since_previous(
        &self,
        id: CheckRunId,
    ) -> Result<Vec<ResultChange>, StoreError> {
        let previous = self.previous(id).await?.map(|p| p.id.get());
        let rows = sqlx::query(
            "SELECT c.email, p.outcome AS before_outcome, c.outcome AS after_outcome \
             FROM check_results c LEFT JOIN check_results p ON p.run_id = $3 AND p.email = c.email \
             WHERE c.org_id = $1 AND c.run_id = $2 AND (p.outcome IS NULL OR p.outcome <> c.outcome) \
             ORDER BY c.email",
        )
        .bind(self.scope.org.get())
        .bind(id.get())
        .bind(previous)
        .fetch_all(&self.scope.store.db().pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ResultChange {
                    email: r.try_get("email")?,
                    before: r.try_get("before_outcome")?,
                    after: r.try_get("after_outcome")?,
                })
            })
            .collect()
    }
}
