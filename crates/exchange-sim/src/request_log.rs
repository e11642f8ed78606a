//! A bounded log of the requests the simulator received, for tests and demos.

use serde::Serialize;
use std::collections::VecDeque;
use std::sync::Mutex;

/// How many entries are kept.
const CAPACITY: usize = 10_000;

/// One received request.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LogEntry {
    /// Arrival order.
    pub seq: u64,
    /// HTTP method.
    pub method: String,
    /// Request path.
    pub path: String,
    /// The EWS operation, if any.
    pub operation: Option<String>,
    /// The authenticated caller's UPN.
    pub caller: Option<String>,
    /// The impersonation header as `Kind:value`.
    pub impersonation: Option<String>,
    /// The `X-AnchorMailbox` header.
    pub anchor_mailbox: Option<String>,
    /// The HTTP status answered (0: the connection was dropped without an answer).
    pub status: u16,
    /// The EWS response code or fault code, if any.
    pub response_code: Option<String>,
    /// Bytes of the request's body.
    pub request_bytes: u64,
}

/// The log.
#[derive(Debug, Default)]
pub struct RequestLog {
    entries: Mutex<(u64, VecDeque<LogEntry>)>,
}

impl RequestLog {
    /// Appends an entry, numbering it.
    pub fn push(&self, mut entry: LogEntry) {
        let mut guard = self.entries.lock().expect("log lock");
        guard.0 += 1;
        entry.seq = guard.0;
        if guard.1.len() == CAPACITY {
            guard.1.pop_front();
        }
        guard.1.push_back(entry);
    }

    /// All kept entries, oldest first.
    pub fn entries(&self) -> Vec<LogEntry> {
        self.entries
            .lock()
            .expect("log lock")
            .1
            .iter()
            .cloned()
            .collect()
    }

    /// Forgets all entries.
    pub fn clear(&self) {
        self.entries.lock().expect("log lock").1.clear();
    }
}
