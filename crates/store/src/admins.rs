//! Admin accounts of the panel, and the sign-in look-ups that run before there is a
//! principal. Passwords are stored only as argon2id PHC strings, hashed by the caller.

use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;
use std::fmt;

use crate::audit;
use crate::db::now_millis;
use crate::error::{StoreError, require_row};
use crate::ids::{AdminId, OrgId, TokenId};
use crate::secrets::sha256_hex;
use crate::store::Store;
use crate::tenant::{Principal, Role};
use crate::tokens::{ApiToken, token_from_row};

/// An argon2id password hash in PHC form (`$argon2id$v=19$...`). `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Wraps a PHC string; it must be an argon2id hash.
    pub fn new(phc: impl Into<String>) -> Result<Self, StoreError> {
        let phc = phc.into();
        if !phc.starts_with("$argon2id$") || phc.len() < 30 || phc.chars().any(char::is_whitespace)
        {
            return Err(StoreError::Invalid(
                "the password hash is not an argon2id PHC string ($argon2id$...)".into(),
            ));
        }
        Ok(Self(phc))
    }

    /// The PHC string, to verify a password against.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(***)")
    }
}

/// An admin account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdminAccount {
    /// Its id.
    pub id: AdminId,
    /// The sign-in name, lower case, unique.
    pub username: String,
    /// The password hash (never serialized).
    #[serde(skip)]
    pub password_hash: PasswordHash,
    /// What the admin may do.
    pub role: Role,
    /// When it was created (Unix milliseconds).
    pub created_at: i64,
    /// When it was last changed (Unix milliseconds).
    pub updated_at: i64,
}

impl AdminAccount {
    /// The principal this admin acts as.
    pub fn principal(&self) -> Principal {
        Principal::admin(self.id, self.role)
    }
}

/// A new admin account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAdmin {
    /// The sign-in name.
    pub username: String,
    /// The argon2id hash of the password.
    pub password_hash: PasswordHash,
    /// The role.
    pub role: Role,
}

fn valid_username(name: &str) -> Result<String, StoreError> {
    let name = name.trim().to_lowercase();
    let ok = (1..=64).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(name)
    } else {
        Err(StoreError::Invalid(
            "a username has 1 to 64 letters, digits, dots, dashes, underscores or @".into(),
        ))
    }
}

const ADMIN_BY_ID: &str = "SELECT id, username, password_hash, role, org_id, created_at, updated_at FROM admins WHERE id = $1";

