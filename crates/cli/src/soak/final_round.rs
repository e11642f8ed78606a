//! The soak's final sync round: with delivery stopped and faults off, every mailbox is
//! made due and must sync successfully once more.

use impersync_store::{MailboxState, OrgStore, UserId};
use std::time::{Duration, Instant};

/// The longest the final sync round may take.
const FINAL_ROUND_LIMIT: Duration = Duration::from_secs(300);

/// Waits until every mailbox has synced successfully since `since`; the failure if one
/// needs attention or the round takes longer than [`FINAL_ROUND_LIMIT`].
pub async fn wait(
    scope: &OrgStore<'_>,
    mailboxes: &[(String, UserId)],
    since: i64,
) -> anyhow::Result<Option<String>> {
    let started = Instant::now();
    loop {
        let mut waiting = Vec::new();
        for (address, user) in mailboxes {
            let status = scope.mailboxes().status(*user).await?;
            let done = status.as_ref().is_some_and(|s| {
                s.state == MailboxState::Idle && s.last_success_at.is_some_and(|t| t >= since)
            });
            if done {
                continue;
            }
            let state = status.as_ref().map_or("unscheduled", |s| s.state.as_str());
            let error = status
                .and_then(|s| s.last_error)
                .map(|e| format!(": {}: {}", e.outcome, e.message))
                .unwrap_or_default();
            if state == MailboxState::NeedsAttention.as_str() {
                return Ok(Some(format!(
                    "final sync round: {address} needs attention{error}"
                )));
            }
            waiting.push(format!("{address} ({state}{error})"));
        }
        if waiting.is_empty() {
            return Ok(None);
        }
        if started.elapsed() > FINAL_ROUND_LIMIT {
            waiting.truncate(5);
            return Ok(Some(format!(
                "final sync round: not every mailbox synced within {} s, e.g. {}",
                FINAL_ROUND_LIMIT.as_secs(),
                waiting.join("; ")
            )));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
