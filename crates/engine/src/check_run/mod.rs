//! Check runs: a bulk access check over an organisation's users as a background job,
//! with its results stored in batches as they complete.

mod error;
mod job;
mod jobs;
mod selection;
mod settings;

pub use error::CheckRunError;
pub use selection::CheckSelection;
pub use settings::CheckRunSettings;

pub(crate) use jobs::Jobs;

use crate::engine::Engine;
use crate::org_client::{ClientPlan, OrgClientError};
use impersync_exchange::Secret;
use impersync_store::{AccessType, CheckRun, CheckRunId, OrgId, Principal, StoreError};

impl Engine {
    /// Starts a check run of the selected users as a background job and returns it (status
    /// running). `bearer` is the Microsoft 365 service account's access token, for
    /// `M365OAuthImpersonation`; without one it comes from the engine's token cache. Refused, before anything is written, when the configuration
    /// is missing or unusable, the selection is empty or names unknown users, or another run
    /// of the organisation is running.
    pub async fn start_check_run(
        &self,
        principal: &Principal,
        org: OrgId,
        selection: CheckSelection,
        bearer: Option<Secret>,
    ) -> Result<CheckRun, CheckRunError> {
        let scope = self.store().org(principal, org).await?;
        let settings = scope
            .email_config()
            .credentials()
            .await
            .map_err(CheckRunError::from_store)?
            .ok_or(OrgClientError::NoConfiguration)?;
        let targets = selection.resolve(scope.users().check_targets().await?)?;
        let bearer = match (bearer, &settings.access) {
            (None, AccessType::M365OAuthImpersonation { .. }) => {
                Some(self.m365().tokens.access_token(org).await?)
            }
            (bearer, _) => bearer,
        };
        let plan = ClientPlan::new(&settings, bearer, targets.first().map(|t| t.email.as_str()))?;
        let stale_after = self.settings().stale_after.as_millis();
        scope
            .check_runs()
            .fail_stale(u64::try_from(stale_after).unwrap_or(u64::MAX))
            .await?;
        let started = scope
            .check_runs()
            .start_for(targets.len() as u64, selection.name())
            .await;
        let run = match started {
            Err(StoreError::CheckRunAlreadyRunning { running, .. }) => {
                return Err(CheckRunError::AlreadyRunning(running));
            }
            other => other?,
        };
        let job = tokio::spawn(job::run(
            self.clone(),
            principal.clone(),
            org,
            run.id,
            plan,
            targets,
        ));
        self.inner.jobs.insert(run.id, job);
        Ok(run)
    }

    /// One run of the organisation; a running run whose job stopped reporting (its process
    /// died) is ended as failed ("interrupted") first.
    pub async fn check_run(
        &self,
        principal: &Principal,
        org: OrgId,
        run: CheckRunId,
    ) -> Result<CheckRun, StoreError> {
        let scope = self.store().org(principal, org).await?;
        let stale_after = self.settings().stale_after.as_millis();
        scope
            .check_runs()
            .fail_stale(u64::try_from(stale_after).unwrap_or(u64::MAX))
            .await?;
        scope.check_runs().get(run).await
    }

    /// Waits until this process's job of a run has ended (at once if there is none).
    pub async fn wait_check_run(&self, run: CheckRunId) {
        if let Some(job) = self.inner.jobs.take(run) {
            let _ = job.await;
        }
    }
}
