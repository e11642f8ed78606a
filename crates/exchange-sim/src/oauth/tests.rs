//! End-to-end tests over real HTTP against a server bound to 127.0.0.1.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use reqwest::StatusCode;
use reqwest::header::{LOCATION, WWW_AUTHENTICATE};
use reqwest::redirect::Policy;
use serde_json::Value;

use super::crypto::random_token;
use super::pkce::s256_challenge;
use super::{OAuthClient, OAuthServer, PasswordCheck};

const APP: &str = "mail-app";
const REDIRECT: &str = "http://127.0.0.1:9/callback";
const OTHER_REDIRECT: &str = "http://127.0.0.1:9/other?tenant=1";
const DAEMON: &str = "sync-daemon";
const DAEMON_SECRET: &str = "s3cret+p@ss";
const SERVICE_ACCOUNT: &str = "svc-sync@contoso.com";
const UPN: &str = "alice@contoso.com";

fn clients() -> Vec<OAuthClient> {
    vec![
        OAuthClient {
            client_id: APP.to_owned(),
            client_secret: None,
            redirect_uris: vec![REDIRECT.to_owned(), OTHER_REDIRECT.to_owned()],
            service_account: None,
        },
        OAuthClient {
            client_id: DAEMON.to_owned(),
            client_secret: Some(DAEMON_SECRET.to_owned()),
            redirect_uris: Vec::new(),
            service_account: Some(SERVICE_ACCOUNT.to_owned()),
        },
    ]
}

fn password_check() -> PasswordCheck {
    Arc::new(|username, password| {
        (username.eq_ignore_ascii_case("alice") && password == "wonderland").then(|| UPN.to_owned())
    })
}

/// A server listening on a loopback port and a client that does not follow redirects.
struct Harness {
    server: Arc<OAuthServer>,
    base: String,
    http: reqwest::Client,
}

impl Harness {
    async fn start(access_token_lifetime: Duration) -> Self {
        let server = OAuthServer::new(clients(), access_token_lifetime, password_check());
        let app = Router::new().nest("/oauth2", server.router());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}/oauth2", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let http = reqwest::Client::builder()
            .redirect(Policy::none())
            .build()
            .unwrap();
        Self { server, base, http }
    }

    async fn get_authorize(&self, params: &[(&str, &str)]) -> reqwest::Response {
        let url = format!("{}/authorize", self.base);
        self.http.get(url).query(params).send().await.unwrap()
    }

    async fn post_authorize(&self, params: &[(&str, &str)]) -> reqwest::Response {
        let url = format!("{}/authorize", self.base);
        self.http.post(url).form(params).send().await.unwrap()
    }

    async fn token(&self, params: &[(&str, &str)]) -> (StatusCode, Value) {
        let url = format!("{}/token", self.base);
        let response = self.http.post(url).form(params).send().await.unwrap();
        (response.status(), response.json().await.unwrap())
    }

    /// Signs alice in through the form and returns the code from the redirect.
    async fn code(&self, verifier: &str, state: &str) -> String {
        let challenge = s256_challenge(verifier);
        let request = authorize_request(REDIRECT, &challenge, state);
        let form = self.get_authorize(&request).await;
        assert_eq!(form.status(), StatusCode::OK);
        assert!(form.text().await.unwrap().contains("name=\"password\""));
        let mut submission = request.clone();
        submission.extend([("username", "Alice"), ("password", "wonderland")]);
        let params = redirect_params(&self.post_authorize(&submission).await, REDIRECT);
        assert_eq!(params["state"], state);
        params["code"].clone()
    }

    /// Runs the whole code flow and returns the token response.
    async fn sign_in(&self) -> Value {
        let verifier = random_token();
        let code = self.code(&verifier, "xyz").await;
        let (status, body) = self.token(&code_exchange(&code, &verifier)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }
}

fn authorize_request<'a>(
    redirect_uri: &'a str,
    challenge: &'a str,
    state: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("response_type", "code"),
        ("client_id", APP),
        ("redirect_uri", redirect_uri),
        ("scope", "mail.read mail.send"),
        ("state", state),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ]
}

fn code_exchange<'a>(code: &'a str, verifier: &'a str) -> [(&'a str, &'a str); 5] {
    [
        ("grant_type", "authorization_code"),
        ("client_id", APP),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier),
    ]
}

/// The query parameters of a `302` to `expected_uri`.
fn redirect_params(response: &reqwest::Response, expected_uri: &str) -> HashMap<String, String> {
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = response.headers()[LOCATION].to_str().unwrap();
    let (uri, query) = location.split_once('?').unwrap();
    assert_eq!(uri, expected_uri);
    serde_urlencoded::from_str(query).unwrap()
}

fn text<'a>(body: &'a Value, field: &str) -> &'a str {
    body[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} missing in {body}"))
}

