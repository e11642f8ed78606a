//! The email configuration through the admin API.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::*;

const SERVICE_PASSWORD: &str = "Svc-Password-Do-Not-Leak-42";

/// PUTs the configuration; the status and the raw body.
async fn put(s: &Server, op: &Session, org: &str, body: Value) -> (StatusCode, String) {
    let path = format!("/api/orgs/{org}/email-config");
    text(s.send(op, Method::PUT, &path, Some(body)).await).await
}

/// GETs the configuration; the status and the raw body.
async fn get(s: &Server, op: &Session, org: &str) -> (StatusCode, String) {
    let path = format!("/api/orgs/{org}/email-config");
    text(s.send(op, Method::GET, &path, None).await).await
}

fn json_of(body: &str) -> Value {
    serde_json::from_str(body).unwrap()
}

fn exchange(password: Option<Value>) -> Value {
    let mut body = json!({
        "access_type": "ExchangeImpersonation",
        "logon": "CONTOSO\\svc-sync",
        "auth": "NTLM",
        "ews_url": "https://mail.contoso.com/EWS/Exchange.asmx",
        "tls_policy": "verify",
        "id_type": "PrimarySmtpAddress",
        "folders": ["inbox", "calendar"],
        "poll_interval_secs": 60,
    });
    if let Some(p) = password {
        body["password"] = p;
    }
    body
}

fn password_status(body: &str) -> Value {
    json_of(body)["settings"]["access"]["password"].clone()
}

