//! Webhooks end to end: the feed of a real sync against the simulator is POSTed to a real
//! receiver, signed and in order; failed attempts are retried with the same batch after a
//! growing back-off and shown through the API; disabled webhooks get nothing; bad input is
//! refused naming the field; TLS is verified; other organisations' admins see nothing.

use impersync_admin::AdminState;
use impersync_exchange_sim::tls::SimTls;
use impersync_store::{FeedCursor, now_millis};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Server, Session, TestDb, backend_test, start, start_with, test_options};
use crate::sim::{self, SimServer};
use crate::webhook_receiver::{self, Receiver};

const SECRET: &str = "Webhook-Signing-Secret-31x";
const OTHER_SECRET: &str = "Another-Signing-Secret-77q";

/// Contoso (a lab) configured for the simulator, with alice and bob activated and synced
/// once; its id and how many changes its feed holds.
async fn synced_org(s: &Server, op: &Session, simulator: &SimServer) -> (String, usize) {
    let org = s.make_org_with_domain("Contoso", "contoso.test").await;
    sim::configure(s, op, &org, &simulator.ews_url(), sim::PASSWORD).await;
    let users = ["alice@contoso.test", "bob@contoso.test"].map(String::from);
    sim::import(s, op, &org, &users).await;
    let (status, body) = s
        .post(
            op,
            &format!("/api/orgs/{org}/users:activate"),
            json!({"emails": users, "force": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let outcomes = s.state.engine().sync_due("test-sync", 10).await.unwrap();
    assert_eq!(outcomes.len(), 2);
    assert!(outcomes.iter().all(|o| o.result.is_ok()), "{outcomes:?}");
    let feed = s
        .org_store(&org)
        .await
        .change_feed()
        .changes(FeedCursor::default(), 1000)
        .await
        .unwrap();
    (org, feed.changes.len())
}

async fn json_of(s: &Server, session: &Session, method: Method, path: &str) -> (StatusCode, Value) {
    let r = s.send(session, method, path, None).await;
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn add_webhook(s: &Server, op: &Session, org: &str, body: Value) -> Value {
    let (status, text) = s.post(op, &format!("/api/orgs/{org}/webhooks"), body).await;
    assert_eq!(status, StatusCode::CREATED, "{text}");
    assert!(
        !text.contains(SECRET) && !text.contains(OTHER_SECRET),
        "{text}"
    );
    serde_json::from_str(&text).unwrap()
}

/// One delivery round at `now`; how many attempts it made.
async fn round(state: &AdminState, now: i64) -> usize {
    state
        .engine()
        .deliver_webhooks_at("test-hooks", now)
        .await
        .unwrap()
        .attempts
        .len()
}

async fn feed_is_delivered_signed_in_order_with_retries(db: &TestDb) {
    let s = start(db).await;
    let op = s.operator().await;
    let simulator = sim::start(&[]).await;
    let (org, total) = synced_org(&s, &op, &simulator).await;
    assert!(total > 100 && total <= 200, "two batches: {total}");
    let receiver = webhook_receiver::start(SECRET, &[500, 500]).await;
    let idle = webhook_receiver::start(OTHER_SECRET, &[]).await;
    let hook = add_webhook(
        &s,
        &op,
        &org,
        json!({"url": receiver.url, "secret": SECRET}),
    )
    .await;
    assert_eq!(hook["secret"], "set");
    assert_eq!(hook["enabled"], true);
    let id = hook["id"].as_str().unwrap().to_string();
    let off = add_webhook(
        &s,
        &op,
        &org,
        json!({"url": idle.url, "secret": OTHER_SECRET, "enabled": false}),
    )
    .await;
    let hook_path = format!("/api/orgs/{org}/webhooks/{id}");

    // 500, then nothing until the back-off has passed, then 500 again, then 200.
    let t0 = now_millis();
    assert_eq!(round(&s.state, t0).await, 1);
    assert_eq!(round(&s.state, t0 + 5_000).await, 0, "backing off");
    let (_, after_one) = json_of(&s, &op, Method::GET, &hook_path).await;
    assert_eq!(after_one["failures"], 1);
    assert_eq!(after_one["last_error"], "the receiver answered HTTP 500");
    let first_wait = after_one["next_attempt_at"].as_i64().unwrap() - t0;
    assert!((10_000..11_000).contains(&first_wait), "{first_wait}");
    assert_eq!(round(&s.state, t0 + first_wait).await, 1);
    let (_, after_two) = json_of(&s, &op, Method::GET, &hook_path).await;
    assert_eq!(after_two["failures"], 2);
    let second_wait = after_two["next_attempt_at"].as_i64().unwrap() - (t0 + first_wait);
    assert!(
        (20_000..21_000).contains(&second_wait),
        "doubles: {second_wait}"
    );
    let t2 = t0 + first_wait + second_wait;
    assert_eq!(round(&s.state, t2).await, 1);
    assert_eq!(round(&s.state, t2).await, 1, "the second batch at once");
    assert_eq!(round(&s.state, t2).await, 0, "all delivered");

    let got = receiver.received();
    assert_eq!(got.len(), 4);
    assert!(got.iter().all(|r| r.signature_ok), "signatures verify");
    assert!(got.iter().all(|r| r.content_type == "application/json"));
    assert_eq!(got[0].ids(), got[1].ids(), "the same batch again");
    assert_eq!(got[1].raw, got[2].raw, "byte for byte");
    assert_eq!(got[0].ids().len(), 100);
    let ids: Vec<i64> = got[2..]
        .iter()
        .flat_map(|r| r.ids())
        .map(|id| id.parse().unwrap())
        .collect();
    assert_eq!(ids.len(), total);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "feed order");
    let feed = s
        .org_store(&org)
        .await
        .change_feed()
        .changes(FeedCursor::default(), 100)
        .await
        .unwrap();
    assert_eq!(
        got[2].raw,
        serde_json::to_string(&feed).unwrap(),
        "the change feed's own JSON"
    );
    assert_eq!(got[3].body["next_cursor"], total.to_string());
    assert!(
        idle.received().is_empty(),
        "a disabled webhook gets nothing"
    );

    // The attempts, newest first: 2 delivered, then the 2 failures of the first batch.
    let (status, deliveries) =
        json_of(&s, &op, Method::GET, &format!("{hook_path}/deliveries")).await;
    assert_eq!(status, StatusCode::OK);
    let list = deliveries["deliveries"].as_array().unwrap();
    let summary: Vec<(Value, Value, Value)> = list
        .iter()
        .map(|d| {
            (
                d["attempt"].clone(),
                d["http_status"].clone(),
                d["delivered"].clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (json!(4), json!(200), json!(true)),
            (json!(3), json!(200), json!(true)),
            (json!(2), json!(500), json!(false)),
            (json!(1), json!(500), json!(false)),
        ]
    );
    for (d, r) in list.iter().rev().zip(&got) {
        assert_eq!(
            d["id"].as_str().unwrap(),
            r.delivery,
            "X-Impersync-Delivery"
        );
    }
    assert_eq!(list[3]["first_id"], "1");
    assert_eq!(list[3]["last_id"], "100");
    assert_eq!(list[1]["last_id"], "100");
    let (_, done) = json_of(&s, &op, Method::GET, &hook_path).await;
    assert_eq!(done["delivered_cursor"], total.to_string());
    assert_eq!(done["failures"], 0);
    assert_eq!(done["last_error"], Value::Null);

    // Enabled, the other webhook gets the feed from its start.
    let off_path = format!("/api/orgs/{org}/webhooks/{}", off["id"].as_str().unwrap());
    let r = s
        .send(
            &op,
            Method::PATCH,
            &off_path,
            Some(json!({"enabled": true})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(round(&s.state, now_millis()).await, 1);
    let got = idle.received();
    assert_eq!(got.len(), 1);
    assert!(got[0].signature_ok, "signed with its own secret");
    assert_eq!(got[0].ids().first().map(String::as_str), Some("1"));
}
backend_test!(feed_is_delivered_signed_in_order_with_retries);

/// A POST of a webhook that must be refused with 400 naming `field`; nothing is created.
async fn refused(s: &Server, op: &Session, org: &str, body: Value, field: &str) {
    let (status, text) = s.post(op, &format!("/api/orgs/{org}/webhooks"), body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    let answer: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(answer["field"], field, "{text}");
}

async fn webhook_input_is_checked_and_tenants_are_apart(db: &TestDb) {
    let s = start(db).await;
    let op = s.operator().await;
    let org = s.make_org("Contoso").await;
    let other = s.make_org("Fabrikam").await;
    let list_path = format!("/api/orgs/{org}/webhooks");

    let https = "https://hooks.contoso.com/impersync";
    for (body, field) in [
        (
            json!({"url": "http://hooks.contoso.com/in", "secret": SECRET}),
            "url",
        ),
        (
            json!({"url": "https://127.0.0.1:9000/in", "secret": SECRET}),
            "url",
        ),
        (
            json!({"url": "https://10.0.0.7/in", "secret": SECRET}),
            "url",
        ),
        (json!({"url": "not a url", "secret": SECRET}), "url"),
        (json!({"secret": SECRET}), "url"),
        (json!({"url": https, "secret": "short-secret"}), "secret"),
        (json!({"url": https}), "secret"),
    ] {
        refused(&s, &op, &org, body, field).await;
    }
    let (_, listed) = json_of(&s, &op, Method::GET, &list_path).await;
    assert_eq!(listed["webhooks"], json!([]), "nothing half-written");

    let hook = add_webhook(&s, &op, &org, json!({"url": https, "secret": SECRET})).await;
    let hook_path = format!("{list_path}/{}", hook["id"].as_str().unwrap());
    let r = s
        .send(
            &op,
            Method::PATCH,
            &hook_path,
            Some(json!({"url": "http://hooks.contoso.com/x", "enabled": false})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let (_, unchanged) = json_of(&s, &op, Method::GET, &list_path).await;
    assert_eq!(unchanged["webhooks"][0]["url"], https);
    assert_eq!(unchanged["webhooks"][0]["enabled"], true);
    let r = s
        .send(
            &op,
            Method::PATCH,
            &hook_path,
            Some(json!({"secret": OTHER_SECRET})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(!r.text().await.unwrap().contains(OTHER_SECRET));

    // Without the CSRF token, a session cannot add one.
    let no_csrf = s
        .client
        .post(s.url(&list_path))
        .header("cookie", &op.cookie)
        .json(&json!({"url": https, "secret": SECRET}))
        .send()
        .await
        .unwrap();
    assert_eq!(no_csrf.status(), StatusCode::FORBIDDEN);

    // Another organisation's admin sees nothing of it; its own admin does.
    let stranger = s.org_admin(&other, "fabrikam-admin").await;
    for (method, path) in [
        (Method::GET, list_path.clone()),
        (Method::GET, hook_path.clone()),
        (Method::PATCH, hook_path.clone()),
        (Method::DELETE, hook_path.clone()),
        (Method::GET, format!("{hook_path}/deliveries")),
    ] {
        let body = (method == Method::PATCH).then(|| json!({"enabled": false}));
        let r = s.send(&stranger, method.clone(), &path, body).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{method} {path}");
    }
    let (status, _) = s
        .post(
            &stranger,
            &list_path,
            json!({"url": https, "secret": SECRET}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let own = s.org_admin(&org, "contoso-admin").await;
    let (status, mine) = json_of(&s, &own, Method::GET, &list_path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(mine["webhooks"][0]["enabled"], true);

    // The audit log records the changes, never the secret.
    let (_, audit) = json_of(&s, &op, Method::GET, "/api/audit?per_page=100").await;
    let audit = audit.to_string();
    assert!(audit.contains("webhook.created") && audit.contains("webhook.updated"));
    assert!(
        !audit.contains(SECRET) && !audit.contains(OTHER_SECRET),
        "{audit}"
    );

    let r = s.send(&op, Method::DELETE, &hook_path, None).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let (_, listed) = json_of(&s, &op, Method::GET, &list_path).await;
    assert_eq!(listed["webhooks"], json!([]));
    let r = s.send(&op, Method::DELETE, &hook_path, None).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}
backend_test!(webhook_input_is_checked_and_tenants_are_apart);

async fn https_receivers_are_verified_and_private_targets_refused(db: &TestDb) {
    impersync_exchange::install_default_provider();
    let trusted = SimTls::generate(&["hooks.contoso.test".into()]).unwrap();
    let untrusted = SimTls::generate(&["hooks.contoso.test".into()]).unwrap();
    let mut options = test_options();
    options
        .network
        .add_override("hooks.contoso.test=127.0.0.1")
        .unwrap();
    options
        .network
        .add_ca_pem(trusted.ca_pem.as_deref().unwrap().as_bytes())
        .unwrap();
    let s = start_with(db, options).await;
    let op = s.operator().await;
    let simulator = sim::start(&[]).await;
    let (org, _) = synced_org(&s, &op, &simulator).await;
    let good: Receiver =
        webhook_receiver::start_tls(SECRET, trusted.config.clone(), "hooks.contoso.test").await;
    let bad: Receiver =
        webhook_receiver::start_tls(SECRET, untrusted.config.clone(), "hooks.contoso.test").await;
    let good_hook = add_webhook(&s, &op, &org, json!({"url": good.url, "secret": SECRET})).await;
    let bad_hook = add_webhook(&s, &op, &org, json!({"url": bad.url, "secret": SECRET})).await;
    assert_eq!(round(&s.state, now_millis()).await, 2);
    assert_eq!(good.received().len(), 1);
    assert!(good.received()[0].signature_ok);
    assert!(
        bad.received().is_empty(),
        "no request over an untrusted connection"
    );
    let deliveries = |hook: &Value| {
        format!(
            "/api/orgs/{org}/webhooks/{}/deliveries",
            hook["id"].as_str().unwrap()
        )
    };
    let (_, ok) = json_of(&s, &op, Method::GET, &deliveries(&good_hook)).await;
    assert_eq!(ok["deliveries"][0]["delivered"], true);
    let (_, failed) = json_of(&s, &op, Method::GET, &deliveries(&bad_hook)).await;
    let failed = &failed["deliveries"][0];
    assert_eq!(failed["delivered"], false);
    assert_eq!(failed["http_status"], Value::Null);
    let error = failed["error"].as_str().unwrap();
    assert!(error.to_lowercase().contains("certificate"), "{error}");

    // The first batch left changes to send; once the organisation is no longer a lab, the
    // receiver's name, which resolves to loopback, is refused.
    let r = s
        .send(
            &op,
            Method::PUT,
            &format!("/api/orgs/{org}/email-config"),
            Some(json!({
                "access_type": "ExchangeImpersonation",
                "logon": sim::LOGON,
                "ews_url": "https://mail.contoso.test/EWS/Exchange.asmx",
            })),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let before = good.received().len();
    assert!(round(&s.state, now_millis()).await >= 1);
    assert_eq!(
        good.received().len(),
        before,
        "nothing sent to a private address"
    );
    let (_, refused) = json_of(&s, &op, Method::GET, &deliveries(&good_hook)).await;
    let latest = &refused["deliveries"][0];
    assert_eq!(latest["delivered"], false);
    let error = latest["error"].as_str().unwrap();
    assert!(error.contains("private"), "{error}");
}
backend_test!(https_receivers_are_verified_and_private_targets_refused);
