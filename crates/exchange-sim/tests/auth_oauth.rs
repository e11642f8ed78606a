//! OAuth 2.0 against the real simulator: client credentials acting as the service
//! account, the authorization-code grant with PKCE acting as the signed-in user,
//! refresh-token rotation, and bearer tokens on EWS.

mod support;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use impersync_ews::ResponseCode;
use impersync_exchange_sim::Scenario;
use impersync_exchange_sim::Sim;
use impersync_exchange_sim::oauth::{OAuthClient, OAuthServer};
use impersync_exchange_sim::scenario::DEMO_TOML;
use reqwest::{StatusCode, Url};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Duration;
use support::{MASTER, TestSim, USER_PASSWORD, assert_ews_fault, assert_ews_ok, ews_get_inbox};

const ALICE: &str = "alice@contoso.test";
const DAEMON: &str = "impersync-daemon";
const DAEMON_SECRET: &str = "daemon-secret-42";
const PANEL: &str = "impersync-panel";
const REDIRECT: &str = "http://127.0.0.1:9/oauth/callback";

/// The demo plus a confidential client with a service account, one without,
/// and a public client for the authorization-code grant.
fn scenario() -> Scenario {
    let extra = format!(
        r#"
[[oauth_clients]]
client_id = "{DAEMON}"
client_secret = "{DAEMON_SECRET}"
service_account = "{MASTER}"

[[oauth_clients]]
client_id = "no-service-account"
client_secret = "s3cret"

[[oauth_clients]]
client_id = "{PANEL}"
redirect_uris = ["{REDIRECT}"]
"#
    );
    Scenario::from_toml(&format!("{DEMO_TOML}\n{extra}")).expect("scenario with OAuth clients")
}

