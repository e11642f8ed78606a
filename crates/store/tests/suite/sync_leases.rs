//! Mailbox leases: who is due, claims by two workers, expiry and takeover, finishing.

use crate::common::{
    TestDb, claim, claimed_mailbox, contoso, create_org, import_users, operator, org_admin,
    store_test, sync_org, worker,
};
use impersync_store::{
    MailboxState, Principal, StoreError, SyncFailure, SyncWrite, SyncWritten, UserSelection,
    now_millis,
};
use std::time::Duration;

const LEASE: Duration = Duration::from_secs(30);

async fn only_saved_configurations_and_enabled_users_are_due(db: &TestDb) {
    let store = db.open().await;
    let (org, users) = contoso(&store, &["a@contoso.test", "b@contoso.test"]).await;
    sync_org(&store, "Draft", "draft.test", &["x@draft.test"], false).await;
    // Sync turned off again after being due: not claimed.
    let contoso = store.org(&operator(), org).await.unwrap();
    contoso
        .users()
        .set_sync_enabled(users[1], false)
        .await
        .unwrap();
    // A user never activated has no schedule at all.
    import_users(&contoso, &["never@contoso.test"]).await;

    let leases = claim(&store, "w1", now_millis() + 1000).await;
    let emails: Vec<_> = leases.iter().map(|l| l.email.as_str()).collect();
    assert_eq!(emails, ["a@contoso.test"]);
    assert!(!leases[0].taken_over);
    let status = contoso.mailboxes().status(users[0]).await.unwrap().unwrap();
    assert_eq!(status.state, MailboxState::Syncing);
    assert_eq!(status.lease_owner.as_deref(), Some("w1"));
    // Not yet due: nothing claimed before its due time.
    assert!(
        contoso
            .mailboxes()
            .status(users[1])
            .await
            .unwrap()
            .unwrap()
            .lease_owner
            .is_none()
    );
}
store_test!(only_saved_configurations_and_enabled_users_are_due);

async fn a_live_lease_is_kept_and_an_expired_one_is_taken_over(db: &TestDb) {
    let store = db.open().await;
    let (org, users) = contoso(
        &store,
        &["a@contoso.test", "b@contoso.test", "c@contoso.test"],
    )
    .await;
    let t0 = now_millis() + 1000;
    let w = worker(&store);
    let first = w.claim_due("w1", 2, LEASE, t0).await.unwrap();
    assert_eq!(first.len(), 2);
    let second = w.claim_due("w2", 10, LEASE, t0 + 1).await.unwrap();
    assert_eq!(second.len(), 1, "a live lease is not taken");
    assert!(first.iter().all(|l| l.user != second[0].user));
    assert!(
        w.claim_due("w2", 10, LEASE, t0 + 2)
            .await
            .unwrap()
            .is_empty()
    );

    // w1 renews one lease; the other expires and w2 takes it over.
    let renewed = w.renew_lease(&first[0], LEASE, t0 + 20_000).await.unwrap();
    assert_eq!(renewed.expires_at, t0 + 50_000);
    // At exactly its expiry w1's second lease is free; w2's own lease (taken 1 ms later) is not.
    let later = t0 + 30_000;
    let taken = w.claim_due("w2", 10, LEASE, later).await.unwrap();
    assert_eq!(taken.len(), 1);
    assert_eq!(taken[0].user, first[1].user);
    assert!(taken[0].taken_over);
    // w1's lost lease can neither be renewed nor finished.
    assert!(matches!(
        w.renew_lease(&first[1], LEASE, later).await,
        Err(StoreError::LeaseLost { .. })
    ));
    assert!(matches!(
        w.finish_ok(&first[1], later + 60_000, later).await,
        Err(StoreError::LeaseLost { .. })
    ));
    let scope = store.org(&operator(), org).await.unwrap();
    let status = scope
        .mailboxes()
        .status(first[1].user)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (status.lease_owner.as_deref(), status.takeovers),
        (Some("w2"), 1)
    );
    assert!(users.contains(&status.user));
}
store_test!(a_live_lease_is_kept_and_an_expired_one_is_taken_over);

