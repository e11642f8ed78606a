//! The poll interval: at least 30 s and at most a day; a value outside is refused naming
//! the field, and nothing is saved.

use crate::common::{TestDb, create_org, exchange, operator, store_test};
use impersync_store::{SecretUpdate, StoreError};

async fn poll_interval_is_thirty_seconds_to_a_day(db: &TestDb) {
    let store = db.open().await;
    let org = create_org(&store, "Contoso", "contoso.test").await;
    let op = operator();
    let scope = store.org(&op, org.id).await.unwrap();
    for secs in [0, 29, 86_401] {
        let mut settings = exchange(SecretUpdate::Set("pw".into()));
        settings.poll_interval_secs = secs;
        match scope.email_config().save(settings).await {
            Err(StoreError::Invalid(message)) => {
                assert!(message.starts_with("poll_interval_secs"), "{message}");
            }
            other => panic!("{secs} s: {other:?}"),
        }
        assert!(
            scope.email_config().get().await.unwrap().is_none(),
            "nothing saved"
        );
    }
    for secs in [30, 86_400] {
        let mut settings = exchange(SecretUpdate::Set("pw".into()));
        settings.poll_interval_secs = secs;
        let saved = scope.email_config().save(settings).await.unwrap();
        assert_eq!(saved.settings.poll_interval_secs, secs);
    }
}
store_test!(poll_interval_is_thirty_seconds_to_a_day);
