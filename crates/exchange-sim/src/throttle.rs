//! EWS throttling: `EWSMaxConcurrency` per budget and a request budget.
//!
//! As in Exchange 2010 SP2 RU4 and later, an impersonated request is charged to a copy
//! of the target mailbox's budget, shared by every account that impersonates it; a
//! request without impersonation is charged to the caller's own budget.

use crate::directory::UserNo;
use crate::scenario::ThrottlingSpec;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Why a request was throttled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Throttled {
    /// More concurrent requests than `EWSMaxConcurrency`.
    Concurrency(u32),
    /// The budget is spent; retry after this many milliseconds.
    Budget(u64),
}

/// Whose budget a request is charged to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Budget {
    /// The caller acting on its own mailbox.
    Own(UserNo),
    /// Any account impersonating this user.
    Impersonated(UserNo),
}

#[derive(Debug)]
struct CallerState {
    active: u32,
    tokens: f64,
    refilled: Instant,
}

/// Per-caller concurrency and budget accounting.
#[derive(Debug)]
pub struct Throttle {
    policy: Mutex<ThrottlingSpec>,
    callers: Arc<Mutex<HashMap<Budget, CallerState>>>,
}

/// Holds one concurrency slot until dropped.
#[derive(Debug)]
pub struct Slot {
    caller: Budget,
    callers: Arc<Mutex<HashMap<Budget, CallerState>>>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some(s) = self
            .callers
            .lock()
            .expect("throttle lock")
            .get_mut(&self.caller)
        {
            s.active = s.active.saturating_sub(1);
        }
    }
}

impl Throttle {
    /// Accounting under a policy.
    pub fn new(policy: ThrottlingSpec) -> Self {
        Self {
            policy: Mutex::new(policy),
            callers: Arc::default(),
        }
    }

    /// Replaces the policy and forgets all accounting.
    pub fn reset(&self, policy: ThrottlingSpec) {
        *self.policy.lock().expect("throttle lock") = policy;
        self.callers.lock().expect("throttle lock").clear();
    }

    /// The policy in force.
    pub fn policy(&self) -> ThrottlingSpec {
        self.policy.lock().expect("throttle lock").clone()
    }

    /// Admits one request charged to `caller`, or says why not.
    pub fn admit(&self, caller: Budget) -> Result<Slot, Throttled> {
        let policy = self.policy();
        let mut callers = self.callers.lock().expect("throttle lock");
        let now = Instant::now();
        let state = callers.entry(caller).or_insert_with(|| CallerState {
            active: 0,
            tokens: f64::from(policy.budget_burst),
            refilled: now,
        });
        if state.active >= policy.ews_max_concurrency {
            return Err(Throttled::Concurrency(policy.ews_max_concurrency));
        }
        if policy.budget_per_second > 0 {
            let rate = f64::from(policy.budget_per_second);
            let elapsed = now.duration_since(state.refilled).as_secs_f64();
            state.tokens =
                (state.tokens + elapsed * rate).min(f64::from(policy.budget_burst.max(1)));
            state.refilled = now;
            if state.tokens < 1.0 {
                let wait_ms = ((1.0 - state.tokens) / rate * 1000.0).ceil() as u64;
                return Err(Throttled::Budget(wait_ms.max(1)));
            }
            state.tokens -= 1.0;
        }
        state.active += 1;
        Ok(Slot {
            caller,
            callers: Arc::clone(&self.callers),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrency_cap_and_budget() {
        let t = Throttle::new(ThrottlingSpec {
            ews_max_concurrency: 2,
            budget_per_second: 1,
            budget_burst: 3,
        });
        let one = Budget::Own(UserNo(1));
        let a = t.admit(one).unwrap();
        let _b = t.admit(one).unwrap();
        assert_eq!(t.admit(one).unwrap_err(), Throttled::Concurrency(2));
        assert!(
            t.admit(Budget::Own(UserNo(2))).is_ok(),
            "another caller has its own slots"
        );
        assert!(
            t.admit(Budget::Impersonated(UserNo(1))).is_ok(),
            "impersonating a user does not use the user's own budget"
        );
        drop(a);
        let _c = t.admit(one).unwrap();
        drop(_c);
        assert!(matches!(t.admit(one), Err(Throttled::Budget(ms)) if ms > 0 && ms <= 1000));
    }
}
