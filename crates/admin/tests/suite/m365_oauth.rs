//! The Microsoft 365 sign-in end to end: the admin API starts it, the simulator's authority
//! signs the service account in, the callback stores the refresh token, and the engine's
//! token cache refreshes (and rotates) it; a check run then impersonates with the bearer token.

use std::time::Duration;

use impersync_engine::Network;
use impersync_engine::check_run::CheckRunSettings;
use impersync_engine::m365::{M365Error, M365Options, M365Tokens};
use impersync_ews::types::FolderRef;
use impersync_exchange::{
    Credentials, ExchangeClient, ExchangeConfig, GuardedUrl, IdType, Impersonate, OutcomeClass,
    TlsPolicy, UrlPolicy,
};
use impersync_exchange_sim::oauth::OAuthClient;
use impersync_store::{AccessType, OrgId, OrgStore, Principal, SecretString};
use reqwest::redirect::Policy;
use reqwest::{Client, Method, StatusCode, Url};
use serde_json::{Value, json};
use sqlx::Row;

use crate::common::*;
use crate::sim::{self, SimServer, demo_users, import, wait_run};

const CLIENT_ID: &str = "impersync-test";
const CLIENT_SECRET: &str = "App-Client-Secret-Never-Shown-7";
const TENANT: &str = "contoso.test";
const ACCOUNT: &str = "MasterImpersonation@contoso.test";

/// The simulator, the admin server, an operator session and an M365-configured organisation.
struct Setup {
    sim: SimServer,
    s: Server,
    op: Session,
    org: String,
    /// A client that does not follow redirects.
    http: Client,
}

impl Setup {
    async fn new(db: &TestDb, m365: &M365Options) -> Self {
        let sim = sim::start(&[]).await;
        let s = start_m365(db, test_options(), CheckRunSettings::default(), m365).await;
        let op = s.operator().await;
        let org = s.make_org("Contoso").await;
        let setup = Self {
            sim,
            s,
            op,
            org,
            http: Client::builder().redirect(Policy::none()).build().unwrap(),
        };
        setup.register_app(CLIENT_SECRET);
        let (status, body) = setup.put_config().await;
        assert_eq!(status, StatusCode::OK, "{body}");
        setup
    }

    fn org_id(&self) -> OrgId {
        self.org.parse().unwrap()
    }

    async fn put_config(&self) -> (StatusCode, String) {
        let body = json!({
            "access_type": "M365OAuthImpersonation",
            "authority": format!("http://{}", self.sim.addr),
            "tenant": TENANT,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "redirect_url": self.s.url("/oauth/callback"),
            "ews_url": self.sim.ews_url(),
            "lab": true,
        });
        let path = format!("/api/orgs/{}/email-config", self.org);
        text(self.s.send(&self.op, Method::PUT, &path, Some(body)).await).await
    }

    /// `POST oauth:start`: the status and raw body.
    async fn start(&self) -> (StatusCode, String) {
        let path = format!("/api/orgs/{}/email-config/oauth:start", self.org);
        text(self.s.send(&self.op, Method::POST, &path, None).await).await
    }

    /// Starts a sign-in; the authorization URL.
    async fn authorize_url(&self) -> Url {
        let (status, body) = self.start().await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        Url::parse(v["authorize_url"].as_str().unwrap()).unwrap()
    }

