//! `impersync bench sim`: how fast and how lean the simulator is on this machine.

use super::machine::{Machine, rss_mib};
use super::report::write_section;
use super::scenario as bench_scenario;
use anyhow::{Context, bail};
use impersync_ews::ops::{GetFolder, SyncFolderItems};
use impersync_ews::types::{BaseShape, FolderRef, Shape};
use impersync_ews::{ConnectingSid, RequestHeader, encode_request};
use impersync_exchange_sim::{Scenario, Sim};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Arguments of `impersync bench sim`.
#[derive(Debug, clap::Args)]
pub struct SimBenchArgs {
    /// Generated mailboxes.
    #[arg(long, default_value_t = 1000)]
    users: u32,
    /// Generated Inbox items per mailbox.
    #[arg(long, default_value_t = 1000)]
    items: u32,
    /// Concurrent connections for the GetFolder load.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Seconds each measurement runs.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Markdown file to write the results into (its `sim` section is replaced).
    #[arg(long, default_value = "docs/benchmarks.md")]
    write: PathBuf,
}

fn scenario(users: u32, items: u32) -> anyhow::Result<Scenario> {
    Ok(Scenario::from_toml(&bench_scenario::toml(users, items))?)
}

fn header(user: u32) -> RequestHeader {
    RequestHeader {
        server_version: Some("Exchange2016".into()),
        impersonation: Some(ConnectingSid::PrimarySmtpAddress(bench_scenario::user(
            user,
        ))),
        time_zone: None,
    }
}

struct Target {
    client: reqwest::Client,
    url: String,
}

impl Target {
    async fn post(&self, user: u32, body: String) -> anyhow::Result<bytes::Bytes> {
        let response = self
            .client
            .post(&self.url)
            .basic_auth(
                bench_scenario::SERVICE_ACCOUNT,
                Some(bench_scenario::PASSWORD),
            )
            .header("Content-Type", "text/xml; charset=utf-8")
            .header("X-AnchorMailbox", bench_scenario::user(user))
            .body(body)
            .send()
            .await?;
        let status = response.status();
        let bytes = response.bytes().await?;
        if !status.is_success() {
            bail!(
                "simulator answered {status}: {}",
                String::from_utf8_lossy(&bytes[..bytes.len().min(300)])
            );
        }
        Ok(bytes)
    }
}

