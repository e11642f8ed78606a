//! The store tests' helpers; the database per test comes from `impersync-testdb`.

use impersync_store::{
    AdminId, ImportRow, NewOrganisation, OrgId, OrgStore, Organisation, Principal, Role, Store,
};

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
