//! An organisation's users: one mailbox each, with its sync switch and last check outcome.

use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::HashMap;

use crate::activation::{ActivationReport, UserSelection};
use crate::audit;
use crate::db::{Page, PageRequest, flag, get_flag, like_contains, now_millis};
use crate::error::{StoreError, conflict_on_unique, require_row};
use crate::ids::{CheckRunId, UserId};
use crate::orgs::valid_domain;
use crate::tenant::Scope;

/// A user (a mailbox) of an organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    /// Its id.
    pub id: UserId,
    /// The SMTP address, lower case; unique in the organisation.
    pub email: String,
    /// The display name (may be empty).
    pub display_name: String,
    /// Whether the sync engine keeps this mailbox in sync.
    pub sync_enabled: bool,
    /// The outcome of the last access check, if any.
    pub last_check: Option<LastCheck>,
    /// When the user was added (Unix milliseconds).
    pub created_at: i64,
    /// When the user was last changed (Unix milliseconds).
    pub updated_at: i64,
}

/// The last access-check outcome of a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastCheck {
    /// The outcome class name (`Ok`, `AuthFailed`, `ImpersonationDenied`, ...).
    pub outcome: String,
    /// The cause, as shown to an admin.
    pub detail: String,
    /// When (Unix milliseconds).
    pub at: i64,
    /// The check run it came from, if it came from a bulk run.
    pub run: Option<CheckRunId>,
}

/// A user as a check run sees it: the address to check and the last outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckTarget {
    /// The user.
    pub id: UserId,
    /// The SMTP address.
    pub email: String,
    /// The outcome of the last access check, if any.
    pub last_outcome: Option<String>,
}

/// A user to add.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct NewUser {
    /// The SMTP address.
    pub email: String,
    /// The display name.
    #[serde(default)]
    pub display_name: String,
    /// Whether to sync the mailbox.
    #[serde(default)]
    pub sync_enabled: bool,
}

/// Which users to list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct UserFilter {
    /// Only users whose address or display name contains this text (ignoring case).
    pub search: Option<String>,
    /// Only users with sync on (`true`) or off (`false`).
    pub sync_enabled: Option<bool>,
    /// Only users whose last check had this outcome.
    pub last_outcome: Option<String>,
}

/// One row of a user import (from a CSV file or a list of addresses).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ImportRow {
    /// The line in the source file, for the report.
    pub line: usize,
    /// The SMTP address.
    pub email: String,
    /// The display name.
    #[serde(default)]
    pub display_name: String,
    /// Whether to sync the mailbox.
    #[serde(default)]
    pub sync_enabled: bool,
}

/// What happened to one import row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum ImportOutcome {
    /// The user was added.
    Inserted {
        /// The new user's id.
        id: UserId,
    },
    /// The row is not valid; nothing was added for it.
    Invalid {
        /// Why.
        reason: String,
    },
    /// The same address is on an earlier line of the import.
    DuplicateInImport {
        /// The line where it first appears.
        first_line: usize,
    },
    /// The organisation already has a user with this address.
    AlreadyExists {
        /// The existing user.
        id: UserId,
    },
}

/// The result of one import row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportRowResult {
    /// The row's line.
    pub line: usize,
    /// The address as given.
    pub email: String,
    /// What happened.
    pub outcome: ImportOutcome,
}

/// The result of an import: one entry per row, in input order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Per-row results.
    pub rows: Vec<ImportRowResult>,
    /// How many users were added.
    pub inserted: usize,
    /// How many rows were refused.
    pub rejected: usize,
}

/// Checks an SMTP address and returns it in lower case.
pub fn normalize_email(email: &str) -> Result<String, String> {
    let e = email.trim();
    if e.is_empty() {
        return Err("the address is empty".into());
    }
    if e.len() > 254 {
        return Err("the address is longer than 254 characters".into());
    }
    let Some((local, domain)) = e.rsplit_once('@') else {
        return Err(format!("`{e}` is not an email address (no @)"));
    };
    if local.is_empty() || local.len() > 64 {
        return Err(format!("`{e}` has an empty or too long part before the @"));
    }
    if local.contains('@')
        || e.chars().any(|c| c.is_whitespace() || c.is_control())
        || local.starts_with('.')
        || local.ends_with('.')
        || local.contains("..")
        || local.chars().any(|c| {
            matches!(
                c,
                '<' | '>' | '(' | ')' | ',' | ';' | ':' | '\\' | '"' | '[' | ']'
            )
        })
    {
        return Err(format!("`{e}` is not an email address"));
    }
    let domain =
        valid_domain(domain).map_err(|_| format!("`{e}` has no valid domain after the @"))?;
    Ok(format!("{}@{domain}", local.to_lowercase()))
}

