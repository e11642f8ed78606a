//! An organisation's email configuration: the access type with its credentials (sealed at
//! rest, reported as "set" or "not set"), the EWS URL or Autodiscover, the TLS policy, the
//! impersonated-id type, the folders and the poll interval.

use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit;
use crate::db::{flag, get_flag, now_millis};
use crate::error::{StoreError, require_row};
use crate::ids::{AdminId, OrgId};
use crate::mailboxes;
use crate::secrets::{OpenError, SecretBox, SecretStatus, SecretString, SecretUpdate};
use crate::store::Conn;
use crate::tenant::Scope;

/// How the service account signs in to Exchange for `ExchangeImpersonation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ExchangeAuth {
    /// HTTP Basic.
    Basic,
    /// NTLM (the default on premises).
    #[default]
    #[serde(rename = "NTLM")]
    Ntlm,
}

impl ExchangeAuth {
    /// The stored name: `Basic` or `NTLM`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Basic => "Basic",
            Self::Ntlm => "NTLM",
        }
    }

    fn from_stored(s: &str) -> Result<Self, StoreError> {
        match s {
            "Basic" => Ok(Self::Basic),
            "NTLM" => Ok(Self::Ntlm),
            other => Err(StoreError::Corrupt {
                what: "email_configs.auth",
                value: other.into(),
            }),
        }
    }
}

/// The mailbox access type with its settings. `S` is how secrets appear: [`SecretStatus`]
/// when read back, [`SecretUpdate`] when saved, `Option<SecretString>` for the engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum AccessType<S = SecretStatus> {
    /// A service account with a logon and a password, Basic or NTLM.
    ExchangeImpersonation {
        /// The logon: `DOMAIN\user`, a UPN or an address.
        logon: String,
        /// How it signs in.
        auth: ExchangeAuth,
        /// Its password.
        password: S,
    },
    /// A Microsoft 365 service account that signs in through OAuth 2.0; its refresh token is kept.
    M365OAuthImpersonation {
        /// The authority, e.g. `https://login.microsoftonline.com`.
        authority: String,
        /// The tenant id or domain.
        tenant: String,
        /// The app registration's client id.
        client_id: String,
        /// The redirect URL registered for the app.
        redirect_url: String,
        /// The app's client secret (for a confidential client), if it has one.
        client_secret: S,
        /// The refresh token obtained when the service account signed in.
        refresh_token: S,
        /// The account that signed in, if one did.
        signed_in_account: Option<String>,
    },
}

impl<S> AccessType<S> {
    /// The type's name: `ExchangeImpersonation` or `M365OAuthImpersonation`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::ExchangeImpersonation { .. } => "ExchangeImpersonation",
            Self::M365OAuthImpersonation { .. } => "M365OAuthImpersonation",
        }
    }
}

/// The settings of an email configuration; `S` is how secrets appear (see [`AccessType`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailSettings<S = SecretStatus> {
    /// The access type and its credentials.
    pub access: AccessType<S>,
    /// The EWS URL, typed in or made by the "magic wand"; `None` with Autodiscover.
    pub ews_url: Option<String>,
    /// Find the EWS URL with Autodiscover.
    pub autodiscover: bool,
    /// The TLS policy text: `verify`, `pin:SHA256` or `ignore-trust`.
    pub tls_policy: String,
    /// The impersonated-id type: `SmtpAddress`, `PrimarySmtpAddress`, `PrincipalName` or `SID`.
    pub id_type: String,
    /// The folders to sync (distinguished names such as `inbox`, `calendar`, `contacts`).
    pub folders: Vec<String>,
    /// Seconds between polls of a mailbox.
    pub poll_interval_secs: u32,
    /// A lab organisation: plain `http://` EWS URLs are allowed.
    pub lab: bool,
    /// Saved by an admin (a draft is kept unsaved, e.g. during an OAuth sign-in).
    pub saved: bool,
}

