//! Autodiscover against the real simulator: POX `autodiscover.xml`, SOAP
//! `GetUserSettings` at `autodiscover.svc`, and the v2 JSON endpoint, decoded with
//! the `impersync_ews::autodiscover` types.

mod support;

use impersync_ews::autodiscover::{
    GetUserSettingsRequest, GetUserSettingsResponse, PoxRequest, PoxResponse, V2Error, V2Response,
};
use reqwest::StatusCode;
use support::{MASTER, MASTER_PASSWORD, TestSim, basic};

const ALICE: &str = "alice@contoso.test";

async fn post_xml(
    sim: &TestSim,
    path: &str,
    auth: Option<&str>,
    body: String,
) -> reqwest::Response {
    let mut request = support::client()
        .post(sim.url(path))
        .header("content-type", "text/xml; charset=utf-8")
        .body(body);
    if let Some(a) = auth {
        request = request.header("authorization", a);
    }
    request.send().await.expect("autodiscover request")
}

async fn pox(sim: &TestSim, body: String) -> (StatusCode, String) {
    let auth = basic(MASTER, MASTER_PASSWORD);
    let response = post_xml(sim, "/autodiscover/autodiscover.xml", Some(&auth), body).await;
    let status = response.status();
    (status, response.text().await.unwrap())
}

#[tokio::test]
async fn pox_returns_the_simulators_ews_url() {
    let sim = TestSim::demo().await;
    for path in [
        "/autodiscover/autodiscover.xml",
        "/Autodiscover/Autodiscover.xml",
    ] {
        let auth = basic(MASTER, MASTER_PASSWORD);
        let response = post_xml(&sim, path, Some(&auth), PoxRequest::new(ALICE).to_xml()).await;
        assert_eq!(response.status(), 200, "{path}");
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/xml")
        );
        let answer = PoxResponse::from_xml(&response.bytes().await.unwrap()).unwrap();
        let PoxResponse::Settings(settings) = answer else {
            panic!("expected settings, got {answer:?}");
        };
        assert_eq!(settings.ews_url(), Some(sim.ews().as_str()));
        assert_eq!(
            settings.internal_ews_url.as_deref(),
            Some(sim.ews().as_str())
        );
        assert_eq!(settings.smtp_address.as_deref(), Some(ALICE));
        assert_eq!(settings.display_name.as_deref(), Some("Alice Archer"));
    }
}

