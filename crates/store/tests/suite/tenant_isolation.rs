//! Tenant isolation: an org admin of A reaches nothing of B, whichever call they try.

use crate::common::{TestDb, create_org, operator, phc, store_test};
use impersync_store::{
    CheckRunStatus, LastCheck, NewAdmin, NewCheckResult, NewUser, OrganisationUpdate, PageRequest,
    Role, StoreError, UserFilter,
};

fn assert_not_found<T: std::fmt::Debug>(what: &str, result: Result<T, StoreError>) {
    match result {
        Err(StoreError::NotFound(_)) => {}
        other => panic!("{what}: expected NotFound, got {other:?}"),
    }
}

async fn org_admin_of_a_gets_not_found_for_everything_of_b(db: &TestDb) {
    let store = db.open().await;
    let op = operator();
    let a = create_org(&store, "Alpha", "alpha.test").await;
    let b = create_org(&store, "Beta", "beta.test").await;

    // Real admin accounts for both organisations.
    let admin_a = store
        .admins(&op)
        .create(NewAdmin {
            username: "alice-admin".into(),
            password_hash: phc("a"),
            role: Role::OrgAdmin(a.id),
        })
        .await
        .unwrap();
    let admin_b = store
        .admins(&op)
        .create(NewAdmin {
            username: "bob-admin".into(),
            password_hash: phc("b"),
            role: Role::OrgAdmin(b.id),
        })
        .await
        .unwrap();
    let pa = admin_a.principal();

    // B's data, made by the operator.
    let b_scope = store.org(&op, b.id).await.unwrap();
    let user_b = b_scope
        .users()
        .create(NewUser {
            email: "bob@beta.test".into(),
            display_name: "Bob".into(),
            sync_enabled: false,
        })
        .await
        .unwrap();
    let run_b = b_scope.check_runs().start(1).await.unwrap();

    // 1. The handle itself.
    assert_not_found("store.org(B)", store.org(&pa, b.id).await);
    assert_not_found(
        "organisations.get(B)",
        store.organisations(&pa).get(b.id).await,
    );
    let visible = store
        .organisations(&pa)
        .list(PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(visible.total, 1);
    assert_eq!(visible.items[0].id, a.id);
    assert_eq!(
        store.organisations(&pa).find_by_name("Beta").await.unwrap(),
        None
    );
    assert!(matches!(
        store.organisations(&pa).create(Default::default()).await,
        Err(StoreError::Forbidden(_))
    ));

    // 2. B's ids through A's legitimate handle.
    let a_scope = store.org(&pa, a.id).await.unwrap();
    let users = a_scope.users();
    assert_not_found("users.get", users.get(user_b.id).await);
    assert_not_found(
        "users.get_by_email",
        users.get_by_email("bob@beta.test").await,
    );
    assert_not_found(
        "users.set_sync_enabled",
        users.set_sync_enabled(user_b.id, true).await,
    );
    assert_not_found(
        "users.record_check_outcome",
        users
            .record_check_outcome(
                user_b.id,
                &LastCheck {
                    outcome: "Ok".into(),
                    detail: String::new(),
                    at: 1,
                    run: None,
                },
            )
            .await,
    );
    assert_not_found("users.delete", users.delete(user_b.id).await);
    assert_eq!(
        users
            .list(&UserFilter::default(), PageRequest::first(10))
            .await
            .unwrap()
            .total,
        0
    );
    assert_eq!(users.count().await.unwrap(), 0);

    let runs = a_scope.check_runs();
    assert_not_found("check_runs.get", runs.get(run_b.id).await);
    assert_not_found(
        "check_runs.results",
        runs.results(run_b.id, None, PageRequest::first(5)).await,
    );
    assert_not_found(
        "check_runs.outcome_counts",
        runs.outcome_counts(run_b.id).await,
    );
    assert_not_found(
        "check_runs.checked_emails",
        runs.checked_emails(run_b.id).await,
    );
    assert_not_found("check_runs.previous", runs.previous(run_b.id).await);
    assert_not_found(
        "check_runs.changes",
        runs.changes_since_previous(run_b.id).await,
    );
    assert_not_found("check_runs.set_total", runs.set_total(run_b.id, 5).await);
    assert_not_found(
        "check_runs.add_results",
        runs.add_results(
            run_b.id,
            &[NewCheckResult {
                user_id: Some(user_b.id),
                email: "bob@beta.test".into(),
                outcome: "Ok".into(),
                code: None,
                detail: String::new(),
                remedy: String::new(),
                duration_ms: 1,
                checked_at: 1,
            }],
        )
        .await,
    );
    assert_not_found(
        "check_runs.finish",
        runs.finish(run_b.id, CheckRunStatus::Cancelled, None).await,
    );
    assert_eq!(runs.running().await.unwrap(), None);
    assert_eq!(runs.list(PageRequest::first(10)).await.unwrap().total, 0);

    // A's run cannot link B's user either.
    let run_a = runs.start(1).await.unwrap();
    runs.add_results(
        run_a.id,
        &[NewCheckResult {
            user_id: Some(user_b.id),
            email: "someone@alpha.test".into(),
            outcome: "NoMailbox".into(),
            code: None,
            detail: String::new(),
            remedy: String::new(),
            duration_ms: 1,
            checked_at: 1,
        }],
    )
    .await
    .unwrap();
    let results = runs
        .results(run_a.id, None, PageRequest::first(5))
        .await
        .unwrap();
    assert_eq!(results.items[0].user_id, None);

    assert_eq!(a_scope.email_config().get().await.unwrap(), None);
    assert_not_found("email_config.delete", a_scope.email_config().delete().await);

    // Audit log: A's admin sees only A's entries and cannot write into B's.
    let log = store
        .audit_log(&pa)
        .list(PageRequest::first(100))
        .await
        .unwrap();
    assert!(
        log.items.iter().all(|e| e.org_id == Some(a.id)),
        "{:?}",
        log.items
    );
    assert_not_found(
        "audit_log.record(B)",
        store
            .audit_log(&pa)
            .record("x", Some(b.id), serde_json::json!({}))
            .await,
    );

    // Admin accounts.
    assert_not_found(
        "admins.get(B's admin)",
        store.admins(&pa).get(admin_b.id).await,
    );
    assert_not_found(
        "admins.delete(B's admin)",
        store.admins(&pa).delete(admin_b.id).await,
    );
    assert_not_found(
        "admins.set_password_hash(B's admin)",
        store
            .admins(&pa)
            .set_password_hash(admin_b.id, phc("x"))
            .await,
    );
    assert_not_found(
        "admins.create(org admin of B)",
        store
            .admins(&pa)
            .create(NewAdmin {
                username: "mallory".into(),
                password_hash: phc("m"),
                role: Role::OrgAdmin(b.id),
            })
            .await,
    );
    assert!(matches!(
        store
            .admins(&pa)
            .create(NewAdmin {
                username: "mallory".into(),
                password_hash: phc("m"),
                role: Role::Operator,
            })
            .await,
        Err(StoreError::Forbidden(_))
    ));
    let listed: Vec<_> = store
        .admins(&pa)
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(listed, vec![admin_a.id]);

    // Org admins may not delete their organisation, nor rename into a clash.
    assert!(matches!(
        a_scope.clone().delete().await,
        Err(StoreError::Forbidden(_))
    ));
    assert!(matches!(
        a_scope
            .update(OrganisationUpdate {
                name: Some("BETA".into()),
                domains: None,
            })
            .await,
        Err(StoreError::Conflict(_))
    ));

    // B is untouched.
    let b_user = b_scope.users().get(user_b.id).await.unwrap();
    assert!(!b_user.sync_enabled && b_user.last_check.is_none());
    let b_run = b_scope.check_runs().get(run_b.id).await.unwrap();
    assert_eq!((b_run.status, b_run.checked), (CheckRunStatus::Running, 0));
    assert_eq!(b_scope.get().await.unwrap().name, "Beta");
}
store_test!(org_admin_of_a_gets_not_found_for_everything_of_b);

async fn operator_reaches_every_org_and_missing_org_is_not_found(db: &TestDb) {
    let store = db.open().await;
    let op = operator();
    let a = create_org(&store, "Gamma", "gamma.test").await;
    assert!(store.org(&op, a.id).await.is_ok());
    assert_not_found(
        "missing org",
        store
            .org(&op, impersync_store::OrgId::from_raw(12345))
            .await,
    );
    // An org admin of a missing org sees nothing at all.
    let ghost = crate::common::org_admin(impersync_store::OrgId::from_raw(777));
    assert_eq!(
        store
            .organisations(&ghost)
            .list(PageRequest::first(5))
            .await
            .unwrap()
            .total,
        0
    );
}
store_test!(operator_reaches_every_org_and_missing_org_is_not_found);
