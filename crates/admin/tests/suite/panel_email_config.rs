//! The panel's Email Configuration tab: labels of the setup guide, field-named errors with
//! nothing saved, the warning when no check run passed, TLS warnings, and secrets that
//! never appear in any page's HTML.

use impersync_store::{CheckRunStatus, NewCheckResult, Principal};
use reqwest::StatusCode;

use crate::common::{TestDb, backend_test, start};
use crate::panel::operator;

const SERVICE_PASSWORD: &str = "Svc-Pass-Wörd-7f3a9c";
const CLIENT_SECRET: &str = "client-secret-0c9e5d2b71";

/// `base` with `changes` replacing (or adding) fields.
fn with<'a>(
    base: &[(&'a str, &'a str)],
    changes: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut form: Vec<_> = base
        .iter()
        .filter(|(k, _)| !changes.iter().any(|(c, _)| c == k))
        .copied()
        .collect();
    form.extend_from_slice(changes);
    form
}

async fn panel_email_config_save_errors_and_secrets(db: &TestDb) {
    let server = start(db).await;
    let org = server.make_org("Contoso").await;
    let contoso = server
        .state
        .store()
        .org(&Principal::system("test"), org.parse().unwrap())
        .await
        .unwrap();
    let mut b = operator(&server).await;
    let tab = format!("/orgs/{org}/email-config");
    let (_, _, page) = b.get(&tab).await;
    for label in [
        "Mailbox Access Type",
        "ExchangeImpersonation",
        "M365OAuthImpersonation",
        "EWS URL",
        "Magic wand",
        "Service account logon",
        "Service account password",
        "NTLM",
        "Basic",
        "TLS policy",
        "Impersonated id type",
        "Folders",
        "Poll interval",
        "Sign in with Microsoft 365",
        "Check Users Exchange Impersonated Access",
        ">Save<",
    ] {
        assert!(page.contains(label), "{label}");
    }

    // A refused field is named; nothing is saved and the password is not echoed.
    let base = [
        ("access_type", "ExchangeImpersonation"),
        ("logon", "CONTOSO\\MasterImpersonation"),
        ("password", SERVICE_PASSWORD),
        ("auth", "NTLM"),
        ("tls_mode", "verify"),
        ("id_type", "SmtpAddress"),
        ("folders", "inbox, calendar"),
        ("poll_interval_secs", "300"),
    ];
    let bad = with(
        &base,
        &[("ews_url", "http://mail.contoso.com/EWS/Exchange.asmx")],
    );
    let (status, _, page) = b.post(&tab, &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("Not saved: EWS URL: ews_url is refused"),
        "{page}"
    );
    assert!(
        page.contains("CONTOSO\\MasterImpersonation"),
        "typed values are kept"
    );
    assert!(!page.contains(SERVICE_PASSWORD));
    assert!(
        contoso.email_config().get().await.unwrap().is_none(),
        "nothing saved"
    );
    let bad = with(
        &base,
        &[
            ("ews_url", "https://mail.contoso.com/EWS/Exchange.asmx"),
            ("poll_interval_secs", "soon"),
        ],
    );
    let (status, _, page) = b.post(&tab, &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("Not saved: Poll interval: the poll interval must be a whole number"),
        "{page}"
    );
    assert!(contoso.email_config().get().await.unwrap().is_none());

    // Saved, with a warning: no check run has passed yet; ignore-trust is warned about.
    let good = with(
        &base,
        &[
            ("ews_url", "https://mail.contoso.com/EWS/Exchange.asmx"),
            ("tls_mode", "ignore-trust"),
        ],
    );
    let (status, location, _) = b.post(&tab, &good).await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, tab.as_str())
    );
    let (_, _, page) = b.get(&tab).await;
    assert!(page.contains("Email configuration saved."), "{page}");
    assert!(page.contains("No check run has passed yet"), "{page}");
    assert!(page.contains("TLS trust is ignored"), "{page}");
    assert!(page.contains("set – leave empty to keep it"));
    assert!(!page.contains(SERVICE_PASSWORD));
    let saved = contoso.email_config().credentials().await.unwrap().unwrap();
    assert!(saved.saved);
    assert_eq!(saved.tls_policy, "ignore-trust");

    // Saving again with an empty password keeps it; after a passing run, no warning.
    let run = contoso.check_runs().start(1).await.unwrap();
    contoso
        .check_runs()
        .add_results(
            run.id,
            &[NewCheckResult {
                email: "alice@contoso.com".into(),
                outcome: "Ok".into(),
                ..NewCheckResult::default()
            }],
        )
        .await
        .unwrap();
    contoso
        .check_runs()
        .finish(run.id, CheckRunStatus::Finished, None)
        .await
        .unwrap();
    let again = with(
        &base,
        &[
            ("ews_url", "https://mail.contoso.com/EWS/Exchange.asmx"),
            ("password", ""),
        ],
    );
    let (status, _, _) = b.post(&tab, &again).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, page) = b.get(&tab).await;
    assert!(
        page.contains("Email configuration saved.")
            && !page.contains("No check run has passed yet"),
        "{page}"
    );
    let creds = contoso.email_config().credentials().await.unwrap().unwrap();
    match creds.access {
        impersync_store::AccessType::ExchangeImpersonation { password, .. } => {
            assert_eq!(
                password.unwrap().expose(),
                SERVICE_PASSWORD,
                "the empty field kept it"
            );
        }
        other => panic!("{other:?}"),
    }

    // Checking the saved configuration unchanged keeps it saved; a changed form becomes a
    // draft. (No users yet, so the check itself does not start, and says so.)
    let (status, location, _) = b.post(&format!("{tab}/check"), &again).await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, tab.as_str())
    );
    assert!(
        contoso
            .email_config()
            .get()
            .await
            .unwrap()
            .unwrap()
            .settings
            .saved
    );
    let (_, _, page) = b.get(&tab).await;
    assert!(page.contains("The check did not start:"), "{page}");
    let changed = with(&again, &[("logon", "CONTOSO\\Other")]);
    let (status, _, _) = b.post(&format!("{tab}/check"), &changed).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let draft = contoso.email_config().get().await.unwrap().unwrap();
    assert!(
        !draft.settings.saved,
        "a changed form is checked as a draft"
    );
    let (_, _, page) = b.get(&tab).await;
    assert!(page.contains("This configuration is a draft"), "{page}");

    // An M365 configuration with a client secret.
    let m365 = [
        ("access_type", "M365OAuthImpersonation"),
        ("authority", "https://login.microsoftonline.com"),
        ("tenant", "contoso.onmicrosoft.com"),
        ("client_id", "00000000-0000-0000-0000-000000000001"),
        ("redirect_url", "http://localhost/oauth/callback"),
        ("client_secret", CLIENT_SECRET),
        ("ews_url", "https://outlook.office365.com/EWS/Exchange.asmx"),
        ("tls_mode", "verify"),
        ("id_type", "PrimarySmtpAddress"),
        ("folders", "inbox"),
        ("poll_interval_secs", "600"),
    ];
    let (status, _, _) = b.post(&tab, &m365).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, page) = b.get(&tab).await;
    assert!(page.contains("Not signed in yet."), "{page}");

    // No page shows either secret.
    for path in [
        "/orgs".to_string(),
        tab.clone(),
        format!("/orgs/{org}/users"),
        format!("/orgs/{org}/check-runs"),
        format!("/orgs/{org}/check-runs/{}", run.id),
        "/audit".to_string(),
        "/admins".to_string(),
    ] {
        let (status, _, page) = b.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        for secret in [SERVICE_PASSWORD, CLIENT_SECRET] {
            assert!(!page.contains(secret), "{path} shows a secret");
        }
    }
}
backend_test!(panel_email_config_save_errors_and_secrets);

