//! The server's configuration, layered: built-in defaults, then `impersync.toml`, then
//! `IMPERSYNC_*` environment variables, then command-line flags.

use anyhow::{Context, bail};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

/// The configuration file read when no `--config` is given and it exists.
pub const DEFAULT_CONFIG_FILE: &str = "impersync.toml";

/// Everything `serve` (and `demo`) needs to start.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The admin panel's and API's address.
    pub listen: SocketAddr,
    /// The data directory (SQLite file, key file).
    pub data_dir: PathBuf,
    /// Send session cookies without `Secure` (plain HTTP on this machine only).
    pub insecure_cookies: bool,
    /// Admin sign-in settings.
    pub admin: AdminSettings,
    /// How Exchange is reached.
    pub network: NetworkSettings,
    /// The sync worker.
    pub worker: WorkerSettings,
}

/// The sync worker's settings (`[worker]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorkerSettings {
    /// Whether `serve` runs a worker in its own process.
    pub enabled: bool,
    /// How many mailboxes a worker holds leases on at most.
    pub batch: u32,
    /// How many mailboxes sync at the same time.
    pub concurrency: usize,
    /// How long a claim holds a mailbox, in seconds (renewed every third of it).
    pub lease_secs: u64,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            batch: 16,
            concurrency: 4,
            lease_secs: 300,
        }
    }
}

/// Admin sign-in settings.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdminSettings {
    /// How long a session lives after its last use, in seconds.
    pub session_ttl_secs: u64,
    /// Failed logins allowed per username and address within the window.
    pub login_max_failures: usize,
    /// The login rate limit's window, in seconds.
    pub login_window_secs: u64,
    /// The failing share of an organisation's mailboxes (percent) above which sync monitoring alerts.
    pub sync_alert_threshold_percent: u8,
}

/// How this deployment reaches Exchange; the defaults are right for production.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NetworkSettings {
    /// Lab name overrides: host name → IP address, used instead of DNS.
    pub resolve: BTreeMap<String, IpAddr>,
    /// The port of Autodiscover over HTTPS.
    pub autodiscover_https_port: u16,
    /// The port of the Autodiscover HTTP redirect.
    pub autodiscover_http_port: u16,
    /// A PEM file of CA certificates trusted in addition to the system's.
    pub ca_file: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from(impersync_store::DEFAULT_DATA_DIR),
            insecure_cookies: false,
            admin: AdminSettings::default(),
            network: NetworkSettings::default(),
            worker: WorkerSettings::default(),
        }
    }
}

impl Default for AdminSettings {
    fn default() -> Self {
        Self {
            session_ttl_secs: 8 * 3600,
            login_max_failures: 5,
            login_window_secs: 60,
            sync_alert_threshold_percent: 20,
        }
    }
}

impl Default for NetworkSettings {
    fn default() -> Self {
        Self {
            resolve: BTreeMap::new(),
            autodiscover_https_port: 443,
            autodiscover_http_port: 80,
            ca_file: None,
        }
    }
}

/// Where the configuration file comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigFile {
    /// Named by `--config` or `IMPERSYNC_CONFIG`: it must exist.
    Given(PathBuf),
    /// `impersync.toml` in the working directory, if it is there.
    Default,
}

impl Config {
    /// Loads the layers below the command line: defaults, the file, then `env`
    /// (the `IMPERSYNC_*` variables, passed in so that tests need no process environment).
    pub fn load(file: &ConfigFile, env: &BTreeMap<String, String>) -> anyhow::Result<Self> {
        let path = match file {
            ConfigFile::Given(path) => Some(path.clone()),
            ConfigFile::Default => env.get("IMPERSYNC_CONFIG").map(PathBuf::from).or_else(|| {
                Path::new(DEFAULT_CONFIG_FILE)
                    .exists()
                    .then(|| PathBuf::from(DEFAULT_CONFIG_FILE))
            }),
        };
        let mut config = match path {
            Some(path) => Self::from_file(&path)?,
            None => Self::default(),
        };
        config.apply_env(env)?;
        Ok(config)
    }

    /// Reads a TOML file; unknown keys are errors that name the key.
    pub fn from_file(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the configuration file {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("in {}", path.display()))
    }

    /// Applies the `IMPERSYNC_*` variables over the file's values.
    fn apply_env(&mut self, env: &BTreeMap<String, String>) -> anyhow::Result<()> {
        for (name, value) in env.iter().filter(|(_, v)| !v.trim().is_empty()) {
            let value = value.trim();
            match name.as_str() {
                "IMPERSYNC_LISTEN" => self.listen = parse(name, value)?,
                "IMPERSYNC_DATA_DIR" => self.data_dir = PathBuf::from(value),
                "IMPERSYNC_INSECURE_COOKIES" => self.insecure_cookies = flag(name, value)?,
                "IMPERSYNC_SESSION_TTL_SECS" => self.admin.session_ttl_secs = parse(name, value)?,
                "IMPERSYNC_LOGIN_MAX_FAILURES" => {
                    self.admin.login_max_failures = parse(name, value)?
                }
                "IMPERSYNC_RESOLVE" => self.network.resolve = resolve_list(name, value)?,
                "IMPERSYNC_AUTODISCOVER_HTTPS_PORT" => {
                    self.network.autodiscover_https_port = parse(name, value)?
                }
                "IMPERSYNC_AUTODISCOVER_HTTP_PORT" => {
                    self.network.autodiscover_http_port = parse(name, value)?
                }
                "IMPERSYNC_CA_FILE" => self.network.ca_file = Some(PathBuf::from(value)),
                "IMPERSYNC_WORKER_ENABLED" => self.worker.enabled = flag(name, value)?,
                "IMPERSYNC_WORKER_BATCH" => self.worker.batch = parse(name, value)?,
                "IMPERSYNC_WORKER_CONCURRENCY" => self.worker.concurrency = parse(name, value)?,
                "IMPERSYNC_WORKER_LEASE_SECS" => self.worker.lease_secs = parse(name, value)?,
                _ => {}
            }
        }
        Ok(())
    }
}

