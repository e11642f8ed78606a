//! An organisation's webhooks: receivers to which the change feed is POSTed, each with a
//! signing secret (sealed at rest, reported only as "set"), and their delivery attempts.

use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit;
use crate::change_feed::FeedCursor;
use crate::db::{flag, get_flag, now_millis};
use crate::error::{StoreError, require_row};
use crate::ids::{DeliveryId, OrgId, WebhookId};
use crate::secrets::{OpenError, SecretBox, SecretStatus, SecretString};
use crate::store::Conn;
use crate::tenant::Scope;

/// How many of a webhook's latest delivery attempts are kept (and can be listed); each
/// new attempt deletes those older than that.
pub const KEPT_ATTEMPTS: u32 = 1000;

/// The fewest characters a signing secret may have.
pub const WEBHOOK_SECRET_MIN_CHARS: usize = 16;

/// Why a signing secret is refused, if it is.
pub fn webhook_secret_problem(secret: &SecretString) -> Option<String> {
    let n = secret.expose().chars().count();
    (n < WEBHOOK_SECRET_MIN_CHARS).then(|| {
        format!(
            "the signing secret has {n} characters; give at least {WEBHOOK_SECRET_MIN_CHARS} (e.g. 32 random ones)"
        )
    })
}

/// Where a webhook's secret lives, bound into its encryption.
pub(crate) fn secret_context(org: OrgId, id: WebhookId) -> String {
    format!("impersync:webhooks:{org}:{id}:secret")
}

/// Why a stored secret could not be opened.
pub(crate) fn secret_error(id: WebhookId, e: OpenError) -> StoreError {
    StoreError::Secret {
        what: format!("signing secret of webhook {id}"),
        reason: e.to_string(),
    }
}

/// A webhook, as the API shows it (the secret only as "set").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Webhook {
    /// Its id.
    pub id: WebhookId,
    /// Its organisation.
    pub org_id: OrgId,
    /// Where the feed is POSTed.
    pub url: String,
    /// Whether a signing secret is stored (always "set").
    pub secret: SecretStatus,
    /// Whether it receives deliveries.
    pub enabled: bool,
    /// The feed cursor up to which the receiver accepted the changes.
    pub delivered_cursor: FeedCursor,
    /// Failed attempts in a row (0 after a delivery).
    pub failures: i64,
    /// When the next attempt is due (Unix ms).
    pub next_attempt_at: i64,
    /// The last attempt's error, while it keeps failing.
    pub last_error: Option<String>,
    /// When it was created (Unix ms).
    pub created_at: i64,
    /// When it was last changed (Unix ms).
    pub updated_at: i64,
}

/// A new webhook.
#[derive(Debug, Clone)]
pub struct NewWebhook {
    /// Where to POST (checked by the caller against the URL policy).
    pub url: String,
    /// The signing secret.
    pub secret: SecretString,
    /// Whether it receives deliveries from the start.
    pub enabled: bool,
}

/// Changes to a webhook; `None` keeps a field.
#[derive(Debug, Clone, Default)]
pub struct WebhookUpdate {
    /// A new URL.
    pub url: Option<String>,
    /// A new signing secret.
    pub secret: Option<SecretString>,
    /// Turns deliveries on or off.
    pub enabled: Option<bool>,
}

/// One POST of a batch of changes to a webhook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeliveryAttempt {
    /// Its id (sent as `X-Impersync-Delivery`).
    pub id: DeliveryId,
    /// The webhook.
    pub webhook_id: WebhookId,
    /// The webhook's attempt number, from 1.
    pub attempt: i64,
    /// The first change id of the batch.
    pub first_id: FeedCursor,
    /// The last change id of the batch.
    pub last_id: FeedCursor,
    /// When it was sent (Unix ms).
    pub attempted_at: i64,
    /// The receiver's HTTP status, if it answered.
    pub http_status: Option<u16>,
    /// Why it failed without an answer (timeout, connection, TLS), or the refused status.
    pub error: Option<String>,
    /// How long it took, in milliseconds.
    pub duration_ms: i64,
    /// Whether the receiver accepted it (2xx).
    pub delivered: bool,
}

impl DeliveryId {
    /// A fresh id for an attempt about to be sent.
    pub fn random() -> Self {
        Self::generate()
    }
}

const SELECT_WEBHOOK: &str = "SELECT id, org_id, url, enabled, delivered_seq, failures, \
     next_attempt_at, last_error, created_at, updated_at FROM webhooks";