async fn token(sim: &TestSim, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let response = support::client()
        .post(sim.url("/oauth2/token"))
        .form(form)
        .send()
        .await
        .expect("token request");
    let status = response.status();
    assert_eq!(
        response
            .headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    (status, response.json().await.expect("JSON token answer"))
}

async fn client_credentials(sim: &TestSim) -> String {
    let (status, body) = token(
        sim,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", DAEMON),
            ("client_secret", DAEMON_SECRET),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer", "{body}");
    assert!(body.get("refresh_token").is_none(), "{body}");
    body["access_token"]
        .as_str()
        .expect("access_token")
        .to_string()
}

/// Form fields of a token request.
type Form<'a> = &'a [(&'a str, &'a str)];

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

#[tokio::test]
async fn client_credentials_token_acts_as_the_service_account() {
    let sim = TestSim::start(scenario()).await;
    let access = client_credentials(&sim).await;
    let (status, body) = ews_get_inbox(&sim, Some(&bearer(&access)), Some(ALICE)).await;
    assert_ews_ok(status, &body);
    assert_eq!(sim.last_caller().as_deref(), Some(MASTER));
    // The service account's scope applies: dave is only in a nested group.
    let (status, body) =
        ews_get_inbox(&sim, Some(&bearer(&access)), Some("dave@contoso.test")).await;
    assert_ews_fault(status, &body, ResponseCode::ErrorImpersonateUserDenied);
}

#[tokio::test]
async fn client_credentials_with_http_basic_client_authentication() {
    let sim = TestSim::start(scenario()).await;
    let response = support::client()
        .post(sim.url("/oauth2/token"))
        .basic_auth(DAEMON, Some(DAEMON_SECRET))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let access = body["access_token"].as_str().unwrap();
    let (status, body) = ews_get_inbox(&sim, Some(&bearer(access)), Some(ALICE)).await;
    assert_ews_ok(status, &body);
}

#[tokio::test]
async fn client_credentials_refusals() {
    let sim = TestSim::start(scenario()).await;
    let cases: [(Form, StatusCode, &str); 5] = [
        (
            &[
                ("grant_type", "client_credentials"),
                ("client_id", DAEMON),
                ("client_secret", "wrong"),
            ],
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
        (
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "nobody"),
                ("client_secret", DAEMON_SECRET),
            ],
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
        (
            &[("grant_type", "client_credentials"), ("client_id", DAEMON)],
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
        (
            &[("grant_type", "client_credentials"), ("client_id", PANEL)],
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
        ),
        (
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "no-service-account"),
                ("client_secret", "s3cret"),
            ],
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
        ),
    ];
    for (form, expected_status, expected_error) in cases {
        let (status, body) = token(&sim, form).await;
        assert_eq!(status, expected_status, "{form:?}: {body}");
        assert_eq!(body["error"], expected_error, "{form:?}: {body}");
        assert!(body.get("access_token").is_none());
    }
}

#[tokio::test]
async fn unknown_or_malformed_bearer_tokens_get_401() {
    let sim = TestSim::start(scenario()).await;
    let access = client_credentials(&sim).await;
    let flipped = {
        let mut t = access.clone().into_bytes();
        t[0] = if t[0] == b'A' { b'B' } else { b'A' };
        String::from_utf8(t).unwrap()
    };
    for token in [
        String::new(),
        "not-a-token".to_string(),
        flipped,
        format!("{access}x"),
        access[..access.len() - 1].to_string(),
    ] {
        let (status, body) = ews_get_inbox(&sim, Some(&bearer(&token)), Some(ALICE)).await;
        assert_eq!(status, 401, "{token}: {body}");
    }
    // The genuine token still works.
    let (status, body) = ews_get_inbox(&sim, Some(&bearer(&access)), Some(ALICE)).await;
    assert_ews_ok(status, &body);
}

#[tokio::test]
async fn an_expired_bearer_token_gets_401() {
    let mut sim = Sim::new(Scenario::demo()).unwrap();
    sim.oauth = OAuthServer::new(
        vec![OAuthClient {
            client_id: DAEMON.into(),
            client_secret: Some(DAEMON_SECRET.into()),
            redirect_uris: Vec::new(),
            service_account: Some(MASTER.into()),
        }],
        Duration::from_secs(2),
        Arc::new(|_: &str, _: &str| None),
    );
    let sim = TestSim::start_sim(sim).await;
    let access = client_credentials(&sim).await;
    let (status, body) = ews_get_inbox(&sim, Some(&bearer(&access)), Some(ALICE)).await;
    assert_ews_ok(status, &body);
    tokio::time::sleep(Duration::from_millis(2_300)).await;
    let (status, body) = ews_get_inbox(&sim, Some(&bearer(&access)), Some(ALICE)).await;
    assert_eq!(status, 401, "{body}");
}

/// A PKCE verifier and its S256 challenge.
fn pkce() -> (String, String) {
    let verifier = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

fn authorize_params<'a>(challenge: &'a str, state: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("response_type", "code"),
        ("client_id", PANEL),
        ("redirect_uri", REDIRECT),
        ("scope", "EWS.AccessAsUser.All offline_access"),
        ("state", state),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ]
}

/// Signs in through the form; returns the code from the redirect.
async fn sign_in(sim: &TestSim, username: &str, password: &str, challenge: &str) -> String {
    let client = support::client();
    let params = authorize_params(challenge, "st-123");
    let form = client
        .get(sim.url("/oauth2/authorize"))
        .query(&params)
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 200);
    let html = form.text().await.unwrap();
    assert!(html.contains("<form method=\"post\">"), "{html}");
    assert!(
        html.contains(&format!("name=\"code_challenge\" value=\"{challenge}\"")),
        "{html}"
    );
    assert!(html.contains("name=\"state\" value=\"st-123\""), "{html}");

    let mut submitted = params.clone();
    submitted.extend([("username", username), ("password", password)]);
    let answer = client
        .post(sim.url("/oauth2/authorize"))
        .form(&submitted)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 302, "{}", answer.text().await.unwrap());
    let location = answer.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with(&format!("{REDIRECT}?")), "{location}");
    let url = Url::parse(&location).unwrap();
    let query: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(query.get("state").map(String::as_str), Some("st-123"));
    query.get("code").expect("code in the redirect").clone()
}

async fn redeem(sim: &TestSim, code: &str, verifier: &str) -> (StatusCode, Value) {
    token(
        sim,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", PANEL),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
        ],
    )
    .await
}

async fn refresh(sim: &TestSim, refresh_token: &str) -> (StatusCode, Value) {
    token(
        sim,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", PANEL),
            ("refresh_token", refresh_token),
        ],
    )
    .await
}

fn field(body: &Value, name: &str) -> String {
    body[name]
        .as_str()
        .unwrap_or_else(|| panic!("no {name} in {body}"))
        .to_string()
}

