//! Webhooks in the store: secrets sealed at rest and re-sealed by a key rotation, claims
//! by two workers that never share a webhook, a lost lease that writes nothing, the same
//! batch after a failure, only the latest delivery attempts kept, and org admins limited to
//! their own organisation.

use crate::common::{
    TestDb, claimed_mailbox, inbox_page, message, operator, org_admin, store_test, worker,
};
use impersync_store::{
    AttemptRecord, DeliveryAttempt, DeliveryId, FeedCursor, ItemChange, KEPT_ATTEMPTS, MasterKey,
    NewWebhook, OrgStore, Principal, SecretString, Store, StoreError, WebhookLease, WebhookUpdate,
    WebhookWorker, now_millis,
};
use std::time::Duration;

const SECRET: &str = "Store-Webhook-Secret-0042";
const LEASE: Duration = Duration::from_secs(60);

fn hooks(store: &Store) -> WebhookWorker<'_> {
    store.webhook_worker(&Principal::system("hooks")).unwrap()
}

fn new_hook(n: usize) -> NewWebhook {
    NewWebhook {
        url: format!("https://hooks{n}.example.com/in"),
        secret: SecretString::new(SECRET),
        enabled: true,
    }
}

fn attempt(lease: &WebhookLease, last: i64, delivered: bool, at: i64) -> AttemptRecord {
    AttemptRecord {
        attempt: DeliveryAttempt {
            id: DeliveryId::random(),
            webhook_id: lease.id,
            attempt: 0,
            first_id: FeedCursor(lease.delivered.0 + 1),
            last_id: FeedCursor(last),
            attempted_at: at,
            http_status: Some(if delivered { 200 } else { 503 }),
            error: (!delivered).then(|| "the receiver answered HTTP 503".to_string()),
            duration_ms: 3,
            delivered,
        },
        next_attempt_at: if delivered { at } else { at + 10_000 },
    }
}

/// An organisation with `n` new messages in its change feed, and its webhooks' scope.
async fn org_with_changes(store: &Store, n: usize) -> (OrgStore<'_>, i64) {
    let (scope, _, lease, now) = claimed_mailbox(store).await;
    let changes: Vec<ItemChange> = (0..n)
        .map(|n| {
            ItemChange::Create(message(
                &format!("m{n}"),
                "ck",
                "x@f.test",
                "a@contoso.test",
                1,
            ))
        })
        .collect();
    worker(store)
        .apply_page(&lease, &inbox_page("s1", changes), now)
        .await
        .unwrap();
    (scope, now)
}

async fn webhooks_are_leased_once_and_retry_the_same_batch(db: &TestDb) {
    let store = db.open().await;
    let (scope, now) = org_with_changes(&store, 5).await;
    for n in 0..3 {
        scope.webhooks().create(new_hook(n)).await.unwrap();
    }
    let disabled = scope.webhooks().create(new_hook(9)).await.unwrap();
    scope
        .webhooks()
        .update(
            disabled.id,
            WebhookUpdate {
                enabled: Some(false),
                ..Default::default()
            },
        )
        .await
        .unwrap();

    // Two workers at once claim disjoint webhooks; the disabled one is never claimed.
    let (w1, w2) = (hooks(&store), hooks(&store));
    let (a, b) = tokio::join!(
        w1.claim_due("w1", 2, LEASE, now),
        w2.claim_due("w2", 10, LEASE, now)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.len() + b.len(), 3, "{a:?} {b:?}");
    let mut ids: Vec<_> = a.iter().chain(&b).map(|l| l.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3, "no webhook claimed twice");
    assert!(!ids.contains(&disabled.id));
    assert!(
        hooks(&store)
            .claim_due("w3", 10, LEASE, now)
            .await
            .unwrap()
            .is_empty()
    );
    let lease = a.into_iter().chain(b).next().unwrap();
    assert_eq!(lease.secret.expose(), SECRET);
    assert!(!lease.lab);

    // A batch of 3 fails: the retry sends exactly those 3, though 5 are waiting.
    let batch = hooks(&store).batch(&lease, 3).await.unwrap();
    assert_eq!(batch.changes.len(), 3);
    hooks(&store)
        .record(
            &lease,
            &attempt(&lease, batch.next_cursor.0, false, now),
            now,
        )
        .await
        .unwrap();
    let later = now + LEASE.as_millis() as i64 + 1;
    let again = hooks(&store)
        .claim_due("w1", 10, LEASE, later)
        .await
        .unwrap();
    let retry = again.iter().find(|l| l.id == lease.id).unwrap();
    assert_eq!(retry.failures, 1);
    assert_eq!(retry.retry_through, Some(batch.next_cursor));
    let same = hooks(&store).batch(retry, 100).await.unwrap();
    assert_eq!(same, batch, "the same batch");

    // A lease that expired writes nothing.
    let expired = hooks(&store)
        .record(
            retry,
            &attempt(retry, 5, true, later),
            later + LEASE.as_millis() as i64,
        )
        .await;
    assert!(
        matches!(expired, Err(StoreError::WebhookLeaseLost { .. })),
        "{expired:?}"
    );
    let view = scope.webhooks().get(lease.id).await.unwrap();
    assert_eq!((view.failures, view.delivered_cursor), (1, FeedCursor(0)));
    let attempts = scope.webhooks().deliveries(lease.id, 10).await.unwrap();
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].http_status, Some(503));

    // A fixed URL is tried at once, without waiting out the back-off.
    assert!(view.next_attempt_at > now_millis());
    let fixed = WebhookUpdate {
        url: Some("https://fixed.example.com/in".into()),
        ..Default::default()
    };
    let view = scope.webhooks().update(lease.id, fixed).await.unwrap();
    assert!(view.next_attempt_at <= now_millis(), "{view:?}");
    assert_eq!(view.failures, 1, "the failures stay until a delivery");
}
store_test!(webhooks_are_leased_once_and_retry_the_same_batch);