    /// Signs in at the simulator's authority; the callback URL it redirects to.
    async fn sign_in_at_authority(&self, authorize: &Url, password: &str) -> Url {
        let form = self.http.get(authorize.clone()).send().await.unwrap();
        assert_eq!(form.status(), StatusCode::OK);
        assert!(form.text().await.unwrap().contains("Sign in"));
        let mut fields: Vec<(String, String)> = authorize.query_pairs().into_owned().collect();
        fields.push(("username".into(), ACCOUNT.into()));
        fields.push(("password".into(), password.into()));
        let mut action = authorize.clone();
        action.set_query(None);
        let answer = self.http.post(action).form(&fields).send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::FOUND);
        Url::parse(answer.headers()["location"].to_str().unwrap()).unwrap()
    }

    /// GETs a callback URL (no cookie: the browser comes back from another site).
    async fn callback(&self, url: &str) -> (StatusCode, Option<String>, String) {
        let r = self.http.get(url).send().await.unwrap();
        let status = r.status();
        let location = r
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_string());
        (status, location, r.text().await.unwrap())
    }

    /// The whole sign-in; the callback URL used and its answer.
    async fn sign_in(&self) -> (Url, (StatusCode, Option<String>, String)) {
        let authorize = self.authorize_url().await;
        let callback = self.sign_in_at_authority(&authorize, sim::PASSWORD).await;
        let answer = self.callback(callback.as_str()).await;
        (callback, answer)
    }

    /// `GET .../email-config/oauth`: the status and raw body.
    async fn token_state(&self) -> (StatusCode, String) {
        let path = format!("/api/orgs/{}/email-config/oauth", self.org);
        text(self.s.send(&self.op, Method::GET, &path, None).await).await
    }

    /// The organisation, as Impersync itself sees it.
    async fn org_store(&self) -> OrgStore<'_> {
        let system = Principal::system("test");
        let store = self.s.state.store();
        store.org(&system, self.org_id()).await.unwrap()
    }

    /// Stores `token` as if the service account had signed in with it.
    async fn store_refresh_token(&self, token: &SecretString) {
        let org = self.org_store().await;
        org.email_config()
            .set_refresh_token(token, ACCOUNT)
            .await
            .unwrap();
    }

    /// Registers the app at the simulator's authority with this client secret.
    fn register_app(&self, client_secret: &str) {
        self.sim.sim.oauth.set_clients(vec![OAuthClient {
            client_id: CLIENT_ID.into(),
            client_secret: Some(client_secret.into()),
            redirect_uris: vec![self.s.url("/oauth/callback")],
            service_account: None,
        }]);
    }

    /// The stored refresh token, decrypted.
    async fn stored_refresh_token(&self) -> Option<SecretString> {
        let org = self.org_store().await;
        match org
            .email_config()
            .credentials()
            .await
            .unwrap()
            .unwrap()
            .access
        {
            AccessType::M365OAuthImpersonation { refresh_token, .. } => refresh_token,
            AccessType::ExchangeImpersonation { .. } => panic!("not M365"),
        }
    }

    /// A token cache of its own over the same store, refreshing when less than `margin` remains.
    fn cache(&self, margin: Duration) -> M365Tokens {
        let options = M365Options {
            refresh_margin: margin,
            ..M365Options::default()
        };
        let transport = Network::default().transport(TlsPolicy::Verify);
        M365Tokens::new(self.s.state.store().clone(), transport, &options)
    }

    /// Every response body the API gives about this organisation, and the audit log.
    async fn everything_shown(&self) -> String {
        let mut all = String::new();
        for path in [
            format!("/api/orgs/{}/email-config", self.org),
            format!("/api/orgs/{}/email-config/oauth", self.org),
            "/api/audit?per_page=1000".to_string(),
        ] {
            let (status, body) = text(self.s.send(&self.op, Method::GET, &path, None).await).await;
            assert_eq!(status, StatusCode::OK, "{path}: {body}");
            all.push_str(&body);
        }
        all
    }
}

fn json_of(body: &str) -> Value {
    serde_json::from_str(body).unwrap()
}

/// Whether the raw stored row or, on SQLite, any database file holds `secret` as plain text.
async fn stored_in_plain_text(db: &TestDb, secret: &str) -> bool {
    let raw = db.raw().await;
    let row = sqlx::query("SELECT refresh_token_enc FROM email_configs")
        .fetch_one(&raw)
        .await
        .unwrap();
    let sealed: Option<String> = row.try_get("refresh_token_enc").unwrap();
    raw.close().await;
    let sealed = sealed.expect("a sealed refresh token is stored");
    if sealed.contains(secret) {
        return true;
    }
    std::fs::read_dir(db.dir.path())
        .unwrap()
        .map(|entry| std::fs::read(entry.unwrap().path()).unwrap())
        .any(|bytes| bytes.windows(secret.len()).any(|w| w == secret.as_bytes()))
}

