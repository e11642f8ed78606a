//! Faults injected through the control API, and `POST /_sim/reset`.

mod common;

use common::*;
use impersync_ews::ops::{FindItem, GetFolder, GetRoomLists, SyncFolderItemsResponse};
use impersync_ews::types::{BaseShape, FolderRef, Shape};
use impersync_ews::{ResponseClass, ResponseCode, decode_response};
use reqwest::Method;
use serde_json::json;
use std::time::{Duration, Instant};

fn inbox() -> GetFolder {
    get_folder(vec![FolderRef::distinguished("inbox")])
}

async fn inbox_ok(server: &Server) {
    let f = only_folder(
        server
            .as_master("alice@contoso.test", &inbox())
            .await
            .ok()
            .messages,
    );
    assert_eq!(f.total_count, Some(50));
}

/// The raw reply to an impersonated GetFolder, or the transport error.
async fn raw_inbox(server: &Server) -> Result<RawReply, reqwest::Error> {
    let body = impersync_ews::encode_request(
        &impersync_ews::RequestHeader {
            server_version: Some("Exchange2016".into()),
            impersonation: Some(smtp("alice@contoso.test")),
            time_zone: None,
        },
        &inbox(),
    );
    server
        .try_post_raw(Some(MASTER), Some("alice@contoso.test"), body)
        .await
}

#[tokio::test]
async fn server_busy_as_a_fault_then_served_again() {
    let server = Server::demo().await;
    server
        .set_faults(json!({ "server_busy": { "count": 2, "back_off_ms": 500 } }))
        .await;
    for _ in 0..2 {
        let reply = server.as_master("alice@contoso.test", &inbox()).await;
        assert!(
            reply
                .body
                .contains(r#"<t:Value Name="BackOffMilliseconds">500</t:Value>"#)
        );
        let f = reply.expect_fault(ResponseCode::ErrorServerBusy);
        assert_eq!(f.back_off_ms, Some(500));
    }
    inbox_ok(&server).await;
    let (_, faults) = server.control(Method::GET, "/faults", None).await;
    assert_eq!(faults["server_busy"]["count"], 0, "{faults}");
}

#[tokio::test]
async fn server_busy_as_a_response_message_of_each_operation() {
    let server = Server::demo().await;
    let busy =
        json!({ "server_busy": { "count": 1, "back_off_ms": 500, "as_response_message": true } });

    server.set_faults(busy.clone()).await;
    let r = server.as_master("alice@contoso.test", &inbox()).await.ok();
    assert_eq!(r.messages.len(), 1);
    let m = &r.messages[0];
    error_of(m, ResponseCode::ErrorServerBusy);
    assert_eq!(m.status.back_off_ms, Some(500));
    inbox_ok(&server).await;

    // The message must belong to the operation that was asked for, or clients cannot read it.
    server.set_faults(busy.clone()).await;
    let reply = server
        .as_master(
            "alice@contoso.test",
            &sync_items(FolderRef::distinguished("inbox"), None, 512),
        )
        .await;
    assert!(
        reply.body.contains("<m:SyncFolderItemsResponse"),
        "{}",
        reply.body
    );
    let r: SyncFolderItemsResponse = reply.ok();
    error_of(&r.messages[0], ResponseCode::ErrorServerBusy);
    assert_eq!(r.messages[0].status.back_off_ms, Some(500));

    server.set_faults(busy.clone()).await;
    let r = server
        .as_master(
            "alice@contoso.test",
            &FindItem {
                traversal: "Shallow".into(),
                shape: Shape::base(BaseShape::IdOnly),
                paging: None,
                parent_folder_ids: vec![FolderRef::distinguished("inbox")],
            },
        )
        .await
        .ok();
    error_of(&r.messages[0], ResponseCode::ErrorServerBusy);

    server.set_faults(busy).await;
    let r = server.call(MASTER, None, &GetRoomLists).await.ok();
    assert_eq!(r.status.class, ResponseClass::Error);
    assert_eq!(r.status.code, ResponseCode::ErrorServerBusy);
    assert_eq!(r.status.back_off_ms, Some(500));
}

#[tokio::test]
async fn http_503_with_retry_after() {
    let server = Server::demo().await;
    server
        .set_faults(json!({ "http_503": { "count": 1, "retry_after_s": 7 } }))
        .await;
    let raw = raw_inbox(&server).await.expect("a 503 is an answer");
    assert_eq!(raw.status, 503);
    assert_eq!(
        raw.headers
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok()),
        Some("7")
    );
    inbox_ok(&server).await;
}

#[tokio::test]
async fn a_reset_drops_the_connection() {
    let server = Server::demo().await;
    server.set_faults(json!({ "reset": { "count": 1 } })).await;
    let err = raw_inbox(&server)
        .await
        .expect_err("the connection is dropped without an answer");
    assert!(!err.is_status(), "{err}");
    assert!(!err.is_timeout(), "{err}");
    inbox_ok(&server).await;
}

