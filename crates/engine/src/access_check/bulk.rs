//! Bulk access checks: one impersonated folder bind per user, with bounded concurrency.

use futures_util::{Stream, StreamExt};
use impersync_ews::types::FolderRef;
use impersync_exchange::{ExchangeClient, ExchangeError, IdType, Impersonate, OutcomeClass};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

/// How a bulk check runs.
#[derive(Debug, Clone)]
pub struct BulkOptions {
    /// How users are named in the impersonation header.
    pub id_type: IdType,
    /// The distinguished folder bound for each user.
    pub folder: String,
    /// Checks in flight at once (the client's governor caps requests as well).
    pub concurrency: usize,
}

/// One user's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserResult {
    /// The user's address.
    pub email: String,
    /// The outcome class.
    pub outcome: OutcomeClass,
    /// The EWS or HTTP code, if any.
    pub code: Option<String>,
    /// What happened.
    pub message: String,
    /// What to do.
    pub remedy: String,
    /// Time taken, in milliseconds.
    pub latency_ms: u64,
}

/// The whole run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BulkResult {
    /// One result per user, in input order.
    pub results: Vec<UserResult>,
    /// Wall time, in milliseconds.
    pub elapsed_ms: u64,
}

/// Checks every user; `on_done` is called after each check with (done, total).
pub async fn bulk_check(
    client: Arc<ExchangeClient>,
    users: Vec<String>,
    options: &BulkOptions,
    on_done: impl Fn(usize, usize) + Send + Sync,
) -> BulkResult {
    let started = Instant::now();
    let total = users.len();
    let mut done = 0;
    let mut results: Vec<(usize, UserResult)> = check_stream(client, users, options.clone())
        .inspect(|_| {
            done += 1;
            on_done(done, total);
        })
        .collect()
        .await;
    results.sort_by_key(|(i, _)| *i);
    BulkResult {
        results: results.into_iter().map(|(_, r)| r).collect(),
        elapsed_ms: started.elapsed().as_millis() as u64,
    }
}

/// Checks every user, yielding each result (with the user's index) as it completes.
pub fn check_stream(
    client: Arc<ExchangeClient>,
    users: Vec<String>,
    options: BulkOptions,
) -> impl Stream<Item = (usize, UserResult)> + Send + 'static {
    let concurrency = options.concurrency.max(1);
    futures_util::stream::iter(users.into_iter().enumerate())
        .map(move |(i, email)| {
            let client = Arc::clone(&client);
            let (id_type, folder) = (options.id_type, options.folder.clone());
            async move { (i, check_one(&client, email, id_type, &folder).await) }
        })
        .buffer_unordered(concurrency)
}

async fn check_one(
    client: &ExchangeClient,
    email: String,
    id_type: IdType,
    folder: &str,
) -> UserResult {
    let started = Instant::now();
    let impersonate = Impersonate::smtp(id_type, email.clone());
    let result: Result<_, ExchangeError> = client
        .get_folder(Some(&impersonate), FolderRef::distinguished(folder))
        .await;
    let latency_ms = started.elapsed().as_millis() as u64;
    match result {
        Ok(f) => UserResult {
            email,
            outcome: OutcomeClass::Ok,
            code: Some("NoError".into()),
            message: format!("{} items in {folder}", f.total_count.unwrap_or(0)),
            remedy: OutcomeClass::Ok.remedy().into(),
            latency_ms,
        },
        Err(e) => {
            let o = e.outcome();
            UserResult {
                email,
                outcome: o.class,
                code: o.code,
                message: o.message,
                remedy: o.remedy,
                latency_ms,
            }
        }
    }
}

/// Counts results by outcome class.
pub fn summarize(results: &[UserResult]) -> BTreeMap<OutcomeClass, usize> {
    let mut counts = BTreeMap::new();
    for r in results {
        *counts.entry(r.outcome).or_insert(0) += 1;
    }
    counts
}
