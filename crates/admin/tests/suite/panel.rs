//! The web panel over real HTTP: login (with its double-submit cookie), every page for an
//! operator and an org admin, tenant 404s, CSRF refusals that change nothing, pagination
//! and search, CSV import with per-row errors, and activation.

use impersync_store::{ImportRow, PageRequest, Principal, UserFilter};
use reqwest::redirect::Policy;
use reqwest::{Client, StatusCode};

use crate::common::{PASSWORD, Server, TestDb, backend_test, start};

/// A browser-like client of the panel: its cookies and the page's CSRF token.
pub struct Browser<'a> {
    pub server: &'a Server,
    pub client: Client,
    pub cookies: Vec<(String, String)>,
    pub csrf: String,
}

/// The value of `name="..." value="..."` in a page.
pub fn hidden(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\" value=\""))?;
    let rest = &html[at + name.len() + 15..];
    Some(rest[..rest.find('"')?].to_string())
}

impl<'a> Browser<'a> {
    pub fn new(server: &'a Server) -> Self {
        Self {
            server,
            client: Client::builder().redirect(Policy::none()).build().unwrap(),
            cookies: Vec::new(),
            csrf: String::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep_cookies(&mut self, r: &reqwest::Response) {
        for set in r.headers().get_all("set-cookie") {
            let pair = set.to_str().unwrap().split(';').next().unwrap();
            let (k, v) = pair.split_once('=').unwrap();
            self.cookies.retain(|(name, _)| name != k);
            if !v.is_empty() {
                self.cookies.push((k.to_string(), v.to_string()));
            }
        }
    }

    /// GETs a page; returns the status, the `location` header and the body.
    pub async fn get(&mut self, path: &str) -> (StatusCode, String, String) {
        let r = self
            .client
            .get(self.server.url(path))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.keep_cookies(&r);
        let status = r.status();
        let location = location(&r);
        let body = r.text().await.unwrap();
        if let Some(token) = hidden(&body, "_csrf") {
            self.csrf = token;
        }
        (status, location, body)
    }

    /// POSTs a form as given (no token added).
    pub async fn post_raw(
        &mut self,
        path: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, String, String) {
        let r = self
            .client
            .post(self.server.url(path))
            .header("cookie", self.cookie_header())
            .form(form)
            .send()
            .await
            .unwrap();
        self.keep_cookies(&r);
        let status = r.status();
        let location = location(&r);
        (status, location, r.text().await.unwrap())
    }

    /// POSTs a form as htmx does, with `csrf` in the `x-csrf-token` header.
    pub async fn htmx_post(
        &self,
        path: &str,
        csrf: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        self.client
            .post(self.server.url(path))
            .header("cookie", self.cookie_header())
            .header("x-csrf-token", csrf)
            .header("hx-request", "true")
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// POSTs a form with the page's CSRF token.
    pub async fn post(
        &mut self,
        path: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, String, String) {
        let csrf = self.csrf.clone();
        let mut fields = vec![("_csrf", csrf.as_str())];
        fields.extend_from_slice(form);
        self.post_raw(path, &fields).await
    }

    /// Uploads a CSV file to the import form, with `csrf` as the token.
    pub async fn upload(
        &mut self,
        path: &str,
        csv: &str,
        csrf: Option<&str>,
    ) -> (StatusCode, String) {
        let mut form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::text(csv.to_string()).file_name("users.csv"),
        );
        if let Some(token) = csrf {
            form = form.text("_csrf", token.to_string());
        }
        let r = self
            .client
            .post(self.server.url(path))
            .header("cookie", self.cookie_header())
            .multipart(form)
            .send()
            .await
            .unwrap();
        (r.status(), r.text().await.unwrap())
    }

    /// Logs in through the form.
    pub async fn login(&mut self, username: &str, password: &str) {
        let (status, _, page) = self.get("/login").await;
        assert_eq!(status, StatusCode::OK);
        let token = hidden(&page, "_login_csrf").expect("login form token");
        let (status, location, body) = self
            .post_raw(
                "/login",
                &[
                    ("_login_csrf", &token),
                    ("username", username),
                    ("password", password),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
        assert_eq!(location, "/orgs");
        let (status, _, _) = self.get("/orgs").await;
        assert_eq!(status, StatusCode::OK);
    }
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

/// A browser signed in as the bootstrap operator.
pub async fn operator(server: &Server) -> Browser<'_> {
    let mut b = Browser::new(server);
    b.login("admin", PASSWORD).await;
    b
}

async fn panel_login_flow(db: &TestDb) {
    let server = start(db).await;
    let mut b = Browser::new(&server);
    let (status, location, _) = b.get("/").await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/login")
    );
    let (status, location, _) = b.get("/orgs").await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/login")
    );

    // Without the double-submit cookie the login is refused and no session starts.
    let (_, _, page) = b.get("/login").await;
    let token = hidden(&page, "_login_csrf").unwrap();
    let mut stranger = Browser::new(&server);
    let (status, _, body) = stranger
        .post_raw(
            "/login",
            &[
                ("_login_csrf", &token),
                ("username", "admin"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("out of date"), "{body}");
    assert!(
        !stranger
            .cookies
            .iter()
            .any(|(k, _)| k == "impersync_session")
    );

    // A wrong field value is refused too.
    let (status, _, _) = b
        .post_raw(
            "/login",
            &[
                ("_login_csrf", "forged"),
                ("username", "admin"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (_, _, page) = b.get("/login").await;
    let token = hidden(&page, "_login_csrf").unwrap();
    let (status, _, body) = b
        .post_raw(
            "/login",
            &[
                ("_login_csrf", &token),
                ("username", "admin"),
                ("password", "wrong"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains("wrong username or password"), "{body}");
    assert!(body.contains(r#"value="admin""#), "the username is kept");

    b.login("admin", PASSWORD).await;
    let (_, _, page) = b.get("/orgs").await;
    assert!(page.contains("admin (operator)"), "{page}");
    assert!(page.contains(r#"<script src="/static/htmx.min.js" defer>"#));
    let (status, location, _) = b.get("/login").await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/orgs")
    );

    // The panel session is the API's session.
    let session = b
        .cookies
        .iter()
        .find(|(k, _)| k == "impersync_session")
        .unwrap()
        .1
        .clone();
    let r = server
        .client
        .get(server.url("/api/orgs"))
        .header("cookie", format!("impersync_session={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    let (status, _, _) = b.post_raw("/logout", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "logout needs the token");
    let (status, location, _) = b.post("/logout", &[]).await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/login")
    );
    let (status, location, _) = b.get("/orgs").await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/login")
    );

    // Static files are served from the binary, under the CSP.
    let r = server
        .client
        .get(server.url("/static/htmx.min.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-security-policy"], "default-src 'self'");
    assert!(r.text().await.unwrap().contains("htmx"));
    let r = server
        .client
        .get(server.url("/static/panel.css"))
        .send()
        .await
        .unwrap();
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
}
backend_test!(panel_login_flow);

async fn panel_pages_for_operator_and_org_admin(db: &TestDb) {
    let server = start(db).await;
    let contoso = server.make_org("Contoso").await;
    let fabrikam = server.make_org("Fabrikam").await;
    server.org_admin(&contoso, "contoso-admin").await;
    let mut op = operator(&server).await;
    let mut oa = Browser::new(&server);
    oa.login("contoso-admin", "org-admin-pw").await;

    let pages = [
        (format!("/orgs/{contoso}/users"), "Import users from CSV"),
        (
            format!("/orgs/{contoso}/email-config"),
            "Check Users Exchange Impersonated Access",
        ),
        (format!("/orgs/{contoso}/check-runs"), "No check runs yet."),
        ("/orgs".to_string(), "Contoso"),
        ("/audit".to_string(), "Audit log"),
    ];
    for b in [&mut op, &mut oa] {
        for (path, text) in &pages {
            let (status, _, body) = b.get(path).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            assert!(body.contains(text), "{path}: {text}");
            assert!(body.contains("Email Configuration") || !path.starts_with("/orgs/"));
        }
    }
    let (_, _, list) = op.get("/orgs").await;
    assert!(list.contains("Fabrikam") && list.contains("New organisation"));
    let (_, _, list) = oa.get("/orgs").await;
    assert!(
        !list.contains("Fabrikam"),
        "an org admin sees only their organisation"
    );
    assert!(!list.contains("New organisation"));

    let (status, _, body) = op.get("/admins").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("contoso-admin") && body.contains("New admin account"));
    let (status, _, _) = oa.get("/admins").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    for tab in ["users", "email-config", "check-runs"] {
        let (status, _, body) = oa.get(&format!("/orgs/{fabrikam}/{tab}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{tab}");
        assert!(!body.contains("Fabrikam"));
        let (status, _, _) = op.get(&format!("/orgs/{fabrikam}/{tab}")).await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, _, _) = oa.get(&format!("/orgs/{fabrikam}/check-runs/1")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, _, _) = oa.get(&format!("/orgs/{contoso}/users")).await;
    let (status, _, _) = oa
        .post(
            &format!("/orgs/{fabrikam}/email-config"),
            &[("access_type", "ExchangeImpersonation")],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // An operator creates an org admin through the form; errors name the field.
    let (_, _, _) = op.get("/admins").await;
    let (status, _, body) = op
        .post(
            "/admins",
            &[
                ("username", "fab"),
                ("password", "short"),
                ("role", "org_admin"),
                ("org", &fabrikam),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("password: the password must have at least 12 characters"),
        "{body}"
    );
    let (status, _, body) = op
        .post(
            "/admins",
            &[
                ("username", "fab"),
                ("password", "long-enough-pw-1"),
                ("role", "org_admin"),
                ("org", ""),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("org: choose the organisation"), "{body}");
    let (status, location, _) = op
        .post(
            "/admins",
            &[
                ("username", "fab"),
                ("password", "long-enough-pw-1"),
                ("role", "org_admin"),
                ("org", &fabrikam),
            ],
        )
        .await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/admins")
    );
    let mut fab = Browser::new(&server);
    fab.login("fab", "long-enough-pw-1").await;
    let (status, _, _) = fab.get(&format!("/orgs/{fabrikam}/users")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = fab.get(&format!("/orgs/{contoso}/users")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
backend_test!(panel_pages_for_operator_and_org_admin);

async fn panel_csrf_refusals_change_nothing(db: &TestDb) {
    let server = start(db).await;
    let org = server.make_org("Contoso").await;
    let mut b = operator(&server).await;
    let store = server.state.store();
    let system = Principal::system("test");
    let count = || async {
        store
            .organisations(&system)
            .list(PageRequest::first(100))
            .await
            .unwrap()
            .total
    };
    assert_eq!(count().await, 1);
    let (status, _, body) = b
        .post_raw("/orgs", &[("name", "Evil"), ("domains", "evil.com")])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("nothing was changed"), "{body}");
    let (status, _, _) = b
        .post_raw(
            "/orgs",
            &[
                ("_csrf", "forged"),
                ("name", "Evil"),
                ("domains", "evil.com"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(count().await, 1, "nothing was created");

    let (status, _) = b
        .upload(
            &format!("/orgs/{org}/users/import"),
            "email,display_name\na@contoso.com,A\n",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = b
        .upload(
            &format!("/orgs/{org}/users/import"),
            "email,display_name\na@contoso.com,A\n",
            Some("forged"),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let contoso = store.org(&system, org.parse().unwrap()).await.unwrap();
    assert_eq!(
        contoso.users().count().await.unwrap(),
        0,
        "nothing was imported"
    );

    let (status, _, _) = b
        .post_raw(
            &format!("/orgs/{org}/email-config"),
            &[
                ("access_type", "ExchangeImpersonation"),
                ("logon", "x"),
                ("password", "p"),
                ("ews_url", "https://mail.contoso.com/EWS/Exchange.asmx"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(contoso.email_config().get().await.unwrap().is_none());

    // With the token (as a field, or as htmx's header) the same posts work.
    let (status, _, _) = b
        .post(
            "/orgs",
            &[("name", "Fabrikam"), ("domains", "fabrikam.com")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(count().await, 2);
    let r = b
        .client
        .post(server.url("/orgs"))
        .header("cookie", b.cookie_header())
        .header("x-csrf-token", &b.csrf)
        .form(&[("name", "Tailspin"), ("domains", "tailspin.com")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(count().await, 3);
}
backend_test!(panel_csrf_refusals_change_nothing);

async fn panel_users_pagination_search_import_activation(db: &TestDb) {
    let server = start(db).await;
    let org = server.make_org("Contoso").await;
    let system = Principal::system("test");
    let contoso = server
        .state
        .store()
        .org(&system, org.parse().unwrap())
        .await
        .unwrap();
    let rows = (0..120)
        .map(|i| ImportRow {
            line: i + 1,
            email: format!("user-{i:03}@contoso.com"),
            display_name: format!("User {i:03}"),
            sync_enabled: false,
        })
        .collect();
    contoso.users().import(rows).await.unwrap();
    let mut b = operator(&server).await;
    let users = format!("/orgs/{org}/users");

    let (_, _, first) = b.get(&users).await;
    assert_eq!(first.matches("<tr id=\"user-").count(), 50);
    assert!(first.contains("Page 1 of 3 · 120 in all"), "{first}");
    assert!(first.contains("user-000@contoso.com") && !first.contains("user-050@contoso.com"));
    let (_, _, last) = b.get(&format!("{users}?page=3")).await;
    assert_eq!(last.matches("<tr id=\"user-").count(), 20);
    assert!(last.contains("user-119@contoso.com") && last.contains("Previous"));
    let (_, _, found) = b.get(&format!("{users}?q=User+07")).await;
    assert_eq!(found.matches("<tr id=\"user-").count(), 10, "User 070..079");
    assert!(found.contains("Page 1 of 1 · 10 in all"));

    // Import: good rows are added, bad ones are reported by line and reason.
    let csv = "email,display_name\nnew@contoso.com,New\nnot-an-address,X\nnew@contoso.com,Again\nuser-001@contoso.com,Old\n";
    let csrf = b.csrf.clone();
    let (status, page) = b.upload(&format!("{users}/import"), csv, Some(&csrf)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Imported 1 user(s); 3 row(s) refused."),
        "{page}"
    );
    assert!(page.contains("<td>3</td><td>not-an-address</td>"), "{page}");
    assert!(page.contains("the address is already on line 2"));
    assert!(page.contains("the organisation already has a user with this address"));
    let (status, page) = b
        .upload(&format!("{users}/import"), "mail;name\n", Some(&csrf))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("file: the CSV must start with the header line"),
        "{page}"
    );
    assert_eq!(contoso.users().count().await.unwrap(), 121);

    // Activation needs a passing last check, unless the admin forces it elsewhere.
    let user = contoso
        .users()
        .get_by_email("user-001@contoso.com")
        .await
        .unwrap();
    let (status, _, _) = b
        .post(
            &format!("{users}/{}/activation", user.id),
            &[("active", "true"), ("page", "1"), ("q", "")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, page) = b.get(&users).await;
    assert!(
        page.contains("did not pass their last access check"),
        "{page}"
    );
    assert!(!contoso.users().get(user.id).await.unwrap().sync_enabled);

    for (email, outcome) in [
        ("user-001@contoso.com", "Ok"),
        ("user-002@contoso.com", "Ok"),
        ("user-003@contoso.com", "ImpersonationDenied"),
    ] {
        let u = contoso.users().get_by_email(email).await.unwrap();
        contoso
            .users()
            .record_check_outcome(
                u.id,
                &impersync_store::LastCheck {
                    outcome: outcome.into(),
                    detail: "checked".into(),
                    at: 1,
                    run: None,
                },
            )
            .await
            .unwrap();
    }
    let (status, _, _) = b.post(&format!("{users}/activate-passed"), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, page) = b.get(&users).await;
    assert!(
        page.contains("Activated 2 user(s) whose last check passed"),
        "{page}"
    );
    let active = UserFilter {
        sync_enabled: Some(true),
        ..UserFilter::default()
    };
    let list = contoso
        .users()
        .list(&active, PageRequest::first(10))
        .await
        .unwrap();
    let emails: Vec<_> = list.items.iter().map(|u| u.email.as_str()).collect();
    assert_eq!(emails, ["user-001@contoso.com", "user-002@contoso.com"]);

    // The htmx toggle answers the new row.
    let path = format!("{users}/{}/activation", user.id);
    let r = b.htmx_post(&path, &b.csrf, &[("active", "false")]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let row = r.text().await.unwrap();
    assert!(
        row.starts_with(&format!("<tr id=\"user-{}\"", user.id)) && row.contains("inactive"),
        "{row}"
    );

    // An htmx request that fails is retargeted to the page's error area, message only.
    let path = format!("{users}/{}/activation", user.id);
    let r = b
        .htmx_post(&path, "stale-token", &[("active", "true")])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(r.headers()["hx-retarget"], "#htmx-errors");
    assert_eq!(r.headers()["hx-reswap"], "innerHTML");
    assert_eq!(r.headers()["hx-reselect"], "[role=alert]");
    let (_, _, page) = b.get(&users).await;
    assert!(
        page.contains(r#"<div id="htmx-errors" aria-live="assertive"></div>"#),
        "{page}"
    );

    let (status, _, _) = b.post(&format!("{users}/deactivate-all"), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        contoso
            .users()
            .list(&active, PageRequest::first(10))
            .await
            .unwrap()
            .total,
        0
    );
}
backend_test!(panel_users_pagination_search_import_activation);

async fn panel_escapes_hostile_names(db: &TestDb) {
    const ORG: &str = "<script>alert('org')</script> & \"Co\"";
    const NAME: &str = "<img src=x onerror=alert(1)>";
    let s = start(db).await;
    let op = Principal::system("test");
    let org = s
        .state
        .store()
        .organisations(&op)
        .create(impersync_store::NewOrganisation {
            name: ORG.into(),
            domains: vec!["contoso.test".into()],
        })
        .await
        .unwrap();
    s.state
        .store()
        .org(&op, org.id)
        .await
        .unwrap()
        .users()
        .import(vec![ImportRow {
            line: 2,
            email: "mallory@contoso.test".into(),
            display_name: NAME.into(),
            sync_enabled: false,
        }])
        .await
        .unwrap();
    let mut browser = Browser::new(&s);
    browser.login("admin", PASSWORD).await;
    for path in [
        "/orgs".to_string(),
        format!("/orgs/{}/users", org.id),
        format!("/orgs/{}/email-config", org.id),
        "/audit".to_string(),
    ] {
        let (status, _, page) = browser.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(
            !page.contains("<script>alert"),
            "{path} runs the name: {page}"
        );
        assert!(
            !page.contains("<img src=x"),
            "{path} renders the name: {page}"
        );
    }
    let (_, _, orgs) = browser.get("/orgs").await;
    assert!(
        orgs.contains("&lt;script&gt;alert(&#39;org&#39;)&lt;/script&gt; &amp; &quot;Co&quot;")
            || orgs.contains("&lt;script&gt;alert('org')&lt;/script&gt; &amp; &quot;Co&quot;"),
        "the name is shown, escaped: {orgs}"
    );
    let (_, _, users) = browser.get(&format!("/orgs/{}/users", org.id)).await;
    assert!(
        users.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "{users}"
    );
}
backend_test!(panel_escapes_hostile_names);
