//! The simulator's control API (`/_sim/...`), over HTTP as tests and demos use it.

use super::SimServer;
use serde_json::Value;

impl SimServer {
    /// Calls `/_sim{path}` with an optional JSON body; the status and the JSON answer
    /// (`null` when the answer is not JSON).
    pub async fn control(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let url = format!("http://{}/_sim{path}", self.addr);
        let mut request = reqwest::Client::new().request(method, url);
        if let Some(b) = body {
            request = request
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        let response = request.send().await.expect("the simulator answers");
        let status = response.status().as_u16();
        let text = response.text().await.expect("the answer is read");
        (status, serde_json::from_str(&text).unwrap_or_default())
    }

    /// Replaces the injected faults (`/_sim/faults`).
    pub async fn set_faults(&self, faults: Value) {
        let (status, body) = self
            .control(reqwest::Method::POST, "/faults", Some(faults))
            .await;
        assert_eq!(status, 204, "{body}");
    }

    /// Replaces the throttling policy (`/_sim/throttling`).
    pub async fn set_throttling(&self, policy: Value) {
        let (status, body) = self
            .control(reqwest::Method::PUT, "/throttling", Some(policy))
            .await;
        assert_eq!(status, 204, "{body}");
    }

    /// The EWS requests in the simulator's log (`/_sim/requests`, the last 10,000), oldest
    /// first: (operation, impersonation header as `Kind:value`), each if known.
    pub async fn ews_log(&self) -> Vec<(Option<String>, Option<String>)> {
        let (status, log) = self.control(reqwest::Method::GET, "/requests", None).await;
        assert_eq!(status, 200, "{log}");
        let text = |v: &Value| v.as_str().map(str::to_string);
        log.as_array()
            .expect("the request log is a list")
            .iter()
            .filter(|e| {
                e["path"]
                    .as_str()
                    .is_some_and(|p| p.eq_ignore_ascii_case("/EWS/Exchange.asmx"))
            })
            .map(|e| (text(&e["operation"]), text(&e["impersonation"])))
            .collect()
    }

    /// How many EWS requests the simulator's log holds.
    pub async fn ews_requests(&self) -> u64 {
        self.ews_log().await.len() as u64
    }

    /// The EWS operations sent impersonating `address`, oldest first.
    pub async fn operations_for(&self, address: &str) -> Vec<String> {
        let acting = format!("SmtpAddress:{address}");
        self.ews_log()
            .await
            .into_iter()
            .filter(|(_, i)| i.as_deref() == Some(acting.as_str()))
            .filter_map(|(op, _)| op)
            .collect()
    }

    /// Empties the simulator's request log.
    pub async fn clear_requests(&self) {
        let (status, _) = self
            .control(reqwest::Method::DELETE, "/requests", None)
            .await;
        assert_eq!(status, 204);
    }
}