#[tokio::test]
async fn a_truncated_body_fails_to_read_or_decode() {
    let server = Server::demo().await;
    server
        .set_faults(json!({ "truncate": { "count": 1 } }))
        .await;
    match raw_inbox(&server).await {
        Err(e) => assert!(e.is_body() || e.is_request() || e.is_decode(), "{e}"),
        Ok(raw) => {
            assert!(
                decode_response::<GetFolder>(raw.body.as_bytes()).is_err(),
                "half a body must not decode: {}",
                raw.body
            );
        }
    }
    inbox_ok(&server).await;
}

#[tokio::test]
async fn latency_delays_each_request() {
    let server = Server::demo().await;
    server.set_faults(json!({ "latency_ms": 200 })).await;
    for _ in 0..2 {
        let started = Instant::now();
        inbox_ok(&server).await;
        assert!(
            started.elapsed() >= Duration::from_millis(200),
            "{:?}",
            started.elapsed()
        );
    }
    let (status, _) = server.control(Method::DELETE, "/faults", None).await;
    assert_eq!(status, 204);
    let (_, faults) = server.control(Method::GET, "/faults", None).await;
    assert_eq!(faults["latency_ms"], 0);
    inbox_ok(&server).await;
}

#[tokio::test]
async fn faults_are_consumed_in_order_and_only_by_ews_requests_that_get_in() {
    let server = Server::demo().await;
    server
        .set_faults(json!({
            "server_busy": { "count": 1, "back_off_ms": 100 },
            "http_503": { "count": 1, "retry_after_s": 1 }
        }))
        .await;
    // Control calls do not consume EWS faults.
    for _ in 0..3 {
        server.control(Method::GET, "/faults", None).await;
    }
    // Nor does a request that is refused before it is authenticated: a client doing
    // NTLM or sending credentials only after a 401 must still meet the fault.
    let anonymous = server
        .post_raw(
            None,
            None,
            impersync_ews::encode_request(&Default::default(), &inbox()),
        )
        .await;
    assert_eq!(anonymous.status, 401);

    server
        .as_master("alice@contoso.test", &inbox())
        .await
        .expect_fault(ResponseCode::ErrorServerBusy);
    assert_eq!(raw_inbox(&server).await.unwrap().status, 503);
    inbox_ok(&server).await;
    inbox_ok(&server).await;
}

#[tokio::test]
async fn reset_restores_the_scenario() {
    let server = Server::start(demo_with(
        "[faults]\nserver_busy = { count = 1, back_off_ms = 250 }\n",
    ))
    .await;
    // Faults from the scenario are active from the start.
    let f = server
        .as_master("alice@contoso.test", &inbox())
        .await
        .expect_fault(ResponseCode::ErrorServerBusy);
    assert_eq!(f.back_off_ms, Some(250));

    // Change everything.
    server
        .set_faults(json!({ "http_503": { "count": 5, "retry_after_s": 3 } }))
        .await;
    server
        .control(
            Method::PUT,
            "/throttling",
            Some(json!({ "ews_max_concurrency": 0 })),
        )
        .await;
    server
        .control(
            Method::DELETE,
            "/groups/RIapplicationGroup/members/alice@contoso.test",
            None,
        )
        .await;
    server
        .control(
            Method::PUT,
            "/users/bob@contoso.test/ews",
            Some(json!({ "enabled": false })),
        )
        .await;
    server
        .deliver("carol@contoso.test", "inbox", "extra", "a@b.test")
        .await;

    let (status, body) = server.control(Method::POST, "/reset", None).await;
    assert_eq!(status, 200, "{body}");
    let (_, log) = server.control(Method::GET, "/requests", None).await;
    assert_eq!(log.as_array().map(Vec::len), Some(0), "the log is cleared");

    // The scenario's fault again, once.
    server
        .as_master("alice@contoso.test", &inbox())
        .await
        .expect_fault(ResponseCode::ErrorServerBusy);
    inbox_ok(&server).await;
    let bob = server.folder("bob@contoso.test", "inbox").await;
    assert_eq!(bob.total_count, Some(50));
    let carol = server.folder("carol@contoso.test", "inbox").await;
    assert_eq!(carol.total_count, Some(50));
}

#[tokio::test]
async fn bad_fault_specs_are_refused() {
    let server = Server::demo().await;
    let (status, _) = server
        .control(Method::POST, "/faults", Some(json!({ "server_bussy": {} })))
        .await;
    assert_eq!(status, 422);
    let (status, _) = server
        .control(
            Method::POST,
            "/faults",
            Some(json!({ "http_503": { "count": 1 } })),
        )
        .await;
    assert_eq!(status, 422);
    inbox_ok(&server).await;
}
