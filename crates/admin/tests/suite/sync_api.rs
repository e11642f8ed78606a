//! The sync routes against a real sync of the demo organisation: mailbox status and the
//! failing-share alert, "sync now", the items of a mailbox, the change feed read page by
//! page and resumed from a saved cursor, `/metrics`, tenant 404s and bad parameters.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Server, Session, TestDb, backend_test, start, text};
use crate::sim::{self, SimServer};

pub const ALICE: &str = "alice@contoso.test";
pub const BOB: &str = "bob@contoso.test";
/// Outside the service account's impersonation scope in the demo.
pub const ERIN: &str = "erin@contoso.test";

/// Contoso aimed at the simulator with alice, bob and erin activated and synced once; the
/// simulator, the organisation id and the operator's session.
pub async fn synced_contoso(s: &Server) -> (SimServer, String, Session) {
    let sim = sim::start(&[]).await;
    let op = s.operator().await;
    let org = s.make_org_with_domain("Contoso", "contoso.test").await;
    sim::configure(s, &op, &org, &sim.ews_url(), sim::PASSWORD).await;
    let emails = [ALICE, BOB, ERIN].map(String::from);
    sim::import(s, &op, &org, &emails).await;
    let (status, body) = s
        .post(
            &op,
            &format!("/api/orgs/{org}/users:activate"),
            json!({"emails": emails, "force": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let outcomes = s.state.engine().sync_due("w1", 10).await.unwrap();
    assert_eq!(outcomes.len(), 3);
    (sim, org, op)
}

/// GETs `path` in a session; the status and the JSON body.
pub async fn get(s: &Server, session: &Session, path: &str) -> (StatusCode, Value) {
    let r = s.send(session, Method::GET, path, None).await;
    let status = r.status();
    (status, r.json().await.unwrap())
}

/// The simulator's live items of `email` in the folders `org` syncs: (folder, item id).
async fn sim_items(
    s: &Server,
    sim: &SimServer,
    org: &str,
    email: &str,
) -> BTreeSet<(String, String)> {
    let folders = s
        .org_store(org)
        .await
        .email_config()
        .credentials()
        .await
        .unwrap()
        .unwrap()
        .folders;
    assert!(!folders.is_empty());
    let url = format!("http://{}/_sim/mailboxes/{email}/items", sim.addr);
    let listing: Value = s
        .client
        .get(url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    listing["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| folders.iter().any(|f| i["folder"] == f.as_str()))
        .map(|i| {
            (
                i["folder"].as_str().unwrap().into(),
                i["item_id"].as_str().unwrap().into(),
            )
        })
        .collect()
}

async fn sync_status_items_and_sync_now(db: &TestDb) {
    let s = start(db).await;
    let (sim, org, op) = synced_contoso(&s).await;

    let (status, body) = get(&s, &op, &format!("/api/orgs/{org}/mailboxes")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let summary = &body["summary"];
    assert_eq!(
        summary["counts"],
        json!({"idle": 2, "syncing": 0, "backoff": 0, "needs_attention": 1})
    );
    assert_eq!(
        (summary["total"].as_u64(), summary["failing"].as_u64()),
        (Some(3), Some(1))
    );
    assert_eq!(summary["alert_threshold_percent"], 20);
    assert_eq!(summary["alert"], true, "1 of 3 is above 20%");
    let rows = body["mailboxes"]["items"].as_array().unwrap();
    let emails: Vec<_> = rows.iter().map(|r| r["email"].as_str().unwrap()).collect();
    assert_eq!(emails, [ALICE, BOB, ERIN]);
    let alice = &rows[0];
    assert_eq!(alice["state"], "idle");
    assert!(
        alice["last_success_at"].is_i64() && alice["next_due_at"].is_i64(),
        "{alice}"
    );
    assert!(alice["last_error"].is_null());
    let truth = sim_items(&s, &sim, &org, ALICE).await;
    let inbox = truth.iter().filter(|(f, _)| f == "inbox").count() as u64;
    assert!(inbox > 0);
    assert_eq!(alice["folders"]["inbox"].as_u64(), Some(inbox), "{alice}");
    let erin = &rows[2];
    assert_eq!(erin["state"], "needs_attention");
    assert_eq!(
        erin["last_error"]["outcome"], "ImpersonationDenied",
        "{erin}"
    );
    assert!(!erin["last_error"]["remedy"].as_str().unwrap().is_empty());
    assert!(
        erin["next_due_at"].is_null(),
        "not scheduled until an admin acts"
    );

    // Filtered by state, and a bad state named.
    let (_, body) = get(
        &s,
        &op,
        &format!("/api/orgs/{org}/mailboxes?state=needs_attention"),
    )
    .await;
    assert_eq!(body["mailboxes"]["total"], 1);
    let (status, body) = get(&s, &op, &format!("/api/orgs/{org}/mailboxes?state=broken")).await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("state"))
    );

    // Per user, by address or id.
    let (status, body) = get(&s, &op, &format!("/api/orgs/{org}/users/{ERIN}/sync")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["state"], "needs_attention");
    let erin_id = body["user"].as_str().unwrap().to_string();

    // Sync now: due at once, audited.
    let r = s
        .send(
            &op,
            Method::POST,
            &format!("/api/orgs/{org}/users/{erin_id}:sync"),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let body: Value = r.json().await.unwrap();
    assert!(body["next_due_at"].as_i64().unwrap() <= impersync_store::now_millis());
    assert_eq!(body["email"], ERIN);
    let (_, audit) = get(&s, &op, "/api/audit").await;
    assert!(
        audit.to_string().contains("mailbox.sync_requested"),
        "{audit}"
    );
    // A new round picks it up again (and it still fails: erin is out of scope).
    let outcomes = s.state.engine().sync_due("w1", 10).await.unwrap();
    assert_eq!(outcomes.len(), 1);
    assert_eq!(outcomes[0].email, ERIN);

    // Not activated: 409; unknown user: 404; without the CSRF header: 403.
    let (status, _) = s
        .post(
            &op,
            &format!("/api/orgs/{org}/users"),
            json!({"email": "dave@contoso.test"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = s
        .post(
            &op,
            &format!("/api/orgs/{org}/users/dave@contoso.test:sync"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body.contains("not activated"), "{body}");
    let (status, _) = s
        .post(
            &op,
            &format!("/api/orgs/{org}/users/nobody@contoso.test:sync"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Only `:sync` is an action on a user.
    let (status, body) = s
        .post(
            &op,
            &format!("/api/orgs/{org}/users/{ERIN}:resync"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("no such endpoint"), "{body}");
    let r = s
        .client
        .post(s.url(&format!("/api/orgs/{org}/users/{ERIN}:sync")))
        .header("cookie", &op.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // Items: every synced item, filters, and bad parameters named.
    let items = format!("/api/orgs/{org}/users/{ALICE}/items");
    let (status, body) = get(&s, &op, &format!("{items}?limit=1000")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let listed: BTreeSet<(String, String)> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["folder"].as_str().unwrap().into(),
                i["item_id"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(listed, truth);
    assert_eq!(body["total"].as_u64(), Some(truth.len() as u64));
    let (_, body) = get(&s, &op, &format!("{items}?folder=inbox&limit=2&offset=1")).await;
    assert_eq!(body["total"].as_u64(), Some(inbox));
    assert_eq!(body["offset"], 1);
    let page = body["items"].as_array().unwrap();
    assert!(
        page.len() <= 2 && page.iter().all(|i| i["folder"] == "inbox"),
        "{body}"
    );
    let (_, body) = get(&s, &op, &format!("{items}?until=2000-01-01T00:00:00Z")).await;
    assert_eq!(body["total"], 0, "nothing predates 2000");
    let (_, body) = get(
        &s,
        &op,
        &format!("{items}?since=2000-01-01T00:00:00%2B02:00&folder=inbox"),
    )
    .await;
    assert_eq!(body["total"].as_u64(), Some(inbox));
    let sender = body["items"][0]["from"].as_str().unwrap().to_string();
    let (_, body) = get(&s, &op, &format!("{items}?from={sender}")).await;
    let from: Vec<_> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["from"].as_str())
        .collect();
    assert!(
        !from.is_empty() && from.iter().all(|f| *f == Some(sender.as_str())),
        "{body}"
    );
    for (query, field) in [
        ("since=yesterday", "since"),
        ("until=2026-13-01T00:00:00Z", "until"),
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("offset=-1", "offset"),
    ] {
        let (status, body) = get(&s, &op, &format!("{items}?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(body["field"], field, "{query}: {body}");
    }
    let (status, _) = get(
        &s,
        &op,
        &format!("/api/orgs/{org}/users/nobody@contoso.test/items"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Another organisation's admin sees none of it.
    let other = s.make_org("Fabrikam").await;
    let mallory = s.org_admin(&other, "mallory").await;
    for path in [
        format!("/api/orgs/{org}/mailboxes"),
        format!("/api/orgs/{org}/users/{ALICE}/sync"),
        format!("/api/orgs/{org}/users/{ALICE}/items"),
        format!("/api/orgs/{org}/changes"),
    ] {
        let (status, _) = get(&s, &mallory, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let (status, _) = s
        .post(
            &mallory,
            &format!("/api/orgs/{org}/users/{ALICE}:sync"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
backend_test!(sync_status_items_and_sync_now);

/// Reads the feed from `cursor` with pages of `limit`; the ids seen and the last cursor.
async fn read_feed(
    s: &Server,
    op: &Session,
    org: &str,
    mut cursor: String,
    limit: u32,
) -> (Vec<String>, String) {
    let mut ids = Vec::new();
    loop {
        let (status, page) = get(
            s,
            op,
            &format!("/api/orgs/{org}/changes?cursor={cursor}&limit={limit}"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let changes = page["changes"].as_array().unwrap();
        assert!(changes.len() <= limit as usize);
        for c in changes {
            let keys: BTreeSet<&str> = c.as_object().unwrap().keys().map(String::as_str).collect();
            assert_eq!(
                keys,
                BTreeSet::from([
                    "id",
                    "kind",
                    "user",
                    "user_id",
                    "folder",
                    "item_id",
                    "change_key",
                    "item",
                    "at"
                ])
            );
            ids.push(c["id"].as_str().unwrap().to_string());
        }
        let next = page["next_cursor"].as_str().unwrap().to_string();
        if changes.is_empty() {
            assert_eq!(next, cursor, "an empty page keeps the cursor");
            return (ids, cursor);
        }
        cursor = next;
    }
}

async fn change_feed_pages_deliver_every_change_once(db: &TestDb) {
    let s = start(db).await;
    let (sim, org, op) = synced_contoso(&s).await;
    let expected =
        sim_items(&s, &sim, &org, ALICE).await.len() + sim_items(&s, &sim, &org, BOB).await.len();

    let (ids, saved) = read_feed(&s, &op, &org, "0".into(), 7).await;
    assert_eq!(ids.len(), expected, "one created change per synced item");
    let numbers: Vec<i64> = ids.iter().map(|i| i.parse().unwrap()).collect();
    assert!(
        numbers.windows(2).all(|w| w[0] < w[1]),
        "commit order, no repeats"
    );
    let (all_at_once, _) = read_feed(&s, &op, &org, "0".into(), 1000).await;
    assert_eq!(all_at_once, ids);
    // Without a cursor the feed starts at the beginning, 100 at most.
    let (_, first) = get(&s, &op, &format!("/api/orgs/{org}/changes")).await;
    assert_eq!(
        first["changes"].as_array().unwrap().len(),
        expected.min(100)
    );
    assert_eq!(first["changes"][0]["id"], ids[0]);
    assert_eq!(first["changes"][0]["kind"], "created");

    // New mail arrives after the consumer stopped; resuming from its cursor misses nothing.
    for n in 0..3 {
        let r = s
            .client
            .post(format!(
                "http://{}/_sim/mailboxes/{BOB}/folders/inbox/items",
                sim.addr
            ))
            .json(&json!({"subject": format!("news {n}"), "from": ALICE}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
    }
    let r = s
        .send(
            &op,
            Method::POST,
            &format!("/api/orgs/{org}/users/{BOB}:sync"),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    s.state.engine().sync_due("w1", 10).await.unwrap();
    let (new, _) = read_feed(&s, &op, &org, saved.clone(), 2).await;
    assert_eq!(new.len(), 3, "{new:?}");
    let (again, _) = read_feed(&s, &op, &org, "0".into(), 5).await;
    assert_eq!(again, [ids, new].concat());

    for (query, field) in [
        ("cursor=abc", "cursor"),
        ("cursor=-1", "cursor"),
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=ten", "limit"),
    ] {
        let (status, body) = get(&s, &op, &format!("/api/orgs/{org}/changes?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(body["field"], field, "{query}: {body}");
    }
}
backend_test!(change_feed_pages_deliver_every_change_once);

/// The value of a sample line `name value` in a scrape.
fn sample(scrape: &str, name: &str) -> Option<f64> {
    scrape
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

async fn metrics_show_a_sync_for_operators_only(db: &TestDb) {
    let s = start(db).await;
    let (sim, org, op) = synced_contoso(&s).await;
    let synced =
        sim_items(&s, &sim, &org, ALICE).await.len() + sim_items(&s, &sim, &org, BOB).await.len();

    let (status, body) = s
        .post(&op, "/api/tokens", json!({"name": "prometheus"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let token: Value = serde_json::from_str(&body).unwrap();
    let r = s
        .client
        .get(s.url("/metrics"))
        .bearer_auth(token["token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let (status, kind) = (r.status(), r.headers()["content-type"].clone());
    assert_eq!(status, StatusCode::OK);
    assert!(
        kind.to_str()
            .unwrap()
            .starts_with("application/openmetrics-text"),
        "{kind:?}"
    );
    let scrape = r.text().await.unwrap();
    assert_eq!(
        sample(&scrape, "impersync_sync_items_total{kind=\"created\"}"),
        Some(synced as f64),
        "{scrape}"
    );
    assert_eq!(
        sample(&scrape, "impersync_syncs_total{result=\"ok\"}"),
        Some(2.0),
        "{scrape}"
    );
    assert_eq!(
        sample(&scrape, "impersync_syncs_total{result=\"failed\"}"),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &scrape,
            "impersync_sync_errors_total{outcome=\"ImpersonationDenied\"}"
        ),
        Some(1.0)
    );
    assert_eq!(sample(&scrape, "impersync_sync_backoffs_total"), Some(0.0));
    assert!(sample(&scrape, "impersync_sync_pages_total").unwrap() >= 2.0);
    assert_eq!(
        sample(&scrape, "impersync_mailboxes{state=\"needs_attention\"}"),
        Some(1.0)
    );
    assert_eq!(
        sample(&scrape, "impersync_mailboxes{state=\"idle\"}"),
        Some(2.0)
    );
    assert_eq!(
        sample(&scrape, "impersync_sync_queue_lag_seconds"),
        Some(0.0),
        "nothing due"
    );
    assert!(scrape.ends_with("# EOF\n"));

    // Queue lag: erin due again 0+ seconds ago and not claimed.
    let r = s
        .send(
            &op,
            Method::POST,
            &format!("/api/orgs/{org}/users/{ERIN}:sync"),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let (status, scrape) = text(s.send(&op, Method::GET, "/metrics", None).await).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        sample(&scrape, "impersync_sync_queue_lag_seconds").unwrap() > 0.0,
        "{scrape}"
    );

    // Not signed in: 401; an organisation's admin: 403.
    let r = s.client.get(s.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let org_admin = s.org_admin(&org, "carla").await;
    let (status, _) = text(s.send(&org_admin, Method::GET, "/metrics", None).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
backend_test!(metrics_show_a_sync_for_operators_only);
