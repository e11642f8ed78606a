//! SyncFolderItems: paging, net changes, Ignore, limits and invalid sync states.

mod common;

use common::*;
use impersync_ews::ops::{ItemChange, ItemChanges, SyncFolderItems};
use impersync_ews::types::{BaseShape, EntityId, FolderRef, Item, Shape};
use impersync_ews::{ResponseClass, ResponseCode};
use serde_json::json;
use std::collections::{HashMap, HashSet};

const ALICE_ADDR: &str = "alice@contoso.test";

/// One SyncFolderItems call as the service account impersonating `target`.
async fn sync_once(
    server: &Server,
    creds: Creds,
    target: &str,
    req: &SyncFolderItems,
) -> ItemChanges {
    let r = server.call(creds, Some(smtp(target)), req).await.ok();
    assert_eq!(r.messages.len(), 1);
    success(r.messages.into_iter().next().unwrap())
}

/// Syncs until IncludesLastItemInRange; returns all changes, the page sizes and the last state.
async fn sync_all(
    server: &Server,
    creds: Creds,
    target: &str,
    folder: &str,
    mut state: Option<String>,
    max: u32,
) -> (Vec<ItemChange>, Vec<usize>, String) {
    let mut changes = Vec::new();
    let mut pages = Vec::new();
    loop {
        let p = sync_once(
            server,
            creds,
            target,
            &sync_items(FolderRef::distinguished(folder), state.clone(), max),
        )
        .await;
        assert!(!p.sync_state.is_empty(), "every page carries a SyncState");
        pages.push(p.changes.len());
        changes.extend(p.changes);
        state = Some(p.sync_state);
        if p.includes_last_item_in_range {
            break;
        }
        assert!(pages.len() < 100, "sync never reaches the last item");
    }
    (changes, pages, state.expect("a state"))
}

fn created_ids(changes: &[ItemChange]) -> Vec<String> {
    changes
        .iter()
        .map(|c| match c {
            ItemChange::Create(item) => item.id().expect("created items have ids").id.clone(),
            other => panic!("initial sync reports only creates, got {other:?}"),
        })
        .collect()
}

fn distinct(ids: &[String]) -> usize {
    ids.iter().collect::<HashSet<_>>().len()
}

#[tokio::test]
async fn initial_sync_returns_every_item_once() {
    let server = Server::demo().await;
    let (changes, pages, state) = sync_all(&server, MASTER, ALICE_ADDR, "inbox", None, 512).await;
    assert_eq!(pages, vec![50]);
    let ids = created_ids(&changes);
    assert_eq!(distinct(&ids), 50);

    // Nothing changed since.
    let again = sync_once(
        &server,
        MASTER,
        ALICE_ADDR,
        &sync_items(FolderRef::distinguished("inbox"), Some(state), 512),
    )
    .await;
    assert!(again.changes.is_empty(), "{:?}", again.changes);
    assert!(again.includes_last_item_in_range);

    // Other folders of the same mailbox.
    for (folder, count) in [
        ("sentitems", 20),
        ("calendar", 10),
        ("contacts", 5),
        ("drafts", 0),
    ] {
        let (changes, _, _) = sync_all(&server, MASTER, ALICE_ADDR, folder, None, 512).await;
        assert_eq!(changes.len(), count, "{folder}");
    }
    let (changes, _, _) = sync_all(&server, MASTER, ALICE_ADDR, "calendar", None, 512).await;
    assert!(
        changes
            .iter()
            .all(|c| matches!(c, ItemChange::Create(Item::CalendarItem(_))))
    );
}

