//! Organisations and users: imports with per-row results, atomicity, pagination, cascade.

use crate::common::{TestDb, create_org, operator, phc, store_test};
use impersync_store::{
    Backend, ImportOutcome, ImportRow, LastCheck, NewAdmin, NewCheckResult, NewOrganisation,
    NewUser, OrganisationUpdate, PageRequest, Role, StoreError, UserFilter,
};
use sqlx::Row;

fn row(line: usize, email: &str) -> ImportRow {
    ImportRow {
        line,
        email: email.into(),
        display_name: format!("User {line}"),
        sync_enabled: line.is_multiple_of(2),
    }
}

async fn import_reports_every_row_and_inserts_the_good_ones(db: &TestDb) {
    let store = db.open().await;
    let org = create_org(&store, "Contoso", "contoso.test").await;
    let scope = store.org(&operator(), org.id).await.unwrap();
    let existing = scope
        .users()
        .create(NewUser {
            email: "carol@contoso.test".into(),
            ..Default::default()
        })
        .await
        .unwrap();

    let report = scope
        .users()
        .import(vec![
            row(2, "alice@contoso.test"),
            row(3, "not-an-email"),
            row(4, "ALICE@Contoso.test"),
            row(5, "carol@contoso.test"),
            row(6, "bob@contoso.test"),
            row(7, ""),
            row(8, "dave@no-dot"),
        ])
        .await
        .unwrap();
    assert_eq!((report.inserted, report.rejected), (2, 5));
    let outcomes: Vec<_> = report
        .rows
        .iter()
        .map(|r| (r.line, r.outcome.clone()))
        .collect();
    assert!(matches!(outcomes[0], (2, ImportOutcome::Inserted { .. })));
    assert!(
        matches!(&outcomes[1], (3, ImportOutcome::Invalid { reason }) if reason.contains("not-an-email"))
    );
    assert_eq!(
        outcomes[2],
        (4, ImportOutcome::DuplicateInImport { first_line: 2 })
    );
    assert_eq!(
        outcomes[3],
        (5, ImportOutcome::AlreadyExists { id: existing.id })
    );
    assert!(matches!(outcomes[4], (6, ImportOutcome::Inserted { .. })));
    assert!(matches!(&outcomes[5], (7, ImportOutcome::Invalid { .. })));
    assert!(matches!(&outcomes[6], (8, ImportOutcome::Invalid { .. })));

    let alice = scope
        .users()
        .get_by_email("Alice@contoso.test")
        .await
        .unwrap();
    assert_eq!(alice.display_name, "User 2");
    assert!(alice.sync_enabled);
    assert_eq!(scope.users().count().await.unwrap(), 3);

    // The same import again: everything already exists, nothing is added.
    let again = scope
        .users()
        .import(vec![
            row(2, "alice@contoso.test"),
            row(6, "bob@contoso.test"),
        ])
        .await
        .unwrap();
    assert_eq!((again.inserted, again.rejected), (0, 2));
    assert!(matches!(
        scope
            .users()
            .create(NewUser {
                email: "Bob@Contoso.Test".into(),
                ..Default::default()
            })
            .await,
        Err(StoreError::Conflict(_))
    ));
}
store_test!(import_reports_every_row_and_inserts_the_good_ones);

/// A trigger that makes inserting one address fail, to break an import halfway.
async fn install_failing_trigger(db: &TestDb) {
    let raw = db.raw().await;
    let statements: &[&'static str] = match db.backend {
        Backend::Sqlite => &[
            "CREATE TRIGGER boom BEFORE INSERT ON users WHEN NEW.email = 'boom@contoso.test' \
             BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
        ],
        Backend::Postgres => &[
            "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
             IF NEW.email = 'boom@contoso.test' THEN RAISE EXCEPTION 'injected failure'; END IF; \
             RETURN NEW; END $$",
            "CREATE TRIGGER boom BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION boom()",
        ],
    };
    for s in statements {
        sqlx::raw_sql(*s).execute(&raw).await.unwrap();
    }
    raw.close().await;
}

