//! The mail a soak sends through the simulator's control API: mostly deliveries, and
//! read-flag changes, subject updates and deletions of items the engine has already
//! synced (so each of them reaches the change feed as its own kind of row). Every
//! delivered item is written to a file, not kept in memory, so the soak's own bookkeeping
//! does not grow the RSS it measures.

use super::control::Control;
use anyhow::Context;
use serde_json::json;
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

/// How many synced messages are kept as candidates for changes and deletions.
const CANDIDATES: usize = 512;

/// What the traffic did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sent {
    /// Messages delivered.
    pub delivered: u64,
    /// Read flags set.
    pub read_flags: u64,
    /// Subjects changed.
    pub updates: u64,
    /// Items deleted.
    pub deletions: u64,
}

/// The traffic generator.
#[derive(Debug)]
pub struct Traffic {
    control: Control,
    addresses: Vec<String>,
    index: HashMap<String, usize>,
    candidates: VecDeque<(usize, String)>,
    log: BufWriter<File>,
    step: u64,
    touched: BTreeSet<usize>,
    /// What it did so far.
    pub sent: Sent,
}

impl Traffic {
    /// Traffic to `addresses`, writing each delivered item as `address<TAB>item id` lines
    /// to `log`.
    pub fn new(control: Control, addresses: Vec<String>, log: &Path) -> anyhow::Result<Self> {
        let file = File::create(log).with_context(|| format!("creating {}", log.display()))?;
        Ok(Self {
            control,
            index: addresses
                .iter()
                .enumerate()
                .map(|(n, a)| (a.clone(), n))
                .collect(),
            addresses,
            candidates: VecDeque::with_capacity(CANDIDATES),
            log: BufWriter::new(file),
            step: 0,
            touched: BTreeSet::new(),
            sent: Sent::default(),
        })
    }

    /// Sends the next change: of every ten, one read flag, one subject update and one
    /// deletion (each on a synced message, if there is one yet), the rest deliveries.
    pub async fn step(&mut self) -> anyhow::Result<()> {
        let n = self.step;
        self.step += 1;
        let pick = spread(n);
        let candidate =
            (!self.candidates.is_empty()).then(|| (pick as usize) % self.candidates.len());
        match (n % 10, candidate) {
            (kind @ (7 | 8), Some(c)) => {
                let (mailbox, item) = &self.candidates[c];
                let change = if kind == 7 {
                    self.sent.read_flags += 1;
                    json!({ "is_read": pick.is_multiple_of(2) })
                } else {
                    self.sent.updates += 1;
                    json!({ "subject": format!("soak update {n}") })
                };
                self.control
                    .modify(&self.addresses[*mailbox], item, &change)
                    .await?;
                self.touched.insert(*mailbox);
            }
            (9, Some(c)) => {
                let (mailbox, item) = self.candidates.remove(c).expect("a candidate");
                self.control.delete(&self.addresses[mailbox], &item).await?;
                self.touched.insert(mailbox);
                self.sent.deletions += 1;
            }
            _ => self.deliver(n, pick).await?,
        }
        Ok(())
    }

    async fn deliver(&mut self, n: u64, pick: u64) -> anyhow::Result<()> {
        let mailbox = (pick as usize) % self.addresses.len();
        let folder = if pick % 4 == 3 { "sentitems" } else { "inbox" };
        let address = &self.addresses[mailbox];
        let item = self
            .control
            .deliver(address, folder, &format!("soak message {n}"))
            .await?;
        writeln!(self.log, "{address}\t{item}").context("writing the delivery log")?;
        self.touched.insert(mailbox);
        self.sent.delivered += 1;
        Ok(())
    }

    /// Takes note of a message the change feed shows as created, as a candidate for later
    /// changes; the oldest candidate goes when there are enough.
    pub fn synced(&mut self, address: &str, folder: &str, item: &str) {
        let Some(&mailbox) = self.index.get(address) else {
            return;
        };
        if folder != "inbox" && folder != "sentitems" {
            return;
        }
        if self.candidates.len() == CANDIDATES {
            self.candidates.pop_front();
        }
        self.candidates.push_back((mailbox, item.to_string()));
    }

    /// The mailboxes changed since the last call, by index into the addresses.
    pub fn take_touched(&mut self) -> BTreeSet<usize> {
        std::mem::take(&mut self.touched)
    }

    /// Writes out the delivery log; what the traffic did.
    pub fn finish(mut self) -> anyhow::Result<Sent> {
        self.log.flush().context("writing the delivery log")?;
        Ok(self.sent)
    }
}

/// A well-spread number for step `n` (Fibonacci hashing), so mailboxes, folders and
/// candidates are picked evenly and the run repeats exactly.
fn spread(n: u64) -> u64 {
    n.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32
}

/// The delivered items of a log written by [`Traffic`]: (address, item id) per line.
pub fn delivered(log: &str) -> impl Iterator<Item = (&str, &str)> {
    log.lines().filter_map(|line| line.split_once('\t'))
}