async fn put_then_get_shows_secrets_only_as_set_or_not_set(db: &TestDb) {
    let s = start(db).await;
    let op = s.operator().await;
    let org = s.make_org("Contoso").await;

    let (status, body) = get(&s, &op, &org).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("no email configuration"), "{body}");

    let (status, body) = put(&s, &op, &org, exchange(Some(json!(SERVICE_PASSWORD)))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(!body.contains(SERVICE_PASSWORD), "{body}");
    assert_eq!(password_status(&body), "set");
    let warnings = json_of(&body)["warnings"].to_string();
    assert!(warnings.contains("No check run has passed yet"), "{body}");

    let (status, body) = get(&s, &op, &org).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(!body.contains(SERVICE_PASSWORD), "{body}");
    let v = json_of(&body);
    assert_eq!(v["settings"]["access"]["type"], "ExchangeImpersonation");
    assert_eq!(v["settings"]["access"]["password"], "set");
    assert_eq!(v["settings"]["id_type"], "PrimarySmtpAddress");
    assert_eq!(v["settings"]["poll_interval_secs"], 60);
    assert!(v.get("warnings").is_none(), "{body}");

    // Absent keeps the password; null clears it.
    let (status, body) = put(&s, &op, &org, exchange(None)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(password_status(&body), "set");
    assert_eq!(password_status(&get(&s, &op, &org).await.1), "set");
    let (status, body) = put(&s, &op, &org, exchange(Some(Value::Null))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(password_status(&body), "not set");
    assert_eq!(password_status(&get(&s, &op, &org).await.1), "not set");

    // The audit log never holds the password either.
    let (_, audit) = text(s.send(&op, Method::GET, "/api/audit", None).await).await;
    assert!(audit.contains("email_config.saved"), "{audit}");
    assert!(!audit.contains(SERVICE_PASSWORD), "{audit}");
}
backend_test!(put_then_get_shows_secrets_only_as_set_or_not_set);

async fn refused_urls_and_bad_fields_are_422_naming_the_field(db: &TestDb) {
    let s = start(db).await;
    let op = s.operator().await;
    let org = s.make_org("Contoso").await;
    let with = |key: &str, value: Value| {
        let mut body = exchange(Some(json!(SERVICE_PASSWORD)));
        body[key] = value;
        body
    };
    let cases = [
        (
            with("ews_url", json!("http://169.254.169.254/EWS/Exchange.asmx")),
            "ews_url",
            "plain http",
        ),
        (
            with(
                "ews_url",
                json!("https://169.254.169.254/EWS/Exchange.asmx"),
            ),
            "ews_url",
            "metadata",
        ),
        (
            with(
                "ews_url",
                json!("http://mail.contoso.com/EWS/Exchange.asmx"),
            ),
            "ews_url",
            "plain http",
        ),
        (
            with("tls_policy", json!("trust-me")),
            "tls_policy",
            "trust-me",
        ),
        (with("id_type", json!("Nickname")), "id_type", "Nickname"),
        (
            with("access_type", json!("CarrierPigeon")),
            "access_type",
            "CarrierPigeon",
        ),
        (
            with("poll_interval_secs", json!(5)),
            "poll_interval_secs",
            "30",
        ),
        (with("logon", json!("  ")), "logon", "logon"),
        (with("ews_url", Value::Null), "ews_url", "autodiscover"),
        (
            json!({"access_type": "M365OAuthImpersonation", "autodiscover": true}),
            "authority",
            "authority, tenant, client_id, redirect_url",
        ),
    ];
    for (body, field, reason) in cases {
        let (status, answer) = put(&s, &op, &org, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        let v = json_of(&answer);
        assert_eq!(v["field"], field, "{answer}");
        assert!(v["error"].as_str().unwrap().contains(reason), "{answer}");
        assert!(!answer.contains(SERVICE_PASSWORD), "{answer}");
    }
    // Nothing was written.
    assert_eq!(get(&s, &op, &org).await.0, StatusCode::NOT_FOUND);

    // The lab flag allows plain http.
    let mut lab = with(
        "ews_url",
        json!("http://mail.contoso.com/EWS/Exchange.asmx"),
    );
    lab["lab"] = json!(true);
    let (status, body) = put(&s, &op, &org, lab).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(json_of(&body)["settings"]["lab"], true);
    // But never the metadata address.
    let mut lab = with("ews_url", json!("http://169.254.169.254/"));
    lab["lab"] = json!(true);
    let (status, body) = put(&s, &op, &org, lab).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(json_of(&body)["field"], "ews_url");
}
backend_test!(refused_urls_and_bad_fields_are_422_naming_the_field);

async fn weak_tls_warns_and_m365_secrets_are_write_only(db: &TestDb) {
    let s = start(db).await;
    let op = s.operator().await;
    let org = s.make_org("Contoso").await;
    let mut body = exchange(Some(json!(SERVICE_PASSWORD)));
    body["tls_policy"] = json!("ignore-trust");
    let (status, answer) = put(&s, &op, &org, body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let v = json_of(&answer);
    assert_eq!(v["settings"]["tls_policy"], "ignore-trust");
    assert!(
        v["warnings"][0].as_str().unwrap().contains("ignore-trust"),
        "{answer}"
    );

    let m365 = json!({
        "access_type": "M365OAuthImpersonation",
        "authority": "https://login.microsoftonline.com",
        "tenant": "contoso.onmicrosoft.com",
        "client_id": "00000000-1111-2222-3333-444444444444",
        "redirect_url": "http://localhost:8080/callback",
        "client_secret": "client-secret-never-shown",
        "autodiscover": true,
    });
    let (status, answer) = put(&s, &op, &org, m365).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert!(!answer.contains("client-secret-never-shown"), "{answer}");
    let access = &json_of(&answer)["settings"]["access"];
    assert_eq!(access["type"], "M365OAuthImpersonation");
    assert_eq!(access["client_secret"], "set");
    assert_eq!(access["refresh_token"], "not set");
    assert_eq!(json_of(&answer)["settings"]["autodiscover"], true);
}
backend_test!(weak_tls_warns_and_m365_secrets_are_write_only);

async fn org_admins_see_only_their_own_configuration(db: &TestDb) {
    let s = start(db).await;
    let op = s.operator().await;
    let a = s.make_org("Alpha").await;
    let b = s.make_org("Beta").await;
    let (status, body) = put(&s, &op, &b, exchange(Some(json!(SERVICE_PASSWORD)))).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let alice = s.org_admin(&a, "alice").await;
    let (status, body) = get(&s, &alice, &b).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(!body.contains("svc-sync"), "{body}");
    let (status, _) = put(&s, &alice, &b, exchange(None)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Alice's own organisation works.
    let (status, body) = put(&s, &alice, &a, exchange(Some(json!("alpha-pw")))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(get(&s, &alice, &a).await.0, StatusCode::OK);
    // Beta's configuration is untouched.
    let (_, body) = get(&s, &op, &b).await;
    assert_eq!(password_status(&body), "set");
    assert_eq!(json_of(&body)["settings"]["poll_interval_secs"], 60);
}
backend_test!(org_admins_see_only_their_own_configuration);

async fn cookie_put_needs_the_csrf_token(db: &TestDb) {
    let s = start(db).await;
    let op = s.operator().await;
    let org = s.make_org("Contoso").await;
    let (status, body) = text(
        s.client
            .put(s.url(&format!("/api/orgs/{org}/email-config")))
            .header("cookie", &op.cookie)
            .json(&exchange(Some(json!(SERVICE_PASSWORD))))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("CSRF"), "{body}");
    assert_eq!(get(&s, &op, &org).await.0, StatusCode::NOT_FOUND);
}
backend_test!(cookie_put_needs_the_csrf_token);

async fn save_warns_until_a_check_passes_and_refuses_an_undecryptable_secret(db: &TestDb) {
    let simulator = crate::sim::start(&[]).await;
    let s = start(db).await;
    let op = s.operator().await;
    let org = s.make_org("Contoso").await;
    let body = json!({
        "access_type": "ExchangeImpersonation",
        "logon": crate::sim::LOGON,
        "password": crate::sim::PASSWORD,
        "ews_url": simulator.ews_url(),
        "lab": true,
    });
    let (status, saved) = put(&s, &op, &org, body.clone()).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert!(saved.contains("No check run has passed yet"), "{saved}");

    crate::sim::import(&s, &op, &org, &["alice@contoso.test".to_string()]).await;
    let run = s
        .send(
            &op,
            Method::POST,
            &format!("/api/orgs/{org}/check-runs"),
            Some(json!({})),
        )
        .await;
    let run: Value = run.json().await.unwrap();
    let detail = crate::sim::wait_run(&s, &op, &org, run["id"].as_str().unwrap()).await;
    assert_eq!(detail["ok"], 1, "{detail}");
    let mut keep = body.clone();
    keep.as_object_mut().unwrap().remove("password");
    let (status, saved) = put(&s, &op, &org, keep.clone()).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(json_of(&saved)["warnings"], json!([]), "a check passed");

    // A stored password that no longer opens (another key, or damage) is named, and the
    // save changes nothing.
    let raw = db.raw().await;
    sqlx::query("UPDATE email_configs SET password_enc = $1")
        .bind("v1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
        .execute(&raw)
        .await
        .unwrap();
    let before = get(&s, &op, &org).await.1;
    let mut changed = keep.clone();
    changed["poll_interval_secs"] = json!(600);
    let (status, refused) = put(&s, &op, &org, changed).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(json_of(&refused)["field"], "password", "{refused}");
    assert!(refused.contains("cannot be decrypted"), "{refused}");
    assert_eq!(get(&s, &op, &org).await.1, before, "nothing changed");

    // Entering it again saves.
    let (status, saved) = put(&s, &op, &org, body).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
}
backend_test!(save_warns_until_a_check_passes_and_refuses_an_undecryptable_secret);

async fn only_an_operator_may_make_a_lab(db: &TestDb) {
    let s = start(db).await;
    let op = s.operator().await;
    let org = s.make_org("Contoso").await;
    let admin = s.org_admin(&org, "contoso-admin").await;
    let mut lab = exchange(Some(json!(SERVICE_PASSWORD)));
    lab["lab"] = json!(true);
    lab["ews_url"] = json!("http://10.0.0.5/EWS/Exchange.asmx");
    let (status, body) = put(&s, &admin, &org, lab.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(json_of(&body)["field"], "lab", "{body}");
    assert_eq!(
        get(&s, &admin, &org).await.0,
        StatusCode::NOT_FOUND,
        "nothing saved"
    );

    let (status, body) = put(&s, &op, &org, lab.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Once the operator made it a lab, its admin may keep saving it.
    lab["poll_interval_secs"] = json!(120);
    let (status, body) = put(&s, &admin, &org, lab).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}
backend_test!(only_an_operator_may_make_a_lab);
