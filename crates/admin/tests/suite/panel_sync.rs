//! The panel's Sync tab: counts, the failing-share alert, the mailbox table with errors and
//! remedies, the state filter, "Sync now" over htmx with CSRF, and escaped hostile names.

use impersync_store::{NewUser, UserSelection};
use reqwest::StatusCode;

use crate::common::{TestDb, backend_test, start};
use crate::panel::operator;
use crate::sync_api::{ALICE, ERIN, synced_contoso};

async fn panel_sync_tab(db: &TestDb) {
    const NAME: &str = "<img src=x onerror=alert(1)>";
    let s = start(db).await;
    let (_sim, org, _) = synced_contoso(&s).await;
    let contoso = s.org_store(&org).await;
    let mallory = NewUser {
        email: "mallory@contoso.test".into(),
        display_name: NAME.into(),
        sync_enabled: false,
    };
    contoso.users().create(mallory).await.unwrap();
    contoso
        .users()
        .activate(
            &UserSelection::Emails(vec!["mallory@contoso.test".into()]),
            true,
        )
        .await
        .unwrap();
    let erin = contoso.users().get_by_email(ERIN).await.unwrap();

    let mut b = operator(&s).await;
    let (status, _, page) = b.get(&format!("/orgs/{org}/users")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(&format!("href=\"/orgs/{org}/sync\"")),
        "the tab is linked"
    );
    let sync = format!("/orgs/{org}/sync");
    let (status, _, page) = b.get(&sync).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("1 of 4 mailboxes fail"),
        "alert banner: {page}"
    );
    assert!(
        page.contains(ALICE) && page.contains("ImpersonationDenied"),
        "{page}"
    );
    assert!(page.contains("never"), "mallory never synced");
    assert!(!page.contains(NAME), "the name is escaped");
    assert!(
        page.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "{page}"
    );
    assert!(!page.contains("<script>"), "no inline script");

    let (_, _, page) = b.get(&format!("{sync}?state=needs_attention")).await;
    assert!(page.contains(ERIN) && !page.contains(ALICE), "{page}");
    let (status, _, _) = b.get(&format!("{sync}?state=bogus")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Sync now over htmx answers the row; a stale token changes nothing.
    let now = format!("{sync}/{}/now", erin.id);
    let r = b.htmx_post(&now, "stale-token", &[("state", "")]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let due = || async {
        contoso
            .mailboxes()
            .status(erin.id)
            .await
            .unwrap()
            .unwrap()
            .next_due_at
    };
    assert!(due().await.is_none());
    let r = b.htmx_post(&now, &b.csrf, &[("state", "")]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let row = r.text().await.unwrap();
    assert!(
        row.starts_with(&format!("<tr id=\"mailbox-{}\"", erin.id)),
        "{row}"
    );
    assert!(!row.contains("not scheduled"), "due now: {row}");
    assert!(due().await.is_some());

    // A plain form post comes back to the page with a message.
    let (status, location, _) = b
        .post(&now, &[("state", "needs_attention"), ("page", "1")])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, format!("{sync}?page=1&state=needs_attention"));
    let (_, _, page) = b.get(&location).await;
    assert!(page.contains("is due for sync now"), "{page}");
}
backend_test!(panel_sync_tab);
