//! The room directory through the API and the panel, against the real simulator: rooms read
//! through the service account's own mailbox, a mailbox-less service account's message with
//! its remedy, hostile room names escaped, CSRF, and tenant isolation.

use impersync_exchange_sim::scenario::{RoomListSpec, RoomSpec};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Server, Session, TestDb, backend_test, start, text};
use crate::panel::{Browser, operator};
use crate::sim;

/// Saves a lab configuration for `logon` at the simulator.
async fn configure(s: &Server, session: &Session, org: &str, ews_url: &str, logon: &str, pw: &str) {
    let r = s
        .send(
            session,
            Method::PUT,
            &format!("/api/orgs/{org}/email-config"),
            Some(json!({
                "access_type": "ExchangeImpersonation",
                "logon": logon,
                "password": pw,
                "ews_url": ews_url,
                "lab": true,
            })),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}

async fn json_of(r: reqwest::Response) -> (StatusCode, Value) {
    let (status, body) = text(r).await;
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

async fn api_rooms_synced_and_tenant_scoped(db: &TestDb) {
    let server = start(db).await;
    let sim = sim::start(&[]).await;
    let api = server.operator().await;
    let contoso = server.make_org("Contoso").await;
    let fabrikam = server.make_org("Fabrikam").await;
    configure(
        &server,
        &api,
        &contoso,
        &sim.ews_url(),
        sim::LOGON,
        sim::PASSWORD,
    )
    .await;

    // Nothing read yet.
    let path = format!("/api/orgs/{contoso}/rooms");
    let (status, body) = json_of(server.send(&api, Method::GET, &path, None).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["lists"], json!([]));
    assert_eq!(body["refreshed_at"], Value::Null);

    // A refresh reads them through the service account's mailbox.
    let refresh = format!("/api/orgs/{contoso}/rooms:refresh");
    let (status, body) = json_of(server.send(&api, Method::POST, &refresh, None).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["error"], Value::Null);
    assert_eq!(
        body["lists"],
        json!([{
            "address": "AllRooms@contoso.test",
            "name": "All Rooms",
            "rooms": [
                {"address": "Room-1@contoso.test", "name": "Room 1"},
                {"address": "Room-2@contoso.test", "name": "Room 2"},
            ],
        }])
    );
    assert!(body["refreshed_at"].is_i64());
    let (_, stored) = json_of(server.send(&api, Method::GET, &path, None).await).await;
    assert_eq!(stored, body);
    let (_, audit) = text(server.send(&api, Method::GET, "/api/audit", None).await).await;
    assert!(audit.contains("rooms.refreshed"), "{audit}");

    // A cookie session without the CSRF header may not refresh.
    let r = server
        .client
        .post(server.url(&refresh))
        .header("cookie", &api.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // Fabrikam's admin sees neither Contoso's rooms nor may refresh them; their own are empty.
    let other = server.org_admin(&fabrikam, "fabrikam-admin").await;
    for (method, p) in [(Method::GET, &path), (Method::POST, &refresh)] {
        let r = server.send(&other, method, p, None).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
    }
    let own = format!("/api/orgs/{fabrikam}/rooms");
    let (status, body) = json_of(server.send(&other, Method::GET, &own, None).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["lists"], json!([]));
    // Without a configuration the refresh says what is missing.
    let (status, body) = json_of(
        server
            .send(&other, Method::POST, &format!("{own}:refresh"), None)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["error"]["outcome"], "ConfigurationInvalid");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no email configuration"),
        "{body}"
    );
    // Contoso's directory is untouched.
    let (_, after) = json_of(server.send(&api, Method::GET, &path, None).await).await;
    assert_eq!(after, stored);
    let mut b = Browser::new(&server);
    b.login("fabrikam-admin", "org-admin-pw").await;
    let (status, _, _) = b.get(&format!("/orgs/{contoso}/rooms")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
backend_test!(api_rooms_synced_and_tenant_scoped);

async fn mailbox_less_service_account_gets_the_remedy(db: &TestDb) {
    let server = start(db).await;
    let sim = sim::start(&[]).await;
    let api = server.operator().await;
    let org = server.make_org("Contoso").await;
    configure(
        &server,
        &api,
        &org,
        &sim.ews_url(),
        "NoMailboxSvc@contoso.test",
        "Demo-NoMailbox-1",
    )
    .await;
    let refresh = format!("/api/orgs/{org}/rooms:refresh");
    let (status, body) = json_of(server.send(&api, Method::POST, &refresh, None).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["lists"], json!([]));
    assert_eq!(body["error"]["outcome"], "NoMailbox");
    assert_eq!(body["error"]["code"], "ErrorNonExistentMailbox");
    let remedy = body["error"]["remedy"].as_str().unwrap();
    assert!(remedy.contains("Give the service account a mailbox of its own"));
    assert!(remedy.contains("license"));
    // The answer holds no secret.
    assert!(!body.to_string().contains("Demo-NoMailbox-1"));

    let mut b = operator(&server).await;
    let (status, _, page) = b.get(&format!("/orgs/{org}/rooms")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("The service account has no mailbox of its own"),
        "{page}"
    );
    assert!(page.contains("Give the service account a mailbox of its own"));
    assert!(page.contains("Mailbox sync is not affected."));
}
backend_test!(mailbox_less_service_account_gets_the_remedy);

async fn panel_rooms_escape_hostile_names(db: &TestDb) {
    let server = start(db).await;
    let sim = sim::start(&[]).await;
    sim.sim.write().room_lists.push(RoomListSpec {
        address: "evil@contoso.test".into(),
        name: "<script>alert('list')</script>".into(),
        rooms: vec![RoomSpec {
            address: "room\"><img src=x onerror=alert(1)>@contoso.test".into(),
            name: "<b onmouseover=alert(2)>Board</b> & Co".into(),
        }],
    });
    let api = server.operator().await;
    let org = server.make_org("Contoso").await;
    configure(
        &server,
        &api,
        &org,
        &sim.ews_url(),
        sim::LOGON,
        sim::PASSWORD,
    )
    .await;

    let mut b = operator(&server).await;
    let rooms = format!("/orgs/{org}/rooms");
    let (_, _, page) = b.get(&rooms).await;
    assert!(page.contains("Not read from Exchange yet."), "{page}");
    // A post without the CSRF token refreshes nothing.
    let (status, _, _) = b.post_raw(&rooms, &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, location, _) = b.post(&rooms, &[]).await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, rooms.as_str())
    );
    let (_, _, page) = b.get(&rooms).await;
    assert!(page.contains("Rooms refreshed: 2 room list(s)."), "{page}");
    assert!(page.contains("Room-1@contoso.test") && page.contains("All Rooms"));
    assert!(
        page.contains("&lt;script&gt;alert('list')&lt;/script&gt;"),
        "{page}"
    );
    assert!(page.contains("&lt;b onmouseover=alert(2)&gt;Board&lt;/b&gt; &amp; Co"));
    assert!(page.contains("room&quot;&gt;&lt;img src=x onerror=alert(1)&gt;@contoso.test"));
    assert!(!page.contains("<script>alert"));
    assert!(!page.contains("<img src=x"));
    assert!(!page.contains("<b onmouseover"));
}
backend_test!(panel_rooms_escape_hostile_names);