/// The settings to save: secrets are write-only changes.
pub type EmailSettingsInput = EmailSettings<SecretUpdate>;

/// The settings with their secrets decrypted, for the engine. Never log or return these.
pub type EmailCredentials = EmailSettings<Option<SecretString>>;

/// An organisation's stored email configuration, as the API shows it (no secrets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmailConfig {
    /// The organisation.
    pub org_id: OrgId,
    /// The settings; secrets show as "set" or "not set".
    pub settings: EmailSettings<SecretStatus>,
    /// When it was last saved (Unix milliseconds).
    pub updated_at: i64,
    /// Who saved it last, if an admin did.
    pub updated_by: Option<AdminId>,
}

/// The smallest and largest poll intervals, in seconds.
pub const POLL_INTERVAL_RANGE: std::ops::RangeInclusive<u32> = 30..=86_400;

/// Where each secret lives, bound into its encryption.
fn context(org: OrgId, column: &str) -> String {
    format!("impersync:email_configs:{org}:{column}")
}

/// The sealed secrets of one row.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Sealed {
    password: Option<String>,
    client_secret: Option<String>,
    refresh_token: Option<String>,
}

fn sealed_from_row(row: &AnyRow) -> Result<Sealed, sqlx::Error> {
    Ok(Sealed {
        password: row.try_get("password_enc")?,
        client_secret: row.try_get("client_secret_enc")?,
        refresh_token: row.try_get("refresh_token_enc")?,
    })
}

