//! Responses written the way Exchange writes them, decoded field by field.

mod common;

use common::{fixture, id};
use impersync_ews::ops::{
    ConvertId, FindFolder, FindItem, FolderChange, GetFolder, GetItem, GetRoomLists, GetRooms,
    ItemChange, SyncFolderHierarchy, SyncFolderItems,
};
use impersync_ews::types::{
    Body, EntityId, Folder, FolderKind, Item, ItemCommon, KeyedValue, Mailbox, Message,
};
use impersync_ews::{
    Operation, ResponseClass, ResponseCode, ResponseStatus, ServerVersionInfo, decode_response,
};

/// Decodes a fixture as the response to `O`, insisting on a non-fault body.
fn decode<O: Operation>(name: &str) -> (Option<ServerVersionInfo>, O::Response) {
    let bytes = fixture(&format!("responses/{name}"));
    let decoded = decode_response::<O>(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    match decoded.body {
        Ok(r) => (decoded.server_version, r),
        Err(f) => panic!("{name}: unexpected fault {f:?}"),
    }
}

fn smtp(name: Option<&str>, address: &str, kind: Option<&str>) -> Mailbox {
    Mailbox {
        name: name.map(str::to_string),
        email_address: address.into(),
        routing_type: kind.map(|_| "SMTP".to_string()),
        mailbox_type: kind.map(str::to_string),
    }
}

#[test]
fn get_folder_inbox() {
    let (version, resp) = decode::<GetFolder>("get_folder_inbox.xml");
    assert_eq!(version, Some(ServerVersionInfo::exchange2016()));
    assert_eq!(resp.messages.len(), 2);

    let ok = &resp.messages[0];
    assert_eq!(ok.status, ResponseStatus::success());
    let folders = ok.payload.as_ref().unwrap();
    assert_eq!(
        folders,
        &vec![Folder {
            kind: FolderKind::Folder,
            folder_id: id(
                "AAMkADc3MWUyMGQ5LTIxAC4AAAAAAAdInbox",
                "AQAAABYAAAB7Kk1Ik0c0"
            ),
            parent_folder_id: Some(id("AAMkADc3MWUyMGQ5LTIxAC4AAAAAAAdTop", "AQAAAA==")),
            folder_class: Some("IPF.Note".into()),
            display_name: Some("Inbox".into()),
            total_count: Some(17),
            child_folder_count: Some(2),
            unread_count: Some(3),
        }]
    );

    let err = &resp.messages[1];
    assert_eq!(err.status.class, ResponseClass::Error);
    assert_eq!(err.status.code, ResponseCode::ErrorFolderNotFound);
    assert_eq!(
        err.status.message_text.as_deref(),
        Some("The specified folder could not be found in the store.")
    );
    assert_eq!(err.status.back_off_ms, None);
    assert_eq!(err.payload, None);
}

#[test]
fn get_folder_with_default_namespaces_and_folder_kinds() {
    let (version, resp) = decode::<GetFolder>("get_folder_legacy_default_ns.xml");
    assert_eq!(version.unwrap().major, 8);
    let folders = resp.messages[0].payload.as_ref().unwrap();
    let kinds: Vec<FolderKind> = folders.iter().map(|f| f.kind).collect();
    assert_eq!(
        kinds,
        vec![
            FolderKind::Calendar,
            FolderKind::Contacts,
            FolderKind::Tasks
        ]
    );
    assert_eq!(folders[0].folder_id, id("AQApAHRD", "AgAAABYA"));
    assert_eq!(folders[0].display_name.as_deref(), Some("Calendar"));
    assert_eq!(folders[0].total_count, Some(4));
    assert_eq!(folders[0].folder_class, None);
    assert_eq!(folders[1].folder_class.as_deref(), Some("IPF.Contact"));
    assert_eq!(folders[1].total_count, Some(250));
    assert_eq!(folders[1].child_folder_count, Some(1));
    assert_eq!(folders[2].total_count, None);
}

#[test]
fn sync_folder_items_inbox() {
    let (_, resp) = decode::<SyncFolderItems>("sync_folder_items_inbox.xml");
    assert_eq!(resp.messages.len(), 1);
    assert!(resp.messages[0].status.is_success());
    let payload = resp.messages[0].payload.as_ref().unwrap();
    assert_eq!(
        payload.sync_state,
        "H4sIAAAAAAAEAO29B2AcSZYlJi9tynt/SvVK1+B0oQiAYBMk2JBAEOzBiM3mkuwdaUcjKasqgcplVmVdZhZAzO2dvPfee++999577733"
    );
    assert!(!payload.includes_last_item_in_range);
    assert_eq!(payload.changes.len(), 5);

    let ItemChange::Create(Item::Message(m)) = &payload.changes[0] else {
        panic!("expected a created message: {:?}", payload.changes[0]);
    };
    let bob = smtp(Some("Bob Baker"), "bob@fabrikam.test", Some("OneOff"));
    assert_eq!(
        m,
        &Message {
            item: ItemCommon {
                item_id: Some(id("AAMkAGQ1Msg001", "CQAAABYAAAD1")),
                parent_folder_id: Some(id("AAMkADc3MWUyMGQ5LTIxAC4AAAAAAAdInbox", "AQAAAA==")),
                item_class: Some("IPM.Note".into()),
                subject: Some("Q3 renewal & pricing <draft>".into()),
                body: Some(Body {
                    body_type: "HTML".into(),
                    content: "<html><body>Hello &amp; welcome</body></html>".into(),
                }),
                date_time_received: Some("2024-03-11T09:15:02Z".into()),
                size: Some(10342),
                categories: vec!["Customer".into(), "Red category".into()],
                importance: Some("High".into()),
                date_time_sent: Some("2024-03-11T09:14:58Z".into()),
                date_time_created: Some("2024-03-11T09:15:01Z".into()),
                has_attachments: Some(false),
                last_modified_time: Some("2024-03-11T09:15:03Z".into()),
                conversation_id: Some("AAQkAGQ1Conv001".into()),
                preview: Some("Hello & welcome".into()),
            },
            sender: Some(bob.clone()),
            to_recipients: vec![smtp(
                Some("Alice Archer"),
                "alice@contoso.test",
                Some("Mailbox")
            )],
            cc_recipients: vec![
                smtp(Some("Carol Chen"), "carol@contoso.test", Some("Mailbox")),
                smtp(None, "dave@contoso.test", None),
            ],
            from: Some(bob),
            internet_message_id: Some("<CAB1234@mail.fabrikam.test>".into()),
            is_read: Some(false),
        }
    );

    // A meeting request is read as a message; `1` is a boolean.
    let ItemChange::Update(Item::Message(req)) = &payload.changes[1] else {
        panic!("expected an updated message: {:?}", payload.changes[1]);
    };
    assert_eq!(req.item.item_id, Some(id("AAMkAGQ1Msg002", "CwAAABYAAAD2")));
    assert_eq!(
        req.item.item_class.as_deref(),
        Some("IPM.Schedule.Meeting.Request")
    );
    assert_eq!(req.is_read, Some(true));

    assert_eq!(
        payload.changes[2],
        ItemChange::Delete(id("AAMkAGQ1Msg003", "CQAAABYAAAD3"))
    );
    assert_eq!(
        payload.changes[3],
        ItemChange::ReadFlagChange {
            item_id: id("AAMkAGQ1Msg004", "CQAAABYAAAD4"),
            is_read: true,
        }
    );
    // Unmodelled item kinds keep their base properties.
    assert_eq!(
        payload.changes[4],
        ItemChange::Create(Item::Other(ItemCommon {
            item_id: Some(id("AAMkAGQ1Post005", "CQAAABYAAAD5")),
            item_class: Some("IPM.Post".into()),
            subject: Some("Team notes".into()),
            ..ItemCommon::default()
        }))
    );
}

#[test]
fn sync_folder_items_calendar() {
    let (version, resp) = decode::<SyncFolderItems>("sync_folder_items_calendar.xml");
    let version = version.unwrap();
    assert_eq!((version.major, version.minor, version.build), (15, 2, 1544));
    let payload = resp.messages[0].payload.as_ref().unwrap();
    assert!(payload.includes_last_item_in_range);
    assert_eq!(payload.sync_state, "H4sIAAAAAAAEAGNgYGBkYPjPwMDgCAA=");
    assert_eq!(payload.changes.len(), 4);

    let ItemChange::Create(Item::CalendarItem(meeting)) = &payload.changes[0] else {
        panic!("expected a calendar item");
    };
    assert_eq!(
        meeting.item.item_id,
        Some(id("AAMkAGCal001", "DwAAABYAAAA1"))
    );
    assert_eq!(meeting.item.subject.as_deref(), Some("Contract review"));
    assert_eq!(meeting.item.size, Some(6120));
    assert_eq!(
        meeting.uid.as_deref(),
        Some("040000008200E00074C5B7101A82E0080000000010A5C2B0")
    );
    assert_eq!(meeting.start.as_deref(), Some("2024-03-14T13:00:00Z"));
    assert_eq!(meeting.end.as_deref(), Some("2024-03-14T14:00:00Z"));
    assert_eq!(meeting.is_all_day_event, Some(false));
    assert_eq!(meeting.location.as_deref(), Some("Room 4.01 / Teams"));
    assert_eq!(meeting.is_recurring, Some(false));
    assert_eq!(meeting.calendar_item_type.as_deref(), Some("Single"));
    assert_eq!(
        meeting.organizer,
        Some(smtp(
            Some("Alice Archer"),
            "alice@contoso.test",
            Some("Mailbox")
        ))
    );
    let required: Vec<(&str, Option<&str>)> = meeting
        .required_attendees
        .iter()
        .map(|a| (a.mailbox.email_address.as_str(), a.response_type.as_deref()))
        .collect();
    assert_eq!(
        required,
        vec![
            ("bob@fabrikam.test", Some("Accept")),
            ("carol@contoso.test", Some("Tentative"))
        ]
    );
    assert_eq!(
        meeting.required_attendees[0].mailbox.name.as_deref(),
        Some("Bob Baker")
    );
    assert_eq!(meeting.optional_attendees.len(), 1);
    assert_eq!(
        meeting.optional_attendees[0].response_type.as_deref(),
        Some("NoResponseReceived")
    );

    let ItemChange::Create(Item::CalendarItem(holiday)) = &payload.changes[1] else {
        panic!("expected a calendar item");
    };
    assert_eq!(holiday.is_all_day_event, Some(true));
    assert_eq!(holiday.location.as_deref(), Some(""));
    assert_eq!(holiday.organizer, None);
    assert!(holiday.required_attendees.is_empty());

    let ItemChange::Update(Item::CalendarItem(series)) = &payload.changes[2] else {
        panic!("expected a calendar item");
    };
    assert_eq!(series.is_recurring, Some(true));
    assert_eq!(
        series.calendar_item_type.as_deref(),
        Some("RecurringMaster")
    );
    assert_eq!(
        series.organizer.as_ref().map(|o| o.routing_type.as_deref()),
        Some(Some("SMTP"))
    );
    assert_eq!(
        series.organizer.as_ref().unwrap().mailbox_type,
        None,
        "no MailboxType was sent"
    );
    assert_eq!(
        payload.changes[3],
        ItemChange::Delete(id("AAMkAGCal004", "DwAAABYAAAA4"))
    );
}

#[test]
fn sync_folder_items_contacts() {
    let (_, resp) = decode::<SyncFolderItems>("sync_folder_items_contacts.xml");
    let payload = resp.messages[0].payload.as_ref().unwrap();
    assert_eq!(payload.changes.len(), 3);
    let ItemChange::Create(Item::Contact(c)) = &payload.changes[0] else {
        panic!("expected a contact");
    };
    assert_eq!(c.item.item_id, Some(id("AAMkAGCon001", "EQAAABYAAAB1")));
    assert_eq!(c.item.item_class.as_deref(), Some("IPM.Contact"));
    assert_eq!(c.display_name.as_deref(), Some("Erin Evans"));
    assert_eq!(c.given_name.as_deref(), Some("Erin"));
    assert_eq!(c.surname.as_deref(), Some("Evans"));
    assert_eq!(c.company_name.as_deref(), Some("Fabrikam & Sons"));
    assert_eq!(c.job_title.as_deref(), Some("Head of Procurement"));
    let kv = |k: &str, v: &str| KeyedValue {
        key: k.into(),
        value: v.into(),
    };
    assert_eq!(
        c.email_addresses,
        vec![
            kv("EmailAddress1", "erin@fabrikam.test"),
            kv("EmailAddress2", "erin.evans@home.test")
        ]
    );
    assert_eq!(
        c.phone_numbers,
        vec![
            kv("BusinessPhone", "+1 555 0100"),
            kv("MobilePhone", "+1 555 0199"),
            kv("HomePhone", ""),
        ]
    );

    let ItemChange::Update(Item::Contact(c2)) = &payload.changes[1] else {
        panic!("expected a contact");
    };
    assert_eq!(c2.display_name.as_deref(), Some("Frank Fox"));
    assert!(c2.email_addresses.is_empty());

    let ItemChange::Create(Item::Other(dl)) = &payload.changes[2] else {
        panic!("expected another item kind");
    };
    assert_eq!(dl.item_class.as_deref(), Some("IPM.DistList"));
}

#[test]
fn sync_folder_hierarchy() {
    let (_, resp) = decode::<SyncFolderHierarchy>("sync_folder_hierarchy.xml");
    let payload = resp.messages[0].payload.as_ref().unwrap();
    assert!(payload.includes_last_folder_in_range);
    assert_eq!(payload.sync_state, "H4sIAAAAAAAEAGNgYGBkYGBgBgAHOw==");
    assert_eq!(payload.changes.len(), 6);
    let FolderChange::Create(inbox) = &payload.changes[0] else {
        panic!("expected a create");
    };
    assert_eq!(
        inbox,
        &Folder {
            kind: FolderKind::Folder,
            folder_id: id("AAMkAGFld001", "AQAAABYAAAA1"),
            parent_folder_id: Some(id("AAMkAGTop", "AQAAAA==")),
            folder_class: Some("IPF.Note".into()),
            display_name: Some("Inbox".into()),
            total_count: Some(17),
            child_folder_count: Some(0),
            unread_count: Some(3),
        }
    );
    let kinds: Vec<(&str, FolderKind)> = payload
        .changes
        .iter()
        .filter_map(|c| match c {
            FolderChange::Create(f) => Some(("create", f.kind)),
            FolderChange::Update(f) => Some(("update", f.kind)),
            FolderChange::Delete(_) => None,
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("create", FolderKind::Folder),
            ("create", FolderKind::Calendar),
            ("create", FolderKind::Contacts),
            ("create", FolderKind::Search),
            ("update", FolderKind::Folder),
        ]
    );
    let FolderChange::Create(cal) = &payload.changes[1] else {
        panic!()
    };
    assert_eq!(cal.folder_class.as_deref(), Some("IPF.Appointment"));
    assert_eq!(cal.total_count, Some(42));
    let FolderChange::Update(archive) = &payload.changes[4] else {
        panic!()
    };
    assert_eq!(archive.display_name.as_deref(), Some("Archive 2023"));
    assert_eq!(archive.unread_count, Some(0));
    assert_eq!(
        payload.changes[5],
        FolderChange::Delete(id("AAMkAGFld006", "AQAAABYAAAA6"))
    );
}

#[test]
fn find_item_page() {
    let (_, resp) = decode::<FindItem>("find_item_inbox_page.xml");
    let page = resp.messages[0].payload.as_ref().unwrap();
    assert_eq!(page.next_offset, Some(12));
    assert_eq!(page.total_items_in_view, 25);
    assert!(!page.includes_last_item_in_range);
    assert_eq!(page.entries.len(), 2);
    assert_eq!(
        page.entries[0].id(),
        Some(&id("AAMkAGFind010", "CQAAABYAAA10"))
    );
    assert_eq!(
        page.entries[0].common().subject.as_deref(),
        Some("Invoice 10")
    );
    // An empty element is an empty value, not an absent one.
    assert_eq!(page.entries[1].common().subject.as_deref(), Some(""));
}

#[test]
fn find_folder_with_default_namespaces() {
    let (_, resp) = decode::<FindFolder>("find_folder_deep.xml");
    let page = resp.messages[0].payload.as_ref().unwrap();
    assert_eq!(page.next_offset, None);
    assert_eq!(page.total_items_in_view, 2);
    assert!(page.includes_last_item_in_range);
    assert_eq!(page.entries.len(), 2);
    assert_eq!(page.entries[0].display_name.as_deref(), Some("Customers"));
    assert_eq!(page.entries[0].unread_count, Some(0));
    assert_eq!(
        page.entries[1].parent_folder_id,
        Some(EntityId {
            id: "AAMkAGSub001".into(),
            change_key: None
        })
    );
}

#[test]
fn get_item_with_errors_and_cdata() {
    let (_, resp) = decode::<GetItem>("get_item_mixed.xml");
    assert_eq!(resp.messages.len(), 3);
    let items = resp.messages[0].payload.as_ref().unwrap();
    let Item::Message(m) = &items[0] else {
        panic!("expected a message");
    };
    assert_eq!(m.item.subject.as_deref(), Some("Re: Q3 renewal"));
    assert_eq!(
        m.item.body,
        Some(Body {
            body_type: "Text".into(),
            content: "Thanks <Bob> & team,\nsee you Thursday.".into(),
        })
    );
    assert_eq!(
        m.sender,
        Some(smtp(Some("Alice Archer"), "alice@contoso.test", None))
    );
    assert_eq!(m.is_read, Some(true));
    assert_eq!(
        resp.messages[1].status.code,
        ResponseCode::ErrorItemNotFound
    );
    assert_eq!(resp.messages[1].payload, None);
    assert_eq!(
        resp.messages[2].status.code,
        ResponseCode::ErrorInvalidIdMalformed
    );
    assert_eq!(
        resp.messages[2].status.message_text.as_deref(),
        Some("Id is malformed.")
    );
}

#[test]
fn convert_id() {
    let (_, resp) = decode::<ConvertId>("convert_id.xml");
    let alt = resp.messages[0].payload.as_ref().unwrap();
    assert_eq!(alt.format, "HexEntryId");
    assert_eq!(alt.id, "00000000A1B2C3D4E5F60718293A4B5C6D7E8F900700");
    assert_eq!(alt.mailbox, "alice@contoso.test");
    assert_eq!(
        resp.messages[1].status.code,
        ResponseCode::ErrorInvalidIdMalformed
    );
}

#[test]
fn room_lists_and_rooms() {
    let (_, lists) = decode::<GetRoomLists>("get_room_lists.xml");
    assert!(lists.status.is_success());
    assert_eq!(
        lists.room_lists,
        vec![
            smtp(
                Some("Building 1 Rooms"),
                "rooms-b1@contoso.test",
                Some("PublicDL")
            ),
            smtp(
                Some("Building 2 Rooms"),
                "rooms-b2@contoso.test",
                Some("PublicDL")
            ),
        ]
    );

    let (_, rooms) = decode::<GetRooms>("get_rooms.xml");
    assert_eq!(rooms.status, ResponseStatus::success());
    assert_eq!(
        rooms.rooms,
        vec![
            smtp(Some("Room 4.01"), "room401@contoso.test", Some("Mailbox")),
            smtp(Some("Room 4.02"), "room402@contoso.test", Some("Mailbox")),
        ]
    );
}

#[test]
fn invalid_sync_state_is_an_error_message() {
    let (_, resp) = decode::<SyncFolderItems>("sync_folder_items_invalid_sync_state.xml");
    let status = &resp.messages[0].status;
    assert_eq!(status.class, ResponseClass::Error);
    assert_eq!(status.code, ResponseCode::ErrorInvalidSyncStateData);
    assert_eq!(status.back_off_ms, None);
    assert_eq!(resp.messages[0].payload, None);
}

#[test]
fn batch_stopped_warning_without_payload() {
    let (_, resp) = decode::<GetItem>("get_item_batch_stopped.xml");
    assert_eq!(resp.messages.len(), 2);
    assert_eq!(
        resp.messages[0].status.code,
        ResponseCode::Other("ErrorMailboxStoreUnavailable".into())
    );
    let warning = &resp.messages[1];
    assert_eq!(warning.status.class, ResponseClass::Warning);
    assert_eq!(
        warning.status.code,
        ResponseCode::Other("ErrorBatchProcessingStopped".into())
    );
    assert_eq!(warning.payload, None);
}