async fn sign_in_stores_the_refresh_token_and_a_check_run_uses_the_bearer_token(db: &TestDb) {
    let setup = Setup::new(db, &M365Options::default()).await;
    let (status, body) = setup.token_state().await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        json_of(&body),
        json!({"signed_in_account": null, "refresh_token": "not set",
               "access_token_expires_at": null, "last_refresh_at": null, "last_error": null})
    );

    let authorize = setup.authorize_url().await;
    let expected = format!("http://{}/{TENANT}/oauth2/v2.0/authorize", setup.sim.addr);
    assert!(authorize.as_str().starts_with(&expected), "{authorize}");
    let query: std::collections::HashMap<String, String> =
        authorize.query_pairs().into_owned().collect();
    assert_eq!(query["code_challenge_method"], "S256");
    assert_eq!(query["client_id"], CLIENT_ID);
    assert_eq!(query["code_challenge"].len(), 43);
    assert!(query["scope"].contains("offline_access"), "{authorize}");
    assert!(query["state"].len() >= 43);
    assert!(!authorize.as_str().contains(CLIENT_SECRET));

    let callback = setup.sign_in_at_authority(&authorize, sim::PASSWORD).await;
    assert_eq!(callback.path(), "/oauth/callback");
    let (status, location, body) = setup.callback(callback.as_str()).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(
        location.as_deref(),
        Some(format!("/orgs/{}/email-config", setup.org).as_str())
    );

    let (_, body) = setup.token_state().await;
    let state = json_of(&body);
    assert_eq!(state["signed_in_account"], ACCOUNT, "{body}");
    assert_eq!(state["refresh_token"], "set", "{body}");
    assert!(state["access_token_expires_at"].as_i64().unwrap() > impersync_store::now_millis());
    assert!(state["last_refresh_at"].is_i64(), "{body}");
    assert_eq!(state["last_error"], Value::Null);

    let refresh = setup.stored_refresh_token().await.expect("stored");
    assert!(!stored_in_plain_text(db, refresh.expose()).await);

    // The cache holds the sign-in's access token: no refresh while it is fresh.
    let tokens = &setup.s.state.m365().tokens;
    let access = tokens.access_token(setup.org_id()).await.unwrap();
    assert_eq!(tokens.access_token(setup.org_id()).await.unwrap(), access);
    assert_eq!(setup.stored_refresh_token().await.unwrap(), refresh);

    // A check run of the organisation signs in with the cached bearer token and impersonates.
    import(&setup.s, &setup.op, &setup.org, &demo_users()).await;
    let path = format!("/api/orgs/{}/check-runs", setup.org);
    let r = setup
        .s
        .send(&setup.op, Method::POST, &path, Some(json!({})))
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let run: Value = r.json().await.unwrap();
    let id = run["id"].as_str().unwrap().to_string();
    let detail = wait_run(&setup.s, &setup.op, &setup.org, &id).await;
    assert_eq!(detail["status"], "finished", "{detail}");
    assert_eq!(
        detail["counts"],
        json!({"Ok": 3, "ImpersonationDenied": 2, "NoMailbox": 1}),
        "{detail}"
    );
    let last = setup
        .sim
        .sim
        .log
        .entries()
        .last()
        .and_then(|e| e.caller.clone());
    assert_eq!(last.as_deref(), Some(ACCOUNT));

    // Saving the configuration again keeps the sign-in but drops the cached access token.
    let (status, body) = setup.put_config().await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let state = json_of(&setup.token_state().await.1);
    assert_eq!(state["signed_in_account"], ACCOUNT, "{state}");
    assert_eq!(state["refresh_token"], "set", "{state}");
    assert_eq!(state["access_token_expires_at"], Value::Null, "{state}");

    // The audit log tells of the sign-in; no response and no audit entry holds a secret.
    let shown = setup.everything_shown().await;
    assert!(shown.contains("Microsoft 365 sign-in"), "{shown}");
    for secret in [refresh.expose(), access.expose(), CLIENT_SECRET] {
        assert!(!shown.contains(secret), "a secret is shown: {shown}");
    }
    let code = callback
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .to_string();
    assert!(!shown.contains(&code));
}
backend_test!(sign_in_stores_the_refresh_token_and_a_check_run_uses_the_bearer_token);

