//! Exactness under faults: with one EWS request in ten answered ErrorServerBusy, HTTP 503,
//! a dropped connection or a cut-off body, an initial sync of several mailboxes still ends
//! with exactly the simulator's items, no duplicate feed rows, and at most twice the
//! requests of the same sync without faults.

mod common;

use common::exact::*;
use common::org::*;
use common::*;
use impersync_engine::{Engine, Network};
use impersync_exchange_sim::Scenario;
use impersync_store::OrgStore;
use impersync_testdb::{TestDb, backend_test};
use serde_json::json;

const USERS: u32 = 6;
/// `USERS` mailboxes with items in every synced folder, reachable by the service account.
fn scenario(domain: &str) -> Scenario {
    let users = r#"
[[user_sets]]
prefix = "user"
count = USERS
password = "User-Password-1"
groups = ["Synced"]
items = { inbox = 1100, sentitems = 150, calendar = 60, contacts = 40 }
"#;
    synced_scenario(domain, 11, &users.replace("USERS", &USERS.to_string()))
}

fn users(domain: &str) -> Vec<String> {
    (1..=USERS)
        .map(|n| format!("user{n:05}@{domain}"))
        .collect()
}

/// Runs rounds until no mailbox is due; a mailbox that failed is made due again at once
/// (as if its back-off had passed). Returns how many mailbox syncs failed on the way.
async fn sync_until_done(engine: &Engine, scope: &OrgStore<'_>) -> usize {
    let mut failures = 0;
    for _ in 0..30 {
        let round = engine.sync_due("w1", 50).await.unwrap();
        if round.is_empty() {
            return failures;
        }
        for outcome in round.iter().filter(|o| o.result.is_err()) {
            failures += 1;
            scope.mailboxes().sync_now(outcome.user).await.unwrap();
        }
    }
    panic!("the mailboxes were still due after 30 rounds");
}

/// What an initial sync took.
#[derive(Debug)]
struct Cost {
    /// EWS requests.
    requests: u64,
    /// Faults the simulator injected.
    faults: u32,
    /// Mailbox syncs that failed (and were resumed).
    failures: usize,
}

/// Faults not yet injected.
fn pending(faults: &serde_json::Value) -> u32 {
    ["server_busy", "http_503", "reset", "truncate"]
        .iter()
        .map(|k| faults[*k]["count"].as_u64().unwrap_or(0) as u32)
        .sum()
}

/// One organisation at its own simulator; `faults` on from the start.
async fn initial_sync(db: &TestDb, domain: &str, faults: serde_json::Value) -> Cost {
    let sim = start(scenario(domain)).await;
    let store = db.open().await;
    let emails = users(domain);
    let emails: Vec<&str> = emails.iter().map(String::as_str).collect();
    let account = (SYNCED_ACCOUNT.0.replace("DOMAIN", domain), SYNCED_ACCOUNT.1);
    let scope = organisation(&store, &sim, domain, (&account.0, account.1), &emails).await;
    let engine = Engine::new(store.clone(), Network::default());
    let planned = pending(&faults);
    sim.set_faults(faults).await;
    sim.clear_requests().await;
    let failures = sync_until_done(&engine, &scope).await;
    let requests = sim.ews_requests().await;
    let (_, left) = sim.control(reqwest::Method::GET, "/faults", None).await;
    sim.set_faults(json!({})).await;
    for email in &emails {
        assert_exact(&sim, &scope, email, &FOLDERS).await;
    }
    let rows = feed_rows(&scope, 0).await;
    assert_no_duplicate_rows(&rows);
    let mut items = 0;
    for email in &emails {
        items += sim.snapshot(email, &FOLDERS).await.len();
    }
    assert_eq!(rows.len(), items, "one created row per item");
    Cost {
        requests,
        faults: planned - pending(&left),
        failures,
    }
}

async fn an_initial_sync_under_faults_ends_exact(db: &TestDb) {
    let clean = initial_sync(db, "clean.test", json!({})).await;
    assert_eq!((clean.faults, clean.failures), (0, 0));
    let faults = json!({
        "every_nth": 10,
        "server_busy": { "count": 3, "back_off_ms": 20 },
        "http_503": { "count": 3, "retry_after_s": 0 },
        "reset": { "count": 3 },
        "truncate": { "count": 3 },
    });
    let faulty = initial_sync(db, "faulty.test", faults).await;
    eprintln!("without faults: {clean:?}; with faults: {faulty:?}");
    assert_eq!(faulty.faults, 12, "every kind of fault was injected");
    assert!(faulty.requests > clean.requests);
    assert!(
        faulty.requests <= 2 * clean.requests,
        "{faulty:?} vs {clean:?}"
    );
}
backend_test!(an_initial_sync_under_faults_ends_exact);