fn assert_error(response: &(StatusCode, Value), status: StatusCode, error: &str) {
    assert_eq!(response.0, status, "{}", response.1);
    assert_eq!(response.1["error"], error, "{}", response.1);
    assert!(response.1["error_description"].is_string());
}

#[tokio::test]
async fn code_flow_with_pkce_issues_a_working_token() {
    let harness = Harness::start(Duration::from_secs(3600)).await;
    let body = harness.sign_in().await;
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["scope"], "mail.read mail.send");
    let access = text(&body, "access_token");
    assert!(access.len() >= 43);
    assert!(text(&body, "refresh_token").len() >= 43);
    assert_eq!(harness.server.validate_bearer(access).as_deref(), Some(UPN));
    assert_eq!(harness.server.validate_bearer("not-a-token"), None);
}

#[tokio::test]
async fn a_wrong_verifier_is_rejected_and_spends_the_code() {
    let harness = Harness::start(Duration::from_secs(3600)).await;
    let verifier = random_token();
    let code = harness.code(&verifier, "s").await;
    let wrong = random_token();
    let response = harness.token(&code_exchange(&code, &wrong)).await;
    assert_error(&response, StatusCode::BAD_REQUEST, "invalid_grant");
    let retry = harness.token(&code_exchange(&code, &verifier)).await;
    assert_error(&retry, StatusCode::BAD_REQUEST, "invalid_grant");
}

#[tokio::test]
async fn a_reused_code_is_rejected_and_revokes_its_tokens() {
    let harness = Harness::start(Duration::from_secs(3600)).await;
    let verifier = random_token();
    let code = harness.code(&verifier, "s").await;
    let (status, body) = harness.token(&code_exchange(&code, &verifier)).await;
    assert_eq!(status, StatusCode::OK);
    let access = text(&body, "access_token");
    assert!(harness.server.validate_bearer(access).is_some());

    let reuse = harness.token(&code_exchange(&code, &verifier)).await;
    assert_error(&reuse, StatusCode::BAD_REQUEST, "invalid_grant");
    assert_eq!(harness.server.validate_bearer(access), None);
    let refresh = text(&body, "refresh_token");
    let refreshed = harness
        .token(&[
            ("grant_type", "refresh_token"),
            ("client_id", APP),
            ("refresh_token", refresh),
        ])
        .await;
    assert_error(&refreshed, StatusCode::BAD_REQUEST, "invalid_grant");
}

#[tokio::test]
async fn the_code_is_bound_to_its_redirect_uri_and_client() {
    let harness = Harness::start(Duration::from_secs(3600)).await;
    let verifier = random_token();
    let code = harness.code(&verifier, "s").await;
    let mut exchange = code_exchange(&code, &verifier);
    exchange[3].1 = OTHER_REDIRECT;
    let response = harness.token(&exchange).await;
    assert_error(&response, StatusCode::BAD_REQUEST, "invalid_grant");

    let code = harness.code(&verifier, "s").await;
    let mut exchange = code_exchange(&code, &verifier).to_vec();
    exchange[1].1 = DAEMON;
    exchange.push(("client_secret", DAEMON_SECRET));
    let response = harness.token(&exchange).await;
    assert_error(&response, StatusCode::BAD_REQUEST, "invalid_grant");
}

#[tokio::test]
async fn refresh_tokens_rotate() {
    let harness = Harness::start(Duration::from_secs(3600)).await;
    let first = harness.sign_in().await;
    let old = text(&first, "refresh_token");
    let refresh = |token, scope| {
        let harness = &harness;
        async move {
            let params = [
                ("grant_type", "refresh_token"),
                ("client_id", APP),
                ("refresh_token", token),
                ("scope", scope),
            ];
            harness.token(&params).await
        }
    };

    let widened = refresh(old, "mail.read admin").await;
    assert_error(&widened, StatusCode::BAD_REQUEST, "invalid_scope");

    let (status, second) = refresh(old, "mail.read").await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_eq!(second["scope"], "mail.read");
    let new = text(&second, "refresh_token");
    assert_ne!(new, old);
    let access = text(&second, "access_token");
    assert_eq!(harness.server.validate_bearer(access).as_deref(), Some(UPN));

    let replay = refresh(old, "").await;
    assert_error(&replay, StatusCode::BAD_REQUEST, "invalid_grant");
    let (status, third) = refresh(new, "").await;
    assert_eq!(status, StatusCode::OK, "{third}");
    assert_eq!(third["scope"], "mail.read mail.send");
}

