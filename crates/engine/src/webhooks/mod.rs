//! Webhooks: the change feed POSTed to each organisation's receivers.
//!
//! [`Engine::deliver_webhooks`](crate::Engine::deliver_webhooks) claims the due webhooks and
//! POSTs each one the next batch of its organisation's feed, exactly as the change feed API
//! returns it, signed with the webhook's secret. A 2xx moves the webhook's cursor on; any
//! other answer, a timeout, a connection or TLS error is recorded and the same batch is sent
//! again after an exponential back-off, so delivery is at least once and receivers
//! de-duplicate by change id.

mod client;
mod deliver;
mod signature;
mod target;

pub(crate) use client::Clients;
pub use deliver::{
    BATCH_SIZE, FIRST_RETRY, LEASE_FOR, MAX_RETRY, TIMEOUT, WebhookError, WebhookRound, retry_delay,
};
pub use signature::{DELIVERY_HEADER, SIGNATURE_HEADER, signature};
pub use target::{WebhookUrlRefused, webhook_url};
