//! [`Store`]: opening the database, checking the master key, and the entry points to the
//! repositories.

use sqlx::{AnyConnection, Row};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use crate::admins::{Admins, Auth};
use crate::audit::{self, AuditLog};
use crate::db::{Backend, DATABASE_URL_ENV, Db, redact_url, sqlite_url};
use crate::error::StoreError;
use crate::ids::OrgId;
use crate::keyfile::{self, KEY_FILE_NAME, KeySource, MASTER_KEY_ENV};
use crate::migrate::{self, MigrationReport};
use crate::orgs::Organisations;
use crate::secrets::{MasterKey, OpenError, SecretBox, SecretString};
use crate::sync_worker::SyncWorker;
use crate::tenant::{OrgStore, Principal};
use crate::tokens::Tokens;

/// The default data directory.
pub const DEFAULT_DATA_DIR: &str = "./impersync-data";

const KEY_CHECK: &str = "key_check";
const KEY_CHECK_CONTEXT: &str = "impersync:meta:key_check";
const KEY_CHECK_PLAINTEXT: &str = "impersync master key check v1";

/// How to open the store.
#[derive(Clone)]
pub struct OpenOptions {
    /// The data directory: the SQLite file and the key file live here.
    pub data_dir: PathBuf,
    /// `postgres://...` or `sqlite://...`; `None` means the SQLite file in the data directory.
    pub database_url: Option<String>,
    /// The master key as base64 (the value of `IMPERSYNC_MASTER_KEY`); `None` means the key
    /// file in the data directory, created on first start.
    pub master_key: Option<SecretString>,
    /// The pool size; `None` picks a default for the backend.
    pub max_connections: Option<u32>,
}

impl OpenOptions {
    /// Options for a data directory, with the SQLite default and the key file.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            database_url: None,
            master_key: None,
            max_connections: None,
        }
    }

    /// Options for a data directory, with `IMPERSYNC_DATABASE_URL` and `IMPERSYNC_MASTER_KEY`
    /// read from the environment (empty values count as unset).
    pub fn from_env(data_dir: impl Into<PathBuf>) -> Self {
        let non_empty = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        Self {
            database_url: non_empty(DATABASE_URL_ENV),
            master_key: non_empty(MASTER_KEY_ENV).map(SecretString::new),
            ..Self::new(data_dir)
        }
    }

    /// Uses this database URL.
    pub fn database_url(mut self, url: impl Into<String>) -> Self {
        self.database_url = Some(url.into());
        self
    }

    /// Uses this master key (base64), instead of the key file.
    pub fn master_key(mut self, base64: impl Into<String>) -> Self {
        self.master_key = Some(SecretString::new(base64.into()));
        self
    }

    /// The database URL these options select.
    pub fn resolved_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| sqlite_url(&absolute(&self.data_dir)))
    }
}

impl std::fmt::Debug for OpenOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenOptions")
            .field("data_dir", &self.data_dir)
            .field(
                "database_url",
                &self.database_url.as_deref().map(redact_url),
            )
            .field("master_key", &self.master_key)
            .field("max_connections", &self.max_connections)
            .finish()
    }
}

fn absolute(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| {
        std::env::current_dir()
            .map(|cwd| cwd.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    })
}

/// What a key rotation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRotation {
    /// How many secrets were re-encrypted.
    pub secrets: usize,
    /// The id of the old key.
    pub old_key_id: String,
    /// The id of the new key.
    pub new_key_id: String,
    /// The key file now holding the new key; `None` when the key came from
    /// `IMPERSYNC_MASTER_KEY`, which must now be set to the new key.
    pub key_file: Option<PathBuf>,
}

struct Inner {
    db: Db,
    secrets: RwLock<Arc<SecretBox>>,
    key_source: KeySource,
    data_dir: PathBuf,
    migrations: MigrationReport,
}

