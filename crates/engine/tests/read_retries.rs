//! Reads are sent again after a dropped connection or a cut-off answer, up to
//! `READ_RETRIES` times; plain calls are not.

mod common;

use common::*;
use impersync_ews::ops::GetFolder;
use impersync_ews::types::{BaseShape, FolderRef, Shape};
use impersync_exchange::{ExchangeError, GovernorConfig, IdType, Impersonate, READ_RETRIES};
use serde_json::json;

fn inbox() -> GetFolder {
    GetFolder {
        shape: Shape::base(BaseShape::IdOnly),
        folder_ids: vec![FolderRef::distinguished("inbox")],
    }
}

#[tokio::test]
async fn a_read_survives_as_many_dropped_answers_as_it_retries() {
    let sim = start_demo().await;
    let client = sim.client(master_basic(), GovernorConfig::default());
    let acting = Impersonate::smtp(IdType::SmtpAddress, "alice@contoso.test");
    let faults = READ_RETRIES / 2;
    sim.set_faults(json!({
        "reset": { "count": faults },
        "truncate": { "count": READ_RETRIES - faults },
    }))
    .await;
    sim.clear_requests().await;
    client.call_read(Some(&acting), &inbox()).await.unwrap();
    assert_eq!(sim.ews_requests().await, u64::from(READ_RETRIES) + 1);

    sim.set_faults(json!({ "reset": { "count": READ_RETRIES + 1 } }))
        .await;
    let gave_up = client.call_read(Some(&acting), &inbox()).await;
    assert!(
        matches!(gave_up, Err(ExchangeError::Unreachable { .. })),
        "{gave_up:?}"
    );

    sim.set_faults(json!({ "truncate": { "count": 1 } })).await;
    sim.clear_requests().await;
    let once = client.call(Some(&acting), &inbox()).await;
    assert!(once.is_err(), "a plain call is not retried");
    assert_eq!(sim.ews_requests().await, 1);
}
