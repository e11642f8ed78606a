//! The engine handle: the store, how to reach Exchange, the background jobs it runs, and
//! the Microsoft 365 token cache.

use crate::check_run::{CheckRunSettings, Jobs};
use crate::m365::{M365Auth, M365Options};
use crate::network::Network;
use crate::sync::SyncMetrics;
use impersync_exchange::{Governor, GovernorConfig, TlsPolicy};
use impersync_store::{OrgId, Store};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// The engine: what the admin API and the CLI ask to check, discover and sync.
/// Cheap to clone; clones share the store, the network and the running jobs.
#[derive(Debug, Clone)]
pub struct Engine {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) store: Store,
    pub(crate) network: Network,
    pub(crate) settings: CheckRunSettings,
    pub(crate) jobs: Jobs,
    pub(crate) m365: M365Auth,
    pub(crate) webhook_clients: std::sync::OnceLock<crate::webhooks::Clients>,
    pub(crate) metrics: SyncMetrics,
    pub(crate) wake: tokio::sync::Notify,
    pub(crate) governors: Mutex<HashMap<OrgId, Governor>>,
}

impl Engine {
    /// An engine over a store, reaching Exchange through `network`, with default settings.
    pub fn new(store: Store, network: Network) -> Self {
        Self::with_settings(store, network, CheckRunSettings::default())
    }

    /// An engine with these check-run settings.
    pub fn with_settings(store: Store, network: Network, settings: CheckRunSettings) -> Self {
        Self::with_options(store, network, settings, &M365Options::default())
    }

    /// An engine with these check-run and Microsoft 365 settings.
    pub fn with_options(
        store: Store,
        network: Network,
        settings: CheckRunSettings,
        m365: &M365Options,
    ) -> Self {
        let m365 = M365Auth::new(store.clone(), network.transport(TlsPolicy::Verify), m365);
        Self {
            inner: Arc::new(Inner {
                store,
                network,
                settings,
                jobs: Jobs::default(),
                m365,
                webhook_clients: std::sync::OnceLock::new(),
                metrics: SyncMetrics::default(),
                wake: tokio::sync::Notify::new(),
                governors: Mutex::default(),
            }),
        }
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// How this deployment reaches Exchange.
    pub fn network(&self) -> &Network {
        &self.inner.network
    }

    /// Microsoft 365 sign-ins and the per-organisation access-token cache.
    pub fn m365(&self) -> &M365Auth {
        &self.inner.m365
    }

    /// The sync counters, for `/metrics`.
    pub fn metrics(&self) -> &SyncMetrics {
        &self.inner.metrics
    }

    /// The check-run settings.
    pub fn settings(&self) -> &CheckRunSettings {
        &self.inner.settings
    }

    /// The throttling governor of `org`'s service account in this process, shared by its
    /// syncs, check runs and room refreshes: at most `settings().concurrency` requests at
    /// once, and a cut made while Exchange said it was busy holds across rounds until
    /// successes raise it again.
    pub fn governor(&self, org: OrgId) -> Governor {
        let mut governors = self
            .inner
            .governors
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        governors
            .entry(org)
            .or_insert_with(|| {
                Governor::new(&GovernorConfig {
                    max_concurrency: self.settings().concurrency.max(1),
                    ..GovernorConfig::default()
                })
            })
            .clone()
    }
}
