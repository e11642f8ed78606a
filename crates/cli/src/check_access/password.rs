//! Reading the service account's password without putting it on the command line.

use anyhow::{Context, bail};
use impersync_exchange::Secret;
use std::io::IsTerminal;
use std::path::Path;

/// From `--password-env`, `--password-file`, or a hidden prompt on a terminal.
pub fn read(env: Option<&str>, file: Option<&Path>, account: &str) -> anyhow::Result<Secret> {
    if let Some(var) = env {
        let value = std::env::var(var).with_context(|| {
            format!("the environment variable {var} (from --password-env) is not set")
        })?;
        return Ok(Secret::new(value));
    }
    if let Some(path) = file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the password file {}", path.display()))?;
        let line = text.lines().next().unwrap_or_default();
        if line.is_empty() {
            bail!("the password file {} is empty", path.display());
        }
        return Ok(Secret::new(line));
    }
    if !std::io::stdin().is_terminal() {
        bail!(
            "no password given: use --password-env VAR or --password-file FILE (the password is never taken from the command line)"
        );
    }
    let value = rpassword::prompt_password(format!("Password for {account}: "))
        .context("cannot read the password")?;
    Ok(Secret::new(value))
}
