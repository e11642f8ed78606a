//! One access check, step by step: URL, connection, logon, impersonation, folder bind.

use super::probe;
use super::step::{Step, StepStatus};
use impersync_ews::ops::GetRoomLists;
use impersync_ews::types::FolderRef;
use impersync_exchange::autodiscover::{AutodiscoverOptions, discover};
use impersync_exchange::transport::{Transport, TransportConfig};
use impersync_exchange::{
    AccountName, Credentials, ExchangeClient, ExchangeConfig, ExchangeError, GovernorConfig,
    GuardedUrl, IdType, Impersonate, Outcome, OutcomeClass, UrlPolicy,
};
use serde::Serialize;
use std::time::{Duration, Instant};

/// Where the EWS URL comes from.
#[derive(Debug, Clone)]
pub enum EwsSource {
    /// Given by the admin.
    Url(GuardedUrl),
    /// Found by Autodiscover.
    Autodiscover(AutodiscoverOptions),
}

/// What to check.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// The mailbox to reach.
    pub target: String,
    /// Whom to impersonate (usually the target).
    pub impersonate: Impersonate,
    /// Distinguished folders to bind (`inbox` by default; all synced folders with `--all-folders`).
    pub folders: Vec<String>,
    /// The service account's credentials.
    pub credentials: Credentials,
    /// Where the EWS URL comes from.
    pub source: EwsSource,
    /// URL policy for the EWS URL.
    pub url_policy: UrlPolicy,
    /// Transport settings (TLS policy, timeouts, resolver).
    pub transport: TransportConfig,
    /// Throttling settings.
    pub governor: GovernorConfig,
    /// Send a burst of requests to see how much headroom throttling leaves.
    pub probe_throttling: bool,
}

/// The result of a check: every step and one verdict.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    /// The mailbox checked.
    pub target: String,
    /// The EWS URL used, if one was found.
    pub ews_url: Option<String>,
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// Things the admin should know even when the check passes.
    pub warnings: Vec<String>,
    /// Suggestions that may explain a failure.
    pub hints: Vec<String>,
    /// The verdict, with cause and remedy.
    pub verdict: Outcome,
    /// Total time, in milliseconds.
    pub elapsed_ms: u64,
}

/// The display name of a distinguished folder.
pub fn folder_title(name: &str) -> String {
    match name.to_ascii_lowercase().as_str() {
        "inbox" => "Inbox".into(),
        "sentitems" => "Sent Items".into(),
        "calendar" => "Calendar".into(),
        "contacts" => "Contacts".into(),
        "deleteditems" => "Deleted Items".into(),
        "drafts" => "Drafts".into(),
        "msgfolderroot" => "Top of Information Store".into(),
        other => other.to_string(),
    }
}

struct Run {
    started: Instant,
    steps: Vec<Step>,
    warnings: Vec<String>,
    hints: Vec<String>,
    ews_url: Option<String>,
}

impl Run {
    fn fail(mut self, target: &str, outcome: Outcome, skipped: &[&str]) -> CheckReport {
        for title in skipped {
            self.steps
                .push(Step::skipped(*title, "not run: an earlier step failed"));
        }
        self.report(target, outcome)
    }

    fn report(self, target: &str, verdict: Outcome) -> CheckReport {
        CheckReport {
            target: target.to_string(),
            ews_url: self.ews_url,
            steps: self.steps,
            warnings: self.warnings,
            hints: self.hints,
            verdict,
            elapsed_ms: self.started.elapsed().as_millis() as u64,
        }
    }
}

const LOGON: &str = "Log on as the service account";
const IMPERSONATE: &str = "Impersonate the target";
const BIND: &str = "Bind the folders";
const CONNECT: &str = "Connect to the EWS server";

