//! Impersync's admin HTTP API and web panel: admin sign-in (sessions with CSRF tokens, API bearer
//! tokens), tenant access control, organisations, users, the audit log and health checks.
//!
//! [`run`] serves the API on a bound listener until `shutdown` completes, so tests bind
//! port 0 and run the real server in-process.

mod api;
mod auth;
mod error;
mod extract;
mod headers;
mod openapi;
mod panel;
mod routes;
mod state;

pub use error::ApiError;
pub use routes::{router, run};
pub use state::{AdminOptions, AdminState, BOOTSTRAP_USERNAME};
