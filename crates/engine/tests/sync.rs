//! Mailbox sync against the real simulator into a real store (SQLite and PostgreSQL):
//! the initial sync, incremental changes, an idle round, and a user outside the
//! service account's impersonation scope.

mod common;

use common::exact::*;
use common::org::*;
use common::*;
use impersync_engine::{Engine, Network};
use impersync_ews::ops::FindItem;
use impersync_ews::types::{BaseShape, FolderRef, Shape};
use impersync_exchange::{ExchangeClient, GovernorConfig, IdType, Impersonate, first_payload};
use impersync_exchange_sim::scenario::LARGE_INBOX_TOML;
use impersync_store::{FeedKind, MailboxState, OrgStore};
use impersync_testdb::{TestDb, backend_test};
use serde_json::json;
use std::collections::BTreeMap;

const ALICE: &str = "alice@contoso.test";
const BOB: &str = "bob@contoso.test";
const ERIN: &str = "erin@contoso.test";

/// (folder, item id) → change key.
type Contents = BTreeMap<(String, String), String>;

/// Contoso configured for the demo service account at the simulator, with alice and bob
/// activated (forced: they were never checked) and erin force-activated too.
async fn contoso<'s>(store: &'s impersync_store::Store, sim: &SimServer) -> OrgStore<'s> {
    let account = (MASTER_UPN, MASTER_PASSWORD);
    organisation(store, sim, "contoso.test", account, &[ALICE, BOB, ERIN]).await
}

/// The simulator's contents of a mailbox, read with FindItem as the service account.
async fn sim_contents(client: &ExchangeClient, email: &str) -> Contents {
    let acting = Impersonate::smtp(IdType::SmtpAddress, email);
    let mut contents = Contents::new();
    for folder in FOLDERS {
        let op = FindItem {
            traversal: "Shallow".into(),
            shape: Shape::base(BaseShape::IdOnly),
            paging: None,
            parent_folder_ids: vec![FolderRef::distinguished(folder)],
        };
        let called = client.call(Some(&acting), &op).await.unwrap();
        for item in first_payload(called.response.messages).unwrap().entries {
            let id = item.id().unwrap();
            contents.insert(
                (folder.to_string(), id.id.clone()),
                id.change_key.clone().unwrap_or_default(),
            );
        }
    }
    contents
}

/// The store's contents of a mailbox.
async fn stored_contents(scope: &OrgStore<'_>, email: &str) -> Contents {
    stored_items(scope, email)
        .await
        .into_iter()
        .map(|i| ((i.folder, i.data.item_id), i.data.change_key))
        .collect()
}

/// Every feed row after `cursor`: (kind, mailbox, item id).
async fn feed_after(scope: &OrgStore<'_>, cursor: i64) -> Vec<(&'static str, String, String)> {
    feed_rows(scope, cursor)
        .await
        .into_iter()
        .map(|c| (c.kind.as_str(), c.user_email, c.item_id))
        .collect()
}

/// The sequence number of the feed's last row.
async fn last_seq(scope: &OrgStore<'_>) -> i64 {
    feed_rows(scope, 0).await.last().map_or(0, |c| c.seq)
}

