//! The audit log: who did what, when, to which organisation. Details are JSON; values
//! under keys that name a secret (password, secret, token) are replaced before storing,
//! so a secret cannot end up here by mistake.

use serde::Serialize;
use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::{Page, PageRequest, now_millis};
use crate::error::StoreError;
use crate::ids::{AdminId, AuditId, OrgId};
use crate::store::{Conn, Store};
use crate::tenant::{Principal, Role, Scope};

/// One audit-log entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    /// The entry's id.
    pub id: AuditId,
    /// When, in Unix milliseconds.
    pub at: i64,
    /// The admin who acted, if an admin acted.
    pub actor_admin: Option<AdminId>,
    /// Who acted, as text: `admin:ID` or `system:NAME`.
    pub actor: String,
    /// The admin's username, if the account still exists.
    pub actor_username: Option<String>,
    /// What was done, e.g. `email_config.saved`.
    pub action: String,
    /// The organisation concerned, if any.
    pub org_id: Option<OrgId>,
    /// Details (never secrets).
    pub details: Value,
}

const REDACTED: &str = "[redacted]";

fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["password", "secret", "token", "credential"]
        .iter()
        .any(|w| key.contains(w))
}

/// Replaces secret-looking values (keeps the words "set" and "not set").
pub(crate) fn scrub(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let v = if is_secret_key(&k) {
                        match v {
                            Value::String(s) if s == "set" || s == "not set" => Value::String(s),
                            Value::Null | Value::Bool(_) => v,
                            _ => Value::String(REDACTED.into()),
                        }
                    } else {
                        scrub(v)
                    };
                    (k, v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(scrub).collect()),
        other => other,
    }
}

/// Writes an entry on a connection or in a transaction.
pub(crate) async fn insert(
    conn: &mut Conn,
    principal: &Principal,
    action: &str,
    org: Option<OrgId>,
    details: Value,
) -> Result<AuditId, StoreError> {
    let id = AuditId::generate();
    sqlx::query(
        "INSERT INTO audit_log (id, at, actor_admin_id, actor, action, org_id, details) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id.get())
    .bind(now_millis())
    .bind(principal.admin_id().map(AdminId::get))
    .bind(principal.label())
    .bind(action)
    .bind(org.map(OrgId::get))
    .bind(scrub(details).to_string())
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

fn entry_from_row(row: &AnyRow) -> Result<AuditEntry, StoreError> {
    let details: String = row.try_get("details")?;
    Ok(AuditEntry {
        id: AuditId::from_raw(row.try_get("id")?),
        at: row.try_get("at")?,
        actor_admin: row
            .try_get::<Option<i64>, _>("actor_admin_id")?
            .map(AdminId::from_raw),
        actor: row.try_get("actor")?,
        actor_username: row.try_get("username")?,
        action: row.try_get("action")?,
        org_id: row
            .try_get::<Option<i64>, _>("org_id")?
            .map(OrgId::from_raw),
        details: serde_json::from_str(&details).unwrap_or(Value::String(details)),
    })
}

/// One organisation's audit log.
#[derive(Debug, Clone, Copy)]
pub struct OrgAudit<'a> {
    scope: Scope<'a>,
}

impl<'a> OrgAudit<'a> {
    pub(crate) fn new(scope: Scope<'a>) -> Self {
        Self { scope }
    }

    /// Records an action on this organisation.
    pub async fn record(&self, action: &str, details: Value) -> Result<AuditId, StoreError> {
        let mut conn = self.scope.store.db().pool.acquire().await?;
        insert(
            &mut conn,
            self.scope.principal,
            action,
            Some(self.scope.org),
            details,
        )
        .await
    }

    /// The organisation's entries, newest first.
    pub async fn list(&self, page: PageRequest) -> Result<Page<AuditEntry>, StoreError> {
        let pool = &self.scope.store.db().pool;
        let total: i64 = sqlx::query("SELECT COUNT(*) AS n FROM audit_log WHERE org_id = $1")
            .bind(self.scope.org.get())
            .fetch_one(pool)
            .await?
            .try_get("n")?;
        let rows = sqlx::query(
            "SELECT a.id, a.at, a.actor_admin_id, a.actor, d.username, a.action, a.org_id, a.details \
             FROM audit_log a LEFT JOIN admins d ON d.id = a.actor_admin_id \
             WHERE a.org_id = $1 ORDER BY a.at DESC, a.id DESC LIMIT $2 OFFSET $3",
        )
        .bind(self.scope.org.get())
        .bind(page.sql_limit())
        .bind(page.sql_offset())
        .fetch_all(pool)
        .await?;
        let items = rows.iter().map(entry_from_row).collect::<Result<_, _>>()?;
        Ok(Page::new(items, total, page))
    }
}

/// The whole audit log, as one principal may see it.
#[derive(Debug, Clone, Copy)]
pub struct AuditLog<'a> {
    store: &'a Store,
    principal: &'a Principal,
}

impl<'a> AuditLog<'a> {
    pub(crate) fn new(store: &'a Store, principal: &'a Principal) -> Self {
        Self { store, principal }
    }

    /// Records an action. An org admin may only record actions on their own organisation.
    pub async fn record(
        &self,
        action: &str,
        org: Option<OrgId>,
        details: Value,
    ) -> Result<AuditId, StoreError> {
        if let Role::OrgAdmin(own) = self.principal.role
            && org != Some(own)
        {
            return Err(StoreError::NotFound("organisation"));
        }
        let mut conn = self.store.db().pool.acquire().await?;
        insert(&mut conn, self.principal, action, org, details).await
    }

    /// The entries the principal may see, newest first: all for an operator, their
    /// organisation's for an org admin.
    pub async fn list(&self, page: PageRequest) -> Result<Page<AuditEntry>, StoreError> {
        let pool = &self.store.db().pool;
        let only_org = self.principal.role.org().map(OrgId::get);
        let total: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM audit_log WHERE ($1 IS NULL OR org_id = $1)")
                .bind(only_org)
                .fetch_one(pool)
                .await?
                .try_get("n")?;
        let rows = sqlx::query(
            "SELECT a.id, a.at, a.actor_admin_id, a.actor, d.username, a.action, a.org_id, a.details \
             FROM audit_log a LEFT JOIN admins d ON d.id = a.actor_admin_id \
             WHERE ($1 IS NULL OR a.org_id = $1) ORDER BY a.at DESC, a.id DESC LIMIT $2 OFFSET $3",
        )
        .bind(only_org)
        .bind(page.sql_limit())
        .bind(page.sql_offset())
        .fetch_all(pool)
        .await?;
        let items = rows.iter().map(entry_from_row).collect::<Result<_, _>>()?;
        Ok(Page::new(items, total, page))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_removes_secret_values_but_keeps_statuses() {
        let v = serde_json::json!({
            "password": "hunter2",
            "refresh_token": "set",
            "nested": [{"client_secret": "abc", "name": "x"}],
            "ews_url": "https://mail.example/EWS/Exchange.asmx",
        });
        let s = scrub(v).to_string();
        assert!(!s.contains("hunter2") && !s.contains("abc"), "{s}");
        assert!(s.contains("\"refresh_token\":\"set\""));
        assert!(s.contains("mail.example"));
    }
}
