//! `impersync bench check-run`: a check run of N users started through the HTTP API of a
//! real admin server (in this process, SQLite in a temporary folder), against the simulator
//! in its own process; users/s end to end, from the POST to the run's end as the API reports it.

use super::machine::{Machine, rss_mib};
use super::report::write_section;
use super::scenario as bench_scenario;
use super::sim_process::SimProcess;
use anyhow::{Context, bail};
use impersync_admin::{AdminOptions, AdminState};
use impersync_engine::check_run::CheckRunSettings;
use impersync_engine::{Engine, Network};
use impersync_store::{OpenOptions, Store};
use reqwest::header::{CONTENT_TYPE, COOKIE};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The bench operator's password.
const OPERATOR_PASSWORD: &str = "Bench-Operator-Password-1";

/// Arguments of `impersync bench check-run`.
#[derive(Debug, clap::Args)]
pub struct CheckRunBenchArgs {
    /// Users in the organisation.
    #[arg(long, default_value_t = 10_000)]
    users: u32,
    /// Checks in flight (Exchange's default EWSMaxConcurrency is 27).
    #[arg(long, default_value_t = 24)]
    concurrency: usize,
    /// Markdown file to write the results into (its `check-run` section is replaced).
    #[arg(long, default_value = "docs/benchmarks.md")]
    write: PathBuf,
}

/// A signed-in API client.
struct Api {
    http: reqwest::Client,
    base: String,
    cookie: String,
    csrf: String,
}