async fn import_failing_halfway_writes_nothing(db: &TestDb) {
    let store = db.open().await;
    let org = create_org(&store, "Contoso", "contoso.test").await;
    let scope = store.org(&operator(), org.id).await.unwrap();
    install_failing_trigger(db).await;
    let audit_before = store
        .audit_log(&operator())
        .list(PageRequest::first(1))
        .await
        .unwrap()
        .total;

    let err = scope
        .users()
        .import(vec![
            row(1, "first@contoso.test"),
            row(2, "second@contoso.test"),
            row(3, "boom@contoso.test"),
            row(4, "fourth@contoso.test"),
        ])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("injected failure"), "{err}");
    assert_eq!(
        scope.users().count().await.unwrap(),
        0,
        "no half-written import"
    );
    assert_eq!(
        scope
            .users()
            .find_by_email("first@contoso.test")
            .await
            .unwrap(),
        None
    );
    let audit_after = store
        .audit_log(&operator())
        .list(PageRequest::first(1))
        .await
        .unwrap()
        .total;
    assert_eq!(
        audit_before, audit_after,
        "no audit entry for a rolled-back import"
    );

    // The store still works after the failed transaction.
    let ok = scope
        .users()
        .import(vec![row(1, "first@contoso.test")])
        .await
        .unwrap();
    assert_eq!(ok.inserted, 1);
}
store_test!(import_failing_halfway_writes_nothing);

