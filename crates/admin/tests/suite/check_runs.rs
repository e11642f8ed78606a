//! Check runs end to end: the admin API starts a background run against the real
//! simulator's demo organisation, and its progress, results, CSV export, "failed last
//! time" and diff are read back through the API.

use impersync_engine::check_run::CheckRunSettings;
use impersync_exchange_sim::scenario::FaultSpec;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;

use crate::common::{
    Server, Session, TestDb, backend_test, start, start_engine, test_options, text,
};
use crate::sim::{self, configure, demo_users, import, wait_run};

/// A user that is not in the directory, with an address a spreadsheet would run as a formula.
const FORMULA_USER: &str = "=cmd@contoso.test";

async fn start_run(s: &Server, op: &Session, org: &str, body: Value) -> (StatusCode, Value) {
    let r = s
        .send(
            op,
            Method::POST,
            &format!("/api/orgs/{org}/check-runs"),
            Some(body),
        )
        .await;
    let status = r.status();
    (status, r.json().await.unwrap())
}

async fn get(s: &Server, op: &Session, path: &str) -> Value {
    let r = s.send(op, Method::GET, path, None).await;
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.json().await.unwrap()
}

fn outcomes(results: &Value) -> BTreeMap<String, String> {
    results["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["email"].as_str().unwrap().to_string(),
                r["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Splits CSV text into records (RFC 4180 quoting).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let (mut records, mut record, mut field) = (Vec::new(), Vec::new(), String::new());
    let (mut quoted, mut chars) = (false, text.chars().peekable());
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (false, '"') => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (_, c) => field.push(c),
        }
    }
    assert!(
        field.is_empty() && record.is_empty(),
        "CSV ends with a line end"
    );
    records
}