fn valid_display_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    if name.chars().count() > 256 {
        return Err("the display name is longer than 256 characters".into());
    }
    if name.chars().any(char::is_control) {
        return Err("the display name contains control characters".into());
    }
    Ok(name.to_string())
}

fn user_from_row(row: &AnyRow) -> Result<User, StoreError> {
    let outcome: Option<String> = row.try_get("last_check_outcome")?;
    Ok(User {
        id: UserId::from_raw(row.try_get("id")?),
        email: row.try_get("email")?,
        display_name: row.try_get("display_name")?,
        sync_enabled: get_flag(row, "sync_enabled")?,
        last_check: match outcome {
            Some(outcome) => Some(LastCheck {
                outcome,
                detail: row
                    .try_get::<Option<String>, _>("last_check_detail")?
                    .unwrap_or_default(),
                at: row.try_get::<Option<i64>, _>("last_check_at")?.unwrap_or(0),
                run: row
                    .try_get::<Option<i64>, _>("last_check_run_id")?
                    .map(CheckRunId::from_raw),
            }),
            None => None,
        },
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// One organisation's users.
#[derive(Debug, Clone, Copy)]
pub struct Users<'a> {
    scope: Scope<'a>,
}

impl<'a> Users<'a> {
    pub(crate) fn new(scope: Scope<'a>) -> Self {
        Self { scope }
    }

    /// Adds a user.
    pub async fn create(&self, new: NewUser) -> Result<User, StoreError> {
        let email = normalize_email(&new.email).map_err(StoreError::Invalid)?;
        let display_name = valid_display_name(&new.display_name).map_err(StoreError::Invalid)?;
        let now = now_millis();
        let user = User {
            id: UserId::generate(),
            email,
            display_name,
            sync_enabled: new.sync_enabled,
            last_check: None,
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.scope.store.db().begin_write().await?;
        insert_user(&mut tx, self.scope, &user)
            .await
            .map_err(conflict_on_unique(|| {
                format!("the organisation already has a user {}", user.email)
            }))?;
        audit::insert(
            &mut tx,
            self.scope.principal,
            "user.created",
            Some(self.scope.org),
            serde_json::json!({"user_id": user.id, "email": user.email, "sync_enabled": user.sync_enabled}),
        )
        .await?;
        tx.commit().await?;
        Ok(user)
    }

    /// One user.
    pub async fn get(&self, id: UserId) -> Result<User, StoreError> {
        let row = sqlx::query(
            "SELECT id, email, display_name, sync_enabled, last_check_outcome, last_check_detail, \
             last_check_at, last_check_run_id, created_at, updated_at FROM users WHERE org_id = $1 AND id = $2",
        )
        .bind(self.scope.org.get())
        .bind(id.get())
        .fetch_optional(&self.scope.store.db().pool)
        .await?
        .ok_or(StoreError::NotFound("user"))?;
        user_from_row(&row)
    }

    /// The user with this address (ignoring case), if any.
    pub async fn find_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        let Ok(email) = normalize_email(email) else {
            return Ok(None);
        };
        let row = sqlx::query(
            "SELECT id, email, display_name, sync_enabled, last_check_outcome, last_check_detail, \
             last_check_at, last_check_run_id, created_at, updated_at FROM users WHERE org_id = $1 AND email = $2",
        )
        .bind(self.scope.org.get())
        .bind(email)
        .fetch_optional(&self.scope.store.db().pool)
        .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// The user with this address; [`StoreError::NotFound`] if there is none.
    pub async fn get_by_email(&self, email: &str) -> Result<User, StoreError> {
        self.find_by_email(email)
            .await?
            .ok_or(StoreError::NotFound("user"))
    }

    /// A page of users, by address, with the total number that match the filter.
    pub async fn list(
        &self,
        filter: &UserFilter,
        page: PageRequest,
    ) -> Result<Page<User>, StoreError> {
        let pool = &self.scope.store.db().pool;
        let search = filter
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| like_contains(&s.to_lowercase()));
        let sync = filter.sync_enabled.map(flag);
        let outcome = filter.last_outcome.clone();
        let total: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM users WHERE org_id = $1 \
             AND ($2 IS NULL OR email LIKE $2 ESCAPE '\\' OR display_name_key LIKE $2 ESCAPE '\\') \
             AND ($3 IS NULL OR sync_enabled = $3) \
             AND ($4 IS NULL OR last_check_outcome = $4)",
        )
        .bind(self.scope.org.get())
        .bind(search.clone())
        .bind(sync)
        .bind(outcome.clone())
        .fetch_one(pool)
        .await?
        .try_get("n")?;
        let rows = sqlx::query(
            "SELECT id, email, display_name, sync_enabled, last_check_outcome, last_check_detail, \
             last_check_at, last_check_run_id, created_at, updated_at FROM users WHERE org_id = $1 \
             AND ($2 IS NULL OR email LIKE $2 ESCAPE '\\' OR display_name_key LIKE $2 ESCAPE '\\') \
             AND ($3 IS NULL OR sync_enabled = $3) \
             AND ($4 IS NULL OR last_check_outcome = $4) \
             ORDER BY email, id LIMIT $5 OFFSET $6",
        )
        .bind(self.scope.org.get())
        .bind(search)
        .bind(sync)
        .bind(outcome)
        .bind(page.sql_limit())
        .bind(page.sql_offset())
        .fetch_all(pool)
        .await?;
        let items = rows.iter().map(user_from_row).collect::<Result<_, _>>()?;
        Ok(Page::new(items, total, page))
    }

    /// Every user of the organisation as a check target, by address.
    pub async fn check_targets(&self) -> Result<Vec<CheckTarget>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, email, last_check_outcome FROM users WHERE org_id = $1 ORDER BY email",
        )
        .bind(self.scope.org.get())
        .fetch_all(&self.scope.store.db().pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CheckTarget {
                    id: UserId::from_raw(r.try_get("id")?),
                    email: r.try_get("email")?,
                    last_outcome: r.try_get("last_check_outcome")?,
                })
            })
            .collect()
    }

    /// How many users the organisation has.
    pub async fn count(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM users WHERE org_id = $1")
            .bind(self.scope.org.get())
            .fetch_one(&self.scope.store.db().pool)
            .await?
            .try_get("n")?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Adds many users at once. Every row gets a result: invalid rows, addresses repeated in
    /// the import and addresses the organisation already has are refused, and all other
    /// rows are added, in one transaction. If the database fails halfway, nothing is added
    /// and the error is returned.
    pub async fn import(&self, rows: Vec<ImportRow>) -> Result<ImportReport, StoreError> {
        let mut results: Vec<ImportRowResult> = Vec::with_capacity(rows.len());
        let mut candidates: Vec<(usize, User)> = Vec::new();
        let mut first_line: HashMap<String, usize> = HashMap::new();
        let now = now_millis();
        for row in rows {
            let checked = normalize_email(&row.email)
                .and_then(|email| valid_display_name(&row.display_name).map(|name| (email, name)));
            let outcome = match checked {
                Err(reason) => Some(ImportOutcome::Invalid { reason }),
                Ok((email, display_name)) => match first_line.get(&email) {
                    Some(&first) => Some(ImportOutcome::DuplicateInImport { first_line: first }),
                    None => {
                        first_line.insert(email.clone(), row.line);
                        candidates.push((
                            results.len(),
                            User {
                                id: UserId::generate(),
                                email,
                                display_name,
                                sync_enabled: row.sync_enabled,
                                last_check: None,
                                created_at: now,
                                updated_at: now,
                            },
                        ));
                        None
                    }
                },
            };
            results.push(ImportRowResult {
                line: row.line,
                email: row.email,
                // Filled in below for the candidates.
                outcome: outcome.unwrap_or(ImportOutcome::Invalid {
                    reason: String::new(),
                }),
            });
        }

        let mut tx = self.scope.store.db().begin_write().await?;
        for (index, user) in &candidates {
            let inserted = sqlx::query(
                "INSERT INTO users (id, org_id, email, display_name, display_name_key, sync_enabled, created_at, \
                 updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (org_id, email) DO NOTHING",
            )
            .bind(user.id.get())
            .bind(self.scope.org.get())
            .bind(&user.email)
            .bind(&user.display_name)
            .bind(user.display_name.to_lowercase())
            .bind(flag(user.sync_enabled))
            .bind(user.created_at)
            .bind(user.updated_at)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            results[*index].outcome = if inserted == 1 {
                ImportOutcome::Inserted { id: user.id }
            } else {
                let existing: i64 =
                    sqlx::query("SELECT id FROM users WHERE org_id = $1 AND email = $2")
                        .bind(self.scope.org.get())
                        .bind(&user.email)
                        .fetch_one(&mut *tx)
                        .await?
                        .try_get("id")?;
                ImportOutcome::AlreadyExists {
                    id: UserId::from_raw(existing),
                }
            };
        }
        let inserted = results
            .iter()
            .filter(|r| matches!(r.outcome, ImportOutcome::Inserted { .. }))
            .count();
        let report = ImportReport {
            inserted,
            rejected: results.len() - inserted,
            rows: results,
        };
        audit::insert(
            &mut tx,
            self.scope.principal,
            "users.imported",
            Some(self.scope.org),
            serde_json::json!({"rows": report.rows.len(), "inserted": report.inserted, "rejected": report.rejected}),
        )
        .await?;
        tx.commit().await?;
        Ok(report)
    }

    /// Turns sync on or off for a user; turning it on makes the mailbox due now.
    pub async fn set_sync_enabled(&self, id: UserId, enabled: bool) -> Result<User, StoreError> {
        let mut tx = self.scope.store.db().begin_write().await?;
        let changed = sqlx::query(
            "UPDATE users SET sync_enabled = $1, updated_at = $2 WHERE org_id = $3 AND id = $4",
        )
        .bind(flag(enabled))
        .bind(now_millis())
        .bind(self.scope.org.get())
        .bind(id.get())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        require_row(changed, "user")?;
        if enabled {
            crate::mailboxes::schedule_now(&mut tx, self.scope.org, id, now_millis()).await?;
        }
        audit::insert(
            &mut tx,
            self.scope.principal,
            if enabled {
                "user.sync_enabled"
            } else {
                "user.sync_disabled"
            },
            Some(self.scope.org),
            serde_json::json!({"user_id": id}),
        )
        .await?;
        tx.commit().await?;
        self.get(id).await
    }

    /// Turns sync on for the selected users, all or nothing. A user whose last access check
    /// did not pass (or who was never checked) needs `force`; without it the request is
    /// refused with [`StoreError::NotPassedLastCheck`] naming them. Unknown addresses give
    /// [`StoreError::UnknownUsers`].
    pub async fn activate(
        &self,
        selection: &UserSelection,
        force: bool,
    ) -> Result<ActivationReport, StoreError> {
        crate::activation::set_sync(self.scope, selection, true, force).await
    }

    /// Turns sync off for the selected users, all or nothing.
    pub async fn deactivate(
        &self,
        selection: &UserSelection,
    ) -> Result<ActivationReport, StoreError> {
        crate::activation::set_sync(self.scope, selection, false, false).await
    }

    /// Records the outcome of a single access check for a user.
    pub async fn record_check_outcome(
        &self,
        id: UserId,
        check: &LastCheck,
    ) -> Result<(), StoreError> {
        let changed = sqlx::query(
            "UPDATE users SET last_check_outcome = $1, last_check_detail = $2, last_check_at = $3, \
             last_check_run_id = $4 WHERE org_id = $5 AND id = $6",
        )
        .bind(&check.outcome)
        .bind(&check.detail)
        .bind(check.at)
        .bind(check.run.map(CheckRunId::get))
        .bind(self.scope.org.get())
        .bind(id.get())
        .execute(&self.scope.store.db().pool)
        .await?
        .rows_affected();
        require_row(changed, "user")?;
        Ok(())
    }

    /// Deletes a user (their check results keep the address).
    pub async fn delete(&self, id: UserId) -> Result<(), StoreError> {
        let mut tx = self.scope.store.db().begin_write().await?;
        let deleted = sqlx::query("DELETE FROM users WHERE org_id = $1 AND id = $2")
            .bind(self.scope.org.get())
            .bind(id.get())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        require_row(deleted, "user")?;
        audit::insert(
            &mut tx,
            self.scope.principal,
            "user.deleted",
            Some(self.scope.org),
            serde_json::json!({"user_id": id}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

async fn insert_user(
    conn: &mut crate::store::Conn,
    scope: Scope<'_>,
    user: &User,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO users (id, org_id, email, display_name, display_name_key, sync_enabled, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(user.id.get())
    .bind(scope.org.get())
    .bind(&user.email)
    .bind(&user.display_name)
    .bind(user.display_name.to_lowercase())
    .bind(flag(user.sync_enabled))
    .bind(user.created_at)
    .bind(user.updated_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_checked_and_lowered() {
        assert_eq!(
            normalize_email(" Alice@Contoso.COM ").unwrap(),
            "alice@contoso.com"
        );
        for bad in [
            "",
            "alice",
            "@contoso.com",
            "alice@",
            "a b@c.com",
            "a@b@c.com",
            "a@contoso",
            "a..b@c.com",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad}");
        }
    }
}
