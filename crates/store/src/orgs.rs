//! Organisations (tenants): name and mail domains.

use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit;
use crate::db::{Page, PageRequest, now_millis};
use crate::error::{StoreError, conflict_on_unique, require_row};
use crate::ids::OrgId;
use crate::store::Store;
use crate::tenant::{OrgStore, Principal, Role, Scope};

/// An organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Organisation {
    /// Its id.
    pub id: OrgId,
    /// Its display name (unique, ignoring case).
    pub name: String,
    /// Its mail domains, lower case.
    pub domains: Vec<String>,
    /// When it was created (Unix milliseconds).
    pub created_at: i64,
    /// When it was last changed (Unix milliseconds).
    pub updated_at: i64,
}

/// A new organisation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct NewOrganisation {
    /// Display name.
    pub name: String,
    /// Mail domains.
    #[serde(default)]
    pub domains: Vec<String>,
}

/// Changes to an organisation; `None` keeps a field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct OrganisationUpdate {
    /// A new name.
    pub name: Option<String>,
    /// New domains (replacing the old list).
    pub domains: Option<Vec<String>>,
}

fn valid_name(name: &str) -> Result<String, StoreError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(StoreError::Invalid("the organisation name is empty".into()));
    }
    if name.chars().count() > 200 {
        return Err(StoreError::Invalid(
            "the organisation name is longer than 200 characters".into(),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(StoreError::Invalid(
            "the organisation name contains control characters".into(),
        ));
    }
    Ok(name.to_string())
}

/// Checks a mail domain and returns it in lower case.
pub(crate) fn valid_domain(domain: &str) -> Result<String, String> {
    let d = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    let ok = !d.is_empty()
        && d.len() <= 253
        && d.contains('.')
        && d.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if ok {
        Ok(d)
    } else {
        Err(format!(
            "`{domain}` is not a domain name (like contoso.com)"
        ))
    }
}

fn valid_domains(domains: &[String]) -> Result<Vec<String>, StoreError> {
    let mut out: Vec<String> = Vec::new();
    for d in domains {
        let d = valid_domain(d).map_err(StoreError::Invalid)?;
        if !out.contains(&d) {
            out.push(d);
        }
    }
    Ok(out)
}

fn org_from_row(row: &AnyRow) -> Result<Organisation, StoreError> {
    let domains: String = row.try_get("domains")?;
    Ok(Organisation {
        id: OrgId::from_raw(row.try_get("id")?),
        name: row.try_get("name")?,
        domains: serde_json::from_str(&domains).map_err(|_| StoreError::Corrupt {
            what: "organisations.domains",
            value: domains.clone(),
        })?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

const SELECT_ORG: &str =
    "SELECT id, name, domains, created_at, updated_at FROM organisations WHERE id = $1";

/// Organisations as one principal may see them.
#[derive(Debug, Clone, Copy)]
pub struct Organisations<'a> {
    store: &'a Store,
    principal: &'a Principal,
}

impl<'a> Organisations<'a> {
    pub(crate) fn new(store: &'a Store, principal: &'a Principal) -> Self {
        Self { store, principal }
    }

    /// Creates an organisation. Operators only.
    pub async fn create(&self, new: NewOrganisation) -> Result<Organisation, StoreError> {
        self.principal
            .require_operator("creating an organisation needs the operator role")?;
        let name = valid_name(&new.name)?;
        let domains = valid_domains(&new.domains)?;
        let now = now_millis();
        let org = Organisation {
            id: OrgId::generate(),
            name,
            domains,
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.store.db().begin_write().await?;
        sqlx::query(
            "INSERT INTO organisations (id, name, name_key, domains, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(org.id.get())
        .bind(&org.name)
        .bind(org.name.to_lowercase())
        .bind(serde_json::to_string(&org.domains).unwrap_or_else(|_| "[]".into()))
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(conflict_on_unique(|| {
            format!(
                "an organisation named `{}` already exists; choose another name",
                org.name
            )
        }))?;
        audit::insert(
            &mut tx,
            self.principal,
            "organisation.created",
            Some(org.id),
            serde_json::json!({"name": org.name, "domains": org.domains}),
        )
        .await?;
        tx.commit().await?;
        Ok(org)
    }

    /// The organisations the principal may see, by name.
    pub async fn list(&self, page: PageRequest) -> Result<Page<Organisation>, StoreError> {
        let pool = &self.store.db().pool;
        let only = self.principal.role.org().map(OrgId::get);
        let total: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM organisations WHERE ($1 IS NULL OR id = $1)")
                .bind(only)
                .fetch_one(pool)
                .await?
                .try_get("n")?;
        let rows = sqlx::query(
            "SELECT id, name, domains, created_at, updated_at FROM organisations \
             WHERE ($1 IS NULL OR id = $1) ORDER BY name_key, id LIMIT $2 OFFSET $3",
        )
        .bind(only)
        .bind(page.sql_limit())
        .bind(page.sql_offset())
        .fetch_all(pool)
        .await?;
        let items = rows.iter().map(org_from_row).collect::<Result<_, _>>()?;
        Ok(Page::new(items, total, page))
    }

    /// One organisation, if the principal may see it.
    pub async fn get(&self, id: OrgId) -> Result<Organisation, StoreError> {
        self.store.org(self.principal, id).await?.get().await
    }

    /// The organisation handle for `id` (same as [`Store::org`]).
    pub async fn open(&self, id: OrgId) -> Result<OrgStore<'a>, StoreError> {
        self.store.org(self.principal, id).await
    }

    /// Finds an organisation by name (ignoring case), if the principal may see it.
    pub async fn find_by_name(&self, name: &str) -> Result<Option<Organisation>, StoreError> {
        let row = sqlx::query(
            "SELECT id, name, domains, created_at, updated_at FROM organisations WHERE name_key = $1",
        )
        .bind(name.trim().to_lowercase())
        .fetch_optional(&self.store.db().pool)
        .await?;
        match row {
            Some(row) => {
                let org = org_from_row(&row)?;
                Ok(self.principal.can_access(org.id).then_some(org))
            }
            None => Ok(None),
        }
    }
}

pub(crate) async fn get(scope: Scope<'_>) -> Result<Organisation, StoreError> {
    let row = sqlx::query(SELECT_ORG)
        .bind(scope.org.get())
        .fetch_optional(&scope.store.db().pool)
        .await?
        .ok_or(StoreError::NotFound("organisation"))?;
    org_from_row(&row)
}

pub(crate) async fn update(
    scope: Scope<'_>,
    update: OrganisationUpdate,
) -> Result<Organisation, StoreError> {
    let name = update.name.as_deref().map(valid_name).transpose()?;
    let domains = update.domains.as_deref().map(valid_domains).transpose()?;
    let mut tx = scope.store.db().begin_write().await?;
    let row = sqlx::query(SELECT_ORG)
        .bind(scope.org.get())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound("organisation"))?;
    let mut org = org_from_row(&row)?;
    if let Some(name) = name {
        org.name = name;
    }
    if let Some(domains) = domains {
        org.domains = domains;
    }
    org.updated_at = now_millis();
    sqlx::query("UPDATE organisations SET name = $1, name_key = $2, domains = $3, updated_at = $4 WHERE id = $5")
        .bind(&org.name)
        .bind(org.name.to_lowercase())
        .bind(serde_json::to_string(&org.domains).unwrap_or_else(|_| "[]".into()))
        .bind(org.updated_at)
        .bind(scope.org.get())
        .execute(&mut *tx)
        .await
        .map_err(conflict_on_unique(|| {
            format!("an organisation named `{}` already exists; choose another name", org.name)
        }))?;
    audit::insert(
        &mut tx,
        scope.principal,
        "organisation.updated",
        Some(scope.org),
        serde_json::json!({"name": org.name, "domains": org.domains}),
    )
    .await?;
    tx.commit().await?;
    Ok(org)
}

pub(crate) async fn delete(scope: Scope<'_>) -> Result<(), StoreError> {
    if let Role::OrgAdmin(_) = scope.principal.role {
        return Err(StoreError::Forbidden(
            "deleting an organisation needs the operator role",
        ));
    }
    let mut tx = scope.store.db().begin_write().await?;
    let deleted = sqlx::query("DELETE FROM organisations WHERE id = $1")
        .bind(scope.org.get())
        .execute(&mut *tx)
        .await?
        .rows_affected();
    require_row(deleted, "organisation")?;
    audit::insert(
        &mut tx,
        scope.principal,
        "organisation.deleted",
        Some(scope.org),
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_checked_and_lowered() {
        assert_eq!(valid_domain("Contoso.COM.").unwrap(), "contoso.com");
        assert!(valid_domain("contoso").is_err());
        assert!(valid_domain("-a.com").is_err());
        assert!(valid_domain("a b.com").is_err());
        assert!(valid_name("  ").is_err());
    }
}
