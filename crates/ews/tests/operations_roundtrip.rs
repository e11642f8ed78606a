//! Every operation: request and response encode → decode round trips, shapes and paging.

mod common;

use common::{
    id, mb, sample_all_day, sample_contact, sample_folder, sample_meeting, sample_message,
    sample_other, sample_recurring, version,
};
use impersync_ews::ops::{
    AlternateId, ConvertId, ConvertIdResponse, FindFolder, FindFolderResponse, FindItem,
    FindItemResponse, FolderChange, FolderChanges, FolderTraversal, GetFolder, GetFolderResponse,
    GetItem, GetItemResponse, GetRoomLists, GetRoomListsResponse, GetRooms, GetRoomsResponse,
    ItemChange, ItemChanges, Request, SyncFolderHierarchy, SyncFolderHierarchyResponse,
    SyncFolderItems, SyncFolderItemsResponse,
};
use impersync_ews::types::{
    BasePoint, BaseShape, DistinguishedFolderId, EntityId, Folder, FolderKind, FolderRef,
    IndexedPage, Item, ItemCommon, Message, Page, Shape,
};
use impersync_ews::{
    ConnectingSid, Operation, RequestHeader, ResponseCode, ResponseMessage, ResponseStatus,
    decode_response, encode_request, encode_response, read_request,
};

fn header() -> RequestHeader {
    RequestHeader {
        server_version: Some("Exchange2016".into()),
        impersonation: Some(ConnectingSid::PrimarySmtpAddress(
            "alice@contoso.test".into(),
        )),
        time_zone: Some("UTC".into()),
    }
}

/// Encodes a request, decodes it both through `Request::read` and `O::read`, and checks both.
fn request_round_trip<O>(op: O, wrap: fn(O) -> Request)
where
    O: Operation + Clone + PartialEq + std::fmt::Debug,
{
    let xml = encode_request(&header(), &op);
    let env = read_request(xml.as_bytes()).unwrap_or_else(|e| panic!("{e}: {xml}"));
    assert_eq!(env.header, header());
    assert_eq!(env.body.name, O::NAME);
    let decoded = Request::read(&env.body).unwrap_or_else(|e| panic!("{e}: {xml}"));
    assert_eq!(decoded.name(), O::NAME);
    assert_eq!(decoded, wrap(op.clone()), "{xml}");
    assert_eq!(O::read(&env.body).unwrap(), op);
}

/// Encodes a response and decodes it as the client of operation `O` does.
fn response_round_trip<O: Operation>(resp: &O::Response) -> O::Response {
    let xml = encode_response(&version(), resp);
    let decoded = decode_response::<O>(xml.as_bytes()).unwrap_or_else(|e| panic!("{e}: {xml}"));
    assert_eq!(decoded.server_version, Some(version()));
    match decoded.body {
        Ok(r) => r,
        Err(fault) => panic!("unexpected fault {fault:?}: {xml}"),
    }
}

fn inbox_of(address: &str) -> FolderRef {
    FolderRef::Distinguished(DistinguishedFolderId {
        name: "inbox".into(),
        mailbox: Some(address.into()),
    })
}

fn full_shape() -> Shape {
    Shape::base(BaseShape::AllProperties)
}

fn every_item() -> Vec<Item> {
    vec![
        sample_message(1),
        sample_meeting(),
        sample_all_day(),
        sample_recurring(),
        sample_contact(),
        sample_other(),
    ]
}

// ---------------------------------------------------------------- requests

#[test]
fn get_folder_request_round_trips() {
    request_round_trip(
        GetFolder {
            shape: Shape {
                base: BaseShape::IdOnly,
                additional: vec![
                    "folder:DisplayName".into(),
                    "folder:TotalCount".into(),
                    "folder:UnreadCount".into(),
                ],
            },
            folder_ids: vec![
                FolderRef::distinguished("msgfolderroot"),
                inbox_of("bob@contoso.test"),
                FolderRef::Id(id("AAMkFld001", "AQAAAB1")),
                FolderRef::Id(EntityId {
                    id: "AAMkFld002".into(),
                    change_key: None,
                }),
            ],
        },
        Request::GetFolder,
    );
}

#[test]
fn find_folder_request_round_trips_every_traversal() {
    for traversal in [
        FolderTraversal::Shallow,
        FolderTraversal::Deep,
        FolderTraversal::SoftDeleted,
    ] {
        request_round_trip(
            FindFolder {
                traversal,
                shape: Shape::default(),
                paging: Some(IndexedPage {
                    max_entries: Some(100),
                    offset: 0,
                    base_point: BasePoint::Beginning,
                }),
                parent_folder_ids: vec![FolderRef::distinguished("root")],
            },
            Request::FindFolder,
        );
    }
    request_round_trip(
        FindFolder {
            traversal: FolderTraversal::Deep,
            shape: Shape::base(BaseShape::IdOnly),
            paging: None,
            parent_folder_ids: vec![inbox_of("alice@contoso.test")],
        },
        Request::FindFolder,
    );
}

