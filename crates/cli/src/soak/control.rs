//! The soak's client of the simulator's control API (`/_sim/...`): deliver, change and
//! delete mail, set faults, and list what a mailbox holds.

use anyhow::{Context, bail};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The control API of the simulator at `base` (`http://127.0.0.1:PORT`).
#[derive(Debug, Clone)]
pub struct Control {
    http: reqwest::Client,
    base: String,
}

impl Control {
    /// A client of the simulator at `base`.
    pub fn new(base: &str) -> Self {
        Self {
            http: reqwest::Client::new(),
            base: base.to_string(),
        }
    }

    /// Delivers a message into `folder` (a distinguished name) of `address`; its item id.
    pub async fn deliver(
        &self,
        address: &str,
        folder: &str,
        subject: &str,
    ) -> anyhow::Result<String> {
        let body = serde_json::json!({
            "subject": subject,
            "from": "soak@sender.test",
            "body": format!("{subject}: delivered by the soak test"),
        });
        let url = format!(
            "{}/_sim/mailboxes/{address}/folders/{folder}/items",
            self.base
        );
        let answer: Value = self.send(self.http.post(&url), Some(&body)).await?;
        answer["item_id"]
            .as_str()
            .map(str::to_string)
            .with_context(|| format!("POST {url}: no item_id in {answer}"))
    }

    /// Changes an item of `address`: `{"is_read": ...}` or `{"subject": ...}`.
    pub async fn modify(&self, address: &str, item: &str, change: &Value) -> anyhow::Result<()> {
        let url = format!("{}/_sim/mailboxes/{address}/items/{item}", self.base);
        self.send::<Value>(self.http.patch(&url), Some(change))
            .await
            .map(drop)
    }

    /// Deletes an item of `address`.
    pub async fn delete(&self, address: &str, item: &str) -> anyhow::Result<()> {
        let url = format!("{}/_sim/mailboxes/{address}/items/{item}", self.base);
        self.send::<Value>(self.http.delete(&url), None)
            .await
            .map(drop)
    }

    /// The active fault settings.
    pub async fn faults(&self) -> anyhow::Result<Value> {
        let url = format!("{}/_sim/faults", self.base);
        self.send(self.http.get(&url), None).await
    }

    /// Replaces the fault settings.
    pub async fn set_faults(&self, spec: &Value) -> anyhow::Result<()> {
        let url = format!("{}/_sim/faults", self.base);
        self.send::<Value>(self.http.post(&url), Some(spec))
            .await
            .map(drop)
    }

    /// Switches every fault off.
    pub async fn clear_faults(&self) -> anyhow::Result<()> {
        let url = format!("{}/_sim/faults", self.base);
        self.send::<Value>(self.http.delete(&url), None)
            .await
            .map(drop)
    }

    /// What the mailbox of `address` holds now (`GET /_sim/mailboxes/{address}/items`).
    pub async fn mailbox_items<T: DeserializeOwned>(&self, address: &str) -> anyhow::Result<T> {
        let url = format!("{}/_sim/mailboxes/{address}/items", self.base);
        self.send(self.http.get(&url), None).await
    }

    /// Sends a request with an optional JSON body; the answer's JSON (`null` when empty).
    async fn send<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
        body: Option<&Value>,
    ) -> anyhow::Result<T> {
        let request = match body {
            Some(b) => request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(serde_json::to_vec(b)?),
            None => request,
        };
        let request = request.build()?;
        let what = format!("{} {}", request.method(), request.url());
        let response = self
            .http
            .execute(request)
            .await
            .with_context(|| format!("{what}: the simulator did not answer"))?;
        let status = response.status();
        let text = response
            .bytes()
            .await
            .with_context(|| format!("{what}: reading the answer"))?;
        if !status.is_success() {
            bail!("{what}: {status}: {}", String::from_utf8_lossy(&text));
        }
        let text: &[u8] = if text.is_empty() { b"null" } else { &text };
        serde_json::from_slice(text)
            .with_context(|| format!("{what}: the answer is not the JSON expected"))
    }
}
