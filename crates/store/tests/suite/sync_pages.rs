//! Committing pages: all four change kinds, replays, a lost lease, and reconciliation.

use crate::common::{TestDb, claim, claimed_mailbox, inbox_page, message, store_test, worker};
use impersync_store::{
    FeedCursor, FeedKind, ItemChange, ItemFilter, OrgStore, PageReport, PageRequest, StoreError,
    UserId,
};

async fn item_ids(scope: &OrgStore<'_>, user: UserId) -> Vec<(String, String, bool)> {
    let mut items: Vec<_> = scope
        .items()
        .list(user, &ItemFilter::default(), PageRequest::first(100))
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|i| (i.data.item_id, i.data.change_key, i.data.is_read))
        .collect();
    items.sort();
    items
}

async fn feed(scope: &OrgStore<'_>) -> Vec<(FeedKind, String, String)> {
    scope
        .change_feed()
        .changes(FeedCursor::default(), 1000)
        .await
        .unwrap()
        .changes
        .into_iter()
        .map(|c| (c.kind, c.item_id, c.change_key))
        .collect()
}

async fn pages_apply_every_kind_once_even_when_replayed(db: &TestDb) {
    let store = db.open().await;
    let (scope, user, lease, now) = claimed_mailbox(&store).await;
    let w = worker(&store);

    let first = inbox_page(
        "state-1",
        vec![
            ItemChange::Create(message(
                "i1",
                "ck1",
                "x@fabrikam.test",
                "a@contoso.test",
                10,
            )),
            ItemChange::Create(message(
                "i2",
                "ck1",
                "y@fabrikam.test",
                "a@contoso.test",
                20,
            )),
            ItemChange::Create(message(
                "i3",
                "ck1",
                "z@fabrikam.test",
                "a@contoso.test",
                30,
            )),
        ],
    );
    let report = w.apply_page(&lease, &first, now).await.unwrap();
    assert_eq!((report.created, report.feed_rows), (3, 3));
    // The same page again (a crash after the commit but before the worker noticed): no change.
    let replay = w.apply_page(&lease, &first, now + 1).await.unwrap();
    assert_eq!(
        replay,
        PageReport {
            unchanged: 3,
            ..PageReport::default()
        }
    );

    let second = inbox_page(
        "state-2",
        vec![
            ItemChange::Update(message(
                "i1",
                "ck2",
                "x@fabrikam.test",
                "a@contoso.test",
                10,
            )),
            ItemChange::Delete {
                item_id: "i2".into(),
            },
            ItemChange::ReadFlag {
                item_id: "i3".into(),
                change_key: "ck2".into(),
                is_read: true,
            },
        ],
    );
    let report = w.apply_page(&lease, &second, now + 2).await.unwrap();
    assert_eq!(
        (
            report.updated,
            report.deleted,
            report.read_flags,
            report.feed_rows
        ),
        (1, 1, 1, 3)
    );
    assert_eq!(
        w.apply_page(&lease, &second, now + 3)
            .await
            .unwrap()
            .feed_rows,
        0
    );
    // A resync reports the surviving items as new again: nothing changes.
    let resync = inbox_page(
        "state-r",
        vec![ItemChange::Create(message(
            "i1",
            "ck2",
            "x@fabrikam.test",
            "a@contoso.test",
            10,
        ))],
    );
    assert_eq!(
        w.apply_page(&lease, &resync, now + 4)
            .await
            .unwrap()
            .unchanged,
        1
    );

    assert_eq!(
        item_ids(&scope, user).await,
        [
            ("i1".into(), "ck2".into(), false),
            ("i3".into(), "ck2".into(), true)
        ]
    );
    let expected: Vec<(FeedKind, String, String)> = [
        (FeedKind::Created, "i1", "ck1"),
        (FeedKind::Created, "i2", "ck1"),
        (FeedKind::Created, "i3", "ck1"),
        (FeedKind::Updated, "i1", "ck2"),
        (FeedKind::Deleted, "i2", "ck1"),
        (FeedKind::ReadFlag, "i3", "ck2"),
    ]
    .into_iter()
    .map(|(k, i, c)| (k, i.to_string(), c.to_string()))
    .collect();
    assert_eq!(feed(&scope).await, expected);
    let all = scope
        .change_feed()
        .changes(FeedCursor::default(), 10)
        .await
        .unwrap();
    assert_eq!(
        all.changes[5].payload,
        serde_json::json!({ "is_read": true })
    );
    assert_eq!(all.changes[3].payload["subject"], "subject of i1");
    assert_eq!(all.changes[0].user_email, "a@contoso.test");
    // Marking it unread and read again gives a row each time, with the item's new change
    // key; replaying the page gives none.
    for (i, read) in [false, true].into_iter().enumerate() {
        let page = inbox_page(
            "s",
            vec![ItemChange::ReadFlag {
                item_id: "i3".into(),
                change_key: format!("ck{}", 3 + i),
                is_read: read,
            }],
        );
        let at = now + 10 + 2 * i as i64;
        assert_eq!(w.apply_page(&lease, &page, at).await.unwrap().read_flags, 1);
        assert_eq!(
            w.apply_page(&lease, &page, at + 1).await.unwrap(),
            PageReport {
                unchanged: 1,
                ..PageReport::default()
            }
        );
    }
    let rows = feed(&scope).await;
    assert_eq!(rows.len(), 8);
    assert_eq!(rows[7], (FeedKind::ReadFlag, "i3".into(), "ck4".into()));
    assert_eq!(
        item_ids(&scope, user).await[1],
        ("i3".into(), "ck4".into(), true)
    );

    let states = w.folder_states(user).await.unwrap();
    assert_eq!(states.len(), 1);
    assert_eq!(
        (states[0].sync_state.as_str(), states[0].folder_id.as_str()),
        ("s", "AAMkInbox")
    );
    assert!(states[0].includes_last_item);
}
store_test!(pages_apply_every_kind_once_even_when_replayed);