#[test]
fn sync_folder_hierarchy_request_round_trips() {
    request_round_trip(
        SyncFolderHierarchy {
            shape: Shape::base(BaseShape::AllProperties),
            folder: None,
            sync_state: None,
        },
        Request::SyncFolderHierarchy,
    );
    request_round_trip(
        SyncFolderHierarchy {
            shape: Shape {
                base: BaseShape::IdOnly,
                additional: vec!["folder:DisplayName".into()],
            },
            folder: Some(FolderRef::distinguished("root")),
            sync_state: Some("H4sIAAAAAAAEAGNgYGBkYGBgBgAHOw==".into()),
        },
        Request::SyncFolderHierarchy,
    );
}

#[test]
fn sync_folder_items_request_round_trips() {
    request_round_trip(
        SyncFolderItems {
            shape: Shape {
                base: BaseShape::IdOnly,
                additional: vec!["item:Subject".into(), "message:IsRead".into()],
            },
            folder: inbox_of("alice@contoso.test"),
            sync_state: Some("c3luYzo1MA==".into()),
            ignore: vec![id("AAMkIgnore1", "CK1"), id("AAMkIgnore2", "CK2")],
            max_changes_returned: 512,
            sync_scope: Some("NormalItems".into()),
        },
        Request::SyncFolderItems,
    );
    request_round_trip(
        SyncFolderItems {
            shape: Shape::default(),
            folder: FolderRef::Id(id("AAMkFld001", "AQAAAB1")),
            sync_state: None,
            ignore: vec![],
            max_changes_returned: 1,
            sync_scope: None,
        },
        Request::SyncFolderItems,
    );
}

#[test]
fn empty_sync_state_element_means_no_sync_state() {
    let op = SyncFolderItems {
        shape: Shape::default(),
        folder: FolderRef::distinguished("calendar"),
        sync_state: Some(String::new()),
        ignore: vec![],
        max_changes_returned: 10,
        sync_scope: None,
    };
    let xml = encode_request(&header(), &op);
    assert!(xml.contains("<m:SyncState></m:SyncState>"));
    let env = read_request(xml.as_bytes()).unwrap();
    let Request::SyncFolderItems(back) = Request::read(&env.body).unwrap() else {
        panic!("wrong operation");
    };
    assert_eq!(back.sync_state, None);
}

#[test]
fn get_item_request_round_trips() {
    request_round_trip(
        GetItem {
            shape: Shape {
                base: BaseShape::Default,
                additional: vec!["item:Body".into(), "item:Categories".into()],
            },
            item_ids: vec![
                id("AAMkMsg001", "CQAAAB1"),
                EntityId {
                    id: "AAMkMsg002".into(),
                    change_key: None,
                },
            ],
        },
        Request::GetItem,
    );
}

#[test]
fn find_item_request_round_trips() {
    request_round_trip(
        FindItem {
            traversal: "Shallow".into(),
            shape: Shape::base(BaseShape::IdOnly),
            paging: Some(IndexedPage {
                max_entries: Some(10),
                offset: 20,
                base_point: BasePoint::End,
            }),
            parent_folder_ids: vec![FolderRef::distinguished("inbox")],
        },
        Request::FindItem,
    );
    request_round_trip(
        FindItem {
            traversal: "Associated".into(),
            shape: Shape::default(),
            paging: Some(IndexedPage {
                max_entries: None,
                offset: 0,
                base_point: BasePoint::Beginning,
            }),
            parent_folder_ids: vec![
                FolderRef::distinguished("calendar"),
                FolderRef::Id(id("AAMkFld009", "AQ9")),
            ],
        },
        Request::FindItem,
    );
}

#[test]
fn convert_id_request_round_trips() {
    request_round_trip(
        ConvertId {
            destination_format: "EntryId".into(),
            source_ids: vec![
                AlternateId {
                    format: "EwsId".into(),
                    id: "AAMkMsg001".into(),
                    mailbox: "alice@contoso.test".into(),
                },
                AlternateId {
                    format: "HexEntryId".into(),
                    id: "00000000A1B2".into(),
                    mailbox: "bob@contoso.test".into(),
                },
            ],
        },
        Request::ConvertId,
    );
}

#[test]
fn room_requests_round_trip() {
    request_round_trip(GetRoomLists, Request::GetRoomLists);
    request_round_trip(
        GetRooms {
            room_list: "rooms-b1@contoso.test".into(),
        },
        Request::GetRooms,
    );
}

// --------------------------------------------------------------- responses

