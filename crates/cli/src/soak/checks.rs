//! The soak's verdicts, as pure functions over what it recorded: memory and descriptor
//! growth after warm-up, and a change feed without missing or repeated rows.
//!
//! Both measures are compared as levels: the warm-up level is the median sample of the
//! second half of the warm-up, the end level the median of the last fifth of the run (the
//! sample after the final sync round included). A leak raises every sample of the end
//! window, so it moves the median; a single spike (one large page decoded, an allocator
//! arena touched once, connections that happened to be open at one instant) moves one
//! sample and not the median, so neither level is decided by one outlier. Memory fails
//! when the end level is more than [`RSS_GROWTH`] above the warm-up level, descriptors
//! when it is more than [`FD_TOLERANCE`] above it.

use super::samples::Sample;
use std::collections::HashSet;

/// How much the end level of RSS may exceed the warm-up level (10%).
pub const RSS_GROWTH: f64 = 0.10;

/// How many more descriptors the end level may hold than the warm-up level. Connections
/// are pooled, so the count moves with the work in flight: the SQLite pool may keep one
/// more connection open at the end than at warm-up (the database, its WAL and its shared
/// memory: three descriptors; one socket on PostgreSQL), and one more HTTP connection may
/// be idle in a pool. A leak of one descriptor per sync or per request passes four within
/// seconds, since the worker syncs several mailboxes a second.
pub const FD_TOLERANCE: u64 = 4;

/// The phases of a run of `run_secs` seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Phases {
    /// Seconds of warm-up: a fifth of the run, or 30 s if that is longer (but at most half
    /// of a short run).
    pub warm_up: f64,
    /// The run's length in seconds (delivery stops then).
    pub run: f64,
}

impl Phases {
    /// The phases of a run of `run_secs` seconds.
    pub fn for_run(run_secs: f64) -> Self {
        Self {
            warm_up: (run_secs * 0.2).max(30f64.min(run_secs / 2.0)),
            run: run_secs,
        }
    }

    fn in_warm_up_tail(&self, s: &Sample) -> bool {
        s.at_secs >= self.warm_up / 2.0 && s.at_secs <= self.warm_up
    }

    fn in_end(&self, s: &Sample) -> bool {
        s.at_secs >= self.run * 0.8
    }
}

/// A measure at warm-up, at the end, and its largest value over the whole run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Levels<T> {
    /// The warm-up level.
    pub warm_up: T,
    /// The end level.
    pub end: T,
    /// The largest sample.
    pub max: T,
}

/// The RSS levels (MiB) of `samples`; `None` if a window holds no sample.
pub fn memory(samples: &[Sample], phases: &Phases) -> Option<Levels<f64>> {
    levels(samples, phases, |s| s.rss_mib)
}

/// The open descriptor levels of `samples`; `None` if a window holds no sample.
pub fn descriptors(samples: &[Sample], phases: &Phases) -> Option<Levels<u64>> {
    levels(samples, phases, |s| s.fds)
}

fn levels<T: Copy + PartialOrd>(
    samples: &[Sample],
    phases: &Phases,
    measure: fn(&Sample) -> T,
) -> Option<Levels<T>> {
    let window = |keep: &dyn Fn(&Sample) -> bool| {
        median(samples.iter().filter(|s| keep(s)).map(measure).collect())
    };
    let all = samples.iter().map(measure);
    Some(Levels {
        warm_up: window(&|s| phases.in_warm_up_tail(s))?,
        end: window(&|s| phases.in_end(s))?,
        max: all.reduce(|a, b| if b > a { b } else { a })?,
    })
}

/// The median (the upper of the two middle values of an even count).
fn median<T: Copy + PartialOrd>(mut values: Vec<T>) -> Option<T> {
    values.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    values.get(values.len() / 2).copied()
}

/// Why memory failed, if it did.
pub fn memory_failure(levels: Option<&Levels<f64>>) -> Option<String> {
    let Some(l) = levels else {
        return Some("memory: too few samples to compare warm-up and end".into());
    };
    let growth = l.end / l.warm_up - 1.0;
    (growth > RSS_GROWTH).then(|| {
        format!(
            "memory: RSS grew {:.1}% after warm-up ({:.1} MiB → {:.1} MiB; at most {:.0}% allowed)",
            growth * 100.0,
            l.warm_up,
            l.end,
            RSS_GROWTH * 100.0
        )
    })
}

