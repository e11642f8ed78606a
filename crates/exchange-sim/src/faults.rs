//! Injected faults, consumed request by request.

use crate::scenario::FaultSpec;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// What to do to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FaultAction {
    /// Serve it normally.
    #[default]
    None,
    /// Answer ErrorServerBusy.
    ServerBusy {
        /// BackOffMilliseconds.
        back_off_ms: u64,
        /// As a response message rather than a SOAP fault.
        as_response_message: bool,
    },
    /// Answer HTTP 503 with Retry-After.
    Http503 {
        /// Seconds.
        retry_after_s: u64,
    },
    /// Drop the connection without an answer.
    Reset,
    /// Send half the body, then drop the connection.
    Truncate,
}

/// Latency to add to one EWS request, while it holds its throttling slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InjectedLatency(pub Duration);

/// The active fault settings, and how many requests asked for an action.
#[derive(Debug, Default)]
pub struct Faults(Mutex<FaultSpec>, AtomicU64);

impl Faults {
    /// Replaces the settings.
    pub fn set(&self, spec: FaultSpec) {
        *self.0.lock().expect("faults lock") = spec;
    }

    /// The current settings.
    pub fn get(&self) -> FaultSpec {
        self.0.lock().expect("faults lock").clone()
    }

    /// Gives back the count an action consumed, for a request that never got in
    /// (refused with 401, or one leg of an NTLM handshake).
    pub fn put_back(&self, action: FaultAction) {
        let mut f = self.0.lock().expect("faults lock");
        let count = match action {
            FaultAction::ServerBusy { .. } => f.server_busy.as_mut().map(|s| &mut s.count),
            FaultAction::Http503 { .. } => f.http_503.as_mut().map(|s| &mut s.count),
            FaultAction::Truncate => f.truncate.as_mut().map(|s| &mut s.count),
            FaultAction::Reset | FaultAction::None => None,
        };
        if let Some(c) = count {
            *c += 1;
        }
    }

    /// The latency to add and the action for the next request, consuming one count.
    pub fn next(&self) -> (Duration, FaultAction) {
        let mut f = self.0.lock().expect("faults lock");
        let latency = Duration::from_millis(f.latency_ms);
        let n = self.1.fetch_add(1, Ordering::Relaxed) + 1;
        let action = if f.every_nth > 1 && !n.is_multiple_of(u64::from(f.every_nth)) {
            FaultAction::None
        } else if let Some(s) = take(&mut f.server_busy, |s| &mut s.count) {
            FaultAction::ServerBusy {
                back_off_ms: s.back_off_ms,
                as_response_message: s.as_response_message,
            }
        } else if let Some(s) = take(&mut f.http_503, |s| &mut s.count) {
            FaultAction::Http503 {
                retry_after_s: s.retry_after_s,
            }
        } else if take(&mut f.reset, |s| &mut s.count).is_some() {
            FaultAction::Reset
        } else if take(&mut f.truncate, |s| &mut s.count).is_some() {
            FaultAction::Truncate
        } else {
            FaultAction::None
        };
        (latency, action)
    }
}

/// Consumes one count of a fault, returning a copy of it if it was still active.
fn take<T: Copy>(fault: &mut Option<T>, count: impl Fn(&mut T) -> &mut u32) -> Option<T> {
    let f = fault.as_mut()?;
    let n = count(f);
    if *n == 0 {
        return None;
    }
    *n -= 1;
    Some(*f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::CountFault;

    #[test]
    fn every_nth_spaces_the_faults_out() {
        let faults = Faults::default();
        faults.set(FaultSpec {
            every_nth: 3,
            reset: Some(CountFault { count: 2 }),
            ..FaultSpec::default()
        });
        let actions: Vec<_> = (0..9).map(|_| faults.next().1).collect();
        let resets: Vec<_> = (0..9)
            .filter(|&i| actions[i] == FaultAction::Reset)
            .collect();
        assert_eq!(resets, [2, 5], "{actions:?}");
    }
}