#[test]
fn get_folder_response_round_trips() {
    let resp = GetFolderResponse {
        messages: vec![
            ResponseMessage::ok(vec![
                sample_folder(FolderKind::Folder, 1),
                sample_folder(FolderKind::Calendar, 2),
                sample_folder(FolderKind::Contacts, 3),
                sample_folder(FolderKind::Tasks, 4),
                sample_folder(FolderKind::Search, 5),
            ]),
            ResponseMessage::error(
                ResponseCode::ErrorFolderNotFound,
                "The specified folder could not be found in the store.",
            ),
        ],
        shape: full_shape(),
    };
    let back = response_round_trip::<GetFolder>(&resp);
    assert_eq!(back.messages, resp.messages);
    assert_eq!(
        back.messages[1].status.code,
        ResponseCode::ErrorFolderNotFound
    );
}

#[test]
fn unread_count_is_written_only_for_mail_folders() {
    let mut calendar = sample_folder(FolderKind::Calendar, 2);
    calendar.unread_count = Some(9);
    let resp = GetFolderResponse {
        messages: vec![ResponseMessage::ok(vec![calendar.clone()])],
        shape: full_shape(),
    };
    let xml = encode_response(&version(), &resp);
    assert!(!xml.contains("UnreadCount"), "{xml}");
    let back = response_round_trip::<GetFolder>(&resp);
    let folders = back.messages[0].payload.as_ref().unwrap();
    assert_eq!(folders[0].unread_count, None);
    assert_eq!(folders[0].kind, FolderKind::Calendar);
    assert_eq!(folders[0].display_name, calendar.display_name);
}

#[test]
fn find_folder_response_round_trips() {
    let resp = FindFolderResponse {
        messages: vec![ResponseMessage::ok(Page {
            next_offset: Some(2),
            total_items_in_view: 5,
            includes_last_item_in_range: false,
            entries: vec![
                sample_folder(FolderKind::Folder, 7),
                sample_folder(FolderKind::Contacts, 8),
            ],
        })],
        shape: full_shape(),
    };
    let back = response_round_trip::<FindFolder>(&resp);
    assert_eq!(back.messages, resp.messages);

    let last = FindFolderResponse {
        messages: vec![ResponseMessage::ok(Page {
            next_offset: None,
            total_items_in_view: 0,
            includes_last_item_in_range: true,
            entries: vec![],
        })],
        shape: full_shape(),
    };
    assert_eq!(
        response_round_trip::<FindFolder>(&last).messages,
        last.messages
    );
}

#[test]
fn sync_folder_hierarchy_response_round_trips_every_change_kind() {
    let resp = SyncFolderHierarchyResponse {
        messages: vec![ResponseMessage::ok(FolderChanges {
            sync_state: "H4sIAAAAAAAEAGNgYGBkYGBgBgAHOw==".into(),
            includes_last_folder_in_range: false,
            changes: vec![
                FolderChange::Create(sample_folder(FolderKind::Folder, 1)),
                FolderChange::Create(sample_folder(FolderKind::Calendar, 2)),
                FolderChange::Update(sample_folder(FolderKind::Contacts, 3)),
                FolderChange::Update(sample_folder(FolderKind::Search, 4)),
                FolderChange::Delete(id("AAMkFld005", "AQAAAB5")),
            ],
        })],
        shape: full_shape(),
    };
    let back = response_round_trip::<SyncFolderHierarchy>(&resp);
    assert_eq!(back.messages, resp.messages);
}

#[test]
fn sync_folder_items_response_round_trips_all_four_change_kinds() {
    let mut changes: Vec<ItemChange> = every_item().into_iter().map(ItemChange::Create).collect();
    changes.push(ItemChange::Update(sample_message(2)));
    changes.push(ItemChange::Update(sample_contact()));
    changes.push(ItemChange::Delete(id("AAMkMsg003", "CQAAAB3")));
    changes.push(ItemChange::ReadFlagChange {
        item_id: id("AAMkMsg004", "CQAAAB4"),
        is_read: true,
    });
    changes.push(ItemChange::ReadFlagChange {
        item_id: id("AAMkMsg005", "CQAAAB5"),
        is_read: false,
    });
    let resp = SyncFolderItemsResponse {
        messages: vec![ResponseMessage::ok(ItemChanges {
            sync_state: "c3luYzo1MQ==".into(),
            includes_last_item_in_range: false,
            changes,
        })],
        shape: full_shape(),
    };
    let back = response_round_trip::<SyncFolderItems>(&resp);
    assert_eq!(back.messages, resp.messages);
    let payload = back.messages[0].payload.as_ref().unwrap();
    assert!(!payload.includes_last_item_in_range);
    assert_eq!(payload.changes.len(), 11);
}

#[test]
fn message_body_keeps_carriage_returns_and_markup() {
    let resp = GetItemResponse {
        messages: vec![ResponseMessage::ok(vec![sample_message(1)])],
        shape: full_shape(),
    };
    let back = response_round_trip::<GetItem>(&resp);
    let items = back.messages[0].payload.as_ref().unwrap();
    let body = items[0].common().body.as_ref().unwrap();
    assert_eq!(body.body_type, "HTML");
    assert_eq!(
        body.content,
        "<html><body>Line one\r\nLine two &amp; more\n\ttabbed</body></html>"
    );
    assert_eq!(
        items[0].common().subject.as_deref(),
        Some("Invoice #1 & \"terms\" <v2>")
    );
}