/// The process's `IMPERSYNC_*` variables.
pub fn process_env() -> BTreeMap<String, String> {
    std::env::vars()
        .filter(|(k, _)| k.starts_with("IMPERSYNC_"))
        .collect()
}

fn parse<T: std::str::FromStr>(name: &str, value: &str) -> anyhow::Result<T>
where
    T::Err: std::fmt::Display,
{
    value
        .parse()
        .map_err(|e| anyhow::anyhow!("{name}={value}: {e}"))
}

fn flag(name: &str, value: &str) -> anyhow::Result<bool> {
    match value.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => bail!("{name}={value}: write true or false"),
    }
}

/// `host=ip,host=ip`.
fn resolve_list(name: &str, value: &str) -> anyhow::Result<BTreeMap<String, IpAddr>> {
    value
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(|entry| {
            let (host, ip) = entry
                .split_once('=')
                .with_context(|| format!("{name}: `{entry}` is not HOST=IP"))?;
            let ip = ip
                .trim()
                .parse()
                .with_context(|| format!("{name}: `{ip}` is not an IP address"))?;
            Ok((host.trim().to_ascii_lowercase(), ip))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn write(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("impersync.toml");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn defaults_then_file_then_environment() {
        let (_dir, path) = write(
            "listen = \"127.0.0.1:9000\"\ndata_dir = \"/srv/impersync\"\n\
             [network]\nresolve = { \"contoso.test\" = \"127.0.0.1\" }\nautodiscover_http_port = 8081\n",
        );
        let file = ConfigFile::Given(path);
        let from_file = Config::load(&file, &env(&[])).unwrap();
        assert_eq!(from_file.listen.port(), 9000);
        assert_eq!(from_file.data_dir, PathBuf::from("/srv/impersync"));
        assert_eq!(from_file.network.autodiscover_http_port, 8081);
        assert_eq!(from_file.network.autodiscover_https_port, 443, "default");
        assert_eq!(from_file.admin, AdminSettings::default());
        assert_eq!(from_file.worker, WorkerSettings::default());

        let layered = Config::load(
            &file,
            &env(&[
                ("IMPERSYNC_LISTEN", "127.0.0.1:9100"),
                ("IMPERSYNC_INSECURE_COOKIES", "true"),
                ("IMPERSYNC_RESOLVE", "a.test=10.0.0.1, B.test=10.0.0.2"),
                ("IMPERSYNC_DATA_DIR", ""),
                ("IMPERSYNC_WORKER_ENABLED", "false"),
                ("IMPERSYNC_WORKER_BATCH", "8"),
            ]),
        )
        .unwrap();
        assert!(!layered.worker.enabled);
        assert_eq!((layered.worker.batch, layered.worker.concurrency), (8, 4));
        assert_eq!(layered.listen.port(), 9100);
        assert!(layered.insecure_cookies);
        assert_eq!(
            layered.data_dir,
            PathBuf::from("/srv/impersync"),
            "empty is unset"
        );
        assert_eq!(layered.network.resolve.len(), 2);
        assert_eq!(
            layered.network.resolve["b.test"],
            "10.0.0.2".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn bad_values_name_the_key() {
        let (_dir, path) = write("listen = \"127.0.0.1:9000\"\nlisten_port = 1\n");
        let err = format!(
            "{:#}",
            Config::load(&ConfigFile::Given(path), &env(&[])).unwrap_err()
        );
        assert!(err.contains("listen_port"), "{err}");

        let err = format!(
            "{:#}",
            Config::load(
                &ConfigFile::Default,
                &env(&[("IMPERSYNC_LISTEN", "localhost")])
            )
            .unwrap_err()
        );
        assert!(err.contains("IMPERSYNC_LISTEN=localhost"), "{err}");
        let err = format!(
            "{:#}",
            Config::load(
                &ConfigFile::Default,
                &env(&[("IMPERSYNC_RESOLVE", "a.test")])
            )
            .unwrap_err()
        );
        assert!(err.contains("not HOST=IP"), "{err}");
        let (_dir, path) = write("[worker]\nenabled = false\nbatches = 3\n");
        let err = format!(
            "{:#}",
            Config::load(&ConfigFile::Given(path), &env(&[])).unwrap_err()
        );
        assert!(err.contains("batches"), "{err}");
        let err = format!(
            "{:#}",
            Config::load(
                &ConfigFile::Default,
                &env(&[("IMPERSYNC_WORKER_LEASE_SECS", "soon")])
            )
            .unwrap_err()
        );
        assert!(err.contains("IMPERSYNC_WORKER_LEASE_SECS=soon"), "{err}");
        let err = format!(
            "{:#}",
            Config::load(
                &ConfigFile::Given("/nonexistent/impersync.toml".into()),
                &env(&[])
            )
            .unwrap_err()
        );
        assert!(err.contains("cannot read the configuration file"), "{err}");
    }
}