#[tokio::test]
async fn client_credentials_need_the_right_secret() {
    let harness = Harness::start(Duration::from_secs(60)).await;
    let (status, body) = harness
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", DAEMON),
            ("client_secret", DAEMON_SECRET),
            ("scope", "full_access_as_app"),
        ])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.get("refresh_token").is_none());
    assert_eq!(body["scope"], "full_access_as_app");
    let access = text(&body, "access_token");
    assert_eq!(
        harness.server.validate_bearer(access).as_deref(),
        Some(SERVICE_ACCOUNT)
    );

    let url = format!("{}/token", harness.base);
    let basic = harness
        .http
        .post(&url)
        .basic_auth(DAEMON, Some("s3cret%2Bp%40ss"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), StatusCode::OK);

    let wrong = harness
        .http
        .post(&url)
        .basic_auth(DAEMON, Some("guess"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong.headers().contains_key(WWW_AUTHENTICATE));
    let body: Value = wrong.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");

    let form_wrong = harness
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", DAEMON),
            ("client_secret", "guess"),
        ])
        .await;
    assert_error(&form_wrong, StatusCode::UNAUTHORIZED, "invalid_client");

    let public = harness
        .token(&[("grant_type", "client_credentials"), ("client_id", APP)])
        .await;
    assert_error(&public, StatusCode::BAD_REQUEST, "unauthorized_client");
}

#[tokio::test]
async fn an_expired_token_is_rejected() {
    let harness = Harness::start(Duration::from_millis(50)).await;
    let (status, body) = harness
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", DAEMON),
            ("client_secret", DAEMON_SECRET),
        ])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let access = text(&body, "access_token");
    assert!(harness.server.validate_bearer(access).is_some());
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(harness.server.validate_bearer(access), None);
}

#[tokio::test]
async fn a_hostile_state_is_escaped_and_returned_intact() {
    let harness = Harness::start(Duration::from_secs(60)).await;
    let state = "\"><script>alert('x')</script>&";
    let challenge = s256_challenge(&random_token());
    let request = authorize_request(REDIRECT, &challenge, state);

    let form = harness.get_authorize(&request).await;
    assert_eq!(form.status(), StatusCode::OK);
    let html = form.text().await.unwrap();
    assert!(!html.contains("<script>"), "{html}");
    assert!(html.contains("&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;"));

    let mut wrong = request.clone();
    wrong.extend([("username", "<b>alice</b>"), ("password", "nope")]);
    let retry = harness.post_authorize(&wrong).await;
    assert_eq!(retry.status(), StatusCode::OK);
    assert!(retry.headers().get(LOCATION).is_none());
    let html = retry.text().await.unwrap();
    assert!(html.contains("incorrect"));
    assert!(
        !html.contains("<script>") && !html.contains("<b>"),
        "{html}"
    );

    let mut right = request.clone();
    right.extend([("username", "alice"), ("password", "wonderland")]);
    let params = redirect_params(&harness.post_authorize(&right).await, REDIRECT);
    assert_eq!(params["state"], state);
}

#[tokio::test]
async fn an_unknown_client_or_redirect_uri_is_never_redirected_to() {
    let harness = Harness::start(Duration::from_secs(60)).await;
    let challenge = s256_challenge(&random_token());
    let evil = "https://evil.example/steal";
    let mut unknown_client = authorize_request(REDIRECT, &challenge, "s");
    unknown_client[1].1 = "nobody";
    for request in [authorize_request(evil, &challenge, "s"), unknown_client] {
        let page = harness.get_authorize(&request).await;
        assert_eq!(page.status(), StatusCode::BAD_REQUEST);
        assert!(page.headers().get(LOCATION).is_none());
        let mut submission = request.clone();
        submission.extend([("username", "alice"), ("password", "wonderland")]);
        let submitted = harness.post_authorize(&submission).await;
        assert_eq!(submitted.status(), StatusCode::BAD_REQUEST);
        assert!(submitted.headers().get(LOCATION).is_none());
        assert!(!submitted.text().await.unwrap().contains("code="));
    }
}

#[tokio::test]
async fn a_request_without_pkce_is_refused_by_redirect() {
    let harness = Harness::start(Duration::from_secs(60)).await;
    let request = [
        ("response_type", "code"),
        ("client_id", APP),
        ("redirect_uri", OTHER_REDIRECT),
        ("state", "st"),
    ];
    let response = harness.get_authorize(&request).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = response.headers()[LOCATION].to_str().unwrap();
    assert!(
        location.starts_with(&format!("{OTHER_REDIRECT}&")),
        "{location}"
    );
    let (_, query) = location.split_once('?').unwrap();
    let params: HashMap<String, String> = serde_urlencoded::from_str(query).unwrap();
    assert_eq!(params["error"], "invalid_request");
    assert_eq!(params["state"], "st");
    assert_eq!(params["tenant"], "1");
}

#[tokio::test]
async fn unknown_grant_types_and_replaced_clients_are_refused() {
    let harness = Harness::start(Duration::from_secs(60)).await;
    let password = harness
        .token(&[("grant_type", "password"), ("client_id", APP)])
        .await;
    assert_error(&password, StatusCode::BAD_REQUEST, "unsupported_grant_type");

    harness.server.set_clients(Vec::new());
    let gone = harness
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", DAEMON),
            ("client_secret", DAEMON_SECRET),
        ])
        .await;
    assert_error(&gone, StatusCode::UNAUTHORIZED, "invalid_client");
}
