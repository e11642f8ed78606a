//! `impersync serve`: the admin panel and API on the store, configured in layers.

use anyhow::Context;
use impersync_admin::{AdminOptions, AdminState};
use impersync_engine::sync::WorkerOptions;
use impersync_store::{OpenOptions, Store};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use tokio::net::TcpListener;

use crate::config::{Config, ConfigFile, process_env};

/// Arguments of `impersync serve`; each overrides `impersync.toml` and `IMPERSYNC_*`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The configuration file (default: ./impersync.toml if it exists, or IMPERSYNC_CONFIG).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Address of the admin panel and API [default: 127.0.0.1:8080; IMPERSYNC_LISTEN].
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// Data directory for the SQLite database and the key file [default: ./impersync-data; IMPERSYNC_DATA_DIR].
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Send session cookies without `Secure` (only when the panel is reached over plain HTTP on this machine).
    #[arg(long)]
    insecure_cookies: bool,
}

impl ServeArgs {
    /// The layered configuration with these flags on top.
    pub fn config(&self) -> anyhow::Result<Config> {
        let file = match &self.config {
            Some(path) => ConfigFile::Given(path.clone()),
            None => ConfigFile::Default,
        };
        let mut config = Config::load(&file, &process_env())?;
        if let Some(listen) = self.listen {
            config.listen = listen;
        }
        if let Some(dir) = &self.data_dir {
            config.data_dir = dir.clone();
        }
        config.insecure_cookies |= self.insecure_cookies;
        Ok(config)
    }
}

/// An admin server with its store open, its first operator made, and its port bound.
pub struct AdminServer {
    /// The shared state.
    pub state: AdminState,
    /// The bound listener.
    pub listener: TcpListener,
    /// The operator's password when this start created the account with a generated one.
    pub generated_password: Option<String>,
}

impl AdminServer {
    /// Opens the store, builds the state and binds the address. When no admin account
    /// exists yet, creates `admin` with `IMPERSYNC_ADMIN_PASSWORD` or a generated password,
    /// which the caller shows once.
    pub async fn start(config: &Config) -> anyhow::Result<Self> {
        let store = Store::open(OpenOptions::from_env(&config.data_dir))
            .await
            .context("opening the Impersync database (IMPERSYNC_DATABASE_URL, or SQLite in the data directory)")?;
        let options = AdminOptions {
            secure_cookies: !config.insecure_cookies,
            session_ttl: Duration::from_secs(config.admin.session_ttl_secs),
            login_max_failures: config.admin.login_max_failures,
            login_window: Duration::from_secs(config.admin.login_window_secs),
            sync_alert_threshold_percent: config.admin.sync_alert_threshold_percent,
            network: crate::network::network(&config.network)?,
            ..AdminOptions::default()
        };
        let state = AdminState::new(store, options);
        let given = std::env::var("IMPERSYNC_ADMIN_PASSWORD")
            .ok()
            .filter(|p| !p.is_empty());
        let generated_password = state
            .bootstrap_operator(given)
            .await
            .context("creating the first operator account")?;
        let listener = TcpListener::bind(config.listen).await.with_context(|| {
            format!(
                "cannot listen on {}; pick another with --listen",
                config.listen
            )
        })?;
        Ok(Self {
            state,
            listener,
            generated_password,
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    /// Serves until Ctrl-C.
    pub async fn run(self) -> anyhow::Result<()> {
        self.run_with(None).await
    }

    /// Serves until Ctrl-C or SIGTERM, with an embedded sync worker when `worker` is
    /// given; the worker stops with the server and gives back the leases it holds.
    pub async fn run_with(self, worker: Option<WorkerOptions>) -> anyhow::Result<()> {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let worker = worker.map(|options| {
            let engine = self.state.engine().clone();
            let mut stopped = stopped.clone();
            tokio::spawn(async move {
                let shutdown = async move {
                    let _ = stopped.wait_for(|stop| *stop).await;
                };
                engine.run_worker(options, shutdown).await
            })
        });
        let served = impersync_admin::run(self.listener, self.state, shutdown_signal()).await;
        let _ = stop.send(true);
        if let Some(worker) = worker {
            worker
                .await
                .context("the sync worker panicked")?
                .context("running the sync worker")?;
        }
        served.context("serving the admin panel and API")
    }
}

/// Serves (with the embedded sync worker unless turned off) until Ctrl-C or SIGTERM.
pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let config = args.config()?;
    let server = AdminServer::start(&config).await?;
    let addr = server.addr()?;
    if let Some(password) = &server.generated_password {
        println!("Created the operator account `admin` with the password: {password}");
        println!(
            "It is shown only this once; set IMPERSYNC_ADMIN_PASSWORD on first start to choose it yourself."
        );
    }
    println!(
        "Impersync admin panel on http://{addr}/ (API: /api, health: /healthz, readiness: /readyz)"
    );
    let worker = config
        .worker
        .enabled
        .then(|| crate::worker_cmd::options(&config.worker, None));
    if worker.is_some() {
        println!("Sync worker running in this process ([worker] enabled = false turns it off).");
    }
    server.run_with(worker).await
}

/// Completes on Ctrl-C or, on Unix, SIGTERM. The handlers are installed when this is
/// called, so a signal that arrives before the future is first awaited still counts.
#[cfg(unix)]
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{SignalKind, signal};
    let interrupt = signal(SignalKind::interrupt());
    let terminate = signal(SignalKind::terminate());
    async move {
        match (interrupt, terminate) {
            (Ok(mut interrupt), Ok(mut terminate)) => {
                tokio::select! {
                    _ = interrupt.recv() => {}
                    _ = terminate.recv() => {}
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
}

/// Completes on Ctrl-C.
#[cfg(not(unix))]
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}
