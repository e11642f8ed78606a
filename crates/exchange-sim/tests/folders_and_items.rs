//! GetFolder, FindFolder, FindItem and GetItem against the demo mailboxes.

mod common;

use common::*;
use impersync_ews::ResponseCode;
use impersync_ews::ops::{FindFolder, FindItem, FolderTraversal, GetItem};
use impersync_ews::types::{
    BaseShape, EntityId, Folder, FolderKind, FolderRef, IndexedPage, Item, Page, Shape,
};
use std::collections::HashSet;

const ALICE_ADDR: &str = "alice@contoso.test";

fn find_items(folder: FolderRef, shape: BaseShape, paging: Option<IndexedPage>) -> FindItem {
    FindItem {
        traversal: "Shallow".into(),
        shape: Shape::base(shape),
        paging,
        parent_folder_ids: vec![folder],
    }
}

fn page(max: u32, offset: u32) -> Option<IndexedPage> {
    Some(IndexedPage {
        max_entries: Some(max),
        offset,
        ..IndexedPage::default()
    })
}

fn get_items(ids: Vec<EntityId>, shape: Shape) -> GetItem {
    GetItem {
        shape,
        item_ids: ids,
    }
}

/// Every item id of one of alice's folders, newest first.
async fn all_ids(server: &Server, folder: &str) -> Vec<EntityId> {
    let r = server
        .as_master(
            ALICE_ADDR,
            &find_items(FolderRef::distinguished(folder), BaseShape::IdOnly, None),
        )
        .await
        .ok();
    let page: Page<Item> = success(r.messages.into_iter().next().unwrap());
    page.entries
        .into_iter()
        .map(|i| i.id().expect("items carry ids").clone())
        .collect()
}

/// One item of alice's, with every property.
async fn full_item(server: &Server, id: &EntityId) -> Item {
    let r = server
        .as_master(
            ALICE_ADDR,
            &get_items(vec![id.clone()], Shape::base(BaseShape::AllProperties)),
        )
        .await
        .ok();
    let mut items = success(r.messages.into_iter().next().unwrap());
    assert_eq!(items.len(), 1);
    items.remove(0)
}

fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    s.len() == 20
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'Z'
        && s.chars()
            .enumerate()
            .all(|(i, c)| [4, 7, 10, 13, 16, 19].contains(&i) || c.is_ascii_digit())
}

#[tokio::test]
async fn get_folder_by_distinguished_name_with_and_without_mailbox() {
    let server = Server::demo().await;
    let expected = [
        ("inbox", 50, FolderKind::Folder, "IPF.Note", "Inbox"),
        (
            "sentitems",
            20,
            FolderKind::Folder,
            "IPF.Note",
            "Sent Items",
        ),
        (
            "calendar",
            10,
            FolderKind::Calendar,
            "IPF.Appointment",
            "Calendar",
        ),
        (
            "contacts",
            5,
            FolderKind::Contacts,
            "IPF.Contact",
            "Contacts",
        ),
    ];
    let plain: Vec<FolderRef> = expected
        .iter()
        .map(|e| FolderRef::distinguished(e.0))
        .collect();
    let nested: Vec<FolderRef> = expected
        .iter()
        .map(|e| distinguished_in(e.0, ALICE_ADDR))
        .collect();
    let mut ids_by_form = Vec::new();
    for refs in [plain, nested] {
        let r = server.as_master(ALICE_ADDR, &get_folder(refs)).await.ok();
        assert_eq!(r.messages.len(), 4, "one message per folder, in order");
        let folders: Vec<Folder> = r
            .messages
            .into_iter()
            .map(|m| {
                let mut f = success(m);
                assert_eq!(f.len(), 1);
                f.remove(0)
            })
            .collect();
        for (f, (name, total, kind, class, display)) in folders.iter().zip(expected) {
            assert_eq!(f.total_count, Some(total), "{name}");
            assert_eq!(f.kind, kind, "{name}");
            assert_eq!(f.folder_class.as_deref(), Some(class), "{name}");
            assert_eq!(f.display_name.as_deref(), Some(display), "{name}");
            assert_eq!(f.child_folder_count, Some(0), "{name}");
            assert!(f.parent_folder_id.is_some(), "{name}");
            assert!(f.folder_id.change_key.is_some(), "{name}");
        }
        assert_eq!(
            folders[0].unread_count,
            Some(50),
            "generated mail is unread"
        );
        assert_eq!(
            folders[2].unread_count, None,
            "calendars have no UnreadCount"
        );
        ids_by_form.push(
            folders
                .iter()
                .map(|f| f.folder_id.id.clone())
                .collect::<Vec<_>>(),
        );
    }
    assert_eq!(ids_by_form[0], ids_by_form[1]);
    // The same mailbox's folders as bob: different ids, same shape.
    let bob_inbox = server.folder("bob@contoso.test", "inbox").await;
    assert_ne!(bob_inbox.folder_id.id, ids_by_form[0][0]);
    assert_eq!(bob_inbox.total_count, Some(50));
}

