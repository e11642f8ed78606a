//! The store's test suite. Every scenario runs twice: on SQLite (a temporary folder) and on
//! PostgreSQL (a fresh database on the server named by `IMPERSYNC_TEST_POSTGRES_URL`; see
//! `scripts/with-postgres.sh`). Without that variable the PostgreSQL half says "skipped"
//! loudly, and fails instead when `IMPERSYNC_REQUIRE_ALL` is set.

mod common;

mod activation;
mod admins_tokens;
mod check_runs;
mod migrations;
mod orgs_users;
mod poll_interval;
mod secrets;
mod sync_commit;
mod sync_feed;
mod sync_leases;
mod sync_pages;
mod sync_resume;
mod tenant_isolation;
mod webhooks;
