//! An Exchange simulator that real EWS clients accept.
//!
//! It implements the impersonation model an Exchange admin sets up: users, groups,
//! management scopes and role groups decide who may impersonate whom. It serves
//! EWS, Autodiscover and OAuth 2.0 over HTTP, and a control API under `/_sim/`.

pub mod auth;
pub mod autodiscover_control;
pub mod cmdlet;
pub mod directory;
mod ews_ops;
pub mod faults;
pub mod http;
pub mod mailbox;
pub mod oauth;
pub mod request_log;
pub mod scenario;
pub mod scope_filter;
pub mod shell;
pub mod sim;
pub mod sync_state;
pub mod throttle;
pub mod tls;

pub use http::{MailboxItem, MailboxItems, run, run_tls};
pub use scenario::Scenario;
pub use sim::Sim;
