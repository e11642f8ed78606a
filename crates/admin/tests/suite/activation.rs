//! Activation through the API: force rules, all that passed, unknown addresses, bad
//! bodies, and nothing half-written.

use impersync_store::LastCheck;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Server, Session, TestDb, backend_test, start};
use crate::sim::import;

async fn active(s: &Server, op: &Session, org: &str) -> Vec<String> {
    let page: Value = s
        .send(
            op,
            Method::GET,
            &format!("/api/orgs/{org}/users?per_page=100"),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["sync_enabled"] == true)
        .map(|u| u["email"].as_str().unwrap().to_string())
        .collect()
}

async fn activation_rules_through_the_api(db: &TestDb) {
    let s = start(db).await;
    let op = s.operator().await;
    let org = s.make_org("Contoso").await;
    let emails: Vec<String> = ["ok@contoso.com", "denied@contoso.com", "never@contoso.com"]
        .iter()
        .map(|e| e.to_string())
        .collect();
    import(&s, &op, &org, &emails).await;
    let scope = s.org_store(&org).await;
    for (email, outcome) in [
        ("ok@contoso.com", "Ok"),
        ("denied@contoso.com", "ImpersonationDenied"),
    ] {
        let user = scope.users().get_by_email(email).await.unwrap();
        let check = LastCheck {
            outcome: outcome.into(),
            detail: String::new(),
            at: 1,
            run: None,
        };
        scope
            .users()
            .record_check_outcome(user.id, &check)
            .await
            .unwrap();
    }
    let activate = format!("/api/orgs/{org}/users:activate");
    let deactivate = format!("/api/orgs/{org}/users:deactivate");

    let (status, body) = s
        .post(
            &op,
            &activate,
            json!({"emails": ["ok@contoso.com", "denied@contoso.com", "never@contoso.com"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body.contains("denied@contoso.com, never@contoso.com"),
        "{body}"
    );
    assert!(
        !body.contains("ok@contoso.com"),
        "only the failing ones are named: {body}"
    );
    assert!(
        active(&s, &op, &org).await.is_empty(),
        "nothing half-written"
    );

    let (status, body) = s
        .post(
            &op,
            &activate,
            json!({"emails": ["ok@contoso.com", "ghost@contoso.com"], "force": true}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body.contains("ghost@contoso.com") && body.contains("\"field\":\"emails\""),
        "{body}"
    );
    assert!(active(&s, &op, &org).await.is_empty());

    for bad in [
        json!({}),
        json!({"emails": ["ok@contoso.com"], "all_passed_last_check": true}),
        json!({"emails": "ok@contoso.com"}),
    ] {
        let (status, body) = s.post(&op, &activate, bad.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
    }
    let (status, body) = s
        .post(
            &op,
            &deactivate,
            json!({"emails": ["ok@contoso.com"], "force": true}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("\"field\":\"force\""), "{body}");

    let report: Value = s
        .send(
            &op,
            Method::POST,
            &activate,
            Some(json!({"all_passed_last_check": true})),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(report["changed"], json!(["ok@contoso.com"]));
    let report: Value = s
        .send(
            &op,
            Method::POST,
            &activate,
            Some(json!({"emails": ["denied@contoso.com", "never@contoso.com"], "force": true})),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        report["forced"],
        json!(["denied@contoso.com", "never@contoso.com"])
    );
    assert_eq!(active(&s, &op, &org).await.len(), 3);

    let report: Value = s
        .send(
            &op,
            Method::POST,
            &deactivate,
            Some(json!({"emails": ["denied@contoso.com"]})),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(report["changed"], json!(["denied@contoso.com"]));
    assert_eq!(
        active(&s, &op, &org).await,
        ["never@contoso.com", "ok@contoso.com"]
    );
}
backend_test!(activation_rules_through_the_api);
