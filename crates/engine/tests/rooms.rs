//! The room directory against the real simulator into a real store (SQLite and
//! PostgreSQL): room lists and rooms read through the service account's own mailbox, a
//! refresh that replaces them, the hourly round, and a service account without a mailbox,
//! whose cause and remedy are recorded while the mailbox sync goes on.

mod common;

use common::*;
use impersync_engine::Engine;
use impersync_engine::Network;
use impersync_engine::rooms::NO_SERVICE_MAILBOX_REMEDY;
use impersync_exchange_sim::scenario::{RoomListSpec, RoomSpec};
use impersync_store::{
    AccessType, EmailSettings, ExchangeAuth, ImportRow, NewOrganisation, OrgStore, Principal, Room,
    RoomList, SecretString, SecretUpdate, Store, UserSelection,
};
use impersync_testdb::{TestDb, backend_test};

const ALICE: &str = "alice@contoso.test";

/// A second room list, beside the demo's `AllRooms`.
const SECOND_LIST: &str = r#"
[[room_lists]]
address = "Building2@contoso.test"
name = "Building 2"
rooms = [
  { address = "B2-Board@contoso.test", name = "Board Room" },
  { address = "Room-1@contoso.test", name = "Room 1" },
]
"#;

fn system() -> Principal {
    Principal::system("tests")
}

/// An organisation whose service account `(logon, password)` reaches the simulator, with
/// alice imported and activated.
async fn organisation<'s>(
    store: &'s Store,
    sim: &SimServer,
    name: &str,
    (logon, password): (&str, &str),
) -> OrgStore<'s> {
    let org = store
        .organisations(&system())
        .create(NewOrganisation {
            name: name.into(),
            domains: vec!["contoso.test".into()],
        })
        .await
        .unwrap();
    let scope = store.org(&system(), org.id).await.unwrap();
    let alice = ImportRow {
        line: 1,
        email: ALICE.into(),
        ..Default::default()
    };
    scope.users().import(vec![alice]).await.unwrap();
    scope
        .email_config()
        .save(EmailSettings {
            access: AccessType::ExchangeImpersonation {
                logon: logon.into(),
                auth: ExchangeAuth::Basic,
                password: SecretUpdate::Set(SecretString::new(password)),
            },
            ews_url: Some(format!("http://{}/EWS/Exchange.asmx", sim.addr)),
            autodiscover: false,
            tls_policy: "verify".into(),
            id_type: "SmtpAddress".into(),
            folders: vec!["inbox".into()],
            poll_interval_secs: 300,
            lab: true,
            saved: true,
        })
        .await
        .unwrap();
    let alice = UserSelection::Emails(vec![ALICE.into()]);
    scope.users().activate(&alice, true).await.unwrap();
    scope
}

fn room(address: &str, name: &str) -> Room {
    Room {
        address: address.into(),
        name: name.into(),
    }
}

backend_test!(rooms_are_read_through_the_service_accounts_mailbox);
async fn rooms_are_read_through_the_service_accounts_mailbox(db: &TestDb) {
    let sim = start(demo_with(SECOND_LIST)).await;
    let store = db.open().await;
    let engine = Engine::new(store.clone(), Network::default());
    let contoso = organisation(&store, &sim, "Contoso", (MASTER_UPN, MASTER_PASSWORD)).await;
    assert!(contoso.rooms().directory().await.unwrap().lists.is_empty());

    let directory = engine.sync_rooms(contoso.id()).await.unwrap();
    assert_eq!(directory.error, None);
    assert_eq!(
        directory.lists,
        vec![
            RoomList {
                address: "AllRooms@contoso.test".into(),
                name: "All Rooms".into(),
                rooms: vec![
                    room("Room-1@contoso.test", "Room 1"),
                    room("Room-2@contoso.test", "Room 2"),
                ],
            },
            RoomList {
                address: "Building2@contoso.test".into(),
                name: "Building 2".into(),
                rooms: vec![
                    room("B2-Board@contoso.test", "Board Room"),
                    room("Room-1@contoso.test", "Room 1"),
                ],
            },
        ]
    );
    let refreshed = directory.refreshed_at.expect("refreshed");
    assert_eq!(directory.attempted_at, Some(refreshed));
    assert_eq!(contoso.rooms().directory().await.unwrap(), directory);

    // The calls went out as the service account itself, never impersonating.
    let log = sim.sim.log.entries();
    let room_calls: Vec<_> = log
        .iter()
        .filter(|r| matches!(r.operation.as_deref(), Some("GetRoomLists" | "GetRooms")))
        .collect();
    assert_eq!(room_calls.len(), 3, "{room_calls:?}");
    assert!(room_calls.iter().all(|r| r.impersonation.is_none()));
    assert!(
        room_calls
            .iter()
            .all(|r| r.caller.as_deref() == Some(MASTER_UPN))
    );

    // A refresh replaces the directory as a whole: a removed list and a renamed room.
    {
        let mut dir = sim.sim.write();
        dir.room_lists
            .retain(|l| l.address != "Building2@contoso.test");
        dir.room_lists[0].rooms = vec![RoomSpec {
            address: "Room-2@contoso.test".into(),
            name: "Room Two".into(),
        }];
        dir.room_lists.push(RoomListSpec {
            address: "Empty@contoso.test".into(),
            name: "No rooms yet".into(),
            rooms: Vec::new(),
        });
    }
    let directory = engine.sync_rooms(contoso.id()).await.unwrap();
    assert_eq!(directory.error, None);
    assert_eq!(
        directory.lists,
        vec![
            RoomList {
                address: "AllRooms@contoso.test".into(),
                name: "All Rooms".into(),
                rooms: vec![room("Room-2@contoso.test", "Room Two")],
            },
            RoomList {
                address: "Empty@contoso.test".into(),
                name: "No rooms yet".into(),
                rooms: vec![],
            },
        ]
    );
    assert!(directory.refreshed_at.unwrap() >= refreshed);
}