#[tokio::test]
async fn small_pages_split_the_initial_sync() {
    let server = Server::demo().await;
    let (changes, pages, _) = sync_all(&server, MASTER, ALICE_ADDR, "inbox", None, 20).await;
    assert_eq!(pages, vec![20, 20, 10]);
    let ids = created_ids(&changes);
    assert_eq!(distinct(&ids), 50);

    // The same set through another client style: SmtpAddress, as ews-javascript-api sends.
    let r = server
        .call(
            MASTER,
            Some(impersync_ews::ConnectingSid::SmtpAddress(ALICE_ADDR.into())),
            &sync_items(FolderRef::distinguished("inbox"), None, 512),
        )
        .await
        .ok();
    let p = success(r.messages.into_iter().next().unwrap());
    let again: HashSet<String> = created_ids(&p.changes).into_iter().collect();
    assert_eq!(again, ids.into_iter().collect());
}

/// What a client holds: item id to (subject, read flag).
type Replica = HashMap<String, (Option<String>, Option<bool>)>;

/// Applies changes as a client does, checking that each one makes sense to it: a Create
/// for an item it does not hold, an Update or ReadFlagChange for an item it holds.
/// Returns the ids of Deletes for items it never held (which clients must tolerate).
fn apply(replica: &mut Replica, changes: &[ItemChange]) -> Vec<String> {
    let mut unknown_deletes = Vec::new();
    for c in changes {
        match c {
            ItemChange::Create(Item::Message(m)) => {
                let id = m.item.item_id.as_ref().unwrap().id.clone();
                let old = replica.insert(id.clone(), (m.item.subject.clone(), m.is_read));
                assert!(
                    old.is_none(),
                    "Create for {id}, which the client already holds"
                );
            }
            ItemChange::Update(Item::Message(m)) => {
                let id = m.item.item_id.as_ref().unwrap().id.clone();
                let old = replica.insert(id.clone(), (m.item.subject.clone(), m.is_read));
                assert!(old.is_some(), "Update for {id}, which the client never got");
            }
            ItemChange::ReadFlagChange { item_id, is_read } => {
                let held = replica
                    .get_mut(&item_id.id)
                    .unwrap_or_else(|| panic!("ReadFlagChange for {}, never got", item_id.id));
                held.1 = Some(*is_read);
            }
            ItemChange::Delete(id) => {
                if replica.remove(&id.id).is_none() {
                    unknown_deletes.push(id.id.clone());
                }
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    unknown_deletes
}

/// The server's truth about alice's inbox.
async fn inbox_truth(server: &Server) -> Replica {
    let r = server
        .as_master(
            ALICE_ADDR,
            &impersync_ews::ops::FindItem {
                traversal: "Shallow".into(),
                shape: Shape::base(BaseShape::Default),
                paging: None,
                parent_folder_ids: vec![FolderRef::distinguished("inbox")],
            },
        )
        .await
        .ok();
    success(r.messages.into_iter().next().unwrap())
        .entries
        .into_iter()
        .map(|i| match i {
            Item::Message(m) => (m.item.item_id.unwrap().id, (m.item.subject, m.is_read)),
            other => panic!("{other:?}"),
        })
        .collect()
}

fn subject_and_read(mut req: SyncFolderItems) -> SyncFolderItems {
    req.shape = Shape {
        base: BaseShape::IdOnly,
        additional: vec!["item:Subject".into(), "message:IsRead".into()],
    };
    req
}

#[tokio::test]
async fn changes_during_a_paged_sync_never_lose_or_invent_an_item() {
    let server = Server::demo().await;
    let first = sync_once(
        &server,
        MASTER,
        ALICE_ADDR,
        &subject_and_read(sync_items(FolderRef::distinguished("inbox"), None, 20)),
    )
    .await;
    assert!(!first.includes_last_item_in_range);
    let mut replica = Replica::new();
    assert!(apply(&mut replica, &first.changes).is_empty());
    let seen = created_ids(&first.changes);
    let unseen: Vec<String> = inbox_truth(&server)
        .await
        .into_keys()
        .filter(|id| !seen.contains(id))
        .collect();
    assert_eq!(unseen.len(), 30);

    // Items already synced and items not synced yet change between pages.
    let changes = [
        (&seen[0], json!({ "subject": "seen, then changed" })),
        (&seen[1], json!({ "is_read": true })),
        (&unseen[0], json!({ "subject": "unseen, then changed" })),
        // Only the read flag of an item the client has not got yet: it must still arrive
        // whole.
        (&unseen[1], json!({ "is_read": true })),
    ];
    for (id, change) in changes {
        assert_eq!(server.patch_item(ALICE_ADDR, id, change).await, 200);
    }
    assert_eq!(server.delete_item(ALICE_ADDR, &seen[2]).await, 204);
    assert_eq!(server.delete_item(ALICE_ADDR, &unseen[2]).await, 204);
    let fresh = server
        .deliver(ALICE_ADDR, "inbox", "fresh", "a@b.test")
        .await;

    let mut state = first.sync_state;
    let mut all = Vec::new();
    let mut unknown_deletes = Vec::new();
    loop {
        let p = sync_once(
            &server,
            MASTER,
            ALICE_ADDR,
            &subject_and_read(sync_items(
                FolderRef::distinguished("inbox"),
                Some(state),
                20,
            )),
        )
        .await;
        unknown_deletes.extend(apply(&mut replica, &p.changes));
        all.extend(p.changes);
        state = p.sync_state;
        if p.includes_last_item_in_range {
            break;
        }
    }
    assert_eq!(
        replica,
        inbox_truth(&server).await,
        "the client ends up with the mailbox"
    );
    assert_eq!(replica.len(), 50 - 2 + 1);
    assert_eq!(
        replica[&unseen[0]].0.as_deref(),
        Some("unseen, then changed")
    );
    assert_eq!(replica[&unseen[1]].1, Some(true));
    assert_eq!(replica[&seen[0]].0.as_deref(), Some("seen, then changed"));
    assert!(replica.contains_key(&fresh));
    // The item deleted before the client got it is never created; at most its deletion
    // is reported, which a client ignores.
    assert!(
        unknown_deletes.iter().all(|id| *id == unseen[2]),
        "{unknown_deletes:?}"
    );
    let mentions = |id: &str| {
        all.iter()
            .filter(|c| match c {
                ItemChange::Create(i) | ItemChange::Update(i) => i.id().unwrap().id == id,
                ItemChange::ReadFlagChange { item_id, .. } => item_id.id == id,
                ItemChange::Delete(i) => i.id == id,
            })
            .count()
    };
    assert!(mentions(&unseen[2]) <= 1);
    assert_eq!(mentions(&seen[2]), 1);
    // Nothing more.
    let tail = sync_once(
        &server,
        MASTER,
        ALICE_ADDR,
        &sync_items(FolderRef::distinguished("inbox"), Some(state), 512),
    )
    .await;
    assert!(tail.changes.is_empty(), "{:?}", tail.changes);
}

#[tokio::test]
async fn a_large_generated_mailbox_pages_by_512() {
    let scenario = impersync_exchange_sim::Scenario::from_toml(
        impersync_exchange_sim::scenario::LARGE_INBOX_TOML,
    )
    .expect("scenario parses");
    let server = Server::start(scenario).await;
    const SVC: Creds = ("svc@big.test", "Svc-Password-1");
    let (changes, pages, state) =
        sync_all(&server, SVC, "user00002@big.test", "inbox", None, 512).await;
    assert_eq!(pages, vec![512, 512, 176]);
    assert_eq!(distinct(&created_ids(&changes)), 1200);
    let tail = sync_once(
        &server,
        SVC,
        "user00002@big.test",
        &sync_items(FolderRef::distinguished("inbox"), Some(state), 512),
    )
    .await;
    assert!(tail.changes.is_empty());

    let inbox = only_folder(
        server
            .call(
                SVC,
                Some(smtp("user00001@big.test")),
                &get_folder(vec![FolderRef::distinguished("inbox")]),
            )
            .await
            .ok()
            .messages,
    );
    assert_eq!(inbox.total_count, Some(1200));
    // The service account itself is outside the scope.
    server
        .call(
            SVC,
            Some(smtp("svc@big.test")),
            &get_folder(vec![FolderRef::distinguished("inbox")]),
        )
        .await
        .expect_fault(ResponseCode::ErrorImpersonateUserDenied);
}

#[tokio::test]
async fn incremental_sync_reports_create_update_read_flag_and_delete() {
    let server = Server::demo().await;
    let (changes, _, state) = sync_all(&server, MASTER, ALICE_ADDR, "inbox", None, 512).await;
    let ids = created_ids(&changes);
    let before: Vec<EntityId> = changes
        .iter()
        .map(|c| match c {
            ItemChange::Create(i) => i.id().unwrap().clone(),
            _ => unreachable!(),
        })
        .collect();

    let new_id = server.deliver(ALICE_ADDR, "inbox", "x", "a@b.test").await;
    assert_eq!(
        server
            .patch_item(ALICE_ADDR, &ids[0], json!({ "subject": "renamed" }))
            .await,
        200
    );
    assert_eq!(
        server
            .patch_item(ALICE_ADDR, &ids[1], json!({ "is_read": true }))
            .await,
        200
    );
    assert_eq!(server.delete_item(ALICE_ADDR, &ids[2]).await, 204);
    // Created and deleted between two syncs: nothing to report.
    let fleeting = server
        .deliver(ALICE_ADDR, "inbox", "gone", "c@d.test")
        .await;
    assert_eq!(server.delete_item(ALICE_ADDR, &fleeting).await, 204);
    // Control API errors: unknown items and already deleted ones.
    assert_eq!(server.delete_item(ALICE_ADDR, &ids[2]).await, 404);
    assert_eq!(
        server
            .patch_item(ALICE_ADDR, "AAMkA-bogus", json!({ "is_read": true }))
            .await,
        400
    );

    let (delta, pages, state2) =
        sync_all(&server, MASTER, ALICE_ADDR, "inbox", Some(state), 512).await;
    assert_eq!(pages, vec![4], "{delta:#?}");
    match &delta[0] {
        ItemChange::Create(Item::Message(m)) => {
            assert_eq!(m.item.item_id.as_ref().unwrap().id, new_id);
        }
        other => panic!("expected Create, got {other:?}"),
    }
    match &delta[1] {
        ItemChange::Update(item) => {
            let id = item.id().unwrap();
            assert_eq!(id.id, ids[0]);
            assert_ne!(id.change_key, before[0].change_key, "the change key moves");
        }
        other => panic!("expected Update, got {other:?}"),
    }
    match &delta[2] {
        ItemChange::ReadFlagChange { item_id, is_read } => {
            assert_eq!(item_id.id, ids[1]);
            assert!(*is_read);
        }
        other => panic!("expected ReadFlagChange, got {other:?}"),
    }
    match &delta[3] {
        ItemChange::Delete(id) => assert_eq!(id.id, ids[2]),
        other => panic!("expected Delete, got {other:?}"),
    }

    // What GetItem and GetFolder now say.
    let r = server
        .as_master(
            ALICE_ADDR,
            &impersync_ews::ops::GetItem {
                shape: Shape::base(BaseShape::AllProperties),
                item_ids: vec![
                    EntityId {
                        id: new_id.clone(),
                        change_key: None,
                    },
                    EntityId {
                        id: ids[0].clone(),
                        change_key: None,
                    },
                ],
            },
        )
        .await
        .ok();
    let Item::Message(delivered) = success(r.messages[0].clone()).remove(0) else {
        panic!("a message")
    };
    assert_eq!(delivered.item.subject.as_deref(), Some("x"));
    assert_eq!(
        delivered.from.map(|f| f.email_address).as_deref(),
        Some("a@b.test")
    );
    assert_eq!(delivered.to_recipients[0].email_address, ALICE_ADDR);
    assert_eq!(delivered.is_read, Some(false));
    let renamed = success(r.messages[1].clone()).remove(0);
    assert_eq!(renamed.common().subject.as_deref(), Some("renamed"));
    let inbox = server.folder(ALICE_ADDR, "inbox").await;
    assert_eq!(inbox.total_count, Some(50), "+1 delivered, -1 deleted");
    assert_eq!(
        inbox.unread_count,
        Some(49),
        "+1 delivered, -1 read, -1 deleted"
    );

    // And then nothing more.
    let (none, _, _) = sync_all(&server, MASTER, ALICE_ADDR, "inbox", Some(state2), 512).await;
    assert!(none.is_empty(), "{none:?}");
}

#[tokio::test]
async fn changes_in_one_folder_do_not_leak_into_another() {
    let server = Server::demo().await;
    let (_, _, inbox_state) = sync_all(&server, MASTER, ALICE_ADDR, "inbox", None, 512).await;
    let (_, _, sent_state) = sync_all(&server, MASTER, ALICE_ADDR, "sentitems", None, 512).await;
    let (_, _, bob_state) = sync_all(&server, MASTER, "bob@contoso.test", "inbox", None, 512).await;
    server
        .deliver(ALICE_ADDR, "sentitems", "sent", "alice@contoso.test")
        .await;
    server
        .deliver("bob@contoso.test", "inbox", "for bob", "a@b.test")
        .await;
    let (inbox, _, _) =
        sync_all(&server, MASTER, ALICE_ADDR, "inbox", Some(inbox_state), 512).await;
    assert!(inbox.is_empty(), "{inbox:?}");
    let (sent, _, _) = sync_all(
        &server,
        MASTER,
        ALICE_ADDR,
        "sentitems",
        Some(sent_state),
        512,
    )
    .await;
    assert_eq!(sent.len(), 1);
    let (bob, _, _) = sync_all(
        &server,
        MASTER,
        "bob@contoso.test",
        "inbox",
        Some(bob_state),
        512,
    )
    .await;
    assert_eq!(bob.len(), 1);
}

#[tokio::test]
async fn ignored_items_are_not_reported() {
    let server = Server::demo().await;
    let (changes, _, state) = sync_all(&server, MASTER, ALICE_ADDR, "inbox", None, 512).await;
    let ids = created_ids(&changes);
    for id in &ids[..3] {
        assert_eq!(
            server
                .patch_item(ALICE_ADDR, id, json!({ "subject": "changed" }))
                .await,
            200
        );
    }
    let mut req = sync_items(FolderRef::distinguished("inbox"), Some(state), 512);
    req.ignore = vec![
        EntityId {
            id: ids[0].clone(),
            change_key: None,
        },
        EntityId {
            id: ids[2].clone(),
            change_key: None,
        },
    ];
    let delta = sync_once(&server, MASTER, ALICE_ADDR, &req).await;
    assert_eq!(delta.changes.len(), 1, "{:?}", delta.changes);
    assert!(matches!(&delta.changes[0], ItemChange::Update(i) if i.id().unwrap().id == ids[1]));
}

#[tokio::test]
async fn max_changes_returned_outside_1_to_512_is_refused() {
    let server = Server::demo().await;
    for max in [0, 513, 100_000] {
        let reply = server
            .as_master(
                ALICE_ADDR,
                &sync_items(FolderRef::distinguished("inbox"), None, max),
            )
            .await;
        let fault = reply.expect_fault(ResponseCode::ErrorSchemaValidation);
        assert!(
            fault.message.contains("MaxChangesReturned"),
            "{}",
            fault.message
        );
    }
    for max in [1, 512] {
        let p = sync_once(
            &server,
            MASTER,
            ALICE_ADDR,
            &sync_items(FolderRef::distinguished("inbox"), None, max),
        )
        .await;
        assert_eq!(p.changes.len(), (max as usize).min(50));
    }
}

/// A well-formed state for alice's inbox (mailbox 2, folder 2) at watermark 100, with a
/// made-up signature.
fn forged_state() -> String {
    use base64::Engine;
    let mut raw = vec![1u8, b'I', 2, 0, 0, 0, 2, 0, 100, 0, 0, 0, 0, 0, 0, 0];
    raw.extend_from_slice(&[0x5a; 16]);
    base64::engine::general_purpose::STANDARD.encode(raw)
}

#[tokio::test]
async fn invalid_sync_states_are_refused_and_a_fresh_sync_recovers() {
    let server = Server::demo().await;
    let (_, _, good) = sync_all(&server, MASTER, ALICE_ADDR, "inbox", None, 512).await;
    let (_, _, sent_state) = sync_all(&server, MASTER, ALICE_ADDR, "sentitems", None, 512).await;
    let (_, _, bob_state) = sync_all(&server, MASTER, "bob@contoso.test", "inbox", None, 512).await;

    let mut flipped = good.clone().into_bytes();
    // Change one base64 character in the middle (the watermark).
    flipped[15] = if flipped[15] == b'A' { b'B' } else { b'A' };
    let bad_states = [
        ("forged", forged_state()),
        ("truncated", good[..good.len() - 6].to_string()),
        ("tampered", String::from_utf8(flipped).unwrap()),
        ("another folder's", sent_state),
        ("another mailbox's", bob_state),
        ("not base64", "%%% not a sync state %%%".to_string()),
    ];
    for (what, state) in bad_states {
        let reply = server
            .as_master(
                ALICE_ADDR,
                &sync_items(FolderRef::distinguished("inbox"), Some(state), 512),
            )
            .await;
        // Clients (the EWS Managed API among them) read these elements even on errors.
        assert!(
            reply.body.contains("<m:SyncState"),
            "{what}: {}",
            reply.body
        );
        assert!(
            reply
                .body
                .contains("<m:IncludesLastItemInRange>true</m:IncludesLastItemInRange>"),
            "{what}: {}",
            reply.body
        );
        let r = reply.ok();
        let m = &r.messages[0];
        assert_eq!(m.status.class, ResponseClass::Error, "{what}");
        error_of(m, ResponseCode::ErrorInvalidSyncStateData);
    }
    // The remedy: sync again from an empty state.
    let (changes, _, _) = sync_all(&server, MASTER, ALICE_ADDR, "inbox", None, 512).await;
    assert_eq!(changes.len(), 50);
    // The good state still works.
    let (none, _, _) = sync_all(&server, MASTER, ALICE_ADDR, "inbox", Some(good), 512).await;
    assert!(none.is_empty());
}

#[tokio::test]
async fn a_state_from_before_a_reset_is_no_longer_valid() {
    let server = Server::demo().await;
    let (_, _, state) = sync_all(&server, MASTER, ALICE_ADDR, "inbox", None, 512).await;
    let (status, _) = server.control(reqwest::Method::POST, "/reset", None).await;
    assert_eq!(status, 200);
    // After a reset the mailbox starts over; an old state would silently skip changes.
    let r = server
        .as_master(
            ALICE_ADDR,
            &sync_items(FolderRef::distinguished("inbox"), Some(state), 512),
        )
        .await
        .ok();
    error_of(&r.messages[0], ResponseCode::ErrorInvalidSyncStateData);
}

#[tokio::test]
async fn syncing_needs_the_same_impersonation_rights() {
    let server = Server::demo().await;
    server
        .as_master(
            "erin@contoso.test",
            &sync_items(FolderRef::distinguished("inbox"), None, 512),
        )
        .await
        .expect_fault(ResponseCode::ErrorImpersonateUserDenied);
    // bob's inbox through a nested mailbox while impersonating alice.
    let r = server
        .as_master(
            ALICE_ADDR,
            &sync_items(distinguished_in("inbox", "bob@contoso.test"), None, 512),
        )
        .await;
    assert!(r.body.contains("<m:SyncState"), "{}", r.body);
    let r = r.ok();
    error_of(&r.messages[0], ResponseCode::ErrorAccessDenied);
}

#[tokio::test]
async fn the_control_api_changes_only_the_named_mailbox() {
    let server = Server::demo().await;
    let (_, _, alice_state) = sync_all(&server, MASTER, ALICE_ADDR, "inbox", None, 512).await;
    let (bob_changes, _, bob_state) =
        sync_all(&server, MASTER, "bob@contoso.test", "inbox", None, 512).await;
    let bob_item = &created_ids(&bob_changes)[0];
    // bob's item id, addressed to alice's mailbox.
    assert_eq!(
        server
            .patch_item(ALICE_ADDR, bob_item, json!({ "subject": "wrong mailbox" }))
            .await,
        404
    );
    assert_eq!(server.delete_item(ALICE_ADDR, bob_item).await, 404);
    let (alice, _, _) =
        sync_all(&server, MASTER, ALICE_ADDR, "inbox", Some(alice_state), 512).await;
    assert!(alice.is_empty(), "{alice:?}");
    let (bob, _, _) = sync_all(
        &server,
        MASTER,
        "bob@contoso.test",
        "inbox",
        Some(bob_state),
        512,
    )
    .await;
    assert!(bob.is_empty(), "{bob:?}");
    // Addressed to its own mailbox, it works.
    assert_eq!(
        server
            .patch_item("bob@contoso.test", bob_item, json!({ "is_read": true }))
            .await,
        200
    );
}

#[tokio::test]
async fn the_control_api_lists_what_a_sync_of_the_mailbox_sees() {
    let server = Server::demo().await;
    let (changes, _, _) = sync_all(&server, MASTER, ALICE_ADDR, "inbox", None, 512).await;
    let synced: HashSet<(String, String)> = changes
        .iter()
        .map(|c| match c {
            ItemChange::Create(item) => {
                let id = item.id().expect("created items have ids");
                (id.id.clone(), id.change_key.clone().unwrap_or_default())
            }
            other => panic!("initial sync reports only creates, got {other:?}"),
        })
        .collect();
    let first = synced
        .iter()
        .next()
        .expect("alice's inbox has items")
        .0
        .clone();
    assert_eq!(
        server
            .patch_item(ALICE_ADDR, &first, json!({ "is_read": true }))
            .await,
        200
    );
    let (status, body) = server
        .control(
            reqwest::Method::GET,
            &format!("/mailboxes/{ALICE_ADDR}/items"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let items = body["items"].as_array().expect("items");
    let listed: HashSet<(String, String)> = items
        .iter()
        .filter(|i| i["folder"] == "inbox")
        .map(|i| {
            (
                i["item_id"].as_str().unwrap().to_string(),
                i["change_key"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    // The same items with the same change keys, but for the one marked read: like
    // Exchange, a read-flag change gives the item a new change key.
    let changed: Vec<_> = listed.symmetric_difference(&synced).collect();
    assert_eq!(changed.len(), 2, "{changed:?}");
    assert!(changed.iter().all(|(id, _)| *id == first), "{changed:?}");
    let flagged = items
        .iter()
        .find(|i| i["item_id"] == first.as_str())
        .unwrap();
    assert_eq!(flagged["is_read"], true);
    assert!(
        items
            .iter()
            .any(|i| i["folder"] == "calendar" && i["start"].is_string())
    );
    let (status, body) = server
        .control(
            reqwest::Method::GET,
            "/mailboxes/nobody@contoso.test/items",
            None,
        )
        .await;
    assert_eq!(status, 404, "{body}");
}