impl Api {
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> anyhow::Result<Value> {
        let r = self
            .http
            .request(method.clone(), format!("{}{path}", self.base))
            .header(COOKIE, &self.cookie)
            .header("x-csrf-token", &self.csrf)
            .header(CONTENT_TYPE, content_type)
            .body(body)
            .send()
            .await
            .with_context(|| format!("{method} {path}"))?;
        let status = r.status();
        let bytes = r.bytes().await?;
        if !status.is_success() {
            bail!(
                "{method} {path}: {status} {}",
                String::from_utf8_lossy(&bytes)
            );
        }
        Ok(serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    async fn json(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Value,
    ) -> anyhow::Result<Value> {
        self.send(method, path, "application/json", serde_json::to_vec(&body)?)
            .await
    }
}

async fn login(base: &str) -> anyhow::Result<Api> {
    let http = reqwest::Client::new();
    let r = http
        .post(format!("{base}/api/login"))
        .header(CONTENT_TYPE, "application/json")
        .body(serde_json::to_vec(
            &json!({"username": impersync_admin::BOOTSTRAP_USERNAME, "password": OPERATOR_PASSWORD}),
        )?)
        .send()
        .await?;
    let cookie = r
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .context("no session cookie")?
        .to_string();
    let body: Value = serde_json::from_slice(&r.bytes().await?)?;
    let csrf = body["csrf_token"]
        .as_str()
        .context("no CSRF token")?
        .to_string();
    Ok(Api {
        http,
        base: base.to_string(),
        cookie,
        csrf,
    })
}

/// Runs the benchmark and writes its section of the report.
pub async fn run(args: CheckRunBenchArgs) -> anyhow::Result<()> {
    impersync_exchange::install_default_provider();
    let dir = std::env::temp_dir().join(format!("impersync-bench-run-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let sim = SimProcess::start_generated(&dir, args.users)?;

    let store = Store::open(OpenOptions::new(dir.join("data")))
        .await
        .context("opening the benchmark's SQLite store")?;
    let settings = CheckRunSettings {
        concurrency: args.concurrency,
        ..CheckRunSettings::default()
    };
    let options = AdminOptions {
        secure_cookies: false,
        ..AdminOptions::default()
    };
    let state = AdminState::with_engine(
        Engine::with_settings(store, Network::default(), settings),
        options,
    );
    state
        .bootstrap_operator(Some(OPERATOR_PASSWORD.into()))
        .await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(impersync_admin::run(listener, state, async {
        let _ = stopped.await;
    }));

    let api = login(&base).await?;
    let org = api
        .json(
            reqwest::Method::POST,
            "/api/orgs",
            json!({"name": "Bench", "domains": ["bench.test"]}),
        )
        .await?;
    let org = org["id"]
        .as_str()
        .context("no organisation id")?
        .to_string();
    api.json(
        reqwest::Method::PUT,
        &format!("/api/orgs/{org}/email-config"),
        json!({
            "access_type": "ExchangeImpersonation",
            "logon": bench_scenario::SERVICE_ACCOUNT,
            "auth": "Basic",
            "password": bench_scenario::PASSWORD,
            "ews_url": format!("{}/EWS/Exchange.asmx", sim.base_url),
            "id_type": "PrimarySmtpAddress",
            "lab": true,
        }),
    )
    .await?;
    let mut csv = String::from("email,display_name\n");
    for n in 1..=args.users {
        csv.push_str(&bench_scenario::user(n));
        csv.push_str(",\n");
    }
    let imported = api
        .send(
            reqwest::Method::POST,
            &format!("/api/orgs/{org}/users:import"),
            "text/csv",
            csv.into_bytes(),
        )
        .await?;
    if imported["inserted"].as_u64() != Some(u64::from(args.users)) {
        bail!("the import did not add every user: {imported}");
    }

    let started = Instant::now();
    let run = api
        .json(
            reqwest::Method::POST,
            &format!("/api/orgs/{org}/check-runs"),
            json!({}),
        )
        .await?;
    let run = run["id"].as_str().context("no run id")?.to_string();
    let detail = loop {
        let detail = api
            .json(
                reqwest::Method::GET,
                &format!("/api/orgs/{org}/check-runs/{run}"),
                Value::Null,
            )
            .await?;
        if detail["status"] != "running" {
            break detail;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let elapsed = started.elapsed();
    if detail["status"] != "finished"
        || detail["done"].as_u64() != Some(u64::from(args.users))
        || detail["ok"].as_u64() != Some(u64::from(args.users))
    {
        bail!("the run did not check every user Ok; the benchmark is not valid: {detail}");
    }
    let rate = f64::from(args.users) / elapsed.as_secs_f64();
    eprintln!("check run: {rate:.0} users/s");

    let export_started = Instant::now();
    let export = api
        .http
        .get(format!("{base}/api/orgs/{org}/check-runs/{run}/results"))
        .header(COOKIE, &api.cookie)
        .header("accept", "text/csv")
        .send()
        .await?
        .text()
        .await?;
    let export_ms = export_started.elapsed().as_millis();
    if export.lines().count() != args.users as usize + 1 {
        bail!("the CSV export does not hold one row per user");
    }
    let (_, peak) = rss_mib();
    let machine = Machine::detect();
    let body = format!(
        "## Check run through the admin API (`impersync bench check-run`)\n\n\
         Command: `cargo run --release -- bench check-run --users {users} --concurrency {conc}`  \n\
         Machine: {cpus} CPUs ({model}), {mem:.1} GiB memory. Date: {date}.  \n\
         A real admin server (in the bench process, SQLite in a temporary folder) and the simulator in its own process, \
         on loopback. The run is started with `POST /api/orgs/{{org}}/check-runs` and followed with \
         `GET .../check-runs/{{run}}` until it has finished; each check is one impersonated GetFolder (Basic auth), \
         and every result is stored (in batches) with the user's last outcome.\n\n\
         | measure | result | target |\n|---|---|---|\n\
         | end to end, POST to finished, {users} users | {rate:.0} users/s ({secs:.2} s) | ≥ 3,000 users/s ({verdict}) |\n\
         | CSV export of the {users} results | {export_ms} ms | |\n\
         | peak RSS of the admin process | {peak:.0} MiB | |\n",
        users = args.users,
        conc = args.concurrency,
        cpus = machine.cpus,
        model = machine.cpu_model,
        mem = machine.memory_gib,
        date = super::sim::today(),
        secs = elapsed.as_secs_f64(),
        verdict = if rate >= 3000.0 { "met" } else { "NOT met" },
    );
    write_section(&args.write, "check-run", &body)
        .with_context(|| format!("writing {}", args.write.display()))?;
    println!("{body}");
    let _ = stop.send(());
    let _ = server.await;
    drop(sim);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
