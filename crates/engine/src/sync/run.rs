//! [`Engine::sync_due`]: one round of the sync scheduler. It claims the mailboxes that are
//! due, builds each organisation's client once, syncs the mailboxes a few at a time (each
//! lease renewed on a timer meanwhile) and finishes each lease: due again after the poll
//! interval with jitter, backed off after a transient failure, or marked as needing
//! attention after a permanent one (a failed sign-in: the whole organisation).

use super::commits::{CommitLine, CommitQueue};
use super::folders::FolderError;
use super::mailbox::{DEFAULT_FOLDERS, MailboxReport, MailboxSync, SyncError};
use super::slots::Slots;
use super::worker::WorkerOptions;
use crate::Engine;
use crate::org_client::{ClientPlan, OrgClientError};
use impersync_ews::ResponseCode;
use impersync_exchange::{ExchangeClient, ExchangeError, Impersonate, OutcomeClass};
use impersync_store::{
    AccessType, EmailCredentials, Lease, OrgId, Principal, StoreError, SyncFailure, SyncWorker,
    UserId, now_millis,
};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OnceCell, Semaphore};
use tokio::task::JoinSet;
use tracing::Instrument;

/// How long a claim (and each renewal) holds a mailbox.
pub const LEASE_FOR: Duration = Duration::from_secs(300);

/// The first back-off after a transient failure; it doubles with each further failure.
pub const FIRST_BACKOFF: Duration = Duration::from_secs(60);

/// The longest back-off.
pub const MAX_BACKOFF: Duration = Duration::from_secs(3600);

/// How one mailbox's sync in a round ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxOutcome {
    /// The mailbox's organisation.
    pub org: OrgId,
    /// The mailbox's user.
    pub user: UserId,
    /// The mailbox's address.
    pub email: String,
    /// What it synced, or why it failed.
    pub result: Result<MailboxReport, SyncFailure>,
    /// Whether the lease was lost (expired and taken over, or ended by an
    /// organisation-wide stop), so the mailbox was left without finishing.
    pub lease_lost: bool,
}

/// Why a round could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum SyncRunError {
    /// The store refused the claim.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An organisation's client and what to sync, or why there is none.
pub(super) type OrgSetup = Result<(Arc<ExchangeClient>, ClientPlan, EmailCredentials), SyncFailure>;

impl Engine {
    /// Claims up to `limit` due mailboxes for the worker `owner`, syncs them and finishes
    /// each lease; returns how each ended. A mailbox whose lease was lost meanwhile is left
    /// to whoever took it.
    pub async fn sync_due(
        &self,
        owner: &str,
        limit: u32,
    ) -> Result<Vec<MailboxOutcome>, SyncRunError> {
        let options = WorkerOptions {
            owner: owner.to_string(),
            batch: limit,
            concurrency: self.settings().concurrency,
            ..WorkerOptions::default()
        };
        let principal = Principal::system(owner);
        let worker = self.store().sync_worker(&principal)?;
        let leases = worker
            .claim_due(owner, limit, options.lease_for, now_millis())
            .await?;
        self.metrics().claimed(&leases);
        let slots = Slots::new(options.concurrency);
        slots.claimed(leases.len());
        let committer = CommitLine::start(self.store().clone(), principal);
        let outcomes = self
            .sync_leases(&options, leases, &slots, committer.queue())
            .await;
        committer.finish().await;
        Ok(outcomes)
    }

    /// Syncs claimed mailboxes, `options.concurrency` at a time, each in its own task (so
    /// that their answers are read and decoded on every CPU) and each organisation's client
    /// built once; every lease is renewed on a timer from the start, queued or not. The
    /// pages go to the committer behind `commits`. `slots` bounds how many mailboxes sync
    /// at once, across every round that shares it, and hears of each mailbox that ends.
    /// Dropping the returned future stops every task.
    pub(super) async fn sync_leases(
        &self,
        options: &WorkerOptions,
        leases: Vec<Lease>,
        slots: &Slots,
        commits: &CommitQueue,
    ) -> Vec<MailboxOutcome> {
        let principal = Principal::system(&options.owner);
        let mut by_org: BTreeMap<OrgId, Vec<Lease>> = BTreeMap::new();
        for lease in &leases {
            by_org.entry(lease.org).or_default().push(lease.clone());
        }
        let round = Arc::new(Round {
            engine: self.clone(),
            setups: by_org.keys().map(|org| (*org, OnceCell::new())).collect(),
            by_org,
            permits: Arc::clone(&slots.permits),
            lease_for: options.lease_for,
            principal,
        });
        let mut tasks = JoinSet::new();
        for lease in leases {
            let span = tracing::info_span!(
                "mailbox_sync",
                org = %lease.org,
                mailbox = %lease.user,
                email = %lease.email
            );
            let work = Arc::clone(&round).mailbox(lease, commits.clone());
            tasks.spawn(work.instrument(span));
        }
        let mut outcomes = Vec::with_capacity(tasks.len());
        while let Some(done) = tasks.join_next().await {
            slots.ended();
            match done {
                Ok(outcome) => outcomes.push(outcome),
                Err(e) => tracing::error!(error = %e, "sync: a mailbox task failed"),
            }
        }
        outcomes
    }

