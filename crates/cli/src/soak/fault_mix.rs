//! The faults a soak keeps on: one EWS request in [`EVERY_NTH`] fails, in turn with
//! ErrorServerBusy (with BackOffMilliseconds), HTTP 503 (with Retry-After), a dropped
//! connection and a cut-off body. The simulator consumes a count per fault, so the mix is
//! armed again whenever all four are used up; the counts consumed are the faults injected.

use super::control::Control;
use serde_json::{Value, json};

/// One EWS request in this many takes a fault.
pub const EVERY_NTH: u32 = 20;

/// The faults of one arming, in the order the simulator consumes them.
const KINDS: [&str; 4] = ["server_busy", "http_503", "reset", "truncate"];

/// The fault mix on a simulator, and how many faults it injected.
#[derive(Debug)]
pub struct FaultMix {
    control: Control,
    injected: u64,
}

impl FaultMix {
    /// Arms the mix on the simulator.
    pub async fn start(control: Control) -> anyhow::Result<Self> {
        control.set_faults(&spec()).await?;
        Ok(Self {
            control,
            injected: 0,
        })
    }

    /// Arms the mix again if the simulator has used all of it.
    pub async fn tick(&mut self) -> anyhow::Result<()> {
        if remaining(&self.control.faults().await?) == 0 {
            self.injected += KINDS.len() as u64;
            self.control.set_faults(&spec()).await?;
        }
        Ok(())
    }

    /// Faults injected so far (counting the arming in use only at [`FaultMix::stop`]).
    pub fn injected(&self) -> u64 {
        self.injected
    }

    /// Switches the faults off; how many were injected in all.
    pub async fn stop(mut self) -> anyhow::Result<u64> {
        let left = remaining(&self.control.faults().await?);
        self.control.clear_faults().await?;
        self.injected += KINDS.len() as u64 - left;
        Ok(self.injected)
    }
}

/// The simulator's fault settings for one arming.
fn spec() -> Value {
    json!({
        "every_nth": EVERY_NTH,
        "server_busy": { "count": 1, "back_off_ms": 500 },
        "http_503": { "count": 1, "retry_after_s": 1 },
        "reset": { "count": 1 },
        "truncate": { "count": 1 },
    })
}

/// The fault counts the simulator has not used yet.
fn remaining(settings: &Value) -> u64 {
    KINDS
        .iter()
        .map(|kind| settings[kind]["count"].as_u64().unwrap_or(0))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_what_is_left_of_an_arming() {
        assert_eq!(remaining(&spec()), 4);
        let mut used = spec();
        used["server_busy"]["count"] = json!(0);
        used["reset"] = Value::Null;
        assert_eq!(remaining(&used), 2);
    }
}
