//! Reading the change feed with a cursor (also while a worker appends), tenant isolation,
//! and the item filters.

use crate::common::{
    TestDb, claim, claimed_mailbox, contoso, inbox_page, message, operator, org_admin, store_test,
    sync_org, worker,
};
use impersync_store::{
    FeedCursor, ItemChange, ItemData, ItemFilter, ItemKind, PageRequest, now_millis,
};

const PAGES: usize = 40;

fn page_of(n: usize) -> Vec<ItemChange> {
    (0..3)
        .map(|k| {
            ItemChange::Create(message(
                &format!("p{n}-{k}"),
                "ck",
                "x@f.test",
                "a@contoso.test",
                1,
            ))
        })
        .collect()
}

async fn the_cursor_returns_every_row_once_in_order_while_pages_are_appended(db: &TestDb) {
    let store = db.open().await;
    let (org, _) = contoso(&store, &["a@contoso.test", "b@contoso.test"]).await;
    let now = now_millis() + 1000;
    let leases = claim(&store, "w1", now).await;
    assert_eq!(leases.len(), 2);

    // Two writers (one per mailbox of the organisation) append while a reader follows.
    let writers: Vec<_> = leases
        .into_iter()
        .map(|lease| {
            let store = store.clone();
            tokio::spawn(async move {
                let w = worker(&store);
                for n in 0..PAGES {
                    let mut page = inbox_page(&format!("s{n}"), page_of(n));
                    for change in &mut page.changes {
                        if let ItemChange::Create(data) = change {
                            data.item_id = format!("{}-{}", lease.email, data.item_id);
                        }
                    }
                    w.apply_page(&lease, &page, now + n as i64).await.unwrap();
                }
            })
        })
        .collect();
    let scope = store.org(&operator(), org).await.unwrap();
    let mut cursor = FeedCursor::default();
    let mut seen = Vec::new();
    let expected = 2 * PAGES * 3;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while seen.len() < expected {
        assert!(
            std::time::Instant::now() < deadline,
            "read only {} rows",
            seen.len()
        );
        let page = scope.change_feed().changes(cursor, 7).await.unwrap();
        if page.changes.is_empty() {
            assert_eq!(page.next_cursor, cursor);
            tokio::task::yield_now().await;
        }
        seen.extend(page.changes.iter().map(|c| (c.seq, c.item_id.clone())));
        cursor = page.next_cursor;
    }
    for writer in writers {
        writer.await.unwrap();
    }
    assert!(
        scope
            .change_feed()
            .changes(cursor, 100)
            .await
            .unwrap()
            .changes
            .is_empty()
    );
    let seqs: Vec<i64> = seen.iter().map(|s| s.0).collect();
    assert_eq!(
        seqs,
        (1..=expected as i64).collect::<Vec<_>>(),
        "in order, no gap, no repeat"
    );
    let mut ids: Vec<&String> = seen.iter().map(|s| &s.1).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), expected);
    // Each page's rows are contiguous: a page commits as a whole.
    for chunk in seen.chunks(3) {
        let prefix = |id: &str| id.rsplit_once('-').map(|(p, _)| p.to_string());
        assert!(
            chunk.iter().all(|c| prefix(&c.1) == prefix(&chunk[0].1)),
            "{chunk:?}"
        );
    }
}
store_test!(the_cursor_returns_every_row_once_in_order_while_pages_are_appended);

