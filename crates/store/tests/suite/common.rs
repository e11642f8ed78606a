//! The store tests' helpers; the database per test comes from `impersync-testdb`.

use impersync_store::{
    AccessType, AdminId, EmailSettings, EmailSettingsInput, ExchangeAuth, ImportRow, ItemChange,
    ItemData, ItemKind, Lease, NewOrganisation, OrgId, OrgStore, Organisation, Principal, Role,
    SecretString, SecretUpdate, Store, SyncPage, SyncWorker, UserId, now_millis,
};
use std::time::Duration;

pub use impersync_testdb::{TestDb, backend_test as store_test};

/// The operator principal used by the tests' set-up.
pub fn operator() -> Principal {
    Principal::system("tests")
}

/// Creates an organisation as an operator.
pub async fn create_org(store: &Store, name: &str, domain: &str) -> Organisation {
    store
        .organisations(&operator())
        .create(NewOrganisation {
            name: name.into(),
            domains: vec![domain.into()],
        })
        .await
        .expect("create organisation")
}

/// An org admin principal of `org` (no account needed for most checks).
pub fn org_admin(org: OrgId) -> Principal {
    Principal::admin(
        AdminId::from_raw(rand::random::<u32>() as i64 + 1),
        Role::OrgAdmin(org),
    )
}

/// A plausible argon2id PHC string (the store does not hash).
pub fn phc(tag: &str) -> impersync_store::PasswordHash {
    impersync_store::PasswordHash::new(format!(
        "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNo{tag}"
    ))
    .expect("phc")
}

/// Imports users with these addresses (and no display names).
pub async fn import_users(scope: &OrgStore<'_>, emails: &[&str]) {
    let rows = emails
        .iter()
        .enumerate()
        .map(|(i, e)| ImportRow {
            line: i + 1,
            email: (*e).into(),
            ..Default::default()
        })
        .collect();
    scope.users().import(rows).await.expect("import users");
}

/// A saved Exchange impersonation configuration with this password.
pub fn exchange(password: SecretUpdate) -> EmailSettingsInput {
    EmailSettings {
        access: AccessType::ExchangeImpersonation {
            logon: "CONTOSO\\MasterImpersonation".into(),
            auth: ExchangeAuth::Ntlm,
            password,
        },
        ews_url: Some("https://mail.contoso.test/EWS/Exchange.asmx".into()),
        autodiscover: false,
        tls_policy: "verify".into(),
        id_type: "SmtpAddress".into(),
        folders: vec!["inbox".into()],
        poll_interval_secs: 300,
        lab: false,
        saved: true,
    }
}

/// An organisation with these users, sync enabled for each (which makes them due now),
/// and its email configuration stored with `saved` as given. Returns the org and user ids.
pub async fn sync_org(
    store: &Store,
    name: &str,
    domain: &str,
    emails: &[&str],
    saved: bool,
) -> (OrgId, Vec<UserId>) {
    let org = create_org(store, name, domain).await;
    let scope = store.org(&operator(), org.id).await.unwrap();
    import_users(&scope, emails).await;
    let mut ids = Vec::new();
    for email in emails {
        let user = scope.users().get_by_email(email).await.unwrap();
        scope.users().set_sync_enabled(user.id, true).await.unwrap();
        ids.push(user.id);
    }
    let password = SecretUpdate::Set(SecretString::new("pw"));
    let settings = EmailSettings {
        saved,
        ..exchange(password)
    };
    scope.email_config().save(settings).await.unwrap();
    (org.id, ids)
}

/// Contoso (saved configuration) with these users, sync enabled.
pub async fn contoso(store: &Store, emails: &[&str]) -> (OrgId, Vec<UserId>) {
    sync_org(store, "Contoso", "contoso.test", emails, true).await
}

/// Contoso with one user, a@contoso.test, whose mailbox worker `w1` has claimed: the
/// operator's handle on Contoso, the user, the lease, and the time of the claim.
pub async fn claimed_mailbox(store: &Store) -> (OrgStore<'_>, UserId, Lease, i64) {
    let (org, users) = contoso(store, &["a@contoso.test"]).await;
    let scope = store.org(&operator(), org).await.unwrap();
    let now = now_millis() + 1000;
    let lease = claim(store, "w1", now).await.remove(0);
    (scope, users[0], lease, now)
}

/// A message as SyncFolderItems would report it.
pub fn message(
    item_id: &str,
    change_key: &str,
    from: &str,
    to: &str,
    received_at: i64,
) -> ItemData {
    ItemData {
        item_id: item_id.into(),
        change_key: change_key.into(),
        kind: ItemKind::Message,
        item_class: "IPM.Note".into(),
        subject: format!("subject of {item_id}"),
        from: Some(from.into()),
        to: vec![to.into()],
        received_at: Some(received_at),
        start_at: None,
        is_read: false,
        properties: serde_json::json!({ "size": 1234 }),
    }
}

/// A page for the inbox with this state and these changes.
pub fn inbox_page(sync_state: &str, changes: Vec<ItemChange>) -> SyncPage {
    SyncPage {
        folder: "inbox".into(),
        folder_id: "AAMkInbox".into(),
        sync_state: sync_state.into(),
        includes_last_item: true,
        changes,
    }
}

/// Claims every due mailbox for `owner` at `now` with a 30 s lease.
pub async fn claim(store: &Store, owner: &str, now: i64) -> Vec<Lease> {
    worker(store)
        .claim_due(owner, 100, Duration::from_secs(30), now)
        .await
        .unwrap()
}

/// The sync worker's handle.
pub fn worker(store: &Store) -> SyncWorker<'_> {
    store.sync_worker(&Principal::system("worker")).unwrap()
}
