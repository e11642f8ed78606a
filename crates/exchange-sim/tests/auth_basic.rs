//! Basic authentication on the EWS endpoint of the real simulator over HTTP.

mod support;

use impersync_ews::ResponseCode;
use impersync_exchange_sim::Scenario;
use support::{RawConn, TestSim, assert_ews_fault, assert_ews_ok, basic, ews_get_inbox};

const ALICE: &str = "alice@contoso.test";
const SVC_UPN: &str = "MasterImpersonation@contoso.test";
const SVC_SMTP: &str = "master.impersonation@contoso.test";
const SVC_PASSWORD: &str = "P@ss:word-1";

/// A service account whose primary SMTP address differs from its UPN and whose
/// password holds a colon, an ordinary user, and a disabled account.
fn scenario() -> Scenario {
    Scenario::from_toml(
        r#"
domain = "contoso.test"
netbios = "CONTOSO"

[[users]]
upn = "MasterImpersonation@contoso.test"
primary_smtp = "master.impersonation@contoso.test"
password = "P@ss:word-1"

[[users]]
upn = "alice@contoso.test"
password = "Alice-1"

[[users]]
upn = "disabled@contoso.test"
password = "Disabled-1"
enabled = false

[[role_assignments]]
name = "MasterImpersonation-ApplicationImpersonation"
role = "ApplicationImpersonation"
user = "MasterImpersonation@contoso.test"
"#,
    )
    .expect("test scenario parses")
}

#[tokio::test]
async fn the_service_account_signs_in_as_upn_down_level_name_or_smtp_address() {
    let sim = TestSim::start(scenario()).await;
    for logon in [SVC_UPN, "CONTOSO\\MasterImpersonation", SVC_SMTP] {
        let auth = basic(logon, SVC_PASSWORD);
        let (status, body) = ews_get_inbox(&sim, Some(&auth), Some(ALICE)).await;
        assert_ews_ok(status, &body);
        assert_eq!(sim.last_caller().as_deref(), Some(SVC_UPN), "{logon}");
    }
}

#[tokio::test]
async fn names_and_scheme_are_case_insensitive() {
    let sim = TestSim::start(scenario()).await;
    let auth = basic("contoso\\MASTERIMPERSONATION", SVC_PASSWORD).replacen("Basic", "basic", 1);
    let (status, body) = ews_get_inbox(&sim, Some(&auth), None).await;
    assert_ews_ok(status, &body);
    assert_eq!(sim.last_caller().as_deref(), Some(SVC_UPN));
}

#[tokio::test]
async fn an_ordinary_user_signs_in_but_may_not_impersonate() {
    let sim = TestSim::start(scenario()).await;
    let auth = basic(ALICE, "Alice-1");
    let (status, body) = ews_get_inbox(&sim, Some(&auth), None).await;
    assert_ews_ok(status, &body);
    let (status, body) = ews_get_inbox(&sim, Some(&auth), Some(SVC_SMTP)).await;
    assert_ews_fault(status, &body, ResponseCode::ErrorImpersonateUserDenied);
}

/// Asserts the 401 Exchange sends: NTLM and Basic offered, an empty body, and
/// the connection kept open for the next attempt.
fn assert_challenge(response: &support::RawResponse, case: &str) {
    assert_eq!(response.status, 401, "{case}: {response:?}");
    let offers = response.all("www-authenticate");
    assert!(offers.contains(&"NTLM"), "{case}: {offers:?}");
    assert!(
        offers
            .iter()
            .any(|o| o.starts_with("Basic realm=\"") && o.ends_with('"')),
        "{case}: {offers:?}"
    );
    assert_eq!(response.header("content-length"), Some("0"), "{case}");
    assert!(response.body.is_empty(), "{case}");
    assert!(
        !response
            .all("connection")
            .iter()
            .any(|c| c.eq_ignore_ascii_case("close")),
        "{case}: {:?}",
        response.headers
    );
}

#[tokio::test]
async fn bad_credentials_get_401_offering_ntlm_and_basic_on_a_kept_connection() {
    let sim = TestSim::start(scenario()).await;
    let mut conn = RawConn::connect(sim.addr).await;
    let cases = [
        ("no Authorization header", None),
        ("wrong password", Some(basic(SVC_UPN, "P@ss:word-2"))),
        ("password prefix", Some(basic(SVC_UPN, "P@ss"))),
        ("empty password", Some(basic(SVC_UPN, ""))),
        (
            "unknown user",
            Some(basic("mallory@contoso.test", SVC_PASSWORD)),
        ),
        (
            "unknown domain",
            Some(basic("OTHER\\MasterImpersonation", SVC_PASSWORD)),
        ),
        (
            "disabled account",
            Some(basic("disabled@contoso.test", "Disabled-1")),
        ),
        ("not base64", Some("Basic !!!notbase64!!!".to_string())),
        ("no colon", Some(format!("Basic {}", "bm9jb2xvbg=="))),
        ("not UTF-8", Some("Basic //79".to_string())),
        ("scheme only", Some("Basic".to_string())),
        (
            "unknown scheme",
            Some("Digest username=\"alice\"".to_string()),
        ),
        ("empty bearer", Some("Bearer ".to_string())),
    ];
    for (case, auth) in &cases {
        let response = conn.ews(auth.as_deref(), Some(ALICE)).await;
        assert_challenge(&response, case);
    }
    // The same connection still serves a good attempt.
    let good = basic(SVC_UPN, SVC_PASSWORD);
    let response = conn.ews(Some(&good), Some(ALICE)).await;
    assert_ews_ok(
        reqwest::StatusCode::from_u16(response.status).unwrap(),
        &response.body,
    );
}

#[tokio::test]
async fn basic_credentials_are_not_remembered_by_the_connection() {
    let sim = TestSim::start(scenario()).await;
    let mut conn = RawConn::connect(sim.addr).await;
    let good = basic(SVC_UPN, SVC_PASSWORD);
    assert_eq!(conn.ews(Some(&good), None).await.status, 200);
    // Unlike NTLM, Basic authenticates one request, not the connection.
    assert_challenge(&conn.ews(None, None).await, "after a Basic request");
}

#[tokio::test]
async fn a_changed_password_takes_effect_at_once() {
    let sim = TestSim::start(scenario()).await;
    let response = support::client()
        .put(sim.url("/_sim/users/alice@contoso.test/password"))
        .json(&serde_json::json!({ "password": "Alice-2" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let (status, _) = ews_get_inbox(&sim, Some(&basic(ALICE, "Alice-1")), None).await;
    assert_eq!(status, 401);
    let (status, body) = ews_get_inbox(&sim, Some(&basic(ALICE, "Alice-2")), None).await;
    assert_ews_ok(status, &body);
}