async fn refresh_before_expiry_rotates_and_persists_the_refresh_token(db: &TestDb) {
    let setup = Setup::new(db, &M365Options::default()).await;
    let (_, (status, _, body)) = setup.sign_in().await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let first = setup.stored_refresh_token().await.unwrap();
    let cached = setup
        .s
        .state
        .m365()
        .tokens
        .access_token(setup.org_id())
        .await
        .unwrap();

    // The simulator's tokens last an hour; with a margin of two hours every call is "about
    // to expire" and refreshes.
    let eager = setup.cache(Duration::from_secs(2 * 3600));
    let a = eager.access_token(setup.org_id()).await.unwrap();
    let second = setup.stored_refresh_token().await.unwrap();
    assert_ne!(a, cached);
    assert_ne!(second, first, "the rotated refresh token is stored");
    let b = eager.access_token(setup.org_id()).await.unwrap();
    let third = setup.stored_refresh_token().await.unwrap();
    assert_ne!(b, a);
    assert_ne!(third, second);
    let status = eager.status(setup.org_id());
    assert!(status.last_refresh_at.is_some() && status.last_error.is_none());
    assert!(!stored_in_plain_text(db, third.expose()).await);

    // The new token works on EWS; the rotated-away refresh token no longer works.
    let lab = UrlPolicy {
        allow_insecure_http: true,
    };
    let ews = GuardedUrl::new(&setup.sim.ews_url(), lab).unwrap();
    let bearer = Credentials::Bearer { token: b.clone() };
    let client = ExchangeClient::new(ExchangeConfig::new(ews, bearer)).unwrap();
    let alice = Impersonate::smtp(IdType::SmtpAddress, "alice@contoso.test");
    client
        .get_folder(Some(&alice), FolderRef::distinguished("inbox"))
        .await
        .expect("GetFolder as alice with the refreshed bearer token");

    // A cache with the default margin, started fresh, refreshes once for many callers.
    let shared = std::sync::Arc::new(setup.cache(Duration::from_secs(300)));
    let calls = (0..8).map(|_| {
        let shared = std::sync::Arc::clone(&shared);
        let org = setup.org_id();
        tokio::spawn(async move { shared.access_token(org).await.unwrap() })
    });
    let tokens: Vec<_> = futures_util::future::join_all(calls)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert!(tokens.iter().all(|t| *t == tokens[0]), "one refresh shared");
    let fourth = setup.stored_refresh_token().await.unwrap();
    assert_ne!(fourth, third);

    // The stale refresh token is refused by the authority: a typed "sign in again".
    setup.store_refresh_token(&first).await;
    let fresh = setup.cache(Duration::from_secs(300));
    let err = fresh.access_token(setup.org_id()).await.unwrap_err();
    assert!(matches!(err, M365Error::SignInAgain(_)), "{err}");
    assert_eq!(err.class(), OutcomeClass::AuthFailed);
    assert!(err.to_string().contains("sign in again"), "{err}");
    assert!(
        fresh
            .status(setup.org_id())
            .last_error
            .unwrap()
            .contains("sign in again")
    );
    assert!(!err.to_string().contains(first.expose()));
}
backend_test!(refresh_before_expiry_rotates_and_persists_the_refresh_token);

async fn invalid_grant_makes_check_runs_ask_for_a_new_sign_in(db: &TestDb) {
    let setup = Setup::new(db, &M365Options::default()).await;
    import(&setup.s, &setup.op, &setup.org, &demo_users()).await;
    let path = format!("/api/orgs/{}/check-runs", setup.org);
    let r = setup
        .s
        .send(&setup.op, Method::POST, &path, Some(json!({})))
        .await;
    let (status, body) = text(r).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body.contains("no Microsoft 365 account has signed in"),
        "{body}"
    );

    setup
        .store_refresh_token(&SecretString::new("revoked-refresh-token"))
        .await;
    let r = setup
        .s
        .send(&setup.op, Method::POST, &path, Some(json!({})))
        .await;
    let (status, body) = text(r).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body.contains("sign in again"), "{body}");
    assert!(!body.contains("revoked-refresh-token"), "{body}");
    let (_, state) = setup.token_state().await;
    assert!(
        json_of(&state)["last_error"]
            .as_str()
            .unwrap()
            .contains("sign in again")
    );
    assert!(!state.contains("revoked-refresh-token"));
}
backend_test!(invalid_grant_makes_check_runs_ask_for_a_new_sign_in);

