//! Check runs: one running per organisation, progress, results, the previous run and the diff.

use crate::common::{TestDb, create_org, import_users, operator, store_test};
use impersync_store::{CheckRunStatus, NewCheckResult, PageRequest, StoreError};

fn result(email: &str, outcome: &str) -> NewCheckResult {
    NewCheckResult {
        user_id: None,
        email: email.into(),
        outcome: outcome.into(),
        code: (outcome != "Ok").then(|| format!("Error{outcome}")),
        detail: format!("{outcome} detail"),
        remedy: format!("fix {outcome}"),
        duration_ms: 12,
        checked_at: 1_700_000_000_000,
    }
}

async fn only_one_running_check_run_per_org(db: &TestDb) {
    let store = db.open().await;
    let a = create_org(&store, "Alpha", "alpha.test").await;
    let b = create_org(&store, "Beta", "beta.test").await;
    let op = operator();
    let runs_a = store.org(&op, a.id).await.unwrap();
    let runs_a = runs_a.check_runs();

    let first = runs_a.start(3).await.unwrap();
    assert_eq!(first.status, CheckRunStatus::Running);
    match runs_a.start(3).await {
        Err(StoreError::CheckRunAlreadyRunning { org, running }) => {
            assert_eq!((org, running), (a.id, first.id));
        }
        other => panic!("expected CheckRunAlreadyRunning, got {other:?}"),
    }
    let message = runs_a.start(3).await.unwrap_err().to_string();
    assert!(
        message.contains("already has a check run in progress"),
        "{message}"
    );

    // Another organisation is not blocked.
    let b_scope = store.org(&op, b.id).await.unwrap();
    b_scope.check_runs().start(1).await.unwrap();

    runs_a
        .finish(first.id, CheckRunStatus::Cancelled, Some("stopped"))
        .await
        .unwrap();
    assert!(matches!(
        runs_a
            .finish(first.id, CheckRunStatus::Finished, None)
            .await,
        Err(StoreError::CheckRunNotRunning(_))
    ));
    assert!(matches!(
        runs_a
            .add_results(first.id, &[result("x@alpha.test", "Ok")])
            .await,
        Err(StoreError::CheckRunNotRunning(_))
    ));
    let second = runs_a.start(1).await.unwrap();
    assert_ne!(second.id, first.id);
    runs_a
        .finish(second.id, CheckRunStatus::Finished, None)
        .await
        .unwrap();

    // Two starts at the same moment: exactly one wins.
    let scope = store.org(&op, a.id).await.unwrap();
    let (r1, r2) = (scope.check_runs(), scope.check_runs());
    let (x, y) = tokio::join!(r1.start(1), r2.start(1));
    let wins = [&x, &y].iter().filter(|r| r.is_ok()).count();
    assert_eq!(wins, 1, "{x:?} {y:?}");
    let loser = if x.is_ok() { y } else { x };
    assert!(
        matches!(loser, Err(StoreError::CheckRunAlreadyRunning { .. })),
        "{loser:?}"
    );
}
store_test!(only_one_running_check_run_per_org);

