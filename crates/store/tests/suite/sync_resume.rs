//! The worker's schedule and how stopped mailboxes resume: the next due time, an
//! organisation-wide stop that ends every lease, and a saved configuration (or a new
//! Microsoft 365 sign-in) making every mailbox that needs attention or backs off due at once.

use crate::common::{TestDb, claim, contoso, exchange, operator, store_test, worker};
use impersync_store::{
    AccessType, EmailSettings, MailboxState, SecretString, SecretUpdate, StoreError, SyncFailure,
    now_millis,
};
use std::time::Duration;

fn failure(outcome: &str) -> SyncFailure {
    SyncFailure {
        outcome: outcome.into(),
        code: Some("HTTP 401".into()),
        message: "the service account cannot sign in".into(),
        remedy: "Set the service account's password again.".into(),
    }
}

async fn an_organisation_stops_together_and_resumes_on_save(db: &TestDb) {
    let store = db.open().await;
    let emails = ["a@contoso.test", "b@contoso.test", "c@contoso.test"];
    let (org, users) = contoso(&store, &emails).await;
    let scope = store.org(&operator(), org).await.unwrap();
    let w = worker(&store);
    let t0 = now_millis() + 1000;
    let due = w.next_due_at().await.unwrap().unwrap();
    assert!(due <= t0, "activated mailboxes are due");

    // a and b are claimed; b backs off, then an AuthFailed stops the whole organisation.
    let leases = w
        .claim_due("w1", 2, Duration::from_secs(30), t0)
        .await
        .unwrap();
    assert_eq!(leases.len(), 2);
    let back_off = failure("Throttled");
    w.finish_failed(&leases[1], &back_off, Some(t0 + 60_000), false, t0)
        .await
        .unwrap();
    let stopped = w
        .org_needs_attention(org, &failure("AuthFailed"), t0)
        .await
        .unwrap();
    assert_eq!(stopped, 3);
    for user in &users {
        let s = scope.mailboxes().status(*user).await.unwrap().unwrap();
        assert_eq!(s.state, MailboxState::NeedsAttention);
        assert_eq!((s.next_due_at, s.lease_owner.as_deref()), (None, None));
        assert_eq!(s.last_error.unwrap().outcome, "AuthFailed");
    }
    assert_eq!(w.next_due_at().await.unwrap(), None, "nothing is scheduled");
    assert!(claim(&store, "w2", t0 + 1).await.is_empty());
    // The worker that held a's lease can no longer write.
    let renewed = w
        .renew_lease(&leases[0], Duration::from_secs(30), t0 + 1)
        .await;
    assert!(
        matches!(renewed, Err(StoreError::LeaseLost { .. })),
        "{renewed:?}"
    );

    // Saving the configuration makes every one of them due at once.
    let before_save = now_millis();
    scope
        .email_config()
        .save(exchange(SecretUpdate::Keep))
        .await
        .unwrap();
    let claimed = claim(&store, "w2", now_millis() + 1).await;
    assert_eq!(claimed.len(), 3);
    for user in &users {
        let s = scope.mailboxes().status(*user).await.unwrap().unwrap();
        assert!(s.next_due_at.unwrap() >= before_save);
    }
}
store_test!(an_organisation_stops_together_and_resumes_on_save);

async fn a_new_microsoft_365_sign_in_resumes_the_organisation(db: &TestDb) {
    let store = db.open().await;
    let (org, users) = contoso(&store, &["a@contoso.test"]).await;
    let scope = store.org(&operator(), org).await.unwrap();
    let m365 = EmailSettings {
        access: AccessType::M365OAuthImpersonation {
            authority: "https://login.microsoftonline.com".into(),
            tenant: "contoso.onmicrosoft.com".into(),
            client_id: "00000000-1111-2222-3333-444444444444".into(),
            redirect_url: "https://impersync.contoso.test/oauth/callback".into(),
            client_secret: SecretUpdate::Clear,
            refresh_token: SecretUpdate::Set("0.OldToken".into()),
            signed_in_account: Some("svc@contoso.test".into()),
        },
        ..exchange(SecretUpdate::Keep)
    };
    scope.email_config().save(m365).await.unwrap();
    let t0 = now_millis() + 1000;
    let w = worker(&store);
    w.org_needs_attention(org, &failure("AuthFailed"), t0)
        .await
        .unwrap();
    assert!(claim(&store, "w1", t0 + 1).await.is_empty());
    scope
        .email_config()
        .set_refresh_token(&SecretString::new("0.NewToken"), "svc@contoso.test")
        .await
        .unwrap();
    let claimed = claim(&store, "w1", now_millis() + 1).await;
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].user, users[0]);
}
store_test!(a_new_microsoft_365_sign_in_resumes_the_organisation);

async fn a_held_lease_counts_from_its_end_in_the_next_due_time(db: &TestDb) {
    let store = db.open().await;
    let (org, _) = contoso(&store, &["a@contoso.test", "b@contoso.test"]).await;
    let w = worker(&store);
    let t0 = now_millis() + 1000;
    let first = w
        .claim_due("w1", 1, Duration::from_secs(30), t0)
        .await
        .unwrap();
    let due = w.next_due_at().await.unwrap().unwrap();
    assert!(due <= t0, "the unclaimed mailbox is still due: {due}");

    let second = w
        .claim_due("w1", 1, Duration::from_secs(20), t0)
        .await
        .unwrap();
    assert_eq!(
        w.next_due_at().await.unwrap(),
        Some(t0 + 20_000),
        "both are leased: the first lease to end"
    );
    w.finish_failed(
        &second[0],
        &failure("Throttled"),
        Some(t0 + 90_000),
        false,
        t0,
    )
    .await
    .unwrap();
    assert_eq!(w.next_due_at().await.unwrap(), Some(t0 + 30_000));
    w.finish_failed(
        &first[0],
        &failure("Throttled"),
        Some(t0 + 60_000),
        false,
        t0,
    )
    .await
    .unwrap();
    assert_eq!(w.next_due_at().await.unwrap(), Some(t0 + 60_000));

    // A mailbox of an organisation whose configuration is not saved is not claimable.
    let scope = store.org(&operator(), org).await.unwrap();
    let mut draft = exchange(SecretUpdate::Keep);
    draft.saved = false;
    scope.email_config().save(draft).await.unwrap();
    assert_eq!(w.next_due_at().await.unwrap(), None);
}
store_test!(a_held_lease_counts_from_its_end_in_the_next_due_time);
