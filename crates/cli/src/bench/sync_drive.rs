//! Driving the sync engine in a benchmark: `workers` tasks, each calling
//! [`Engine::sync_due`] with a batch of mailboxes until none is due, and what they did.

use anyhow::Context;
use impersync_engine::Engine;
use impersync_store::PageReport;
use indicatif::{ProgressBar, ProgressStyle};
use std::time::{Duration, Instant};

/// What the workers synced, summed.
#[derive(Debug, Default)]
pub struct Driven {
    /// Mailboxes synced without failure.
    pub synced: u64,
    /// Mailboxes that failed, with the first few reasons.
    pub failed: u64,
    /// Up to five failures as `address: outcome: message`.
    pub failures: Vec<String>,
    /// The changes applied, summed over every mailbox.
    pub applied: PageReport,
    /// Pages committed.
    pub pages: u64,
    /// From the first claim to the last worker's end.
    pub elapsed: Duration,
}

impl Driven {
    fn add(&mut self, other: Driven) {
        self.synced += other.synced;
        self.failed += other.failed;
        let room = MAX_FAILURES.saturating_sub(self.failures.len());
        self.failures.extend(other.failures.into_iter().take(room));
        self.applied += other.applied;
        self.pages += other.pages;
    }
}

/// How many failures a report lists.
const MAX_FAILURES: usize = 5;

/// A progress bar on stderr over `mailboxes` mailboxes.
pub fn progress(mailboxes: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(mailboxes);
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{{bar:40}} {{pos}}/{{len}} mailboxes {what}, {{per_sec}}, {{elapsed}}"
        ))
        .expect("static template"),
    );
    bar
}

/// Runs `workers` worker tasks (owners `bench-1`, `bench-2`, ...) until no mailbox is due.
pub async fn drive(
    engine: &Engine,
    workers: usize,
    batch: u32,
    bar: &ProgressBar,
) -> anyhow::Result<Driven> {
    let started = Instant::now();
    let tasks: Vec<_> = (1..=workers.max(1))
        .map(|n| {
            let engine = engine.clone();
            let bar = bar.clone();
            tokio::spawn(async move { worker(&engine, &format!("bench-{n}"), batch, &bar).await })
        })
        .collect();
    let mut total = Driven::default();
    for task in tasks {
        total.add(task.await.context("a worker task panicked")??);
    }
    total.elapsed = started.elapsed();
    bar.finish();
    Ok(total)
}

async fn worker(
    engine: &Engine,
    owner: &str,
    batch: u32,
    bar: &ProgressBar,
) -> anyhow::Result<Driven> {
    let mut done = Driven::default();
    loop {
        let outcomes = engine
            .sync_due(owner, batch)
            .await
            .with_context(|| format!("{owner}: claiming due mailboxes"))?;
        if outcomes.is_empty() {
            return Ok(done);
        }
        bar.inc(outcomes.len() as u64);
        for outcome in outcomes {
            match outcome.result {
                Ok(report) => {
                    done.synced += 1;
                    done.pages += u64::from(report.pages);
                    done.applied += report.applied;
                }
                Err(failure) => {
                    done.failed += 1;
                    if done.failures.len() < MAX_FAILURES {
                        done.failures.push(format!(
                            "{}: {}: {}",
                            outcome.email, failure.outcome, failure.message
                        ));
                    }
                }
            }
        }
    }
}