/// Runs the benchmark and writes its section of the report.
pub async fn run(args: SimBenchArgs) -> anyhow::Result<()> {
    let machine = Machine::detect();
    let (rss_before, _) = rss_mib();
    let started = Instant::now();
    let sim = Arc::new(
        Sim::new(scenario(args.users, args.items)?).context("building the bench organisation")?,
    );
    let build_secs = started.elapsed().as_secs_f64();
    let (rss_after, _) = rss_mib();
    let total_items = u64::from(args.users) * u64::from(args.items);
    eprintln!(
        "built {} mailboxes with {total_items} items in {build_secs:.1}s; simulator memory {:.0} MiB",
        args.users,
        rss_after - rss_before
    );

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(impersync_exchange_sim::run(listener, sim, async {
        let _ = stopped.await;
    }));
    let target = Arc::new(Target {
        client: reqwest::Client::builder()
            .pool_max_idle_per_host(args.connections)
            .build()?,
        url: format!("http://{addr}/EWS/Exchange.asmx"),
    });
    let duration = Duration::from_secs(args.seconds);

    let get_folder = GetFolder {
        shape: Shape::base(BaseShape::Default),
        folder_ids: vec![FolderRef::distinguished("inbox")],
    };
    let requests = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + duration;
    let mut tasks = Vec::new();
    for worker in 0..args.connections {
        let (target, requests, op) = (
            Arc::clone(&target),
            Arc::clone(&requests),
            get_folder.clone(),
        );
        let users = args.users;
        tasks.push(tokio::spawn(async move {
            let mut user = worker as u32 % users;
            while Instant::now() < deadline {
                let body = target
                    .post(user + 1, encode_request(&header(user + 1), &op))
                    .await?;
                if !body.windows(7).any(|w| w == b"NoError") {
                    bail!("GetFolder did not succeed");
                }
                requests.fetch_add(1, Ordering::Relaxed);
                user = (user + args.connections as u32) % users;
            }
            anyhow::Ok(())
        }));
    }
    let load_started = Instant::now();
    for t in tasks {
        t.await??;
    }
    let get_folder_rate =
        requests.load(Ordering::Relaxed) as f64 / load_started.elapsed().as_secs_f64();
    eprintln!(
        "GetFolder: {get_folder_rate:.0} requests/s with {} connections",
        args.connections
    );

    let items = Arc::new(AtomicU64::new(0));
    let next_user = Arc::new(AtomicU64::new(1));
    let deadline = Instant::now() + duration;
    let sync_workers = 8.min(args.users as usize).max(1);
    let mut tasks = Vec::new();
    for _ in 0..sync_workers {
        let (target, items, next_user) = (
            Arc::clone(&target),
            Arc::clone(&items),
            Arc::clone(&next_user),
        );
        let users = u64::from(args.users);
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let user = ((next_user.fetch_add(1, Ordering::Relaxed) - 1) % users + 1) as u32;
                let mut state = None;
                loop {
                    let op = SyncFolderItems {
                        shape: Shape::base(BaseShape::Default),
                        folder: FolderRef::distinguished("inbox"),
                        sync_state: state.take(),
                        ignore: Vec::new(),
                        max_changes_returned: 512,
                        sync_scope: None,
                    };
                    let body = target
                        .post(user, encode_request(&header(user), &op))
                        .await?;
                    let text = std::str::from_utf8(&body)?;
                    items.fetch_add(text.matches("<t:Create>").count() as u64, Ordering::Relaxed);
                    if text.contains("<m:IncludesLastItemInRange>true<")
                        || Instant::now() >= deadline
                    {
                        break;
                    }
                    let s = text
                        .split("<m:SyncState>")
                        .nth(1)
                        .and_then(|r| r.split('<').next());
                    state = Some(
                        s.context("SyncFolderItems response has no SyncState")?
                            .to_string(),
                    );
                }
            }
            anyhow::Ok(())
        }));
    }
    let sync_started = Instant::now();
    for t in tasks {
        t.await??;
    }
    let items_rate = items.load(Ordering::Relaxed) as f64 / sync_started.elapsed().as_secs_f64();
    eprintln!(
        "SyncFolderItems: {items_rate:.0} items/s in 512-item pages with {sync_workers} connections"
    );
    let _ = stop.send(());
    server.await?;
    let (_, peak) = rss_mib();

    let verdict = |ok: bool| if ok { "met" } else { "NOT met" };
    let sim_mib = rss_after - rss_before;
    let body = format!(
        "## Simulator (`impersync bench sim`)\n\n\
         Command: `cargo run --release -- bench sim --users {users} --items {items} --connections {conns} --seconds {secs}`  \n\
         {machine}  \n\
         Server and load generator share the machine (one process, loopback HTTP/1.1, Basic auth, impersonation by PrimarySmtpAddress).\n\n\
         | measure | result | target |\n|---|---|---|\n\
         | impersonated GetFolder, {conns} concurrent connections | {gf:.0} requests/s | ≥ 10,000/s ({v1}) |\n\
         | SyncFolderItems, 512-item pages, {sw} connections | {ir:.0} items/s | ≥ 100,000/s ({v2}) |\n\
         | simulator memory with {total} generated items | {sim_mib:.0} MiB (built in {build:.1} s) | < 1,536 MiB ({v3}) |\n\
         | peak RSS of the whole run (server + load generator) | {peak:.0} MiB | |\n",
        users = args.users,
        items = args.items,
        conns = args.connections,
        secs = args.seconds,
        machine = machine.line(),
        gf = get_folder_rate,
        v1 = verdict(get_folder_rate >= 10_000.0),
        sw = sync_workers,
        ir = items_rate,
        v2 = verdict(items_rate >= 100_000.0),
        total = total_items,
        build = build_secs,
        v3 = verdict(sim_mib < 1536.0),
    );
    write_section(&args.write, "sim", &body)
        .with_context(|| format!("writing {}", args.write.display()))?;
    println!("{body}");
    Ok(())
}

/// Today's date, `YYYY-MM-DD`.
pub fn today() -> String {
    std::process::Command::new("date")
        .arg("+%Y-%m-%d")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|| "unknown".into())
}
