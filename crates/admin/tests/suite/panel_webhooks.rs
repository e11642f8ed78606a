//! The panel's Webhooks tab: adding (with the API's checks), the secret never shown, escaped
//! output, enable/disable, delete, recent attempts with their status, CSRF refusals that
//! change nothing, and another organisation's admin getting 404.

use reqwest::StatusCode;

use crate::common::{Server, TestDb, backend_test, start};
use crate::panel::{Browser, operator};
use crate::webhook_receiver;

const SECRET: &str = "Panel-Webhook-Secret-88k";

async fn hooks(server: &Server, org: &str) -> Vec<impersync_store::Webhook> {
    server.org_store(org).await.webhooks().list().await.unwrap()
}

async fn panel_manages_webhooks(db: &TestDb) {
    let server = start(db).await;
    let org = server.make_org("Contoso").await;
    let mut b = operator(&server).await;
    let page_path = format!("/orgs/{org}/webhooks");
    let (status, _, page) = b.get(&page_path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("No webhooks yet.") && page.contains("Add a webhook"),
        "{page}"
    );
    assert!(!page.contains("<script>"), "no inline scripts");

    // Refused input is shown on the form, naming the field; nothing is added.
    let (status, _, page) = b
        .post(
            &page_path,
            &[
                ("url", "http://hooks.contoso.com/<b>x</b>"),
                ("secret", SECRET),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("url: url is refused"), "{page}");
    assert!(
        page.contains("&lt;b&gt;x&lt;/b&gt;") && !page.contains("<b>x</b>"),
        "escaped"
    );
    assert!(!page.contains(SECRET), "the secret is not echoed");
    let (status, _, page) = b
        .post(
            &page_path,
            &[("url", "https://hooks.contoso.com/in"), ("secret", "short")],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("secret: "), "{page}");
    let (status, _, _) = b
        .post_raw(
            &page_path,
            &[("url", "https://hooks.contoso.com/in"), ("secret", SECRET)],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no CSRF token");
    assert!(
        hooks(&server, &org).await.is_empty(),
        "nothing half-written"
    );

    let url = "https://hooks.contoso.com/in?a=1&b=<2>";
    let (status, location, _) = b
        .post(&page_path, &[("url", url), ("secret", SECRET)])
        .await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, page_path.as_str())
    );
    let (_, _, page) = b.get(&page_path).await;
    let added = hooks(&server, &org).await;
    assert_eq!(added.len(), 1);
    let id = added[0].id;
    assert!(
        page.contains("enabled") && page.contains("Secret: set"),
        "{page}"
    );
    assert!(page.contains("No delivery attempts yet."));
    assert!(!page.contains(SECRET) && !page.contains("<2>"), "{page}");

    // Disable, enable, with the token only.
    let toggle = format!("{page_path}/{id}/enabled");
    let (status, _, _) = b.post_raw(&toggle, &[("enabled", "false")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(hooks(&server, &org).await[0].enabled);
    let (status, _, _) = b.post(&toggle, &[("enabled", "false")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(!hooks(&server, &org).await[0].enabled);
    let (_, _, page) = b.get(&page_path).await;
    assert!(
        page.contains("disabled") && page.contains(">Enable<"),
        "{page}"
    );

    // Another organisation's admin gets 404 for the page and the buttons.
    let other = server.make_org("Fabrikam").await;
    server.org_admin(&other, "fabrikam-admin").await;
    let mut stranger = Browser::new(&server);
    stranger.login("fabrikam-admin", "org-admin-pw").await;
    let (status, _, _) = stranger.get(&page_path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    stranger.get(&format!("/orgs/{other}/webhooks")).await;
    let (status, _, _) = stranger
        .post(&format!("{page_path}/{id}/delete"), &[])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(hooks(&server, &org).await.len(), 1);

    let (status, _, _) = b.post(&format!("{page_path}/{id}/delete"), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(hooks(&server, &org).await.is_empty());
}
backend_test!(panel_manages_webhooks);

async fn panel_shows_recent_attempts(db: &TestDb) {
    let server = start(db).await;
    let api = server.operator().await;
    let simulator = crate::sim::start(&[]).await;
    let org = server.make_org_with_domain("Contoso", "contoso.test").await;
    crate::sim::configure(
        &server,
        &api,
        &org,
        &simulator.ews_url(),
        crate::sim::PASSWORD,
    )
    .await;
    crate::sim::import(&server, &api, &org, &["alice@contoso.test".to_string()]).await;
    let (status, body) = server
        .post(
            &api,
            &format!("/api/orgs/{org}/users:activate"),
            serde_json::json!({"emails": ["alice@contoso.test"], "force": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let synced = server
        .state
        .engine()
        .sync_due("panel-test", 10)
        .await
        .unwrap();
    assert!(synced.len() == 1 && synced[0].result.is_ok(), "{synced:?}");
    let receiver = webhook_receiver::start(SECRET, &[503]).await;
    let mut b = operator(&server).await;
    let page_path = format!("/orgs/{org}/webhooks");
    b.get(&page_path).await;
    let (status, _, _) = b
        .post(&page_path, &[("url", &receiver.url), ("secret", SECRET)])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let now = impersync_store::now_millis();
    let engine = server.state.engine();
    assert_eq!(
        engine
            .deliver_webhooks_at("panel-test", now)
            .await
            .unwrap()
            .attempts
            .len(),
        1
    );
    let (_, _, page) = b.get(&page_path).await;
    assert!(
        page.contains("HTTP 503") && page.contains("failed"),
        "{page}"
    );
    assert!(page.contains("1 failed in a row"), "{page}");
    let round = engine
        .deliver_webhooks_at("panel-test", now + 60_000)
        .await
        .unwrap();
    assert_eq!(round.delivered(), 1);
    let (_, _, page) = b.get(&page_path).await;
    assert!(
        page.contains("HTTP 200") && page.contains("delivered"),
        "{page}"
    );
    assert!(!page.contains(SECRET));
}
backend_test!(panel_shows_recent_attempts);