#[tokio::test]
async fn get_folder_by_id_returned_earlier() {
    let server = Server::demo().await;
    let inbox = server.folder(ALICE_ADDR, "inbox").await;
    let root = server.folder(ALICE_ADDR, "msgfolderroot").await;
    assert_eq!(
        inbox.parent_folder_id.as_ref().map(|p| &p.id),
        Some(&root.folder_id.id)
    );
    assert_eq!(
        root.display_name.as_deref(),
        Some("Top of Information Store")
    );
    assert_eq!(root.child_folder_count, Some(9));

    let by_id = only_folder(
        server
            .as_master(ALICE_ADDR, &get_folder(vec![folder_id(&inbox.folder_id)]))
            .await
            .ok()
            .messages,
    );
    assert_eq!(by_id, inbox);
    // Without the change key too.
    let bare = EntityId {
        id: inbox.folder_id.id.clone(),
        change_key: None,
    };
    let by_bare_id = only_folder(
        server
            .as_master(ALICE_ADDR, &get_folder(vec![folder_id(&bare)]))
            .await
            .ok()
            .messages,
    );
    assert_eq!(by_bare_id.total_count, Some(50));

    // alice's folder id while impersonating bob: not bob's folder.
    let r = server
        .as_master(
            "bob@contoso.test",
            &get_folder(vec![folder_id(&inbox.folder_id)]),
        )
        .await
        .ok();
    error_of(&r.messages[0], ResponseCode::ErrorAccessDenied);

    // A folder id that is not one.
    let r = server
        .as_master(
            ALICE_ADDR,
            &get_folder(vec![folder_id(&EntityId {
                id: "AQMkA-not-an-id".into(),
                change_key: None,
            })]),
        )
        .await
        .ok();
    error_of(&r.messages[0], ResponseCode::ErrorInvalidIdMalformed);
}

#[tokio::test]
async fn get_folder_of_another_mailbox_and_unknown_names_fail_per_message() {
    let server = Server::demo().await;
    let r = server
        .as_master(
            ALICE_ADDR,
            &get_folder(vec![
                distinguished_in("inbox", "bob@contoso.test"),
                FolderRef::distinguished("nosuchfolder"),
                distinguished_in("inbox", "nobody@contoso.test"),
                FolderRef::distinguished("INBOX"),
            ]),
        )
        .await
        .ok();
    assert_eq!(r.messages.len(), 4);
    let text = error_of(&r.messages[0], ResponseCode::ErrorAccessDenied);
    assert!(text.contains("Access is denied"), "{text}");
    error_of(&r.messages[1], ResponseCode::ErrorFolderNotFound);
    error_of(&r.messages[2], ResponseCode::ErrorNonExistentMailbox);
    let mut it = r.messages.into_iter().skip(3);
    let inbox = success(it.next().unwrap());
    assert_eq!(inbox[0].total_count, Some(50), "names are case-insensitive");
}

