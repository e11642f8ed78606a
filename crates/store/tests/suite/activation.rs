//! Activation: force rules, all that passed, unknown addresses, all or nothing.

use crate::common::{TestDb, create_org, import_users, operator, store_test};
use impersync_store::{LastCheck, OrgStore, PageRequest, StoreError, UserFilter, UserSelection};

async fn setup(scope: &OrgStore<'_>) {
    let emails = [
        "ok1@contoso.test",
        "ok2@contoso.test",
        "bad@contoso.test",
        "new@contoso.test",
    ];
    import_users(scope, &emails).await;
    for (email, outcome) in [
        ("ok1@contoso.test", "Ok"),
        ("ok2@contoso.test", "Ok"),
        ("bad@contoso.test", "ImpersonationDenied"),
    ] {
        let user = scope.users().get_by_email(email).await.unwrap();
        scope
            .users()
            .record_check_outcome(
                user.id,
                &LastCheck {
                    outcome: outcome.into(),
                    detail: String::new(),
                    at: 1,
                    run: None,
                },
            )
            .await
            .unwrap();
    }
}

async fn active(scope: &OrgStore<'_>) -> Vec<String> {
    let filter = UserFilter {
        sync_enabled: Some(true),
        ..UserFilter::default()
    };
    let page = scope
        .users()
        .list(&filter, PageRequest::first(50))
        .await
        .unwrap();
    page.items.into_iter().map(|u| u.email).collect()
}

fn emails(list: &[&str]) -> UserSelection {
    UserSelection::Emails(list.iter().map(|e| e.to_string()).collect())
}

async fn activation_needs_force_for_failed_users_and_is_all_or_nothing(db: &TestDb) {
    let store = db.open().await;
    let org = create_org(&store, "Contoso", "contoso.test").await;
    let scope = store.org(&operator(), org.id).await.unwrap();
    setup(&scope).await;

    // One failed and one never checked: refused, naming both; the passing one is not activated either.
    match scope
        .users()
        .activate(
            &emails(&["OK1@contoso.test", "bad@contoso.test", "new@contoso.test"]),
            false,
        )
        .await
    {
        Err(StoreError::NotPassedLastCheck(names)) => {
            assert_eq!(names, ["bad@contoso.test", "new@contoso.test"]);
        }
        other => panic!("expected NotPassedLastCheck, got {other:?}"),
    }
    assert!(active(&scope).await.is_empty(), "nothing half-written");

    // Unknown and malformed addresses are named; nothing changes.
    let err = scope
        .users()
        .activate(
            &emails(&["ok1@contoso.test", "ghost@contoso.test", "nope"]),
            true,
        )
        .await
        .unwrap_err();
    match &err {
        StoreError::UnknownUsers(names) => assert_eq!(names, &["ghost@contoso.test", "nope"]),
        other => panic!("expected UnknownUsers, got {other:?}"),
    }
    assert!(err.to_string().contains("ghost@contoso.test"), "{err}");
    assert!(active(&scope).await.is_empty());
    assert!(matches!(
        scope.users().activate(&emails(&[]), false).await,
        Err(StoreError::Invalid(_))
    ));

    // With force, all three; the forced ones are reported.
    let report = scope
        .users()
        .activate(
            &emails(&["ok1@contoso.test", "bad@contoso.test", "new@contoso.test"]),
            true,
        )
        .await
        .unwrap();
    assert_eq!(
        report.changed,
        ["ok1@contoso.test", "bad@contoso.test", "new@contoso.test"]
    );
    assert_eq!(report.forced, ["bad@contoso.test", "new@contoso.test"]);
    assert_eq!(
        active(&scope).await,
        ["bad@contoso.test", "new@contoso.test", "ok1@contoso.test"]
    );

    // Activating again changes nothing and needs no force (nobody changes).
    let again = scope
        .users()
        .activate(&emails(&["bad@contoso.test"]), false)
        .await
        .unwrap();
    assert!(again.changed.is_empty());
    assert_eq!(again.unchanged, ["bad@contoso.test"]);

    let audit = scope.audit().list(PageRequest::first(50)).await.unwrap();
    let entry = audit
        .items
        .iter()
        .find(|e| e.action == "users.activated" && e.details["changed"] == 3)
        .expect("audited");
    assert_eq!(
        entry.details["forced"],
        serde_json::json!(["bad@contoso.test", "new@contoso.test"])
    );
}
store_test!(activation_needs_force_for_failed_users_and_is_all_or_nothing);

async fn all_passed_last_check_and_deactivation(db: &TestDb) {
    let store = db.open().await;
    let org = create_org(&store, "Contoso", "contoso.test").await;
    let scope = store.org(&operator(), org.id).await.unwrap();
    setup(&scope).await;

    let report = scope
        .users()
        .activate(&UserSelection::AllPassedLastCheck, false)
        .await
        .unwrap();
    assert_eq!(report.changed, ["ok1@contoso.test", "ok2@contoso.test"]);
    assert!(report.forced.is_empty());
    assert_eq!(
        active(&scope).await,
        ["ok1@contoso.test", "ok2@contoso.test"]
    );

    let off = scope
        .users()
        .deactivate(&emails(&["ok2@contoso.test", "bad@contoso.test"]))
        .await
        .unwrap();
    assert_eq!(off.changed, ["ok2@contoso.test"]);
    assert_eq!(off.unchanged, ["bad@contoso.test"]);
    assert_eq!(active(&scope).await, ["ok1@contoso.test"]);
    assert!(matches!(
        scope
            .users()
            .deactivate(&emails(&["ghost@contoso.test"]))
            .await,
        Err(StoreError::UnknownUsers(_))
    ));
    assert_eq!(active(&scope).await, ["ok1@contoso.test"]);
}
store_test!(all_passed_last_check_and_deactivation);
