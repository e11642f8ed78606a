//! `GET /_sim/requests`: what the simulator saw of each EWS request.

mod common;

use common::*;
use impersync_ews::types::FolderRef;
use impersync_ews::{ConnectingSid, RequestHeader, ResponseCode, encode_request};
use reqwest::Method;
use serde_json::Value;

async fn log(server: &Server) -> Vec<Value> {
    let (status, body) = server.control(Method::GET, "/requests", None).await;
    assert_eq!(status, 200);
    body.as_array().expect("a JSON array").clone()
}

#[tokio::test]
async fn each_request_is_logged_with_caller_impersonation_and_anchor() {
    let server = Server::demo().await;
    let inbox = get_folder(vec![FolderRef::distinguished("inbox")]);

    server.as_master("alice@contoso.test", &inbox).await.ok();
    server
        .call(MASTER, Some(ConnectingSid::Sid(demo_sid(3))), &inbox)
        .await
        .ok();
    server
        .call(NO_MAILBOX, None, &impersync_ews::ops::GetRoomLists)
        .await
        .ok();
    server
        .as_master("erin@contoso.test", &inbox)
        .await
        .expect_fault(ResponseCode::ErrorImpersonateUserDenied);
    // An anchor that differs from the impersonated user, as a misconfigured client sends it.
    let body = encode_request(
        &RequestHeader {
            server_version: Some("Exchange2016".into()),
            impersonation: Some(ConnectingSid::PrincipalName("carol@contoso.test".into())),
            time_zone: None,
        },
        &inbox,
    );
    let raw = server
        .post_raw(Some(MASTER), Some("someone@contoso.test"), body.clone())
        .await;
    assert_eq!(raw.status, 200);
    // No credentials.
    assert_eq!(server.post_raw(None, None, body).await.status, 401);

    let entries = log(&server).await;
    assert_eq!(entries.len(), 6, "{entries:#?}");
    let seqs: Vec<u64> = entries.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    for e in &entries {
        assert_eq!(e["method"], "POST");
        assert_eq!(e["path"], "/EWS/Exchange.asmx");
    }

    let e = &entries[0];
    assert_eq!(e["operation"], "GetFolder");
    assert_eq!(e["caller"], "MasterImpersonation@contoso.test");
    assert_eq!(e["impersonation"], "PrimarySmtpAddress:alice@contoso.test");
    assert_eq!(e["anchor_mailbox"], "alice@contoso.test");
    assert_eq!(e["status"], 200);
    assert_eq!(e["response_code"], Value::Null);

    let e = &entries[1];
    assert_eq!(e["impersonation"], format!("SID:{}", demo_sid(3)));
    assert_eq!(e["anchor_mailbox"], demo_sid(3));

    let e = &entries[2];
    assert_eq!(e["operation"], "GetRoomLists");
    assert_eq!(e["caller"], "NoMailboxSvc@contoso.test");
    assert_eq!(e["impersonation"], Value::Null);
    assert_eq!(e["anchor_mailbox"], Value::Null);

    let e = &entries[3];
    assert_eq!(e["operation"], "GetFolder");
    assert_eq!(e["impersonation"], "PrimarySmtpAddress:erin@contoso.test");
    assert_eq!(e["status"], 500);
    assert_eq!(e["response_code"], "ErrorImpersonateUserDenied");

    let e = &entries[4];
    assert_eq!(e["impersonation"], "PrincipalName:carol@contoso.test");
    assert_eq!(e["anchor_mailbox"], "someone@contoso.test");

    let e = &entries[5];
    assert_eq!(e["status"], 401);
    assert_eq!(e["caller"], Value::Null);

    // Clearing the log.
    let (status, _) = server.control(Method::DELETE, "/requests", None).await;
    assert_eq!(status, 204);
    assert!(log(&server).await.is_empty());
    server.as_master("bob@contoso.test", &inbox).await.ok();
    let entries = log(&server).await;
    assert_eq!(entries.len(), 1);
    assert!(
        entries[0]["seq"].as_u64().unwrap() > seqs[5],
        "numbering continues"
    );
}

#[tokio::test]
async fn throttled_and_faulted_requests_are_logged_with_their_code() {
    let server = Server::demo().await;
    let inbox = get_folder(vec![FolderRef::distinguished("inbox")]);
    server
        .set_faults(serde_json::json!({ "server_busy": { "count": 1, "back_off_ms": 10 } }))
        .await;
    server
        .as_master("alice@contoso.test", &inbox)
        .await
        .expect_fault(ResponseCode::ErrorServerBusy);
    server
        .control(
            Method::PUT,
            "/throttling",
            Some(serde_json::json!({ "ews_max_concurrency": 0 })),
        )
        .await;
    server
        .as_master("alice@contoso.test", &inbox)
        .await
        .expect_fault(ResponseCode::ErrorExceededConnectionCount);
    let entries = log(&server).await;
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["response_code"], "ErrorServerBusy");
    assert_eq!(entries[0]["status"], 500);
    assert_eq!(entries[1]["response_code"], "ErrorExceededConnectionCount");
    assert_eq!(entries[1]["caller"], "MasterImpersonation@contoso.test");
}