async fn run_results_csv_diff_and_failed_last_time(db: &TestDb) {
    let sim = sim::start(&[]).await;
    let s = start(db).await;
    let op = s.operator().await;
    let org = s.make_org("Contoso").await;
    configure(&s, &op, &org, &sim.ews_url(), sim::PASSWORD).await;
    let mut users = demo_users();
    users.push(FORMULA_USER.into());
    import(&s, &op, &org, &users).await;

    // Slow the simulator down so that the run is still going when the second start comes.
    sim.sim.faults.set(FaultSpec {
        latency_ms: 300,
        ..FaultSpec::default()
    });
    let (status, run) = start_run(&s, &op, &org, json!({})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{run}");
    assert_eq!(
        (
            run["status"].as_str(),
            run["total"].as_u64(),
            run["done"].as_u64()
        ),
        (Some("running"), Some(7), Some(0))
    );
    let (status, second) = start_run(&s, &op, &org, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{second}");
    assert!(
        second["error"]
            .as_str()
            .unwrap()
            .contains("already running"),
        "{second}"
    );
    sim.sim.faults.set(FaultSpec::default());

    let id = run["id"].as_str().unwrap().to_string();
    let detail = wait_run(&s, &op, &org, &id).await;
    assert_eq!(detail["status"], "finished", "{detail}");
    assert_eq!(detail["done"], 7);
    assert_eq!(detail["total"], 7);
    assert_eq!(
        detail["counts"],
        json!({"Ok": 3, "ImpersonationDenied": 2, "NoMailbox": 2})
    );
    assert_eq!(detail["previous_run"], Value::Null);
    assert_eq!(detail["changes"].as_array().unwrap().len(), 7, "all new");

    let base = format!("/api/orgs/{org}/check-runs/{id}/results");
    let all = get(&s, &op, &base).await;
    let by_email = outcomes(&all);
    assert_eq!(by_email["alice@contoso.test"], "Ok");
    assert_eq!(by_email["erin@contoso.test"], "ImpersonationDenied");
    assert_eq!(by_email["frank@contoso.test"], "NoMailbox");
    let erin = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["email"] == "erin@contoso.test")
        .unwrap();
    assert_eq!(erin["code"], "ErrorImpersonateUserDenied", "{erin}");
    assert!(
        erin["remedy"]
            .as_str()
            .unwrap()
            .contains("RIapplicationGroup"),
        "{erin}"
    );
    assert!(erin["latency_ms"].is_u64());

    let denied = get(&s, &op, &format!("{base}?outcome=ImpersonationDenied")).await;
    assert_eq!(
        outcomes(&denied).into_keys().collect::<Vec<_>>(),
        ["dave@contoso.test", "erin@contoso.test"]
    );
    let (status, body) = text(
        s.send(&op, Method::GET, &format!("{base}?outcome=Bogus"), None)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("\"field\":\"outcome\""), "{body}");

    // CSV: every row, quoted, the formula neutralised.
    let r = s
        .client
        .get(s.url(&base))
        .header("cookie", &op.cookie)
        .header("accept", "text/csv")
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
    let rows = parse_csv(&r.text().await.unwrap());
    assert_eq!(
        rows[0],
        [
            "email",
            "outcome",
            "code",
            "message",
            "remedy",
            "latency_ms"
        ]
    );
    assert_eq!(rows.len(), 8);
    assert!(rows.iter().all(|r| r.len() == 6), "{rows:?}");
    let csv: BTreeMap<&str, &Vec<String>> = rows[1..].iter().map(|r| (r[0].as_str(), r)).collect();
    assert_eq!(csv["alice@contoso.test"][1], "Ok");
    assert_eq!(csv["erin@contoso.test"][2], "ErrorImpersonateUserDenied");
    assert!(csv["erin@contoso.test"][4].contains("RIapplicationGroup"));
    assert_eq!(csv["frank@contoso.test"][1], "NoMailbox");
    assert_eq!(
        csv["'=cmd@contoso.test"][1], "NoMailbox",
        "formula neutralised"
    );
    assert!(rows[1..].iter().all(|r| r[5].parse::<u64>().is_ok()));
    let r = s
        .client
        .get(s.url(&format!("{base}?outcome=NoMailbox")))
        .header("cookie", &op.cookie)
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(parse_csv(&r.text().await.unwrap()).len(), 3);

    // Erin joins the group; "failed last time" checks exactly the four that failed.
    sim.add_to_scope("erin@contoso.test");
    let (status, rerun) = start_run(&s, &op, &org, json!({"failed_last_time": true})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{rerun}");
    assert_eq!(rerun["total"], 4);
    let rerun_id = rerun["id"].as_str().unwrap().to_string();
    let detail = wait_run(&s, &op, &org, &rerun_id).await;
    assert_eq!(detail["status"], "finished", "{detail}");
    assert_eq!(detail["previous_run"], id.as_str());
    assert_eq!(
        detail["changes"],
        json!([{"email": "erin@contoso.test", "before": "ImpersonationDenied", "after": "Ok"}])
    );
    let checked = get(
        &s,
        &op,
        &format!("/api/orgs/{org}/check-runs/{rerun_id}/results"),
    )
    .await;
    assert_eq!(
        outcomes(&checked).into_keys().collect::<Vec<_>>(),
        [
            FORMULA_USER,
            "dave@contoso.test",
            "erin@contoso.test",
            "frank@contoso.test"
        ]
    );

    // The list is newest first; users carry their last outcome.
    let list = get(&s, &op, &format!("/api/orgs/{org}/check-runs")).await;
    assert_eq!(list["total"], 2);
    assert_eq!(list["items"][0]["id"], rerun_id.as_str());
    assert_eq!(list["items"][1]["id"], id.as_str());
    let erin = s
        .org_store(&org)
        .await
        .users()
        .get_by_email("erin@contoso.test")
        .await
        .unwrap();
    assert_eq!(erin.last_check.unwrap().outcome, "Ok");

    // Activate everyone who passed: alice, bob, carol and now erin.
    let r = s
        .send(
            &op,
            Method::POST,
            &format!("/api/orgs/{org}/users:activate"),
            Some(json!({"all_passed_last_check": true})),
        )
        .await;
    let report: Value = r.json().await.unwrap();
    assert_eq!(
        report["changed"],
        json!([
            "alice@contoso.test",
            "bob@contoso.test",
            "carol@contoso.test",
            "erin@contoso.test"
        ])
    );

    // The audit log says who started and finished runs, and holds no password.
    let (_, audit) = text(
        s.send(&op, Method::GET, "/api/audit?per_page=200", None)
            .await,
    )
    .await;
    assert!(audit.contains("check_run.started") && audit.contains("check_run.finished"));
    assert!(
        audit.contains("\"selection\":\"failed_last_time\""),
        "{audit}"
    );
    assert!(!audit.contains(sim::PASSWORD));
}
backend_test!(run_results_csv_diff_and_failed_last_time);

async fn wrong_password_finishes_with_auth_failed(db: &TestDb) {
    let sim = sim::start(&[]).await;
    let s = start(db).await;
    let op = s.operator().await;
    let org = s.make_org("Contoso").await;
    configure(&s, &op, &org, &sim.ews_url(), "Not-The-Password-1").await;
    import(&s, &op, &org, &demo_users()[..3]).await;
    let (status, run) = start_run(&s, &op, &org, json!({})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{run}");
    // The engine's own wait: the job has ended when it returns (within the time limit).
    let id = run["id"].as_str().unwrap();
    tokio::time::timeout(
        Duration::from_secs(30),
        s.state.engine().wait_check_run(id.parse().unwrap()),
    )
    .await
    .expect("the run ends");
    let detail = get(&s, &op, &format!("/api/orgs/{org}/check-runs/{id}")).await;
    assert_eq!(detail["status"], "finished", "{detail}");
    assert_eq!(detail["done"], 3);
    assert_eq!(detail["counts"], json!({"AuthFailed": 3}));
}
backend_test!(wrong_password_finishes_with_auth_failed);

async fn an_unreachable_ews_url_fails_each_user_and_never_hangs(db: &TestDb) {
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/EWS/Exchange.asmx", closed.local_addr().unwrap());
    drop(closed);
    let s = start(db).await;
    let op = s.operator().await;
    let org = s.make_org("Contoso").await;
    configure(&s, &op, &org, &url, sim::PASSWORD).await;
    import(&s, &op, &org, &demo_users()[..2]).await;
    let (_, run) = start_run(&s, &op, &org, json!({})).await;
    let detail = wait_run(&s, &op, &org, run["id"].as_str().unwrap()).await;
    assert_eq!(detail["counts"], json!({"Unreachable": 2}), "{detail}");
}
backend_test!(an_unreachable_ews_url_fails_each_user_and_never_hangs);

async fn start_is_refused_with_clear_errors(db: &TestDb) {
    let s = start(db).await;
    let op = s.operator().await;
    let org = s.make_org("Contoso").await;
    let path = format!("/api/orgs/{org}/check-runs");
    let refused = |status: StatusCode, needle: &'static str| {
        move |(got, body): (StatusCode, String)| {
            assert_eq!(got, status, "{body}");
            assert!(body.contains(needle), "{needle} not in {body}");
        }
    };
    refused(StatusCode::CONFLICT, "no email configuration")(s.post(&op, &path, json!({})).await);
    configure(
        &s,
        &op,
        &org,
        "http://127.0.0.1:9/EWS/Exchange.asmx",
        sim::PASSWORD,
    )
    .await;
    refused(StatusCode::UNPROCESSABLE_ENTITY, "has no users")(s.post(&op, &path, json!({})).await);
    import(&s, &op, &org, &demo_users()).await;
    refused(
        StatusCode::UNPROCESSABLE_ENTITY,
        "ghost@contoso.test, not-an-address",
    )(
        s.post(
            &op,
            &path,
            json!({"emails": ["alice@contoso.test", "ghost@contoso.test", "not-an-address"]}),
        )
        .await,
    );
    refused(
        StatusCode::UNPROCESSABLE_ENTITY,
        "list of addresses is empty",
    )(s.post(&op, &path, json!({"emails": []})).await);
    refused(StatusCode::UNPROCESSABLE_ENTITY, "not both")(
        s.post(
            &op,
            &path,
            json!({"emails": ["alice@contoso.test"], "failed_last_time": true}),
        )
        .await,
    );
    refused(StatusCode::UNPROCESSABLE_ENTITY, "no user failed")(
        s.post(&op, &path, json!({"failed_last_time": true})).await,
    );
    refused(StatusCode::UNPROCESSABLE_ENTITY, "unknown field")(
        s.post(&op, &path, json!({"users": []})).await,
    );
    // The password is cleared: the configuration names what is missing.
    let r = s
        .send(
            &op,
            Method::PUT,
            &format!("/api/orgs/{org}/email-config"),
            Some(json!({
                "access_type": "ExchangeImpersonation",
                "logon": sim::LOGON,
                "password": null,
                "ews_url": "http://127.0.0.1:9/EWS/Exchange.asmx",
                "lab": true,
            })),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    refused(StatusCode::CONFLICT, "no service-account password")(
        s.post(&op, &path, json!({})).await,
    );
    // Nothing was started by any of these.
    assert_eq!(get(&s, &op, &path).await["total"], 0);
}
backend_test!(start_is_refused_with_clear_errors);

async fn a_run_whose_process_died_is_failed_as_interrupted(db: &TestDb) {
    let sim = sim::start(&[]).await;
    let settings = CheckRunSettings {
        stale_after: Duration::from_millis(200),
        ..CheckRunSettings::default()
    };
    let s = start_engine(db, test_options(), settings).await;
    let op = s.operator().await;
    let org = s.make_org("Contoso").await;
    configure(&s, &op, &org, &sim.ews_url(), sim::PASSWORD).await;
    import(&s, &op, &org, &demo_users()).await;
    // A run left "running" by a process that crashed: no job, no heartbeat.
    let scope = s.org_store(&org).await;
    let orphan = scope.check_runs().start(6).await.unwrap();
    let (status, _) = start_run(&s, &op, &org, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "still fresh");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let old = get(
        &s,
        &op,
        &format!("/api/orgs/{org}/check-runs/{}", orphan.id),
    )
    .await;
    assert_eq!(old["status"], "failed", "{old}");
    assert!(
        old["note"].as_str().unwrap().starts_with("interrupted"),
        "{old}"
    );
    // A live run that takes longer than the limit keeps itself alive with heartbeats.
    sim.sim.faults.set(FaultSpec {
        latency_ms: 500,
        ..FaultSpec::default()
    });
    let (status, run) = start_run(&s, &op, &org, json!({})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{run}");
    let detail = wait_run(&s, &op, &org, run["id"].as_str().unwrap()).await;
    assert_eq!(
        detail["status"], "finished",
        "a live run with heartbeats is not failed: {detail}"
    );
    assert_eq!(detail["done"], 6);
}
backend_test!(a_run_whose_process_died_is_failed_as_interrupted);
