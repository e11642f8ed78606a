//! The sync scheduler's loop against the real simulator into a real store (SQLite and
//! PostgreSQL): it syncs every due mailbox then idles, wakes at once on "sync now", gives
//! leases back at shutdown, keeps a lease through slow requests, stops a whole
//! organisation on a failed sign-in, and resumes it on a saved configuration or a
//! passing check; and a slow mailbox does not hold back the others.

mod common;

use common::org::*;
use common::*;
use impersync_engine::sync::{WorkerOptions, WorkerReport};
use impersync_engine::{Engine, Network};
use impersync_store::{
    AccessType, MailboxState, MailboxStatus, NewCheckResult, OrgStore, SecretString, SecretUpdate,
    now_millis,
};
use impersync_testdb::exact::{Repeat, assert_exact};
use impersync_testdb::{TestDb, backend_test};
use serde_json::json;
use sqlx::Row;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

const USERS: [&str; 3] = [
    "alice@contoso.test",
    "bob@contoso.test",
    "carol@contoso.test",
];

/// A worker running in the background until `stop` is sent.
struct Running {
    stop: oneshot::Sender<()>,
    task: JoinHandle<WorkerReport>,
}

fn spawn(engine: &Engine, options: WorkerOptions) -> Running {
    let (stop, stopped) = oneshot::channel::<()>();
    let engine = engine.clone();
    let task = tokio::spawn(async move {
        let shutdown = async {
            let _ = stopped.await;
        };
        engine.run_worker(options, shutdown).await.unwrap()
    });
    Running { stop, task }
}

impl Running {
    async fn stop(self) -> WorkerReport {
        let _ = self.stop.send(());
        self.task.await.unwrap()
    }
}

fn options(owner: &str) -> WorkerOptions {
    WorkerOptions {
        owner: owner.into(),
        max_idle: Duration::from_secs(60),
        ..WorkerOptions::default()
    }
}

async fn status(scope: &OrgStore<'_>, email: &str) -> MailboxStatus {
    let user = scope.users().get_by_email(email).await.unwrap();
    scope.mailboxes().status(user.id).await.unwrap().unwrap()
}