/// Runs the "Service Account Access" test.
pub async fn check_access(options: CheckOptions) -> CheckReport {
    let mut run = Run {
        started: Instant::now(),
        steps: Vec::new(),
        warnings: Vec::new(),
        hints: Vec::new(),
        ews_url: None,
    };
    if let Some(w) = options.transport.tls.warning() {
        run.warnings.push(w.to_string());
    }
    let target = options.target.clone();
    let url = match find_url(&options, &mut run).await {
        Ok(url) => url,
        Err(outcome) => return run.fail(&target, outcome, &[CONNECT, LOGON, IMPERSONATE, BIND]),
    };
    run.ews_url = Some(url.to_string());
    let (step, failure) = probe::connection(&url, &options.transport).await;
    if step.status == StepStatus::Warning && !url.is_https() {
        run.warnings.push("The EWS URL uses plain http:// (allowed for labs only): credentials travel unencrypted.".into());
    }
    run.steps.push(step);
    if let Some((class, why)) = failure {
        return run.fail(
            &target,
            Outcome::failed(class, None, why),
            &[LOGON, IMPERSONATE, BIND],
        );
    }
    let mut config = ExchangeConfig::new(url.clone(), options.credentials.clone());
    config.transport = options.transport.clone();
    config.governor = options.governor.clone();
    let client = match ExchangeClient::new(config) {
        Ok(c) => c,
        Err(e) => return run.fail(&target, e.outcome(), &[LOGON, IMPERSONATE, BIND]),
    };
    if let Err(outcome) = logon(&client, &options, &mut run).await {
        return run.fail(&target, outcome, &[IMPERSONATE, BIND]);
    }
    let counts = match bind_folders(&client, &options, &mut run).await {
        Ok(c) => c,
        Err(outcome) => return run.report(&target, outcome),
    };
    if options.probe_throttling {
        probe_throttling(&url, &options, &mut run).await;
    }
    let summary = counts
        .iter()
        .map(|(f, n)| format!("{} ({n} items)", folder_title(f)))
        .collect::<Vec<_>>()
        .join(", ");
    let verdict = Outcome::ok(format!(
        "The service account can impersonate {} and read {summary}.",
        options.impersonate.id
    ));
    run.report(&target, verdict)
}

async fn find_url(options: &CheckOptions, run: &mut Run) -> Result<GuardedUrl, Outcome> {
    let started = Instant::now();
    match &options.source {
        EwsSource::Url(url) => {
            run.steps.push(Step::new(
                "Find the EWS URL",
                StepStatus::Ok,
                format!("given: {url}"),
                started,
            ));
            Ok(url.clone())
        }
        EwsSource::Autodiscover(ad) => {
            let transport = Transport::new(options.credentials.clone(), options.transport.clone())
                .map_err(|e| e.outcome())?;
            let discovery = discover(&transport, ad).await;
            let children: Vec<Step> = discovery
                .attempts
                .iter()
                .map(|a| {
                    let mut parts = Vec::new();
                    match &a.dns {
                        Some(Ok(addrs)) => parts.push(format!("DNS {}", addrs.join(","))),
                        Some(Err(e)) => parts.push(format!("DNS failed: {e}")),
                        None => {}
                    }
                    match &a.connect {
                        Some(Ok(())) => parts.push("TCP+TLS ok".into()),
                        Some(Err(e)) => parts.push(format!("connect failed: {e}")),
                        None => {}
                    }
                    if let Some(s) = a.http_status {
                        parts.push(format!("HTTP {s}"));
                    }
                    parts.push(a.result.clone());
                    let status = if a.found {
                        StepStatus::Ok
                    } else {
                        StepStatus::Failed
                    };
                    Step {
                        title: format!("{} {}", a.method, a.target),
                        status,
                        detail: parts.join("; "),
                        elapsed_ms: a.elapsed.as_millis() as u64,
                        children: Vec::new(),
                    }
                })
                .collect();
            match discovery.ews_url {
                Some(found) => match GuardedUrl::new(&found, options.url_policy) {
                    Ok(guarded) => {
                        run.steps.push(
                            Step::new(
                                "Find the EWS URL (Autodiscover)",
                                StepStatus::Ok,
                                format!("found {found}"),
                                started,
                            )
                            .with_children(children),
                        );
                        Ok(guarded)
                    }
                    Err(e) => {
                        let why = format!("Autodiscover returned {found}, which is refused: {e}");
                        run.steps.push(
                            Step::new(
                                "Find the EWS URL (Autodiscover)",
                                StepStatus::Failed,
                                &why,
                                started,
                            )
                            .with_children(children),
                        );
                        Err(Outcome::failed(OutcomeClass::AutodiscoverFailed, None, why))
                    }
                },
                None => {
                    if let Some(Err(tls)) = discovery
                        .attempts
                        .iter()
                        .find(|a| a.result == "TLS failed")
                        .and_then(|a| a.connect.as_ref())
                    {
                        run.hints.push(format!(
                            "Autodiscover candidates answered, but TLS failed ({tls}). {}",
                            OutcomeClass::TlsUntrusted.remedy()
                        ));
                    }
                    run.steps.push(
                        Step::new(
                            "Find the EWS URL (Autodiscover)",
                            StepStatus::Failed,
                            "no candidate returned an EWS URL",
                            started,
                        )
                        .with_children(children),
                    );
                    Err(Outcome::failed(
                        OutcomeClass::AutodiscoverFailed,
                        None,
                        format!("Autodiscover found no EWS URL for {}", ad.email),
                    ))
                }
            }
        }
    }
}

