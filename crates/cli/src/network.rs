//! The configured network settings as the engine's [`Network`].

use anyhow::Context;
use impersync_engine::Network;
use std::path::Path;

use crate::config::NetworkSettings;

/// Builds the engine's view of the network, reading the extra CA file if one is named.
pub fn network(settings: &NetworkSettings) -> anyhow::Result<Network> {
    let mut network = Network {
        autodiscover_https_port: settings.autodiscover_https_port,
        autodiscover_http_port: settings.autodiscover_http_port,
        ..Network::default()
    };
    for (host, ip) in &settings.resolve {
        network.resolve.entry(host.clone()).or_default().push(*ip);
    }
    if let Some(path) = &settings.ca_file {
        add_ca_file(&mut network, path)?;
    }
    Ok(network)
}

/// Trusts the CA certificates of a PEM file in addition to the system's.
pub fn add_ca_file(network: &mut Network, path: &Path) -> anyhow::Result<()> {
    let pem = std::fs::read(path)
        .with_context(|| format!("cannot read the CA file {}", path.display()))?;
    network
        .add_ca_pem(&pem)
        .with_context(|| format!("the CA file {}", path.display()))?;
    Ok(())
}
