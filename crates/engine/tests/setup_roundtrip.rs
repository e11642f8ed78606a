//! The setup guide end to end: a generated on-premises script, applied through the
//! simulator's cmdlet endpoint over HTTP, then the access check for a member and a non-member.

mod common;

use impersync_engine::access_check::{CheckOptions, EwsSource, check_access};
use impersync_exchange::setup_script::{SetupOptions, generate};
use impersync_exchange::transport::TransportConfig;
use impersync_exchange::{
    Credentials, GovernorConfig, GuardedUrl, IdType, Impersonate, OutcomeClass, Secret,
};
use impersync_exchange_sim::Scenario;

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

fn check(base: &str, target: &str) -> CheckOptions {
    let policy = common::LAB;
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
    let server = common::start(Scenario::from_toml(USERS_ONLY).unwrap()).await;
    let base = format!("http://{}", server.addr);
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