#[tokio::test]
async fn authorization_code_with_pkce_then_refresh_acts_as_the_user() {
    let sim = TestSim::start(scenario()).await;
    let (verifier, challenge) = pkce();
    let code = sign_in(&sim, ALICE, USER_PASSWORD, &challenge).await;
    let (status, body) = redeem(&sim, &code, &verifier).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["scope"], "EWS.AccessAsUser.All offline_access");
    let access = field(&body, "access_token");
    let refresh_token = field(&body, "refresh_token");

    let (status, answer) = ews_get_inbox(&sim, Some(&bearer(&access)), None).await;
    assert_ews_ok(status, &answer);
    assert_eq!(sim.last_caller().as_deref(), Some(ALICE));
    // alice holds no impersonation role, whatever her token.
    let (status, answer) =
        ews_get_inbox(&sim, Some(&bearer(&access)), Some("bob@contoso.test")).await;
    assert_ews_fault(status, &answer, ResponseCode::ErrorImpersonateUserDenied);
    // A refresh token is not an access token.
    let (status, _) = ews_get_inbox(&sim, Some(&bearer(&refresh_token)), None).await;
    assert_eq!(status, 401);

    // Refresh rotates: the new pair works, the old refresh token is spent.
    let (status, body) = refresh(&sim, &refresh_token).await;
    assert_eq!(status, 200, "{body}");
    let access2 = field(&body, "access_token");
    let refresh2 = field(&body, "refresh_token");
    assert_ne!(access2, access);
    assert_ne!(refresh2, refresh_token);
    let (status, answer) = ews_get_inbox(&sim, Some(&bearer(&access2)), None).await;
    assert_ews_ok(status, &answer);
    assert_eq!(sim.last_caller().as_deref(), Some(ALICE));
    let (status, body) = refresh(&sim, &refresh_token).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_grant");
    let (status, body) = refresh(&sim, &refresh2).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn the_service_account_can_sign_in_interactively_and_impersonate() {
    let sim = TestSim::start(scenario()).await;
    let (verifier, challenge) = pkce();
    let code = sign_in(
        &sim,
        "CONTOSO\\MasterImpersonation",
        support::MASTER_PASSWORD,
        &challenge,
    )
    .await;
    let (status, body) = redeem(&sim, &code, &verifier).await;
    assert_eq!(status, 200, "{body}");
    let access = field(&body, "access_token");
    let (status, answer) = ews_get_inbox(&sim, Some(&bearer(&access)), Some(ALICE)).await;
    assert_ews_ok(status, &answer);
    assert_eq!(sim.last_caller().as_deref(), Some(MASTER));
}