#[tokio::test]
async fn pox_for_an_unknown_or_mailboxless_address_is_error_500() {
    let sim = TestSim::demo().await;
    for address in [
        "nobody@contoso.test",
        "frank@contoso.test",
        "x@fabrikam.test",
    ] {
        let (status, body) = pox(&sim, PoxRequest::new(address).to_xml()).await;
        assert_eq!(status, 200, "{body}");
        match PoxResponse::from_xml(body.as_bytes()).unwrap() {
            PoxResponse::Error { code, message } => {
                assert_eq!(code, "500", "{address}");
                assert!(!message.is_empty());
            }
            other => panic!("{address}: expected an error, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn pox_needs_authentication() {
    let sim = TestSim::demo().await;
    for auth in [None, Some(basic(MASTER, "wrong"))] {
        let response = post_xml(
            &sim,
            "/autodiscover/autodiscover.xml",
            auth.as_deref(),
            PoxRequest::new(ALICE).to_xml(),
        )
        .await;
        assert_eq!(response.status(), 401);
        let offers: Vec<_> = response
            .headers()
            .get_all("www-authenticate")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect();
        assert!(offers.iter().any(|o| o == "NTLM"), "{offers:?}");
        assert!(offers.iter().any(|o| o.starts_with("Basic")), "{offers:?}");
    }
}

#[tokio::test]
async fn malformed_pox_requests_get_error_600_not_a_crash() {
    let sim = TestSim::demo().await;
    let bodies = [
        String::new(),
        "not xml at all".to_string(),
        "<Autodiscover><Request>".to_string(),
        "<Wrong xmlns=\"x\"/>".to_string(),
        "<Autodiscover xmlns=\"http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006\"><Request/></Autodiscover>".to_string(),
        "<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY e \"x\">]><Autodiscover>&e;</Autodiscover>".to_string(),
        "\u{feff}\u{0}\u{1}".to_string(),
    ];
    for body in bodies {
        let (status, text) = pox(&sim, body.clone()).await;
        assert_eq!(status, 200, "{body:?}: {text}");
        match PoxResponse::from_xml(text.as_bytes()).unwrap() {
            PoxResponse::Error { code, message } => {
                assert_eq!(code, "600", "{body:?}");
                assert!(message.starts_with("Invalid Request"), "{message}");
            }
            other => panic!("{body:?}: expected error 600, got {other:?}"),
        }
    }
    // Still serving.
    let (_, text) = pox(&sim, PoxRequest::new(ALICE).to_xml()).await;
    assert!(matches!(
        PoxResponse::from_xml(text.as_bytes()).unwrap(),
        PoxResponse::Settings(_)
    ));
}

fn get_user_settings(mailboxes: &[&str]) -> GetUserSettingsRequest {
    GetUserSettingsRequest {
        requested_server_version: Some("Exchange2013".into()),
        mailboxes: mailboxes.iter().map(|m| m.to_string()).collect(),
        settings: ["ExternalEwsUrl", "InternalEwsUrl", "EwsSupportedSchemas"]
            .map(String::from)
            .to_vec(),
    }
}

async fn soap(sim: &TestSim, body: String) -> (StatusCode, String) {
    let auth = basic(MASTER, MASTER_PASSWORD);
    let response = post_xml(sim, "/autodiscover/autodiscover.svc", Some(&auth), body).await;
    let status = response.status();
    (status, response.text().await.unwrap())
}

#[tokio::test]
async fn soap_get_user_settings_answers_each_mailbox() {
    let sim = TestSim::demo().await;
    let url = sim.url("/autodiscover/autodiscover.svc");
    let request = get_user_settings(&[ALICE, "nobody@contoso.test", "bob@contoso.test"]);
    let (status, body) = soap(&sim, request.to_xml(&url)).await;
    assert_eq!(status, 200, "{body}");
    let answer = GetUserSettingsResponse::from_xml(body.as_bytes()).unwrap();
    assert_eq!(answer.error_code, "NoError");
    assert_eq!(answer.users.len(), 3);

    for user in [&answer.users[0], &answer.users[2]] {
        assert_eq!(user.error_code, "NoError", "{user:?}");
        assert_eq!(user.setting("ExternalEwsUrl"), Some(sim.ews().as_str()));
        assert_eq!(user.setting("InternalEwsUrl"), Some(sim.ews().as_str()));
        let schemas = user.setting("EwsSupportedSchemas").unwrap();
        assert!(schemas.contains("Exchange2013"), "{schemas}");
        assert!(schemas.contains("Exchange2016"), "{schemas}");
    }
    let unknown = &answer.users[1];
    assert_eq!(unknown.error_code, "InvalidUser");
    assert!(unknown.error_message.contains("nobody@contoso.test"));
    assert!(unknown.settings.is_empty());
}

#[tokio::test]
async fn soap_needs_authentication() {
    let sim = TestSim::demo().await;
    let url = sim.url("/autodiscover/autodiscover.svc");
    let response = post_xml(
        &sim,
        "/autodiscover/autodiscover.svc",
        None,
        get_user_settings(&[ALICE]).to_xml(&url),
    )
    .await;
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn malformed_soap_requests_get_a_clear_error_not_a_crash() {
    let sim = TestSim::demo().await;
    for body in [
        String::new(),
        "<<<".to_string(),
        "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"/>".to_string(),
        "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><x/></s:Body></s:Envelope>".to_string(),
        PoxRequest::new(ALICE).to_xml(),
        "<!DOCTYPE x [<!ENTITY a \"aaaa\">]><x>&a;</x>".to_string(),
    ] {
        let (status, text) = soap(&sim, body.clone()).await;
        assert_eq!(status, 200, "{body:?}: {text}");
        let answer = GetUserSettingsResponse::from_xml(text.as_bytes()).unwrap();
        assert_eq!(answer.error_code, "InvalidRequest", "{body:?}");
        assert!(!answer.error_message.is_empty(), "{body:?}");
        assert!(answer.users.is_empty());
    }
}

async fn v2(sim: &TestSim, address: &str, protocol: Option<&str>) -> reqwest::Response {
    let mut request =
        support::client().get(sim.url(&format!("/autodiscover/autodiscover.json/v1.0/{address}")));
    if let Some(p) = protocol {
        request = request.query(&[("Protocol", p)]);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn v2_json_gives_the_ews_url_without_authentication() {
    let sim = TestSim::demo().await;
    for (address, protocol) in [
        (ALICE, "EWS"),
        (ALICE, "ews"),
        ("alice%40contoso.test", "Ews"),
        ("ALICE@CONTOSO.TEST", "EWS"),
    ] {
        let response = v2(&sim, address, Some(protocol)).await;
        assert_eq!(response.status(), 200);
        let raw: serde_json::Value = response.json().await.unwrap();
        assert_eq!(
            raw,
            serde_json::json!({ "Protocol": "EWS", "Url": sim.ews() })
        );
        let typed: V2Response = serde_json::from_value(raw).unwrap();
        assert_eq!(typed.url, sim.ews());
    }
}

#[tokio::test]
async fn v2_json_refuses_other_protocols_and_unknown_mailboxes() {
    let sim = TestSim::demo().await;
    for protocol in [Some("Foo"), Some(""), None] {
        let response = v2(&sim, ALICE, protocol).await;
        assert_eq!(response.status(), 400, "{protocol:?}");
        let error: V2Error = response.json().await.unwrap();
        assert_eq!(error.error_code, "InvalidProtocol");
    }
    for address in ["nobody@contoso.test", "frank@contoso.test"] {
        let response = v2(&sim, address, Some("EWS")).await;
        assert_eq!(response.status(), 404, "{address}");
        let error: V2Error = response.json().await.unwrap();
        assert_eq!(error.error_code, "MailboxNotFound");
        assert!(error.error_message.contains(address));
    }
}
