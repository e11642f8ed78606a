//! `bulk_check` against the real simulator: results in input order with their classes and
//! latencies, 500 generated users, and the governor's concurrency limit seen from the server.

mod common;

use common::*;
use impersync_engine::access_check::{BulkOptions, bulk_check, summarize};
use impersync_exchange::{GovernorConfig, IdType, OutcomeClass};
use impersync_exchange_sim::Scenario;
use impersync_exchange_sim::scenario::{FaultSpec, ThrottlingSpec};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

fn options(concurrency: usize) -> BulkOptions {
    BulkOptions {
        id_type: IdType::SmtpAddress,
        folder: "inbox".into(),
        concurrency,
    }
}

#[tokio::test]
async fn the_six_demo_users_in_input_order() {
    let server = start_demo().await;
    let client = Arc::new(server.client(master_basic(), GovernorConfig::default()));
    let users: Vec<String> = ["frank", "alice", "dave", "bob", "erin", "carol"]
        .iter()
        .map(|u| format!("{u}@contoso.test"))
        .collect();
    let calls = AtomicUsize::new(0);
    let last = AtomicUsize::new(0);
    let result = bulk_check(client, users.clone(), &options(4), |done, total| {
        assert_eq!(total, 6);
        calls.fetch_add(1, Ordering::SeqCst);
        last.store(done, Ordering::SeqCst);
    })
    .await;
    assert_eq!(calls.load(Ordering::SeqCst), 6);
    assert_eq!(last.load(Ordering::SeqCst), 6);
    let got: Vec<(&str, OutcomeClass, Option<&str>)> = result
        .results
        .iter()
        .map(|r| (r.email.as_str(), r.outcome, r.code.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            (
                "frank@contoso.test",
                OutcomeClass::NoMailbox,
                Some("ErrorNonExistentMailbox")
            ),
            ("alice@contoso.test", OutcomeClass::Ok, Some("NoError")),
            (
                "dave@contoso.test",
                OutcomeClass::ImpersonationDenied,
                Some("ErrorImpersonateUserDenied")
            ),
            ("bob@contoso.test", OutcomeClass::Ok, Some("NoError")),
            (
                "erin@contoso.test",
                OutcomeClass::ImpersonationDenied,
                Some("ErrorImpersonateUserDenied")
            ),
            ("carol@contoso.test", OutcomeClass::Ok, Some("NoError")),
        ]
    );
    assert_eq!(
        summarize(&result.results),
        BTreeMap::from([
            (OutcomeClass::Ok, 3),
            (OutcomeClass::ImpersonationDenied, 2),
            (OutcomeClass::NoMailbox, 1),
        ])
    );
    for r in &result.results {
        assert!(
            r.latency_ms <= result.elapsed_ms,
            "{} took {} ms of {} ms",
            r.email,
            r.latency_ms,
            result.elapsed_ms
        );
        assert_eq!(r.remedy, r.outcome.remedy(), "{}", r.email);
    }
    assert_eq!(result.results[1].message, "50 items in inbox");
    assert!(
        result.results[2]
            .message
            .contains("ErrorImpersonateUserDenied")
    );
    // One impersonated GetFolder per user, each anchored on that user.
    let log = server.sim.log.entries();
    assert_eq!(log.len(), 6, "{log:#?}");
    let mut anchors: Vec<_> = log
        .iter()
        .map(|e| e.anchor_mailbox.clone().unwrap_or_default())
        .collect();
    anchors.sort();
    let mut expected = users.clone();
    expected.sort();
    assert_eq!(anchors, expected);
}

