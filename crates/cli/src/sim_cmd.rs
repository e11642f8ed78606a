//! `impersync sim`: the Exchange simulator.

use anyhow::Context;
use impersync_exchange_sim::tls::SimTls;
use impersync_exchange_sim::{Scenario, Sim};
use std::net::SocketAddr;
use std::path::PathBuf;
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
    #[command(flatten)]
    tls: TlsArgs,
}

/// HTTPS for the simulator.
#[derive(Debug, clap::Args)]
pub struct TlsArgs {
    /// Also serve HTTPS on this address (port 0 picks a free port).
    #[arg(long)]
    tls_listen: Option<SocketAddr>,
    /// Certificate chain (PEM) for HTTPS; without it a CA and certificate are generated.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// Private key (PEM) for --tls-cert.
    #[arg(long)]
    tls_key: Option<PathBuf>,
    /// Write the generated CA certificate here, for clients' --ca-file.
    #[arg(long)]
    tls_ca_out: Option<PathBuf>,
}

/// Runs the simulator until Ctrl-C.
pub async fn sim(args: SimArgs) -> anyhow::Result<()> {
    let scenario = Scenario::load(&args.scenario)
        .with_context(|| format!("loading scenario `{}`", args.scenario))?;
    serve(args.listen, scenario, args.tls).await
}

async fn serve(listen: SocketAddr, scenario: Scenario, tls: TlsArgs) -> anyhow::Result<()> {
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
    let (stop, _) = tokio::sync::watch::channel(false);
    let mut https = None;
    if let Some(tls_addr) = tls.tls_listen {
        let config = match (&tls.tls_cert, &tls.tls_key) {
            (Some(cert), Some(key)) => SimTls::from_pem(
                &std::fs::read(cert).with_context(|| format!("cannot read {}", cert.display()))?,
                &std::fs::read(key).with_context(|| format!("cannot read {}", key.display()))?,
            )?,
            _ => SimTls::generate(&certificate_names(&domain))?,
        };
        if let (Some(path), Some(pem)) = (&tls.tls_ca_out, &config.ca_pem) {
            std::fs::write(path, pem)
                .with_context(|| format!("cannot write {}", path.display()))?;
            println!("  CA certificate written to {}", path.display());
        }
        let tls_listener = TcpListener::bind(tls_addr).await.with_context(|| {
            format!("cannot listen on {tls_addr}; pick another with --tls-listen")
        })?;
        println!(
            "  HTTPS:        https://{}/EWS/Exchange.asmx",
            tls_listener.local_addr()?
        );
        println!("  Certificate SHA-256: {}", config.fingerprint);
        let mut stopped = stop.subscribe();
        https = Some(tokio::spawn(impersync_exchange_sim::run_tls(
            tls_listener,
            Arc::clone(&sim),
            config.config,
            async move {
                let _ = stopped.changed().await;
            },
        )));
    }
    println!("Press Ctrl-C to stop.");
    impersync_exchange_sim::run(listener, sim, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await;
    let _ = stop.send(true);
    if let Some(h) = https {
        let _ = h.await;
    }
    Ok(())
}

/// The names the generated certificate is valid for.
pub fn certificate_names(domain: &str) -> Vec<String> {
    vec![
        domain.to_string(),
        format!("autodiscover.{domain}"),
        format!("mail.{domain}"),
        "localhost".into(),
        "127.0.0.1".into(),
    ]
}