async fn logon(
    client: &ExchangeClient,
    options: &CheckOptions,
    run: &mut Run,
) -> Result<(), Outcome> {
    let started = Instant::now();
    let who = options.credentials.account().map_or_else(
        || "the bearer token's account".to_string(),
        AccountName::to_string,
    );
    let title = format!("{LOGON} ({who}, {})", options.credentials.scheme());
    match client
        .get_folder(None, FolderRef::distinguished("inbox"))
        .await
    {
        Ok(_) => {
            let rooms = client.call(None, &GetRoomLists).await;
            let detail = match rooms {
                Ok(r) if r.response.status.is_success() => format!(
                    "authenticated; the service account has its own mailbox; {} room list(s) readable",
                    r.response.room_lists.len()
                ),
                _ => "authenticated; the service account has its own mailbox".to_string(),
            };
            run.steps
                .push(Step::new(title, StepStatus::Ok, detail, started));
            Ok(())
        }
        Err(e) if e.class() == OutcomeClass::NoMailbox => {
            let warning = "The service account has no mailbox of its own: room lists and rooms (GetRoomLists, GetRooms) are read through it and will not be readable. Give the service account a mailbox if rooms are needed.";
            run.warnings.push(warning.into());
            run.steps.push(Step::new(
                title,
                StepStatus::Warning,
                "authenticated; the service account has no mailbox",
                started,
            ));
            Ok(())
        }
        Err(e) => {
            if e.class() == OutcomeClass::AuthFailed
                && let Some(AccountName::Upn(upn)) = options.credentials.account()
            {
                run.hints.push(format!(
                    "The logon {upn} is a UPN. If the UPN differs from the account's primary SMTP address or sign-in fails with it, try the DOMAIN\\user form."
                ));
            }
            run.steps
                .push(Step::new(title, StepStatus::Failed, e.to_string(), started));
            Err(e.outcome())
        }
    }
}

