//! Group commit: several mailboxes' pages and finishes in one call, a write whose lease is
//! lost refused alone, and the feed numbered without gaps across the group.

use crate::common::{TestDb, claim, contoso, inbox_page, message, operator, store_test, worker};
use impersync_store::{
    FeedCursor, ItemChange, PreparedPage, StoreError, SyncWrite, SyncWritten, now_millis,
};

fn page(items: &[&str]) -> PreparedPage {
    let changes = items
        .iter()
        .map(|id| ItemChange::Create(message(id, "ck1", "x@fabrikam.test", "a@contoso.test", 10)))
        .collect();
    PreparedPage::new(inbox_page("state-1", changes)).unwrap()
}

async fn a_group_commits_every_held_write_and_refuses_a_lost_one_alone(db: &TestDb) {
    let store = db.open().await;
    let emails = ["a@contoso.test", "b@contoso.test", "c@contoso.test"];
    let (org, users) = contoso(&store, &emails).await;
    let t0 = now_millis() + 1000;
    let mut leases = claim(&store, "w1", t0).await;
    leases.sort_by_key(|l| l.email.clone());
    // Every w1 lease expires and w2 takes them over; a and b are then written under w2's
    // leases, c under w1's stale one, which must not land.
    let mut taken = claim(&store, "w2", t0 + 31_000).await;
    assert_eq!(taken.len(), 3, "every w1 lease has expired by then");
    taken.sort_by_key(|l| l.email.clone());
    let stale_c = leases.remove(2);
    let (a, b) = (taken[0].clone(), taken[1].clone());
    let w = worker(&store);

    let writes = vec![
        SyncWrite::Page {
            lease: a.clone(),
            page: page(&["a1", "a2"]),
        },
        SyncWrite::Page {
            lease: stale_c.clone(),
            page: page(&["c1"]),
        },
        SyncWrite::Page {
            lease: b.clone(),
            page: page(&["b1"]),
        },
        SyncWrite::Finished {
            lease: a.clone(),
            next_due: t0 + 400_000,
            warning: None,
        },
        SyncWrite::Finished {
            lease: stale_c.clone(),
            next_due: t0 + 400_000,
            warning: None,
        },
    ];
    let results = w.commit(&writes, t0 + 32_000).await;
    assert_eq!(results.len(), 5);
    assert!(
        matches!(&results[0], Ok(SyncWritten::Page(r)) if r.created == 2),
        "{:?}",
        results[0]
    );
    assert!(
        matches!(&results[1], Err(StoreError::LeaseLost { .. })),
        "{:?}",
        results[1]
    );
    assert!(
        matches!(&results[2], Ok(SyncWritten::Page(r)) if r.created == 1),
        "{:?}",
        results[2]
    );
    assert!(
        matches!(&results[3], Ok(SyncWritten::Finished)),
        "{:?}",
        results[3]
    );
    assert!(
        matches!(&results[4], Err(StoreError::LeaseLost { .. })),
        "a stale lease cannot end w2's: {:?}",
        results[4]
    );

    let scope = store.org(&operator(), org).await.unwrap();
    let feed = scope
        .change_feed()
        .changes(FeedCursor::default(), 100)
        .await
        .unwrap();
    let mut ids: Vec<String> = feed.changes.iter().map(|c| c.item_id.clone()).collect();
    ids.sort();
    assert_eq!(ids, ["a1", "a2", "b1"], "c's page left nothing behind");
    let seqs: Vec<i64> = feed.changes.iter().map(|c| c.seq).collect();
    assert_eq!(seqs, [1, 2, 3], "one gapless numbering across the group");
    let status = scope.mailboxes().status(users[0]).await.unwrap().unwrap();
    assert_eq!(
        status.last_success_at,
        Some(t0 + 32_000),
        "a finished in the group"
    );
    // a's lease has ended: a second finish is refused; b's still holds.
    let again = w.commit(&writes[3..4], t0 + 33_000).await;
    assert!(
        matches!(&again[0], Err(StoreError::LeaseLost { .. })),
        "{:?}",
        again[0]
    );
    let b_done = SyncWrite::Finished {
        lease: b,
        next_due: t0 + 400_000,
        warning: None,
    };
    assert!(w.commit(&[b_done], t0 + 33_000).await[0].is_ok());
}
store_test!(a_group_commits_every_held_write_and_refuses_a_lost_one_alone);
