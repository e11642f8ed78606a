//! The setup guide end to end: a generated on-premises script, applied through the
//! simulator's cmdlet endpoint over HTTP, then the access check for a member and a non-member.

use impersync_engine::access_check::{CheckOptions, EwsSource, check_access};
use impersync_exchange::setup_script::{SetupOptions, generate};
use impersync_exchange::transport::TransportConfig;
use impersync_exchange::{
    Credentials, GovernorConfig, GuardedUrl, IdType, Impersonate, OutcomeClass, Secret, UrlPolicy,
};
use impersync_exchange_sim::{Scenario, Sim};
use std::sync::Arc;

const LAB_PASSWORD: &str = "Lab-Setup-Password-1";

/// A directory with only the users: no service account, groups, scopes or roles.
const USERS_ONLY: &str = r#"
domain = "contoso.test"
netbios = "CONTOSO"
[[users]]
upn = "admin@contoso.test"
password = "Admin-1"
[[users]]
upn = "alice@contoso.test"
password = "Alice-1"
items = { inbox = 7 }
[[users]]
upn = "erin@contoso.test"
password = "Erin-1"
items = { inbox = 3 }
"#;

async fn start() -> (String, tokio::sync::oneshot::Sender<()>) {
    let sim = Arc::new(Sim::new(Scenario::from_toml(USERS_ONLY).unwrap()).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(impersync_exchange_sim::run(listener, sim, async {
        let _ = stopped.await;
    }));
    (format!("http://{addr}"), stop)
}

fn check(base: &str, target: &str) -> CheckOptions {
    let policy = UrlPolicy {
        allow_insecure_http: true,
    };
    CheckOptions {
        target: target.into(),
        impersonate: Impersonate::smtp(IdType::SmtpAddress, target),
        folders: vec!["inbox".into()],
        credentials: Credentials::Ntlm {
            account: "CONTOSO\\MasterImpersonation".parse().unwrap(),
            password: Secret::new(LAB_PASSWORD),
        },
        source: EwsSource::Url(
            GuardedUrl::new(&format!("{base}/EWS/Exchange.asmx"), policy).unwrap(),
        ),
        url_policy: policy,
        transport: TransportConfig::default(),
        governor: GovernorConfig::default(),
        probe_throttling: false,
    }
}

#[tokio::test]
async fn generated_script_grants_members_and_only_members() {
    let (base, _stop) = start().await;
    let before = check_access(check(&base, "alice@contoso.test")).await;
    assert_eq!(
        before.verdict.class,
        OutcomeClass::AuthFailed,
        "the service account does not exist yet"
    );

    let mut options = SetupOptions::new("contoso.test");
    options.owners = vec!["admin@contoso.test".into()];
    options.members = vec!["alice@contoso.test".into()];
    options.lab_password = Some(LAB_PASSWORD.into());
    let script = generate(&options).unwrap();
    let applied = reqwest::Client::new()
        .post(format!("{base}/_sim/shell"))
        .body(script)
        .send()
        .await
        .unwrap();
    let status = applied.status();
    let body = applied.text().await.unwrap();
    assert!(
        status.is_success(),
        "the simulator refused the generated script: {body}"
    );

    let member = check_access(check(&base, "alice@contoso.test")).await;
    assert_eq!(
        member.verdict.class,
        OutcomeClass::Ok,
        "{:#?}",
        member.verdict
    );
    assert!(
        member.verdict.message.contains("7 items"),
        "{}",
        member.verdict.message
    );
    let outsider = check_access(check(&base, "erin@contoso.test")).await;
    assert_eq!(
        outsider.verdict.class,
        OutcomeClass::ImpersonationDenied,
        "{:#?}",
        outsider.verdict
    );
}
