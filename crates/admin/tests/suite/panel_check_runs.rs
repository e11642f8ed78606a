//! The panel's check-run pages: the list, one run with progress, results filtered by
//! outcome with remedies, the CSV export and the difference from the previous run.

use impersync_store::{CheckRunStatus, NewCheckResult, OrgStore, Principal};
use reqwest::StatusCode;

use crate::common::{TestDb, backend_test, start};
use crate::panel::operator;

fn result(email: &str, outcome: &str, remedy: &str) -> NewCheckResult {
    NewCheckResult {
        email: email.into(),
        outcome: outcome.into(),
        detail: format!("{outcome} for {email}"),
        remedy: remedy.into(),
        duration_ms: 12,
        ..NewCheckResult::default()
    }
}

async fn finished_run(org: &OrgStore<'_>, results: &[NewCheckResult]) -> String {
    let runs = org.check_runs();
    let run = runs.start(results.len() as u64).await.unwrap();
    runs.add_results(run.id, results).await.unwrap();
    runs.finish(run.id, CheckRunStatus::Finished, None)
        .await
        .unwrap();
    run.id.to_string()
}

async fn panel_check_run_pages(db: &TestDb) {
    let server = start(db).await;
    let org = server.make_org("Contoso").await;
    let system = Principal::system("test");
    let contoso = server
        .state
        .store()
        .org(&system, org.parse().unwrap())
        .await
        .unwrap();
    let first = finished_run(
        &contoso,
        &[
            result("alice@contoso.com", "Ok", ""),
            result("erin@contoso.com", "Ok", ""),
        ],
    )
    .await;
    let second = finished_run(
        &contoso,
        &[
            result("alice@contoso.com", "Ok", ""),
            result(
                "erin@contoso.com",
                "ImpersonationDenied",
                "Make erin a DIRECT member of RIapplicationGroup",
            ),
            result(
                "frank@contoso.com",
                "NoMailbox",
                "Create the mailbox, \"then\" retry",
            ),
        ],
    )
    .await;
    let mut b = operator(&server).await;
    let (_, _, list) = b.get(&format!("/orgs/{org}/check-runs")).await;
    assert!(list.contains(&format!("#{first}")) && list.contains(&format!("#{second}")));

    let run = format!("/orgs/{org}/check-runs/{second}");
    let (status, _, page) = b.get(&run).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("3 of 3 checked"), "{page}");
    assert!(!page.contains("hx-trigger"), "a finished run is not polled");
    assert!(page.contains("Make erin a DIRECT member of RIapplicationGroup"));
    assert!(page.contains("Retry failed"));
    assert!(
        page.contains(&format!(
            "Compared with run <a href=\"/orgs/{org}/check-runs/{first}\">"
        )),
        "{page}"
    );
    assert!(page.contains("ImpersonationDenied (1)") && page.contains("NoMailbox (1)"));

    let (_, _, filtered) = b.get(&format!("{run}?outcome=NoMailbox")).await;
    assert!(filtered.contains("data-email=\"frank@contoso.com\""));
    assert!(!filtered.contains("data-email=\"alice@contoso.com\""));

    let r = b
        .client
        .get(server.url(&format!("{run}/results.csv")))
        .header(
            "cookie",
            b.cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; "),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = r.text().await.unwrap();
    let lines: Vec<_> = csv.lines().collect();
    assert_eq!(lines[0], "email,outcome,code,message,remedy,latency_ms");
    assert_eq!(lines.len(), 4);
    assert_eq!(
        lines[3],
        "frank@contoso.com,NoMailbox,,NoMailbox for frank@contoso.com,\"Create the mailbox, \"\"then\"\" retry\",12",
        "{csv}"
    );
    let r = b
        .client
        .get(server.url(&format!("{run}/results.csv?outcome=NoMailbox")))
        .header(
            "cookie",
            b.cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; "),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.text().await.unwrap().lines().count(),
        2,
        "one outcome only"
    );

    // A running run polls its progress fragment every second.
    let runs = contoso.check_runs();
    let live = runs.start(4).await.unwrap();
    runs.add_results(live.id, &[result("alice@contoso.com", "Ok", "")])
        .await
        .unwrap();
    let (_, _, page) = b.get(&format!("/orgs/{org}/check-runs/{}", live.id)).await;
    assert!(page.contains("hx-trigger=\"every 1s\""), "{page}");
    assert!(page.contains("1 of 4 checked"));
    let fragment = format!("/orgs/{org}/check-runs/{}/progress", live.id);
    let r = b
        .client
        .get(server.url(&fragment))
        .header(
            "cookie",
            format!(
                "impersync_session={}",
                b.cookies
                    .iter()
                    .find(|(k, _)| k == "impersync_session")
                    .unwrap()
                    .1
            ),
        )
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("hx-refresh").is_none());
    assert!(r.text().await.unwrap().contains("value=\"25\""));
    runs.finish(live.id, CheckRunStatus::Cancelled, Some("stopped"))
        .await
        .unwrap();
    let (_, _, _) = b.get(&fragment).await;
    let r = b
        .client
        .get(server.url(&fragment))
        .header(
            "cookie",
            format!(
                "impersync_session={}",
                b.cookies
                    .iter()
                    .find(|(k, _)| k == "impersync_session")
                    .unwrap()
                    .1
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["hx-refresh"], "true");
}
backend_test!(panel_check_run_pages);