/// Waits up to 30 s until every mailbox of `emails` satisfies `done`.
async fn wait_for(scope: &OrgStore<'_>, emails: &[&str], done: impl Fn(&MailboxStatus) -> bool) {
    for _ in 0..300 {
        let mut all = true;
        for email in emails {
            all &= done(&status(scope, email).await);
        }
        if all {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("mailboxes did not get there in 30 s");
}

async fn faults(sim: &SimServer, spec: serde_json::Value) {
    let response = reqwest::Client::new()
        .post(format!("http://{}/_sim/faults", sim.addr))
        .header("content-type", "application/json")
        .body(spec.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 204);
}

/// Asserts that the first `users` mailboxes are stored exactly as the simulator holds them.
async fn exact(db: &TestDb, sim: &SimServer, users: usize) {
    let addresses: Vec<String> = USERS[..users].iter().map(|u| u.to_string()).collect();
    let url = format!("http://{}", sim.addr);
    assert_exact(db, &url, &addresses, Repeat::SameKind).await;
}

async fn worker_syncs_everything_due_then_idles_and_wakes_on_sync_now(db: &TestDb) {
    let sim = start_demo().await;
    let store = db.open().await;
    let account = (MASTER_UPN, MASTER_PASSWORD);
    let scope = organisation(&store, &sim, "contoso.test", account, &USERS).await;
    let engine = Engine::new(store.clone(), Network::default());
    let worker = spawn(&engine, options("w1"));
    wait_for(&scope, &USERS, |s| s.last_success_at.is_some()).await;
    exact(db, &sim, USERS.len()).await;
    for email in USERS {
        let s = status(&scope, email).await;
        assert_eq!(s.state, MailboxState::Idle);
        let wait = s.next_due_at.unwrap() - s.last_success_at.unwrap();
        assert!(
            (270_000..=330_000).contains(&wait),
            "poll with ±10% jitter: {wait}"
        );
    }

    // Idle: nothing is due for minutes and the worker sleeps up to 60 s; "sync now" and a
    // wake-up make it run the mailbox at once.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let alice = scope.users().get_by_email(USERS[0]).await.unwrap();
    let before = status(&scope, USERS[0]).await.last_success_at.unwrap();
    scope.mailboxes().sync_now(alice.id).await.unwrap();
    engine.wake_worker();
    wait_for(&scope, &USERS[..1], |s| s.last_success_at > Some(before)).await;
    // Besides mailboxes, the worker refreshed the organisation's room directory.
    let rooms = scope.rooms().directory().await.unwrap();
    assert!(rooms.refreshed_at.is_some(), "{rooms:?}");
    assert!(!rooms.lists.is_empty(), "{rooms:?}");
    let report = worker.stop().await;
    assert_eq!((report.claimed, report.synced), (4, 4), "{report:?}");
    assert_eq!((report.failed, report.lost, report.released), (0, 0, 0));
}
backend_test!(worker_syncs_everything_due_then_idles_and_wakes_on_sync_now);

async fn shutdown_gives_leases_back_and_a_later_sync_is_exact(db: &TestDb) {
    let sim = start_demo().await;
    faults(&sim, json!({ "latency_ms": 300 })).await;
    let store = db.open().await;
    let account = (MASTER_UPN, MASTER_PASSWORD);
    let scope = organisation(&store, &sim, "contoso.test", account, &USERS).await;
    let engine = Engine::new(store.clone(), Network::default());
    let worker = spawn(&engine, options("w1"));
    wait_for(&scope, &USERS, |s| s.lease_owner.is_some()).await;
    let report = worker.stop().await;
    assert_eq!(report.released, 3, "{report:?}");
    let now = now_millis();
    for email in USERS {
        let s = status(&scope, email).await;
        assert_eq!(
            (s.state, s.lease_owner.as_deref()),
            (MailboxState::Idle, None),
            "{s:?}"
        );
        assert!(s.next_due_at.unwrap() <= now, "still due: {s:?}");
    }
    faults(&sim, json!({})).await;
    let round = engine.sync_due("w2", 10).await.unwrap();
    assert!(round.iter().all(|o| o.result.is_ok()), "{round:?}");
    exact(db, &sim, USERS.len()).await;
}
backend_test!(shutdown_gives_leases_back_and_a_later_sync_is_exact);

async fn a_lease_outlives_slow_requests(db: &TestDb) {
    let sim = start_demo().await;
    // Each request takes longer than the whole lease: only the renewal timer keeps it.
    faults(&sim, json!({ "latency_ms": 1200 })).await;
    let store = db.open().await;
    let account = (MASTER_UPN, MASTER_PASSWORD);
    let scope = organisation(&store, &sim, "contoso.test", account, &USERS[..1]).await;
    let engine = Engine::new(store.clone(), Network::default());
    let slow = WorkerOptions {
        lease_for: Duration::from_secs(1),
        ..options("w1")
    };
    let worker = spawn(&engine, slow);
    wait_for(&scope, &USERS[..1], |s| {
        s.lease_owner.as_deref() == Some("w1")
    })
    .await;
    // A rival keeps trying to claim; it must never get the mailbox.
    let mut rival_claims = 0;
    for _ in 0..400 {
        if status(&scope, USERS[0]).await.last_success_at.is_some() {
            break;
        }
        rival_claims += engine.sync_due("rival", 10).await.unwrap().len();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let s = status(&scope, USERS[0]).await;
    assert!(s.last_success_at.is_some(), "{s:?}");
    assert_eq!((rival_claims, s.takeovers), (0, 0), "{s:?}");
    let report = worker.stop().await;
    assert_eq!((report.synced, report.lost), (1, 0), "{report:?}");
    faults(&sim, json!({})).await;
    exact(db, &sim, 1).await;
}
backend_test!(a_lease_outlives_slow_requests);

async fn a_failed_sign_in_stops_the_organisation_until_fixed(db: &TestDb) {
    let sim = start_demo().await;
    let store = db.open().await;
    let account = (MASTER_UPN, "not-the-password");
    let scope = organisation(&store, &sim, "contoso.test", account, &USERS).await;
    let engine = Engine::new(store.clone(), Network::default());

    // One mailbox is tried; its failed sign-in puts all three into needs attention.
    let round = engine.sync_due("w1", 1).await.unwrap();
    assert_eq!(round.len(), 1);
    assert_eq!(round[0].result.as_ref().unwrap_err().outcome, "AuthFailed");
    for email in USERS {
        let s = status(&scope, email).await;
        assert_eq!(s.state, MailboxState::NeedsAttention, "{s:?}");
        assert_eq!(s.next_due_at, None);
        let error = s.last_error.unwrap();
        assert_eq!(error.outcome, "AuthFailed");
        assert!(!error.remedy.is_empty());
    }
    assert!(
        engine.sync_due("w1", 10).await.unwrap().is_empty(),
        "nothing hammers the server"
    );

    // A passing check makes that user's mailbox due again, and only it.
    let bob = scope.users().get_by_email(USERS[1]).await.unwrap();
    let runs = scope.check_runs();
    let run = runs.start(1).await.unwrap();
    let passed = NewCheckResult {
        user_id: Some(bob.id),
        email: USERS[1].into(),
        outcome: "Ok".into(),
        checked_at: now_millis(),
        ..NewCheckResult::default()
    };
    runs.add_results(run.id, &[passed]).await.unwrap();
    assert!(status(&scope, USERS[1]).await.next_due_at.unwrap() <= now_millis());
    assert_eq!(status(&scope, USERS[0]).await.next_due_at, None);

    // Saving the configuration with the right password resumes every mailbox.
    let mut input = scope.email_config().get().await.unwrap().unwrap().settings;
    let access = AccessType::ExchangeImpersonation {
        logon: MASTER_UPN.into(),
        auth: impersync_store::ExchangeAuth::Basic,
        password: SecretUpdate::Set(SecretString::new(MASTER_PASSWORD)),
    };
    let settings = impersync_store::EmailSettings {
        access,
        ews_url: input.ews_url.take(),
        autodiscover: input.autodiscover,
        tls_policy: input.tls_policy.clone(),
        id_type: input.id_type.clone(),
        folders: input.folders.clone(),
        poll_interval_secs: input.poll_interval_secs,
        lab: input.lab,
        saved: true,
    };
    scope.email_config().save(settings).await.unwrap();
    let round = engine.sync_due("w1", 10).await.unwrap();
    assert_eq!(round.len(), 3);
    assert!(round.iter().all(|o| o.result.is_ok()), "{round:?}");
    for email in USERS {
        let s = status(&scope, email).await;
        assert_eq!((s.state, s.last_error), (MailboxState::Idle, None));
    }
    exact(db, &sim, USERS.len()).await;
}
backend_test!(a_failed_sign_in_stops_the_organisation_until_fixed);

async fn a_lost_lease_stops_the_mailbox_without_writing(db: &TestDb) {
    let sim = start_demo().await;
    faults(&sim, json!({ "latency_ms": 400 })).await;
    let store = db.open().await;
    let account = (MASTER_UPN, MASTER_PASSWORD);
    let scope = organisation(&store, &sim, "contoso.test", account, &USERS[..1]).await;
    let engine = Engine::new(store.clone(), Network::default());
    let quick = WorkerOptions {
        lease_for: Duration::from_millis(900),
        ..options("w1")
    };
    let worker = spawn(&engine, quick);
    wait_for(&scope, &USERS[..1], |s| {
        s.lease_owner.as_deref() == Some("w1")
    })
    .await;
    // Another worker takes the mailbox over (as after an expiry the first one missed).
    let pool = db.raw().await;
    let far = now_millis() + 600_000;
    sqlx::query("UPDATE mailbox_sync SET lease_owner = 'thief', lease_expires_at = $1")
        .bind(far)
        .execute(&pool)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let count = || async {
        sqlx::query("SELECT COUNT(*) AS n FROM items")
            .fetch_one(&pool)
            .await
            .unwrap()
            .get::<i64, _>("n")
    };
    let before = count().await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        count().await,
        before,
        "nothing written after the lease was lost"
    );
    let report = worker.stop().await;
    assert_eq!((report.lost, report.synced), (1, 0), "{report:?}");
    let s = status(&scope, USERS[0]).await;
    assert_eq!(s.lease_owner.as_deref(), Some("thief"));
    assert_eq!(s.last_success_at, None);
}
backend_test!(a_lost_lease_stops_the_mailbox_without_writing);

/// One mailbox of `big` Inbox items and `small` of three, all within the service
/// account's impersonation scope.
fn big_and_small(big: u32, small: u32) -> impersync_exchange_sim::Scenario {
    let users = format!(
        r#"
[[user_sets]]
prefix = "big"
count = 1
password = "User-Password-1"
groups = ["Synced"]
items = {{ inbox = {big} }}

[[user_sets]]
prefix = "small"
count = {small}
password = "User-Password-1"
groups = ["Synced"]
items = {{ inbox = 3 }}
"#
    );
    synced_scenario("slow.test", 5, &users)
}

async fn a_slow_mailbox_does_not_hold_back_the_others(db: &TestDb) {
    const SMALL: u32 = 6;
    let sim = start(big_and_small(6000, SMALL)).await;
    // Every request takes a while, so the big mailbox's hundred-odd requests take several
    // times as long as all the small mailboxes' syncs one after another.
    faults(&sim, json!({ "latency_ms": 30 })).await;
    let store = db.open().await;
    let mut emails = vec!["big00001@slow.test".to_string()];
    emails.extend((1..=SMALL).map(|n| format!("small{n:05}@slow.test")));
    let emails: Vec<&str> = emails.iter().map(String::as_str).collect();
    let logon = SYNCED_ACCOUNT.0.replace("DOMAIN", "slow.test");
    let account = (logon.as_str(), SYNCED_ACCOUNT.1);
    let scope = organisation(&store, &sim, "slow.test", account, &emails).await;
    let engine = Engine::new(store.clone(), Network::default());
    // Two leases at a time, the big mailbox (imported first) among the first two claimed.
    let tight = WorkerOptions {
        batch: 2,
        concurrency: 2,
        ..options("w1")
    };
    let worker = spawn(&engine, tight);
    wait_for(&scope, &emails, |s| s.last_success_at.is_some()).await;
    let report = worker.stop().await;
    assert_eq!(
        (report.claimed, report.synced, report.failed),
        (u64::from(SMALL) + 1, u64::from(SMALL) + 1, 0),
        "{report:?}"
    );
    let big = status(&scope, emails[0]).await.last_success_at.unwrap();
    for email in &emails[1..] {
        let small = status(&scope, email).await.last_success_at.unwrap();
        assert!(
            small < big,
            "{email} waited for the big mailbox: done at {small}, the big one at {big}"
        );
    }
    let url = format!("http://{}", sim.addr);
    let addresses: Vec<String> = emails.iter().map(|e| e.to_string()).collect();
    assert_exact(db, &url, &addresses, Repeat::SameKind).await;
}
backend_test!(a_slow_mailbox_does_not_hold_back_the_others);