async fn mailbox_syncs_create_update_read_flag_and_delete(db: &TestDb) {
    let sim = start_demo().await;
    let store = db.open().await;
    let scope = contoso(&store, &sim).await;
    let engine = Engine::new(store.clone(), Network::default());
    let client = sim.client(master_basic(), GovernorConfig::default());

    // First round: every mailbox is due.
    let outcomes = engine.sync_due("w1", 10).await.unwrap();
    assert_eq!(outcomes.len(), 3);
    for email in [ALICE, BOB] {
        let truth = sim_contents(&client, email).await;
        assert!(truth.len() > 10, "{email} has items in the demo");
        assert_eq!(stored_contents(&scope, email).await, truth, "{email}");
        let created: Vec<_> = feed_after(&scope, 0)
            .await
            .into_iter()
            .filter(|(_, e, _)| e == email)
            .collect();
        assert!(
            created
                .iter()
                .all(|(k, _, _)| *k == FeedKind::Created.as_str())
        );
        let mut ids: Vec<_> = created.iter().map(|(_, _, id)| id.clone()).collect();
        ids.sort();
        let mut expected: Vec<_> = truth.keys().map(|(_, id)| id.clone()).collect();
        expected.sort();
        assert_eq!(ids, expected, "one created row per item of {email}");
    }

    // Erin is outside the service account's scope: needs attention, with a remedy.
    let erin = scope.users().get_by_email(ERIN).await.unwrap();
    let status = scope.mailboxes().status(erin.id).await.unwrap().unwrap();
    assert_eq!(status.state, MailboxState::NeedsAttention, "{status:?}");
    let error = status.last_error.expect("erin's failure is recorded");
    assert_eq!(error.outcome, "ImpersonationDenied");
    assert!(!error.remedy.is_empty());
    assert_eq!(status.next_due_at, None);
    let alice = scope.users().get_by_email(ALICE).await.unwrap();
    let status = scope.mailboxes().status(alice.id).await.unwrap().unwrap();
    assert!(status.last_error.is_none() && status.last_success_at.is_some());
    let wait = status.next_due_at.unwrap() - status.last_success_at.unwrap();
    assert!(
        (270_000..=330_000).contains(&wait),
        "poll interval ±10%: {wait}"
    );

    // Nothing due, nothing changed: no rows.
    let before = last_seq(&scope).await;
    assert!(engine.sync_due("w1", 10).await.unwrap().is_empty());
    scope.mailboxes().sync_now(alice.id).await.unwrap();
    let idle = engine.sync_due("w1", 10).await.unwrap();
    assert_eq!(idle.len(), 1);
    let report = idle[0].result.as_ref().unwrap();
    assert_eq!(report.pages, 0, "an idle poll writes no page: {report:?}");
    assert!(feed_after(&scope, before).await.is_empty());

    // Deliver, modify, mark read and delete in alice's mailbox.
    let truth = sim_contents(&client, ALICE).await;
    let inbox: Vec<_> = truth
        .keys()
        .filter(|(f, _)| f == "inbox")
        .map(|(_, id)| id.clone())
        .collect();
    let delivered = deliver(&sim, ALICE, "fresh lead").await;
    assert_eq!(
        patch(&sim, ALICE, &inbox[0], json!({ "subject": "renamed" })).await,
        200
    );
    assert_eq!(
        patch(&sim, ALICE, &inbox[1], json!({ "is_read": true })).await,
        200
    );
    assert_eq!(delete(&sim, ALICE, &inbox[2]).await, 204);
    scope.mailboxes().sync_now(alice.id).await.unwrap();
    let round = engine.sync_due("w1", 10).await.unwrap();
    assert_eq!(round.len(), 1);
    // Every item matches the simulator exactly, the one marked read with the new change
    // key Exchange gave it, which its read_flag row carries too.
    assert_exact(&sim, &scope, ALICE, &FOLDERS).await;
    let read_key = sim.snapshot(ALICE, &FOLDERS).await[&inbox[1]]
        .change_key
        .clone();
    assert_ne!(read_key, truth[&("inbox".to_string(), inbox[1].clone())]);
    let changes = feed_rows(&scope, before).await;
    let read_row = changes
        .iter()
        .find(|r| r.kind == FeedKind::ReadFlag)
        .expect("a read_flag row");
    assert_eq!(read_row.change_key, read_key);
    assert_no_duplicate_rows(&feed_rows(&scope, 0).await);
    let mut rows = feed_after(&scope, before).await;
    rows.sort();
    let mut expected = vec![
        (FeedKind::Created.as_str(), ALICE.to_string(), delivered),
        (
            FeedKind::Updated.as_str(),
            ALICE.to_string(),
            inbox[0].clone(),
        ),
        (
            FeedKind::ReadFlag.as_str(),
            ALICE.to_string(),
            inbox[1].clone(),
        ),
        (
            FeedKind::Deleted.as_str(),
            ALICE.to_string(),
            inbox[2].clone(),
        ),
    ];
    expected.sort();
    assert_eq!(rows, expected);
    let renamed = stored_items(&scope, ALICE)
        .await
        .into_iter()
        .find(|i| i.data.item_id == inbox[0])
        .unwrap();
    assert_eq!(renamed.data.subject, "renamed");
    let read = stored_items(&scope, ALICE)
        .await
        .into_iter()
        .find(|i| i.data.item_id == inbox[1])
        .unwrap();
    assert!(read.data.is_read);
    // Bob's mailbox was untouched.
    assert_eq!(
        stored_contents(&scope, BOB).await,
        sim_contents(&client, BOB).await
    );
}
backend_test!(mailbox_syncs_create_update_read_flag_and_delete);

