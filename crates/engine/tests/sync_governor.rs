//! The service account's throttling governor outlives a sync round: a cut made while
//! Exchange said it was busy is still in force in the next round, which raises the limit
//! again step by step instead of starting over at the maximum.

mod common;

use common::org::*;
use common::*;
use impersync_engine::{Engine, Network};
use impersync_testdb::{TestDb, backend_test};
use serde_json::json;

const ALICE: &str = "alice@contoso.test";
const ACCOUNT: (&str, &str) = (MASTER_UPN, MASTER_PASSWORD);

async fn a_cut_made_in_one_round_holds_in_the_next(db: &TestDb) {
    let sim = start_demo().await;
    let store = db.open().await;
    let scope = organisation(&store, &sim, "contoso.test", ACCOUNT, &[ALICE]).await;
    let engine = Engine::new(store.clone(), Network::default());
    let governor = engine.governor(scope.id());
    let max = governor.max_limit();
    assert_eq!(governor.limit(), max);

    sim.set_faults(json!({ "server_busy": { "count": 3, "back_off_ms": 20 } }))
        .await;
    let round = engine.sync_due("w1", 10).await.unwrap();
    assert!(round[0].result.is_ok(), "{:?}", round[0].result);
    let after_first = governor.limit();
    assert!(
        after_first < max,
        "three busy answers in a row cut the round's limit: {after_first} of {max}"
    );

    let alice = scope.users().get_by_email(ALICE).await.unwrap();
    scope.mailboxes().sync_now(alice.id).await.unwrap();
    let round = engine.sync_due("w1", 10).await.unwrap();
    assert!(round[0].result.is_ok(), "{:?}", round[0].result);
    let after_second = engine.governor(scope.id()).limit();
    assert!(
        (after_first..max).contains(&after_second),
        "the next round went on from the cut ({after_first}) and raised it slowly: \
         {after_second} of {max}"
    );
}
backend_test!(a_cut_made_in_one_round_holds_in_the_next);
