//! The throttling governor: bounded, adaptive concurrency per service account, and
//! patient retries.
//!
//! One governor belongs to one [`ExchangeClient`](crate::ExchangeClient), which the engine
//! builds once per organisation, so every request of an organisation's service account
//! shares it. A request that is throttled gives its slot back while it waits out
//! `BackOffMilliseconds` (or `Retry-After`); when `ErrorServerBusy` or
//! `ErrorExceededConnectionCount` keeps coming the limit is halved, and successes raise it
//! again one by one ([`ConcurrencyLimit`]).

use crate::concurrency_limit::ConcurrencyLimit;
use crate::error::ExchangeError;
use impersync_ews::ResponseCode;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::Notify;

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

/// The limit and how many requests hold a slot.
#[derive(Debug)]
struct Window {
    limit: ConcurrencyLimit,
    in_flight: usize,
}

#[derive(Debug)]
struct Shared {
    window: Mutex<Window>,
    freed: Notify,
}

impl Shared {
    fn window(&self) -> MutexGuard<'_, Window> {
        self.window.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One request's slot; given back when dropped.
struct Slot<'a>(&'a Shared);

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.0.window().in_flight -= 1;
        self.0.freed.notify_waiters();
    }
}

/// Caps concurrency and waits out `ErrorServerBusy`, `ErrorExceededConnectionCount` and 503.
#[derive(Debug, Clone)]
pub struct Governor {
    shared: Arc<Shared>,
    max_total_wait: Duration,
}

impl Governor {
    /// A governor allowing up to `min(max_concurrency, server_max_concurrency)` requests at once.
    pub fn new(config: &GovernorConfig) -> Self {
        let max = config.max_concurrency.min(config.server_max_concurrency);
        Self {
            shared: Arc::new(Shared {
                window: Mutex::new(Window {
                    limit: ConcurrencyLimit::new(max),
                    in_flight: 0,
                }),
                freed: Notify::new(),
            }),
            max_total_wait: config.max_total_wait,
        }
    }

    /// How many requests may run at once now (cut while the server is busy).
    pub fn limit(&self) -> usize {
        self.shared.window().limit.current()
    }

    /// The most requests that may ever run at once.
    pub fn max_limit(&self) -> usize {
        self.shared.window().limit.max()
    }

    /// How many requests are running now.
    pub fn in_flight(&self) -> usize {
        self.shared.window().in_flight
    }

    /// Waits for a free slot under the current limit.
    async fn slot(&self) -> Slot<'_> {
        loop {
            let freed = self.shared.freed.notified();
            tokio::pin!(freed);
            freed.as_mut().enable();
            {
                let mut window = self.shared.window();
                if window.in_flight < window.limit.current() {
                    window.in_flight += 1;
                    return Slot(&self.shared);
                }
            }
            freed.await;
        }
    }

    /// Feeds one answer into the adaptive limit.
    fn observe<T>(&self, result: &Result<T, ExchangeError>) {
        let raised = {
            let mut window = self.shared.window();
            match result {
                Ok(_) => window.limit.on_success(),
                Err(e) if is_busy(e) => {
                    if window.limit.on_busy() {
                        tracing::info!(
                            limit = window.limit.current(),
                            "the server keeps saying it is busy; concurrency cut"
                        );
                    }
                    false
                }
                Err(_) => false,
            }
        };
        if raised {
            self.shared.freed.notify_waiters();
        }
    }

    /// Runs `attempt` under a slot, retrying after throttling signals until the wait budget is spent.
    pub async fn run<T, F, Fut>(&self, mut attempt: F) -> Result<T, ExchangeError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ExchangeError>>,
    {
        let mut waited = Duration::ZERO;
        loop {
            let result = {
                let _slot = self.slot().await;
                attempt().await
            };
            self.observe(&result);
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

/// Whether an error says the server is overloaded by this account's requests.
fn is_busy(err: &ExchangeError) -> bool {
    let code = match err {
        ExchangeError::Fault(f) => &f.code,
        ExchangeError::Response { code, .. } => code,
        _ => return false,
    };
    matches!(
        code,
        ResponseCode::ErrorServerBusy | ResponseCode::ErrorExceededConnectionCount
    )
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

    fn up_to(max_concurrency: usize) -> Governor {
        Governor::new(&GovernorConfig {
            max_concurrency,
            ..GovernorConfig::default()
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

    #[tokio::test]
    async fn sustained_busy_answers_cut_the_limit_and_successes_raise_it() {
        let g = up_to(8);
        let calls = AtomicUsize::new(0);
        let r = g
            .run(|| async {
                if calls.fetch_add(1, Ordering::SeqCst) < 6 {
                    Err(busy(1))
                } else {
                    Ok(())
                }
            })
            .await;
        assert!(r.is_ok());
        assert_eq!(g.limit(), 2, "two cuts: 8, 4, 2");
        for _ in 0..2 * crate::concurrency_limit::SUCCESSES_TO_RAISE {
            g.run(|| async { Ok(()) }).await.unwrap();
        }
        assert_eq!(g.limit(), 4);
        assert_eq!((g.max_limit(), g.in_flight()), (8, 0));
    }

    #[tokio::test]
    async fn no_more_than_the_limit_run_at_once() {
        let g = up_to(3);
        let running = AtomicUsize::new(0);
        let peak = AtomicUsize::new(0);
        let one = || async {
            g.run(|| async {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(5)).await;
                running.fetch_sub(1, Ordering::SeqCst);
                Ok::<_, ExchangeError>(())
            })
            .await
        };
        futures_util::future::join_all((0..20).map(|_| one())).await;
        assert_eq!(peak.load(Ordering::SeqCst), 3);
        assert_eq!(g.in_flight(), 0);
    }

    #[test]
    fn never_exceeds_the_server_limit() {
        let g = up_to(50);
        assert_eq!(g.limit(), EXCHANGE_DEFAULT_MAX_CONCURRENCY);
    }
}
