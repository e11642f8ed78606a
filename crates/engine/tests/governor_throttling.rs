//! The governor against the simulator's throttling: under sustained `ErrorServerBusy` the
//! number of requests in flight drops, and once the server has room again it recovers.

mod common;

use common::*;
use futures_util::StreamExt;
use impersync_ews::types::FolderRef;
use impersync_exchange::{ExchangeClient, GovernorConfig, IdType, Impersonate};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

const ALICE: &str = "alice@contoso.test";
const CALLERS: usize = 30;

/// Runs `calls` GetFolder calls on alice's Inbox, `CALLERS` at a time, while sampling the
/// governor; every call must succeed. Returns the samples (in flight, limit).
async fn load(client: &Arc<ExchangeClient>, calls: usize) -> Vec<(usize, usize)> {
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (client, done) = (Arc::clone(client), Arc::clone(&done));
        tokio::spawn(async move {
            let mut samples = Vec::new();
            while !done.load(Ordering::SeqCst) {
                let g = client.governor();
                samples.push((g.in_flight(), g.limit()));
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            samples
        })
    };
    let acting = Impersonate::smtp(IdType::SmtpAddress, ALICE);
    let results: Vec<_> = futures_util::stream::iter(0..calls)
        .map(|_| client.get_folder(Some(&acting), FolderRef::distinguished("inbox")))
        .buffer_unordered(CALLERS)
        .collect()
        .await;
    done.store(true, Ordering::SeqCst);
    for r in results {
        r.expect("every call gets through in the end");
    }
    sampler.await.unwrap()
}

fn peak(samples: &[(usize, usize)]) -> usize {
    samples.iter().map(|s| s.0).max().unwrap_or(0)
}

#[tokio::test]
async fn in_flight_drops_under_sustained_server_busy_and_recovers() {
    let sim = start_demo().await;
    sim.set_faults(json!({ "latency_ms": 15 })).await;
    let client = Arc::new(sim.client(
        master_basic(),
        GovernorConfig {
            max_concurrency: 10,
            ..GovernorConfig::default()
        },
    ));

    let free = load(&client, 100).await;
    assert_eq!(peak(&free), 10, "without throttling the full limit is used");
    assert_eq!(client.governor().limit(), 10);

    // Alice's budget now admits 10 requests a second: ErrorServerBusy keeps coming.
    sim.set_throttling(json!({ "budget_per_second": 10, "budget_burst": 2 }))
        .await;
    let busy = load(&client, 40).await;
    let lowest = busy.iter().map(|s| s.1).min().unwrap();
    assert!(lowest <= 2, "the limit is cut to {lowest}");
    let late = &busy[busy.len() / 2..];
    assert!(
        peak(late) <= 4,
        "in flight in the second half of the busy phase: {}",
        peak(late)
    );

    sim.set_throttling(json!({})).await;
    let recovered = load(&client, 300).await;
    assert_eq!(client.governor().limit(), 10, "the limit is back");
    assert_eq!(peak(&recovered[recovered.len() / 2..]), 10);
}