backend_test!(the_hourly_round_refreshes_each_configured_organisation_once);
async fn the_hourly_round_refreshes_each_configured_organisation_once(db: &TestDb) {
    let sim = start_demo().await;
    let store = db.open().await;
    let engine = Engine::new(store.clone(), Network::default());
    let contoso = organisation(&store, &sim, "Contoso", (MASTER_UPN, MASTER_PASSWORD)).await;
    let fabrikam = organisation(
        &store,
        &sim,
        "Fabrikam",
        (NO_MAILBOX_SVC, NO_MAILBOX_PASSWORD),
    )
    .await;
    // An organisation without a saved configuration is not in the round.
    store
        .organisations(&system())
        .create(NewOrganisation {
            name: "Unconfigured".into(),
            domains: vec!["unconfigured.test".into()],
        })
        .await
        .unwrap();

    let round = engine.sync_rooms_due("worker-1").await.unwrap();
    let mut orgs: Vec<_> = round.iter().map(|o| o.org).collect();
    orgs.sort();
    let mut expected = vec![contoso.id(), fabrikam.id()];
    expected.sort();
    assert_eq!(orgs, expected);
    for outcome in &round {
        let directory = outcome.result.as_ref().unwrap();
        if outcome.org == contoso.id() {
            assert_eq!(directory.lists.len(), 1);
            assert_eq!(directory.error, None);
        } else {
            assert_eq!(directory.error.as_ref().unwrap().outcome, "NoMailbox");
        }
    }
    // Both were tried just now: the next round within the hour has nothing to do.
    assert!(engine.sync_rooms_due("worker-1").await.unwrap().is_empty());
    assert!(engine.sync_rooms_due("worker-2").await.unwrap().is_empty());
}

backend_test!(a_service_account_without_a_mailbox_gets_the_remedy_and_mail_still_syncs);
async fn a_service_account_without_a_mailbox_gets_the_remedy_and_mail_still_syncs(db: &TestDb) {
    let sim = start_demo().await;
    let store = db.open().await;
    let engine = Engine::new(store.clone(), Network::default());
    let org = organisation(
        &store,
        &sim,
        "Contoso",
        (NO_MAILBOX_SVC, NO_MAILBOX_PASSWORD),
    )
    .await;

    let directory = engine.sync_rooms(org.id()).await.unwrap();
    assert!(directory.lists.is_empty());
    assert_eq!(directory.refreshed_at, None);
    assert!(directory.attempted_at.is_some());
    let error = directory.error.expect("the cause is recorded");
    assert_eq!(error.outcome, "NoMailbox");
    assert_eq!(error.code.as_deref(), Some("ErrorNonExistentMailbox"));
    assert!(error.message.contains("no mailbox of its own"), "{error:?}");
    assert_eq!(error.remedy, NO_SERVICE_MAILBOX_REMEDY);
    assert!(error.remedy.contains("license"));

    // The mailbox sync impersonates the users and does not need the service account's mailbox.
    let synced = engine.sync_due("worker-1", 10).await.unwrap();
    assert_eq!(synced.len(), 1);
    assert_eq!(synced[0].email, ALICE);
    assert!(synced[0].result.is_ok(), "{:?}", synced[0].result);
}

backend_test!(a_failed_refresh_keeps_the_last_directory);
async fn a_failed_refresh_keeps_the_last_directory(db: &TestDb) {
    let sim = start_demo().await;
    let store = db.open().await;
    let engine = Engine::new(store.clone(), Network::default());
    let org = organisation(&store, &sim, "Contoso", (MASTER_UPN, MASTER_PASSWORD)).await;
    let good = engine.sync_rooms(org.id()).await.unwrap();
    assert_eq!(good.lists.len(), 1);

    // The service account loses its mailbox.
    {
        let mut dir = sim.sim.write();
        let no = dir.find_user(MASTER_UPN).unwrap();
        dir.user_mut(no).mailbox = None;
    }
    let failed = engine.sync_rooms(org.id()).await.unwrap();
    assert_eq!(failed.lists, good.lists);
    assert_eq!(failed.refreshed_at, good.refreshed_at);
    assert!(failed.attempted_at >= good.attempted_at);
    assert_eq!(failed.error.unwrap().remedy, NO_SERVICE_MAILBOX_REMEDY);

    // An admin may read the directory but not write it.
    let admin = Principal::admin(
        impersync_store::AdminId::from_raw(1),
        impersync_store::Role::Operator,
    );
    let as_admin = store.org(&admin, org.id()).await.unwrap();
    assert_eq!(
        as_admin.rooms().directory().await.unwrap().lists,
        good.lists
    );
    let refused = as_admin.rooms().replace(&[], 0).await.unwrap_err();
    assert!(refused.to_string().contains("not allowed"), "{refused}");
    assert_eq!(
        as_admin.rooms().directory().await.unwrap().lists,
        good.lists
    );
    assert!(store.rooms_due(&admin, i64::MAX).await.is_err());
}