/// Decoded row: the settings with secrets as `T`, built by `secret(column, sealed)`.
fn settings_from_row<T>(
    row: &AnyRow,
    mut secret: impl FnMut(&'static str, Option<String>) -> Result<T, StoreError>,
) -> Result<EmailSettings<T>, StoreError> {
    let access_type: String = row.try_get("access_type")?;
    let sealed = sealed_from_row(row)?;
    let text = |column: &str| -> Result<String, StoreError> {
        Ok(row
            .try_get::<Option<String>, _>(column)?
            .unwrap_or_default())
    };
    let access = match access_type.as_str() {
        "ExchangeImpersonation" => AccessType::ExchangeImpersonation {
            logon: text("logon")?,
            auth: ExchangeAuth::from_stored(&text("auth")?)?,
            password: secret("password", sealed.password)?,
        },
        "M365OAuthImpersonation" => AccessType::M365OAuthImpersonation {
            authority: text("authority")?,
            tenant: text("tenant")?,
            client_id: text("client_id")?,
            redirect_url: text("redirect_url")?,
            client_secret: secret("client_secret", sealed.client_secret)?,
            refresh_token: secret("refresh_token", sealed.refresh_token)?,
            signed_in_account: row.try_get("signed_in_account")?,
        },
        other => {
            return Err(StoreError::Corrupt {
                what: "email_configs.access_type",
                value: other.into(),
            });
        }
    };
    let folders: String = row.try_get("folders")?;
    Ok(EmailSettings {
        access,
        ews_url: row.try_get("ews_url")?,
        autodiscover: get_flag(row, "autodiscover")?,
        tls_policy: row.try_get("tls_policy")?,
        id_type: row.try_get("id_type")?,
        folders: serde_json::from_str(&folders).map_err(|_| StoreError::Corrupt {
            what: "email_configs.folders",
            value: folders.clone(),
        })?,
        poll_interval_secs: u32::try_from(row.try_get::<i64, _>("poll_interval_secs")?)
            .unwrap_or(300),
        lab: get_flag(row, "lab")?,
        saved: get_flag(row, "saved")?,
    })
}

const SELECT_CONFIG: &str = "SELECT org_id, access_type, logon, auth, password_enc, authority, tenant, client_id, \
     redirect_url, client_secret_enc, refresh_token_enc, signed_in_account, ews_url, autodiscover, tls_policy, \
     id_type, folders, poll_interval_secs, lab, saved, updated_at, updated_by FROM email_configs WHERE org_id = $1";

fn trimmed(what: &str, value: &str, required: bool) -> Result<String, StoreError> {
    let v = value.trim();
    if required && v.is_empty() {
        return Err(StoreError::Invalid(format!("{what} is empty")));
    }
    if v.chars().any(char::is_control) {
        return Err(StoreError::Invalid(format!(
            "{what} contains control characters"
        )));
    }
    Ok(v.to_string())
}

fn check_url(what: &str, url: &str, allow_http: bool) -> Result<(), StoreError> {
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("https://") && url.len() > "https://".len() {
        return Ok(());
    }
    if lower.starts_with("http://") && url.len() > "http://".len() {
        if allow_http {
            return Ok(());
        }
        return Err(StoreError::Invalid(format!(
            "{what} `{url}` is plain http; use https, or mark the organisation's configuration as a lab"
        )));
    }
    Err(StoreError::Invalid(format!(
        "{what} `{url}` is not an http(s) URL"
    )))
}

/// Checks the non-secret settings and returns them cleaned up.
fn validate(input: &EmailSettingsInput) -> Result<EmailSettingsInput, StoreError> {
    let mut s = input.clone();
    s.ews_url = match s.ews_url.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(url) => {
            check_url("the EWS URL", url, s.lab)?;
            Some(url.to_string())
        }
    };
    if s.saved && s.ews_url.is_none() && !s.autodiscover {
        return Err(StoreError::Invalid(
            "give an EWS URL, or turn on Autodiscover to find it".into(),
        ));
    }
    s.tls_policy = trimmed("the TLS policy", &s.tls_policy, true)?;
    s.id_type = trimmed("the id type", &s.id_type, true)?;
    let mut folders = Vec::new();
    for f in &s.folders {
        let f = trimmed("a folder name", f, true)?;
        if !folders.contains(&f) {
            folders.push(f);
        }
    }
    s.folders = folders;
    if !POLL_INTERVAL_RANGE.contains(&s.poll_interval_secs) {
        return Err(StoreError::Invalid(format!(
            "poll_interval_secs: the poll interval must be between {} and {} seconds",
            POLL_INTERVAL_RANGE.start(),
            POLL_INTERVAL_RANGE.end()
        )));
    }
    s.access = match s.access {
        AccessType::ExchangeImpersonation {
            logon,
            auth,
            password,
        } => AccessType::ExchangeImpersonation {
            logon: trimmed("the service account logon", &logon, true)?,
            auth,
            password,
        },
        AccessType::M365OAuthImpersonation {
            authority,
            tenant,
            client_id,
            redirect_url,
            client_secret,
            refresh_token,
            signed_in_account,
        } => {
            let authority = trimmed("the authority", &authority, true)?;
            check_url("the authority", &authority, s.lab)?;
            let redirect_url = trimmed("the redirect URL", &redirect_url, true)?;
            check_url("the redirect URL", &redirect_url, true)?;
            AccessType::M365OAuthImpersonation {
                authority,
                tenant: trimmed("the tenant", &tenant, true)?,
                client_id: trimmed("the client id", &client_id, true)?,
                redirect_url,
                client_secret,
                refresh_token,
                signed_in_account: signed_in_account
                    .map(|a| trimmed("the signed-in account", &a, false))
                    .transpose()?
                    .filter(|a| !a.is_empty()),
            }
        }
    };
    Ok(s)
}

/// One organisation's email configuration.
#[derive(Debug, Clone, Copy)]
pub struct EmailConfigs<'a> {
    scope: Scope<'a>,
}

impl<'a> EmailConfigs<'a> {
    pub(crate) fn new(scope: Scope<'a>) -> Self {
        Self { scope }
    }

    fn ctx(&self, column: &str) -> String {
        context(self.scope.org, column)
    }