#[test]
fn get_item_response_round_trips_every_item_kind() {
    let resp = GetItemResponse {
        messages: every_item()
            .into_iter()
            .map(|i| ResponseMessage::ok(vec![i]))
            .chain([ResponseMessage::error(
                ResponseCode::ErrorItemNotFound,
                "The specified object was not found in the store.",
            )])
            .collect(),
        shape: full_shape(),
    };
    let back = response_round_trip::<GetItem>(&resp);
    assert_eq!(back.messages, resp.messages);
}

#[test]
fn calendar_item_fields_survive_the_round_trip() {
    let resp = GetItemResponse {
        messages: vec![ResponseMessage::ok(vec![
            sample_meeting(),
            sample_all_day(),
            sample_recurring(),
        ])],
        shape: full_shape(),
    };
    let back = response_round_trip::<GetItem>(&resp);
    let items = back.messages[0].payload.as_ref().unwrap();
    let Item::CalendarItem(meeting) = &items[0] else {
        panic!("not a calendar item: {:?}", items[0]);
    };
    assert_eq!(meeting.required_attendees.len(), 2);
    assert_eq!(
        meeting.required_attendees[0].mailbox.email_address,
        "bob@fabrikam.test"
    );
    assert_eq!(
        meeting.required_attendees[0].response_type.as_deref(),
        Some("Accept")
    );
    assert_eq!(
        meeting.required_attendees[1].response_type.as_deref(),
        Some("Decline")
    );
    assert_eq!(meeting.optional_attendees[0].response_type, None);
    assert_eq!(
        meeting.organizer.as_ref().unwrap().email_address,
        "alice@contoso.test"
    );
    let Item::CalendarItem(all_day) = &items[1] else {
        panic!("not a calendar item");
    };
    assert_eq!(all_day.is_all_day_event, Some(true));
    let Item::CalendarItem(series) = &items[2] else {
        panic!("not a calendar item");
    };
    assert_eq!(series.is_recurring, Some(true));
    assert_eq!(
        series.calendar_item_type.as_deref(),
        Some("RecurringMaster")
    );
}

#[test]
fn contact_fields_survive_the_round_trip() {
    let resp = GetItemResponse {
        messages: vec![ResponseMessage::ok(vec![sample_contact()])],
        shape: full_shape(),
    };
    let back = response_round_trip::<GetItem>(&resp);
    let Item::Contact(c) = &back.messages[0].payload.as_ref().unwrap()[0] else {
        panic!("not a contact");
    };
    assert_eq!(c.email_addresses.len(), 2);
    assert_eq!(c.email_addresses[1].key, "EmailAddress2");
    assert_eq!(c.email_addresses[1].value, "erin.evans@home.test");
    assert_eq!(c.phone_numbers[0].key, "BusinessPhone");
    assert_eq!(c.phone_numbers[0].value, "+1 555 0100");
    assert_eq!(c.company_name.as_deref(), Some("Fabrikam & Sons"));
}

#[test]
fn find_item_response_round_trips() {
    let resp = FindItemResponse {
        messages: vec![ResponseMessage::ok(Page {
            next_offset: Some(12),
            total_items_in_view: 25,
            includes_last_item_in_range: false,
            entries: every_item(),
        })],
        shape: full_shape(),
    };
    let back = response_round_trip::<FindItem>(&resp);
    assert_eq!(back.messages, resp.messages);
}

#[test]
fn convert_id_response_round_trips() {
    let converted = AlternateId {
        format: "HexEntryId".into(),
        id: "00000000A1B2C3D4".into(),
        mailbox: "alice@contoso.test".into(),
    };
    let resp = ConvertIdResponse {
        messages: vec![
            ResponseMessage::ok(converted),
            ResponseMessage::error(ResponseCode::ErrorInvalidIdMalformed, "Id is malformed."),
        ],
    };
    let back = response_round_trip::<ConvertId>(&resp);
    assert_eq!(back, resp);
}

