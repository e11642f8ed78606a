//! Exactness of a synced store: every mailbox's stored items equal what the simulator
//! holds (`GET /_sim/mailboxes/{address}/items`), with no duplicate item or feed rows.

use crate::TestDb;
use impersync_exchange_sim::MailboxItems;
use sqlx::Row;
use std::collections::BTreeMap;

/// One item as compared: (folder, item id) → (change key, subject, read flag). The
/// simulator has a read flag for messages only; other items are compared without one.
pub type Contents = BTreeMap<(String, String), (String, String, Option<bool>)>;

/// What the simulator at `sim` (`http://HOST:PORT`) holds for `address`.
pub async fn sim_contents(sim: &str, address: &str) -> Contents {
    let url = format!("{sim}/_sim/mailboxes/{address}/items");
    let response = reqwest::get(&url).await.expect("the simulator answers");
    assert!(
        response.status().is_success(),
        "GET {url}: {}",
        response.status()
    );
    let text = response.text().await.expect("the simulator's body");
    let listed: MailboxItems = serde_json::from_str(&text).expect("the simulator's item list");
    listed
        .items
        .into_iter()
        .map(|i| {
            let value = (i.change_key, i.subject.unwrap_or_default(), i.is_read);
            ((i.folder, i.item_id), value)
        })
        .collect()
}

/// What the store holds for `address`, read straight from the table; panics on a
/// duplicate (folder, item id).
pub async fn stored_contents(db: &TestDb, address: &str) -> Contents {
    let pool = db.raw().await;
    let rows = sqlx::query(
        "SELECT i.folder, i.item_id, i.change_key, i.subject, i.is_read FROM items i \
         JOIN users u ON u.id = i.user_id WHERE u.email = $1",
    )
    .bind(address.to_string())
    .fetch_all(&pool)
    .await
    .expect("read the stored items");
    pool.close().await;
    let mut contents = Contents::new();
    for row in rows {
        let key = (
            row.get::<String, _>("folder"),
            row.get::<String, _>("item_id"),
        );
        let value = (
            row.get::<String, _>("change_key"),
            row.get::<String, _>("subject"),
            Some(row.get::<i64, _>("is_read") != 0),
        );
        assert!(
            contents.insert(key.clone(), value).is_none(),
            "{address}: item {key:?} is stored twice"
        );
    }
    contents
}

/// Which change-feed rows count as repeats of each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repeat {
    /// The same item, change key and kind.
    SameKind,
    /// The same item and change key, whatever the kind (stricter; right for an initial
    /// sync, where every row is `created`).
    AnyKind,
}

/// The change feed's groups of repeated rows: (item id, change key, rows); none in an
/// exact store.
pub async fn repeated_feed_rows(db: &TestDb, repeat: Repeat) -> Vec<(String, String, i64)> {
    let sql = match repeat {
        Repeat::SameKind => {
            "SELECT item_id, change_key, COUNT(*) AS n FROM change_feed \
             GROUP BY org_id, item_id, change_key, kind HAVING COUNT(*) > 1"
        }
        Repeat::AnyKind => {
            "SELECT item_id, change_key, COUNT(*) AS n FROM change_feed \
             GROUP BY org_id, item_id, change_key HAVING COUNT(*) > 1"
        }
    };
    let pool = db.raw().await;
    let rows = sqlx::query(sql)
        .fetch_all(&pool)
        .await
        .expect("read the change feed");
    pool.close().await;
    rows.iter()
        .map(|r| (r.get("item_id"), r.get("change_key"), r.get("n")))
        .collect()
}

/// Asserts that every mailbox of `addresses` is stored exactly as the simulator at `sim`
/// holds it, and that the change feed has no rows repeated as `repeat` says.
pub async fn assert_exact(db: &TestDb, sim: &str, addresses: &[String], repeat: Repeat) {
    for address in addresses {
        let truth = sim_contents(sim, address).await;
        assert!(!truth.is_empty(), "{address} has items in the simulator");
        let mut stored = stored_contents(db, address).await;
        for (key, (_, _, is_read)) in &truth {
            if let (None, Some(item)) = (is_read, stored.get_mut(key)) {
                item.2 = None;
            }
        }
        if stored != truth {
            let missing = truth.keys().filter(|k| !stored.contains_key(*k)).count();
            let extra = stored.keys().filter(|k| !truth.contains_key(*k)).count();
            let differ = truth
                .iter()
                .find(|(k, v)| stored.get(*k).is_some_and(|s| s != *v));
            panic!(
                "{address}: stored {} items, the simulator holds {}; {missing} missing, {extra} extra; \
                 first differing (simulator, stored): {:?}",
                stored.len(),
                truth.len(),
                differ.map(|(k, v)| (k, v, &stored[k]))
            );
        }
    }
    let duplicates = repeated_feed_rows(db, repeat).await;
    assert!(duplicates.is_empty(), "duplicate feed rows: {duplicates:?}");
}