async fn bad_reused_and_refused_states_store_nothing(db: &TestDb) {
    let setup = Setup::new(db, &M365Options::default()).await;
    let base = setup.s.url("/oauth/callback");

    for query in [
        "?code=abc&state=not-a-state",
        "?code=abc",
        "?state=x&state=y",
    ] {
        let (status, _, body) = setup.callback(&format!("{base}{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert!(body.contains("Microsoft 365 sign-in failed"), "{body}");
    }
    let (status, _, body) = setup
        .callback(&format!("{base}?code=abc&state=not-a-state"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("unknown, already used or expired"), "{body}");

    // The authority refuses: the page says why and links back; the state is spent.
    let authorize = setup.authorize_url().await;
    let state = authorize
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .to_string();
    let mut denied = Url::parse(&base).unwrap();
    denied
        .query_pairs_mut()
        .append_pair("error", "access_denied")
        .append_pair("error_description", "The user <b>declined</b>")
        .append_pair("state", &state);
    let (status, _, body) = setup.callback(denied.as_str()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body.contains("refused the sign-in: access_denied"),
        "{body}"
    );
    assert!(body.contains("&lt;b&gt;declined"), "escaped: {body}");
    assert!(body.contains(&format!("/orgs/{}/email-config", setup.org)));
    let (status, _, _) = setup.callback(denied.as_str()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, token_state) = setup.token_state().await;
    let v = json_of(&token_state);
    assert_eq!(v["refresh_token"], "not set");
    assert!(v["last_error"].as_str().unwrap().contains("access_denied"));

    // The token endpoint refuses (the app's secret changed at the authority): nothing stored.
    let authorize = setup.authorize_url().await;
    let callback = setup.sign_in_at_authority(&authorize, sim::PASSWORD).await;
    setup.register_app("rotated-at-the-authority");
    let (status, _, body) = setup.callback(callback.as_str()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("invalid_client"), "{body}");
    assert_eq!(setup.stored_refresh_token().await, None);
    assert_eq!(
        json_of(&setup.token_state().await.1)["signed_in_account"],
        Value::Null
    );

    // A successful callback cannot be replayed.
    setup.register_app(CLIENT_SECRET);
    let (callback, (status, _, body)) = setup.sign_in().await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let stored = setup.stored_refresh_token().await;
    let (status, _, body) = setup.callback(callback.as_str()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("already used"), "{body}");
    assert_eq!(setup.stored_refresh_token().await, stored);

    // A wrong password at the authority never reaches the callback.
    let authorize = setup.authorize_url().await;
    let form: Vec<(String, String)> = authorize
        .query_pairs()
        .into_owned()
        .chain([
            ("username".into(), ACCOUNT.into()),
            ("password".into(), "wrong".into()),
        ])
        .collect();
    let mut action = authorize.clone();
    action.set_query(None);
    let r = setup.http.post(action).form(&form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "the form again");
}
backend_test!(bad_reused_and_refused_states_store_nothing);

async fn expired_states_and_wrong_configurations_are_refused(db: &TestDb) {
    let m365 = M365Options {
        sign_in_lifetime: Duration::ZERO,
        ..M365Options::default()
    };
    let setup = Setup::new(db, &m365).await;
    let (callback, (status, _, body)) = setup.sign_in().await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("expired"), "{body}");
    assert!(callback.query_pairs().any(|(k, _)| k == "code"));
    assert_eq!(setup.stored_refresh_token().await, None);

    // Not an M365 configuration: 409 naming the access type.
    sim::configure(
        &setup.s,
        &setup.op,
        &setup.org,
        &setup.sim.ews_url(),
        sim::PASSWORD,
    )
    .await;
    let (status, body) = setup.start().await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(json_of(&body)["field"], "access_type");
    let (status, body) = setup.token_state().await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    // Another organisation's admin cannot start it or read its state.
    let other = setup.s.make_org("Fabrikam").await;
    let stranger = setup.s.org_admin(&other, "fabrikam-admin").await;
    for (method, path) in [
        (
            Method::POST,
            format!("/api/orgs/{}/email-config/oauth:start", setup.org),
        ),
        (
            Method::GET,
            format!("/api/orgs/{}/email-config/oauth", setup.org),
        ),
    ] {
        let r = setup.s.send(&stranger, method, &path, None).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
    // And nobody without credentials.
    let path = format!("/api/orgs/{}/email-config/oauth:start", setup.org);
    let r = setup
        .s
        .client
        .post(setup.s.url(&path))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}
backend_test!(expired_states_and_wrong_configurations_are_refused);