async fn panel_m365_sign_in_starts_from_the_form(db: &TestDb) {
    let server = start(db).await;
    let org = server.make_org("Contoso").await;
    let contoso = server
        .state
        .store()
        .org(&Principal::system("test"), org.parse().unwrap())
        .await
        .unwrap();
    let mut b = operator(&server).await;
    let tab = format!("/orgs/{org}/email-config");
    b.get(&tab).await;
    let m365 = [
        ("access_type", "M365OAuthImpersonation"),
        ("authority", "https://login.microsoftonline.com"),
        ("tenant", "contoso.onmicrosoft.com"),
        ("client_id", "00000000-0000-0000-0000-000000000001"),
        ("redirect_url", "http://localhost/oauth/callback"),
        ("client_secret", CLIENT_SECRET),
        ("ews_url", "https://outlook.office365.com/EWS/Exchange.asmx"),
        ("tls_mode", "verify"),
        ("id_type", "PrimarySmtpAddress"),
        ("folders", "inbox"),
        ("poll_interval_secs", "600"),
    ];
    // A missing field is named and nothing starts.
    let missing = with(&m365, &[("client_id", "")]);
    let (status, location, page) = b.post(&format!("{tab}/oauth-start"), &missing).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(location.is_empty());
    assert!(page.contains("Not saved: Client id"), "{page}");
    assert!(contoso.email_config().get().await.unwrap().is_none());

    let (status, location, _) = b.post(&format!("{tab}/oauth-start"), &m365).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        location.starts_with("https://login.microsoftonline.com/contoso.onmicrosoft.com/"),
        "{location}"
    );
    assert!(location.contains("code_challenge=") && location.contains("state="));
    assert!(!location.contains(CLIENT_SECRET));
    let draft = contoso.email_config().get().await.unwrap().unwrap();
    assert!(!draft.settings.saved, "kept as a draft until Save");
    let (_, _, page) = b.get(&tab).await;
    assert!(page.contains("Not signed in yet.") && !page.contains(CLIENT_SECRET));
}
backend_test!(panel_m365_sign_in_starts_from_the_form);
