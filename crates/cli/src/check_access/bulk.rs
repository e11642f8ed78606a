//! Bulk mode: many users, a progress bar, a summary table and a report file.

use super::{CheckAccessArgs, governor};
use anyhow::{Context, bail};
use impersync_engine::access_check::{
    BulkOptions, BulkResult, CSV_HEADER, UserResult, bulk_check, csv_line, summarize,
};
use impersync_exchange::setup_script::read_members;
use impersync_exchange::transport::TransportConfig;
use impersync_exchange::{
    ALL_CLASSES, Credentials, ExchangeClient, ExchangeConfig, GuardedUrl, OutcomeClass, UrlPolicy,
};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::Arc;

/// Exit code when some users are not Ok.
const SOME_FAILED: i32 = 20;

/// Runs a bulk check and prints its summary.
pub async fn run(
    args: &CheckAccessArgs,
    credentials: Credentials,
    transport: TransportConfig,
    policy: UrlPolicy,
) -> anyhow::Result<i32> {
    let users = users(args)?;
    if users.is_empty() {
        bail!("no users to check");
    }
    let url = args
        .ews_url
        .as_deref()
        .context("bulk mode needs --ews-url (run one check with --autodiscover to find it)")?;
    let mut config = ExchangeConfig::new(GuardedUrl::new(url, policy)?, credentials);
    config.transport = transport;
    config.governor = governor(args);
    let client = Arc::new(ExchangeClient::new(config)?);
    let bar = if std::io::stderr().is_terminal() && !args.json {
        let bar = ProgressBar::new(users.len() as u64);
        bar.set_style(
            ProgressStyle::with_template(
                "{bar:40} {pos}/{len} users checked, {per_sec}, {eta} left",
            )
            .expect("static template"),
        );
        Some(bar)
    } else {
        None
    };
    let options = BulkOptions {
        id_type: args.id_type,
        folder: args.folder.clone(),
        concurrency: args.concurrency,
    };
    let result = bulk_check(client, users, &options, |done, _| {
        if let Some(b) = &bar {
            b.set_position(done as u64);
        }
    })
    .await;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    if let Some(path) = &args.report {
        write_report(path, &result)
            .with_context(|| format!("writing the report {}", path.display()))?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&result)?);
    } else {
        print!("{}", summary(&result));
    }
    let all_ok = result.results.iter().all(|r| r.outcome == OutcomeClass::Ok);
    Ok(if all_ok { 0 } else { SOME_FAILED })
}

fn users(args: &CheckAccessArgs) -> anyhow::Result<Vec<String>> {
    if let Some(previous) = &args.retry_failed {
        let text = std::fs::read_to_string(previous)
            .with_context(|| format!("cannot read {}", previous.display()))?;
        let earlier: BulkResult = serde_json::from_str(&text).with_context(|| {
            format!(
                "{} is not a JSON report written by check-access --report",
                previous.display()
            )
        })?;
        return Ok(earlier
            .results
            .into_iter()
            .filter(|r| r.outcome != OutcomeClass::Ok)
            .map(|r| r.email)
            .collect());
    }
    let path = args.users.as_deref().context("--users FILE is required")?;
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the users file {}", path.display()))?;
    read_members(&text).with_context(|| format!("in the users file {}", path.display()))
}

fn summary(result: &BulkResult) -> String {
    let counts = summarize(&result.results);
    let total = result.results.len();
    let secs = result.elapsed_ms as f64 / 1000.0;
    let mut out = format!(
        "Checked {total} users in {secs:.1} s ({:.0} checks/s)\n\n",
        total as f64 / secs.max(0.001)
    );
    out.push_str(&format!("{:<22} {:>7}\n", "outcome", "users"));
    for class in ALL_CLASSES {
        if let Some(n) = counts.get(&class) {
            out.push_str(&format!("{:<22} {n:>7}\n", class.as_str()));
        }
    }
    let failed: Vec<&UserResult> = result
        .results
        .iter()
        .filter(|r| r.outcome != OutcomeClass::Ok)
        .collect();
    for class in ALL_CLASSES.iter().filter(|c| **c != OutcomeClass::Ok) {
        let of_class: Vec<_> = failed.iter().filter(|r| r.outcome == *class).collect();
        if let Some(first) = of_class.first() {
            let names: Vec<&str> = of_class.iter().take(5).map(|r| r.email.as_str()).collect();
            let more = if of_class.len() > 5 {
                format!(" and {} more", of_class.len() - 5)
            } else {
                String::new()
            };
            out.push_str(&format!(
                "\n{class}: {}{more}\n  Remedy: {}\n",
                names.join(", "),
                first.remedy
            ));
        }
    }
    out
}

fn write_report(path: &Path, result: &BulkResult) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    let mut file = std::fs::File::create(&tmp)?;
    match path.extension().and_then(|e| e.to_str()) {
        Some("json") => serde_json::to_writer_pretty(&mut file, result)?,
        Some("csv") => {
            writeln!(file, "{CSV_HEADER}")?;
            for r in &result.results {
                let line = csv_line(
                    &r.email,
                    r.outcome.as_str(),
                    r.code.as_deref(),
                    &r.message,
                    &r.remedy,
                    r.latency_ms,
                );
                writeln!(file, "{line}")?;
            }
        }
        _ => bail!("the report file must end in .csv or .json"),
    }
    file.sync_all()?;
    std::fs::rename(tmp, path)?;
    Ok(())
}
