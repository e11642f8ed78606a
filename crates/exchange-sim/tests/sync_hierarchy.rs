//! SyncFolderHierarchy: the folder tree once, then no changes.

mod common;

use common::*;
use impersync_ews::ResponseCode;
use impersync_ews::ops::{FolderChange, FolderChanges, SyncFolderHierarchy};
use impersync_ews::types::{BaseShape, FolderKind, FolderRef, Shape};
use std::collections::HashMap;

fn hierarchy(state: Option<String>) -> SyncFolderHierarchy {
    SyncFolderHierarchy {
        shape: Shape::base(BaseShape::AllProperties),
        folder: None,
        sync_state: state,
    }
}

async fn sync(server: &Server, target: &str, state: Option<String>) -> FolderChanges {
    let r = server.as_master(target, &hierarchy(state)).await.ok();
    assert_eq!(r.messages.len(), 1);
    success(r.messages.into_iter().next().unwrap())
}

#[tokio::test]
async fn the_tree_comes_once_then_nothing() {
    let server = Server::demo().await;
    let first = sync(&server, "alice@contoso.test", None).await;
    assert!(first.includes_last_folder_in_range);
    assert!(!first.sync_state.is_empty());
    let folders: HashMap<String, _> = first
        .changes
        .iter()
        .map(|c| match c {
            FolderChange::Create(f) => (f.display_name.clone().unwrap_or_default(), f.clone()),
            other => panic!("the first sync only creates, got {other:?}"),
        })
        .collect();
    assert_eq!(folders.len(), 10, "{:?}", folders.keys());
    for (name, kind) in [
        ("Top of Information Store", FolderKind::Folder),
        ("Inbox", FolderKind::Folder),
        ("Sent Items", FolderKind::Folder),
        ("Drafts", FolderKind::Folder),
        ("Deleted Items", FolderKind::Folder),
        ("Outbox", FolderKind::Folder),
        ("Junk Email", FolderKind::Folder),
        ("Calendar", FolderKind::Calendar),
        ("Contacts", FolderKind::Contacts),
        ("Tasks", FolderKind::Tasks),
    ] {
        assert_eq!(folders.get(name).map(|f| f.kind), Some(kind), "{name}");
    }
    // The ids are the ones GetFolder returns.
    let inbox = server.folder("alice@contoso.test", "inbox").await;
    assert_eq!(folders["Inbox"].folder_id.id, inbox.folder_id.id);
    assert_eq!(folders["Inbox"].total_count, Some(50));
    assert_eq!(folders["Calendar"].total_count, Some(10));

    let second = sync(
        &server,
        "alice@contoso.test",
        Some(first.sync_state.clone()),
    )
    .await;
    assert!(second.changes.is_empty(), "{:?}", second.changes);
    assert!(second.includes_last_folder_in_range);
    let third = sync(&server, "alice@contoso.test", Some(second.sync_state)).await;
    assert!(third.changes.is_empty());

    // Mail arriving changes items, not the tree.
    server
        .deliver("alice@contoso.test", "inbox", "hello", "a@b.test")
        .await;
    let fourth = sync(&server, "alice@contoso.test", Some(first.sync_state)).await;
    assert!(fourth.changes.is_empty());
}

#[tokio::test]
async fn a_state_of_another_mailbox_or_kind_is_invalid() {
    let server = Server::demo().await;
    let alice = sync(&server, "alice@contoso.test", None).await;
    let bob = sync(&server, "bob@contoso.test", None).await;
    assert_ne!(alice.sync_state, bob.sync_state);
    let items_state = {
        let r = server
            .as_master(
                "alice@contoso.test",
                &sync_items(FolderRef::distinguished("inbox"), None, 512),
            )
            .await
            .ok();
        success(r.messages.into_iter().next().unwrap()).sync_state
    };
    for state in [bob.sync_state, items_state, "garbage".to_string()] {
        let reply = server
            .as_master("alice@contoso.test", &hierarchy(Some(state)))
            .await;
        assert!(reply.body.contains("<m:SyncState"), "{}", reply.body);
        assert!(
            reply
                .body
                .contains("<m:IncludesLastFolderInRange>true</m:IncludesLastFolderInRange>"),
            "{}",
            reply.body
        );
        let r = reply.ok();
        error_of(&r.messages[0], ResponseCode::ErrorInvalidSyncStateData);
    }
}
