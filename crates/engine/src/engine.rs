//! The engine handle: the store, how to reach Exchange, and the background jobs it runs.

use crate::check_run::{CheckRunSettings, Jobs};
use crate::network::Network;
use impersync_store::Store;
use std::sync::Arc;

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
}

impl Engine {
    /// An engine over a store, reaching Exchange through `network`, with default settings.
    pub fn new(store: Store, network: Network) -> Self {
        Self::with_settings(store, network, CheckRunSettings::default())
    }

    /// An engine with these check-run settings.
    pub fn with_settings(store: Store, network: Network, settings: CheckRunSettings) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                network,
                settings,
                jobs: Jobs::default(),
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

    /// The check-run settings.
    pub fn settings(&self) -> &CheckRunSettings {
        &self.inner.settings
    }
}