#[tokio::test]
async fn find_folder_shallow_and_deep() {
    let server = Server::demo().await;
    let find = |parent: &str, traversal, paging| FindFolder {
        traversal,
        shape: Shape::base(BaseShape::AllProperties),
        paging,
        parent_folder_ids: vec![FolderRef::distinguished(parent)],
    };
    let names = |page: &Page<Folder>| -> Vec<String> {
        page.entries
            .iter()
            .map(|f| f.display_name.clone().unwrap_or_default())
            .collect()
    };
    let well_known: HashSet<&str> = [
        "Inbox",
        "Sent Items",
        "Drafts",
        "Deleted Items",
        "Outbox",
        "Junk Email",
        "Calendar",
        "Contacts",
        "Tasks",
    ]
    .into();

    let r = server
        .as_master(
            ALICE_ADDR,
            &find("msgfolderroot", FolderTraversal::Shallow, None),
        )
        .await
        .ok();
    let shallow = success(r.messages.into_iter().next().unwrap());
    assert_eq!(shallow.total_items_in_view, 9);
    assert!(shallow.includes_last_item_in_range);
    let got: HashSet<String> = names(&shallow).into_iter().collect();
    assert_eq!(got, well_known.iter().map(|s| s.to_string()).collect());
    let kinds: Vec<FolderKind> = shallow.entries.iter().map(|f| f.kind).collect();
    assert!(kinds.contains(&FolderKind::Calendar));
    assert!(kinds.contains(&FolderKind::Contacts));
    assert!(kinds.contains(&FolderKind::Tasks));

    let r = server
        .as_master(ALICE_ADDR, &find("root", FolderTraversal::Shallow, None))
        .await
        .ok();
    let root_shallow = success(r.messages.into_iter().next().unwrap());
    assert_eq!(names(&root_shallow), vec!["Top of Information Store"]);

    let r = server
        .as_master(ALICE_ADDR, &find("root", FolderTraversal::Deep, None))
        .await
        .ok();
    let deep = success(r.messages.into_iter().next().unwrap());
    assert_eq!(deep.total_items_in_view, 10);
    let got: HashSet<String> = names(&deep).into_iter().collect();
    assert!(got.contains("Top of Information Store"));
    assert!(well_known.iter().all(|n| got.contains(*n)));

    // The inbox has no subfolders.
    let r = server
        .as_master(ALICE_ADDR, &find("inbox", FolderTraversal::Deep, None))
        .await
        .ok();
    let none = success(r.messages.into_iter().next().unwrap());
    assert_eq!(none.total_items_in_view, 0);
    assert!(none.entries.is_empty());

    // Paged.
    let r = server
        .as_master(
            ALICE_ADDR,
            &find(
                "msgfolderroot",
                FolderTraversal::Shallow,
                Some(IndexedPage {
                    max_entries: Some(4),
                    offset: 0,
                    ..IndexedPage::default()
                }),
            ),
        )
        .await
        .ok();
    let first = success(r.messages.into_iter().next().unwrap());
    assert_eq!(first.entries.len(), 4);
    assert_eq!(first.next_offset, Some(4));
    assert_eq!(first.total_items_in_view, 9);
    assert!(!first.includes_last_item_in_range);
}

#[tokio::test]
async fn find_item_pages_through_the_inbox() {
    let server = Server::demo().await;
    let mut offset = 0;
    let mut ids = Vec::new();
    let mut pages = Vec::new();
    loop {
        let r = server
            .as_master(
                ALICE_ADDR,
                &find_items(
                    FolderRef::distinguished("inbox"),
                    BaseShape::IdOnly,
                    page(15, offset),
                ),
            )
            .await
            .ok();
        let p = success(r.messages.into_iter().next().unwrap());
        assert_eq!(p.total_items_in_view, 50);
        pages.push((
            p.entries.len(),
            p.next_offset,
            p.includes_last_item_in_range,
        ));
        ids.extend(p.entries.iter().map(|i| i.id().unwrap().id.clone()));
        if p.includes_last_item_in_range {
            break;
        }
        offset = p.next_offset.expect("IndexedPagingOffset");
        assert!(pages.len() < 10, "paging does not end");
    }
    assert_eq!(
        pages,
        vec![
            (15, Some(15), false),
            (15, Some(30), false),
            (15, Some(45), false),
            (5, Some(50), true),
        ]
    );
    let distinct: HashSet<&String> = ids.iter().collect();
    assert_eq!(distinct.len(), 50);
    // Same ids as one unpaged FindItem, in the same (newest first) order.
    let all: Vec<String> = all_ids(&server, "inbox")
        .await
        .into_iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(all, ids);

    // An offset past the end is an empty last page.
    let r = server
        .as_master(
            ALICE_ADDR,
            &find_items(
                FolderRef::distinguished("inbox"),
                BaseShape::IdOnly,
                page(10, 60),
            ),
        )
        .await
        .ok();
    let p = success(r.messages.into_iter().next().unwrap());
    assert!(p.entries.is_empty());
    assert!(p.includes_last_item_in_range);
    assert_eq!(p.total_items_in_view, 50);
}