    async fn org_setup(&self, principal: &Principal, org: OrgId, leases: &[Lease]) -> OrgSetup {
        let plan = async {
            let scope = self.store().org(principal, org).await?;
            let settings = scope
                .email_config()
                .credentials()
                .await?
                .ok_or(OrgClientError::NoConfiguration)?;
            let bearer = match &settings.access {
                AccessType::M365OAuthImpersonation { .. } => {
                    Some(self.m365().tokens.access_token(org).await.map_err(|e| {
                        SetupError::Other(format!("no Microsoft 365 access token: {e}"))
                    })?)
                }
                AccessType::ExchangeImpersonation { .. } => None,
            };
            let fallback = leases.first().map(|l| l.email.as_str());
            let plan = ClientPlan::new(&settings, bearer, fallback)?;
            let client = plan.connect(self.network(), self.governor(org)).await?;
            Ok::<_, SetupError>((client, plan, settings))
        };
        plan.await.map_err(|e| e.failure())
    }

    async fn sync_one(
        &self,
        worker: &SyncWorker<'_>,
        commits: &CommitQueue,
        setup: &OrgSetup,
        lease: Lease,
    ) -> MailboxOutcome {
        let (org, user, email) = (lease.org, lease.user, lease.email.clone());
        tracing::info!("sync: mailbox started");
        let mut lease_lost = false;
        let synced = match setup {
            Ok((client, plan, settings)) => {
                let acting = Impersonate::smtp(plan.id_type, &lease.email);
                let folders: Vec<String> = if settings.folders.is_empty() {
                    DEFAULT_FOLDERS.iter().map(|f| f.to_string()).collect()
                } else {
                    settings.folders.clone()
                };
                let sync = MailboxSync {
                    client,
                    worker,
                    commits,
                    acting: &acting,
                    now: now_millis,
                };
                let synced = match sync.run(&lease, &folders).await {
                    Ok(report) => {
                        let wait = poll_delay(settings.poll_interval_secs);
                        let next = now_millis().saturating_add(millis(wait));
                        let warning = missing_folders(&report.folder_errors);
                        commits
                            .finished(&lease, next, warning)
                            .await
                            .map(|()| report)
                    }
                    Err(e) => Err(e),
                };
                lease_lost = matches!(synced, Err(SyncError::Store(StoreError::LeaseLost { .. })));
                synced.map_err(|e| sync_failure(&e))
            }
            Err(failure) => Err(failure.clone()),
        };
        self.metrics().synced(&synced, lease_lost);
        match &synced {
            Err(_) if lease_lost => {
                tracing::info!("sync: lease lost; left to its new holder");
            }
            Err(failure) => {
                tracing::warn!(
                    outcome = %failure.outcome,
                    code = failure.code.as_deref().unwrap_or(""),
                    message = %failure.message,
                    "sync: mailbox failed"
                );
                self.finish_failed(worker, &lease, failure).await;
            }
            Ok(report) => tracing::info!(
                created = report.applied.created,
                updated = report.applied.updated,
                deleted = report.applied.deleted,
                read_flags = report.applied.read_flags,
                pages = report.pages,
                "sync: mailbox finished"
            ),
        }
        MailboxOutcome {
            org,
            user,
            email,
            result: synced,
            lease_lost,
        }
    }

