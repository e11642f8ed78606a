//! [`Engine::deliver_webhooks`]: one round of webhook delivery.

use super::client::Clients;
use super::signature::{DELIVERY_HEADER, SIGNATURE_HEADER, signature};
use super::target::webhook_url;
use crate::Engine;
use futures_util::StreamExt;
use impersync_exchange::transport::classify;
use impersync_store::{
    AttemptRecord, DeliveryAttempt, DeliveryId, FeedCursor, Principal, StoreError, WebhookLease,
    WebhookWorker, now_millis,
};
use std::time::{Duration, Instant};

/// The most changes POSTed at once.
pub const BATCH_SIZE: u32 = 100;

/// How long a receiver has to answer (connect and response).
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The wait after the first failed attempt; it doubles with each further failure.
pub const FIRST_RETRY: Duration = Duration::from_secs(10);

/// The longest wait between attempts.
pub const MAX_RETRY: Duration = Duration::from_secs(3600);

/// How long a claim holds a webhook (longer than a round's deliveries take).
pub const LEASE_FOR: Duration = Duration::from_secs(120);

/// The most webhooks claimed in one round.
const CLAIM_LIMIT: u32 = 32;

/// The most POSTs in flight at once.
const CONCURRENCY: usize = 8;

/// The wait before the next attempt after `failures` failed attempts in a row (counting
/// the one just made): 10 s, 20 s, 40 s, ... up to 1 h.
pub fn retry_delay(failures: i64) -> Duration {
    let doublings = u32::try_from(failures.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
    FIRST_RETRY
        .saturating_mul(2u32.saturating_pow(doublings))
        .min(MAX_RETRY)
}

/// What one round did: every attempt made, in no particular order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebhookRound {
    /// The attempts (one per webhook that had changes to send).
    pub attempts: Vec<DeliveryAttempt>,
}

impl WebhookRound {
    /// How many attempts the receivers accepted.
    pub fn delivered(&self) -> usize {
        self.attempts.iter().filter(|a| a.delivered).count()
    }
}

/// Why a round could not run.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// The store refused a read or write.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The HTTP client could not be set up.
    #[error("{0}")]
    Client(String),
}

impl Engine {
    /// Claims the due webhooks for the worker `owner` and POSTs each the next batch of its
    /// organisation's change feed (up to [`BATCH_SIZE`] changes); see the [module
    /// documentation](crate::webhooks).
    pub async fn deliver_webhooks(&self, owner: &str) -> Result<WebhookRound, WebhookError> {
        self.deliver_webhooks_at(owner, now_millis()).await
    }

    /// [`Engine::deliver_webhooks`] with the scheduling clock at `now` (Unix ms): claims,
    /// leases, attempt times and retries count from it, so tests can step past a back-off.
    pub async fn deliver_webhooks_at(
        &self,
        owner: &str,
        now: i64,
    ) -> Result<WebhookRound, WebhookError> {
        let principal = Principal::system(owner);
        let worker = self.store().webhook_worker(&principal)?;
        let leases = worker.claim_due(owner, CLAIM_LIMIT, LEASE_FOR, now).await?;
        if leases.is_empty() {
            return Ok(WebhookRound::default());
        }
        let clients = self.webhook_clients()?;
        let started = Instant::now();
        let results = futures_util::stream::iter(leases)
            .map(|lease| deliver_one(&worker, clients, lease, now, started))
            .buffer_unordered(CONCURRENCY)
            .collect::<Vec<_>>()
            .await;
        let mut round = WebhookRound::default();
        for result in results {
            match result {
                Ok(Some(attempt)) => round.attempts.push(attempt),
                Ok(None) => {}
                Err(e @ StoreError::WebhookLeaseLost { .. }) => {
                    tracing::warn!(error = %e, "webhook lease lost during delivery");
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(round)
    }
}

impl Engine {
    /// The webhook HTTP clients, built once (loading the trusted roots takes a while).
    fn webhook_clients(&self) -> Result<&Clients, WebhookError> {
        let cell = &self.inner.webhook_clients;
        if cell.get().is_none() {
            let built = Clients::new(self.network()).map_err(WebhookError::Client)?;
            let _ = cell.set(built);
        }
        cell.get()
            .ok_or_else(|| WebhookError::Client("the webhook HTTP clients are missing".into()))
    }
}

/// The scheduling clock `now` moved on by the time elapsed since `started`.
fn clock(now: i64, started: Instant) -> i64 {
    now.saturating_add(i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX))
}

/// Sends one leased webhook its next batch and records the attempt; `None` when there was
/// nothing to send.
async fn deliver_one(
    worker: &WebhookWorker<'_>,
    clients: &Clients,
    lease: WebhookLease,
    now: i64,
    started: Instant,
) -> Result<Option<DeliveryAttempt>, StoreError> {
    let page = worker.batch(&lease, BATCH_SIZE).await?;
    let Some(first) = page.changes.first() else {
        worker.release(&lease, clock(now, started)).await?;
        return Ok(None);
    };
    let first_id = FeedCursor(first.seq);
    let body = serde_json::to_vec(&page).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let id = DeliveryId::random();
    let attempted_at = clock(now, started);
    let sent = Instant::now();
    let answer = post(clients, &lease, id, body).await;
    let duration_ms = i64::try_from(sent.elapsed().as_millis()).unwrap_or(i64::MAX);
    let (http_status, error, delivered) = match answer {
        Ok(status) if (200..300).contains(&status) => (Some(status), None, true),
        Ok(status) => (
            Some(status),
            Some(format!("the receiver answered HTTP {status}")),
            false,
        ),
        Err(error) => (None, Some(error), false),
    };
    if let Some(error) = &error {
        tracing::warn!(webhook = %lease.id, org = %lease.org, %error, "webhook delivery failed");
    }
    let attempt = DeliveryAttempt {
        id,
        webhook_id: lease.id,
        attempt: 0,
        first_id,
        last_id: page.next_cursor,
        attempted_at,
        http_status,
        error,
        duration_ms,
        delivered,
    };
    let next_attempt_at = if delivered {
        now
    } else {
        let retry = retry_delay(lease.failures.saturating_add(1));
        attempted_at.saturating_add(i64::try_from(retry.as_millis()).unwrap_or(i64::MAX))
    };
    let record = AttemptRecord {
        attempt: attempt.clone(),
        next_attempt_at,
    };
    worker.record(&lease, &record, clock(now, started)).await?;
    Ok(Some(attempt))
}

/// POSTs a signed body; the answer's status, or why there was none.
async fn post(
    clients: &Clients,
    lease: &WebhookLease,
    id: DeliveryId,
    body: Vec<u8>,
) -> Result<u16, String> {
    let url = webhook_url(&lease.url, lease.lab).map_err(|e| e.to_string())?;
    let signed = signature(&lease.secret, now_millis() / 1000, &body);
    clients
        .get(lease.lab)
        .post(url.as_str())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(DELIVERY_HEADER, id.to_string())
        .header(SIGNATURE_HEADER, signed)
        .body(body)
        .send()
        .await
        .map(|r| r.status().as_u16())
        .map_err(|e| classify(&e, &url).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_retry_delay_doubles_up_to_an_hour() {
        let secs: Vec<u64> = (1..=11).map(|n| retry_delay(n).as_secs()).collect();
        assert_eq!(
            secs,
            [10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600, 3600]
        );
        assert_eq!(retry_delay(1000), MAX_RETRY);
    }
}
