//! The OpenAPI document: served without sign-in, listing every route of the public
//! contract, and naming nothing the router does not serve.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::common::*;

/// The public contract: every path with its methods.
const CONTRACT: &[(&str, &[&str])] = &[
    ("/api/login", &["post"]),
    ("/api/logout", &["post"]),
    ("/api/tokens", &["get", "post"]),
    ("/api/tokens/{id}", &["delete"]),
    ("/api/orgs", &["get", "post"]),
    ("/api/orgs/{org}", &["get", "patch", "delete"]),
    ("/api/orgs/{org}/users", &["get", "post"]),
    ("/api/orgs/{org}/users:import", &["post"]),
    ("/api/orgs/{org}/users:activate", &["post"]),
    ("/api/orgs/{org}/users:deactivate", &["post"]),
    ("/api/orgs/{org}/email-config", &["get", "put"]),
    ("/api/orgs/{org}/email-config/ews-url:generate", &["post"]),
    ("/api/orgs/{org}/email-config/oauth:start", &["post"]),
    ("/api/orgs/{org}/email-config/oauth", &["get"]),
    ("/api/orgs/{org}/check-runs", &["get", "post"]),
    ("/api/orgs/{org}/check-runs/{run}", &["get"]),
    ("/api/orgs/{org}/check-runs/{run}/results", &["get"]),
    ("/api/orgs/{org}/users/{user}:sync", &["post"]),
    ("/api/orgs/{org}/users/{user}/sync", &["get"]),
    ("/api/orgs/{org}/users/{user}/items", &["get"]),
    ("/api/orgs/{org}/mailboxes", &["get"]),
    ("/api/orgs/{org}/changes", &["get"]),
    ("/api/orgs/{org}/webhooks", &["get", "post"]),
    ("/api/orgs/{org}/webhooks/{id}", &["get", "patch", "delete"]),
    ("/api/orgs/{org}/webhooks/{id}/deliveries", &["get"]),
    ("/api/audit", &["get"]),
    ("/metrics", &["get"]),
    ("/api/openapi.json", &["get"]),
    ("/oauth/callback", &["get"]),
];

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "patch", "head", "options", "trace",
];

/// Every (path, method) the document lists.
fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, item)| {
            METHODS
                .iter()
                .filter(|m| item.get(**m).is_some())
                .map(move |m| (path.clone(), m.to_string()))
        })
        .collect()
}

async fn the_document_lists_the_contract_and_only_routed_endpoints(db: &TestDb) {
    let s = start(db).await;
    let r = s
        .client
        .get(s.url("/api/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "no sign-in needed");
    assert_eq!(r.headers()["content-type"], "application/json");
    let doc: Value = r.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."), "{doc}");
    assert_eq!(doc["info"]["title"], "Impersync admin API");
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer", "{schemes}");
    assert_eq!(schemes["session"]["in"], "cookie", "{schemes}");

    let listed = documented(&doc);
    for (path, methods) in CONTRACT {
        for method in *methods {
            assert!(
                listed.contains(&(path.to_string(), method.to_string())),
                "{method} {path} is not documented"
            );
        }
    }

    // Every documented operation says what it does and how it answers, under its own id.
    let mut ids = BTreeSet::new();
    for (path, method) in &listed {
        let op = &doc["paths"][path][method];
        let id = op["operationId"].as_str().unwrap_or_default();
        assert!(ids.insert(id.to_string()), "operationId `{id}` repeats");
        assert!(op["summary"].is_string(), "{method} {path} has no summary");
        assert!(
            op["responses"].as_object().is_some_and(|r| !r.is_empty()),
            "{method} {path} has no responses"
        );
    }
    let put = &doc["paths"]["/api/orgs/{org}/email-config"]["put"];
    assert_eq!(
        put["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/EmailConfigRequest"
    );
    let schemas = &doc["components"]["schemas"];
    for name in [
        "ErrorBody",
        "EmailConfigRequest",
        "OAuthState",
        "ImportAnswer",
    ] {
        assert!(schemas[name].is_object(), "schema {name} is missing");
    }
    assert!(
        schemas["OAuthState"]["properties"]["refresh_token"]["type"] == "string",
        "{}",
        schemas["OAuthState"]
    );

    // The fallback answers unknown endpoints like this ...
    let r = s
        .client
        .get(s.url("/api/no-such-thing"))
        .send()
        .await
        .unwrap();
    let (status, body) = text(r).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("no such endpoint"), "{body}");
    // ... and no documented endpoint is answered by the fallback or refuses its method.
    for (path, method) in &listed {
        let concrete = path
            .replace("{org}", "1")
            .replace("{run}", "1")
            .replace("{id}", "1");
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let r = s
            .client
            .request(method.clone(), s.url(&concrete))
            .send()
            .await
            .unwrap();
        let (status, body) = text(r).await;
        assert!(
            !body.contains("no such endpoint") && status != StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path} is documented but not routed ({status}: {body})"
        );
        let public = [
            "/healthz",
            "/readyz",
            "/api/login",
            "/api/openapi.json",
            "/oauth/callback",
        ];
        if !public.contains(&path.as_str()) {
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{method} {path} answers without credentials: {body}"
            );
        } else {
            assert!(status.as_u16() < 500, "{method} {path}: {status}");
        }
    }
}
backend_test!(the_document_lists_the_contract_and_only_routed_endpoints);