    /// Records a failure: a permanent one needs attention (not due until "sync now"), a
    /// transient one is retried after an exponential back-off. A failed sign-in stops the
    /// whole organisation, since no mailbox of it can get past it.
    async fn finish_failed(&self, worker: &SyncWorker<'_>, lease: &Lease, failure: &SyncFailure) {
        let now = now_millis();
        if failure.outcome == OutcomeClass::AuthFailed.as_str() {
            match worker.org_needs_attention(lease.org, failure, now).await {
                Ok(count) => tracing::warn!(
                    mailboxes = count,
                    "sync: the service account cannot sign in; the organisation's mailboxes need attention"
                ),
                Err(e) => tracing::warn!(error = %e, "sync: cannot record the failure"),
            }
            return;
        }
        let permanent = is_permanent(&failure.outcome);
        let next_due = if permanent {
            None
        } else {
            let failures = match self
                .store()
                .org(&Principal::system("sync"), lease.org)
                .await
            {
                Ok(scope) => scope
                    .mailboxes()
                    .status(lease.user)
                    .await
                    .ok()
                    .flatten()
                    .map_or(0, |s| s.failures),
                Err(_) => 0,
            };
            Some(now.saturating_add(millis(backoff(failures))))
        };
        if let Err(e) = worker
            .finish_failed(lease, failure, next_due, permanent, now)
            .await
        {
            tracing::warn!(error = %e, "sync: cannot record the failure");
        }
    }
}

/// What the mailbox tasks of one round share.
struct Round {
    engine: Engine,
    principal: Principal,
    by_org: BTreeMap<OrgId, Vec<Lease>>,
    setups: BTreeMap<OrgId, OnceCell<OrgSetup>>,
    permits: Arc<Semaphore>,
    lease_for: Duration,
}

impl Round {
    /// One mailbox's task: waits for a permit, syncs the mailbox through its
    /// organisation's client (built by the first task that needs it) and finishes the
    /// lease, renewing it meanwhile; stops without writing once the lease is lost.
    async fn mailbox(self: Arc<Self>, lease: Lease, commits: CommitQueue) -> MailboxOutcome {
        let worker = match self.engine.store().sync_worker(&self.principal) {
            Ok(worker) => worker,
            Err(e) => return MailboxOutcome::refused(&lease, &e),
        };
        let held = lease.clone();
        let org = lease.org;
        let work = async {
            let _permit = self.permits.acquire().await;
            let setup = self.setups[&org]
                .get_or_init(|| {
                    self.engine
                        .org_setup(&self.principal, org, &self.by_org[&org])
                })
                .await;
            self.engine.sync_one(&worker, &commits, setup, lease).await
        };
        tokio::select! {
            biased;
            outcome = work => outcome,
            lost = keep_lease(&worker, &held, self.lease_for) => {
                tracing::info!("sync: lease lost; stopped without writing");
                MailboxOutcome::lost(&held, &lost)
            }
        }
    }
}

impl MailboxOutcome {
    fn lost(lease: &Lease, error: &StoreError) -> Self {
        Self {
            lease_lost: true,
            ..Self::refused(lease, error)
        }
    }

    fn refused(lease: &Lease, error: &StoreError) -> Self {
        Self {
            org: lease.org,
            user: lease.user,
            email: lease.email.clone(),
            result: Err(store_failure(error)),
            lease_lost: false,
        }
    }
}

/// Renews `lease` every third of `lease_for` until it is lost; returns why. A store that
/// fails to answer is tried again at the next tick: the lease holds until it expires.
async fn keep_lease(worker: &SyncWorker<'_>, lease: &Lease, lease_for: Duration) -> StoreError {
    let mut lease = lease.clone();
    let mut ticks = tokio::time::interval((lease_for / 3).max(Duration::from_millis(10)));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        match worker.renew_lease(&lease, lease_for, now_millis()).await {
            Ok(renewed) => lease = renewed,
            Err(e @ StoreError::LeaseLost { .. }) => return e,
            Err(e) => tracing::warn!(error = %e, "sync: cannot renew the lease; trying again"),
        }
    }
}

/// The wait until a mailbox synced successfully is polled again: the organisation's
/// interval with ±10% jitter, so mailboxes activated together spread out.
pub fn poll_delay(interval_secs: u32) -> Duration {
    let jitter = rand::random_range(-POLL_JITTER..=POLL_JITTER);
    Duration::from_secs(u64::from(interval_secs)).mul_f64(1.0 + jitter)
}

/// The share of the poll interval by which each poll is moved at random, either way.
pub const POLL_JITTER: f64 = 0.1;

fn millis(wait: Duration) -> i64 {
    i64::try_from(wait.as_millis()).unwrap_or(i64::MAX)
}

/// Whether a failure of this outcome class needs a person (rights, mailbox, credentials,
/// configuration) rather than time.
pub fn is_permanent(outcome: &str) -> bool {
    [
        OutcomeClass::ImpersonationDenied,
        OutcomeClass::NoMailbox,
        OutcomeClass::AuthFailed,
        OutcomeClass::EwsDisabled,
        OutcomeClass::TlsUntrusted,
    ]
    .iter()
    .any(|c| c.as_str() == outcome)
        || outcome == CONFIGURATION
}

