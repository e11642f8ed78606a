//! The background job of a check run: checks the users and stores their results in
//! batches as they complete (at least every `flush_interval`, or as soon as `flush_batch`
//! are waiting), with a heartbeat while nothing completes; then ends the run.

use crate::access_check::{BulkOptions, UserResult, check_stream};
use crate::engine::Engine;
use crate::org_client::{ClientPlan, OrgClientError};
use futures_util::StreamExt;
use impersync_store::{
    CheckRunId, CheckRunStatus, CheckRuns, CheckTarget, NewCheckResult, OrgId, Principal,
    StoreError, UserId, now_millis,
};
use std::time::Instant;
use tokio::sync::mpsc;

/// Why a job stopped before checking everyone.
#[derive(Debug, thiserror::Error)]
enum JobError {
    #[error("{0}")]
    Client(#[from] OrgClientError),
    #[error("storing the results failed: {0}")]
    Store(#[from] StoreError),
}

/// Runs the job and ends the run: finished, or failed with the reason.
pub(crate) async fn run(
    engine: Engine,
    principal: Principal,
    org: OrgId,
    run: CheckRunId,
    plan: ClientPlan,
    targets: Vec<CheckTarget>,
) {
    let store = engine.store().clone();
    let scope = match store.org(&principal, org).await {
        Ok(scope) => scope,
        Err(e) => {
            tracing::warn!(%org, %run, error = %e, "check run: the organisation is gone");
            return;
        }
    };
    let runs = scope.check_runs();
    let (status, note) = match check_all(&engine, &runs, (org, run), &plan, targets).await {
        Ok(()) => (CheckRunStatus::Finished, None),
        Err(e) => (CheckRunStatus::Failed, Some(e.to_string())),
    };
    if let Err(e) = runs.finish(run, status, note.as_deref()).await {
        tracing::warn!(%org, %run, error = %e, "check run: cannot record its end");
    }
}

async fn check_all(
    engine: &Engine,
    runs: &CheckRuns<'_>,
    (org, run): (OrgId, CheckRunId),
    plan: &ClientPlan,
    targets: Vec<CheckTarget>,
) -> Result<(), JobError> {
    let settings = engine.settings().clone();
    let client = plan.connect(engine.network(), engine.governor(org)).await?;
    let (ids, emails): (Vec<UserId>, Vec<String>) =
        targets.into_iter().map(|t| (t.id, t.email)).unzip();
    let options = BulkOptions {
        id_type: plan.id_type,
        folder: plan.folder.clone(),
        concurrency: settings.concurrency,
    };
    // The checks run in their own task, so they go on while a batch is written.
    let (tx, mut rx) = mpsc::channel(settings.flush_batch.max(1) * 4);
    let producer = tokio::spawn(async move {
        let mut results = std::pin::pin!(check_stream(client, emails, options));
        while let Some(result) = results.next().await {
            if tx.send(result).await.is_err() {
                break;
            }
        }
    });
    let stored = async {
        let mut batch: Vec<NewCheckResult> = Vec::with_capacity(settings.flush_batch);
        let mut tick = tokio::time::interval(settings.flush_interval.min(settings.stale_after / 4));
        let mut last_write = Instant::now();
        loop {
            tokio::select! {
                got = rx.recv() => match got {
                    Some((i, result)) => {
                        batch.push(new_result(ids[i], result));
                        if batch.len() >= settings.flush_batch {
                            runs.add_results(run, &std::mem::take(&mut batch)).await?;
                            last_write = Instant::now();
                        }
                    }
                    None => break,
                },
                _ = tick.tick() => {
                    if !batch.is_empty() {
                        runs.add_results(run, &std::mem::take(&mut batch)).await?;
                        last_write = Instant::now();
                    } else if last_write.elapsed() >= settings.stale_after / 4 {
                        runs.heartbeat(run).await?;
                        last_write = Instant::now();
                    }
                }
            }
        }
        if !batch.is_empty() {
            runs.add_results(run, &batch).await?;
        }
        Ok::<(), StoreError>(())
    }
    .await;
    producer.abort();
    Ok(stored?)
}

fn new_result(user: UserId, r: UserResult) -> NewCheckResult {
    NewCheckResult {
        user_id: Some(user),
        email: r.email,
        outcome: r.outcome.as_str().to_string(),
        code: r.code,
        detail: r.message,
        remedy: r.remedy,
        duration_ms: r.latency_ms,
        checked_at: now_millis(),
    }
}
