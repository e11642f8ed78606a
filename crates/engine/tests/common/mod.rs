//! The shared harness: the real simulator on a loopback port, and check options aimed at it.
#![allow(dead_code)]

mod control;
pub mod exact;
pub mod org;

use impersync_engine::access_check::{CheckOptions, EwsSource, Step};
use impersync_exchange::transport::TransportConfig;
use impersync_exchange::{
    Credentials, ExchangeClient, ExchangeConfig, GovernorConfig, GuardedUrl, IdType, Impersonate,
    Secret, UrlPolicy,
};
use impersync_exchange_sim::scenario::DEMO_TOML;
use impersync_exchange_sim::{Scenario, Sim};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// The demo's service account (UPN form).
pub const MASTER_UPN: &str = "MasterImpersonation@contoso.test";
/// The demo's service account (down-level form).
pub const MASTER_DOWNLEVEL: &str = "CONTOSO\\MasterImpersonation";
/// The demo service account's password.
pub const MASTER_PASSWORD: &str = "Demo-Impersonation-1";
/// The service account without a mailbox, with organisation-wide impersonation.
pub const NO_MAILBOX_SVC: &str = "NoMailboxSvc@contoso.test";
/// Its password.
pub const NO_MAILBOX_PASSWORD: &str = "Demo-NoMailbox-1";

/// The lab URL policy: plain http:// is allowed.
pub const LAB: UrlPolicy = UrlPolicy {
    allow_insecure_http: true,
};

/// A running simulator; it shuts down when dropped.
pub struct SimServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its state, for cross-checks and direct changes.
    pub sim: Arc<Sim>,
    stop: Option<oneshot::Sender<()>>,
}

impl Drop for SimServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The service account of [`synced_scenario`] (`DOMAIN` stands for its domain).
pub const SYNCED_ACCOUNT: (&str, &str) = ("svc@DOMAIN", "Svc-Password-1");

/// A scenario of `domain` whose service account [`SYNCED_ACCOUNT`] may impersonate the
/// members of the group `Synced`; `users` is the TOML of the other users (in it, `DOMAIN`
/// stands for the domain).
pub fn synced_scenario(domain: &str, seed: u32, users: &str) -> Scenario {
    let label = domain.split('.').next().unwrap_or(domain);
    let toml = format!(
        r#"
domain = "DOMAIN"
netbios = "{netbios}"
seed = {seed}

[[users]]
upn = "svc@DOMAIN"
password = "Svc-Password-1"

{users}

[[groups]]
name = "Synced"

[[scopes]]
name = "SyncedScope"
recipient_restriction_filter = "MemberOfGroup -eq 'CN=Synced,OU=Groups,DC={label},DC=test'"

[[role_groups]]
name = "Impersonators"
roles = ["ApplicationImpersonation"]
members = ["svc@DOMAIN"]
write_scope = "SyncedScope"
"#,
        netbios = label.to_ascii_uppercase(),
    );
    Scenario::from_toml(&toml.replace("DOMAIN", domain)).expect("scenario TOML is valid")
}

/// The demo scenario with `extra` TOML appended.
pub fn demo_with(extra: &str) -> Scenario {
    Scenario::from_toml(&format!("{DEMO_TOML}\n{extra}\n")).expect("scenario TOML is valid")
}

/// Starts the simulator for a scenario on a free loopback port.
pub async fn start(scenario: Scenario) -> SimServer {
    let sim = Arc::new(Sim::new(scenario).expect("scenario builds"));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    let (stop, stopped) = oneshot::channel::<()>();
    let served = Arc::clone(&sim);
    tokio::spawn(async move {
        impersync_exchange_sim::run(listener, served, async {
            let _ = stopped.await;
        })
        .await;
    });
    SimServer {
        addr,
        sim,
        stop: Some(stop),
    }
}

/// Starts the demo organisation.
pub async fn start_demo() -> SimServer {
    start(Scenario::demo()).await
}

impl SimServer {
    /// `http://ADDR/EWS/Exchange.asmx`, through the URL guard.
    pub fn ews_url(&self) -> GuardedUrl {
        self.url("/EWS/Exchange.asmx")
    }

    /// Any path on the simulator, through the URL guard.
    pub fn url(&self, path: &str) -> GuardedUrl {
        GuardedUrl::new(&format!("http://{}{path}", self.addr), LAB).expect("lab URL passes")
    }

    /// A check of `target` (impersonated by SMTP address, binding the Inbox) as `credentials`.
    pub fn options(&self, target: &str, credentials: Credentials) -> CheckOptions {
        options_for(self.ews_url(), target, credentials)
    }

    /// A client of the simulator's EWS endpoint.
    pub fn client(&self, credentials: Credentials, governor: GovernorConfig) -> ExchangeClient {
        let mut config = ExchangeConfig::new(self.ews_url(), credentials);
        config.governor = governor;
        ExchangeClient::new(config).expect("client builds")
    }

    /// Sets whether EWS is enabled for a user, straight in the directory.
    pub fn set_ews_enabled(&self, user: &str, enabled: bool) {
        let mut dir = self.sim.write();
        let no = dir.find_user(user).expect("user exists");
        dir.user_mut(no).ews_enabled = enabled;
    }
}

/// A check of `target` at `url` (impersonated by SMTP address, binding the Inbox).
pub fn options_for(url: GuardedUrl, target: &str, credentials: Credentials) -> CheckOptions {
    CheckOptions {
        target: target.to_string(),
        impersonate: Impersonate::smtp(IdType::SmtpAddress, target),
        folders: vec!["inbox".to_string()],
        credentials,
        source: EwsSource::Url(url),
        url_policy: LAB,
        transport: TransportConfig::default(),
        governor: GovernorConfig::default(),
        probe_throttling: false,
    }
}

/// HTTP Basic credentials.
pub fn basic(account: &str, password: &str) -> Credentials {
    Credentials::Basic {
        account: account.parse().expect("account name"),
        password: Secret::new(password),
    }
}

/// NTLM credentials.
pub fn ntlm(account: &str, password: &str) -> Credentials {
    Credentials::Ntlm {
        account: account.parse().expect("account name"),
        password: Secret::new(password),
    }
}

/// The demo service account over Basic.
pub fn master_basic() -> Credentials {
    basic(MASTER_UPN, MASTER_PASSWORD)
}

/// The first top-level step whose title starts with `prefix`.
pub fn step<'a>(steps: &'a [Step], prefix: &str) -> &'a Step {
    steps
        .iter()
        .find(|s| s.title.starts_with(prefix))
        .unwrap_or_else(|| {
            panic!(
                "no step starting with {prefix:?} in {:#?}",
                steps.iter().map(|s| &s.title).collect::<Vec<_>>()
            )
        })
}
