//! The results of `bench scale-out` and their Markdown section.

use super::scale_out::ScaleOutArgs;
use super::scale_out_phase::Phase;
use super::scale_out_procs::ProcStats;
use std::fmt::Write;

/// The worker killed mid-run and the one added.
#[derive(Debug, Clone, Default)]
pub struct Kill {
    /// Its name on its leases.
    pub owner: String,
    /// Mailboxes synced when it was killed.
    pub at_synced: i64,
    /// Seconds into the initial sync.
    pub after_secs: f64,
    /// When (Unix ms).
    pub at_ms: i64,
    /// The mailboxes whose leases it held.
    pub held: Vec<i64>,
    /// Seconds from the kill to the first and the last of those claimed again.
    pub reclaimed_after_secs: (f64, f64),
    /// Mailboxes synced when the new worker was added.
    pub added_at_synced: i64,
    /// Seconds into the initial sync.
    pub added_after_secs: f64,
}

/// One worker process and how it ended.
#[derive(Debug, Clone)]
pub struct WorkerRow {
    /// Its name on its leases.
    pub owner: String,
    /// How it ended.
    pub ended: &'static str,
    /// Its figures just before.
    pub stats: ProcStats,
}

/// Everything `bench scale-out` measured.
#[derive(Debug, Clone)]
pub struct Report {
    /// The arguments.
    pub args: ScaleOutArgs,
    /// The machine line.
    pub machine: String,
    /// Seconds to create the organisations, users and configurations.
    pub setup_secs: f64,
    /// The initial sync.
    pub initial: Phase,
    /// The poll round.
    pub poll: Phase,
    /// The kill and the added worker.
    pub kill: Kill,
    /// Every worker process.
    pub workers: Vec<WorkerRow>,
    /// The simulator's peak RSS, MiB.
    pub sim_peak_rss_mib: f64,
}

fn rows(out: &mut String, phases: [&Phase; 2]) {
    let line = |out: &mut String, name: &str, f: &dyn Fn(&Phase) -> String| {
        let _ = writeln!(out, "| {name} | {} | {} |", f(phases[0]), f(phases[1]));
    };
    line(out, "wall time", &|p| format!("{:.1} s", p.secs));
    line(out, "mailboxes synced per second", &|p| {
        format!("{:.0}", p.mailboxes as f64 / p.secs)
    });
    line(out, "lease claims (claim transactions)", &|p| {
        format!("{} ({})", p.claims.claims, p.claims.claim_batches)
    });
    line(
        out,
        "lease claims per second: mean / busiest second",
        &|p| format!("{:.0} / {}", p.claims.per_sec(), p.claims.peak_per_sec),
    );
    line(out, "claims of an expired lease (takeovers)", &|p| {
        p.claims.takeovers.to_string()
    });
    line(out, "queue lag p50 / p95 / max (claim − due)", &|p| {
        let [a, b, c] = p.claims.lag_ms;
        format!(
            "{:.2} / {:.2} / {:.2} s",
            a as f64 / 1e3,
            b as f64 / 1e3,
            c as f64 / 1e3
        )
    });
    line(out, "EWS requests per mailbox", &|p| {
        format!("{:.2}", p.per_mailbox(p.requests as f64))
    });
    line(
        out,
        "EWS bytes per mailbox, request bodies / responses",
        &|p| {
            format!(
                "{:.0} / {:.0}",
                p.per_mailbox(p.bytes_in as f64),
                p.per_mailbox(p.bytes_out as f64)
            )
        },
    );
    line(out, "CPU ms per mailbox: workers", &|p| {
        format!("{:.2}", p.per_mailbox(p.worker_cpu * 1e3))
    });
    line(out, "CPU ms per mailbox: simulator", &|p| {
        format!("{:.2}", p.per_mailbox(p.sim_cpu * 1e3))
    });
    line(out, "CPU ms per mailbox: PostgreSQL", &|p| {
        p.pg_cpu.map_or("not readable".into(), |c| {
            format!("{:.2}", p.per_mailbox(c * 1e3))
        })
    });
    line(out, "CPU busy (all three, of the machine's CPUs)", &|p| {
        let cpu = p.worker_cpu + p.sim_cpu + p.pg_cpu.unwrap_or(0.0);
        format!("{:.2} CPUs", cpu / p.secs)
    });
    line(out, "PostgreSQL commits per mailbox", &|p| {
        format!("{:.2}", p.per_mailbox(p.server.commits as f64))
    });
    line(out, "rows inserted / updated per mailbox", &|p| {
        format!(
            "{:.2} / {:.2}",
            p.per_mailbox(p.server.inserted as f64),
            p.per_mailbox(p.server.updated as f64)
        )
    });
    line(out, "WAL bytes per mailbox", &|p| {
        format!("{:.0}", p.per_mailbox(p.server.wal_bytes as f64))
    });
}

