//! Activation: turning sync on (or off) for many users at once, all or nothing. A user
//! whose sync is turned on is due for sync at once.
//!
//! Activating a user whose last access check did not pass (or who was never checked)
//! needs `force`; without it the whole request is refused, naming those users, and
//! nothing changes.

use serde::Serialize;
use sqlx::Row;

use crate::audit;
use crate::check_runs::OUTCOME_OK;
use crate::db::{flag, get_flag, now_millis};
use crate::error::StoreError;
use crate::ids::UserId;
use crate::mailboxes::schedule_now;
use crate::tenant::Scope;
use crate::users::normalize_email;

/// Which users to activate or deactivate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserSelection {
    /// These addresses (each must be a user of the organisation).
    Emails(Vec<String>),
    /// Every user whose last access check passed.
    AllPassedLastCheck,
}

/// What an activation or deactivation changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ActivationReport {
    /// The users whose sync switch changed, by address.
    pub changed: Vec<String>,
    /// The selected users whose switch was already as asked.
    pub unchanged: Vec<String>,
    /// Activated although their last check did not pass (with `force`).
    pub forced: Vec<String>,
}

struct Selected {
    id: i64,
    email: String,
    sync_enabled: bool,
    passed: bool,
}

/// Turns sync on (`enable`) or off for the selected users in one transaction.
pub(crate) async fn set_sync(
    scope: Scope<'_>,
    selection: &UserSelection,
    enable: bool,
    force: bool,
) -> Result<ActivationReport, StoreError> {
    let mut tx = scope.store.db().begin_write().await?;
    let mut selected = Vec::new();
    match selection {
        UserSelection::Emails(emails) => {
            if emails.is_empty() {
                return Err(StoreError::Invalid(
                    "emails: give at least one address".into(),
                ));
            }
            let mut unknown = Vec::new();
            let mut seen = std::collections::HashSet::new();
            for raw in emails {
                let Ok(email) = normalize_email(raw) else {
                    unknown.push(raw.trim().to_string());
                    continue;
                };
                if !seen.insert(email.clone()) {
                    continue;
                }
                let row = sqlx::query(
                    "SELECT id, email, sync_enabled, last_check_outcome FROM users WHERE org_id = $1 AND email = $2",
                )
                .bind(scope.org.get())
                .bind(&email)
                .fetch_optional(&mut *tx)
                .await?;
                match row {
                    Some(row) => selected.push(selected_from_row(&row)?),
                    None => unknown.push(email),
                }
            }
            if !unknown.is_empty() {
                return Err(StoreError::UnknownUsers(unknown));
            }
        }
        UserSelection::AllPassedLastCheck => {
            let rows = sqlx::query(
                "SELECT id, email, sync_enabled, last_check_outcome FROM users \
                 WHERE org_id = $1 AND last_check_outcome = $2 ORDER BY email",
            )
            .bind(scope.org.get())
            .bind(OUTCOME_OK)
            .fetch_all(&mut *tx)
            .await?;
            for row in &rows {
                selected.push(selected_from_row(row)?);
            }
        }
    }
    let to_change: Vec<&Selected> = selected
        .iter()
        .filter(|s| s.sync_enabled != enable)
        .collect();
    let not_passed: Vec<String> = to_change
        .iter()
        .filter(|s| enable && !s.passed)
        .map(|s| s.email.clone())
        .collect();
    if !not_passed.is_empty() && !force {
        return Err(StoreError::NotPassedLastCheck(not_passed));
    }
    let now = now_millis();
    for s in &to_change {
        sqlx::query(
            "UPDATE users SET sync_enabled = $1, updated_at = $2 WHERE org_id = $3 AND id = $4",
        )
        .bind(flag(enable))
        .bind(now)
        .bind(scope.org.get())
        .bind(s.id)
        .execute(&mut *tx)
        .await?;
        if enable {
            schedule_now(&mut tx, scope.org, UserId::from_raw(s.id), now).await?;
        }
    }
    let report = ActivationReport {
        changed: to_change.iter().map(|s| s.email.clone()).collect(),
        unchanged: selected
            .iter()
            .filter(|s| s.sync_enabled == enable)
            .map(|s| s.email.clone())
            .collect(),
        forced: not_passed,
    };
    audit::insert(
        &mut tx,
        scope.principal,
        if enable {
            "users.activated"
        } else {
            "users.deactivated"
        },
        Some(scope.org),
        serde_json::json!({
            "selection": match selection {
                UserSelection::Emails(_) => "emails",
                UserSelection::AllPassedLastCheck => "all_passed_last_check",
            },
            "changed": report.changed.len(),
            "emails": report.changed.iter().take(100).collect::<Vec<_>>(),
            "forced": report.forced,
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(report)
}

fn selected_from_row(row: &sqlx::any::AnyRow) -> Result<Selected, StoreError> {
    Ok(Selected {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        sync_enabled: get_flag(row, "sync_enabled")?,
        passed: row
            .try_get::<Option<String>, _>("last_check_outcome")?
            .as_deref()
            == Some(OUTCOME_OK),
    })
}
