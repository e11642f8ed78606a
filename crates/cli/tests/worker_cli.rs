//! The real `impersync worker` binary: it refuses SQLite; three workers on one PostgreSQL
//! database share 40 mailboxes and finish those of a worker killed with SIGKILL once its
//! leases expire; a worker killed five times at random points and restarted still leaves
//! an exact store. Exact: every mailbox's items equal the simulator's, with no duplicate
//! item or change-feed rows.

use impersync_exchange_sim::{Scenario, Sim};
use impersync_store::{OrgId, OrgStore, Store, UserId};
use impersync_testdb::TestDb;
use impersync_testdb::exact::{Repeat, assert_exact};
use impersync_testdb::sync_org::{operator, organisation};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

const BIN: &str = env!("CARGO_BIN_EXE_impersync");
const MAILBOXES: usize = 40;
const FOLDERS: [&str; 4] = ["inbox", "sentitems", "calendar", "contacts"];

/// 40 generated mailboxes, every EWS request slowed by 40 ms so a sync takes seconds.
const SCENARIO: &str = r#"
domain = "scale.test"
netbios = "SCALE"
seed = 11

[faults]
latency_ms = 40

[[users]]
upn = "svc@scale.test"
password = "Svc-Password-1"

[[user_sets]]
prefix = "user"
count = 40
password = "User-Password-1"
items = { inbox = 30, sentitems = 10, calendar = 5, contacts = 5 }

[[role_groups]]
name = "Impersonators"
roles = ["ApplicationImpersonation"]
members = ["svc@scale.test"]
"#;

fn addresses() -> Vec<String> {
    (1..=MAILBOXES)
        .map(|n| format!("user{n:05}@scale.test"))
        .collect()
}

/// Starts the simulator in this process; returns its `http://HOST:PORT`.
async fn start_sim() -> String {
    let scenario = Scenario::from_toml(SCENARIO).expect("scenario");
    let sim = Arc::new(Sim::new(scenario).expect("simulator"));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(impersync_exchange_sim::run(
        listener,
        sim,
        std::future::pending::<()>(),
    ));
    format!("http://{addr}")
}

/// A worker process; killed when dropped.
struct Worker(Child);

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn worker(db: &TestDb, owner: &str) -> Worker {
    let child = Command::new(BIN)
        .args([
            "worker",
            "--lease-secs",
            "3",
            "--batch",
            "4",
            "--concurrency",
            "2",
        ])
        .args(["--owner", owner, "--data-dir"])
        .arg(db.dir.path())
        .env("IMPERSYNC_DATABASE_URL", &db.url)
        .env("IMPERSYNC_LOG", "warn")
        .env_remove("IMPERSYNC_MASTER_KEY")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start impersync worker");
    Worker(child)
}

/// Stops a worker with SIGTERM and checks that it exits cleanly.
fn terminate(mut worker: Worker) {
    let pid = worker.0.id().to_string();
    let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(sent.success());
    let status = worker.0.wait().unwrap();
    assert!(
        status.success(),
        "the worker exits cleanly on SIGTERM: {status}"
    );
}

/// How many mailboxes have synced once.
async fn synced(scope: &OrgStore<'_>, users: &[UserId]) -> usize {
    let mut n = 0;
    for user in users {
        let status = scope.mailboxes().status(*user).await.unwrap().unwrap();
        n += usize::from(status.last_success_at.is_some());
    }
    n
}

/// The organisation of `users@scale.test` at the simulator `sim`, all activated; returns
/// the store, the organisation and its users.
async fn prepared(db: &TestDb, sim: &str) -> (Store, OrgId, Vec<UserId>) {
    let store = db.open().await;
    let emails = addresses();
    let emails: Vec<&str> = emails.iter().map(String::as_str).collect();
    let account = ("svc@scale.test", "Svc-Password-1");
    let scope = organisation(&store, sim, "scale.test", account, &FOLDERS, &emails).await;
    let mut users = Vec::new();
    for email in emails {
        users.push(scope.users().get_by_email(email).await.unwrap().id);
    }
    let org = scope.id();
    drop(scope);
    (store, org, users)
}

async fn wait_all_synced(scope: &OrgStore<'_>, users: &[UserId]) {
    let started = Instant::now();
    while synced(scope, users).await < users.len() {
        assert!(
            started.elapsed() < Duration::from_secs(180),
            "{} of {} mailboxes synced after 3 minutes",
            synced(scope, users).await,
            users.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[test]
fn worker_refuses_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["worker", "--data-dir"])
        .arg(dir.path())
        .env_remove("IMPERSYNC_DATABASE_URL")
        .env_remove("IMPERSYNC_CONFIG")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "SQLite serves one process: use the worker embedded in `impersync serve`, or PostgreSQL for separate workers"
        ),
        "{stderr}"
    );
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "no database was created"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_workers_finish_the_mailboxes_of_one_killed() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let sim = start_sim().await;
    let (store, org, users) = prepared(&db, &sim).await;
    let scope = store.org(&operator(), org).await.unwrap();
    let first = worker(&db, "w1");
    let second = worker(&db, "w2");
    let third = worker(&db, "w3");
    // Kill w1 in the middle of the initial sync, holding leases.
    let started = Instant::now();
    while synced(&scope, &users).await < 4 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the workers start syncing"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut first = first;
    first.0.kill().unwrap();
    first.0.wait().unwrap();
    wait_all_synced(&scope, &users).await;
    let mut takeovers = 0;
    for user in &users {
        takeovers += scope
            .mailboxes()
            .status(*user)
            .await
            .unwrap()
            .unwrap()
            .takeovers;
    }
    assert!(
        takeovers >= 1,
        "the killed worker's mailboxes were taken over"
    );
    terminate(second);
    terminate(third);
    assert_exact(&db, &sim, &addresses(), Repeat::AnyKind).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_five_times_leaves_an_exact_store() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let sim = start_sim().await;
    let (store, org, users) = prepared(&db, &sim).await;
    let scope = store.org(&operator(), org).await.unwrap();
    for round in 0..5 {
        let mut running = worker(&db, &format!("k{round}"));
        let wait = 300 + rand_millis(1500);
        tokio::time::sleep(Duration::from_millis(wait)).await;
        running.0.kill().unwrap();
        running.0.wait().unwrap();
    }
    assert!(
        synced(&scope, &users).await < users.len(),
        "killed mid-sync"
    );
    let last = worker(&db, "final");
    wait_all_synced(&scope, &users).await;
    terminate(last);
    assert_exact(&db, &sim, &addresses(), Repeat::AnyKind).await;
}

/// A random wait below `max` ms, from the clock.
fn rand_millis(max: u64) -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    u64::from(nanos) % max
}