#[tokio::test]
async fn get_item_returns_messages_with_crm_properties() {
    let server = Server::demo().await;
    let inbox = server.folder(ALICE_ADDR, "inbox").await;
    let ids = all_ids(&server, "inbox").await;
    let mut conversation_ids = HashSet::new();
    for id in ids.iter().take(5) {
        let Item::Message(m) = full_item(&server, id).await else {
            panic!("inbox items are messages");
        };
        let c = &m.item;
        assert_eq!(c.item_id.as_ref().map(|i| &i.id), Some(&id.id));
        assert_eq!(
            c.parent_folder_id.as_ref().map(|p| &p.id),
            Some(&inbox.folder_id.id)
        );
        assert_eq!(c.item_class.as_deref(), Some("IPM.Note"));
        let subject = c.subject.clone().expect("subject");
        let (_, number) = subject.rsplit_once(" #").expect("subject ends with #n");
        assert!(number.parse::<u32>().unwrap() < 50, "{subject}");
        let received = c.date_time_received.clone().expect("received");
        let sent = c.date_time_sent.clone().expect("sent");
        assert!(
            is_timestamp(&received) && is_timestamp(&sent),
            "{received} {sent}"
        );
        assert!(sent < received, "sent before received");
        let from = m.from.clone().expect("from");
        assert!(from.email_address.ends_with(".test"), "{from:?}");
        assert_ne!(from.email_address, ALICE_ADDR);
        assert!(from.name.as_deref().is_some_and(|n| n.contains(' ')));
        assert_eq!(m.sender, Some(from));
        assert_eq!(m.to_recipients.len(), 1);
        assert_eq!(m.to_recipients[0].email_address, ALICE_ADDR);
        assert_eq!(m.to_recipients[0].name.as_deref(), Some("Alice Archer"));
        let imid = m.internet_message_id.clone().expect("InternetMessageId");
        assert!(
            imid.starts_with('<') && imid.ends_with("@contoso.test>"),
            "{imid}"
        );
        let conv = c.conversation_id.clone().expect("ConversationId");
        assert!(conv.starts_with("AAQkA"), "{conv}");
        conversation_ids.insert(conv);
        assert_eq!(m.is_read, Some(false));
        let body = c.body.clone().expect("body");
        assert_eq!(body.body_type, "Text");
        assert!(body.content.contains("Alice Archer"), "{}", body.content);
        assert!(c.size.is_some_and(|s| s > 0));
    }
    assert!(conversation_ids.len() > 1, "conversations differ");

    // Sent items are from alice.
    let sent_ids = all_ids(&server, "sentitems").await;
    assert_eq!(sent_ids.len(), 20);
    let Item::Message(m) = full_item(&server, &sent_ids[0]).await else {
        panic!("sent items are messages");
    };
    assert_eq!(m.from.map(|f| f.email_address).as_deref(), Some(ALICE_ADDR));
    assert_ne!(m.to_recipients[0].email_address, ALICE_ADDR);
}

#[tokio::test]
async fn get_item_returns_calendar_items_and_contacts() {
    let server = Server::demo().await;
    let ids = all_ids(&server, "calendar").await;
    assert_eq!(ids.len(), 10);
    let mut saw_all_day = false;
    for id in &ids {
        let Item::CalendarItem(ev) = full_item(&server, id).await else {
            panic!("calendar items are CalendarItem");
        };
        let (start, end) = (ev.start.clone().unwrap(), ev.end.clone().unwrap());
        assert!(is_timestamp(&start) && is_timestamp(&end));
        assert!(start < end, "{start} < {end}");
        saw_all_day |= ev.is_all_day_event == Some(true);
        let location = ev.location.clone().unwrap();
        assert!(
            ["Room 1", "Room 2", "Teams call", "Customer site"].contains(&location.as_str()),
            "{location}"
        );
        let organizer = ev.organizer.clone().unwrap();
        assert_eq!(organizer.email_address, ALICE_ADDR);
        assert_eq!(ev.required_attendees.len(), 1);
        let attendee = &ev.required_attendees[0];
        assert!(attendee.mailbox.email_address.ends_with(".test"));
        assert!(attendee.response_type.is_some());
        assert_eq!(ev.uid.as_ref().map(String::len), Some(32));
        assert_eq!(ev.item.item_class.as_deref(), Some("IPM.Appointment"));
        assert!(ev.item.subject.is_some());
        assert!(ev.calendar_item_type.is_some());
    }
    assert!(saw_all_day, "index 4 of 10 is an all-day event");

    let ids = all_ids(&server, "contacts").await;
    assert_eq!(ids.len(), 5);
    for id in &ids {
        let Item::Contact(c) = full_item(&server, id).await else {
            panic!("contacts are Contact");
        };
        let given = c.given_name.clone().unwrap();
        let surname = c.surname.clone().unwrap();
        assert_eq!(c.display_name, Some(format!("{given} {surname}")));
        assert_eq!(c.item.subject, c.display_name);
        assert_eq!(c.email_addresses.len(), 1);
        assert_eq!(c.email_addresses[0].key, "EmailAddress1");
        assert!(
            c.email_addresses[0]
                .value
                .starts_with(&format!("{}.", given.to_lowercase()))
        );
        assert_eq!(c.phone_numbers[0].key, "BusinessPhone");
        assert!(c.phone_numbers[0].value.starts_with("+1 555 "));
        let company = c.company_name.clone().unwrap();
        assert!(
            [
                "Fabrikam",
                "Northwind",
                "Tailspin",
                "Litware",
                "Adventure Works",
                "Wingtip"
            ]
            .contains(&company.as_str())
        );
        assert!(c.job_title.is_some());
    }
}