/// Why descriptors failed, if they did.
pub fn descriptor_failure(levels: Option<&Levels<u64>>) -> Option<String> {
    let Some(l) = levels else {
        return Some("file descriptors: too few samples to compare warm-up and end".into());
    };
    (l.end > l.warm_up + FD_TOLERANCE).then(|| {
        format!(
            "file descriptors: {} open at the end, {} after warm-up (at most {FD_TOLERANCE} more allowed)",
            l.end, l.warm_up
        )
    })
}

/// The change feed read end to end, row by row: counts by kind, repeated rows, and which
/// items have a `created` row.
#[derive(Debug, Default)]
pub struct FeedCheck {
    /// Rows read.
    pub rows: u64,
    /// `created` rows.
    pub created: u64,
    /// `updated` rows.
    pub updated: u64,
    /// `read_flag` rows.
    pub read_flags: u64,
    /// `deleted` rows.
    pub deleted: u64,
    seen: HashSet<(String, String, String, &'static str)>,
    created_items: HashSet<(String, String)>,
    repeats: Vec<String>,
}

/// How many examples a failure message names.
const EXAMPLES: usize = 5;

impl FeedCheck {
    /// Adds one row: the mailbox's address, the item, its change key and the row's kind.
    pub fn add(&mut self, address: &str, item: &str, change_key: &str, kind: &'static str) {
        self.rows += 1;
        match kind {
            "created" => self.created += 1,
            "updated" => self.updated += 1,
            "read_flag" => self.read_flags += 1,
            _ => self.deleted += 1,
        }
        let row = (address.into(), item.into(), change_key.into(), kind);
        if !self.seen.insert(row) {
            self.repeat(format!(
                "{address} {item} ({kind}, change key {change_key}) twice"
            ));
        }
        if kind == "created" && !self.created_items.insert((address.into(), item.into())) {
            self.repeat(format!("{address} {item} created twice"));
        }
    }

    fn repeat(&mut self, what: String) {
        if self.repeats.len() < EXAMPLES {
            self.repeats.push(what);
        }
    }

    /// Why the feed repeats rows, if it does.
    pub fn repeat_failure(&self) -> Option<String> {
        (!self.repeats.is_empty()).then(|| {
            format!(
                "duplicates: the change feed repeats {}",
                self.repeats.join("; ")
            )
        })
    }