fn webhook_from_row(row: &AnyRow) -> Result<Webhook, StoreError> {
    Ok(Webhook {
        id: WebhookId::from_raw(row.try_get("id")?),
        org_id: OrgId::from_raw(row.try_get("org_id")?),
        url: row.try_get("url")?,
        secret: SecretStatus::Set,
        enabled: get_flag(row, "enabled")?,
        delivered_cursor: FeedCursor(row.try_get("delivered_seq")?),
        failures: row.try_get("failures")?,
        next_attempt_at: row.try_get("next_attempt_at")?,
        last_error: row.try_get("last_error")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

pub(crate) fn attempt_from_row(row: &AnyRow) -> Result<DeliveryAttempt, StoreError> {
    Ok(DeliveryAttempt {
        id: DeliveryId::from_raw(row.try_get("id")?),
        webhook_id: WebhookId::from_raw(row.try_get("webhook_id")?),
        attempt: row.try_get("attempt")?,
        first_id: FeedCursor(row.try_get("first_seq")?),
        last_id: FeedCursor(row.try_get("last_seq")?),
        attempted_at: row.try_get("attempted_at")?,
        http_status: row
            .try_get::<Option<i64>, _>("http_status")?
            .and_then(|s| u16::try_from(s).ok()),
        error: row.try_get("error")?,
        duration_ms: row.try_get("duration_ms")?,
        delivered: get_flag(row, "delivered")?,
    })
}

/// A URL as stored: trimmed, http(s), no control characters. The caller checks it against
/// the URL policy (https outside labs, no private targets) first.
fn valid_url(url: &str) -> Result<String, StoreError> {
    let url = url.trim();
    let lower = url.to_ascii_lowercase();
    let scheme_ok = lower.starts_with("https://") || lower.starts_with("http://");
    if !scheme_ok || url.chars().any(char::is_control) || url.len() > 2000 {
        return Err(StoreError::Invalid(format!(
            "url: `{url}` is not an http(s) URL"
        )));
    }
    Ok(url.to_string())
}

fn valid_secret(secret: &SecretString) -> Result<(), StoreError> {
    match webhook_secret_problem(secret) {
        Some(problem) => Err(StoreError::Invalid(format!("secret: {problem}"))),
        None => Ok(()),
    }
}

/// One organisation's webhooks.
#[derive(Debug, Clone, Copy)]
pub struct Webhooks<'a> {
    scope: Scope<'a>,
}

impl<'a> Webhooks<'a> {
    pub(crate) fn new(scope: Scope<'a>) -> Self {
        Self { scope }
    }

    /// Every webhook of the organisation, oldest first.
    pub async fn list(&self) -> Result<Vec<Webhook>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT_WEBHOOK} WHERE org_id = $1 ORDER BY created_at, id"
        )))
        .bind(self.scope.org.get())
        .fetch_all(&self.scope.store.db().pool)
        .await?;
        rows.iter().map(webhook_from_row).collect()
    }

    /// One webhook.
    pub async fn get(&self, id: WebhookId) -> Result<Webhook, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT_WEBHOOK} WHERE org_id = $1 AND id = $2"
        )))
        .bind(self.scope.org.get())
        .bind(id.get())
        .fetch_optional(&self.scope.store.db().pool)
        .await?
        .ok_or(StoreError::NotFound("webhook"))?;
        webhook_from_row(&row)
    }

    /// Adds a webhook; it receives the feed from its start.
    pub async fn create(&self, new: NewWebhook) -> Result<Webhook, StoreError> {
        let url = valid_url(&new.url)?;
        valid_secret(&new.secret)?;
        let id = WebhookId::generate();
        let org = self.scope.org;
        let sealed = self
            .scope
            .store
            .secret_box()
            .seal(new.secret.expose(), &secret_context(org, id));
        let now = now_millis();
        let mut tx = self.scope.store.db().begin_write().await?;
        sqlx::query(
            "INSERT INTO webhooks (id, org_id, url, secret_enc, enabled, next_attempt_at, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6, $6)",
        )
        .bind(id.get())
        .bind(org.get())
        .bind(&url)
        .bind(sealed)
        .bind(flag(new.enabled))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        audit::insert(
            &mut tx,
            self.scope.principal,
            "webhook.created",
            Some(org),
            serde_json::json!({"webhook": id, "url": url, "enabled": new.enabled, "secret": "set"}),
        )
        .await?;
        tx.commit().await?;
        self.get(id).await
    }

    /// Changes a webhook's URL, secret or enabled flag. A new URL or secret, or turning it
    /// on, makes it due at once (a failing webhook need not wait out its back-off).
    pub async fn update(
        &self,
        id: WebhookId,
        update: WebhookUpdate,
    ) -> Result<Webhook, StoreError> {
        let url = update.url.as_deref().map(valid_url).transpose()?;
        if let Some(secret) = &update.secret {
            valid_secret(secret)?;
        }
        let org = self.scope.org;
        let sealed = update.secret.as_ref().map(|s| {
            self.scope
                .store
                .secret_box()
                .seal(s.expose(), &secret_context(org, id))
        });
        let now = now_millis();
        let mut tx = self.scope.store.db().begin_write().await?;
        let changed = sqlx::query(
            "UPDATE webhooks SET url = COALESCE($1, url), secret_enc = COALESCE($2, secret_enc), \
             enabled = COALESCE($3, enabled), updated_at = $4, \
             next_attempt_at = CASE WHEN $3 = 1 OR $1 IS NOT NULL OR $2 IS NOT NULL \
             THEN $4 ELSE next_attempt_at END \
             WHERE org_id = $5 AND id = $6",
        )
        .bind(url.clone())
        .bind(sealed)
        .bind(update.enabled.map(flag))
        .bind(now)
        .bind(org.get())
        .bind(id.get())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        require_row(changed, "webhook")?;
        let mut details = serde_json::json!({"webhook": id});
        if let Some(url) = url {
            details["url"] = url.into();
        }
        if let Some(enabled) = update.enabled {
            details["enabled"] = enabled.into();
        }
        if update.secret.is_some() {
            details["secret"] = "changed".into();
        }
        audit::insert(
            &mut tx,
            self.scope.principal,
            "webhook.updated",
            Some(org),
            details,
        )
        .await?;
        tx.commit().await?;
        self.get(id).await
    }

    /// Deletes a webhook with its delivery attempts.
    pub async fn delete(&self, id: WebhookId) -> Result<(), StoreError> {
        let mut tx = self.scope.store.db().begin_write().await?;
        sqlx::query("DELETE FROM webhook_deliveries WHERE org_id = $1 AND webhook_id = $2")
            .bind(self.scope.org.get())
            .bind(id.get())
            .execute(&mut *tx)
            .await?;
        let deleted = sqlx::query("DELETE FROM webhooks WHERE org_id = $1 AND id = $2")
            .bind(self.scope.org.get())
            .bind(id.get())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        require_row(deleted, "webhook")?;
        audit::insert(
            &mut tx,
            self.scope.principal,
            "webhook.deleted",
            Some(self.scope.org),
            serde_json::json!({"webhook": id}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The webhook's most recent delivery attempts (up to `limit`, 1 to [`KEPT_ATTEMPTS`]),
    /// newest first.
    pub async fn deliveries(
        &self,
        id: WebhookId,
        limit: u32,
    ) -> Result<Vec<DeliveryAttempt>, StoreError> {
        self.get(id).await?;
        let rows = sqlx::query(
            "SELECT id, webhook_id, attempt, first_seq, last_seq, attempted_at, http_status, \
             error, duration_ms, delivered FROM webhook_deliveries \
             WHERE org_id = $1 AND webhook_id = $2 ORDER BY attempt DESC LIMIT $3",
        )
        .bind(self.scope.org.get())
        .bind(id.get())
        .bind(i64::from(limit.clamp(1, KEPT_ATTEMPTS)))
        .fetch_all(&self.scope.store.db().pool)
        .await?;
        rows.iter().map(attempt_from_row).collect()
    }
}

/// Re-encrypts every webhook secret from `old` to `new`, in the caller's transaction.
/// Returns how many were re-encrypted.
pub(crate) async fn reseal_all(
    conn: &mut Conn,
    old: &SecretBox,
    new: &SecretBox,
) -> Result<usize, StoreError> {
    let rows = sqlx::query("SELECT id, org_id, secret_enc FROM webhooks")
        .fetch_all(&mut *conn)
        .await?;
    for row in &rows {
        let id = WebhookId::from_raw(row.try_get("id")?);
        let ctx = secret_context(OrgId::from_raw(row.try_get("org_id")?), id);
        let plain = old
            .open(&row.try_get::<String, _>("secret_enc")?, &ctx)
            .map_err(|e| secret_error(id, e))?;
        sqlx::query("UPDATE webhooks SET secret_enc = $1 WHERE id = $2")
            .bind(new.seal(plain.expose(), &ctx))
            .bind(id.get())
            .execute(&mut *conn)
            .await?;
    }
    Ok(rows.len())
}
