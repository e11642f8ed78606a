//! Simulated mailboxes: folders, items and their change history.

mod folders;
pub mod generate;
pub mod ids;
mod record;
pub mod time;

pub use folders::{FolderState, MSG_ROOT, ROOT};
use impersync_ews::ops::{FolderChange, ItemChange};
use impersync_ews::types::{EntityId, Folder, FolderKind, Item};
pub use record::{Content, ItemRecord};
use std::collections::{HashMap, HashSet};

/// A user's mailbox.
#[derive(Debug, Clone)]
pub struct Mailbox {
    /// The owner's number, also encoded in every id.
    pub number: u32,
    /// Folders by number.
    pub folders: Vec<FolderState>,
    /// Items by serial, tombstones included.
    pub items: HashMap<u64, ItemRecord>,
    next_serial: u64,
    seq: u64,
}

/// One batch of item changes for SyncFolderItems.
#[derive(Debug)]
pub struct ItemDelta {
    /// Changes, oldest first, as (serial, change).
    pub changes: Vec<(u64, ItemChangeKind)>,
    /// The watermark to put in the next sync state.
    pub watermark: u64,
    /// Whether no further changes remain.
    pub complete: bool,
}

/// What happened to an item since a watermark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemChangeKind {
    /// New since the watermark.
    Create,
    /// Changed since the watermark.
    Update,
    /// Gone since the watermark.
    Delete,
    /// Only the read flag changed.
    ReadFlag,
}

impl Mailbox {
    /// An empty mailbox with the standard folders.
    pub fn new(number: u32) -> Self {
        Self {
            number,
            folders: folders::standard(),
            items: HashMap::new(),
            next_serial: 1,
            seq: 0,
        }
    }

    /// The current change sequence number.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The folder number of a distinguished folder name (case-insensitive).
    pub fn distinguished(&self, name: &str) -> Option<u16> {
        self.folders
            .iter()
            .position(|f| {
                f.distinguished
                    .is_some_and(|d| d.eq_ignore_ascii_case(name))
            })
            .map(|i| i as u16)
    }

    /// Adds an item to a folder and returns its serial.
    pub fn add(&mut self, folder: u16, content: Content, is_read: bool) -> u64 {
        self.seq += 1;
        let serial = self.next_serial;
        self.next_serial += 1;
        let f = &mut self.folders[folder as usize];
        f.changes.insert(self.seq, serial);
        f.total += 1;
        f.unread += u32::from(!is_read);
        self.items.insert(
            serial,
            ItemRecord {
                folder,
                created: self.seq,
                modified: 0,
                read_changed: 0,
                deleted: 0,
                last: self.seq,
                is_read,
                version: 1,
                content,
            },
        );
        serial
    }

    fn touch(&mut self, serial: u64) -> Option<&mut ItemRecord> {
        let rec = self.items.get_mut(&serial).filter(|r| r.is_live())?;
        self.seq += 1;
        let f = &mut self.folders[rec.folder as usize];
        // The creation entry stays, so that a paged sync still meets the item where it
        // began even when its later changes jump ahead of the client.
        if rec.last != rec.created {
            f.changes.remove(&rec.last);
        }
        f.changes.insert(self.seq, serial);
        rec.last = self.seq;
        rec.version += 1;
        Some(rec)
    }

    /// Replaces a live item's properties; returns false if it does not exist.
    pub fn update(&mut self, serial: u64, item: Item) -> bool {
        let Some(rec) = self.touch(serial) else {
            return false;
        };
        rec.modified = rec.last;
        rec.content = Content::Stored(Box::new(item));
        true
    }

    /// Sets a live item's read flag; returns false if it does not exist.
    pub fn set_read(&mut self, serial: u64, is_read: bool) -> bool {
        let Some(rec) = self.touch(serial) else {
            return false;
        };
        rec.read_changed = rec.last;
        let was_read = std::mem::replace(&mut rec.is_read, is_read);
        let folder = rec.folder as usize;
        let f = &mut self.folders[folder];
        match (was_read, is_read) {
            (false, true) => f.unread -= 1,
            (true, false) => f.unread += 1,
            _ => {}
        }
        true
    }