async fn deliver(sim: &SimServer, email: &str, subject: &str) -> String {
    let (status, body) = sim
        .control(
            reqwest::Method::POST,
            &format!("/mailboxes/{email}/folders/inbox/items"),
            Some(json!({ "subject": subject, "from": "lead@fabrikam.test" })),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["item_id"].as_str().unwrap().to_string()
}

async fn patch(sim: &SimServer, email: &str, id: &str, change: serde_json::Value) -> u16 {
    let path = format!("/mailboxes/{email}/items/{id}");
    sim.control(reqwest::Method::PATCH, &path, Some(change))
        .await
        .0
}

async fn delete(sim: &SimServer, email: &str, id: &str) -> u16 {
    let path = format!("/mailboxes/{email}/items/{id}");
    sim.control(reqwest::Method::DELETE, &path, None).await.0
}

async fn a_refused_sync_state_resyncs_and_reconciles(db: &TestDb) {
    let sim = start_demo().await;
    let store = db.open().await;
    let scope = contoso(&store, &sim).await;
    let engine = Engine::new(store.clone(), Network::default());
    let client = sim.client(master_basic(), GovernorConfig::default());
    let alice = scope.users().get_by_email(ALICE).await.unwrap();
    engine.sync_due("w1", 10).await.unwrap();
    let ephemeral = deliver(&sim, ALICE, "gone after the reset").await;
    scope.mailboxes().sync_now(alice.id).await.unwrap();
    engine.sync_due("w1", 10).await.unwrap();
    let before = last_seq(&scope).await;

    // The reset rebuilds the mailboxes from the scenario: every stored SyncState is now
    // refused, and the delivered item no longer exists.
    let (status, _) = sim.control(reqwest::Method::POST, "/reset", None).await;
    assert_eq!(status, 200);
    scope.mailboxes().sync_now(alice.id).await.unwrap();
    let round = engine.sync_due("w1", 10).await.unwrap();
    assert_eq!(round.len(), 1);
    let report = round[0].result.as_ref().expect("the resync succeeds");
    assert!(report.resynced.contains(&"inbox".to_string()), "{report:?}");
    assert_eq!(report.reconciled, 1);
    assert_eq!(
        stored_contents(&scope, ALICE).await,
        sim_contents(&client, ALICE).await
    );
    assert_eq!(
        feed_after(&scope, before).await,
        vec![(FeedKind::Deleted.as_str(), ALICE.to_string(), ephemeral)],
        "only the vanished item is reported"
    );
}
backend_test!(a_refused_sync_state_resyncs_and_reconciles);

async fn a_transient_failure_backs_off_exponentially(db: &TestDb) {
    let sim = start_demo().await;
    let store = db.open().await;
    let scope = contoso(&store, &sim).await;
    let engine = Engine::new(store.clone(), Network::default());
    let alice = scope.users().get_by_email(ALICE).await.unwrap();
    let faults = json!({ "truncate": { "count": 1000 } });
    assert_eq!(
        sim.control(reqwest::Method::POST, "/faults", Some(faults))
            .await
            .0,
        204
    );
    let mut waits = Vec::new();
    for _ in 0..2 {
        let started = impersync_store::now_millis();
        let round = engine.sync_due("w1", 10).await.unwrap();
        let mine = round.iter().find(|o| o.email == ALICE).unwrap();
        let failure = mine.result.as_ref().expect_err("cut-off answers fail");
        assert_eq!(failure.outcome, "Unreachable", "{failure:?}");
        let status = scope.mailboxes().status(alice.id).await.unwrap().unwrap();
        assert_eq!(status.state, MailboxState::Backoff);
        waits.push((status.next_due_at.unwrap() - started) / 1000);
        scope.mailboxes().sync_now(alice.id).await.unwrap();
    }
    assert!((59..=61).contains(&waits[0]), "{waits:?}");
    assert!((119..=121).contains(&waits[1]), "{waits:?}");

    // Once Exchange answers again the mailbox syncs and its failures are cleared.
    let cleared = sim
        .control(reqwest::Method::POST, "/faults", Some(json!({})))
        .await;
    assert_eq!(cleared.0, 204);
    let round = engine.sync_due("w1", 10).await.unwrap();
    assert!(round.iter().any(|o| o.email == ALICE && o.result.is_ok()));
    let status = scope.mailboxes().status(alice.id).await.unwrap().unwrap();
    assert_eq!((status.state, status.failures), (MailboxState::Idle, 0));
}
backend_test!(a_transient_failure_backs_off_exponentially);

async fn a_large_inbox_is_committed_in_pages_of_512(db: &TestDb) {
    let scenario = impersync_exchange_sim::Scenario::from_toml(LARGE_INBOX_TOML).unwrap();
    let sim = start(scenario).await;
    let store = db.open().await;
    let user = "user00001@big.test";
    let account = ("svc@big.test", "Svc-Password-1");
    let scope = organisation(&store, &sim, "big.test", account, &[user]).await;
    let engine = Engine::new(store.clone(), Network::default());
    let round = engine.sync_due("w1", 10).await.unwrap();
    let report = round[0].result.as_ref().expect("the sync succeeds");
    // Three inbox pages (512, 512, 176) and one page for each other folder.
    assert_eq!(report.pages, 6, "{report:?}");
    assert_eq!(report.applied.created, 1200);
    let items = stored_items(&scope, user).await;
    let distinct: std::collections::BTreeSet<_> = items.iter().map(|i| &i.data.item_id).collect();
    assert_eq!((items.len(), distinct.len()), (1200, 1200));
    let created = feed_after(&scope, 0).await;
    assert_eq!(created.len(), 1200);
    let client = sim.client(basic(account.0, account.1), GovernorConfig::default());
    let inbox = client
        .get_folder(
            Some(&Impersonate::smtp(IdType::SmtpAddress, user)),
            FolderRef::distinguished("inbox"),
        )
        .await
        .unwrap();
    assert_eq!(inbox.total_count, Some(1200));
}
backend_test!(a_large_inbox_is_committed_in_pages_of_512);

async fn a_user_removed_from_the_scope_group_needs_attention_while_others_sync(db: &TestDb) {
    let sim = start_demo().await;
    let store = db.open().await;
    let scope = contoso(&store, &sim).await;
    let engine = Engine::new(store.clone(), Network::default());
    engine.sync_due("w1", 10).await.unwrap();
    let bob_items = stored_snapshot(&scope, BOB).await;
    assert!(!bob_items.is_empty());

    // Bob leaves the group the impersonation scope RIusersScope filters on.
    let path = format!("/groups/RIapplicationGroup/members/{BOB}");
    let (status, body) = sim.control(reqwest::Method::DELETE, &path, None).await;
    assert_eq!(status, 204, "{body}");
    let delivered = deliver(&sim, ALICE, "still synced").await;
    let (alice, bob) = (
        scope.users().get_by_email(ALICE).await.unwrap(),
        scope.users().get_by_email(BOB).await.unwrap(),
    );
    scope.mailboxes().sync_now(alice.id).await.unwrap();
    scope.mailboxes().sync_now(bob.id).await.unwrap();
    let round = engine.sync_due("w1", 10).await.unwrap();
    assert_eq!(round.len(), 2);

    let bob_outcome = round.iter().find(|o| o.email == BOB).unwrap();
    let failure = bob_outcome
        .result
        .as_ref()
        .expect_err("bob is out of scope");
    assert_eq!(failure.outcome, "ImpersonationDenied", "{failure:?}");
    let status = scope.mailboxes().status(bob.id).await.unwrap().unwrap();
    assert_eq!(status.state, MailboxState::NeedsAttention, "{status:?}");
    assert_eq!(status.next_due_at, None);
    let error = status.last_error.expect("bob's failure is recorded");
    assert!(error.remedy.contains("RIapplicationGroup"), "{error:?}");
    assert_eq!(
        stored_snapshot(&scope, BOB).await,
        bob_items,
        "bob's synced items are kept as they were"
    );

    let alice_outcome = round.iter().find(|o| o.email == ALICE).unwrap();
    assert!(alice_outcome.result.is_ok(), "{:?}", alice_outcome.result);
    assert_exact(&sim, &scope, ALICE, &FOLDERS).await;
    assert!(
        stored_snapshot(&scope, ALICE)
            .await
            .contains_key(&delivered)
    );
}
backend_test!(a_user_removed_from_the_scope_group_needs_attention_while_others_sync);
