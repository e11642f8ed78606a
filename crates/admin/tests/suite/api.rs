//! Organisations, users, sessions and tokens through the admin API.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::*;

async fn login_wrong_password_and_rate_limit(db: &TestDb) {
    let s = start(db).await;
    let _ = s.operator().await;
    let (status, body) = text(s.login_raw("admin", "nope").await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains("\"error\""), "{body}");
    for _ in 0..4 {
        assert_eq!(
            s.login_raw("admin", "nope").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let r = s.login_raw("admin", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().contains_key("retry-after"));
    // Another username is not blocked.
    assert_eq!(
        s.login_raw("someone", "x").await.status(),
        StatusCode::UNAUTHORIZED
    );
}
backend_test!(login_wrong_password_and_rate_limit);

async fn csrf_missing_is_403_and_nothing_changes(db: &TestDb) {
    let s = start(db).await;
    let op = s.operator().await;
    for csrf in [None, Some("wrong")] {
        let mut req = s
            .client
            .post(s.url("/api/orgs"))
            .header("cookie", &op.cookie)
            .json(&json!({"name": "Contoso", "domains": ["contoso.com"]}));
        if let Some(c) = csrf {
            req = req.header("x-csrf-token", c);
        }
        let (status, body) = text(req.send().await.unwrap()).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(body.contains("CSRF"), "{body}");
    }
    let list: Value = s
        .send(&op, Method::GET, "/api/orgs", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 0);
    let r = s
        .send(
            &op,
            Method::POST,
            "/api/orgs",
            Some(json!({"name": "Contoso", "domains": ["contoso.com"]})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    // Not signed in at all.
    assert_eq!(
        s.client
            .get(s.url("/api/orgs"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
}
backend_test!(csrf_missing_is_403_and_nothing_changes);

async fn bearer_token_needs_no_csrf_and_dies_on_delete(db: &TestDb) {
    let s = start(db).await;
    let op = s.operator().await;
    let issued: Value = s
        .send(
            &op,
            Method::POST,
            "/api/tokens",
            Some(json!({"name": "ci"})),
        )
        .await
        .json()
        .await
        .unwrap();
    let token = issued["token"].as_str().unwrap().to_string();
    let id = issued["id"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| issued["id"].to_string());
    let r = s
        .client
        .post(s.url("/api/orgs"))
        .bearer_auth(&token)
        .json(&json!({"name": "Fabrikam", "domains": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let listed = text(s.send(&op, Method::GET, "/api/tokens", None).await)
        .await
        .1;
    assert!(!listed.contains(&token), "token value listed again");
    let r = s
        .send(&op, Method::DELETE, &format!("/api/tokens/{id}"), None)
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = s
        .client
        .get(s.url("/api/orgs"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}
backend_test!(bearer_token_needs_no_csrf_and_dies_on_delete);

async fn org_admin_sees_only_their_organisation(db: &TestDb) {
    let s = start(db).await;
    let a = s.make_org("Alpha").await;
    let b = s.make_org("Beta").await;
    let admin_a = s.org_admin(&a, "alice").await;
    let op = s.operator().await;
    let r = s
        .send(
            &op,
            Method::POST,
            &format!("/api/orgs/{b}/users"),
            Some(json!({"email": "bob@beta.com", "display_name": "Bob"})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);

    let list: Value = s
        .send(&admin_a, Method::GET, "/api/orgs", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["name"], "Alpha");
    // A finished check run of Beta, to aim at.
    let beta_scope = s
        .state
        .store()
        .org(
            &impersync_store::Principal::system("test"),
            b.parse().unwrap(),
        )
        .await
        .unwrap();
    let beta_run = beta_scope.check_runs().start(1).await.unwrap().id;
    beta_scope
        .check_runs()
        .finish(beta_run, impersync_store::CheckRunStatus::Finished, None)
        .await
        .unwrap();
    use reqwest::Method as M;
    let cases = [
        (M::GET, format!("/api/orgs/{b}"), None),
        (
            M::PATCH,
            format!("/api/orgs/{b}"),
            Some(json!({"name": "Hacked"})),
        ),
        (M::DELETE, format!("/api/orgs/{b}"), None),
        (M::GET, format!("/api/orgs/{b}/users"), None),
        (
            M::POST,
            format!("/api/orgs/{b}/users"),
            Some(json!({"email": "x@beta.com", "display_name": "X"})),
        ),
        (
            M::POST,
            format!("/api/orgs/{b}/check-runs"),
            Some(json!({})),
        ),
        (M::GET, format!("/api/orgs/{b}/check-runs"), None),
        (M::GET, format!("/api/orgs/{b}/check-runs/{beta_run}"), None),
        (
            M::GET,
            format!("/api/orgs/{b}/check-runs/{beta_run}/results"),
            None,
        ),
        (
            M::POST,
            format!("/api/orgs/{b}/users:activate"),
            Some(json!({"emails": ["bob@beta.com"], "force": true})),
        ),
        (
            M::POST,
            format!("/api/orgs/{b}/users:deactivate"),
            Some(json!({"all_passed_last_check": true})),
        ),
        (
            M::POST,
            format!("/api/orgs/{b}/email-config/ews-url:generate"),
            None,
        ),
        (
            M::POST,
            format!("/api/orgs/{b}/email-config/oauth:start"),
            None,
        ),
        (M::GET, format!("/api/orgs/{b}/email-config/oauth"), None),
    ];
    for (method, path, body) in cases {
        let (status, text) = text(s.send(&admin_a, method.clone(), &path, body).await).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {text}");
        assert!(!text.contains("bob@beta.com"));
    }
    let r = s
        .client
        .post(s.url(&format!("/api/orgs/{b}/users:import")))
        .header("cookie", &admin_a.cookie)
        .header("x-csrf-token", &admin_a.csrf)
        .body("email,display_name\nx@beta.com,X\n")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // Creating organisations is for operators.
    let r = s
        .send(
            &admin_a,
            M::POST,
            "/api/orgs",
            Some(json!({"name": "Gamma"})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Own organisation works; Beta is untouched.
    assert_eq!(
        s.send(&admin_a, M::GET, &format!("/api/orgs/{a}/users"), None)
            .await
            .status(),
        StatusCode::OK
    );
    let beta: Value = s
        .send(&op, M::GET, &format!("/api/orgs/{b}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(beta["name"], "Beta");
    let users: Value = s
        .send(
            &op,
            M::GET,
            &format!("/api/orgs/{b}/users?page=1&per_page=10"),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(users["total"], 1);
    assert_eq!(users["items"][0]["sync_enabled"], false, "not activated");
    assert_eq!(
        beta_scope
            .check_runs()
            .list(impersync_store::PageRequest::first(5))
            .await
            .unwrap()
            .total,
        1,
        "no run started"
    );
    // Audit: the org admin sees only Alpha's entries.
    let audit: Value = s
        .send(&admin_a, M::GET, "/api/audit", None)
        .await
        .json()
        .await
        .unwrap();
    for e in audit["items"].as_array().unwrap() {
        assert_eq!(e["org_id"].to_string().trim_matches('"'), a, "{e}");
    }
    let all: Value = s
        .send(&op, M::GET, "/api/audit?per_page=100", None)
        .await
        .json()
        .await
        .unwrap();
    let actions: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"admin.login") && actions.contains(&"user.created"),
        "{actions:?}"
    );
}
backend_test!(org_admin_sees_only_their_organisation);

async fn csv_import_good_bad_unparsable_and_oversized(db: &TestDb) {
    let s = start(db).await;
    let org = s.make_org("Contoso").await;
    let op = s.operator().await;
    let path = format!("/api/orgs/{org}/users:import");
    let post = |body: String| {
        s.client
            .post(s.url(&path))
            .header("cookie", &op.cookie)
            .header("x-csrf-token", &op.csrf)
            .body(body)
            .send()
    };
    let csv = "email,display_name\na@contoso.com,Ann\nnot-an-address,Bad\n\"b@contoso.com\",\"Doe, B\"\na@contoso.com,Again\nc@contoso.com\n";
    let r = post(csv.to_string()).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let report: Value = r.json().await.unwrap();
    assert_eq!(report["inserted"], 2, "{report}");
    let lines: Vec<u64> = report["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [3, 5, 6], "{report}");
    for r in report["rejected"].as_array().unwrap() {
        assert!(!r["reason"].as_str().unwrap().is_empty());
    }
    // Unparsable: nothing written.
    let (status, body) = text(
        post("email,display_name\nd@contoso.com,\"open\n".into())
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("not closed"), "{body}");
    let (status, body) = text(post("mail;name\nd@contoso.com;D\n".into()).await.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("email,display_name"), "{body}");
    // Over the 5 MB limit.
    let big = format!(
        "email,display_name\n{}",
        "x@contoso.com,X\n".repeat(330_000)
    );
    let (status, body) = text(post(big).await.unwrap()).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        body.contains("\"error\"") && body.contains("larger than"),
        "{body}"
    );
    let users: Value = s
        .send(&op, Method::GET, &format!("/api/orgs/{org}/users"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(users["total"], 2);
}
backend_test!(csv_import_good_bad_unparsable_and_oversized);

async fn health_headers_and_no_secrets(db: &TestDb) {
    let s = start(db).await;
    for path in ["/healthz", "/readyz", "/nope", "/api/orgs"] {
        let r = s.client.get(s.url(path)).send().await.unwrap();
        let h = r.headers();
        assert_eq!(h["content-security-policy"], "default-src 'self'", "{path}");
        assert_eq!(h["x-frame-options"], "DENY");
        assert_eq!(h["referrer-policy"], "no-referrer");
        assert_eq!(h["x-content-type-options"], "nosniff");
    }
    assert_eq!(
        s.client
            .get(s.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        s.client
            .get(s.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    // Collect every answer of a session and check that no password or hash appears.
    let op = s.operator().await;
    let mut bodies = Vec::new();
    bodies.push(text(s.login_raw("admin", PASSWORD).await).await.1);
    bodies.push(text(s.login_raw("admin", "wrong").await).await.1);
    for path in ["/api/audit?per_page=1000", "/api/orgs", "/api/tokens"] {
        bodies.push(text(s.send(&op, Method::GET, path, None).await).await.1);
    }
    for body in &bodies {
        assert!(!body.contains(PASSWORD), "{body}");
        assert!(!body.contains("argon2"), "{body}");
    }
    let r = s.send(&op, Method::POST, "/api/logout", None).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        s.send(&op, Method::GET, "/api/orgs", None).await.status(),
        StatusCode::UNAUTHORIZED
    );
}
backend_test!(health_headers_and_no_secrets);

async fn bootstrap_generates_a_password_once(db: &TestDb) {
    let store = impersync_store::Store::open(db.options()).await.unwrap();
    let state = impersync_admin::AdminState::new(store, test_options());
    let pw = state
        .bootstrap_operator(None)
        .await
        .unwrap()
        .expect("generated");
    assert!(pw.len() >= 20);
    assert_eq!(state.bootstrap_operator(None).await.unwrap(), None);
}
backend_test!(bootstrap_generates_a_password_once);