async fn a_lost_lease_writes_nothing(db: &TestDb) {
    let store = db.open().await;
    let (scope, user, lease, t0) = claimed_mailbox(&store).await;
    let w = worker(&store);
    let page = inbox_page(
        "state-1",
        vec![ItemChange::Create(message(
            "i1",
            "ck1",
            "x@fabrikam.test",
            "a@contoso.test",
            10,
        ))],
    );
    // Expired (not yet taken over), then taken over by w2: refused both times.
    let expired = w.apply_page(&lease, &page, t0 + 30_000).await;
    assert!(
        matches!(expired, Err(StoreError::LeaseLost { .. })),
        "{expired:?}"
    );
    let taken = claim(&store, "w2", t0 + 31_000).await.remove(0);
    let lost = w.apply_page(&lease, &page, t0 + 31_001).await;
    assert!(
        matches!(lost, Err(StoreError::LeaseLost { .. })),
        "{lost:?}"
    );
    assert!(matches!(
        w.reconcile(&lease, "inbox", &[], t0 + 31_002).await,
        Err(StoreError::LeaseLost { .. })
    ));
    // A page without a folder, a change without an item id or a read-flag change without
    // a change key is refused before anything.
    let mut nameless = page.clone();
    nameless.folder = " ".into();
    let err = w
        .apply_page(&taken, &nameless, t0 + 31_002)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Invalid(m) if m.starts_with("folder:")),
        "{err}"
    );
    let mut no_id = page.clone();
    no_id.changes.push(ItemChange::Delete {
        item_id: String::new(),
    });
    let err = w.apply_page(&taken, &no_id, t0 + 31_002).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::Invalid(m) if m.starts_with("changes[1].item_id")),
        "{err}"
    );
    let mut no_key = page.clone();
    no_key.changes.push(ItemChange::ReadFlag {
        item_id: "i1".into(),
        change_key: " ".into(),
        is_read: true,
    });
    let err = w
        .apply_page(&taken, &no_key, t0 + 31_002)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Invalid(m) if m.starts_with("changes[1].change_key")),
        "{err}"
    );
    assert!(item_ids(&scope, user).await.is_empty());
    assert!(feed(&scope).await.is_empty());
    assert!(w.folder_states(user).await.unwrap().is_empty());
    // The new holder's page is written.
    assert_eq!(
        w.apply_page(&taken, &page, t0 + 31_003)
            .await
            .unwrap()
            .created,
        1
    );
}
store_test!(a_lost_lease_writes_nothing);

