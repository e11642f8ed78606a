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

    /// How many EWS requests the simulator's log holds (`/_sim/requests`, at most 10,000).
    pub async fn ews_requests(&self) -> u64 {
        let (status, log) = self.control(reqwest::Method::GET, "/requests", None).await;
        assert_eq!(status, 200, "{log}");
        log.as_array()
            .expect("the request log is a list")
            .iter()
            .filter(|e| {
                e["path"]
                    .as_str()
                    .is_some_and(|p| p.eq_ignore_ascii_case("/EWS/Exchange.asmx"))
            })
            .count() as u64
    }

    /// Empties the simulator's request log.
    pub async fn clear_requests(&self) {
        let (status, _) = self
            .control(reqwest::Method::DELETE, "/requests", None)
            .await;
        assert_eq!(status, 204);
    }
}
