//! `impersync bench users-page`: how fast the panel's users tab answers for a large
//! organisation, through a real admin server on loopback.

use super::check_run::{OPERATOR_PASSWORD, login};
use super::machine::Machine;
use super::percentiles::{Percentiles, percentiles};
use super::report::write_section;
use anyhow::{Context, bail};
use impersync_admin::{AdminOptions, AdminState};
use impersync_store::{ImportRow, NewOrganisation, OpenOptions, Principal, Store};
use std::path::PathBuf;
use std::time::Instant;

/// Arguments of `impersync bench users-page`.
#[derive(Debug, clap::Args)]
pub struct UsersPageBenchArgs {
    /// Users in the organisation.
    #[arg(long, default_value_t = 10_000)]
    users: u32,
    /// Requests per kind of page.
    #[arg(long, default_value_t = 200)]
    requests: u32,
    /// Markdown file to write the results into (its `users-page` section is replaced).
    #[arg(long, default_value = "docs/benchmarks.md")]
    write: PathBuf,
}

/// The latency target for one page, in milliseconds.
const TARGET_MS: f64 = 300.0;

/// Runs the benchmark and writes its section.
pub async fn run(args: UsersPageBenchArgs) -> anyhow::Result<()> {
    if args.users < 200 || args.requests == 0 {
        bail!("--users must be at least 200 and --requests at least 1");
    }
    let dir = tempfile::tempdir().context("creating a temporary data directory")?;
    let store = Store::open(OpenOptions::new(dir.path()))
        .await
        .context("opening a SQLite store in a temporary directory")?;
    let state = AdminState::new(
        store,
        AdminOptions {
            secure_cookies: false,
            ..AdminOptions::default()
        },
    );
    state
        .bootstrap_operator(Some(OPERATOR_PASSWORD.into()))
        .await?;
    let system = Principal::system("bench");
    let org = state
        .store()
        .organisations(&system)
        .create(NewOrganisation {
            name: "Bench".into(),
            domains: vec!["bench.test".into()],
        })
        .await?;
    let rows = (0..args.users as usize)
        .map(|i| ImportRow {
            line: i + 2,
            email: format!("user-{i:05}@bench.test"),
            display_name: format!("Bench User {i:05}"),
            sync_enabled: i % 3 == 0,
        })
        .collect();
    let imported = Instant::now();
    let report = state
        .store()
        .org(&system, org.id)
        .await?
        .users()
        .import(rows)
        .await?;
    eprintln!(
        "imported {} users in {:.1} s",
        report.inserted,
        imported.elapsed().as_secs_f64()
    );

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(impersync_admin::run(listener, state.clone(), async {
        let _ = stopped.await;
    }));
    let api = login(&base).await?;
    let (client, cookie) = (&api.http, &api.cookie);

    let middle = u64::from(args.users) / 50 / 2;
    let needle = format!("user-{:05}", args.users / 2);
    let kinds = [
        (
            "first page",
            format!("/orgs/{}/users", org.id),
            "user-00000@bench.test".to_string(),
        ),
        (
            "middle page",
            format!("/orgs/{}/users?page={middle}", org.id),
            format!("user-{:05}@bench.test", (middle - 1) * 50),
        ),
        (
            "search",
            format!("/orgs/{}/users?q={needle}", org.id),
            format!("{needle}@bench.test"),
        ),
    ];
    let mut lines = Vec::new();
    let mut all_met = true;
    for (name, path, expected) in &kinds {
        let mut ms = Vec::with_capacity(args.requests as usize);
        for _ in 0..args.requests {
            let started = Instant::now();
            let response = client
                .get(format!("{base}{path}"))
                .header("cookie", cookie)
                .send()
                .await?;
            let status = response.status();
            let body = response.text().await?;
            ms.push(started.elapsed().as_secs_f64() * 1000.0);
            if !status.is_success() || !body.contains(expected.as_str()) {
                bail!("{path} answered {status} without {expected}");
            }
        }
        let Percentiles { p50, p95, max } = percentiles(ms).context("no request was timed")?;
        all_met &= max < TARGET_MS;
        eprintln!("{name}: p50 {p50:.1} ms, p95 {p95:.1} ms, max {max:.1} ms");
        lines.push(format!(
            "| {name} (`{}`) | {p50:.1} | {p95:.1} | {max:.1} |",
            path.replace(&org.id.to_string(), "{org}")
        ));
    }
    let _ = stop.send(());
    server.await??;

    let machine = Machine::detect();
    let body = format!(
        "## Panel users tab (`impersync bench users-page`)\n\n\
         Command: `cargo run --release -- bench users-page --users {users} --requests {requests}`  \n\
         {machine}  \n\
         {users} users in one organisation on SQLite; a real admin server on loopback; {requests} sequential \
         `GET`s of each page (50 users a page, server-rendered HTML) with a signed-in session. \
         Target: every page under {target:.0} ms ({verdict}).\n\n\
         | page | p50 ms | p95 ms | max ms |\n|---|---|---|---|\n{rows}\n",
        users = args.users,
        requests = args.requests,
        machine = machine.line(),
        target = TARGET_MS,
        verdict = if all_met { "met" } else { "NOT met" },
        rows = lines.join("\n"),
    );
    write_section(&args.write, "users-page", &body)
        .with_context(|| format!("writing {}", args.write.display()))?;
    println!("{body}");
    Ok(())
}
