//! `impersync sim` and `impersync demo`.

use anyhow::Context;
use impersync_exchange_sim::{Scenario, Sim};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

/// Arguments of `impersync sim`.
#[derive(Debug, clap::Args)]
pub struct SimArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8443", env = "IMPERSYNC_SIM_LISTEN")]
    listen: SocketAddr,
    /// `demo` for the built-in organisation, or a path to a scenario TOML file.
    #[arg(long, default_value = "demo")]
    scenario: String,
}

/// Arguments of `impersync demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Address the simulator listens on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8443")]
    listen: SocketAddr,
}

/// Runs the simulator until Ctrl-C.
pub async fn sim(args: SimArgs) -> anyhow::Result<()> {
    let scenario = Scenario::load(&args.scenario)
        .with_context(|| format!("loading scenario `{}`", args.scenario))?;
    serve(args.listen, scenario, false).await
}

/// Runs the demo organisation until Ctrl-C.
pub async fn demo(args: DemoArgs) -> anyhow::Result<()> {
    serve(args.listen, Scenario::demo(), true).await
}

async fn serve(listen: SocketAddr, scenario: Scenario, demo: bool) -> anyhow::Result<()> {
    let domain = scenario.domain.clone();
    let sim = Arc::new(Sim::new(scenario).context("building the simulated organisation")?);
    let listener = TcpListener::bind(listen).await.with_context(|| {
        format!(
            "cannot listen on {listen}; is another process using it? Pick another with --listen"
        )
    })?;
    let addr = listener.local_addr()?;
    println!("Exchange simulator for {domain} listening on http://{addr}");
    println!("  EWS:          http://{addr}/EWS/Exchange.asmx");
    println!("  Autodiscover: http://{addr}/autodiscover/autodiscover.xml");
    println!("  Control API:  http://{addr}/_sim/");
    if demo {
        println!(
            "  Service account: MasterImpersonation@contoso.test (CONTOSO\\MasterImpersonation)"
        );
        println!("  Its password is set in the built-in demo scenario; see README.md.");
    }
    println!("Press Ctrl-C to stop.");
    impersync_exchange_sim::run(listener, sim, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await;
    Ok(())
}