impl Report {
    /// The `scale-out` section of `docs/benchmarks.md`.
    pub fn markdown(&self) -> String {
        let a = &self.args;
        let k = &self.kill;
        let mailboxes = a.orgs * a.per_org;
        let per = a.inbox + a.sent + a.calendar + a.contacts;
        let mut out = format!(
            "## Scale-out on PostgreSQL (`impersync bench scale-out`)\n\n\
             Command: `scripts/with-postgres.sh sh -c 'cargo run --release -- bench scale-out --orgs {orgs} \
             --per-org {per_org} --inbox {inbox} --sent {sent} --calendar {cal} --contacts {con} \
             --workers {workers} --batch {batch} --concurrency {conc} --lease-secs {lease} \
             --poll-secs {poll} --database-url \"$IMPERSYNC_TEST_POSTGRES_URL\" --record'`  \n\
             {machine}  \n\
             {mailboxes} generated mailboxes ({per} items each: {inbox} Inbox, {sent} Sent Items, {cal} Calendar, \
             {con} Contacts) in {orgs} organisations of {per_org}, on PostgreSQL (a `scripts/with-postgres.sh` \
             cluster: `fsync=off`, `synchronous_commit=off`). The simulator runs in its own process with one \
             generated domain; each organisation lists its {per_org} users and has its own email configuration \
             (the same service account, Basic auth). {workers} `impersync worker` processes (the release binary, \
             `--batch {batch} --concurrency {conc} --lease-secs {lease}`), the simulator and PostgreSQL share the \
             machine. Setup (organisations, users, configurations, activation) took {setup:.0} s and is not timed.\n\n\
             Phases: the **initial sync** (every mailbox due at once); then a **poll round**: every mailbox is \
             made due once, at evenly spaced times in random order within {poll} s, as a {poll}-second poll \
             interval spreads them, and nothing changed at the simulator.\n\n\
             How it is measured: a trigger on `mailbox_sync` (installed by the benchmark, not part of the \
             product) logs every lease claim with its claim time and the mailbox's due time, in the claim's \
             transaction; claims per second and queue lag (claim time − due time) come from that log. CPU, \
             peak RSS (`VmHWM`) and response bytes from `/proc` (the simulator's `wchar`: EWS over plain \
             HTTP on loopback, headers included); request bytes are the phase's requests times the mean body \
             of those of them still in the simulator's request log (its latest 10,000), headers not included; \
             commits, rows and WAL from `pg_stat_database`, `pg_stat_user_tables` and \
             `pg_current_wal_lsn()`.\n\n\
             | measure | initial sync | poll round |\n|---|---|---|\n",
            orgs = a.orgs,
            per_org = a.per_org,
            inbox = a.inbox,
            sent = a.sent,
            cal = a.calendar,
            con = a.contacts,
            workers = a.workers,
            batch = a.batch,
            conc = a.concurrency,
            lease = a.lease_secs,
            poll = a.poll_secs,
            machine = self.machine,
            setup = self.setup_secs,
        );
        rows(&mut out, [&self.initial, &self.poll]);
        let _ = write!(
            out,
            "\nWorker killed and worker added: `{owner}` was killed with SIGKILL {after:.1} s into the initial \
             sync ({at} of {mailboxes} mailboxes synced), holding {held} leases. Those mailboxes were claimed \
             again by the other workers {first:.1} to {last:.1} s after the kill (lease {lease} s: a claim waits \
             for the lease's end). `scale-{added}` was started {added_after:.1} s in ({added_at} synced). \
             The run completed and the store was checked exact: every mailbox synced and idle, exactly \
             {per} items per mailbox in the right folders, and per organisation one `created` feed row per item, \
             numbered without gaps, none repeated.\n\n\
             | worker | ended | peak RSS | CPU |\n|---|---|---|---|\n",
            owner = k.owner,
            after = k.after_secs,
            at = k.at_synced,
            held = k.held.len(),
            first = k.reclaimed_after_secs.0,
            last = k.reclaimed_after_secs.1,
            lease = a.lease_secs,
            added = a.workers + 1,
            added_after = k.added_after_secs,
            added_at = k.added_at_synced,
        );
        for w in &self.workers {
            let _ = writeln!(
                out,
                "| `{}` | {} | {:.0} MiB | {:.1} s |",
                w.owner, w.ended, w.stats.peak_rss_mib, w.stats.cpu_secs
            );
        }
        let _ = writeln!(
            out,
            "\nThe simulator's peak RSS with {mailboxes} mailboxes: {:.0} MiB.",
            self.sim_peak_rss_mib
        );
        out
    }
}
