//! The standard folder tree every simulated mailbox starts with.

use impersync_ews::types::FolderKind;
use std::collections::BTreeMap;

/// One folder of a mailbox and its change index.
#[derive(Debug, Clone)]
pub struct FolderState {
    /// Distinguished folder name (`inbox`), or `None` for user-created folders.
    pub distinguished: Option<&'static str>,
    /// Display name.
    pub display_name: String,
    /// `FolderClass`, e.g. `IPF.Note`.
    pub class: &'static str,
    /// Which folder element it is.
    pub kind: FolderKind,
    /// Parent folder number; `None` for the root.
    pub parent: Option<u16>,
    /// Item serials by the sequence number of their last change, tombstones included.
    pub changes: BTreeMap<u64, u64>,
    /// Live items.
    pub total: u32,
    /// Live unread items.
    pub unread: u32,
}

/// Folder number of the mailbox root.
pub const ROOT: u16 = 0;
/// Folder number of `msgfolderroot` (Top of Information Store).
pub const MSG_ROOT: u16 = 1;

/// (distinguished name, display name, class, kind, parent)
const STANDARD: &[(&str, &str, &str, FolderKind, u16)] = &[
    ("root", "", "", FolderKind::Folder, u16::MAX),
    (
        "msgfolderroot",
        "Top of Information Store",
        "IPF.Note",
        FolderKind::Folder,
        ROOT,
    ),
    ("inbox", "Inbox", "IPF.Note", FolderKind::Folder, MSG_ROOT),
    (
        "sentitems",
        "Sent Items",
        "IPF.Note",
        FolderKind::Folder,
        MSG_ROOT,
    ),
    ("drafts", "Drafts", "IPF.Note", FolderKind::Folder, MSG_ROOT),
    (
        "deleteditems",
        "Deleted Items",
        "IPF.Note",
        FolderKind::Folder,
        MSG_ROOT,
    ),
    ("outbox", "Outbox", "IPF.Note", FolderKind::Folder, MSG_ROOT),
    (
        "junkemail",
        "Junk Email",
        "IPF.Note",
        FolderKind::Folder,
        MSG_ROOT,
    ),
    (
        "calendar",
        "Calendar",
        "IPF.Appointment",
        FolderKind::Calendar,
        MSG_ROOT,
    ),
    (
        "contacts",
        "Contacts",
        "IPF.Contact",
        FolderKind::Contacts,
        MSG_ROOT,
    ),
    ("tasks", "Tasks", "IPF.Task", FolderKind::Tasks, MSG_ROOT),
];

/// A fresh standard folder tree.
pub fn standard() -> Vec<FolderState> {
    STANDARD
        .iter()
        .map(|&(name, display, class, kind, parent)| FolderState {
            distinguished: Some(name),
            display_name: display.to_string(),
            class,
            kind,
            parent: (parent != u16::MAX).then_some(parent),
            changes: BTreeMap::new(),
            total: 0,
            unread: 0,
        })
        .collect()
}
