//! Secrets at rest: never in plain text, a wrong key fails at open with a clear message,
//! and key rotation re-encrypts every secret.

use crate::common::{TestDb, create_org, exchange, operator, store_test};
use impersync_store::{
    AccessType, Backend, EmailSettings, EmailSettingsInput, KeySource, MasterKey, OrgId,
    PageRequest, SecretStatus, SecretString, SecretUpdate, Store, StoreError,
};
use sqlx::Row;
use std::os::unix::fs::PermissionsExt;

const PASSWORD: &str = "Pl41n-Text-Passw0rd!x7";
const REFRESH_TOKEN: &str = "0.ARefreshTokenValue-qq93";
const CLIENT_SECRET: &str = "ClientSecret~Value-z81";

fn m365(client_secret: SecretUpdate, refresh_token: SecretUpdate) -> EmailSettingsInput {
    EmailSettings {
        access: AccessType::M365OAuthImpersonation {
            authority: "https://login.microsoftonline.com".into(),
            tenant: "fabrikam.onmicrosoft.com".into(),
            client_id: "00000000-1111-2222-3333-444444444444".into(),
            redirect_url: "https://impersync.fabrikam.test/oauth/callback".into(),
            client_secret,
            refresh_token,
            signed_in_account: Some("svc@fabrikam.test".into()),
        },
        ews_url: Some("https://outlook.office365.com/EWS/Exchange.asmx".into()),
        autodiscover: false,
        tls_policy: "verify".into(),
        id_type: "PrimarySmtpAddress".into(),
        folders: vec![],
        poll_interval_secs: 120,
        lab: false,
        saved: true,
    }
}

/// Saves one configuration of each type with every secret set; returns the org ids.
async fn save_secrets(store: &Store) -> (OrgId, OrgId) {
    let op = operator();
    let contoso = create_org(store, "Contoso", "contoso.test").await;
    let fabrikam = create_org(store, "Fabrikam", "fabrikam.test").await;
    store
        .org(&op, contoso.id)
        .await
        .unwrap()
        .email_config()
        .save(exchange(SecretUpdate::Set(PASSWORD.into())))
        .await
        .unwrap();
    store
        .org(&op, fabrikam.id)
        .await
        .unwrap()
        .email_config()
        .save(m365(
            SecretUpdate::Set(CLIENT_SECRET.into()),
            SecretUpdate::Set(REFRESH_TOKEN.into()),
        ))
        .await
        .unwrap();
    (contoso.id, fabrikam.id)
}

/// Every byte the database holds, as text: the SQLite files, or every row of every table.
async fn everything_stored(db: &TestDb) -> String {
    match db.backend {
        Backend::Sqlite => {
            let mut all = Vec::new();
            for entry in std::fs::read_dir(db.dir.path()).unwrap() {
                let path = entry.unwrap().path();
                if path
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("impersync.db")
                {
                    all.extend(std::fs::read(&path).unwrap());
                }
            }
            assert!(!all.is_empty());
            String::from_utf8_lossy(&all).into_owned()
        }
        Backend::Postgres => {
            let raw = db.raw().await;
            let tables = sqlx::query(
                "SELECT CAST(table_name AS TEXT) AS t FROM information_schema.tables WHERE table_schema = 'public'",
            )
            .fetch_all(&raw)
            .await
            .unwrap();
            let mut all = String::new();
            for table in tables {
                let table: String = table.get("t");
                let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT CAST(x.* AS TEXT) AS r FROM {table} x"
                )))
                .fetch_all(&raw)
                .await
                .unwrap();
                for row in rows {
                    all.push_str(&row.get::<String, _>("r"));
                    all.push('\n');
                }
            }
            assert!(
                all.contains("MasterImpersonation"),
                "the dump sees the rows"
            );
            all
        }
    }
}

