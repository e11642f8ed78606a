//! The panel's check-run pages: the list, one run with progress, results filtered by
//! outcome with remedies, the CSV export and the difference from the previous run.

use impersync_store::{CheckRunStatus, NewCheckResult, OrgStore, Principal};
use reqwest::StatusCode;

use crate::common::{TestDb, backend_test, start};
use crate::panel::operator;
use crate::sim;

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

/// The run id at the end of a run page's URL.
fn run_of(location: &str) -> String {
    location.rsplit('/').next().unwrap().to_string()
}

async fn panel_starts_and_retries_runs_against_the_simulator(db: &TestDb) {
    let server = start(db).await;
    let org = server.make_org("Contoso").await;
    let mut b = operator(&server).await;
    let runs = format!("/orgs/{org}/check-runs");
    b.get(&runs).await;

    // Without a configuration the check does not start, and says why.
    let (status, location, _) = b.post(&runs, &[]).await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, runs.as_str())
    );
    let (_, _, page) = b.get(&runs).await;
    assert!(page.contains("The check did not start:"), "{page}");
    assert!(page.contains("No check runs yet."));

    let sim = sim::start(&[]).await;
    let api = server.operator().await;
    sim::import(&server, &api, &org, &sim::demo_users()).await;
    sim::configure(&server, &api, &org, &sim.ews_url(), sim::PASSWORD).await;

    // A post without the token starts nothing.
    let (status, _, _) = b.post_raw(&runs, &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, _, page) = b.get(&runs).await;
    assert!(page.contains("No check runs yet."));

    let (status, location, _) = b.post(&runs, &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let first = run_of(&location);
    sim::wait_run(&server, &api, &org, &first).await;
    let (_, _, page) = b.get(&location).await;
    assert!(page.contains("6 of 6 checked"), "{page}");
    assert!(page.contains("ImpersonationDenied (2)") && page.contains("NoMailbox (1)"));
    assert!(page.contains("Retry failed"));

    // Erin joins the scope; "Retry failed" checks only the three that failed.
    sim.add_to_scope("erin@contoso.test");
    let (status, location, _) = b.post(&format!("{location}/retry"), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let second = run_of(&location);
    assert_ne!(first, second);
    sim::wait_run(&server, &api, &org, &second).await;
    let (_, _, page) = b.get(&location).await;
    assert!(page.contains("3 of 3 checked"), "{page}");
    assert!(page.contains(&format!(
        "Compared with run <a href=\"/orgs/{org}/check-runs/{first}\">"
    )));
    let changes = page
        .split("Difference from the previous run")
        .nth(1)
        .unwrap();
    assert!(changes.contains("erin@contoso.test"), "{changes}");
    assert!(
        !changes.contains("frank@contoso.test"),
        "frank is still NoMailbox"
    );
}
backend_test!(panel_starts_and_retries_runs_against_the_simulator);
