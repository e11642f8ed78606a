//! API tokens. Only the SHA-256 of a token is stored; the token itself is shown once, when
//! it is created.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit;
use crate::db::now_millis;
use crate::error::{StoreError, require_row};
use crate::ids::{AdminId, TokenId};
use crate::secrets::{SecretString, sha256_hex};
use crate::store::Store;
use crate::tenant::Principal;

/// The prefix of every API token, so a leaked one is easy to recognise.
pub const TOKEN_PREFIX: &str = "isy_";

/// An API token's record (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    /// Its id.
    pub id: TokenId,
    /// The admin it acts as.
    pub admin_id: AdminId,
    /// A name to recognise it by.
    pub name: String,
    /// When it was created (Unix milliseconds).
    pub created_at: i64,
    /// When it expires, if it does.
    pub expires_at: Option<i64>,
    /// When it was last used, if it was.
    pub last_used_at: Option<i64>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<i64>,
}

/// A token just created: the only time its value is available.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// The token to give to the client.
    pub token: SecretString,
    /// Its record.
    pub record: ApiToken,
}

/// The SHA-256 (hex) under which a token is stored.
pub fn token_hash(token: &str) -> String {
    sha256_hex(token.as_bytes())
}

pub(crate) fn token_from_row(row: &AnyRow) -> Result<ApiToken, StoreError> {
    Ok(ApiToken {
        id: TokenId::from_raw(row.try_get("id")?),
        admin_id: AdminId::from_raw(row.try_get("admin_id")?),
        name: row.try_get("name")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        last_used_at: row.try_get("last_used_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

/// The API tokens of the principal's own admin account (an operator may also revoke any).
#[derive(Debug, Clone, Copy)]
pub struct Tokens<'a> {
    store: &'a Store,
    principal: &'a Principal,
}

impl<'a> Tokens<'a> {
    pub(crate) fn new(store: &'a Store, principal: &'a Principal) -> Self {
        Self { store, principal }
    }

    fn own_admin(&self) -> Result<AdminId, StoreError> {
        self.principal
            .admin_id()
            .ok_or(StoreError::Forbidden("API tokens belong to admin accounts"))
    }

    /// Creates a token for the principal's admin account, valid until `expires_at`
    /// (Unix milliseconds) or forever.
    pub async fn create(
        &self,
        name: &str,
        expires_at: Option<i64>,
    ) -> Result<IssuedToken, StoreError> {
        let admin = self.own_admin()?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err(StoreError::Invalid(
                "a token name has 1 to 100 printable characters".into(),
            ));
        }
        let token = SecretString::new(format!(
            "{TOKEN_PREFIX}{}",
            URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
        ));
        let record = ApiToken {
            id: TokenId::generate(),
            admin_id: admin,
            name: name.to_string(),
            created_at: now_millis(),
            expires_at,
            last_used_at: None,
            revoked_at: None,
        };
        let mut tx = self.store.db().begin_write().await?;
        sqlx::query(
            "INSERT INTO api_tokens (id, admin_id, name, token_hash, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(record.id.get())
        .bind(admin.get())
        .bind(&record.name)
        .bind(token_hash(token.expose()))
        .bind(record.created_at)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
        audit::insert(
            &mut tx,
            self.principal,
            "api_token.created",
            self.principal.role.org(),
            serde_json::json!({"token_id": record.id, "name": record.name}),
        )
        .await?;
        tx.commit().await?;
        Ok(IssuedToken { token, record })
    }

    /// The principal's own tokens, newest first.
    pub async fn list(&self) -> Result<Vec<ApiToken>, StoreError> {
        let admin = self.own_admin()?;
        let rows = sqlx::query(
            "SELECT id, admin_id, name, created_at, expires_at, last_used_at, revoked_at FROM api_tokens \
             WHERE admin_id = $1 ORDER BY created_at DESC, id DESC",
        )
        .bind(admin.get())
        .fetch_all(&self.store.db().pool)
        .await?;
        rows.iter().map(token_from_row).collect()
    }

    /// Revokes a token: one of the principal's own, or any for an operator.
    pub async fn revoke(&self, id: TokenId) -> Result<(), StoreError> {
        let only_admin = if self.principal.is_operator() {
            None
        } else {
            Some(self.own_admin()?.get())
        };
        let mut tx = self.store.db().begin_write().await?;
        let changed = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL \
             AND ($3 IS NULL OR admin_id = $3)",
        )
        .bind(now_millis())
        .bind(id.get())
        .bind(only_admin)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        require_row(changed, "active API token")?;
        audit::insert(
            &mut tx,
            self.principal,
            "api_token.revoked",
            self.principal.role.org(),
            serde_json::json!({"token_id": id}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