async fn secrets_are_never_stored_in_plain_text(db: &TestDb) {
    let store = db.open().await;
    let (contoso, fabrikam) = save_secrets(&store).await;
    let op = operator();

    // The API reports "set", never the value.
    let config = store
        .org(&op, contoso)
        .await
        .unwrap()
        .email_config()
        .get()
        .await
        .unwrap()
        .unwrap();
    match &config.settings.access {
        AccessType::ExchangeImpersonation { password, .. } => {
            assert_eq!(*password, SecretStatus::Set)
        }
        other => panic!("{other:?}"),
    }
    let json = serde_json::to_string(&config).unwrap();
    assert!(
        json.contains("\"password\":\"set\"") && !json.contains(PASSWORD),
        "{json}"
    );

    // The engine gets them back decrypted; Debug hides them.
    let creds = store
        .org(&op, fabrikam)
        .await
        .unwrap()
        .email_config()
        .credentials()
        .await
        .unwrap()
        .unwrap();
    match &creds.access {
        AccessType::M365OAuthImpersonation {
            client_secret,
            refresh_token,
            ..
        } => {
            assert_eq!(client_secret.as_ref().unwrap().expose(), CLIENT_SECRET);
            assert_eq!(refresh_token.as_ref().unwrap().expose(), REFRESH_TOKEN);
        }
        other => panic!("{other:?}"),
    }
    let debug = format!("{creds:?}");
    assert!(
        !debug.contains(CLIENT_SECRET) && !debug.contains(REFRESH_TOKEN),
        "{debug}"
    );

    // The audit log records statuses only.
    let log = serde_json::to_string(
        &store
            .audit_log(&op)
            .list(PageRequest::first(100))
            .await
            .unwrap(),
    )
    .unwrap();
    assert!(
        log.contains("email_config.saved") && !log.contains(PASSWORD),
        "{log}"
    );

    // On disk / in the tables: only sealed values.
    let raw = db.raw().await;
    let sealed: String = sqlx::query("SELECT password_enc FROM email_configs WHERE org_id = $1")
        .bind(contoso.get())
        .fetch_one(&raw)
        .await
        .unwrap()
        .get("password_enc");
    assert!(
        sealed.starts_with(&format!("enc:v1:{}:", store.key_id())),
        "{sealed}"
    );
    raw.close().await;
    store.close().await;
    let stored = everything_stored(db).await;
    for secret in [PASSWORD, REFRESH_TOKEN, CLIENT_SECRET] {
        assert!(!stored.contains(secret), "{secret} is stored in plain text");
    }
}
store_test!(secrets_are_never_stored_in_plain_text);

