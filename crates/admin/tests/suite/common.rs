//! The admin tests' harness: a real admin server on 127.0.0.1:0 over a fresh database
//! (SQLite, and PostgreSQL when a test server is configured), and signed-in sessions.

use std::time::Duration;

use argon2::Params;
use impersync_admin::{AdminOptions, AdminState};
use impersync_engine::Engine;
use impersync_engine::check_run::CheckRunSettings;
use impersync_engine::m365::M365Options;
use impersync_store::{NewAdmin, NewOrganisation, OrgStore, Principal, Role};
use reqwest::{Client, Method, Response, StatusCode};
use serde_json::{Value, json};

pub use impersync_testdb::{TestDb, backend_test};

/// The bootstrap operator's password.
pub const PASSWORD: &str = "Operator-Secret-Pw-1";

/// The master key every test store uses.
pub const MASTER_KEY: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

/// Options fit for tests: cheap argon2id, plain-http cookies.
pub fn test_options() -> AdminOptions {
    AdminOptions {
        secure_cookies: false,
        argon2_params: Params::new(8, 1, 1, None).unwrap(),
        login_window: Duration::from_secs(60),
        ..AdminOptions::default()
    }
}

/// A running admin server.
pub struct Server {
    pub base: String,
    pub state: AdminState,
    pub client: Client,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// A signed-in session: its cookie and CSRF token.
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

/// Starts a server on `db` with the operator `admin` / [`PASSWORD`].
pub async fn start(db: &TestDb) -> Server {
    start_with(db, test_options()).await
}

/// Starts a server on `db` with these options.
pub async fn start_with(db: &TestDb, options: AdminOptions) -> Server {
    let settings = CheckRunSettings::default();
    start_engine(db, options, settings).await
}

/// Starts a server on `db` whose engine has these check-run settings (and the options' network).
pub async fn start_engine(
    db: &TestDb,
    options: AdminOptions,
    settings: CheckRunSettings,
) -> Server {
    start_m365(db, options, settings, &M365Options::default()).await
}

/// Starts a server on `db` whose engine has these check-run and Microsoft 365 settings.
pub async fn start_m365(
    db: &TestDb,
    options: AdminOptions,
    settings: CheckRunSettings,
    m365: &M365Options,
) -> Server {
    let store = impersync_store::Store::open(db.options().master_key(MASTER_KEY))
        .await
        .unwrap();
    let engine = Engine::with_options(store, options.network.clone(), settings, m365);
    let state = AdminState::with_engine(engine, options);
    assert_eq!(
        state
            .bootstrap_operator(Some(PASSWORD.into()))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        state.bootstrap_operator(None).await.unwrap(),
        None,
        "only once"
    );
    serve(state).await
}

/// Serves `state` on a free loopback port until the returned server is dropped.
pub async fn serve(state: AdminState) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(impersync_admin::run(listener, state.clone(), async {
        let _ = rx.await;
    }));
    Server {
        base,
        state,
        client: Client::new(),
        _stop: tx,
    }
}

impl Server {
    /// The absolute URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// POSTs a login and returns the raw answer.
    pub async fn login_raw(&self, username: &str, password: &str) -> Response {
        self.client
            .post(self.url("/api/login"))
            .json(&json!({"username": username, "password": password}))
            .send()
            .await
            .unwrap()
    }

    /// Logs in, checking the cookie's flags.
    pub async fn login(&self, username: &str, password: &str) -> Session {
        let r = self.login_raw(username, password).await;
        assert_eq!(r.status(), StatusCode::OK);
        let set = r.headers()["set-cookie"].to_str().unwrap().to_string();
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Strict"),
            "{set}"
        );
        let cookie = set.split(';').next().unwrap().to_string();
        let body: Value = r.json().await.unwrap();
        Session {
            cookie,
            csrf: body["csrf_token"].as_str().unwrap().to_string(),
        }
    }

    /// Logs in as the bootstrap operator.
    pub async fn operator(&self) -> Session {
        self.login("admin", PASSWORD).await
    }

    /// Sends a request in a session, with its CSRF token and an optional JSON body.
    pub async fn send(
        &self,
        s: &Session,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Response {
        let mut req = self
            .client
            .request(method, self.url(path))
            .header("cookie", &s.cookie)
            .header("x-csrf-token", &s.csrf);
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().await.unwrap()
    }

    /// POSTs a JSON body in a session; the status and the body text.
    pub async fn post(&self, s: &Session, path: &str, body: Value) -> (StatusCode, String) {
        text(self.send(s, Method::POST, path, Some(body)).await).await
    }

    /// An organisation's store, as Impersync itself sees it (for set-up and cross-checks).
    pub async fn org_store(&self, org: &str) -> OrgStore<'_> {
        self.state
            .store()
            .org(&Principal::system("test"), org.parse().unwrap())
            .await
            .unwrap()
    }

    /// Creates the org admin `username` of `org` and logs them in.
    pub async fn org_admin(&self, org: &str, username: &str) -> Session {
        let hash = self.state.hash_password("org-admin-pw").unwrap();
        self.state
            .store()
            .admins(&Principal::system("test"))
            .create(NewAdmin {
                username: username.into(),
                password_hash: hash,
                role: Role::OrgAdmin(org.parse().unwrap()),
            })
            .await
            .unwrap();
        self.login(username, "org-admin-pw").await
    }

    /// Creates an organisation `name` with the domain `<name>.com`; its id.
    pub async fn make_org(&self, name: &str) -> String {
        self.make_org_with_domain(name, &format!("{}.com", name.to_lowercase()))
            .await
    }

    /// Creates an organisation `name` with one domain; its id.
    pub async fn make_org_with_domain(&self, name: &str, domain: &str) -> String {
        let org = self
            .state
            .store()
            .organisations(&Principal::system("test"))
            .create(NewOrganisation {
                name: name.into(),
                domains: vec![domain.to_string()],
            })
            .await
            .unwrap();
        org.id.to_string()
    }
}

/// The status and body of an answer.
pub async fn text(r: Response) -> (StatusCode, String) {
    let status = r.status();
    (status, r.text().await.unwrap())
}
