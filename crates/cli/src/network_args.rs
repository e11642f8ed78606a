//! The flags that say how Exchange is reached, shared by `check-access` and `serve`.

use anyhow::Context;
use impersync_engine::Network;
use impersync_exchange::autodiscover::{NoSrv, SrvRecord, SrvResolver, StaticSrv};
use std::path::PathBuf;
use std::sync::Arc;

/// How Exchange is reached: name overrides, extra CAs, Autodiscover ports and SRV.
#[derive(Debug, clap::Args)]
pub struct NetworkArgs {
    /// Also trust this CA certificate (PEM), e.g. an internal CA.
    #[arg(long, value_name = "PEM")]
    ca_file: Option<PathBuf>,
    /// Lab: resolve HOST to IP without DNS (repeatable), e.g. contoso.test=127.0.0.1.
    #[arg(long, value_name = "HOST=IP")]
    resolve: Vec<String>,
    /// Lab: the port Autodiscover's https:// candidates use.
    #[arg(long, default_value_t = 443)]
    autodiscover_https_port: u16,
    /// Lab: the port of Autodiscover's http:// redirect candidate.
    #[arg(long, default_value_t = 80)]
    autodiscover_http_port: u16,
    /// Lab: answer the SRV lookup with TARGET:PORT instead of asking DNS ("none" for no record).
    #[arg(long, value_name = "TARGET:PORT")]
    srv_record: Option<String>,
}

impl NetworkArgs {
    /// The engine's network for these flags.
    pub fn network(&self) -> anyhow::Result<Network> {
        let mut network = Network {
            autodiscover_https_port: self.autodiscover_https_port,
            autodiscover_http_port: self.autodiscover_http_port,
            ..Network::default()
        };
        for entry in &self.resolve {
            network
                .add_override(entry)
                .with_context(|| format!("--resolve {entry}"))?;
        }
        if let Some(path) = &self.ca_file {
            let pem = std::fs::read(path)
                .with_context(|| format!("cannot read the CA file {}", path.display()))?;
            network
                .add_ca_pem(&pem)
                .with_context(|| format!("the CA file {}", path.display()))?;
        }
        if let Some(record) = &self.srv_record {
            network.srv = fixed_srv(record)?;
        }
        Ok(network)
    }
}

fn fixed_srv(record: &str) -> anyhow::Result<Arc<dyn SrvResolver>> {
    if record == "none" {
        return Ok(Arc::new(NoSrv));
    }
    let (target, port) = record
        .rsplit_once(':')
        .context("--srv-record: write it as TARGET:PORT")?;
    let port: u16 = port
        .parse()
        .context("--srv-record: the port is not a number")?;
    Ok(Arc::new(StaticSrv(vec![SrvRecord {
        target: target.to_string(),
        port,
    }])))
}
