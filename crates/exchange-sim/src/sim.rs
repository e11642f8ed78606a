//! The simulator's shared state.

use crate::autodiscover_control::AutodiscoverControl;
use crate::directory::Directory;
use crate::faults::Faults;
use crate::oauth::{OAuthClient, OAuthServer};
use crate::request_log::RequestLog;
use crate::scenario::{Scenario, ScenarioError};
use crate::sync_state::SyncStateKey;
use crate::throttle::Throttle;
use impersync_ews::ServerVersionInfo;
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

/// How long simulated OAuth access tokens live.
const ACCESS_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

/// One simulated Exchange organisation, shared by all connections.
#[derive(Debug)]
pub struct Sim {
    scenario: RwLock<Scenario>,
    directory: Arc<RwLock<Directory>>,
    /// The OAuth 2.0 authority.
    pub oauth: Arc<OAuthServer>,
    /// The port of the HTTPS listener, once one runs (for Autodiscover's HTTP redirect).
    https_port: Mutex<Option<u16>>,
    /// Autodiscover behaviour set through the control API.
    pub autodiscover: Mutex<AutodiscoverControl>,
    /// Signs sync states.
    pub sync_key: SyncStateKey,
    /// Injected faults.
    pub faults: Faults,
    /// Throttling accounting.
    pub throttle: Throttle,
    /// Received requests.
    pub log: RequestLog,
    /// The version every response reports.
    pub version: ServerVersionInfo,
}

impl Sim {
    /// A simulator for a scenario.
    pub fn new(scenario: Scenario) -> Result<Self, ScenarioError> {
        let directory = Arc::new(RwLock::new(Directory::from_scenario(&scenario)?));
        let lookup = Arc::clone(&directory);
        let check = Arc::new(move |name: &str, password: &str| {
            let dir = lookup.read().expect("directory lock");
            let user = dir.user(dir.find_user(name)?);
            (user.enabled && user.password == password).then(|| user.upn.clone())
        });
        let faults = Faults::default();
        faults.set(scenario.faults.clone());
        Ok(Self {
            throttle: Throttle::new(scenario.throttling.clone()),
            oauth: OAuthServer::new(oauth_clients(&scenario), ACCESS_TOKEN_LIFETIME, check),
            https_port: Mutex::new(None),
            autodiscover: Mutex::new(AutodiscoverControl::default()),
            directory,
            scenario: RwLock::new(scenario),
            sync_key: SyncStateKey::random(),
            faults,
            log: RequestLog::default(),
            version: ServerVersionInfo::exchange2016(),
        })
    }

    /// Reads the directory.
    pub fn read(&self) -> RwLockReadGuard<'_, Directory> {
        self.directory.read().expect("directory lock")
    }

    /// Changes the directory.
    pub fn write(&self) -> RwLockWriteGuard<'_, Directory> {
        self.directory.write().expect("directory lock")
    }

    /// Restores the scenario's initial state: directory, faults, throttling and log;
    /// sync states issued before become invalid.
    pub fn reset(&self) -> Result<(), ScenarioError> {
        let scenario = self.scenario.read().expect("scenario lock").clone();
        *self.write() = Directory::from_scenario(&scenario)?;
        // The mailboxes start over, so states issued before would skip changes.
        self.sync_key.rotate();
        self.faults.set(scenario.faults.clone());
        self.throttle.reset(scenario.throttling.clone());
        self.log.clear();
        *self.autodiscover.lock().expect("autodiscover lock") = AutodiscoverControl::default();
        self.oauth.set_clients(oauth_clients(&scenario));
        Ok(())
    }

    /// Records the HTTPS listener's port.
    pub fn set_https_port(&self, port: u16) {
        *self.https_port.lock().expect("port lock") = Some(port);
    }

    /// The HTTPS listener's port, if one runs.
    pub fn https_port(&self) -> Option<u16> {
        *self.https_port.lock().expect("port lock")
    }

    /// The scenario this simulator started from.
    pub fn scenario(&self) -> Scenario {
        self.scenario.read().expect("scenario lock").clone()
    }
}

fn oauth_clients(s: &Scenario) -> Vec<OAuthClient> {
    s.oauth_clients
        .iter()
        .map(|c| OAuthClient {
            client_id: c.client_id.clone(),
            client_secret: c.client_secret.clone(),
            redirect_uris: c.redirect_uris.clone(),
            service_account: c.service_account.clone(),
        })
        .collect()
}
