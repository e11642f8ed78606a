//! `impersync serve`: the admin API on the store.

use anyhow::Context;
use impersync_admin::{AdminOptions, AdminState};
use impersync_store::{OpenOptions, Store};
use std::net::SocketAddr;
use std::path::PathBuf;
use tokio::net::TcpListener;

/// Arguments of `impersync serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address of the admin API.
    #[arg(long, env = "IMPERSYNC_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Data directory for the SQLite database and the key file.
    #[arg(long, env = "IMPERSYNC_DATA_DIR", default_value = impersync_store::DEFAULT_DATA_DIR)]
    data_dir: PathBuf,
    /// Send session cookies without `Secure` (only when the panel is reached over plain HTTP on this machine).
    #[arg(long)]
    insecure_cookies: bool,
}

/// Serves until Ctrl-C.
pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let store = Store::open(OpenOptions::from_env(&args.data_dir))
        .await
        .context("opening the Impersync database (IMPERSYNC_DATABASE_URL, or SQLite in the data directory)")?;
    let options = AdminOptions {
        secure_cookies: !args.insecure_cookies,
        ..AdminOptions::default()
    };
    let state = AdminState::new(store, options);
    let given = std::env::var("IMPERSYNC_ADMIN_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty());
    if let Some(generated) = state
        .bootstrap_operator(given)
        .await
        .context("creating the first operator account")?
    {
        println!("Created the operator account `admin` with the password: {generated}");
        println!(
            "It is shown only this once; set IMPERSYNC_ADMIN_PASSWORD on first start to choose it yourself."
        );
    }
    let listener = TcpListener::bind(args.listen).await.with_context(|| {
        format!(
            "cannot listen on {}; pick another with --listen",
            args.listen
        )
    })?;
    println!(
        "Impersync admin API on http://{} (health: /healthz, readiness: /readyz)",
        listener.local_addr()?
    );
    impersync_admin::run(listener, state, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .context("serving the admin API")
}