async fn secret_updates_keep_clear_and_switch(db: &TestDb) {
    let store = db.open().await;
    let (contoso, _) = save_secrets(&store).await;
    let op = operator();
    let scope = store.org(&op, contoso).await.unwrap();
    let configs = scope.email_config();
    let password_of = |c: &impersync_store::EmailConfig| match &c.settings.access {
        AccessType::ExchangeImpersonation { password, .. } => *password,
        _ => panic!("not exchange"),
    };

    // Keep: the password stays.
    let kept = configs.save(exchange(SecretUpdate::Keep)).await.unwrap();
    assert_eq!(password_of(&kept), SecretStatus::Set);
    let creds = configs.credentials().await.unwrap().unwrap();
    assert!(
        matches!(&creds.access, AccessType::ExchangeImpersonation { password: Some(p), .. } if p.expose() == PASSWORD)
    );

    // Switching the type drops the old type's secrets; Keep on the new type means "not set".
    let switched = configs
        .save(m365(SecretUpdate::Keep, SecretUpdate::Keep))
        .await
        .unwrap();
    assert!(matches!(
        switched.settings.access,
        AccessType::M365OAuthImpersonation {
            client_secret: SecretStatus::NotSet,
            refresh_token: SecretStatus::NotSet,
            ..
        }
    ));
    configs
        .set_refresh_token(&SecretString::new(REFRESH_TOKEN), "svc@contoso.test")
        .await
        .unwrap();
    let after = configs.get().await.unwrap().unwrap();
    assert!(matches!(
        after.settings.access,
        AccessType::M365OAuthImpersonation {
            refresh_token: SecretStatus::Set,
            ref signed_in_account,
            ..
        } if signed_in_account.as_deref() == Some("svc@contoso.test")
    ));

    // Back to Exchange, then Clear.
    configs
        .save(exchange(SecretUpdate::Set(PASSWORD.into())))
        .await
        .unwrap();
    let cleared = configs.save(exchange(SecretUpdate::Clear)).await.unwrap();
    assert_eq!(password_of(&cleared), SecretStatus::NotSet);

    // Validation: https only unless lab.
    let mut http = exchange(SecretUpdate::Keep);
    http.ews_url = Some("http://mail.contoso.test/EWS/Exchange.asmx".into());
    assert!(matches!(
        configs.save(http.clone()).await,
        Err(StoreError::Invalid(_))
    ));
    http.lab = true;
    assert!(configs.save(http).await.is_ok());

    // A sealed value moved to another organisation's row does not decrypt.
    let other = create_org(&store, "Other", "other.test").await;
    store
        .org(&op, other.id)
        .await
        .unwrap()
        .email_config()
        .save(exchange(SecretUpdate::Set("other-password".into())))
        .await
        .unwrap();
    let raw = db.raw().await;
    configs
        .save(exchange(SecretUpdate::Set(PASSWORD.into())))
        .await
        .unwrap();
    let sealed: String = sqlx::query("SELECT password_enc FROM email_configs WHERE org_id = $1")
        .bind(contoso.get())
        .fetch_one(&raw)
        .await
        .unwrap()
        .get("password_enc");
    sqlx::query("UPDATE email_configs SET password_enc = $1 WHERE org_id = $2")
        .bind(sealed)
        .bind(other.id.get())
        .execute(&raw)
        .await
        .unwrap();
    let moved = store
        .org(&op, other.id)
        .await
        .unwrap()
        .email_config()
        .credentials()
        .await;
    assert!(matches!(moved, Err(StoreError::Secret { .. })), "{moved:?}");
}
store_test!(secret_updates_keep_clear_and_switch);

