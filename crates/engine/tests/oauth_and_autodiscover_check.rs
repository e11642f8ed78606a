//! The doctor with OAuth client credentials against the simulator's authority, and the
//! AutodiscoverFailed verdict when no candidate answers.

mod common;

use impersync_engine::access_check::{CheckOptions, EwsSource, StepStatus, check_access};
use impersync_exchange::autodiscover::{AutodiscoverOptions, NoSrv};
use impersync_exchange::oauth::{ClientCredentials, client_credentials_token};
use impersync_exchange::transport::TransportConfig;
use impersync_exchange::{
    Credentials, ExchangeError, GovernorConfig, GuardedResolver, GuardedUrl, IdType, Impersonate,
    OutcomeClass, Secret,
};
use std::collections::HashMap;
use std::sync::Arc;

use common::LAB;
const CLIENT_SECRET: &str = "Demo-Client-Secret-1";

async fn start() -> common::SimServer {
    common::start(common::demo_with(&format!(
        "[[oauth_clients]]\nclient_id = \"impersync-app\"\nclient_secret = \"{CLIENT_SECRET}\"\nservice_account = \"MasterImpersonation@contoso.test\"\n"
    )))
    .await
}

fn options(source: EwsSource, credentials: Credentials, target: &str) -> CheckOptions {
    CheckOptions {
        target: target.into(),
        impersonate: Impersonate::smtp(IdType::SmtpAddress, target),
        folders: vec!["inbox".into()],
        credentials,
        source,
        url_policy: LAB,
        transport: TransportConfig::default(),
        governor: GovernorConfig::default(),
        probe_throttling: false,
    }
}

fn grant(base: &str, secret: &str) -> ClientCredentials {
    ClientCredentials {
        token_url: GuardedUrl::new(&format!("{base}/oauth2/token"), LAB).unwrap(),
        client_id: "impersync-app".into(),
        client_secret: Secret::new(secret),
        scope: None,
    }
}

#[tokio::test]
async fn client_credentials_token_impersonates_in_scope_users() {
    let server = start().await;
    let base = format!("http://{}", server.addr);
    let token = client_credentials_token(&grant(&base, CLIENT_SECRET), &TransportConfig::default())
        .await
        .unwrap();
    let url = EwsSource::Url(GuardedUrl::new(&format!("{base}/EWS/Exchange.asmx"), LAB).unwrap());
    let ok = check_access(options(
        url.clone(),
        Credentials::Bearer {
            token: token.clone(),
        },
        "alice@contoso.test",
    ))
    .await;
    assert_eq!(ok.verdict.class, OutcomeClass::Ok, "{:#?}", ok.verdict);
    let denied = check_access(options(
        url.clone(),
        Credentials::Bearer { token },
        "erin@contoso.test",
    ))
    .await;
    assert_eq!(denied.verdict.class, OutcomeClass::ImpersonationDenied);
    let forged = check_access(options(
        url,
        Credentials::Bearer {
            token: Secret::new("not-a-token"),
        },
        "alice@contoso.test",
    ))
    .await;
    assert_eq!(forged.verdict.class, OutcomeClass::AuthFailed);
}

#[tokio::test]
async fn a_wrong_client_secret_is_refused_by_the_token_endpoint() {
    let server = start().await;
    let base = format!("http://{}", server.addr);
    let err = client_credentials_token(&grant(&base, "wrong"), &TransportConfig::default())
        .await
        .unwrap_err();
    assert!(matches!(err, ExchangeError::Unauthorized { .. }), "{err:?}");
    assert_eq!(err.class(), OutcomeClass::AuthFailed);
}

#[tokio::test]
async fn autodiscover_without_any_answer_is_autodiscover_failed() {
    let mut ad = AutodiscoverOptions::new("alice@nowhere.invalid");
    ad.srv = Arc::new(NoSrv);
    ad.resolver = GuardedResolver::with_overrides(HashMap::new());
    let credentials = Credentials::Basic {
        account: "svc@nowhere.invalid".parse().unwrap(),
        password: Secret::new("x"),
    };
    let report = check_access(options(
        EwsSource::Autodiscover(ad),
        credentials,
        "alice@nowhere.invalid",
    ))
    .await;
    assert_eq!(
        report.verdict.class,
        OutcomeClass::AutodiscoverFailed,
        "{:#?}",
        report.verdict
    );
    let discovery = &report.steps[0];
    assert_eq!(discovery.status, StepStatus::Failed);
    assert!(
        discovery.children.len() >= 5,
        "every candidate is listed: {:#?}",
        discovery.children
    );
    assert!(
        report.steps[1..]
            .iter()
            .all(|s| s.status == StepStatus::Skipped)
    );
}
