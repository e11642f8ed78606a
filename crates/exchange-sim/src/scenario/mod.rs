//! Scenario files: the TOML description of a simulated Exchange organisation.

mod model;

pub use model::*;

use std::path::Path;

/// The built-in demo scenario's TOML text.
pub const DEMO_TOML: &str = include_str!("demo.toml");

/// A scenario for paging: `user00001` and `user00002@big.test` with 1200 inbox items each,
/// impersonated by `svc@big.test` (password `Svc-Password-1`).
pub const LARGE_INBOX_TOML: &str = include_str!("large_inbox.toml");

/// Why a scenario could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("cannot read scenario file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The TOML does not match the scenario format.
    #[error("scenario is not valid: {0}")]
    Toml(#[from] toml::de::Error),
    /// The scenario is well-formed but inconsistent (unknown member, bad filter, ...).
    #[error("scenario is inconsistent: {0}")]
    Invalid(String),
}

impl Scenario {
    /// The built-in demo organisation.
    pub fn demo() -> Self {
        Self::from_toml(DEMO_TOML).expect("the built-in demo scenario is valid")
    }

    /// Parses scenario TOML text.
    pub fn from_toml(text: &str) -> Result<Self, ScenarioError> {
        Ok(toml::from_str(text)?)
    }

    /// `demo` for the built-in scenario, otherwise a path to a TOML file.
    pub fn load(name_or_path: &str) -> Result<Self, ScenarioError> {
        if name_or_path == "demo" {
            return Ok(Self::demo());
        }
        let path = Path::new(name_or_path);
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_toml(&text)
    }
}
