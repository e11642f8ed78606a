//! A simulator in its own process, as benchmarks need it: started from a scenario file.

use anyhow::{Context, bail};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A running `impersync sim`, stopped when dropped.
pub struct SimProcess {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
}

impl SimProcess {
    /// Starts `impersync sim` on a free loopback port with this scenario file.
    pub fn start(scenario: &Path) -> anyhow::Result<Self> {
        let exe = std::env::current_exe().context("cannot find the impersync binary")?;
        let mut child = Command::new(exe)
            .args(["sim", "--listen", "127.0.0.1:0", "--scenario"])
            .arg(scenario)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("cannot start the simulator")?;
        let stdout = child.stdout.take().context("no simulator output")?;
        let mut lines = BufReader::new(stdout).lines();
        let base_url = loop {
            let Some(line) = lines.next() else {
                let _ = child.kill();
                bail!("the simulator exited before it listened");
            };
            let line = line?;
            if let Some(rest) = line.split("listening on ").nth(1) {
                break rest.trim().to_string();
            }
        };
        std::thread::spawn(move || for _ in lines {});
        Ok(Self { child, base_url })
    }

    /// Starts the simulator with the generated benchmark organisation of `users` mailboxes
    /// (three Inbox items each), its scenario file written into `dir`.
    pub fn start_generated(dir: &Path, users: u32) -> anyhow::Result<Self> {
        let scenario_path = dir.join("scenario.toml");
        std::fs::write(&scenario_path, super::scenario::toml(users, 3))?;
        let sim = Self::start(&scenario_path)?;
        eprintln!("simulator (pid {}) at {}", sim.pid(), sim.base_url);
        Ok(sim)
    }

    /// How many EWS requests the simulator has served so far (its request log numbers
    /// every one).
    pub async fn ews_requests(&self) -> anyhow::Result<u64> {
        Ok(requests_served(&self.request_log().await?.0))
    }

    /// The simulator's request log (its latest entries) and the bytes of its answer.
    pub async fn request_log(&self) -> anyhow::Result<(Vec<serde_json::Value>, u64)> {
        let body = reqwest::get(format!("{}/_sim/requests", self.base_url))
            .await?
            .error_for_status()?
            .bytes()
            .await?;
        let log =
            serde_json::from_slice(&body).context("the simulator's request log is not JSON")?;
        Ok((log, body.len() as u64))
    }

    /// The simulator's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How many requests a simulator whose request log ends with `log` has served.
pub fn requests_served(log: &[serde_json::Value]) -> u64 {
    log.last().and_then(|e| e["seq"].as_u64()).unwrap_or(0)
}
