//! EWS throttling: EWSMaxConcurrency, the request budget, and changing the policy at run time.

mod common;

use common::*;
use impersync_ews::ResponseCode;
use impersync_ews::ops::{GetFolder, GetFolderResponse};
use impersync_ews::types::FolderRef;
use reqwest::Method;
use serde_json::json;

fn inbox() -> GetFolder {
    get_folder(vec![FolderRef::distinguished("inbox")])
}

/// The outcome of one request: `Ok` or the fault's code.
fn outcome(r: Reply<GetFolderResponse>) -> Result<(), ResponseCode> {
    match r.decoded.body {
        Ok(_) => {
            assert_eq!(r.status, 200);
            Ok(())
        }
        Err(f) => Err(f.code),
    }
}

fn count(results: &[Result<(), ResponseCode>], code: &ResponseCode) -> usize {
    results
        .iter()
        .filter(|r| r.as_ref().err() == Some(code))
        .count()
}

/// Two slots per budget, and every request takes 300 ms so that three overlap.
async fn slow_server() -> Server {
    Server::start(demo_with(
        "[throttling]\news_max_concurrency = 2\n\n[faults]\nlatency_ms = 300\n",
    ))
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_third_concurrent_request_exceeds_the_connection_count() {
    let server = slow_server().await;
    let op = inbox();
    let (a, b, c) = tokio::join!(
        server.as_master("alice@contoso.test", &op),
        server.as_master("alice@contoso.test", &op),
        server.as_master("alice@contoso.test", &op),
    );
    let fault_text: Vec<String> = [&a, &b, &c]
        .iter()
        .filter(|r| r.status == 500)
        .map(|r| r.body.clone())
        .collect();
    let results = [outcome(a), outcome(b), outcome(c)];
    assert_eq!(
        count(&results, &ResponseCode::ErrorExceededConnectionCount),
        1,
        "{results:?}"
    );
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 2);
    assert!(
        fault_text[0].contains("EWSMaxConcurrency"),
        "{}",
        fault_text[0]
    );

    // The slots are given back once the requests complete.
    let (a, b) = tokio::join!(
        server.as_master("alice@contoso.test", &op),
        server.as_master("alice@contoso.test", &op),
    );
    assert_eq!([outcome(a), outcome(b)], [Ok(()), Ok(())]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn impersonated_requests_are_charged_to_the_target_mailbox() {
    // Exchange 2010 SP2 RU4 and later: an impersonated call is charged to a copy of the
    // target mailbox's budget, shared by every service account that impersonates it.
    let server = slow_server().await;
    let op = inbox();

    // Three different targets: three budgets.
    let (a, b, c) = tokio::join!(
        server.as_master("alice@contoso.test", &op),
        server.as_master("bob@contoso.test", &op),
        server.as_master("carol@contoso.test", &op),
    );
    assert_eq!(
        [outcome(a), outcome(b), outcome(c)],
        [Ok(()), Ok(()), Ok(())]
    );

    // alice's own sessions and service accounts impersonating her use separate budgets.
    let (a, b, c, d) = tokio::join!(
        server.call(ALICE, None, &op),
        server.call(ALICE, None, &op),
        server.as_master("alice@contoso.test", &op),
        server.as_master("alice@contoso.test", &op),
    );
    assert_eq!(
        [outcome(a), outcome(b), outcome(c), outcome(d)],
        [Ok(()), Ok(()), Ok(()), Ok(())]
    );

    // Two service accounts impersonating the same user share that budget.
    let (a, b, c) = tokio::join!(
        server.as_master("alice@contoso.test", &op),
        server.call(NO_MAILBOX, Some(smtp("alice@contoso.test")), &op),
        server.as_master("alice@contoso.test", &op),
    );
    let results = [outcome(a), outcome(b), outcome(c)];
    assert_eq!(
        count(&results, &ResponseCode::ErrorExceededConnectionCount),
        1,
        "{results:?}"
    );
}

#[tokio::test]
async fn the_budget_refuses_the_third_quick_request_with_a_back_off() {
    let server = Server::start(demo_with(
        "[throttling]\nbudget_per_second = 2\nbudget_burst = 2\n",
    ))
    .await;
    let op = inbox();
    server.as_master("alice@contoso.test", &op).await.ok();
    server.as_master("alice@contoso.test", &op).await.ok();
    let third = server.as_master("alice@contoso.test", &op).await;
    assert!(
        third
            .body
            .contains(r#"<t:Value Name="BackOffMilliseconds">"#),
        "{}",
        third.body
    );
    let fault = third.expect_fault(ResponseCode::ErrorServerBusy);
    let back_off = fault.back_off_ms.expect("BackOffMilliseconds");
    assert!(back_off > 0 && back_off <= 500, "{back_off}");

    // Another mailbox has its own budget.
    server.as_master("bob@contoso.test", &op).await.ok();

    // Waiting as told is enough.
    tokio::time::sleep(std::time::Duration::from_millis(back_off)).await;
    server.as_master("alice@contoso.test", &op).await.ok();
}

#[tokio::test]
async fn the_policy_changes_at_run_time() {
    let server = Server::demo().await;
    let op = inbox();
    for _ in 0..5 {
        server.as_master("alice@contoso.test", &op).await.ok();
    }
    let (status, _) = server
        .control(
            Method::PUT,
            "/throttling",
            Some(json!({ "budget_per_second": 1, "budget_burst": 1 })),
        )
        .await;
    assert_eq!(status, 204);
    server.as_master("alice@contoso.test", &op).await.ok();
    let f = server
        .as_master("alice@contoso.test", &op)
        .await
        .expect_fault(ResponseCode::ErrorServerBusy);
    assert!(f.back_off_ms.is_some_and(|ms| ms > 0 && ms <= 1000));

    // No slot at all: every request exceeds the connection count.
    let (status, _) = server
        .control(
            Method::PUT,
            "/throttling",
            Some(json!({ "ews_max_concurrency": 0 })),
        )
        .await;
    assert_eq!(status, 204);
    server
        .as_master("alice@contoso.test", &op)
        .await
        .expect_fault(ResponseCode::ErrorExceededConnectionCount);
    server
        .call(MASTER, None, &op)
        .await
        .expect_fault(ResponseCode::ErrorExceededConnectionCount);

    // Back to the defaults.
    let (status, _) = server
        .control(Method::PUT, "/throttling", Some(json!({})))
        .await;
    assert_eq!(status, 204);
    for _ in 0..5 {
        server.as_master("alice@contoso.test", &op).await.ok();
    }

    // A policy that does not parse is refused.
    let (status, _) = server
        .control(
            Method::PUT,
            "/throttling",
            Some(json!({ "ews_max_concurency": 3 })),
        )
        .await;
    assert_eq!(status, 422);
}