#[tokio::test]
async fn latencies_are_measured() {
    let server = start_demo().await;
    server.sim.faults.set(FaultSpec {
        latency_ms: 150,
        ..FaultSpec::default()
    });
    let client = Arc::new(server.client(master_basic(), GovernorConfig::default()));
    let users = vec!["alice@contoso.test".to_string(), "erin@contoso.test".into()];
    let result = bulk_check(client, users, &options(1), |_, _| {}).await;
    for r in &result.results {
        assert!(r.latency_ms >= 150, "{r:?}");
        assert!(r.latency_ms < 5_000, "{r:?}");
    }
    assert!(
        result.elapsed_ms >= 300,
        "sequential: {}",
        result.elapsed_ms
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_generated_users_are_all_ok() {
    let scenario = Scenario::from_toml(
        r#"
domain = "fabrikam.test"
netbios = "FABRIKAM"
seed = 7

[[users]]
upn = "svc@fabrikam.test"
password = "Svc-Password-1"

[[user_sets]]
prefix = "user"
count = 500
password = "User-Password-1"
items = { inbox = 3 }

[[role_assignments]]
name = "svc-ApplicationImpersonation"
role = "ApplicationImpersonation"
user = "svc@fabrikam.test"

[throttling]
ews_max_concurrency = 10
"#,
    )
    .expect("scenario");
    let server = start(scenario).await;
    let client = Arc::new(server.client(
        basic("svc@fabrikam.test", "Svc-Password-1"),
        GovernorConfig {
            max_concurrency: 10,
            ..GovernorConfig::default()
        },
    ));
    let users: Vec<String> = (1..=500)
        .map(|n| format!("user{n:05}@fabrikam.test"))
        .collect();
    let result = bulk_check(client, users.clone(), &options(10), |_, _| {}).await;
    assert_eq!(result.results.len(), 500);
    let not_ok: Vec<_> = result
        .results
        .iter()
        .filter(|r| r.outcome != OutcomeClass::Ok)
        .collect();
    assert!(not_ok.is_empty(), "{not_ok:#?}");
    assert_eq!(
        result
            .results
            .iter()
            .map(|r| r.email.clone())
            .collect::<Vec<_>>(),
        users
    );
    assert!(
        result
            .results
            .iter()
            .all(|r| r.message == "3 items in inbox")
    );
    let log = server.sim.log.entries();
    assert_eq!(log.len(), 500);
    assert!(log.iter().all(|e| e.status == 200));
}

/// Checks the same mailbox `n` times: every request is charged to that mailbox's budget,
/// so the server sees exactly as many requests at once as the client has in flight.
async fn hammer_one_mailbox(governor_limit: usize, server_limit: u32) -> (usize, usize) {
    let server = start_demo().await;
    server.sim.throttle.reset(ThrottlingSpec {
        ews_max_concurrency: server_limit,
        ..ThrottlingSpec::default()
    });
    // Each request holds its slot for 100 ms, so requests in flight overlap at the server.
    server.sim.faults.set(FaultSpec {
        latency_ms: 100,
        ..FaultSpec::default()
    });
    let client = Arc::new(server.client(
        master_basic(),
        GovernorConfig {
            max_concurrency: governor_limit,
            ..GovernorConfig::default()
        },
    ));
    assert_eq!(client.governor().limit(), governor_limit);
    let users = vec!["alice@contoso.test".to_string(); 24];
    // The bulk runner has more checks in flight than the governor lets through.
    let result = bulk_check(client, users, &options(24), |_, _| {}).await;
    let ok = result
        .results
        .iter()
        .filter(|r| r.outcome == OutcomeClass::Ok)
        .count();
    let refused = server
        .sim
        .log
        .entries()
        .iter()
        .filter(|e| e.response_code.as_deref() == Some("ErrorExceededConnectionCount"))
        .count();
    (ok, refused)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_governor_never_exceeds_its_limit() {
    let (ok, refused) = hammer_one_mailbox(4, 4).await;
    assert_eq!(ok, 24);
    assert_eq!(
        refused, 0,
        "the server saw more than 4 requests at once from a governor limited to 4"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_more_in_flight_than_the_server_allows_is_seen_by_the_server() {
    // The control for the test above: the same load with a governor one over the
    // server's limit is refused at least once, and the governor then waits it out.
    let (ok, refused) = hammer_one_mailbox(5, 4).await;
    assert_eq!(ok, 24);
    assert!(refused > 0, "the server never saw 5 requests at once");
}