async fn results_progress_previous_and_diff(db: &TestDb) {
    let store = db.open().await;
    let org = create_org(&store, "Contoso", "contoso.test").await;
    let scope = store.org(&operator(), org.id).await.unwrap();
    let emails = [
        "a@contoso.test",
        "b@contoso.test",
        "c@contoso.test",
        "d@contoso.test",
    ];
    import_users(&scope, &emails).await;
    let runs = scope.check_runs();

    let first = runs.start(4).await.unwrap();
    // Two batches, the second resending one result (as a resumed run would).
    assert_eq!(
        runs.add_results(
            first.id,
            &[
                result(emails[0], "Ok"),
                result(emails[1], "ImpersonationDenied")
            ]
        )
        .await
        .unwrap(),
        2
    );
    assert_eq!(
        runs.add_results(
            first.id,
            &[
                result(emails[1], "ImpersonationDenied"),
                result(emails[2], "Ok"),
                result(emails[3], "Ok")
            ]
        )
        .await
        .unwrap(),
        2
    );
    let progress = runs.get(first.id).await.unwrap();
    assert_eq!(
        (
            progress.total,
            progress.checked,
            progress.ok,
            progress.failed
        ),
        (4, 4, 3, 1)
    );
    assert_eq!(runs.checked_emails(first.id).await.unwrap(), emails);
    let finished = runs
        .finish(first.id, CheckRunStatus::Finished, None)
        .await
        .unwrap();
    assert!(finished.finished_at.is_some());

    // Users carry their last outcome, and the run it came from.
    let b = scope.users().get_by_email(emails[1]).await.unwrap();
    let last = b.last_check.unwrap();
    assert_eq!(
        (last.outcome.as_str(), last.run),
        ("ImpersonationDenied", Some(first.id))
    );

    // Results filtered by outcome, paged.
    let ok = runs
        .results(first.id, Some("Ok"), PageRequest::new(1, 1))
        .await
        .unwrap();
    assert_eq!((ok.total, ok.items.len()), (3, 1));
    assert_eq!(ok.items[0].email, emails[2]);
    let denied = runs
        .results(first.id, Some("ImpersonationDenied"), PageRequest::first(5))
        .await
        .unwrap();
    assert_eq!(
        (
            denied.items[0].code.as_deref(),
            denied.items[0].remedy.as_str()
        ),
        (Some("ErrorImpersonationDenied"), "fix ImpersonationDenied")
    );
    assert!(
        ok.items[0].user_id.is_some(),
        "linked to the user by address"
    );
    assert_eq!(
        runs.results(first.id, None, PageRequest::first(10))
            .await
            .unwrap()
            .total,
        4
    );
    assert_eq!(
        runs.outcome_counts(first.id).await.unwrap(),
        vec![
            ("Ok".to_string(), 3),
            ("ImpersonationDenied".to_string(), 1)
        ]
    );

    // A second run, compared with the first.
    assert_eq!(runs.previous(first.id).await.unwrap(), None);
    let second = runs.start(4).await.unwrap();
    runs.add_results(
        second.id,
        &[
            result(emails[0], "Ok"),
            result(emails[1], "Ok"),
            result(emails[2], "AuthFailed"),
            result("new@contoso.test", "NoMailbox"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(
        runs.previous(second.id).await.unwrap().unwrap().id,
        first.id
    );
    let changes = runs.changes_since_previous(second.id).await.unwrap();
    let changes: Vec<_> = changes
        .iter()
        .map(|c| (c.email.as_str(), c.before.as_deref(), c.after.as_str()))
        .collect();
    assert_eq!(
        changes,
        vec![
            (emails[1], Some("ImpersonationDenied"), "Ok"),
            (emails[2], Some("Ok"), "AuthFailed"),
            ("new@contoso.test", None, "NoMailbox"),
        ]
    );
    let listed = runs.list(PageRequest::first(10)).await.unwrap();
    assert_eq!(listed.total, 2);
    assert_eq!(runs.running().await.unwrap().unwrap().id, second.id);
    runs.set_total(second.id, 5).await.unwrap();
    assert_eq!(runs.get(second.id).await.unwrap().total, 5);
}
store_test!(results_progress_previous_and_diff);

async fn a_run_without_heartbeat_is_failed_as_interrupted(db: &TestDb) {
    let store = db.open().await;
    let org = create_org(&store, "Contoso", "contoso.test").await;
    let scope = store.org(&operator(), org.id).await.unwrap();
    let runs = scope.check_runs();
    let run = runs.start(10).await.unwrap();
    // A live run is left alone.
    assert_eq!(runs.fail_stale(60_000).await.unwrap(), None);
    runs.heartbeat(run.id).await.unwrap();
    assert_eq!(runs.fail_stale(60_000).await.unwrap(), None);
    assert_eq!(
        runs.get(run.id).await.unwrap().status,
        CheckRunStatus::Running
    );
    // Its process died: no heartbeat for longer than the limit.
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    let failed = runs
        .fail_stale(10)
        .await
        .unwrap()
        .expect("stale run failed");
    assert_eq!(failed.id, run.id);
    assert_eq!(failed.status, CheckRunStatus::Failed);
    assert!(failed.finished_at.is_some());
    assert!(
        failed.note.as_deref().unwrap().starts_with("interrupted"),
        "{failed:?}"
    );
    assert_eq!(runs.running().await.unwrap(), None);
    // A new run can start.
    runs.start(1).await.unwrap();
    let audit = scope.audit().list(PageRequest::first(20)).await.unwrap();
    assert!(
        audit
            .items
            .iter()
            .any(|e| e.action == "check_run.interrupted"),
        "{:?}",
        audit.items
    );
}
store_test!(a_run_without_heartbeat_is_failed_as_interrupted);

async fn large_batches_are_written_whole(db: &TestDb) {
    let store = db.open().await;
    let org = create_org(&store, "Contoso", "contoso.test").await;
    let scope = store.org(&operator(), org.id).await.unwrap();
    let emails: Vec<String> = (0..250).map(|n| format!("u{n:03}@contoso.test")).collect();
    let refs: Vec<&str> = emails.iter().map(String::as_str).collect();
    import_users(&scope, &refs).await;
    let runs = scope.check_runs();
    let run = runs.start(250).await.unwrap();
    // 250 results in one call (several statements), one address twice, every fifth failing.
    let mut batch: Vec<_> = emails
        .iter()
        .enumerate()
        .map(|(n, e)| result(e, if n % 5 == 0 { "NoMailbox" } else { "Ok" }))
        .collect();
    batch.push(result(&emails[7].to_uppercase(), "AuthFailed"));
    assert_eq!(runs.add_results(run.id, &batch).await.unwrap(), 250);
    assert_eq!(
        runs.add_results(run.id, &batch[..120]).await.unwrap(),
        0,
        "resent"
    );
    let progress = runs.get(run.id).await.unwrap();
    assert_eq!(
        (progress.checked, progress.ok, progress.failed),
        (250, 200, 50)
    );
    let u7 = scope.users().get_by_email(&emails[7]).await.unwrap();
    assert_eq!(
        u7.last_check.unwrap().outcome,
        "Ok",
        "the first of a repeat wins"
    );
    let u200 = scope.users().get_by_email(&emails[200]).await.unwrap();
    let last = u200.last_check.unwrap();
    assert_eq!(
        (last.outcome.as_str(), last.run),
        ("NoMailbox", Some(run.id))
    );
    let results = runs
        .results(run.id, Some("NoMailbox"), PageRequest::first(100))
        .await
        .unwrap();
    assert_eq!(results.total, 50);
    assert!(results.items.iter().all(|r| r.user_id.is_some()));
}
store_test!(large_batches_are_written_whole);