#[tokio::test]
async fn wrong_password_shows_the_form_again() {
    let sim = TestSim::start(scenario()).await;
    let (_, challenge) = pkce();
    let mut form = authorize_params(&challenge, "s");
    form.extend([("username", ALICE), ("password", "wrong")]);
    let answer = support::client()
        .post(sim.url("/oauth2/authorize"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert!(answer.headers().get("location").is_none());
    let html = answer.text().await.unwrap();
    assert!(
        html.contains("The user name or password is incorrect."),
        "{html}"
    );
    assert!(html.contains(&format!("value=\"{ALICE}\"")), "{html}");
}

#[tokio::test]
async fn a_wrong_verifier_or_redirect_uri_spends_the_code() {
    let sim = TestSim::start(scenario()).await;
    let (verifier, challenge) = pkce();
    let (other_verifier, _) = pkce();

    let code = sign_in(&sim, ALICE, USER_PASSWORD, &challenge).await;
    let (status, body) = redeem(&sim, &code, &other_verifier).await;
    assert_eq!(
        (status, &body["error"]),
        (StatusCode::BAD_REQUEST, &"invalid_grant".into())
    );
    let (status, body) = redeem(&sim, &code, &verifier).await;
    assert_eq!(status, 400, "a spent code must not be redeemable: {body}");

    let code = sign_in(&sim, ALICE, USER_PASSWORD, &challenge).await;
    let (status, body) = token(
        &sim,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", PANEL),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:9/elsewhere"),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(
        (status, &body["error"]),
        (StatusCode::BAD_REQUEST, &"invalid_grant".into())
    );
}

#[tokio::test]
async fn reusing_a_code_revokes_its_tokens() {
    let sim = TestSim::start(scenario()).await;
    let (verifier, challenge) = pkce();
    let code = sign_in(&sim, ALICE, USER_PASSWORD, &challenge).await;
    let (status, body) = redeem(&sim, &code, &verifier).await;
    assert_eq!(status, 200, "{body}");
    let access = field(&body, "access_token");
    let refresh_token = field(&body, "refresh_token");
    let (status, answer) = ews_get_inbox(&sim, Some(&bearer(&access)), None).await;
    assert_ews_ok(status, &answer);

    let (status, body) = redeem(&sim, &code, &verifier).await;
    assert_eq!(
        (status, &body["error"]),
        (StatusCode::BAD_REQUEST, &"invalid_grant".into())
    );
    let (status, _) = ews_get_inbox(&sim, Some(&bearer(&access)), None).await;
    assert_eq!(status, 401, "the revoked access token must stop working");
    let (status, body) = refresh(&sim, &refresh_token).await;
    assert_eq!(
        (status, &body["error"]),
        (StatusCode::BAD_REQUEST, &"invalid_grant".into())
    );
}

#[tokio::test]
async fn authorize_refuses_untrusted_redirects_and_missing_pkce() {
    let sim = TestSim::start(scenario()).await;
    let client = support::client();
    // An unregistered redirect URI: an error page, never a redirect.
    let answer = client
        .get(sim.url("/oauth2/authorize"))
        .query(&[
            ("response_type", "code"),
            ("client_id", PANEL),
            ("redirect_uri", "https://evil.example/cb"),
            (
                "code_challenge",
                "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            ),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    assert!(answer.headers().get("location").is_none());
    // No PKCE: redirected back with invalid_request.
    let answer = client
        .get(sim.url("/oauth2/authorize"))
        .query(&[
            ("response_type", "code"),
            ("client_id", PANEL),
            ("redirect_uri", REDIRECT),
            ("state", "s1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 302);
    let location = Url::parse(answer.headers()["location"].to_str().unwrap()).unwrap();
    let query: std::collections::HashMap<_, _> = location.query_pairs().into_owned().collect();
    assert_eq!(query["error"], "invalid_request");
    assert_eq!(query["state"], "s1");
    assert!(!query.contains_key("code"));
}

/// The claims of a JWT's payload.
fn jwt_claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWT has a payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

#[tokio::test]
async fn the_microsoft_v2_layout_signs_in_and_an_openid_scope_names_the_account() {
    let sim = TestSim::start(scenario()).await;
    let client = support::client();
    let (verifier, challenge) = pkce();
    let mut params = authorize_params(&challenge, "st-v2");
    params.retain(|(k, _)| *k != "scope");
    params.push((
        "scope",
        "openid profile offline_access EWS.AccessAsUser.All",
    ));
    let authorize = sim.url("/contoso.test/oauth2/v2.0/authorize");
    let form = client.get(&authorize).query(&params).send().await.unwrap();
    assert_eq!(form.status(), 200);
    params.extend([
        ("username", "CONTOSO\\MasterImpersonation"),
        ("password", support::MASTER_PASSWORD),
    ]);
    let answer = client.post(&authorize).form(&params).send().await.unwrap();
    assert_eq!(answer.status(), 302);
    let location = Url::parse(answer.headers()["location"].to_str().unwrap()).unwrap();
    let code = location
        .query_pairs()
        .find(|(k, _)| k == "code")
        .expect("code")
        .1
        .to_string();
    let response = client
        .post(sim.url("/contoso.test/oauth2/v2.0/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", PANEL),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &verifier),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let claims = jwt_claims(&field(&body, "id_token"));
    assert_eq!(claims["preferred_username"], MASTER);
    assert_eq!(claims["aud"], PANEL);
    // The refreshed pair names the account again; without `openid` there is no ID token.
    let (status, body) = refresh(&sim, &field(&body, "refresh_token")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        jwt_claims(&field(&body, "id_token"))["preferred_username"],
        MASTER
    );
    let (verifier, challenge) = pkce();
    let code = sign_in(&sim, ALICE, USER_PASSWORD, &challenge).await;
    let (status, body) = redeem(&sim, &code, &verifier).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("id_token").is_none(), "{body}");
}