#[test]
fn convert_id_response_declares_the_alternate_id_type() {
    // The EWS Managed API and ews-javascript-api pick the id class from xsi:type.
    let resp = ConvertIdResponse {
        messages: vec![ResponseMessage::ok(AlternateId {
            format: "EwsId".into(),
            id: "AAMkMsg001".into(),
            mailbox: "alice@contoso.test".into(),
        })],
    };
    let xml = encode_response(&version(), &resp);
    let el = impersync_ews::xml::parse(xml.as_bytes()).unwrap();
    let alt = &el.children[1].children[0].children[0].children[0].children[1];
    assert_eq!(alt.name, "AlternateId");
    assert_eq!(alt.attr("type"), Some("t:AlternateIdType"), "{xml}");
    assert!(
        xml.contains("xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""),
        "{xml}"
    );
}

#[test]
fn room_responses_round_trip() {
    let lists = GetRoomListsResponse {
        status: ResponseStatus::success(),
        room_lists: vec![
            mb("Building 1 Rooms", "rooms-b1@contoso.test"),
            mb("Building 2 Rooms", "rooms-b2@contoso.test"),
        ],
    };
    assert_eq!(response_round_trip::<GetRoomLists>(&lists), lists);

    let rooms = GetRoomsResponse {
        status: ResponseStatus::success(),
        rooms: vec![
            mb("Room 4.01", "room401@contoso.test"),
            mb("Room 4.02", "room402@contoso.test"),
        ],
    };
    assert_eq!(response_round_trip::<GetRooms>(&rooms), rooms);

    let missing = GetRoomsResponse {
        status: ResponseStatus::error(
            ResponseCode::ErrorNameResolutionNoResults,
            "No results were found.",
        ),
        rooms: vec![],
    };
    assert_eq!(response_round_trip::<GetRooms>(&missing), missing);
}

#[test]
fn warning_messages_keep_their_payload() {
    let resp = GetFolderResponse {
        messages: vec![ResponseMessage {
            status: ResponseStatus {
                class: impersync_ews::ResponseClass::Warning,
                code: ResponseCode::Other("ErrorBatchProcessingStopped".into()),
                message_text: Some("Batch stopped.".into()),
                back_off_ms: None,
            },
            payload: Some(vec![sample_folder(FolderKind::Folder, 1)]),
        }],
        shape: full_shape(),
    };
    assert_eq!(
        response_round_trip::<GetFolder>(&resp).messages,
        resp.messages
    );
}

#[test]
fn decoding_as_the_wrong_operation_is_an_error() {
    let resp = GetFolderResponse {
        messages: vec![ResponseMessage::ok(vec![])],
        shape: full_shape(),
    };
    let xml = encode_response(&version(), &resp);
    assert!(matches!(
        decode_response::<FindFolder>(xml.as_bytes()),
        Err(impersync_ews::DecodeError::Unexpected { .. })
    ));
    assert!(matches!(
        decode_response::<GetRooms>(xml.as_bytes()),
        Err(impersync_ews::DecodeError::Unexpected { .. })
    ));
}

// ------------------------------------------------------------------ shapes

fn item_with(subject: &str) -> Item {
    Item::Message(Message {
        item: ItemCommon {
            item_id: Some(id("AAMkShape1", "CK1")),
            subject: Some(subject.into()),
            date_time_received: Some("2024-03-11T09:15:02Z".into()),
            ..ItemCommon::default()
        },
        is_read: Some(true),
        from: Some(mb("Bob Baker", "bob@fabrikam.test")),
        ..Message::default()
    })
}

fn find_item_xml(shape: Shape, items: Vec<Item>) -> (String, Vec<Item>) {
    let resp = FindItemResponse {
        messages: vec![ResponseMessage::ok(Page {
            next_offset: None,
            total_items_in_view: items.len() as u32,
            includes_last_item_in_range: true,
            entries: items,
        })],
        shape,
    };
    let xml = encode_response(&version(), &resp);
    let back = decode_response::<FindItem>(xml.as_bytes())
        .unwrap()
        .body
        .unwrap();
    let entries = back.messages[0].payload.as_ref().unwrap().entries.clone();
    (xml, entries)
}

#[test]
fn id_only_shape_writes_only_the_item_id() {
    let every: Vec<Item> = every_item();
    let (xml, back) = find_item_xml(Shape::base(BaseShape::IdOnly), every.clone());
    for tag in [
        "t:Subject",
        "t:Body",
        "t:ItemClass",
        "t:Sender",
        "t:Start",
        "t:Attendee",
        "t:EmailAddresses",
        "t:ParentFolderId",
        "t:IsRead",
        "t:DisplayName",
    ] {
        assert!(!xml.contains(tag), "{tag} written with IdOnly: {xml}");
    }
    assert_eq!(back.len(), every.len());
    for (got, sent) in back.iter().zip(&every) {
        assert_eq!(got.id(), sent.id());
        let only_id = ItemCommon {
            item_id: sent.id().cloned(),
            ..ItemCommon::default()
        };
        assert_eq!(got.common(), &only_id);
        assert_eq!(
            std::mem::discriminant(got),
            std::mem::discriminant(sent),
            "item kind changed"
        );
    }
    assert_eq!(
        back[0],
        Item::Message(Message {
            item: ItemCommon {
                item_id: Some(id("AAMkMsg001", "CQAAAB1")),
                ..ItemCommon::default()
            },
            ..Message::default()
        })
    );
}

#[test]
fn id_only_shape_with_subject_writes_the_subject_too() {
    let shape = Shape {
        base: BaseShape::IdOnly,
        additional: vec!["item:Subject".into()],
    };
    let (xml, back) = find_item_xml(shape, vec![item_with("Hello & bye")]);
    assert!(
        xml.contains("<t:Subject>Hello &amp; bye</t:Subject>"),
        "{xml}"
    );
    assert!(!xml.contains("DateTimeReceived"), "{xml}");
    assert!(!xml.contains("t:From"), "{xml}");
    assert_eq!(
        back,
        vec![Item::Message(Message {
            item: ItemCommon {
                item_id: Some(id("AAMkShape1", "CK1")),
                subject: Some("Hello & bye".into()),
                ..ItemCommon::default()
            },
            ..Message::default()
        })]
    );
}

#[test]
fn id_only_shape_with_message_properties() {
    let shape = Shape {
        base: BaseShape::IdOnly,
        additional: vec!["message:IsRead".into(), "message:From".into()],
    };
    let (_, back) = find_item_xml(shape, vec![item_with("x")]);
    let Item::Message(m) = &back[0] else {
        panic!("not a message");
    };
    assert_eq!(m.is_read, Some(true));
    assert_eq!(m.from.as_ref().unwrap().email_address, "bob@fabrikam.test");
    assert_eq!(m.item.subject, None);
}

#[test]
fn id_only_shape_with_contact_list_field_uris() {
    // Clients name the whole dictionaries with the unindexed URIs.
    let shape = Shape {
        base: BaseShape::IdOnly,
        additional: vec![
            "contacts:EmailAddresses".into(),
            "contacts:PhoneNumbers".into(),
        ],
    };
    let (_, back) = find_item_xml(shape, vec![sample_contact()]);
    let Item::Contact(c) = &back[0] else {
        panic!("not a contact");
    };
    assert_eq!(c.email_addresses.len(), 2);
    assert_eq!(c.phone_numbers.len(), 2);
    assert_eq!(c.display_name, None);
}

#[test]
fn id_only_shape_with_indexed_contact_field_uris() {
    let shape = Shape {
        base: BaseShape::IdOnly,
        additional: vec!["contacts:EmailAddress".into()],
    };
    let (_, back) = find_item_xml(shape, vec![sample_contact()]);
    let Item::Contact(c) = &back[0] else {
        panic!("not a contact");
    };
    assert_eq!(c.email_addresses.len(), 2);
    assert!(c.phone_numbers.is_empty());
}

#[test]
fn id_only_folder_shape_writes_only_the_folder_id() {
    let resp = GetFolderResponse {
        messages: vec![ResponseMessage::ok(vec![sample_folder(
            FolderKind::Folder,
            1,
        )])],
        shape: Shape {
            base: BaseShape::IdOnly,
            additional: vec!["folder:DisplayName".into()],
        },
    };
    let back = response_round_trip::<GetFolder>(&resp);
    assert_eq!(
        back.messages[0].payload.as_ref().unwrap()[0],
        Folder {
            kind: FolderKind::Folder,
            folder_id: id("AAMkFld001", "AQAAAB1"),
            parent_folder_id: None,
            folder_class: None,
            display_name: Some("Folder 1 <&>".into()),
            total_count: None,
            child_folder_count: None,
            unread_count: None,
        }
    );
}

#[test]
fn shape_wants() {
    let id_only = Shape {
        base: BaseShape::IdOnly,
        additional: vec!["item:Subject".into()],
    };
    assert!(id_only.wants("item:Subject"));
    assert!(!id_only.wants("item:Body"));
    assert!(Shape::base(BaseShape::Default).wants("item:Body"));
    assert!(Shape::base(BaseShape::AllProperties).wants("anything"));
}

#[test]
fn shape_reads_indexed_and_ignores_extended_field_uris() {
    let xml = r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><s:Body>
      <m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties>
        <t:FieldURI FieldURI="item:Subject"/>
        <t:IndexedFieldURI FieldURI="contacts:EmailAddress" FieldIndex="EmailAddress1"/>
        <t:ExtendedFieldURI PropertyTag="0x1000" PropertyType="String"/>
      </t:AdditionalProperties></m:ItemShape><m:ItemIds><t:ItemId Id="A"/></m:ItemIds></m:GetItem>
    </s:Body></s:Envelope>"#;
    let env = read_request(xml.as_bytes()).unwrap();
    let Request::GetItem(op) = Request::read(&env.body).unwrap() else {
        panic!("wrong op");
    };
    assert_eq!(op.shape.base, BaseShape::IdOnly);
    assert_eq!(
        op.shape.additional,
        vec!["item:Subject".to_string(), "contacts:EmailAddress".into()]
    );
    assert_eq!(
        op.item_ids,
        vec![EntityId {
            id: "A".into(),
            change_key: None
        }]
    );
}

#[test]
fn unknown_base_shape_is_an_error() {
    let op = GetFolder {
        shape: Shape::default(),
        folder_ids: vec![FolderRef::distinguished("inbox")],
    };
    let xml = encode_request(&header(), &op).replace(">Default<", ">Everything<");
    let env = read_request(xml.as_bytes()).unwrap();
    assert!(matches!(
        Request::read(&env.body),
        Err(impersync_ews::DecodeError::Invalid { .. })
    ));
}

// ------------------------------------------------------------------ paging

fn page(max: Option<u32>, offset: u32, base_point: BasePoint) -> IndexedPage {
    IndexedPage {
        max_entries: max,
        offset,
        base_point,
    }
}

#[test]
fn indexed_page_range_from_the_beginning() {
    use BasePoint::Beginning;
    assert_eq!(page(Some(10), 0, Beginning).range(25), 0..10);
    assert_eq!(page(Some(10), 10, Beginning).range(25), 10..20);
    assert_eq!(page(Some(10), 20, Beginning).range(25), 20..25);
    assert_eq!(page(Some(10), 25, Beginning).range(25), 25..25);
    // Offset past the end: an empty page, not a panic.
    assert_eq!(page(Some(10), 30, Beginning).range(25), 25..25);
    assert_eq!(page(None, 5, Beginning).range(25), 5..25);
    assert_eq!(page(None, 0, Beginning).range(0), 0..0);
    assert_eq!(page(Some(0), 3, Beginning).range(25), 3..3);
    assert_eq!(page(Some(u32::MAX), u32::MAX, Beginning).range(7), 7..7);
    assert_eq!(page(Some(u32::MAX), 2, Beginning).range(7), 2..7);
}

#[test]
fn indexed_page_range_from_the_end() {
    use BasePoint::End;
    assert_eq!(page(Some(10), 0, End).range(25), 15..25);
    assert_eq!(page(Some(10), 10, End).range(25), 5..15);
    assert_eq!(page(Some(10), 20, End).range(25), 0..5);
    assert_eq!(page(Some(10), 25, End).range(25), 0..0);
    assert_eq!(page(Some(10), 30, End).range(25), 0..0);
    assert_eq!(page(None, 5, End).range(25), 0..20);
    assert_eq!(page(None, 0, End).range(0), 0..0);
    assert_eq!(page(Some(u32::MAX), u32::MAX, End).range(7), 0..0);
}

#[test]
fn indexed_page_attributes_are_read_as_sent() {
    let xml = r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><s:Body>
      <m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>
      <m:IndexedPageItemView Offset="40" BasePoint="End"/>
      <m:ParentFolderIds><t:DistinguishedFolderId Id="inbox"/></m:ParentFolderIds></m:FindItem>
    </s:Body></s:Envelope>"#;
    let env = read_request(xml.as_bytes()).unwrap();
    let Request::FindItem(op) = Request::read(&env.body).unwrap() else {
        panic!("wrong op");
    };
    assert_eq!(op.paging, Some(page(None, 40, BasePoint::End)));

    for bad in [
        xml.replace("BasePoint=\"End\"", "BasePoint=\"Middle\""),
        xml.replace("Offset=\"40\"", "Offset=\"-1\""),
        xml.replace("Offset=\"40\"", "Offset=\"40\" MaxEntriesReturned=\"many\""),
    ] {
        let env = read_request(bad.as_bytes()).unwrap();
        assert!(
            matches!(
                Request::read(&env.body),
                Err(impersync_ews::DecodeError::Invalid { .. })
            ),
            "{bad}"
        );
    }
}

// ------------------------------------------------------ arbitrary values

/// Values with markup, quotes, CR/LF/TAB and non-ASCII text survive both directions.
/// Elements read with trimming get trimmed values; attributes and the few untrimmed
/// elements (subject, body, location, categories, preview) keep everything.
#[test]
fn arbitrary_strings_round_trip() {
    let mut rng = common::Rng(0x5EED_0000_0000_0001);
    for round in 0..300 {
        let mut s = || rng.text(24);
        let t = |v: String| v.trim().to_string();
        let non_empty = |v: String| if v.is_empty() { "x".to_string() } else { v };

        let message = Item::Message(Message {
            item: ItemCommon {
                item_id: Some(EntityId {
                    id: s(),
                    change_key: Some(s()),
                }),
                parent_folder_id: Some(EntityId {
                    id: s(),
                    change_key: None,
                }),
                item_class: Some(t(s())),
                subject: Some(s()),
                body: Some(impersync_ews::types::Body {
                    body_type: s(),
                    content: s(),
                }),
                date_time_received: Some(t(s())),
                size: Some(rng_size(round)),
                categories: vec![s(), s()],
                importance: Some(t(s())),
                date_time_sent: Some(t(s())),
                date_time_created: None,
                has_attachments: Some(round.is_multiple_of(2)),
                last_modified_time: Some(t(s())),
                conversation_id: Some(s()),
                preview: Some(s()),
            },
            sender: Some(impersync_ews::types::Mailbox {
                name: Some(t(s())),
                email_address: t(s()),
                routing_type: Some(t(s())),
                mailbox_type: None,
            }),
            to_recipients: vec![mb(&t(s()), &t(s()))],
            cc_recipients: vec![],
            from: None,
            internet_message_id: Some(t(s())),
            is_read: Some(round.is_multiple_of(3)),
        });
        let meeting = Item::CalendarItem(impersync_ews::types::CalendarItem {
            item: ItemCommon {
                item_id: Some(id(&s(), &s())),
                ..ItemCommon::default()
            },
            uid: Some(t(s())),
            location: Some(s()),
            required_attendees: vec![impersync_ews::types::Attendee {
                mailbox: mb(&t(s()), &t(s())),
                response_type: Some(t(s())),
            }],
            ..impersync_ews::types::CalendarItem::default()
        });
        let contact = Item::Contact(impersync_ews::types::Contact {
            item: ItemCommon {
                item_id: Some(id(&s(), &s())),
                ..ItemCommon::default()
            },
            display_name: Some(t(s())),
            company_name: Some(t(s())),
            email_addresses: vec![impersync_ews::types::KeyedValue {
                key: s(),
                value: t(s()),
            }],
            phone_numbers: vec![impersync_ews::types::KeyedValue {
                key: s(),
                value: t(s()),
            }],
            ..impersync_ews::types::Contact::default()
        });
        let folder = Folder {
            kind: FolderKind::Folder,
            folder_id: id(&s(), &s()),
            parent_folder_id: None,
            folder_class: Some(t(s())),
            display_name: Some(t(s())),
            total_count: Some(round),
            child_folder_count: None,
            unread_count: Some(0),
        };

        let items = GetItemResponse {
            messages: vec![
                ResponseMessage::ok(vec![message, meeting, contact]),
                ResponseMessage::error(ResponseCode::ErrorItemNotFound, t(s())),
            ],
            shape: full_shape(),
        };
        assert_eq!(
            response_round_trip::<GetItem>(&items).messages,
            items.messages,
            "round {round}"
        );
        let folders = SyncFolderHierarchyResponse {
            messages: vec![ResponseMessage::ok(FolderChanges {
                sync_state: t(s()),
                includes_last_folder_in_range: true,
                changes: vec![
                    FolderChange::Create(folder.clone()),
                    FolderChange::Delete(id(&s(), &s())),
                ],
            })],
            shape: full_shape(),
        };
        assert_eq!(
            response_round_trip::<SyncFolderHierarchy>(&folders).messages,
            folders.messages,
            "round {round}"
        );
        let converted = ConvertIdResponse {
            messages: vec![ResponseMessage::ok(AlternateId {
                format: s(),
                id: s(),
                mailbox: s(),
            })],
        };
        assert_eq!(response_round_trip::<ConvertId>(&converted), converted);

        // Requests, with an arbitrary header.
        let header = RequestHeader {
            server_version: Some(s()),
            impersonation: Some(ConnectingSid::PrincipalName(non_empty(t(s())))),
            time_zone: Some(s()),
        };
        let op = SyncFolderItems {
            shape: Shape {
                base: BaseShape::IdOnly,
                additional: vec![s(), s()],
            },
            folder: FolderRef::Distinguished(DistinguishedFolderId {
                name: s(),
                mailbox: Some(t(s())),
            }),
            sync_state: Some(non_empty(t(s()))),
            ignore: vec![id(&s(), &s())],
            max_changes_returned: round + 1,
            sync_scope: Some(t(s())),
        };
        let xml = encode_request(&header, &op);
        let env = read_request(xml.as_bytes()).unwrap_or_else(|e| panic!("{e}: {xml}"));
        assert_eq!(env.header, header, "round {round}: {xml}");
        assert_eq!(SyncFolderItems::read(&env.body).unwrap(), op, "{xml}");

        let find = FindItem {
            traversal: s(),
            shape: Shape::default(),
            paging: None,
            parent_folder_ids: vec![FolderRef::Id(id(&s(), &s()))],
        };
        let xml = encode_request(&header, &find);
        let env = read_request(xml.as_bytes()).unwrap();
        assert_eq!(FindItem::read(&env.body).unwrap(), find, "{xml}");

        let fault = impersync_ews::SoapFault::new(ResponseCode::ErrorAccessDenied, t(s()));
        let xml = fault.to_envelope(&version());
        assert_eq!(
            impersync_ews::read_response(xml.as_bytes())
                .unwrap()
                .body
                .unwrap_err(),
            fault
        );
    }
}

fn rng_size(round: u32) -> u64 {
    if round.is_multiple_of(5) {
        u64::MAX - u64::from(round)
    } else {
        u64::from(round) * 7919
    }
}
