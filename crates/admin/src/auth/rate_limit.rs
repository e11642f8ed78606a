//! Login rate limit: at most N failed logins per username and IP address in a window.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed logins per (username, IP).
#[derive(Debug)]
pub struct LoginLimiter {
    max_failures: usize,
    window: Duration,
    failures: Mutex<HashMap<(String, IpAddr), Vec<Instant>>>,
}

impl LoginLimiter {
    /// A limiter allowing `max_failures` failures per `window`.
    pub fn new(max_failures: usize, window: Duration) -> Self {
        Self {
            max_failures,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn key(username: &str, ip: IpAddr) -> (String, IpAddr) {
        (username.trim().to_lowercase(), ip)
    }

    /// `Some(seconds to wait)` when this username and address are blocked.
    pub fn blocked(&self, username: &str, ip: IpAddr) -> Option<u64> {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let list = map.get_mut(&Self::key(username, ip))?;
        list.retain(|t| now.duration_since(*t) < self.window);
        if list.len() < self.max_failures {
            return None;
        }
        let oldest = list.iter().min().copied()?;
        let wait = self.window.saturating_sub(now.duration_since(oldest));
        Some(wait.as_secs().max(1))
    }

    /// Records a failed login.
    pub fn failed(&self, username: &str, ip: IpAddr) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        map.retain(|_, list| list.iter().any(|t| now.duration_since(*t) < self.window));
        map.entry(Self::key(username, ip)).or_default().push(now);
    }

    /// Forgets the failures after a successful login.
    pub fn succeeded(&self, username: &str, ip: IpAddr) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&Self::key(username, ip));
    }
}
