//! One step of a check, with its timing and any sub-steps.

use serde::Serialize;
use std::time::{Duration, Instant};

/// How a step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum StepStatus {
    /// Passed.
    Ok,
    /// Passed with something the admin should know.
    Warning,
    /// Failed; the check stops here.
    Failed,
    /// Not run because an earlier step failed.
    Skipped,
}

/// A step in the check's tree.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// What was checked.
    pub title: String,
    /// How it ended.
    pub status: StepStatus,
    /// What was found.
    pub detail: String,
    /// Time taken, in milliseconds.
    pub elapsed_ms: u64,
    /// Sub-steps (e.g. each Autodiscover candidate).
    pub children: Vec<Step>,
}

impl Step {
    /// A step that ended now, having started at `started`.
    pub fn new(
        title: impl Into<String>,
        status: StepStatus,
        detail: impl Into<String>,
        started: Instant,
    ) -> Self {
        Self {
            title: title.into(),
            status,
            detail: detail.into(),
            elapsed_ms: ms(started.elapsed()),
            children: Vec::new(),
        }
    }

    /// A step that was not run.
    pub fn skipped(title: impl Into<String>, why: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            status: StepStatus::Skipped,
            detail: why.into(),
            elapsed_ms: 0,
            children: Vec::new(),
        }
    }

    /// Adds sub-steps.
    pub fn with_children(mut self, children: Vec<Step>) -> Self {
        self.children = children;
        self
    }
}

fn ms(d: Duration) -> u64 {
    d.as_millis().try_into().unwrap_or(u64::MAX)
}