async fn wrong_master_key_is_a_clear_error_at_open(db: &TestDb) {
    let k1 = MasterKey::generate();
    let k2 = MasterKey::generate();
    let store = Store::open(db.options().master_key(k1.to_base64().expose()))
        .await
        .unwrap();
    assert_eq!(store.key_source(), &KeySource::Environment);
    save_secrets(&store).await;
    store.close().await;

    // Another key from the environment.
    let err = Store::open(db.options().master_key(k2.to_base64().expose()))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(err, StoreError::MasterKeyMismatch { .. }),
        "{err:?}"
    );
    assert!(text.contains("does not match this database"), "{text}");
    assert!(
        text.contains("IMPERSYNC_MASTER_KEY") && text.contains(&k1.id()) && text.contains(&k2.id()),
        "{text}"
    );

    // No key at all, and no key file: refused, not a new key.
    let err = Store::open(db.options()).await.unwrap_err();
    assert!(matches!(err, StoreError::MasterKeyMissing { .. }), "{err}");
    assert!(
        !db.key_file().exists(),
        "no key file was made for a database that has secrets"
    );

    // A key file with another key.
    std::fs::write(db.key_file(), format!("{}\n", k2.to_base64().expose())).unwrap();
    std::fs::set_permissions(db.key_file(), std::fs::Permissions::from_mode(0o600)).unwrap();
    let err = Store::open(db.options()).await.unwrap_err();
    assert!(matches!(err, StoreError::MasterKeyMismatch { .. }), "{err}");
    assert!(err.to_string().contains("key file"), "{err}");

    // The right key in the key file, but readable by others.
    std::fs::write(db.key_file(), format!("{}\n", k1.to_base64().expose())).unwrap();
    std::fs::set_permissions(db.key_file(), std::fs::Permissions::from_mode(0o640)).unwrap();
    let err = Store::open(db.options()).await.unwrap_err();
    assert!(matches!(err, StoreError::KeyFileInsecure { .. }), "{err}");
    std::fs::set_permissions(db.key_file(), std::fs::Permissions::from_mode(0o600)).unwrap();
    let store = Store::open(db.options()).await.unwrap();
    assert_eq!(store.key_id(), k1.id());

    // A malformed key names the variable.
    let err = Store::open(db.options().master_key("bm90IDMyIGJ5dGVz"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::MasterKeyMalformed { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("IMPERSYNC_MASTER_KEY"), "{err}");
}
store_test!(wrong_master_key_is_a_clear_error_at_open);

async fn key_file_is_created_on_first_start(db: &TestDb) {
    let store = db.open().await;
    let mode = std::fs::metadata(db.key_file())
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    assert_eq!(
        store.key_source(),
        &KeySource::File(std::fs::canonicalize(db.key_file()).unwrap())
    );
    let id = store.key_id();
    store.close().await;
    assert_eq!(db.open().await.key_id(), id, "the same key is used again");
}
store_test!(key_file_is_created_on_first_start);

async fn rotate_key_reencrypts_every_secret(db: &TestDb) {
    let store = db.open().await;
    let (contoso, fabrikam) = save_secrets(&store).await;
    let op = operator();
    let old_id = store.key_id();
    let raw = db.raw().await;
    let sealed_all = || async {
        let rows = sqlx::query(
            "SELECT password_enc, client_secret_enc, refresh_token_enc FROM email_configs ORDER BY org_id",
        )
        .fetch_all(&raw)
        .await
        .unwrap();
        rows.iter()
            .flat_map(|r| {
                ["password_enc", "client_secret_enc", "refresh_token_enc"]
                    .map(|c| r.get::<Option<String>, _>(c))
            })
            .flatten()
            .collect::<Vec<_>>()
    };
    let before = sealed_all().await;
    assert_eq!(before.len(), 3);

    let new_key = MasterKey::generate();
    let rotation = store.rotate_key(&op, &new_key).await.unwrap();
    assert_eq!(rotation.secrets, 3);
    assert_eq!(
        (rotation.old_key_id.as_str(), rotation.new_key_id.clone()),
        (old_id.as_str(), new_key.id())
    );
    assert_eq!(store.key_id(), new_key.id());

    let after = sealed_all().await;
    assert_eq!(after.len(), 3);
    for (b, a) in before.iter().zip(&after) {
        assert_ne!(b, a);
        assert!(a.starts_with(&format!("enc:v1:{}:", new_key.id())), "{a}");
    }
    // Still readable through the open store...
    let creds = store
        .org(&op, contoso)
        .await
        .unwrap()
        .email_config()
        .credentials()
        .await
        .unwrap()
        .unwrap();
    assert!(
        matches!(&creds.access, AccessType::ExchangeImpersonation { password: Some(p), .. } if p.expose() == PASSWORD)
    );
    store.close().await;

    // ...and after reopening with the key file, which now holds the new key.
    let reopened = db.open().await;
    assert_eq!(reopened.key_id(), new_key.id());
    let creds = reopened
        .org(&op, fabrikam)
        .await
        .unwrap()
        .email_config()
        .credentials()
        .await
        .unwrap()
        .unwrap();
    assert!(
        matches!(&creds.access, AccessType::M365OAuthImpersonation { refresh_token: Some(t), .. } if t.expose() == REFRESH_TOKEN)
    );
    let log = reopened
        .audit_log(&op)
        .list(PageRequest::first(50))
        .await
        .unwrap();
    assert!(log.items.iter().any(|e| e.action == "master_key.rotated"));
    reopened.close().await;

    // A rotation that committed but crashed before renaming the key file is completed at open.
    let newer = MasterKey::generate();
    let store = db.open().await;
    store.rotate_key(&op, &newer).await.unwrap();
    store.close().await;
    let key_file = db.key_file();
    let staged = key_file.with_file_name("master.key.new");
    std::fs::rename(&key_file, &staged).unwrap();
    std::fs::write(&key_file, format!("{}\n", new_key.to_base64().expose())).unwrap();
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let recovered = db.open().await;
    assert_eq!(recovered.key_id(), newer.id());
    assert!(!staged.exists());
    recovered.close().await;

    // With the key from the environment: the database is rotated, no file is written.
    let env_dir = tempfile::tempdir().unwrap();
    let store = Store::open(
        db.options_in(env_dir.path())
            .master_key(newer.to_base64().expose()),
    )
    .await
    .unwrap();
    let last = MasterKey::generate();
    let rotation = store.rotate_key(&op, &last).await.unwrap();
    assert_eq!(rotation.key_file, None);
    store.close().await;
    assert!(
        Store::open(
            db.options_in(env_dir.path())
                .master_key(newer.to_base64().expose())
        )
        .await
        .is_err()
    );
    assert!(
        Store::open(
            db.options_in(env_dir.path())
                .master_key(last.to_base64().expose())
        )
        .await
        .is_ok()
    );

    // Only operators rotate.
    let store = Store::open(
        db.options_in(env_dir.path())
            .master_key(last.to_base64().expose()),
    )
    .await
    .unwrap();
    let org_admin = crate::common::org_admin(contoso);
    assert!(matches!(
        store.rotate_key(&org_admin, &MasterKey::generate()).await,
        Err(StoreError::Forbidden(_))
    ));
}
store_test!(rotate_key_reencrypts_every_secret);

async fn a_rotated_refresh_token_replaces_only_the_one_it_came_from(db: &TestDb) {
    let store = db.open().await;
    let (contoso, fabrikam) = save_secrets(&store).await;
    let op = operator();
    let scope = store.org(&op, fabrikam).await.unwrap();
    let configs = scope.email_config();
    let refresh_of = |c: impersync_store::EmailCredentials| match c.access {
        AccessType::M365OAuthImpersonation { refresh_token, .. } => refresh_token,
        AccessType::ExchangeImpersonation { .. } => panic!("not M365"),
    };
    let stored = || async { refresh_of(configs.credentials().await.unwrap().unwrap()) };
    let first = SecretString::new(REFRESH_TOKEN);
    let rotated = SecretString::new("0.RotatedRefreshToken-a1");
    assert!(
        configs
            .rotate_refresh_token(&first, &rotated)
            .await
            .unwrap()
    );
    assert_eq!(stored().await, Some(rotated.clone()));
    let audit_before = store
        .audit_log(&op)
        .list(PageRequest::first(100))
        .await
        .unwrap()
        .total;

    // A refresh that started from the old token loses against what is stored now.
    let late = SecretString::new("0.LateRotation-b2");
    assert!(!configs.rotate_refresh_token(&first, &late).await.unwrap());
    assert_eq!(stored().await, Some(rotated));
    let audit_after = store
        .audit_log(&op)
        .list(PageRequest::first(100))
        .await
        .unwrap()
        .total;
    assert_eq!(audit_after, audit_before, "rotation is not audited");

    // Not an M365 configuration: nothing to rotate.
    let exchange = store.org(&op, contoso).await.unwrap();
    assert!(
        !exchange
            .email_config()
            .rotate_refresh_token(&first, &late)
            .await
            .unwrap()
    );
    assert!(
        !everything_stored(db)
            .await
            .contains("0.RotatedRefreshToken-a1")
    );
}
store_test!(a_rotated_refresh_token_replaces_only_the_one_it_came_from);