/// The store: a database (SQLite or PostgreSQL) with its schema and the master key.
/// Cheap to clone; clones share the pool.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.inner.db.backend)
            .field("key_source", &self.inner.key_source)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens the store: creates the data directory, connects, brings the schema up to date,
    /// and checks the master key against the database. A wrong key fails here, with a
    /// message that says which key the database expects.
    pub async fn open(options: OpenOptions) -> Result<Self, StoreError> {
        keyfile::ensure_data_dir(&options.data_dir)?;
        let url = options.resolved_url();
        let db = Db::connect(&url, options.max_connections).await?;
        let migrations = migrate::run(&db).await?;
        let key_file = absolute(&options.data_dir).join(KEY_FILE_NAME);
        let stored_check = read_meta(&db, KEY_CHECK).await?;

        let (key, key_source) = match &options.master_key {
            Some(text) => (
                MasterKey::from_base64(text.expose(), MASTER_KEY_ENV)?,
                KeySource::Environment,
            ),
            None => match keyfile::read_key_file(&key_file)? {
                Some(key) => (key, KeySource::File(key_file.clone())),
                None if stored_check.is_some() => {
                    return Err(StoreError::MasterKeyMissing { key_file });
                }
                None => (
                    create_or_read_key_file(&key_file)?,
                    KeySource::File(key_file.clone()),
                ),
            },
        };

        let mut secret_box = SecretBox::new(&key);
        match stored_check {
            Some(sealed) => {
                if let Err(e) = check_key(&secret_box, &sealed, &key_source) {
                    // A rotation may have committed but not yet renamed the new key file.
                    match recover_staged_key(&key_file, &key_source, &sealed)? {
                        Some(staged) => secret_box = staged,
                        None => return Err(e),
                    }
                }
            }
            None => {
                let sealed = secret_box.seal(KEY_CHECK_PLAINTEXT, KEY_CHECK_CONTEXT);
                sqlx::query(
                    "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
                )
                .bind(KEY_CHECK)
                .bind(sealed)
                .execute(&db.pool)
                .await?;
                // Another process may have won the race with another key.
                let sealed = read_meta(&db, KEY_CHECK).await?.unwrap_or_default();
                check_key(&secret_box, &sealed, &key_source)?;
            }
        }

        Ok(Self {
            inner: Arc::new(Inner {
                db,
                secrets: RwLock::new(Arc::new(secret_box)),
                key_source,
                data_dir: options.data_dir,
                migrations,
            }),
        })
    }

    /// Opens the store as configured by the environment (`IMPERSYNC_DATABASE_URL`,
    /// `IMPERSYNC_MASTER_KEY`) with this data directory.
    pub async fn open_from_env(data_dir: impl Into<PathBuf>) -> Result<Self, StoreError> {
        Self::open(OpenOptions::from_env(data_dir)).await
    }

    /// Which database this store talks to.
    pub fn backend(&self) -> Backend {
        self.inner.db.backend
    }

    /// Where the master key came from.
    pub fn key_source(&self) -> &KeySource {
        &self.inner.key_source
    }

    /// The id of the current master key (not secret).
    pub fn key_id(&self) -> String {
        self.secret_box().key_id().to_string()
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.inner.data_dir
    }

    /// What the migration run at open did.
    pub fn migrations(&self) -> &MigrationReport {
        &self.inner.migrations
    }

    /// Runs the migrations again (a no-op when the schema is current).
    pub async fn migrate(&self) -> Result<MigrationReport, StoreError> {
        migrate::run(&self.inner.db).await
    }

    /// Closes the pool; waits for connections in use to be returned.
    pub async fn close(&self) {
        self.inner.db.pool.close().await;
    }

    /// The organisation `org` as seen by `principal`. An org admin asking for another
    /// organisation gets [`StoreError::NotFound`], as for one that does not exist.
    pub async fn org(&self, principal: &Principal, org: OrgId) -> Result<OrgStore<'_>, StoreError> {
        if !principal.can_access(org) {
            return Err(StoreError::NotFound("organisation"));
        }
        let exists = sqlx::query("SELECT id FROM organisations WHERE id = $1")
            .bind(org.get())
            .fetch_optional(&self.inner.db.pool)
            .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound("organisation"));
        }
        Ok(OrgStore::new(self, org, principal.clone()))
    }

    /// The organisations `principal` may see; creating one needs the operator role.
    pub fn organisations<'a>(&'a self, principal: &'a Principal) -> Organisations<'a> {
        Organisations::new(self, principal)
    }

    /// Admin account management, as `principal` may do it.
    pub fn admins<'a>(&'a self, principal: &'a Principal) -> Admins<'a> {
        Admins::new(self, principal)
    }

    /// `principal`'s own API tokens.
    pub fn tokens<'a>(&'a self, principal: &'a Principal) -> Tokens<'a> {
        Tokens::new(self, principal)
    }

    /// Sign-in look-ups (by username, by API token), which run before there is a principal.
    pub fn auth(&self) -> Auth<'_> {
        Auth::new(self)
    }

    /// The audit log, as `principal` may see it (an org admin sees their organisation's entries).
    pub fn audit_log<'a>(&'a self, principal: &'a Principal) -> AuditLog<'a> {
        AuditLog::new(self, principal)
    }

    /// The sync engine's handle (leases, pages, feed appends); `principal` must be a system
    /// principal. See [`SyncWorker`].
    pub fn sync_worker(&self, principal: &Principal) -> Result<SyncWorker<'_>, StoreError> {
        SyncWorker::new(self, principal)
    }

    /// The webhook deliverer's handle (leases, feed batches, attempts); `principal` must be
    /// a system principal. See [`WebhookWorker`](crate::WebhookWorker).
    pub fn webhook_worker(
        &self,
        principal: &Principal,
    ) -> Result<crate::WebhookWorker<'_>, StoreError> {
        crate::WebhookWorker::new(self, principal)
    }

    /// Re-encrypts every secret with `new_key` in one transaction, and replaces the key
    /// check value. When the key came from the key file, the new key is written next to it
    /// first and moved over it after the commit (a crash in between is repaired at the next
    /// open). When it came from `IMPERSYNC_MASTER_KEY`, that variable must be set to the new
    /// key before the next start. Stop other Impersync processes first: they keep the old key.
    pub async fn rotate_key(
        &self,
        principal: &Principal,
        new_key: &MasterKey,
    ) -> Result<KeyRotation, StoreError> {
        principal.require_operator("rotating the master key needs the operator role")?;
        let old = self.secret_box();
        let new_box = SecretBox::new(new_key);
        if new_box.key_id() == old.key_id() {
            return Err(StoreError::Invalid(
                "the new master key is the current key".into(),
            ));
        }
        let key_file = match &self.inner.key_source {
            KeySource::File(path) => {
                keyfile::stage_key_file(path, new_key)?;
                Some(path.clone())
            }
            KeySource::Environment => None,
        };

        let result: Result<usize, StoreError> = async {
            let mut tx = self.inner.db.begin_write().await?;
            let count = crate::email_config::reseal_all(&mut tx, &old, &new_box).await?
                + crate::webhooks::reseal_all(&mut tx, &old, &new_box).await?;
            sqlx::query("UPDATE meta SET value = $1 WHERE key = $2")
                .bind(new_box.seal(KEY_CHECK_PLAINTEXT, KEY_CHECK_CONTEXT))
                .bind(KEY_CHECK)
                .execute(&mut *tx)
                .await?;
            audit::insert(
                &mut tx,
                principal,
                "master_key.rotated",
                None,
                serde_json::json!({
                    "old_key_id": old.key_id(),
                    "new_key_id": new_box.key_id(),
                    "secrets": count,
                }),
            )
            .await?;
            tx.commit().await?;
            Ok(count)
        }
        .await;

        let count = match result {
            Ok(count) => count,
            Err(e) => {
                if let Some(path) = &key_file {
                    keyfile::discard_staged_key_file(path);
                }
                return Err(e);
            }
        };
        *self
            .inner
            .secrets
            .write()
            .unwrap_or_else(|e| e.into_inner()) = Arc::new(new_box);
        if let Some(path) = &key_file {
            keyfile::promote_staged_key_file(path)?;
        }
        Ok(KeyRotation {
            secrets: count,
            old_key_id: old.key_id().to_string(),
            new_key_id: new_key.id(),
            key_file,
        })
    }

    pub(crate) fn db(&self) -> &Db {
        &self.inner.db
    }

    pub(crate) fn secret_box(&self) -> Arc<SecretBox> {
        self.inner
            .secrets
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

fn create_or_read_key_file(path: &Path) -> Result<MasterKey, StoreError> {
    let key = MasterKey::generate();
    match keyfile::create_key_file(path, &key) {
        Ok(()) => {
            tracing::info!(path = %path.display(), "created a new master key file");
            Ok(key)
        }
        // Another process created it first: use theirs.
        Err(StoreError::KeyFile { source, .. })
            if source.kind() == std::io::ErrorKind::AlreadyExists =>
        {
            keyfile::read_key_file(path)?.ok_or(StoreError::MasterKeyMissing {
                key_file: path.to_path_buf(),
            })
        }
        Err(e) => Err(e),
    }
}

fn check_key(secret_box: &SecretBox, sealed: &str, source: &KeySource) -> Result<(), StoreError> {
    match secret_box.open(sealed, KEY_CHECK_CONTEXT) {
        Ok(plain) if plain.expose() == KEY_CHECK_PLAINTEXT => Ok(()),
        Ok(_) | Err(OpenError::Tampered) | Err(OpenError::Malformed) => {
            Err(StoreError::MasterKeyMismatch {
                origin: source.to_string(),
                expected: crate::secrets::sealed_key_id(sealed)
                    .unwrap_or("unknown")
                    .to_string(),
                actual: secret_box.key_id().to_string(),
            })
        }
        Err(OpenError::OtherKey { stored, current }) => Err(StoreError::MasterKeyMismatch {
            origin: source.to_string(),
            expected: stored,
            actual: current,
        }),
    }
}

/// After a rotation that committed but did not rename its staged key file, the staged key
/// is the right one: promote it.
fn recover_staged_key(
    key_file: &Path,
    source: &KeySource,
    sealed: &str,
) -> Result<Option<SecretBox>, StoreError> {
    if *source != KeySource::File(key_file.to_path_buf()) {
        return Ok(None);
    }
    let staged_path = keyfile::staged_path(key_file);
    let Some(staged) = keyfile::read_key_file(&staged_path)? else {
        return Ok(None);
    };
    let staged_box = SecretBox::new(&staged);
    if check_key(&staged_box, sealed, source).is_err() {
        return Ok(None);
    }
    keyfile::promote_staged_key_file(key_file)?;
    tracing::warn!(path = %key_file.display(), "completed an interrupted master key rotation");
    Ok(Some(staged_box))
}

async fn read_meta(db: &Db, key: &str) -> Result<Option<String>, StoreError> {
    let row = sqlx::query("SELECT value FROM meta WHERE key = $1")
        .bind(key)
        .fetch_optional(&db.pool)
        .await?;
    Ok(match row {
        Some(row) => Some(row.try_get::<String, _>("value")?),
        None => None,
    })
}

/// A connection or transaction to run statements on.
pub(crate) type Conn = AnyConnection;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_options_debug_hides_passwords_and_keys() {
        let options = OpenOptions::new("/tmp/x")
            .database_url("postgres://impersync:s3cret@db:5432/impersync")
            .master_key("a2V5a2V5a2V5");
        let debug = format!("{options:?}");
        assert!(
            !debug.contains("s3cret") && !debug.contains("a2V5a2V5a2V5"),
            "{debug}"
        );
        assert!(debug.contains("impersync:***@db"), "{debug}");
    }
}