    /// Deletes a live item (keeping a tombstone for sync); returns false if it does not exist.
    pub fn delete(&mut self, serial: u64) -> bool {
        let Some(rec) = self.touch(serial) else {
            return false;
        };
        rec.deleted = rec.last;
        let (folder, was_read) = (rec.folder as usize, rec.is_read);
        let f = &mut self.folders[folder];
        f.total -= 1;
        f.unread -= u32::from(!was_read);
        true
    }

    /// Live item serials of a folder, newest first.
    pub fn live_items(&self, folder: u16) -> Vec<u64> {
        let mut serials: Vec<u64> = self.folders[folder as usize]
            .changes
            .values()
            .copied()
            .filter(|s| self.items[s].is_live())
            .collect();
        serials.sort_unstable_by(|a, b| b.cmp(a));
        serials.dedup();
        serials
    }

    /// The changes in a folder after `watermark`, at most `max`, skipping ignored serials.
    ///
    /// An item has two places in the change index: where it was created, and where it
    /// last changed. A client that passes the first learns of the item (a Create with its
    /// current properties); the second then reports what changed since, or nothing if
    /// the Create came in the same call. So an item that changes while a paged sync is
    /// under way is never reported only as an Update or a ReadFlagChange.
    pub fn item_changes(
        &self,
        folder: u16,
        watermark: u64,
        max: usize,
        ignore: &HashSet<u64>,
    ) -> ItemDelta {
        let mut changes = Vec::new();
        let mut last_seen = watermark;
        let mut range = self.folders[folder as usize].changes.range(watermark + 1..);
        for (&seq, &serial) in range.by_ref() {
            if changes.len() == max {
                return ItemDelta {
                    changes,
                    watermark: last_seen,
                    complete: false,
                };
            }
            last_seen = seq;
            if ignore.contains(&serial) {
                continue;
            }
            let rec = &self.items[&serial];
            let kind = if seq == rec.created {
                if !rec.is_live() {
                    // Created and deleted since the client last looked: nothing to say.
                    continue;
                }
                ItemChangeKind::Create
            } else if rec.created > watermark {
                // Its Create was reported by this same call.
                continue;
            } else if !rec.is_live() {
                ItemChangeKind::Delete
            } else if rec.modified > watermark {
                ItemChangeKind::Update
            } else {
                ItemChangeKind::ReadFlag
            };
            changes.push((serial, kind));
        }
        ItemDelta {
            changes,
            watermark: self.seq.max(last_seen),
            complete: true,
        }
    }

    /// The EWS view of a folder.
    pub fn folder(&self, number: u16) -> Folder {
        let f = &self.folders[number as usize];
        let id = |n: u16| {
            EntityId::new(
                ids::folder_id(self.number, n),
                ids::change_key(u64::from(n), 1),
            )
        };
        Folder {
            kind: f.kind,
            folder_id: id(number),
            parent_folder_id: f.parent.map(id),
            folder_class: (!f.class.is_empty()).then(|| f.class.to_string()),
            display_name: Some(f.display_name.clone()),
            total_count: Some(f.total),
            child_folder_count: Some(
                self.folders
                    .iter()
                    .filter(|c| c.parent == Some(number))
                    .count() as u32,
            ),
            unread_count: (f.kind == FolderKind::Folder).then_some(f.unread),
        }
    }

    /// Folder-tree changes after a hierarchy watermark: the tree is fixed, so only the first sync sees it.
    pub fn folder_changes(&self, watermark: u64) -> Vec<FolderChange> {
        if watermark > 0 {
            return Vec::new();
        }
        (1..self.folders.len() as u16)
            .map(|n| FolderChange::Create(self.folder(n)))
            .collect()
    }

    /// The id and change key of an item.
    pub fn item_id(&self, serial: u64, rec: &ItemRecord) -> EntityId {
        EntityId::new(
            ids::item_id(self.number, serial),
            ids::change_key(serial, rec.version),
        )
    }

