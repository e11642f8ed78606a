//! The admin API end to end: a real server on 127.0.0.1:0, real HTTP, each scenario on
//! SQLite and on PostgreSQL (when `IMPERSYNC_TEST_POSTGRES_URL` names a test server; the
//! test command starts one).

mod activation;
mod api;
mod check_runs;
mod common;
mod email_config;
mod ews_url;
mod m365_oauth;
mod openapi;
mod panel;
mod panel_check_runs;
mod panel_email_config;
mod panel_sync;
mod panel_webhooks;
mod rooms;
mod sim;
mod sync_api;
mod webhook_receiver;
mod webhooks;