async fn bind_folders(
    client: &ExchangeClient,
    options: &CheckOptions,
    run: &mut Run,
) -> Result<Vec<(String, u32)>, Outcome> {
    let impersonate = &options.impersonate;
    let mut counts = Vec::new();
    let mut children = Vec::new();
    let started = Instant::now();
    for (i, folder) in options.folders.iter().enumerate() {
        let t = Instant::now();
        match client
            .get_folder(Some(impersonate), FolderRef::distinguished(folder))
            .await
        {
            Ok(f) => {
                let n = f.total_count.unwrap_or(0);
                if i == 0 {
                    run.steps.push(Step::new(
                        format!(
                            "{IMPERSONATE} ({}: {})",
                            impersonate.id_type, impersonate.id
                        ),
                        StepStatus::Ok,
                        format!(
                            "impersonation accepted (X-AnchorMailbox: {})",
                            impersonate.anchor_mailbox
                        ),
                        t,
                    ));
                }
                children.push(Step::new(
                    folder_title(folder),
                    StepStatus::Ok,
                    format!("{n} items"),
                    t,
                ));
                counts.push((folder.clone(), n));
            }
            Err(e) => {
                let outcome = e.outcome();
                hints_for(&e, impersonate, run);
                if i == 0 {
                    run.steps.push(Step::new(
                        format!(
                            "{IMPERSONATE} ({}: {})",
                            impersonate.id_type, impersonate.id
                        ),
                        StepStatus::Failed,
                        e.to_string(),
                        t,
                    ));
                    run.steps
                        .push(Step::skipped(BIND, "not run: impersonation failed"));
                    return Err(outcome);
                }
                children.push(Step::new(
                    folder_title(folder),
                    StepStatus::Failed,
                    e.to_string(),
                    t,
                ));
                run.steps.push(
                    Step::new(
                        BIND,
                        StepStatus::Failed,
                        "a folder could not be bound",
                        started,
                    )
                    .with_children(children),
                );
                return Err(outcome);
            }
        }
    }
    run.steps.push(
        Step::new(
            BIND,
            StepStatus::Ok,
            format!("{} folder(s) bound", counts.len()),
            started,
        )
        .with_children(children),
    );
    Ok(counts)
}

fn hints_for(e: &ExchangeError, impersonate: &Impersonate, run: &mut Run) {
    match e.class() {
        OutcomeClass::NoMailbox if matches!(impersonate.id_type, IdType::PrimarySmtpAddress | IdType::SmtpAddress) => run.hints.push(format!(
            "If {} is a UPN that differs from the user's primary SMTP address, use the primary SMTP address, or --id-type PrincipalName.",
            impersonate.id
        )),
        OutcomeClass::ImpersonationDenied => run.hints.push(
            "Members of groups nested inside the scope's group are not in scope: MemberOfGroup matches direct members only.".into(),
        ),
        _ => {}
    }
}

async fn probe_throttling(url: &GuardedUrl, options: &CheckOptions, run: &mut Run) {
    const BURST: usize = 8;
    let started = Instant::now();
    let mut config = ExchangeConfig::new(url.clone(), options.credentials.clone());
    config.transport = options.transport.clone();
    config.governor = GovernorConfig {
        max_concurrency: BURST,
        server_max_concurrency: BURST,
        max_total_wait: Duration::ZERO,
    };
    let Ok(client) = ExchangeClient::new(config) else {
        return;
    };
    let folder = options
        .folders
        .first()
        .cloned()
        .unwrap_or_else(|| "inbox".into());
    let calls = (0..BURST).map(|_| {
        client.get_folder(
            Some(&options.impersonate),
            FolderRef::distinguished(&folder),
        )
    });
    let results = futures_util::future::join_all(calls).await;
    let throttled = results
        .iter()
        .filter(|r| matches!(r, Err(e) if e.class() == OutcomeClass::Throttled))
        .count();
    let elapsed = started.elapsed();
    let (status, detail) = if throttled == 0 {
        (
            StepStatus::Ok,
            format!(
                "{BURST} parallel requests answered in {} ms, none throttled",
                elapsed.as_millis()
            ),
        )
    } else {
        run.warnings.push(format!("{throttled} of {BURST} parallel requests were throttled: sync will run slowly unless the service account gets a throttling policy with more headroom."));
        (
            StepStatus::Warning,
            format!("{throttled} of {BURST} parallel requests throttled"),
        )
    };
    run.steps
        .push(Step::new("Throttling headroom", status, detail, started));
}
