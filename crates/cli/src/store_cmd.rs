//! `impersync migrate` and `impersync rotate-key`: database schema and master key.

use anyhow::Context;
use impersync_store::{MasterKey, OpenOptions, Principal, Store};
use std::path::PathBuf;

/// Where the store lives.
#[derive(Debug, clap::Args)]
pub struct StoreArgs {
    /// Data directory for the SQLite database and the key file.
    #[arg(long, env = "IMPERSYNC_DATA_DIR", default_value = impersync_store::DEFAULT_DATA_DIR)]
    data_dir: PathBuf,
}

/// Arguments of `impersync rotate-key`.
#[derive(Debug, clap::Args)]
pub struct RotateKeyArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// With IMPERSYNC_MASTER_KEY: the environment variable holding the new key (base64 of 32 bytes).
    /// With a key file, a new key is generated and written to the file.
    #[arg(long, value_name = "VAR")]
    new_key_env: Option<String>,
}

async fn open(args: &StoreArgs) -> anyhow::Result<Store> {
    let options = OpenOptions::from_env(&args.data_dir);
    Store::open(options).await.context(
        "opening the Impersync database (IMPERSYNC_DATABASE_URL, or SQLite in the data directory)",
    )
}

/// Brings the schema up to date.
pub async fn migrate(args: StoreArgs) -> anyhow::Result<()> {
    let store = open(&args).await?;
    let report = store.migrations().clone();
    if report.applied.is_empty() {
        println!(
            "The {:?} database is up to date (schema version {}).",
            store.backend(),
            report.current
        );
    } else {
        println!(
            "Applied migrations {:?}; schema version is now {}.",
            report.applied, report.current
        );
    }
    store.close().await;
    Ok(())
}

/// Re-encrypts every secret with a new master key.
pub async fn rotate_key(args: RotateKeyArgs) -> anyhow::Result<()> {
    let store = open(&args.store).await?;
    let new_key = match &args.new_key_env {
        Some(var) => {
            let text = std::env::var(var).with_context(|| {
                format!("the environment variable {var} (from --new-key-env) is not set")
            })?;
            MasterKey::from_base64(&text, var)?
        }
        None => MasterKey::generate(),
    };
    let rotation = store
        .rotate_key(&Principal::system("rotate-key"), &new_key)
        .await?;
    println!(
        "Re-encrypted {} secret(s): key {} replaced by key {}.",
        rotation.secrets, rotation.old_key_id, rotation.new_key_id
    );
    match rotation.key_file {
        Some(path) => println!(
            "The new key is in {} (mode 0600). Back it up with the database.",
            path.display()
        ),
        None => println!(
            "Set IMPERSYNC_MASTER_KEY to the new key (the value of {}) before the next start.",
            args.new_key_env.as_deref().unwrap_or("the new key")
        ),
    }
    store.close().await;
    Ok(())
}