fn admin_from_row(row: &AnyRow) -> Result<AdminAccount, StoreError> {
    let role: String = row.try_get("role")?;
    Ok(AdminAccount {
        id: AdminId::from_raw(row.try_get("id")?),
        username: row.try_get("username")?,
        password_hash: PasswordHash(row.try_get("password_hash")?),
        role: Role::from_stored(&role, row.try_get("org_id")?)?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

async fn insert_admin(
    conn: &mut crate::store::Conn,
    new: &NewAdmin,
) -> Result<AdminAccount, StoreError> {
    let username = valid_username(&new.username)?;
    let now = now_millis();
    let account = AdminAccount {
        id: AdminId::generate(),
        username,
        password_hash: new.password_hash.clone(),
        role: new.role,
        created_at: now,
        updated_at: now,
    };
    sqlx::query(
        "INSERT INTO admins (id, username, password_hash, role, org_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(account.id.get())
    .bind(&account.username)
    .bind(account.password_hash.as_str())
    .bind(account.role.as_str())
    .bind(account.role.org().map(OrgId::get))
    .bind(now)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(|e| {
        if crate::error::is_unique_violation(&e) {
            StoreError::Conflict(format!(
                "the username `{}` is taken; choose another",
                account.username
            ))
        } else if matches!(&e, sqlx::Error::Database(db) if db.is_foreign_key_violation()) {
            StoreError::NotFound("organisation")
        } else {
            StoreError::Database(e)
        }
    })?;
    Ok(account)
}

/// Admin account management, as one principal may do it: an operator manages every
/// account; an org admin sees and manages the org admins of their own organisation.
#[derive(Debug, Clone, Copy)]
pub struct Admins<'a> {
    store: &'a Store,
    principal: &'a Principal,
}

impl<'a> Admins<'a> {
    pub(crate) fn new(store: &'a Store, principal: &'a Principal) -> Self {
        Self { store, principal }
    }

    fn can_see(&self, account_role: Role) -> bool {
        match self.principal.role {
            Role::Operator => true,
            Role::OrgAdmin(own) => account_role == Role::OrgAdmin(own),
        }
    }

    /// Creates an account. Org admins may only create org admins of their organisation.
    pub async fn create(&self, new: NewAdmin) -> Result<AdminAccount, StoreError> {
        match (self.principal.role, new.role) {
            (Role::Operator, _) => {}
            (Role::OrgAdmin(own), Role::OrgAdmin(org)) if own == org => {}
            (Role::OrgAdmin(_), Role::OrgAdmin(_)) => {
                return Err(StoreError::NotFound("organisation"));
            }
            (Role::OrgAdmin(_), Role::Operator) => {
                return Err(StoreError::Forbidden(
                    "creating an operator needs the operator role",
                ));
            }
        }
        let mut tx = self.store.db().begin_write().await?;
        let account = insert_admin(&mut tx, &new).await?;
        audit::insert(
            &mut tx,
            self.principal,
            "admin.created",
            account.role.org(),
            serde_json::json!({"admin_id": account.id, "username": account.username, "role": account.role.as_str()}),
        )
        .await?;
        tx.commit().await?;
        Ok(account)
    }

    /// One account the principal may see.
    pub async fn get(&self, id: AdminId) -> Result<AdminAccount, StoreError> {
        let row = sqlx::query(ADMIN_BY_ID)
            .bind(id.get())
            .fetch_optional(&self.store.db().pool)
            .await?
            .ok_or(StoreError::NotFound("admin"))?;
        let account = admin_from_row(&row)?;
        if !self.can_see(account.role) {
            return Err(StoreError::NotFound("admin"));
        }
        Ok(account)
    }

    /// The accounts the principal may see, by username.
    pub async fn list(&self) -> Result<Vec<AdminAccount>, StoreError> {
        let only = self.principal.role.org().map(OrgId::get);
        let rows = sqlx::query(
            "SELECT id, username, password_hash, role, org_id, created_at, updated_at FROM admins \
             WHERE ($1 IS NULL OR org_id = $1) ORDER BY username",
        )
        .bind(only)
        .fetch_all(&self.store.db().pool)
        .await?;
        rows.iter().map(admin_from_row).collect()
    }

    /// Replaces an account's password hash (its own, or one the principal may see).
    pub async fn set_password_hash(
        &self,
        id: AdminId,
        hash: PasswordHash,
    ) -> Result<(), StoreError> {
        if self.principal.admin_id() != Some(id) {
            self.get(id).await?;
        }
        let mut tx = self.store.db().begin_write().await?;
        let changed =
            sqlx::query("UPDATE admins SET password_hash = $1, updated_at = $2 WHERE id = $3")
                .bind(hash.as_str())
                .bind(now_millis())
                .bind(id.get())
                .execute(&mut *tx)
                .await?
                .rows_affected();
        require_row(changed, "admin")?;
        audit::insert(
            &mut tx,
            self.principal,
            "admin.password_changed",
            None,
            serde_json::json!({"admin_id": id}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes an account (and its API tokens). The last operator cannot be deleted.
    pub async fn delete(&self, id: AdminId) -> Result<(), StoreError> {
        let account = self.get(id).await?;
        let mut tx = self.store.db().begin_write().await?;
        if account.role == Role::Operator {
            let operators: i64 =
                sqlx::query("SELECT COUNT(*) AS n FROM admins WHERE role = 'operator'")
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get("n")?;
            if operators <= 1 {
                return Err(StoreError::Invalid(
                    "this is the last operator account; create another operator before deleting it"
                        .into(),
                ));
            }
        }
        sqlx::query("DELETE FROM admins WHERE id = $1")
            .bind(id.get())
            .execute(&mut *tx)
            .await?;
        audit::insert(
            &mut tx,
            self.principal,
            "admin.deleted",
            account.role.org(),
            serde_json::json!({"admin_id": id, "username": account.username}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Look-ups for signing in, which run before there is a principal.
#[derive(Debug, Clone, Copy)]
pub struct Auth<'a> {
    store: &'a Store,
}

impl<'a> Auth<'a> {
    pub(crate) fn new(store: &'a Store) -> Self {
        Self { store }
    }

    /// The account with this username (ignoring case), to verify a password against.
    pub async fn admin_by_username(
        &self,
        username: &str,
    ) -> Result<Option<AdminAccount>, StoreError> {
        let row = sqlx::query(
            "SELECT id, username, password_hash, role, org_id, created_at, updated_at FROM admins WHERE username = $1",
        )
        .bind(username.trim().to_lowercase())
        .fetch_optional(&self.store.db().pool)
        .await?;
        row.as_ref().map(admin_from_row).transpose()
    }

    /// The account with this id (e.g. from a session).
    pub async fn admin(&self, id: AdminId) -> Result<Option<AdminAccount>, StoreError> {
        let row = sqlx::query(ADMIN_BY_ID)
            .bind(id.get())
            .fetch_optional(&self.store.db().pool)
            .await?;
        row.as_ref().map(admin_from_row).transpose()
    }

    /// How many admin accounts exist.
    pub async fn admin_count(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM admins")
            .fetch_one(&self.store.db().pool)
            .await?
            .try_get("n")?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Creates the first operator account; fails with [`StoreError::Conflict`] if any admin
    /// account exists already.
    pub async fn bootstrap_operator(
        &self,
        username: &str,
        hash: PasswordHash,
    ) -> Result<AdminAccount, StoreError> {
        let mut tx = self.store.db().begin_write().await?;
        let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM admins")
            .fetch_one(&mut *tx)
            .await?
            .try_get("n")?;
        if n > 0 {
            return Err(StoreError::Conflict(
                "admin accounts exist already; sign in as an operator to add another".into(),
            ));
        }
        let account = insert_admin(
            &mut tx,
            &NewAdmin {
                username: username.into(),
                password_hash: hash,
                role: Role::Operator,
            },
        )
        .await?;
        audit::insert(
            &mut tx,
            &Principal::system("bootstrap"),
            "admin.created",
            None,
            serde_json::json!({"admin_id": account.id, "username": account.username, "role": "operator"}),
        )
        .await?;
        tx.commit().await?;
        Ok(account)
    }

    /// The active (not revoked, not expired) API token with this value, with its admin;
    /// records that it was used.
    pub async fn token(&self, token: &str) -> Result<Option<(ApiToken, AdminAccount)>, StoreError> {
        let now = now_millis();
        let row = sqlx::query(
            "SELECT id, admin_id, name, created_at, expires_at, last_used_at, revoked_at FROM api_tokens \
             WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)",
        )
        .bind(sha256_hex(token.as_bytes()))
        .bind(now)
        .fetch_optional(&self.store.db().pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let mut api_token = token_from_row(&row)?;
        let Some(admin) = self.admin(api_token.admin_id).await? else {
            return Ok(None);
        };
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(now)
            .bind(api_token.id.get())
            .execute(&self.store.db().pool)
            .await?;
        api_token.last_used_at = Some(now);
        Ok(Some((api_token, admin)))
    }

    /// Whether the token id is active (for a cached token check).
    pub async fn token_is_active(&self, id: TokenId) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "SELECT id FROM api_tokens WHERE id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)",
        )
        .bind(id.get())
        .bind(now_millis())
        .fetch_optional(&self.store.db().pool)
        .await?;
        Ok(row.is_some())
    }
}
