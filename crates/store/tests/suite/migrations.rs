//! Migrations: applied once, idempotent, and the portable types decode on both backends.

use crate::common::{TestDb, create_org, operator, store_test};
use impersync_store::{
    AccessType, EmailSettings, ExchangeAuth, MIGRATIONS, NewUser, PageRequest, SecretUpdate, Store,
    UserFilter,
};
use sqlx::Row;

async fn migrations_are_idempotent(db: &TestDb) {
    let store = db.open().await;
    assert_eq!(store.backend(), db.backend);
    let first = store.migrations().clone();
    assert_eq!(
        first.applied,
        MIGRATIONS.iter().map(|m| m.version).collect::<Vec<_>>()
    );
    assert_eq!(first.current, MIGRATIONS.last().unwrap().version);

    // Again on the same store, and again after reopening: nothing to do.
    let again = store.migrate().await.unwrap();
    assert!(again.applied.is_empty(), "{again:?}");
    assert_eq!(again.current, first.current);
    store.close().await;
    let reopened = db.open().await;
    assert!(reopened.migrations().applied.is_empty());

    let raw = db.raw().await;
    let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM schema_migrations")
        .fetch_one(&raw)
        .await
        .unwrap()
        .get("n");
    assert_eq!(n as usize, MIGRATIONS.len());
}
store_test!(migrations_are_idempotent);

async fn concurrent_opens_agree(db: &TestDb) {
    // Two processes starting at once on a new database: both open, one schema, one key.
    let (a, b) = tokio::join!(Store::open(db.options()), Store::open(db.options()));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.key_id(), b.key_id());
}
store_test!(concurrent_opens_agree);

async fn flags_nulls_and_bigints_round_trip(db: &TestDb) {
    let store = db.open().await;
    let org = create_org(&store, "Flags", "flags.test").await;
    let scope = store.org(&operator(), org.id).await.unwrap();
    let on = scope
        .users()
        .create(NewUser {
            email: "on@flags.test".into(),
            display_name: "On".into(),
            sync_enabled: true,
        })
        .await
        .unwrap();
    let off = scope
        .users()
        .create(NewUser {
            email: "off@flags.test".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(on.sync_enabled && !off.sync_enabled);
    assert!(scope.users().get(on.id).await.unwrap().sync_enabled);
    assert!(!scope.users().get(off.id).await.unwrap().sync_enabled);
    assert_eq!(off.last_check, None, "NULL columns decode as None");

    let only_on = UserFilter {
        sync_enabled: Some(true),
        ..Default::default()
    };
    let page = scope
        .users()
        .list(&only_on, PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!((page.total, page.items[0].id), (1, on.id));
    let toggled = scope.users().set_sync_enabled(off.id, true).await.unwrap();
    assert!(toggled.sync_enabled);

    let saved = scope
        .email_config()
        .save(EmailSettings {
            access: AccessType::ExchangeImpersonation {
                logon: "CONTOSO\\svc".into(),
                auth: ExchangeAuth::Basic,
                password: SecretUpdate::Keep,
            },
            ews_url: None,
            autodiscover: true,
            tls_policy: "verify".into(),
            id_type: "PrimarySmtpAddress".into(),
            folders: vec!["inbox".into(), "calendar".into()],
            poll_interval_secs: 600,
            lab: true,
            saved: false,
        })
        .await
        .unwrap();
    let s = &saved.settings;
    assert!(s.autodiscover && s.lab && !s.saved);
    assert_eq!(s.poll_interval_secs, 600);
    assert_eq!(s.folders, ["inbox", "calendar"]);
    assert_eq!(s.ews_url, None);

    // Ids use the full 63 bits.
    let raw = db.raw().await;
    let id: i64 = sqlx::query("SELECT id FROM organisations WHERE id = $1")
        .bind(org.id.get())
        .fetch_one(&raw)
        .await
        .unwrap()
        .get("id");
    assert_eq!(id, org.id.get());
}
store_test!(flags_nulls_and_bigints_round_trip);