async fn finishing_records_the_outcome_and_the_next_due_time(db: &TestDb) {
    let store = db.open().await;
    let (scope, user, lease, t0) = claimed_mailbox(&store).await;
    let w = worker(&store);
    let failure = SyncFailure {
        outcome: "ImpersonationDenied".into(),
        code: Some("ErrorImpersonationDenied".into()),
        message: "the service account may not impersonate a@contoso.test".into(),
        remedy: "add the user to the management scope".into(),
    };
    w.finish_failed(&lease, &failure, Some(t0 + 60_000), false, t0 + 5)
        .await
        .unwrap();
    let status = scope.mailboxes().status(user).await.unwrap().unwrap();
    assert_eq!(status.state, MailboxState::Backoff);
    assert_eq!(
        (status.failures, status.next_due_at),
        (1, Some(t0 + 60_000))
    );
    assert_eq!(status.last_error.as_ref(), Some(&failure));
    assert!(status.lease_owner.is_none());
    assert!(
        claim(&store, "w1", t0 + 59_999).await.is_empty(),
        "backing off"
    );

    let lease = claim(&store, "w1", t0 + 60_000).await.remove(0);
    w.finish_failed(&lease, &failure, None, true, t0 + 60_001)
        .await
        .unwrap();
    let status = scope.mailboxes().status(user).await.unwrap().unwrap();
    assert_eq!(
        (status.state, status.failures, status.next_due_at),
        (MailboxState::NeedsAttention, 2, None)
    );
    assert!(
        claim(&store, "w1", t0 + 10_000_000).await.is_empty(),
        "not scheduled"
    );

    // "Sync now" schedules it again; a success clears the failure.
    scope.mailboxes().sync_now(user).await.unwrap();
    let lease = claim(&store, "w1", now_millis() + 1000).await.remove(0);
    let done = now_millis() + 2000;
    w.finish_ok(&lease, done + 300_000, done).await.unwrap();
    let status = scope.mailboxes().status(user).await.unwrap().unwrap();
    assert_eq!((status.state, status.failures), (MailboxState::Idle, 0));
    assert_eq!(
        (status.last_success_at, status.next_due_at),
        (Some(done), Some(done + 300_000))
    );
    assert!(status.last_error.is_none());

    // A released mailbox stays due.
    let lease = claim(&store, "w1", done + 300_000).await.remove(0);
    w.release(&lease, done + 300_001).await.unwrap();
    let lease = claim(&store, "w2", done + 300_002).await.remove(0);

    // A success that could not do everything keeps what it missed as the error.
    let missing = SyncFailure {
        outcome: "ServerError".into(),
        code: Some("ErrorFolderNotFound".into()),
        message: "configured folders not in this mailbox: archiveinbox".into(),
        remedy: "Remove the folder from the organisation's folder list.".into(),
    };
    let finished = SyncWrite::Finished {
        lease,
        next_due: done + 600_000,
        warning: Some(missing.clone()),
    };
    let results = w.commit(&[finished], done + 300_003).await;
    assert!(
        matches!(results[..], [Ok(SyncWritten::Finished)]),
        "{results:?}"
    );
    let status = scope.mailboxes().status(user).await.unwrap().unwrap();
    assert_eq!((status.state, status.failures), (MailboxState::Idle, 0));
    assert_eq!(status.last_success_at, Some(done + 300_003));
    assert_eq!(status.last_error, Some(missing));
}
store_test!(finishing_records_the_outcome_and_the_next_due_time);

async fn only_the_system_gets_the_worker_and_admins_see_their_own_mailboxes(db: &TestDb) {
    let store = db.open().await;
    let (org, users) = contoso(&store, &["a@contoso.test"]).await;
    let other = create_org(&store, "Fabrikam", "fabrikam.test").await;
    let admin = org_admin(org);
    assert!(matches!(
        store.sync_worker(&admin),
        Err(StoreError::Forbidden(_))
    ));
    assert!(store.sync_worker(&Principal::system("worker")).is_ok());
    // An org admin of another organisation cannot reach this one's mailboxes, and a user id
    // of this organisation means nothing in another.
    assert!(
        store
            .org(&org_admin(other.id), org)
            .await
            .unwrap_err()
            .is_not_found()
    );
    let fabrikam = store.org(&operator(), other.id).await.unwrap();
    assert!(
        fabrikam
            .mailboxes()
            .status(users[0])
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        fabrikam
            .mailboxes()
            .sync_now(users[0])
            .await
            .unwrap_err()
            .is_not_found()
    );
    let own = store.org(&admin, org).await.unwrap();
    assert!(own.mailboxes().status(users[0]).await.unwrap().is_some());
}
store_test!(only_the_system_gets_the_worker_and_admins_see_their_own_mailboxes);

async fn concurrent_claims_get_disjoint_mailboxes_and_activation_makes_due(db: &TestDb) {
    let store = db.open().await;
    let emails: Vec<String> = (0..12).map(|n| format!("u{n}@contoso.test")).collect();
    let refs: Vec<&str> = emails.iter().map(String::as_str).collect();
    let (org, _) = contoso(&store, &refs).await;
    // Users activated in bulk are due at once too.
    let scope = store.org(&operator(), org).await.unwrap();
    import_users(&scope, &["bulk@contoso.test"]).await;
    let selection = UserSelection::Emails(vec!["bulk@contoso.test".into()]);
    scope.users().activate(&selection, true).await.unwrap();

    let now = now_millis() + 1000;
    let claimers: Vec<_> = (0..3)
        .map(|n| {
            let store = store.clone();
            tokio::spawn(async move {
                let w = worker(&store);
                let mut mine = Vec::new();
                for _ in 0..4 {
                    let leases = w.claim_due(&format!("w{n}"), 2, LEASE, now).await.unwrap();
                    mine.extend(leases.into_iter().map(|l| l.email));
                    tokio::task::yield_now().await;
                }
                mine
            })
        })
        .collect();
    let mut all = Vec::new();
    for claimer in claimers {
        all.extend(claimer.await.unwrap());
    }
    // Whatever the racing claimers skipped (locked by another) is still there to claim.
    all.extend(
        claim(&store, "last", now)
            .await
            .into_iter()
            .map(|l| l.email),
    );
    all.sort();
    let before = all.len();
    all.dedup();
    assert_eq!(before, all.len(), "a mailbox was claimed twice: {all:?}");
    assert_eq!(all.len(), 13, "every due mailbox is claimed once: {all:?}");
    assert!(all.contains(&"bulk@contoso.test".to_string()));
}
store_test!(concurrent_claims_get_disjoint_mailboxes_and_activation_makes_due);