async fn another_organisation_cannot_read_the_feed_or_the_items(db: &TestDb) {
    let store = db.open().await;
    let (contoso, users) = contoso(&store, &["a@contoso.test"]).await;
    let (fabrikam, _) = sync_org(
        &store,
        "Fabrikam",
        "fabrikam.test",
        &["f@fabrikam.test"],
        true,
    )
    .await;
    let now = now_millis() + 1000;
    for lease in claim(&store, "w1", now).await {
        let page = inbox_page(
            "s",
            vec![ItemChange::Create(message(
                &format!("{}-1", lease.email),
                "ck",
                "x@f.test",
                &lease.email,
                1,
            ))],
        );
        worker(&store).apply_page(&lease, &page, now).await.unwrap();
    }
    let intruder = org_admin(fabrikam);
    assert!(
        store
            .org(&intruder, contoso)
            .await
            .unwrap_err()
            .is_not_found()
    );
    // Fabrikam's own handle sees only its own row, and nothing of a Contoso user.
    let own = store.org(&intruder, fabrikam).await.unwrap();
    let rows = own
        .change_feed()
        .changes(FeedCursor::default(), 100)
        .await
        .unwrap()
        .changes;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].user_email, "f@fabrikam.test");
    let items = own
        .items()
        .list(users[0], &ItemFilter::default(), PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(items.total, 0);
    let admin = store.org(&org_admin(contoso), contoso).await.unwrap();
    let items = admin
        .items()
        .list(users[0], &ItemFilter::default(), PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(items.total, 1);
}
store_test!(another_organisation_cannot_read_the_feed_or_the_items);

fn meeting(item_id: &str, start_at: i64) -> ItemData {
    ItemData {
        kind: ItemKind::CalendarItem,
        item_class: "IPM.Appointment".into(),
        received_at: None,
        start_at: Some(start_at),
        from: None,
        to: vec![],
        ..message(item_id, "ck", "", "", 0)
    }
}

async fn items_filter_by_folder_time_and_address_and_page(db: &TestDb) {
    let store = db.open().await;
    let (scope, user, lease, now) = claimed_mailbox(&store).await;
    let w = worker(&store);
    let inbox = vec![
        ItemChange::Create(message(
            "m1",
            "ck",
            "Boss@Contoso.test",
            "a@contoso.test",
            100,
        )),
        ItemChange::Create(message(
            "m2",
            "ck",
            "x_y@fabrikam.test",
            "a@contoso.test",
            200,
        )),
        ItemChange::Create(message(
            "m3",
            "ck",
            "boss@contoso.test",
            "team@contoso.test",
            300,
        )),
    ];
    w.apply_page(&lease, &inbox_page("s", inbox), now)
        .await
        .unwrap();
    let mut calendar = inbox_page("c", vec![ItemChange::Create(meeting("e1", 250))]);
    calendar.folder = "calendar".into();
    w.apply_page(&lease, &calendar, now).await.unwrap();

    let list = |filter: ItemFilter, page: PageRequest| {
        let scope = scope.clone();
        async move {
            let page = scope.items().list(user, &filter, page).await.unwrap();
            (
                page.total,
                page.items
                    .into_iter()
                    .map(|i| i.data.item_id)
                    .collect::<Vec<_>>(),
            )
        }
    };
    let all = PageRequest::first(10);
    assert_eq!(
        list(ItemFilter::default(), all).await,
        (4, vec!["m3".into(), "e1".into(), "m2".into(), "m1".into()])
    );
    assert_eq!(
        list(ItemFilter::default(), PageRequest::new(1, 2)).await,
        (4, vec!["e1".into(), "m2".into()])
    );
    let folder = ItemFilter {
        folder: Some("calendar".into()),
        ..ItemFilter::default()
    };
    assert_eq!(list(folder, all).await.1, ["e1"]);
    let range = ItemFilter {
        since: Some(200),
        until: Some(300),
        ..ItemFilter::default()
    };
    assert_eq!(list(range, all).await.1, ["e1", "m2"]);
    let from = ItemFilter {
        from: Some("BOSS@contoso.test".into()),
        ..ItemFilter::default()
    };
    assert_eq!(list(from, all).await.1, ["m3", "m1"]);
    let to = ItemFilter {
        to: Some("team@contoso.test".into()),
        ..ItemFilter::default()
    };
    assert_eq!(list(to, all).await.1, ["m3"]);
    // `_` is not a wildcard, and a part of an address does not match.
    let part = ItemFilter {
        to: Some("contoso.test".into()),
        ..ItemFilter::default()
    };
    assert_eq!(list(part, all).await.0, 0);
    let underscore = ItemFilter {
        from: Some("x%y@fabrikam.test".into()),
        ..ItemFilter::default()
    };
    assert_eq!(list(underscore, all).await.0, 0);
    let item = scope
        .items()
        .list(user, &ItemFilter::default(), PageRequest::first(1))
        .await
        .unwrap()
        .items
        .remove(0);
    assert_eq!(item.data.properties, serde_json::json!({ "size": 1234 }));
    assert_eq!(item.data.to, ["team@contoso.test"]);
}
store_test!(items_filter_by_folder_time_and_address_and_page);