async fn secrets_are_sealed_and_tenants_apart(db: &TestDb) {
    let store = db.open().await;
    let (scope, now) = org_with_changes(&store, 1).await;
    let hook = scope.webhooks().create(new_hook(1)).await.unwrap();
    assert!(!format!("{hook:?}").contains(SECRET));
    let raw = db.raw().await;
    let sealed: String = sqlx::query_scalar("SELECT secret_enc FROM webhooks")
        .fetch_one(&raw)
        .await
        .unwrap();
    assert!(sealed.starts_with("enc:v1:") && !sealed.contains(SECRET));

    let short = NewWebhook {
        secret: SecretString::new("too-short"),
        ..new_hook(2)
    };
    let err = scope
        .webhooks()
        .create(short)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("secret") && !err.contains("too-short"),
        "{err}"
    );

    let other = crate::common::create_org(&store, "Fabrikam", "fabrikam.test").await;
    let stranger = store.org(&org_admin(other.id), other.id).await.unwrap();
    assert!(stranger.webhooks().list().await.unwrap().is_empty());
    assert!(matches!(
        stranger.webhooks().get(hook.id).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        stranger.webhooks().delete(hook.id).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(store.webhook_worker(&org_admin(other.id)).is_err());

    let rotation = store
        .rotate_key(&operator(), &MasterKey::generate())
        .await
        .unwrap();
    assert!(rotation.secrets >= 1);
    let resealed: String = sqlx::query_scalar("SELECT secret_enc FROM webhooks")
        .fetch_one(&raw)
        .await
        .unwrap();
    assert_ne!(resealed, sealed);
    let claimed = hooks(&store).claim_due("w1", 10, LEASE, now).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].secret.expose(), SECRET, "opens with the new key");
}
store_test!(secrets_are_sealed_and_tenants_apart);

async fn only_the_latest_attempts_are_kept(db: &TestDb) {
    let store = db.open().await;
    // A change for the webhook to deliver, which every attempt fails to.
    let (scope, now) = org_with_changes(&store, 1).await;
    let hook = scope.webhooks().create(new_hook(1)).await.unwrap();
    let extra = 3;
    for n in 0..i64::from(KEPT_ATTEMPTS) + extra {
        let at = now + n;
        let lease = hooks(&store).claim_due("w1", 1, LEASE, at).await.unwrap();
        let lease = lease.into_iter().next().expect("the webhook is due again");
        let mut failed = attempt(&lease, 1, false, at);
        failed.next_attempt_at = at + 1;
        hooks(&store).record(&lease, &failed, at).await.unwrap();
    }
    let raw = db.raw().await;
    let (rows, oldest): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), MIN(attempt) FROM webhook_deliveries WHERE webhook_id = $1",
    )
    .bind(hook.id.get())
    .fetch_one(&raw)
    .await
    .unwrap();
    assert_eq!(
        (rows, oldest),
        (i64::from(KEPT_ATTEMPTS), extra + 1),
        "the oldest attempts are gone"
    );
    let listed = scope
        .webhooks()
        .deliveries(hook.id, u32::MAX)
        .await
        .unwrap();
    assert_eq!(listed.len(), KEPT_ATTEMPTS as usize);
    assert_eq!(
        listed[0].attempt,
        i64::from(KEPT_ATTEMPTS) + extra,
        "newest first"
    );
}
store_test!(only_the_latest_attempts_are_kept);