/// The wait before the next attempt after `failures` earlier failures in a row.
pub fn backoff(failures: i64) -> Duration {
    let doublings = u32::try_from(failures.clamp(0, 16)).unwrap_or(16);
    FIRST_BACKOFF
        .saturating_mul(2u32.pow(doublings))
        .min(MAX_BACKOFF)
}

/// The outcome recorded when the organisation's email configuration cannot be used.
const CONFIGURATION: &str = "ConfigurationInvalid";

/// Why an organisation's client could not be built.
#[derive(Debug, thiserror::Error)]
enum SetupError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Client(#[from] OrgClientError),
    #[error("{0}")]
    Other(String),
}

impl SetupError {
    fn failure(&self) -> SyncFailure {
        match self {
            Self::Store(e) => store_failure(e),
            Self::Client(OrgClientError::Client(e)) => exchange_failure(e),
            Self::Client(e) => SyncFailure {
                outcome: CONFIGURATION.into(),
                code: None,
                message: e.to_string(),
                remedy: "Fix the organisation's email configuration, then sync again.".into(),
            },
            Self::Other(message) => SyncFailure {
                outcome: CONFIGURATION.into(),
                code: None,
                message: message.clone(),
                remedy: "Sign in with Microsoft 365 in the email configuration again.".into(),
            },
        }
    }
}

/// A mailbox's failure as recorded: Exchange's classified, the store's retried later.
fn sync_failure(e: &SyncError) -> SyncFailure {
    match e {
        SyncError::Exchange(e) => exchange_failure(e),
        SyncError::Store(e) => store_failure(e),
        SyncError::Stopped => SyncFailure {
            outcome: OutcomeClass::ServerError.as_str().to_string(),
            code: None,
            message: e.to_string(),
            remedy: "Nothing to do: the mailbox is synced again from its last committed page."
                .into(),
        },
    }
}

/// The configured folders a mailbox lacks, as one failure to show on the mailbox (it
/// synced its other folders); `None` when it has them all.
fn missing_folders(missing: &[FolderError]) -> Option<SyncFailure> {
    if missing.is_empty() {
        return None;
    }
    let named: Vec<String> = missing
        .iter()
        .map(|m| format!("{}: {}", m.folder, m.message))
        .collect();
    let error = ExchangeError::Response {
        code: ResponseCode::ErrorFolderNotFound,
        message: format!(
            "configured folders not in this mailbox (the others were synced): {}",
            named.join("; ")
        ),
        back_off_ms: None,
    };
    Some(exchange_failure(&error))
}

/// An Exchange failure, classified as for access checks, with its remedy.
fn exchange_failure(e: &ExchangeError) -> SyncFailure {
    let outcome = e.outcome();
    SyncFailure {
        outcome: outcome.class.as_str().to_string(),
        code: outcome.code,
        message: outcome.message,
        remedy: outcome.remedy,
    }
}

/// A store failure during a sync; retried later like a server error.
fn store_failure(e: &StoreError) -> SyncFailure {
    SyncFailure {
        outcome: OutcomeClass::ServerError.as_str().to_string(),
        code: None,
        message: format!("the store refused the sync's changes: {e}"),
        remedy: "Check the database; the mailbox is synced again after the back-off.".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff(0), Duration::from_secs(60));
        assert_eq!(backoff(1), Duration::from_secs(120));
        assert_eq!(backoff(5), Duration::from_secs(1920));
        assert_eq!(backoff(6), MAX_BACKOFF);
        assert_eq!(backoff(1000), MAX_BACKOFF);
    }

    #[test]
    fn poll_jitter_stays_within_ten_percent() {
        let delays: Vec<Duration> = (0..2000).map(|_| poll_delay(300)).collect();
        assert!(
            delays
                .iter()
                .all(|d| (270.0..=330.0).contains(&d.as_secs_f64()))
        );
        let spread =
            delays.iter().max().unwrap().as_secs_f64() - delays.iter().min().unwrap().as_secs_f64();
        assert!(spread > 50.0, "jitter spreads the polls: {spread}");
    }

    #[test]
    fn rights_and_credentials_need_attention_and_throttling_waits() {
        assert!(is_permanent("ImpersonationDenied"));
        assert!(is_permanent("NoMailbox"));
        assert!(is_permanent("AuthFailed"));
        assert!(!is_permanent("Throttled"));
        assert!(!is_permanent("Unreachable"));
        assert!(!is_permanent("ServerError"));
    }
}