async fn reconcile_deletes_exactly_the_vanished_items(db: &TestDb) {
    let store = db.open().await;
    let (scope, user, lease, now) = claimed_mailbox(&store).await;
    let w = worker(&store);
    let changes = (1..=4)
        .map(|n| {
            ItemChange::Create(message(
                &format!("i{n}"),
                "ck1",
                "x@f.test",
                "a@contoso.test",
                n,
            ))
        })
        .collect();
    w.apply_page(&lease, &inbox_page("s1", changes), now)
        .await
        .unwrap();
    let mut calendar = inbox_page(
        "c1",
        vec![ItemChange::Create(message(
            "c1",
            "ck1",
            "x@f.test",
            "a@contoso.test",
            5,
        ))],
    );
    calendar.folder = "calendar".into();
    w.apply_page(&lease, &calendar, now).await.unwrap();

    let seen = ["i1".to_string(), "i3".to_string()];
    assert_eq!(
        w.reconcile(&lease, "inbox", &seen, now + 1).await.unwrap(),
        2
    );
    assert_eq!(
        w.reconcile(&lease, "inbox", &seen, now + 2).await.unwrap(),
        0
    );
    let left: Vec<String> = item_ids(&scope, user)
        .await
        .into_iter()
        .map(|i| i.0)
        .collect();
    assert_eq!(left, ["c1", "i1", "i3"], "other folders are untouched");
    let deleted: Vec<String> = feed(&scope)
        .await
        .into_iter()
        .filter(|c| c.0 == FeedKind::Deleted)
        .map(|c| c.1)
        .collect();
    assert_eq!(deleted, ["i2", "i4"]);
}
store_test!(reconcile_deletes_exactly_the_vanished_items);

/// A page larger than one statement's rows (items and feed rows are written many to a
/// statement) stores every item and numbers its feed rows without gaps; its replay
/// appends nothing.
async fn a_large_page_is_written_whole_and_numbered_without_gaps(db: &TestDb) {
    let store = db.open().await;
    let (scope, user, lease, now) = claimed_mailbox(&store).await;
    let w = worker(&store);
    let changes: Vec<ItemChange> = (0..600)
        .map(|n| {
            ItemChange::Create(message(
                &format!("big{n:04}"),
                "ck1",
                "X@Fabrikam.test",
                "a@contoso.test",
                n,
            ))
        })
        .collect();
    let page = inbox_page("state-big", changes);
    let report = w.apply_page(&lease, &page, now).await.unwrap();
    assert_eq!((report.created, report.feed_rows), (600, 600));
    let replay = w.apply_page(&lease, &page, now + 1).await.unwrap();
    assert_eq!((replay.unchanged, replay.feed_rows), (600, 0));

    let total = scope
        .items()
        .list(user, &ItemFilter::default(), PageRequest::first(1))
        .await
        .unwrap()
        .total;
    assert_eq!(total, 600);
    let rows = scope
        .change_feed()
        .changes(FeedCursor::default(), 1000)
        .await
        .unwrap()
        .changes;
    let seqs: Vec<i64> = rows.iter().map(|c| c.seq).collect();
    assert_eq!(seqs, (1..=600).collect::<Vec<i64>>());
    let ids: Vec<&str> = rows.iter().map(|c| c.item_id.as_str()).collect();
    let expected: Vec<String> = (0..600).map(|n| format!("big{n:04}")).collect();
    assert_eq!(ids, expected, "feed rows keep the page's order");
    let from = rows[0].payload["from"].as_str();
    assert_eq!(
        from,
        Some("x@fabrikam.test"),
        "addresses are stored normalised"
    );
}
store_test!(a_large_page_is_written_whole_and_numbered_without_gaps);

/// Several changes of one item in one page end as they would one after another.
async fn changes_of_one_item_in_a_page_apply_in_order(db: &TestDb) {
    let store = db.open().await;
    let (scope, user, lease, now) = claimed_mailbox(&store).await;
    let w = worker(&store);
    let page = inbox_page(
        "state-1",
        vec![
            ItemChange::Create(message("k1", "ck1", "x@f.test", "a@contoso.test", 1)),
            ItemChange::ReadFlag {
                item_id: "k1".into(),
                change_key: "ck1-read".into(),
                is_read: true,
            },
            ItemChange::Update(message("k1", "ck2", "x@f.test", "a@contoso.test", 1)),
            ItemChange::Create(message("k2", "ck1", "x@f.test", "a@contoso.test", 2)),
            ItemChange::Delete {
                item_id: "k2".into(),
            },
        ],
    );
    let report = w.apply_page(&lease, &page, now).await.unwrap();
    assert_eq!(
        (
            report.created,
            report.read_flags,
            report.updated,
            report.deleted
        ),
        (2, 1, 1, 1)
    );
    let items = item_ids(&scope, user).await;
    let k1_read = message("k1", "ck2", "x@f.test", "a@contoso.test", 1).is_read;
    assert_eq!(items, [("k1".to_string(), "ck2".to_string(), k1_read)]);
    let kinds: Vec<FeedKind> = feed(&scope).await.into_iter().map(|c| c.0).collect();
    assert_eq!(
        kinds,
        [
            FeedKind::Created,
            FeedKind::ReadFlag,
            FeedKind::Updated,
            FeedKind::Created,
            FeedKind::Deleted
        ]
    );
}
store_test!(changes_of_one_item_in_a_page_apply_in_order);