    /// The configuration, with secrets shown as "set" or "not set"; `None` if there is none.
    pub async fn get(&self) -> Result<Option<EmailConfig>, StoreError> {
        let row = sqlx::query(SELECT_CONFIG)
            .bind(self.scope.org.get())
            .fetch_optional(&self.scope.store.db().pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(EmailConfig {
            org_id: self.scope.org,
            settings: settings_from_row(&row, |_, sealed| Ok(SecretStatus::of(&sealed)))?,
            updated_at: row.try_get("updated_at")?,
            updated_by: row
                .try_get::<Option<i64>, _>("updated_by")?
                .map(AdminId::from_raw),
        }))
    }

    /// The configuration with its secrets decrypted, for the engine; `None` if there is none.
    pub async fn credentials(&self) -> Result<Option<EmailCredentials>, StoreError> {
        let row = sqlx::query(SELECT_CONFIG)
            .bind(self.scope.org.get())
            .fetch_optional(&self.scope.store.db().pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let secret_box = self.scope.store.secret_box();
        settings_from_row(&row, |column, sealed| match sealed {
            None => Ok(None),
            Some(sealed) => secret_box
                .open(&sealed, &self.ctx(column))
                .map(Some)
                .map_err(|e| secret_error(self.scope.org, column, e)),
        })
        .map(Some)
    }

    /// Saves the configuration (creating or replacing it). Secrets marked `Keep` keep their
    /// stored value; switching the access type drops the other type's secrets. The
    /// organisation's mailboxes that need attention or back off are due at once, in the
    /// same transaction.
    pub async fn save(&self, input: EmailSettingsInput) -> Result<EmailConfig, StoreError> {
        let input = validate(&input)?;
        let secret_box = self.scope.store.secret_box();
        let mut tx = self.scope.store.db().begin_write().await?;
        let existing = sqlx::query(SELECT_CONFIG)
            .bind(self.scope.org.get())
            .fetch_optional(&mut *tx)
            .await?;
        let (old_type, old): (Option<String>, Sealed) = match &existing {
            Some(row) => (Some(row.try_get("access_type")?), sealed_from_row(row)?),
            None => (None, Sealed::default()),
        };
        let same_type = old_type.as_deref() == Some(input.access.name());
        let apply = |update: &SecretUpdate, old: &Option<String>, column: &str| -> Option<String> {
            match update {
                SecretUpdate::Keep if same_type => old.clone(),
                SecretUpdate::Keep | SecretUpdate::Clear => None,
                SecretUpdate::Set(value) => {
                    Some(secret_box.seal(value.expose(), &self.ctx(column)))
                }
            }
        };
        let mut sealed = Sealed::default();
        let (mut logon, mut auth) = (None, None);
        let (mut authority, mut tenant, mut client_id, mut redirect_url, mut signed_in) =
            (None, None, None, None, None);
        match &input.access {
            AccessType::ExchangeImpersonation {
                logon: l,
                auth: a,
                password,
            } => {
                logon = Some(l.clone());
                auth = Some(a.as_str().to_string());
                sealed.password = apply(password, &old.password, "password");
            }
            AccessType::M365OAuthImpersonation {
                authority: au,
                tenant: t,
                client_id: c,
                redirect_url: r,
                client_secret,
                refresh_token,
                signed_in_account,
            } => {
                authority = Some(au.clone());
                tenant = Some(t.clone());
                client_id = Some(c.clone());
                redirect_url = Some(r.clone());
                signed_in = signed_in_account.clone();
                sealed.client_secret = apply(client_secret, &old.client_secret, "client_secret");
                sealed.refresh_token = apply(refresh_token, &old.refresh_token, "refresh_token");
            }
        }
        let now = now_millis();
        let updated_by = self.scope.principal.admin_id();
        sqlx::query(
            "INSERT INTO email_configs (org_id, access_type, logon, auth, password_enc, authority, tenant, client_id, \
             redirect_url, client_secret_enc, refresh_token_enc, signed_in_account, ews_url, autodiscover, tls_policy, \
             id_type, folders, poll_interval_secs, lab, saved, updated_at, updated_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22) \
             ON CONFLICT (org_id) DO UPDATE SET access_type = excluded.access_type, logon = excluded.logon, \
             auth = excluded.auth, password_enc = excluded.password_enc, authority = excluded.authority, \
             tenant = excluded.tenant, client_id = excluded.client_id, redirect_url = excluded.redirect_url, \
             client_secret_enc = excluded.client_secret_enc, refresh_token_enc = excluded.refresh_token_enc, \
             signed_in_account = excluded.signed_in_account, ews_url = excluded.ews_url, \
             autodiscover = excluded.autodiscover, tls_policy = excluded.tls_policy, id_type = excluded.id_type, \
             folders = excluded.folders, poll_interval_secs = excluded.poll_interval_secs, lab = excluded.lab, \
             saved = excluded.saved, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        )
        .bind(self.scope.org.get())
        .bind(input.access.name())
        .bind(logon)
        .bind(auth)
        .bind(sealed.password.clone())
        .bind(authority)
        .bind(tenant)
        .bind(client_id)
        .bind(redirect_url)
        .bind(sealed.client_secret.clone())
        .bind(sealed.refresh_token.clone())
        .bind(signed_in)
        .bind(input.ews_url.clone())
        .bind(flag(input.autodiscover))
        .bind(input.tls_policy.clone())
        .bind(input.id_type.clone())
        .bind(serde_json::to_string(&input.folders).unwrap_or_else(|_| "[]".into()))
        .bind(i64::from(input.poll_interval_secs))
        .bind(flag(input.lab))
        .bind(flag(input.saved))
        .bind(now)
        .bind(updated_by.map(AdminId::get))
        .execute(&mut *tx)
        .await?;
        mailboxes::resume_org(&mut tx, self.scope.org, now).await?;

        let status = |s: &Option<String>| SecretStatus::of(s).to_string();
        audit::insert(
            &mut tx,
            self.scope.principal,
            "email_config.saved",
            Some(self.scope.org),
            serde_json::json!({
                "access_type": input.access.name(),
                "ews_url": input.ews_url,
                "autodiscover": input.autodiscover,
                "tls_policy": input.tls_policy,
                "id_type": input.id_type,
                "lab": input.lab,
                "saved": input.saved,
                "password": status(&sealed.password),
                "client_secret": status(&sealed.client_secret),
                "refresh_token": status(&sealed.refresh_token),
            }),
        )
        .await?;
        tx.commit().await?;
        self.get()
            .await?
            .ok_or(StoreError::NotFound("email configuration"))
    }

    /// Stores the refresh token (and the account that signed in) after an OAuth sign-in.
    /// The configuration must exist with the `M365OAuthImpersonation` type. As after a
    /// save, the organisation's mailboxes that need attention or back off are due at once.
    pub async fn set_refresh_token(
        &self,
        refresh_token: &SecretString,
        signed_in_account: &str,
    ) -> Result<(), StoreError> {
        let sealed = self
            .scope
            .store
            .secret_box()
            .seal(refresh_token.expose(), &self.ctx("refresh_token"));
        let mut tx = self.scope.store.db().begin_write().await?;
        let changed = sqlx::query(
            "UPDATE email_configs SET refresh_token_enc = $1, signed_in_account = $2, updated_at = $3 \
             WHERE org_id = $4 AND access_type = 'M365OAuthImpersonation'",
        )
        .bind(sealed)
        .bind(signed_in_account.trim())
        .bind(now_millis())
        .bind(self.scope.org.get())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        require_row(changed, "M365 OAuth email configuration")?;
        mailboxes::resume_org(&mut tx, self.scope.org, now_millis()).await?;
        audit::insert(
            &mut tx,
            self.scope.principal,
            "email_config.signed_in",
            Some(self.scope.org),
            serde_json::json!({
                "event": "Microsoft 365 sign-in",
                "signed_in_account": signed_in_account.trim(),
                "refresh_token": "set",
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Replaces the stored refresh token `previous` with its rotated successor `next`, unless
    /// it changed meanwhile (a new sign-in wins over a refresh that started before it).
    /// Returns whether it was replaced. Not audited: rotation is routine.
    pub async fn rotate_refresh_token(
        &self,
        previous: &SecretString,
        next: &SecretString,
    ) -> Result<bool, StoreError> {
        let secret_box = self.scope.store.secret_box();
        let ctx = self.ctx("refresh_token");
        let mut tx = self.scope.store.db().begin_write().await?;
        let row = sqlx::query(
            "SELECT refresh_token_enc FROM email_configs \
             WHERE org_id = $1 AND access_type = 'M365OAuthImpersonation'",
        )
        .bind(self.scope.org.get())
        .fetch_optional(&mut *tx)
        .await?;
        let sealed = match row {
            Some(row) => row.try_get::<Option<String>, _>("refresh_token_enc")?,
            None => None,
        };
        let Some(sealed) = sealed else {
            return Ok(false);
        };
        let current = secret_box
            .open(&sealed, &ctx)
            .map_err(|e| secret_error(self.scope.org, "refresh_token", e))?;
        if current.expose() != previous.expose() {
            return Ok(false);
        }
        sqlx::query("UPDATE email_configs SET refresh_token_enc = $1 WHERE org_id = $2")
            .bind(secret_box.seal(next.expose(), &ctx))
            .bind(self.scope.org.get())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Deletes the configuration.
    pub async fn delete(&self) -> Result<(), StoreError> {
        let mut tx = self.scope.store.db().begin_write().await?;
        let deleted = sqlx::query("DELETE FROM email_configs WHERE org_id = $1")
            .bind(self.scope.org.get())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        require_row(deleted, "email configuration")?;
        audit::insert(
            &mut tx,
            self.scope.principal,
            "email_config.deleted",
            Some(self.scope.org),
            serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

fn secret_error(org: OrgId, column: &str, e: OpenError) -> StoreError {
    StoreError::Secret {
        what: format!("{column} of organisation {org}"),
        reason: e.to_string(),
    }
}

/// Re-encrypts every email-configuration secret from `old` to `new`, in the caller's
/// transaction. Returns how many secrets were re-encrypted.
pub(crate) async fn reseal_all(
    conn: &mut Conn,
    old: &SecretBox,
    new: &SecretBox,
) -> Result<usize, StoreError> {
    let rows = sqlx::query(
        "SELECT org_id, password_enc, client_secret_enc, refresh_token_enc FROM email_configs",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut count = 0;
    for row in rows {
        let org = OrgId::from_raw(row.try_get("org_id")?);
        let sealed = sealed_from_row(&row)?;
        let mut reseal =
            |column: &str, value: Option<String>| -> Result<Option<String>, StoreError> {
                let Some(value) = value else { return Ok(None) };
                let ctx = context(org, column);
                let plain = old
                    .open(&value, &ctx)
                    .map_err(|e| secret_error(org, column, e))?;
                count += 1;
                Ok(Some(new.seal(plain.expose(), &ctx)))
            };
        let password = reseal("password", sealed.password)?;
        let client_secret = reseal("client_secret", sealed.client_secret)?;
        let refresh_token = reseal("refresh_token", sealed.refresh_token)?;
        sqlx::query(
            "UPDATE email_configs SET password_enc = $1, client_secret_enc = $2, refresh_token_enc = $3 \
             WHERE org_id = $4",
        )
        .bind(password)
        .bind(client_secret)
        .bind(refresh_token)
        .bind(org.get())
        .execute(&mut *conn)
        .await?;
    }
    Ok(count)
}