    /// Why delivered items lack their `created` row, if any do: `delivered` gives each
    /// delivered (address, item id).
    pub fn missing_failure<'a>(
        &self,
        delivered: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Option<String> {
        let mut missing = 0u64;
        let mut examples = Vec::new();
        for (address, item) in delivered {
            if !self
                .created_items
                .contains(&(address.to_string(), item.to_string()))
            {
                missing += 1;
                if examples.len() < EXAMPLES {
                    examples.push(format!("{address} {item}"));
                }
            }
        }
        (missing > 0).then(|| {
            format!(
                "missing items: {missing} delivered item(s) have no created row in the change feed, e.g. {}",
                examples.join("; ")
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A two-minute run sampled every two seconds: RSS `base` until the end window, where
    /// it is `end`; descriptors likewise.
    fn run(base: f64, end: f64, fds: u64, end_fds: u64) -> (Vec<Sample>, Phases) {
        let phases = Phases::for_run(120.0);
        let samples = (0..=60)
            .map(|n| {
                let at_secs = f64::from(n) * 2.0;
                let late = at_secs >= 96.0;
                Sample {
                    at_secs,
                    rss_mib: if late { end } else { base },
                    fds: if late { end_fds } else { fds },
                }
            })
            .collect();
        (samples, phases)
    }

    #[test]
    fn warm_up_is_a_fifth_of_the_run_or_thirty_seconds() {
        assert_eq!(Phases::for_run(1800.0).warm_up, 360.0);
        assert_eq!(Phases::for_run(120.0).warm_up, 30.0);
        assert_eq!(Phases::for_run(15.0).warm_up, 7.5);
    }

    #[test]
    fn steady_memory_and_descriptors_pass() {
        let (samples, phases) = run(50.0, 53.0, 30, 30 + FD_TOLERANCE);
        let mem = memory(&samples, &phases);
        assert_eq!(mem.map(|l| (l.warm_up, l.end)), Some((50.0, 53.0)));
        assert_eq!(memory_failure(mem.as_ref()), None);
        let fds = descriptors(&samples, &phases);
        assert_eq!(descriptor_failure(fds.as_ref()), None);
    }

    #[test]
    fn twenty_percent_more_memory_fails() {
        let (samples, phases) = run(50.0, 60.0, 30, 30);
        let failure = memory_failure(memory(&samples, &phases).as_ref()).unwrap();
        assert!(failure.starts_with("memory: RSS grew 20.0%"), "{failure}");
    }

    #[test]
    fn one_spike_does_not_fail_but_a_raised_level_does() {
        let (mut samples, phases) = run(50.0, 50.0, 30, 30);
        samples.last_mut().unwrap().rss_mib = 90.0;
        let levels = memory(&samples, &phases).unwrap();
        assert_eq!((levels.end, levels.max), (50.0, 90.0));
        assert_eq!(memory_failure(Some(&levels)), None);
        for s in samples.iter_mut().filter(|s| s.at_secs >= 108.0) {
            s.rss_mib = 90.0;
        }
        assert!(memory_failure(memory(&samples, &phases).as_ref()).is_some());
    }

    #[test]
    fn descriptors_beyond_the_tolerance_fail() {
        let (samples, phases) = run(50.0, 50.0, 30, 30 + FD_TOLERANCE + 1);
        let failure = descriptor_failure(descriptors(&samples, &phases).as_ref()).unwrap();
        let expected = format!("file descriptors: {} open", 31 + FD_TOLERANCE);
        assert!(failure.starts_with(&expected), "{failure}");
    }

    #[test]
    fn a_run_without_samples_in_a_window_fails() {
        let (samples, phases) = run(50.0, 50.0, 30, 30);
        let early: Vec<Sample> = samples.into_iter().filter(|s| s.at_secs < 60.0).collect();
        assert!(memory_failure(memory(&early, &phases).as_ref()).is_some());
        assert!(descriptor_failure(descriptors(&early, &phases).as_ref()).is_some());
    }

    fn feed() -> FeedCheck {
        let mut feed = FeedCheck::default();
        feed.add("a@x", "i1", "k1", "created");
        feed.add("a@x", "i1", "k2", "read_flag");
        feed.add("a@x", "i1", "k3", "updated");
        feed.add("b@x", "i2", "k1", "created");
        feed.add("b@x", "i2", "k1", "deleted");
        feed
    }

    #[test]
    fn a_feed_with_every_item_once_passes() {
        let feed = feed();
        assert_eq!(feed.repeat_failure(), None);
        assert_eq!(feed.missing_failure([("a@x", "i1"), ("b@x", "i2")]), None);
        assert_eq!(
            (
                feed.rows,
                feed.created,
                feed.read_flags,
                feed.updated,
                feed.deleted
            ),
            (5, 2, 1, 1, 1)
        );
    }

    #[test]
    fn a_repeated_row_fails() {
        let mut feed = feed();
        feed.add("a@x", "i1", "k2", "read_flag");
        let failure = feed.repeat_failure().unwrap();
        assert!(
            failure.contains("a@x i1 (read_flag, change key k2) twice"),
            "{failure}"
        );
    }

    #[test]
    fn a_second_created_row_for_an_item_fails() {
        let mut feed = feed();
        feed.add("b@x", "i2", "k9", "created");
        let failure = feed.repeat_failure().unwrap();
        assert!(failure.contains("b@x i2 created twice"), "{failure}");
    }

    #[test]
    fn a_delivered_item_without_a_created_row_fails() {
        let failure = feed()
            .missing_failure([("a@x", "i1"), ("c@x", "i3"), ("a@x", "i2")])
            .unwrap();
        assert!(failure.contains("missing items: 2 delivered"), "{failure}");
        assert!(failure.contains("c@x i3; a@x i2"), "{failure}");
    }
}
