//! Admin accounts and API tokens.

use crate::common::{TestDb, create_org, operator, phc, store_test};
use impersync_store::{NewAdmin, PasswordHash, Role, StoreError, TOKEN_PREFIX, token_hash};
use sqlx::Row;

async fn admin_accounts(db: &TestDb) {
    let store = db.open().await;
    let auth = store.auth();
    assert_eq!(auth.admin_count().await.unwrap(), 0);
    let root = auth.bootstrap_operator("Root", phc("root")).await.unwrap();
    assert_eq!(root.username, "root");
    assert_eq!(root.role, Role::Operator);
    assert!(matches!(
        auth.bootstrap_operator("again", phc("x")).await,
        Err(StoreError::Conflict(_))
    ));
    let found = auth.admin_by_username(" ROOT ").await.unwrap().unwrap();
    assert_eq!(found.id, root.id);
    assert_eq!(found.password_hash.as_str(), phc("root").as_str());
    assert!(
        !format!("{found:?}").contains("argon2id"),
        "the hash is hidden from Debug"
    );
    assert!(!serde_json::to_string(&found).unwrap().contains("argon2id"));

    let p = root.principal();
    let org = create_org(&store, "Contoso", "contoso.test").await;
    let admins = store.admins(&p);
    let org_admin = admins
        .create(NewAdmin {
            username: "alice".into(),
            password_hash: phc("alice"),
            role: Role::OrgAdmin(org.id),
        })
        .await
        .unwrap();
    assert!(matches!(
        admins
            .create(NewAdmin {
                username: "ALICE".into(),
                password_hash: phc("x"),
                role: Role::Operator,
            })
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        PasswordHash::new("plain-password"),
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        PasswordHash::new("$2b$12$bcrypthashbcrypthashbcrypthash"),
        Err(StoreError::Invalid(_))
    ));

    // Org admins may change their own password.
    store
        .admins(&org_admin.principal())
        .set_password_hash(org_admin.id, phc("new"))
        .await
        .unwrap();
    assert_eq!(
        auth.admin(org_admin.id)
            .await
            .unwrap()
            .unwrap()
            .password_hash
            .as_str(),
        phc("new").as_str()
    );
    assert_eq!(admins.list().await.unwrap().len(), 2);

    // The last operator stays.
    assert!(matches!(
        admins.delete(root.id).await,
        Err(StoreError::Invalid(_))
    ));
    admins.delete(org_admin.id).await.unwrap();
    assert_eq!(auth.admin(org_admin.id).await.unwrap(), None);
}
store_test!(admin_accounts);

async fn api_tokens_store_only_a_hash(db: &TestDb) {
    let store = db.open().await;
    let root = store
        .auth()
        .bootstrap_operator("root", phc("root"))
        .await
        .unwrap();
    let p = root.principal();
    let tokens = store.tokens(&p);
    let issued = tokens.create("ci", None).await.unwrap();
    assert!(issued.token.expose().starts_with(TOKEN_PREFIX));
    assert!(!format!("{issued:?}").contains(issued.token.expose()));

    let (found, admin) = store
        .auth()
        .token(issued.token.expose())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((found.id, admin.id), (issued.record.id, root.id));
    assert!(found.last_used_at.is_some());
    assert_eq!(store.auth().token("isy_wrong").await.unwrap(), None);

    let raw = db.raw().await;
    let stored: String = sqlx::query("SELECT token_hash FROM api_tokens WHERE id = $1")
        .bind(issued.record.id.get())
        .fetch_one(&raw)
        .await
        .unwrap()
        .get("token_hash");
    assert_eq!(stored, token_hash(issued.token.expose()));
    assert_eq!(stored.len(), 64);
    assert!(!stored.contains(issued.token.expose()));

    // Expired and revoked tokens do not sign in.
    let expired = tokens.create("old", Some(1)).await.unwrap();
    assert_eq!(
        store.auth().token(expired.token.expose()).await.unwrap(),
        None
    );
    assert!(
        store
            .auth()
            .token_is_active(issued.record.id)
            .await
            .unwrap()
    );
    tokens.revoke(issued.record.id).await.unwrap();
    assert_eq!(
        store.auth().token(issued.token.expose()).await.unwrap(),
        None
    );
    assert!(
        !store
            .auth()
            .token_is_active(issued.record.id)
            .await
            .unwrap()
    );
    assert!(matches!(
        tokens.revoke(issued.record.id).await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(tokens.list().await.unwrap().len(), 2);

    // System principals have no tokens; org admins cannot revoke others' tokens.
    assert!(matches!(
        store.tokens(&operator()).create("x", None).await,
        Err(StoreError::Forbidden(_))
    ));
    let org = create_org(&store, "Contoso", "contoso.test").await;
    let alice = store
        .admins(&p)
        .create(NewAdmin {
            username: "alice".into(),
            password_hash: phc("a"),
            role: Role::OrgAdmin(org.id),
        })
        .await
        .unwrap();
    let mine = tokens.create("mine", None).await.unwrap();
    assert!(matches!(
        store
            .tokens(&alice.principal())
            .revoke(mine.record.id)
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert!(
        store
            .auth()
            .token(mine.token.expose())
            .await
            .unwrap()
            .is_some()
    );
}
store_test!(api_tokens_store_only_a_hash);