async fn pagination_counts(db: &TestDb) {
    let store = db.open().await;
    let org = create_org(&store, "Paged", "paged.test").await;
    let scope = store.org(&operator(), org.id).await.unwrap();
    let rows = (1..=25)
        .map(|i| row(i, &format!("user{i:02}@paged.test")))
        .collect();
    assert_eq!(scope.users().import(rows).await.unwrap().inserted, 25);

    let all = UserFilter::default();
    let mut seen = Vec::new();
    for (offset, expect) in [(0, 10), (10, 10), (20, 5), (30, 0)] {
        let page = scope
            .users()
            .list(&all, PageRequest::new(offset, 10))
            .await
            .unwrap();
        assert_eq!(page.total, 25);
        assert_eq!((page.offset, page.limit), (offset, 10));
        assert_eq!(page.items.len(), expect, "offset {offset}");
        seen.extend(page.items.into_iter().map(|u| u.email));
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(seen, sorted, "ordered by address, no repeats");
    assert_eq!(seen.len(), 25);

    // Filters count what they match.
    let search = UserFilter {
        search: Some("USER1".into()),
        ..Default::default()
    };
    let page = scope
        .users()
        .list(&search, PageRequest::new(0, 3))
        .await
        .unwrap();
    assert_eq!((page.total, page.items.len()), (10, 3));
    let synced = UserFilter {
        sync_enabled: Some(true),
        ..Default::default()
    };
    assert_eq!(
        scope
            .users()
            .list(&synced, PageRequest::first(100))
            .await
            .unwrap()
            .total,
        12
    );
    // Display names match ignoring case, also beyond ASCII, the same on both backends.
    scope
        .users()
        .create(NewUser {
            email: "anders@paged.test".into(),
            display_name: "Anders Ångström".into(),
            sync_enabled: false,
        })
        .await
        .unwrap();
    let unicode = UserFilter {
        search: Some("ÅNGSTRÖM".into()),
        ..Default::default()
    };
    let page = scope
        .users()
        .list(&unicode, PageRequest::first(5))
        .await
        .unwrap();
    assert_eq!(page.total, 1);
    assert_eq!(page.items[0].display_name, "Anders Ångström");
    scope.users().delete(page.items[0].id).await.unwrap();
    // LIKE wildcards in the search are taken literally.
    let wildcard = UserFilter {
        search: Some("%".into()),
        ..Default::default()
    };
    assert_eq!(
        scope
            .users()
            .list(&wildcard, PageRequest::first(5))
            .await
            .unwrap()
            .total,
        0
    );

    // The last check outcome filter.
    let user = scope
        .users()
        .get_by_email("user03@paged.test")
        .await
        .unwrap();
    scope
        .users()
        .record_check_outcome(
            user.id,
            &LastCheck {
                outcome: "NoMailbox".into(),
                detail: "no mailbox".into(),
                at: 5,
                run: None,
            },
        )
        .await
        .unwrap();
    let failed = UserFilter {
        last_outcome: Some("NoMailbox".into()),
        ..Default::default()
    };
    let page = scope
        .users()
        .list(&failed, PageRequest::first(5))
        .await
        .unwrap();
    assert_eq!(page.total, 1);
    assert_eq!(
        page.items[0].last_check.as_ref().unwrap().detail,
        "no mailbox"
    );

    // Organisations page too, by name.
    for i in 0..4 {
        create_org(&store, &format!("Org {i}"), &format!("o{i}.test")).await;
    }
    let orgs = store
        .organisations(&operator())
        .list(PageRequest::new(1, 2))
        .await
        .unwrap();
    assert_eq!((orgs.total, orgs.items.len()), (5, 2));
    assert_eq!(orgs.items[0].name, "Org 1");
}
store_test!(pagination_counts);

async fn organisations_validate_update_and_cascade_on_delete(db: &TestDb) {
    let store = db.open().await;
    let op = operator();
    let orgs = store.organisations(&op);
    assert!(matches!(
        orgs.create(NewOrganisation {
            name: " ".into(),
            domains: vec![]
        })
        .await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        orgs.create(NewOrganisation {
            name: "Bad".into(),
            domains: vec!["not a domain".into()]
        })
        .await,
        Err(StoreError::Invalid(_))
    ));
    let doomed = create_org(&store, "Doomed", "doomed.test").await;
    let keep = create_org(&store, "Kept", "kept.test").await;
    assert!(matches!(
        orgs.create(NewOrganisation {
            name: "DOOMED".into(),
            domains: vec![]
        })
        .await,
        Err(StoreError::Conflict(_))
    ));
    let scope = store.org(&op, doomed.id).await.unwrap();
    let updated = scope
        .update(OrganisationUpdate {
            name: None,
            domains: Some(vec![
                "Doomed.test".into(),
                "doomed.test".into(),
                "alt.doomed.test".into(),
            ]),
        })
        .await
        .unwrap();
    assert_eq!(updated.domains, ["doomed.test", "alt.doomed.test"]);
    assert_eq!(
        orgs.find_by_name("doomed").await.unwrap().unwrap().id,
        doomed.id
    );

    // Fill every table for the doomed organisation, and a little for the kept one.
    let user = scope
        .users()
        .create(NewUser {
            email: "u@doomed.test".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    store
        .org(&op, keep.id)
        .await
        .unwrap()
        .users()
        .create(NewUser {
            email: "u@kept.test".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let run = scope.check_runs().start(1).await.unwrap();
    scope
        .check_runs()
        .add_results(
            run.id,
            &[NewCheckResult {
                user_id: Some(user.id),
                email: user.email.clone(),
                outcome: "Ok".into(),
                code: None,
                detail: String::new(),
                remedy: String::new(),
                duration_ms: 3,
                checked_at: 4,
            }],
        )
        .await
        .unwrap();
    store
        .admins(&op)
        .create(NewAdmin {
            username: "doomed-admin".into(),
            password_hash: phc("d"),
            role: Role::OrgAdmin(doomed.id),
        })
        .await
        .unwrap();
    let raw = db.raw().await;
    sqlx::query(
        "INSERT INTO mailbox_sync (org_id, user_id, next_due_at, updated_at) VALUES ($1, $2, 0, 0)",
    )
    .bind(doomed.id.get())
    .bind(user.id.get())
    .execute(&raw)
    .await
    .unwrap();

    scope.delete().await.unwrap();
    for table in [
        "users",
        "check_runs",
        "check_results",
        "mailbox_sync",
        "email_configs",
        "admins",
    ] {
        let n: i64 = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) AS n FROM {table} WHERE org_id = $1"
        )))
        .bind(doomed.id.get())
        .fetch_one(&raw)
        .await
        .unwrap()
        .get("n");
        assert_eq!(n, 0, "{table} rows of the deleted organisation remain");
    }
    let audit: i64 = sqlx::query("SELECT COUNT(*) AS n FROM audit_log WHERE org_id = $1")
        .bind(doomed.id.get())
        .fetch_one(&raw)
        .await
        .unwrap()
        .get("n");
    assert!(audit >= 3, "the audit log keeps the organisation's history");
    assert!(store.org(&op, doomed.id).await.unwrap_err().is_not_found());
    assert_eq!(
        store
            .org(&op, keep.id)
            .await
            .unwrap()
            .users()
            .count()
            .await
            .unwrap(),
        1,
        "the other organisation is untouched"
    );
}
store_test!(organisations_validate_update_and_cascade_on_delete);
