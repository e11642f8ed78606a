//! Exactness: a synced copy compared with what the simulator holds
//! (`GET /_sim/mailboxes/{address}/items`), and the change feed checked for duplicates.

use super::SimServer;
use impersync_store::{FeedChange, FeedCursor, Item, ItemFilter, ItemKind, OrgStore, PageRequest};
use std::collections::{BTreeMap, BTreeSet};

/// What the comparison looks at for one item.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ItemState {
    /// The folder's distinguished name.
    pub folder: String,
    /// The change key.
    pub change_key: String,
    /// The subject.
    pub subject: String,
    /// The read flag (messages only).
    pub is_read: Option<bool>,
}

/// A mailbox's items by item id.
pub type Snapshot = BTreeMap<String, ItemState>;

impl SimServer {
    /// The live items of `address` in `folders`, as the simulator holds them.
    pub async fn snapshot(&self, address: &str, folders: &[&str]) -> Snapshot {
        let path = format!("/mailboxes/{address}/items");
        let (status, contents) = self.control(reqwest::Method::GET, &path, None).await;
        assert_eq!(status, 200, "{contents}");
        let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
        contents["items"]
            .as_array()
            .expect("a list of items")
            .iter()
            .filter(|i| folders.contains(&i["folder"].as_str().unwrap_or_default()))
            .map(|i| {
                let state = ItemState {
                    folder: text(&i["folder"]),
                    change_key: text(&i["change_key"]),
                    subject: text(&i["subject"]),
                    is_read: i["is_read"].as_bool(),
                };
                (text(&i["item_id"]), state)
            })
            .collect()
    }
}

/// Every stored item of a mailbox, read page by page.
pub async fn stored_items(scope: &OrgStore<'_>, email: &str) -> Vec<Item> {
    let user = scope.users().get_by_email(email).await.unwrap();
    let mut items = Vec::new();
    loop {
        let page = PageRequest {
            offset: items.len() as u64,
            limit: 500,
        };
        let page = scope
            .items()
            .list(user.id, &ItemFilter::default(), page)
            .await
            .unwrap();
        let done = page.items.is_empty();
        items.extend(page.items);
        if done || items.len() as u64 >= page.total {
            return items;
        }
    }
}

/// The stored items of a mailbox, as a snapshot.
pub async fn stored_snapshot(scope: &OrgStore<'_>, email: &str) -> Snapshot {
    stored_items(scope, email)
        .await
        .into_iter()
        .map(|i| {
            let state = ItemState {
                folder: i.folder,
                change_key: i.data.change_key,
                subject: i.data.subject,
                is_read: (i.data.kind == ItemKind::Message).then_some(i.data.is_read),
            };
            (i.data.item_id, state)
        })
        .collect()
}

/// Asserts that the store holds exactly the simulator's items of `email` in `folders`.
pub async fn assert_exact(sim: &SimServer, scope: &OrgStore<'_>, email: &str, folders: &[&str]) {
    let truth = sim.snapshot(email, folders).await;
    assert!(!truth.is_empty(), "{email} has items in {folders:?}");
    let stored = stored_snapshot(scope, email).await;
    if stored != truth {
        let differ: Vec<_> = truth
            .keys()
            .chain(stored.keys())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .filter(|id| truth.get(*id) != stored.get(*id))
            .map(|id| (id, truth.get(id), stored.get(id)))
            .take(10)
            .collect();
        panic!(
            "{email}: {} stored, {} in the simulator; first differences (id, simulator, store): {differ:#?}",
            stored.len(),
            truth.len()
        );
    }
}

/// Every feed row after `cursor`, read page by page.
pub async fn feed_rows(scope: &OrgStore<'_>, mut cursor: i64) -> Vec<FeedChange> {
    let mut rows = Vec::new();
    loop {
        let page = scope
            .change_feed()
            .changes(FeedCursor(cursor), 500)
            .await
            .unwrap();
        if page.changes.is_empty() {
            return rows;
        }
        cursor = page.next_cursor.0;
        rows.extend(page.changes);
    }
}

/// Asserts that no two feed rows share (item, change key, kind).
pub fn assert_no_duplicate_rows(rows: &[FeedChange]) {
    let mut seen = BTreeSet::new();
    for row in rows {
        let key = (
            row.item_id.as_str(),
            row.change_key.as_str(),
            row.kind.as_str(),
        );
        assert!(seen.insert(key), "feed row {key:?} appears twice");
    }
}
