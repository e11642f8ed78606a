//! The sync engine's Prometheus metrics: counters kept in the engine as mailboxes sync, and
//! gauges read from the store at scrape time, rendered in the OpenMetrics text format.

use super::mailbox::MailboxReport;
use super::run::is_permanent;
use impersync_store::{ALL_STATES, Lease, SyncFailure, SyncGauges};
use prometheus_client::encoding::text::{encode_eof, encode_registry};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

/// The content type of [`SyncMetrics::render`]'s text.
pub const METRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// One label.
type Label = Vec<(&'static str, String)>;

/// The sync counters since the engine started. Cheap to update from many tasks.
#[derive(Debug)]
pub struct SyncMetrics {
    registry: Registry,
    syncs: Family<Label, Counter>,
    items: Family<Label, Counter>,
    errors: Family<Label, Counter>,
    backoffs: Counter,
    takeovers: Counter,
    pages: Counter,
}

impl Default for SyncMetrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("impersync");
        let syncs = Family::<Label, Counter>::default();
        let items = Family::<Label, Counter>::default();
        let errors = Family::<Label, Counter>::default();
        let (backoffs, takeovers, pages) =
            (Counter::default(), Counter::default(), Counter::default());
        registry.register(
            "syncs",
            "Mailbox syncs by result (ok, failed, lease_lost)",
            syncs.clone(),
        );
        registry.register(
            "sync_items",
            "Item changes applied by kind (created, updated, deleted, read_flag)",
            items.clone(),
        );
        registry.register(
            "sync_errors",
            "Failed mailbox syncs by outcome class",
            errors.clone(),
        );
        registry.register(
            "sync_backoffs",
            "Mailboxes backed off after a transient failure",
            backoffs.clone(),
        );
        registry.register(
            "sync_lease_takeovers",
            "Expired leases taken over from another worker",
            takeovers.clone(),
        );
        registry.register("sync_pages", "Sync pages committed", pages.clone());
        Self {
            registry,
            syncs,
            items,
            errors,
            backoffs,
            takeovers,
            pages,
        }
    }
}

fn label(name: &'static str, value: &str) -> Label {
    vec![(name, value.to_string())]
}

impl SyncMetrics {
    /// Counts the leases a round claimed that were taken over.
    pub fn claimed(&self, leases: &[Lease]) {
        let taken = leases.iter().filter(|l| l.taken_over).count();
        self.takeovers.inc_by(taken as u64);
    }

    /// Counts one mailbox's sync: its result, the changes and pages it applied, or its
    /// failure's outcome class and whether it was backed off.
    pub fn synced(&self, result: &Result<MailboxReport, SyncFailure>, lease_lost: bool) {
        match result {
            Ok(report) => {
                self.syncs.get_or_create(&label("result", "ok")).inc();
                let applied = &report.applied;
                for (kind, n) in [
                    ("created", applied.created),
                    ("updated", applied.updated),
                    ("deleted", applied.deleted),
                    ("read_flag", applied.read_flags),
                ] {
                    self.items
                        .get_or_create(&label("kind", kind))
                        .inc_by(u64::from(n));
                }
                self.pages.inc_by(u64::from(report.pages));
            }
            Err(_) if lease_lost => {
                self.syncs
                    .get_or_create(&label("result", "lease_lost"))
                    .inc();
            }
            Err(failure) => {
                self.syncs.get_or_create(&label("result", "failed")).inc();
                self.errors
                    .get_or_create(&label("outcome", &failure.outcome))
                    .inc();
                if !is_permanent(&failure.outcome) {
                    self.backoffs.inc();
                }
            }
        }
    }

    /// The counters, then the store's figures read at `now` (Unix ms): the queue lag and
    /// the mailboxes per state, as OpenMetrics text.
    pub fn render(&self, gauges: &SyncGauges, now: i64) -> String {
        let mut scrape = Registry::with_prefix("impersync");
        let lag = Gauge::<f64, AtomicU64>::default();
        let lag_ms = gauges.oldest_due_at.map_or(0, |due| (now - due).max(0));
        lag.set(lag_ms as f64 / 1000.0);
        scrape.register(
            "sync_queue_lag_seconds",
            "Seconds since the oldest due but unclaimed mailbox became due (0 when none waits)",
            lag,
        );
        let mailboxes = Family::<Label, Gauge>::default();
        for state in ALL_STATES {
            let n = i64::try_from(gauges.by_state.get(state)).unwrap_or(i64::MAX);
            mailboxes
                .get_or_create(&label("state", state.as_str()))
                .set(n);
        }
        scrape.register(
            "mailboxes",
            "Mailboxes with sync enabled, by sync state",
            mailboxes,
        );
        let mut text = String::new();
        let written = encode_registry(&mut text, &self.registry)
            .and_then(|()| encode_registry(&mut text, &scrape))
            .and_then(|()| encode_eof(&mut text));
        debug_assert!(written.is_ok(), "writing to a String cannot fail");
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use impersync_store::{PageReport, StateCounts};

    #[test]
    fn counters_and_gauges_render_as_openmetrics() {
        let metrics = SyncMetrics::default();
        let report = MailboxReport {
            applied: PageReport {
                created: 7,
                read_flags: 2,
                ..PageReport::default()
            },
            pages: 3,
            ..MailboxReport::default()
        };
        metrics.synced(&Ok(report), false);
        let throttled = SyncFailure {
            outcome: "Throttled".into(),
            code: None,
            message: String::new(),
            remedy: String::new(),
        };
        metrics.synced(&Err(throttled.clone()), false);
        metrics.synced(&Err(throttled), true);
        let gauges = SyncGauges {
            by_state: StateCounts {
                idle: 4,
                needs_attention: 1,
                ..StateCounts::default()
            },
            oldest_due_at: Some(1_000),
        };
        let text = metrics.render(&gauges, 3_500);
        for line in [
            "impersync_syncs_total{result=\"ok\"} 1",
            "impersync_syncs_total{result=\"failed\"} 1",
            "impersync_syncs_total{result=\"lease_lost\"} 1",
            "impersync_sync_items_total{kind=\"created\"} 7",
            "impersync_sync_items_total{kind=\"read_flag\"} 2",
            "impersync_sync_errors_total{outcome=\"Throttled\"} 1",
            "impersync_sync_backoffs_total 1",
            "impersync_sync_pages_total 3",
            "impersync_sync_lease_takeovers_total 0",
            "impersync_sync_queue_lag_seconds 2.5",
            "impersync_mailboxes{state=\"idle\"} 4",
            "impersync_mailboxes{state=\"needs_attention\"} 1",
            "impersync_mailboxes{state=\"syncing\"} 0",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{line} missing in:\n{text}"
            );
        }
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
