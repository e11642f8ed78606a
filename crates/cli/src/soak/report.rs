//! What a soak measured, and its summary for `docs/benchmarks.md`.

use super::checks::{FD_TOLERANCE, FeedCheck, Levels, Phases, RSS_GROWTH};
use super::fault_mix::EVERY_NTH;
use super::traffic::Sent;
use crate::bench::machine::Machine;
use std::time::Duration;

/// The figures and verdicts of one soak.
pub struct Outcome {
    /// The command as run.
    pub command: String,
    /// The run's phases.
    pub phases: Phases,
    /// Mailboxes.
    pub mailboxes: u32,
    /// The database, in words.
    pub database: &'static str,
    /// What the traffic did.
    pub sent: Sent,
    /// EWS requests the simulator served.
    pub requests: u64,
    /// Faults injected.
    pub faults: u64,
    /// Mailbox syncs that finished and that failed (worker loop, final round included).
    pub syncs: (u64, u64),
    /// How long the final round took.
    pub final_round: Duration,
    /// The change feed at the end.
    pub feed: FeedCheck,
    /// Items the simulator held at the end, all compared with the store.
    pub compared: u64,
    /// RSS levels in MiB.
    pub memory: Option<Levels<f64>>,
    /// Open file descriptor levels.
    pub fds: Option<Levels<u64>>,
    /// Descriptors open after the final round.
    pub final_fds: u64,
    /// The failed checks; empty when the soak passed.
    pub failures: Vec<String>,
}

impl Outcome {
    /// The verdict in a word or a list.
    pub fn verdict(&self) -> String {
        if self.failures.is_empty() {
            "**passed**".into()
        } else {
            format!("**FAILED**: {}", self.failures.join("; "))
        }
    }

    /// The report's section.
    pub fn markdown(&self) -> String {
        let minutes = self.phases.run / 60.0;
        let mem = |f: fn(&Levels<f64>) -> f64| {
            self.memory
                .as_ref()
                .map_or("n/a".into(), |l| format!("{:.1} MiB", f(l)))
        };
        let fd = |f: fn(&Levels<u64>) -> u64| {
            self.fds.as_ref().map_or("n/a".into(), |l| f(l).to_string())
        };
        let sent = &self.sent;
        let feed = &self.feed;
        format!(
            "## Soak (`impersync soak`)\n\n\
             Command: `{command}`  \n\
             {machine}  \n\
             The engine's worker loop (`Engine::run_worker`, batch 16, 4 mailboxes at a time, as `serve` runs it) \
             syncs {mailboxes} mailboxes into {database} for {minutes:.1} minutes, against the simulator in its own \
             process. The simulator fails one EWS request in {EVERY_NTH}, in turn with ErrorServerBusy \
             (BackOffMilliseconds 500), HTTP 503 (Retry-After 1 s), a dropped connection and a cut-off body. \
             Meanwhile mail arrives through its control API (of every ten changes: seven deliveries, one read flag, \
             one subject update, one deletion of a synced message); the touched mailboxes are made due (\"sync now\") \
             every five seconds, on top of the 30-second poll interval. Then delivery stops, the faults are switched \
             off and every mailbox syncs once more; the whole change feed is read and the store compared with the \
             simulator.\n\n\
             Warm-up is the first {warm_up:.0} s (a fifth of the run, at least 30 s, or half of a run shorter \
             than a minute). Its level is the median sample of its second half, the end level the median of the last \
             fifth of the run (with the sample after the final round), so one spike decides neither. The end level of \
             RSS may exceed warm-up by {growth:.0}%, of open descriptors by {FD_TOLERANCE} (pooled SQLite and HTTP \
             connections).\n\n\
             | measure | result |\n|---|---|\n\
             | minutes of traffic with faults | {minutes:.1} |\n\
             | items delivered | {delivered} (plus {read_flags} read flags, {updates} updates, {deletions} deletions) |\n\
             | EWS requests | {requests} |\n\
             | faults injected | {faults} |\n\
             | mailbox syncs finished / failed | {ok} / {failed} |\n\
             | final sync round | {final_round:.1} s |\n\
             | change feed rows | {rows} ({created} created, {updated} updated, {read_flag_rows} read flag, {deleted} deleted) |\n\
             | items compared with the simulator | {compared} |\n\
             | RSS at warm-up / end (medians) / max | {rss_warm} / {rss_end} / {rss_max} |\n\
             | open fds at warm-up / end (medians) / max / after the final round | {fd_warm} / {fd_end} / {fd_max} / {final_fds} |\n\
             | verdict | {verdict} |\n",
            command = self.command,
            machine = Machine::detect().line(),
            mailboxes = self.mailboxes,
            database = self.database,
            warm_up = self.phases.warm_up,
            growth = RSS_GROWTH * 100.0,
            delivered = sent.delivered,
            read_flags = sent.read_flags,
            updates = sent.updates,
            deletions = sent.deletions,
            requests = self.requests,
            faults = self.faults,
            ok = self.syncs.0,
            failed = self.syncs.1,
            final_round = self.final_round.as_secs_f64(),
            rows = feed.rows,
            created = feed.created,
            updated = feed.updated,
            read_flag_rows = feed.read_flags,
            deleted = feed.deleted,
            compared = self.compared,
            rss_warm = mem(|l| l.warm_up),
            rss_end = mem(|l| l.end),
            rss_max = mem(|l| l.max),
            fd_warm = fd(|l| l.warm_up),
            fd_end = fd(|l| l.end),
            fd_max = fd(|l| l.max),
            final_fds = self.final_fds,
            verdict = self.verdict(),
        )
    }
}
