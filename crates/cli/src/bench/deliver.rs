//! New mail for the "1 % changed" poll: messages delivered to chosen mailboxes through the
//! simulator's control API, each with the wall-clock time the simulator confirmed it.

use anyhow::{Context, bail};
use impersync_store::now_millis;
use serde_json::json;
use std::collections::HashMap;

/// One delivered message.
#[derive(Debug, Clone)]
pub struct Delivered {
    /// The mailbox's address.
    pub mailbox: String,
    /// The EWS ItemId the simulator gave it.
    pub item_id: String,
    /// When the simulator confirmed the delivery (Unix ms).
    pub at_ms: i64,
}

/// `percent` % of `addresses` (at least one), spread evenly over the list: the mailboxes a
/// round reaches early, midway and late alike.
pub fn spread(addresses: &[String], percent: u32) -> Vec<String> {
    let count = (addresses.len() * percent as usize).div_ceil(100).max(1);
    let stride = addresses.len() as f64 / count as f64;
    (0..count)
        .map(|i| addresses[((i as f64 + 0.5) * stride) as usize].clone())
        .collect()
}

/// Delivers one message to the Inbox of each of `mailboxes`, one after another.
pub async fn deliver(
    base_url: &str,
    mailboxes: &[String],
    tag: &str,
) -> anyhow::Result<Vec<Delivered>> {
    let http = reqwest::Client::new();
    let mut delivered = Vec::with_capacity(mailboxes.len());
    for (n, mailbox) in mailboxes.iter().enumerate() {
        let response = http
            .post(format!(
                "{base_url}/_sim/mailboxes/{mailbox}/folders/inbox/items"
            ))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(serde_json::to_vec(&json!({
                "subject": format!("{tag} {n}"),
                "from": "sender@example.test",
                "body": "New mail for the poll benchmark.",
            }))?)
            .send()
            .await
            .with_context(|| format!("delivering to {mailbox}"))?;
        let status = response.status();
        let body: serde_json::Value = serde_json::from_slice(&response.bytes().await?)
            .with_context(|| format!("the delivery to {mailbox} did not answer JSON"))?;
        if !status.is_success() {
            bail!("delivering to {mailbox}: {status} {body}");
        }
        let item_id = body["item_id"]
            .as_str()
            .context("the delivery answered no item_id")?
            .to_string();
        delivered.push(Delivered {
            mailbox: mailbox.clone(),
            item_id,
            at_ms: now_millis(),
        });
    }
    Ok(delivered)
}

/// Latency in seconds from delivery to `seen` (item id → Unix ms) for every delivered
/// message; fails when one was never seen.
pub fn latencies(delivered: &[Delivered], seen: &HashMap<String, i64>) -> anyhow::Result<Vec<f64>> {
    delivered
        .iter()
        .map(|d| {
            let at = seen.get(&d.item_id).with_context(|| {
                format!("the message delivered to {} was never seen", d.mailbox)
            })?;
            Ok((at - d.at_ms) as f64 / 1000.0)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::spread;

    #[test]
    fn one_percent_spread_over_the_list() {
        let all: Vec<String> = (0..1000).map(|n| n.to_string()).collect();
        let chosen = spread(&all, 1);
        assert_eq!(chosen.len(), 10);
        assert_eq!(chosen.first().map(String::as_str), Some("50"));
        assert_eq!(chosen.last().map(String::as_str), Some("950"));
        assert_eq!(spread(&all[..3], 1), vec!["1".to_string()]);
    }
}
