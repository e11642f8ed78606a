//! Folder discovery: one GetFolder per mailbox for the configured folders on the first
//! sync, none on later polls, and a configured folder the mailbox lacks named in the report
//! and in the mailbox's status while the other folders sync.

mod common;

use common::exact::*;
use common::org::*;
use common::*;
use impersync_engine::{Engine, Network};
use impersync_store::MailboxState;
use impersync_testdb::{TestDb, backend_test};

const ALICE: &str = "alice@contoso.test";
const ACCOUNT: (&str, &str) = (MASTER_UPN, MASTER_PASSWORD);

async fn folders_are_found_with_one_get_folder_and_polls_need_none(db: &TestDb) {
    let sim = start_demo().await;
    let store = db.open().await;
    let scope = organisation(&store, &sim, "contoso.test", ACCOUNT, &[ALICE]).await;
    let engine = Engine::new(store.clone(), Network::default());
    sim.clear_requests().await;
    let round = engine.sync_due("w1", 10).await.unwrap();
    assert!(round[0].result.is_ok(), "{:?}", round[0].result);
    let first = sim.operations_for(ALICE).await;
    assert_eq!(
        first.iter().filter(|op| *op == "GetFolder").count(),
        1,
        "{first:?}"
    );
    assert_eq!(first[0], "GetFolder");
    assert_exact(&sim, &scope, ALICE, &FOLDERS).await;

    let alice = scope.users().get_by_email(ALICE).await.unwrap();
    scope.mailboxes().sync_now(alice.id).await.unwrap();
    sim.clear_requests().await;
    let round = engine.sync_due("w1", 10).await.unwrap();
    assert!(round[0].result.is_ok(), "{:?}", round[0].result);
    assert_eq!(
        sim.operations_for(ALICE).await,
        vec!["SyncFolderItems"; FOLDERS.len()],
        "an idle poll sends one SyncFolderItems per folder and nothing else"
    );
}
backend_test!(folders_are_found_with_one_get_folder_and_polls_need_none);

async fn a_missing_folder_is_named_and_the_others_sync(db: &TestDb) {
    let sim = start_demo().await;
    let store = db.open().await;
    let folders = ["inbox", "archiveinbox", "calendar"];
    let scope =
        organisation_syncing(&store, &sim, "contoso.test", ACCOUNT, &[ALICE], &folders).await;
    let engine = Engine::new(store.clone(), Network::default());
    let round = engine.sync_due("w1", 10).await.unwrap();
    let report = round[0].result.as_ref().expect("the other folders sync");
    assert_eq!(report.folder_errors.len(), 1, "{report:?}");
    let missing = &report.folder_errors[0];
    assert_eq!(
        (missing.folder.as_str(), missing.code.as_str()),
        ("archiveinbox", "ErrorFolderNotFound")
    );
    assert!(missing.message.contains("archiveinbox"), "{missing:?}");
    assert_exact(&sim, &scope, ALICE, &["inbox", "calendar"]).await;
    let stored = stored_snapshot(&scope, ALICE).await;
    assert!(stored.values().all(|i| i.folder != "archiveinbox"));
    // The mailbox shows the missing folder with its fix, and is not failing.
    let alice = scope.users().get_by_email(ALICE).await.unwrap();
    let status = scope.mailboxes().status(alice.id).await.unwrap().unwrap();
    assert_eq!((status.state, status.failures), (MailboxState::Idle, 0));
    let shown = status.last_error.expect("the missing folder is shown");
    assert_eq!(shown.code.as_deref(), Some("ErrorFolderNotFound"));
    assert!(shown.message.contains("archiveinbox"), "{shown:?}");
    assert!(
        shown
            .remedy
            .starts_with("Remove the folder from the organisation's folder list"),
        "{shown:?}"
    );

    // Later polls ask again only for the missing folder.
    scope.mailboxes().sync_now(alice.id).await.unwrap();
    sim.clear_requests().await;
    let round = engine.sync_due("w1", 10).await.unwrap();
    assert_eq!(round[0].result.as_ref().unwrap().folder_errors.len(), 1);
    assert_eq!(
        sim.operations_for(ALICE).await,
        ["GetFolder", "SyncFolderItems", "SyncFolderItems"]
    );
}
backend_test!(a_missing_folder_is_named_and_the_others_sync);
