//! Injected faults, consumed request by request.

use crate::scenario::FaultSpec;
use std::sync::Mutex;
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

/// The active fault settings.
#[derive(Debug, Default)]
pub struct Faults(Mutex<FaultSpec>);

impl Faults {
    /// Replaces the settings.
    pub fn set(&self, spec: FaultSpec) {
        *self.0.lock().expect("faults lock") = spec;
    }

    /// The current settings.
    pub fn get(&self) -> FaultSpec {
        self.0.lock().expect("faults lock").clone()
    }

    /// The latency to add and the action for the next request, consuming one count.
    pub fn next(&self) -> (Duration, FaultAction) {
        let mut f = self.0.lock().expect("faults lock");
        let latency = Duration::from_millis(f.latency_ms);
        if let Some(s) = &mut f.server_busy
            && s.count > 0
        {
            s.count -= 1;
            return (
                latency,
                FaultAction::ServerBusy {
                    back_off_ms: s.back_off_ms,
                    as_response_message: s.as_response_message,
                },
            );
        }
        if let Some(s) = &mut f.http_503
            && s.count > 0
        {
            s.count -= 1;
            return (
                latency,
                FaultAction::Http503 {
                    retry_after_s: s.retry_after_s,
                },
            );
        }
        if let Some(s) = &mut f.reset
            && s.count > 0
        {
            s.count -= 1;
            return (latency, FaultAction::Reset);
        }
        if let Some(s) = &mut f.truncate
            && s.count > 0
        {
            s.count -= 1;
            return (latency, FaultAction::Truncate);
        }
        (latency, FaultAction::None)
    }
}
