//! An organisation configured for the simulator, ready to sync, for the sync tests.

use impersync_store::{
    AccessType, EmailSettings, ExchangeAuth, ImportRow, NewOrganisation, OrgStore, Principal,
    SecretString, SecretUpdate, Store, UserSelection,
};

/// The tests' system principal.
pub fn operator() -> Principal {
    Principal::system("tests")
}

/// An organisation of `domain` whose service account `(logon, password)` reaches the
/// simulator at `sim` (`http://HOST:PORT`, a lab configuration) and syncs `folders`, with
/// `users` imported and activated (forced: they were never checked).
pub async fn organisation<'s>(
    store: &'s Store,
    sim: &str,
    domain: &str,
    (logon, password): (&str, &str),
    folders: &[&str],
    users: &[&str],
) -> OrgStore<'s> {
    let org = store
        .organisations(&operator())
        .create(NewOrganisation {
            name: domain.into(),
            domains: vec![domain.into()],
        })
        .await
        .unwrap();
    let scope = store.org(&operator(), org.id).await.unwrap();
    let rows = users
        .iter()
        .enumerate()
        .map(|(i, e)| ImportRow {
            line: i + 1,
            email: (*e).into(),
            ..Default::default()
        })
        .collect();
    scope.users().import(rows).await.unwrap();
    scope
        .email_config()
        .save(EmailSettings {
            access: AccessType::ExchangeImpersonation {
                logon: logon.into(),
                auth: ExchangeAuth::Basic,
                password: SecretUpdate::Set(SecretString::new(password)),
            },
            ews_url: Some(format!("{sim}/EWS/Exchange.asmx")),
            autodiscover: false,
            tls_policy: "verify".into(),
            id_type: "SmtpAddress".into(),
            folders: folders.iter().map(|f| f.to_string()).collect(),
            poll_interval_secs: 300,
            lab: true,
            saved: true,
        })
        .await
        .unwrap();
    let everyone = UserSelection::Emails(users.iter().map(|u| u.to_string()).collect());
    scope.users().activate(&everyone, true).await.unwrap();
    scope
}
