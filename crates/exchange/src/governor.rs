//! The throttling governor: bounded concurrency per service account, and patient retries.

use crate::error::ExchangeError;
use impersync_ews::ResponseCode;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// Exchange's default `EWSMaxConcurrency`.
pub const EXCHANGE_DEFAULT_MAX_CONCURRENCY: usize = 27;

/// Governor settings.
#[derive(Debug, Clone)]
pub struct GovernorConfig {
    /// Concurrent requests per service account (default 10).
    pub max_concurrency: usize,
    /// The server's `EWSMaxConcurrency`; the governor never exceeds it.
    pub server_max_concurrency: usize,
    /// Total time one call may spend waiting out throttling before it gives up.
    pub max_total_wait: Duration,
}

impl Default for GovernorConfig {
    fn default() -> Self {
        Self {
            max_concurrency: 10,
            server_max_concurrency: EXCHANGE_DEFAULT_MAX_CONCURRENCY,
            max_total_wait: Duration::from_secs(120),
        }
    }
}

/// Caps concurrency and waits out `ErrorServerBusy`, `ErrorExceededConnectionCount` and 503.
#[derive(Debug, Clone)]
pub struct Governor {
    permits: Arc<Semaphore>,
    limit: usize,
    max_total_wait: Duration,
}

impl Governor {
    /// A governor allowing `min(max_concurrency, server_max_concurrency)` requests at once.
    pub fn new(config: &GovernorConfig) -> Self {
        let limit = config
            .max_concurrency
            .min(config.server_max_concurrency)
            .max(1);
        Self {
            permits: Arc::new(Semaphore::new(limit)),
            limit,
            max_total_wait: config.max_total_wait,
        }
    }

    /// How many requests may run at once.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Runs `attempt` under a permit, retrying after throttling signals until the wait budget is spent.
    pub async fn run<T, F, Fut>(&self, mut attempt: F) -> Result<T, ExchangeError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ExchangeError>>,
    {
        let mut waited = Duration::ZERO;
        loop {
            let result = {
                let _permit = self
                    .permits
                    .acquire()
                    .await
                    .expect("the governor's semaphore is never closed");
                attempt().await
            };
            let Err(err) = &result else { return result };
            let Some((delay, why)) = throttle_delay(err) else {
                return result;
            };
            let delay = with_jitter(delay);
            if waited + delay > self.max_total_wait {
                return Err(ExchangeError::ThrottledTooLong { last: why, waited });
            }
            tracing::debug!(?delay, %why, "throttled; waiting before retrying");
            tokio::time::sleep(delay).await;
            waited += delay;
        }
    }
}

/// How long a throttling error asks to wait, if it is one.
pub fn throttle_delay(err: &ExchangeError) -> Option<(Duration, String)> {
    let busy = |ms: Option<u64>| Duration::from_millis(ms.unwrap_or(1000).max(1));
    match err {
        ExchangeError::Fault(f) if f.code == ResponseCode::ErrorServerBusy => Some((
            busy(f.back_off_ms),
            format!("ErrorServerBusy, BackOffMilliseconds {:?}", f.back_off_ms),
        )),
        ExchangeError::Response {
            code: ResponseCode::ErrorServerBusy,
            back_off_ms,
            ..
        } => Some((
            busy(*back_off_ms),
            format!("ErrorServerBusy, BackOffMilliseconds {back_off_ms:?}"),
        )),
        ExchangeError::Fault(f) if f.code == ResponseCode::ErrorExceededConnectionCount => Some((
            Duration::from_millis(500),
            "ErrorExceededConnectionCount".into(),
        )),
        ExchangeError::Http {
            status: 503,
            retry_after,
            ..
        } => Some((
            retry_after.unwrap_or(Duration::from_secs(5)),
            format!("HTTP 503, Retry-After {retry_after:?}"),
        )),
        _ => None,
    }
}

fn with_jitter(delay: Duration) -> Duration {
    delay.mul_f64(1.0 + rand::random::<f64>() * 0.2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use impersync_ews::SoapFault;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn busy(ms: u64) -> ExchangeError {
        ExchangeError::Fault(SoapFault {
            back_off_ms: Some(ms),
            ..SoapFault::new(ResponseCode::ErrorServerBusy, "busy")
        })
    }

    #[tokio::test]
    async fn retries_after_back_off_then_succeeds() {
        let g = Governor::new(&GovernorConfig::default());
        let calls = AtomicUsize::new(0);
        let started = std::time::Instant::now();
        let r = g
            .run(|| async {
                if calls.fetch_add(1, Ordering::SeqCst) < 2 {
                    Err(busy(50))
                } else {
                    Ok(7)
                }
            })
            .await;
        assert_eq!(r.unwrap(), 7);
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        assert!(started.elapsed() >= Duration::from_millis(100));
    }

    #[tokio::test]
    async fn gives_up_after_the_wait_budget() {
        let g = Governor::new(&GovernorConfig {
            max_total_wait: Duration::from_millis(120),
            ..GovernorConfig::default()
        });
        let r: Result<(), _> = g.run(|| async { Err(busy(100)) }).await;
        assert!(
            matches!(r, Err(ExchangeError::ThrottledTooLong { .. })),
            "{r:?}"
        );
    }

    #[test]
    fn never_exceeds_the_server_limit() {
        let g = Governor::new(&GovernorConfig {
            max_concurrency: 50,
            ..GovernorConfig::default()
        });
        assert_eq!(g.limit(), EXCHANGE_DEFAULT_MAX_CONCURRENCY);
    }
}