    /// The sync change for one item, given its materialised properties when needed.
    pub fn sync_change(
        &self,
        serial: u64,
        kind: ItemChangeKind,
        item: impl FnOnce() -> Item,
    ) -> ItemChange {
        let rec = &self.items[&serial];
        match kind {
            ItemChangeKind::Create => ItemChange::Create(item()),
            ItemChangeKind::Update => ItemChange::Update(item()),
            ItemChangeKind::Delete => ItemChange::Delete(self.item_id(serial, rec)),
            ItemChangeKind::ReadFlag => ItemChange::ReadFlagChange {
                item_id: self.item_id(serial, rec),
                is_read: rec.is_read,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inbox_with(n: u32) -> (Mailbox, u16) {
        let mut m = Mailbox::new(1);
        let inbox = m.distinguished("inbox").unwrap();
        for i in 0..n {
            m.add(inbox, Content::Generated(i), false);
        }
        (m, inbox)
    }

    #[test]
    fn initial_sync_pages_then_reports_nothing() {
        let (m, inbox) = inbox_with(1200);
        let none = HashSet::new();
        let first = m.item_changes(inbox, 0, 512, &none);
        assert_eq!(first.changes.len(), 512);
        assert!(!first.complete);
        let second = m.item_changes(inbox, first.watermark, 512, &none);
        let third = m.item_changes(inbox, second.watermark, 512, &none);
        assert_eq!(second.changes.len() + third.changes.len(), 688);
        assert!(third.complete);
        let mut all: Vec<u64> = [&first, &second, &third]
            .iter()
            .flat_map(|d| d.changes.iter().map(|c| c.0))
            .collect();
        all.dedup();
        assert_eq!(all.len(), 1200);
        assert!(
            m.item_changes(inbox, third.watermark, 512, &none)
                .changes
                .is_empty()
        );
    }

    #[test]
    fn incremental_changes_are_net_changes() {
        let (mut m, inbox) = inbox_with(3);
        let none = HashSet::new();
        let base = m.item_changes(inbox, 0, 512, &none).watermark;
        m.set_read(1, true);
        m.update(2, Item::Other(Default::default()));
        m.delete(3);
        let fresh = m.add(inbox, Content::Generated(9), false);
        m.delete(fresh);
        let d = m.item_changes(inbox, base, 512, &none);
        assert_eq!(
            d.changes,
            vec![
                (1, ItemChangeKind::ReadFlag),
                (2, ItemChangeKind::Update),
                (3, ItemChangeKind::Delete)
            ]
        );
        assert_eq!(m.folders[inbox as usize].total, 2);
        assert_eq!(m.folders[inbox as usize].unread, 1);
    }

    #[test]
    fn an_item_changed_before_a_paged_sync_reaches_it_is_still_created() {
        let (mut m, inbox) = inbox_with(6);
        let none = HashSet::new();
        let first = m.item_changes(inbox, 0, 2, &none);
        assert_eq!(
            first.changes,
            vec![(1, ItemChangeKind::Create), (2, ItemChangeKind::Create)]
        );
        // Item 3 has not been sent yet when its read flag changes.
        m.set_read(3, true);
        let second = m.item_changes(inbox, first.watermark, 2, &none);
        // Item 3 was met where it was created, in this page.
        assert_eq!(
            second.changes,
            vec![(3, ItemChangeKind::Create), (4, ItemChangeKind::Create)]
        );
        let third = m.item_changes(inbox, second.watermark, 2, &none);
        // Its read flag change comes after its Create.
        assert_eq!(
            third.changes,
            vec![(5, ItemChangeKind::Create), (6, ItemChangeKind::Create)]
        );
        let fourth = m.item_changes(inbox, third.watermark, 2, &none);
        assert_eq!(fourth.changes, vec![(3, ItemChangeKind::ReadFlag)]);
        assert!(fourth.complete);
        // One item, listed once.
        assert_eq!(m.live_items(inbox), vec![6, 5, 4, 3, 2, 1]);
    }

    #[test]
    fn an_item_sent_in_an_earlier_page_then_changed_is_an_update() {
        let (mut m, inbox) = inbox_with(4);
        let none = HashSet::new();
        let first = m.item_changes(inbox, 0, 2, &none);
        // Items 1 and 2 were sent; they change while the paged sync goes on, and so
        // does item 3, which was not sent yet: it is created once, with no Update.
        m.set_read(1, true);
        m.update(2, Item::Other(Default::default()));
        m.update(3, Item::Other(Default::default()));
        let rest = m.item_changes(inbox, first.watermark, 512, &none);
        assert_eq!(
            rest.changes,
            vec![
                (3, ItemChangeKind::Create),
                (4, ItemChangeKind::Create),
                (1, ItemChangeKind::ReadFlag),
                (2, ItemChangeKind::Update)
            ]
        );
    }
}