#[tokio::test]
async fn id_only_shape_returns_only_ids() {
    let server = Server::demo().await;
    let ids = all_ids(&server, "inbox").await;
    let r = server
        .as_master(
            ALICE_ADDR,
            &get_items(ids[..3].to_vec(), Shape::base(BaseShape::IdOnly)),
        )
        .await;
    assert!(!r.body.contains("<t:Subject>"), "{}", r.body);
    let r = r.ok();
    assert_eq!(r.messages.len(), 3);
    for (m, id) in r.messages.into_iter().zip(&ids) {
        let item = success(m).remove(0);
        let Item::Message(msg) = item else {
            panic!("a message")
        };
        assert_eq!(msg.item.item_id.as_ref(), Some(id));
        assert_eq!(msg.item.subject, None);
        assert_eq!(msg.item.date_time_received, None);
        assert_eq!(msg.from, None);
        assert_eq!(msg.is_read, None);
        assert_eq!(msg.internet_message_id, None);
    }

    // IdOnly plus AdditionalProperties gives exactly those.
    let shape = Shape {
        base: BaseShape::IdOnly,
        additional: vec!["item:Subject".into(), "message:IsRead".into()],
    };
    let r = server
        .as_master(ALICE_ADDR, &get_items(vec![ids[0].clone()], shape))
        .await
        .ok();
    let Item::Message(msg) = success(r.messages.into_iter().next().unwrap()).remove(0) else {
        panic!("a message")
    };
    assert!(msg.item.subject.is_some());
    assert_eq!(msg.is_read, Some(false));
    assert_eq!(msg.from, None);
    assert_eq!(msg.item.body, None);
}

#[tokio::test]
async fn get_item_refuses_bad_and_foreign_ids_per_message() {
    let server = Server::demo().await;
    let alice_ids = all_ids(&server, "inbox").await;
    let bob_ids = {
        let r = server
            .as_master(
                "bob@contoso.test",
                &find_items(
                    FolderRef::distinguished("inbox"),
                    BaseShape::IdOnly,
                    page(1, 0),
                ),
            )
            .await
            .ok();
        let p = success(r.messages.into_iter().next().unwrap());
        vec![p.entries[0].id().unwrap().clone()]
    };
    let malformed = |id: &str| EntityId {
        id: id.into(),
        change_key: None,
    };
    let r = server
        .as_master(
            ALICE_ADDR,
            &get_items(
                vec![
                    alice_ids[0].clone(),
                    malformed("AAMkA!!!"),
                    malformed("not-an-id"),
                    bob_ids[0].clone(),
                    // A folder id is not an item id.
                    server.folder(ALICE_ADDR, "inbox").await.folder_id,
                ],
                Shape::base(BaseShape::Default),
            ),
        )
        .await
        .ok();
    assert_eq!(r.messages.len(), 5);
    assert_eq!(
        success(r.messages[0].clone())[0].id().map(|i| &i.id),
        Some(&alice_ids[0].id)
    );
    error_of(&r.messages[1], ResponseCode::ErrorInvalidIdMalformed);
    error_of(&r.messages[2], ResponseCode::ErrorInvalidIdMalformed);
    error_of(&r.messages[3], ResponseCode::ErrorAccessDenied);
    error_of(&r.messages[4], ResponseCode::ErrorInvalidIdMalformed);

    // A deleted item is not found.
    assert_eq!(server.delete_item(ALICE_ADDR, &alice_ids[1].id).await, 204);
    let r = server
        .as_master(
            ALICE_ADDR,
            &get_items(vec![alice_ids[1].clone()], Shape::base(BaseShape::IdOnly)),
        )
        .await
        .ok();
    error_of(&r.messages[0], ResponseCode::ErrorItemNotFound);
}
