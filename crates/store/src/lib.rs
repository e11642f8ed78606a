//! Impersync's store: schema, migrations, repositories and secret encryption.
//!
//! One SQL code path serves SQLite (the default: a file in the data directory) and
//! PostgreSQL (`IMPERSYNC_DATABASE_URL=postgres://...`), picked at run time from the URL.
//! Per-organisation data is reached only through an [`OrgStore`], which [`Store::org`]
//! hands out after checking the caller's [`Principal`]; each of its repositories binds the
//! organisation id into every query. Secrets are sealed with AES-256-GCM under a master
//! key from `IMPERSYNC_MASTER_KEY` or a key file, and a wrong key fails at open.
//!
//! ```no_run
//! # async fn demo() -> Result<(), impersync_store::StoreError> {
//! use impersync_store::{NewOrganisation, OpenOptions, PageRequest, Principal, Store, UserFilter};
//!
//! let store = Store::open(OpenOptions::from_env("./impersync-data")).await?;
//! let operator = Principal::system("demo");
//! let org = store
//!     .organisations(&operator)
//!     .create(NewOrganisation { name: "Contoso".into(), domains: vec!["contoso.com".into()] })
//!     .await?;
//! let contoso = store.org(&operator, org.id).await?;
//! let page = contoso.users().list(&UserFilter::default(), PageRequest::first(50)).await?;
//! println!("{} users", page.total);
//! # Ok(()) }
//! ```

mod activation;
mod admins;
mod audit;
mod change_feed;
mod check_runs;
mod db;
mod email_config;
mod error;
mod ids;
mod items;
mod keyfile;
mod leases;
mod mailboxes;
mod migrate;
mod orgs;
mod page_writes;
mod prepared_page;
mod rooms;
mod schedule;
mod secrets;
mod sql_lists;
mod store;
mod sync_commit;
mod sync_overview;
mod sync_pages;
mod sync_worker;
mod tenant;
mod tokens;
mod users;
mod webhook_worker;
mod webhooks;

pub use activation::{ActivationReport, UserSelection};
pub use admins::{AdminAccount, Admins, Auth, NewAdmin, PasswordHash};
pub use audit::{AuditEntry, AuditLog, OrgAudit};
pub use change_feed::{ChangeFeed, FeedChange, FeedCursor, FeedKind, FeedPage};
pub use check_runs::{
    CheckResult, CheckRun, CheckRunStatus, CheckRuns, NewCheckResult, OUTCOME_OK, ResultChange,
};
pub use db::{
    Backend, DATABASE_URL_ENV, Page, PageRequest, SQLITE_FILE_NAME, now_millis, redact_url,
    sqlite_url,
};
pub use email_config::{
    AccessType, EmailConfig, EmailConfigs, EmailCredentials, EmailSettings, EmailSettingsInput,
    ExchangeAuth, POLL_INTERVAL_RANGE,
};
pub use error::StoreError;
pub use ids::{AdminId, AuditId, CheckRunId, DeliveryId, OrgId, TokenId, UserId, WebhookId};
pub use items::{Item, ItemData, ItemFilter, ItemKind, Items};
pub use keyfile::{KEY_FILE_NAME, KeySource, MASTER_KEY_ENV};
pub use mailboxes::{Lease, MailboxState, MailboxStatus, Mailboxes, SyncFailure};
pub use migrate::{MIGRATIONS, Migration, MigrationReport};
pub use orgs::{NewOrganisation, Organisation, OrganisationUpdate, Organisations};
pub use prepared_page::PreparedPage;
pub use rooms::{Room, RoomDirectory, RoomList, Rooms};
pub use secrets::{MasterKey, OpenError, SecretBox, SecretStatus, SecretString, SecretUpdate};
pub use store::{DEFAULT_DATA_DIR, KeyRotation, OpenOptions, Store};
pub use sync_commit::{SyncWrite, SyncWritten};
pub use sync_overview::{ALL_STATES, MailboxEntry, StateCounts, SyncGauges};
pub use sync_pages::{FolderSyncState, ItemChange, PageReport, SyncPage};
pub use sync_worker::SyncWorker;
pub use tenant::{Actor, OrgStore, Principal, Role};
pub use tokens::{ApiToken, IssuedToken, TOKEN_PREFIX, Tokens, token_hash};
pub use users::{
    CheckTarget, ImportOutcome, ImportReport, ImportRow, ImportRowResult, LastCheck, NewUser, User,
    UserFilter, Users, normalize_email,
};
pub use webhook_worker::{AttemptRecord, WebhookLease, WebhookWorker};
pub use webhooks::{
    DeliveryAttempt, KEPT_ATTEMPTS, NewWebhook, WEBHOOK_SECRET_MIN_CHARS, Webhook, WebhookUpdate,
    Webhooks, webhook_secret_problem,
};
