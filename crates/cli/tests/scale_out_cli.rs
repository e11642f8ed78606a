//! `impersync bench scale-out` at a tiny size on PostgreSQL: 2 organisations of 10
//! mailboxes, 2 worker processes, the first killed with SIGKILL and a third added. The
//! command must finish with an exact store, and the database must show it on its own:
//! one item and one `created` feed row per generated item, and the killed worker's
//! leases claimed again by the others.

use impersync_testdb::TestDb;
use sqlx::Row;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_impersync");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scale_out_survives_a_killed_worker_and_leaves_an_exact_store() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let report = tempfile::tempdir().unwrap();
    let url = db.url.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(BIN)
            .args(["bench", "scale-out", "--orgs", "2", "--per-org", "10"])
            .args(["--workers", "2", "--batch", "4", "--concurrency", "2"])
            .args([
                "--lease-secs",
                "3",
                "--poll-secs",
                "2",
                "--latency-ms",
                "40",
            ])
            .args([
                "--kill-at",
                "0.1",
                "--add-at",
                "0.4",
                "--timeout-secs",
                "240",
            ])
            .args(["--database-url", &url])
            .env("IMPERSYNC_LOG", "warn")
            .env_remove("IMPERSYNC_MASTER_KEY")
            .env_remove("IMPERSYNC_CONFIG")
            .current_dir(report.path())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    for expected in [
        "## Scale-out on PostgreSQL",
        "`scale-1` was killed with SIGKILL",
        "`scale-3` was started",
        "the store was checked exact:",
        "| `scale-1` | killed with SIGKILL |",
        "| `scale-2` | stopped with SIGTERM at the end |",
        "| `scale-3` | stopped with SIGTERM at the end |",
        "| lease claims (claim transactions) |",
        "| queue lag p50 / p95 / max (claim − due) |",
    ] {
        assert!(
            stdout.contains(expected),
            "{expected} missing in:\n{stdout}"
        );
    }

    let pool = db.raw().await;
    let count = |sql: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query(sql)
                .fetch_one(&pool)
                .await
                .unwrap()
                .try_get::<i64, _>(0)
                .unwrap()
        }
    };
    assert_eq!(count("SELECT count(*) FROM organisations").await, 2);
    assert_eq!(count("SELECT count(*) FROM items").await, 80);
    assert_eq!(
        count("SELECT count(DISTINCT (org_id, user_id, item_id)) FROM change_feed WHERE kind = 'created'").await,
        80
    );
    assert_eq!(count("SELECT count(*) FROM change_feed").await, 80);
    assert_eq!(
        count("SELECT count(*) FROM mailbox_sync WHERE lease_owner IS NULL AND state = 'idle'")
            .await,
        20
    );
    assert!(
        count("SELECT count(*) FROM bench_claims WHERE taken_over AND owner <> 'scale-1'").await
            >= 1,
        "the killed worker's leases were taken over"
    );
    assert!(
        count("SELECT count(*) FROM bench_claims").await >= 40,
        "every mailbox was claimed in the initial sync and again in the poll round"
    );
}
