//! Impersync's engine: the access checks that prove a service account can reach each
//! mailbox (one at a time with every step shown, or for many users at once), check runs
//! as background jobs, the "magic wand" that finds an organisation's EWS URL, and the
//! Microsoft 365 OAuth sign-in and access-token cache of each organisation's service account,
//! the mailbox sync that copies each mailbox's folders into the store, the webhooks that
//! deliver each organisation's change feed, and the room directory read through the
//! service account's own mailbox.

pub mod access_check;
pub mod check_run;
mod engine;
pub mod ews_url;
pub mod m365;
pub mod network;
pub mod org_client;
pub mod rooms;
pub mod sync;
pub mod webhooks;

pub use engine::Engine;
pub use network::{Network, NetworkError};
