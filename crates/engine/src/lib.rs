//! Impersync's engine: the access checks that prove a service account can reach each
//! mailbox (one at a time with every step shown, or for many users at once), check runs
//! as background jobs, and the "magic wand" that finds an organisation's EWS URL.

pub mod access_check;
pub mod check_run;
mod engine;
pub mod ews_url;
pub mod network;
pub mod org_client;

pub use engine::Engine;
pub use network::{Network, NetworkError};
