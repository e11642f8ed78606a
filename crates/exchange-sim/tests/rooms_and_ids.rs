//! GetRoomLists, GetRooms and ConvertId.

mod common;

use common::*;
use impersync_ews::ResponseClass;
use impersync_ews::ResponseCode;
use impersync_ews::ops::{AlternateId, ConvertId, GetRoomLists, GetRooms};

fn rooms(list: &str) -> GetRooms {
    GetRooms {
        room_list: list.into(),
    }
}

#[tokio::test]
async fn room_lists_and_rooms_through_the_service_accounts_mailbox() {
    let server = Server::demo().await;
    let lists = server.call(MASTER, None, &GetRoomLists).await.ok();
    assert!(lists.status.is_success(), "{:?}", lists.status);
    assert_eq!(lists.room_lists.len(), 1);
    assert_eq!(lists.room_lists[0].email_address, "AllRooms@contoso.test");
    assert_eq!(lists.room_lists[0].name.as_deref(), Some("All Rooms"));
    assert_eq!(
        lists.room_lists[0].mailbox_type.as_deref(),
        Some("PublicDL")
    );

    let r = server
        .call(MASTER, None, &rooms("AllRooms@contoso.test"))
        .await
        .ok();
    assert!(r.status.is_success());
    let got: Vec<(String, Option<String>)> = r
        .rooms
        .into_iter()
        .map(|m| (m.email_address, m.name))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "Room-1@contoso.test".to_string(),
                Some("Room 1".to_string())
            ),
            (
                "Room-2@contoso.test".to_string(),
                Some("Room 2".to_string())
            ),
        ]
    );
    // Room list addresses compare without regard to case.
    let r = server
        .call(MASTER, None, &rooms("allrooms@CONTOSO.test"))
        .await
        .ok();
    assert_eq!(r.rooms.len(), 2);

    // Impersonating a user works the same way.
    let r = server
        .as_master("alice@contoso.test", &GetRoomLists)
        .await
        .ok();
    assert_eq!(r.room_lists.len(), 1);

    let r = server
        .call(MASTER, None, &rooms("NoSuchList@contoso.test"))
        .await
        .ok();
    assert_eq!(r.status.class, ResponseClass::Error);
    assert_eq!(r.status.code, ResponseCode::ErrorNameResolutionNoResults);
    assert!(r.rooms.is_empty());
}

#[tokio::test]
async fn room_lists_need_a_mailbox() {
    let server = Server::demo().await;
    let r = server.call(NO_MAILBOX, None, &GetRoomLists).await;
    assert!(r.body.contains(r#"ResponseClass="Error""#), "{}", r.body);
    let r = r.ok();
    assert_eq!(r.status.class, ResponseClass::Error);
    assert_eq!(r.status.code, ResponseCode::ErrorNonExistentMailbox);
    assert!(r.room_lists.is_empty());
    let r = server
        .call(NO_MAILBOX, None, &rooms("AllRooms@contoso.test"))
        .await
        .ok();
    assert_eq!(r.status.code, ResponseCode::ErrorNonExistentMailbox);
    assert!(r.rooms.is_empty());
}

#[tokio::test]
async fn convert_id_between_ews_formats() {
    let server = Server::demo().await;
    let inbox = server.folder("alice@contoso.test", "inbox").await;
    let alt = |format: &str, id: &str| AlternateId {
        format: format.into(),
        id: id.into(),
        mailbox: "alice@contoso.test".into(),
    };
    let r = server
        .as_master(
            "alice@contoso.test",
            &ConvertId {
                destination_format: "EwsLegacyId".into(),
                source_ids: vec![
                    alt("EwsId", &inbox.folder_id.id),
                    alt("EwsId", "garbage"),
                    alt("EntryId", &inbox.folder_id.id),
                ],
            },
        )
        .await;
    assert!(
        r.body.contains(r#"xsi:type="t:AlternateIdType""#),
        "{}",
        r.body
    );
    let r = r.ok();
    assert_eq!(r.messages.len(), 3);
    let converted = success(r.messages[0].clone());
    assert_eq!(converted.format, "EwsLegacyId");
    assert_eq!(converted.id, inbox.folder_id.id);
    assert_eq!(converted.mailbox, "alice@contoso.test");
    error_of(&r.messages[1], ResponseCode::ErrorInvalidIdMalformed);
    error_of(&r.messages[2], ResponseCode::ErrorInvalidRequest);

    // exchangelib probes the version with ConvertId as the service account itself.
    let r = server
        .call(
            NO_MAILBOX,
            None,
            &ConvertId {
                destination_format: "EwsId".into(),
                source_ids: vec![alt("EwsLegacyId", &inbox.folder_id.id)],
            },
        )
        .await
        .ok();
    assert_eq!(success(r.messages[0].clone()).format, "EwsId");
}
