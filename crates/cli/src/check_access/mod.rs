//! `impersync check-access`: the connection doctor, for one mailbox or many.

mod bulk;
mod password;
mod render;

use anyhow::{Context, bail};
use impersync_engine::Network;
use impersync_engine::access_check::{CheckOptions, EwsSource, check_access};
use impersync_exchange::autodiscover::{NoSrv, SrvRecord, SrvResolver, StaticSrv};
use impersync_exchange::oauth::{ClientCredentials, client_credentials_token};
use impersync_exchange::transport::TransportConfig;
use impersync_exchange::{
    AccountName, Credentials, GovernorConfig, GuardedUrl, IdType, Impersonate, Secret, TlsPolicy,
    UrlPolicy,
};
use std::path::PathBuf;
use std::sync::Arc;

/// The folders the sync engine reads, checked by `--all-folders`.
const SYNCED_FOLDERS: [&str; 4] = ["inbox", "sentitems", "calendar", "contacts"];

/// HTTP authentication for the service account.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum AuthKind {
    /// NTLM (Windows authentication), the on-premises default.
    Ntlm,
    /// HTTP Basic.
    Basic,
}

/// Arguments of `impersync check-access`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit codes: 0 Ok, 10 AuthFailed, 11 ImpersonationDenied, 12 NoMailbox, 13 Throttled, 14 TlsUntrusted, 15 AutodiscoverFailed, 16 EwsDisabled, 17 Unreachable, 18 ServerError; with --users: 0 if every user is Ok, 20 otherwise; 1 for other errors, 2 for bad arguments."
)]
pub struct CheckAccessArgs {
    /// The mailbox to reach, e.g. alice@contoso.test.
    #[arg(long, required_unless_present_any = ["users", "retry_failed"])]
    target: Option<String>,
    /// The service account, as DOMAIN\user or as a UPN (not needed with a bearer token).
    #[arg(long, required_unless_present_any = ["bearer_token_env", "oauth_client_credentials"])]
    service_account: Option<String>,
    /// Read the password from this environment variable.
    #[arg(long, value_name = "VAR")]
    password_env: Option<String>,
    /// Read the password from the first line of this file.
    #[arg(long, value_name = "FILE")]
    password_file: Option<PathBuf>,
    /// HTTP authentication.
    #[arg(long, value_enum, default_value = "ntlm")]
    auth: AuthKind,
    /// The EWS URL, e.g. https://mail.contoso.test/EWS/Exchange.asmx.
    #[arg(long, conflicts_with = "autodiscover")]
    ews_url: Option<String>,
    /// Find the EWS URL with Autodiscover.
    #[arg(long)]
    autodiscover: bool,
    /// The distinguished folder to bind (inbox, sentitems, calendar, contacts, ...).
    #[arg(long, default_value = "inbox")]
    folder: String,
    /// Bind every synced folder: Inbox, Sent Items, Calendar and Contacts.
    #[arg(long)]
    all_folders: bool,
    /// The user to impersonate (defaults to the target).
    #[arg(long)]
    impersonate: Option<String>,
    /// How the impersonated user is named: SmtpAddress, PrimarySmtpAddress, PrincipalName or SID.
    #[arg(long, default_value = "SmtpAddress")]
    id_type: IdType,
    /// TLS trust: verify, pin:SHA256 or ignore-trust.
    #[arg(long, default_value = "verify")]
    tls: TlsPolicy,
    /// Also trust this CA certificate (PEM), e.g. an internal CA.
    #[arg(long, value_name = "PEM")]
    ca_file: Option<PathBuf>,
    /// Allow http:// URLs (labs and the simulator only).
    #[arg(long)]
    allow_insecure_http: bool,
    /// Use the OAuth access token in this environment variable.
    #[arg(long, value_name = "VAR")]
    bearer_token_env: Option<String>,
    /// Get a token with the OAuth client-credentials grant (needs --token-url, --client-id, --client-secret-env).
    #[arg(long, requires_all = ["token_url", "client_id", "client_secret_env"])]
    oauth_client_credentials: bool,
    /// OAuth token endpoint.
    #[arg(long)]
    token_url: Option<String>,
    /// OAuth client id.
    #[arg(long)]
    client_id: Option<String>,
    /// Environment variable holding the OAuth client secret.
    #[arg(long, value_name = "VAR")]
    client_secret_env: Option<String>,
    /// OAuth scope.
    #[arg(long)]
    scope: Option<String>,
    /// Send a burst of requests to measure throttling headroom.
    #[arg(long)]
    probe_throttling: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Check every address in this file (one a line, or CSV with an `email` column).
    #[arg(long, value_name = "FILE")]
    users: Option<PathBuf>,
    /// Write one row per user to this file (.csv or .json).
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Check again only the users that failed in this earlier JSON report.
    #[arg(long, value_name = "FILE")]
    retry_failed: Option<PathBuf>,
    /// Checks in flight at once in bulk mode.
    #[arg(long, default_value_t = 10)]
    concurrency: usize,
    /// The server's EWSMaxConcurrency, if it is not Exchange's default of 27.
    #[arg(long, default_value_t = impersync_exchange::EXCHANGE_DEFAULT_MAX_CONCURRENCY)]
    server_max_concurrency: usize,
    /// Lab: resolve HOST to IP without DNS (repeatable), e.g. contoso.test=127.0.0.1.
    #[arg(long, value_name = "HOST=IP")]
    resolve: Vec<String>,
    /// Lab: the port Autodiscover's https:// candidates use.
    #[arg(long, default_value_t = 443)]
    autodiscover_https_port: u16,
    /// Lab: the port of Autodiscover's http:// redirect candidate.
    #[arg(long, default_value_t = 80)]
    autodiscover_http_port: u16,
    /// Lab: answer the SRV lookup with TARGET:PORT instead of asking DNS ("none" for no record).
    #[arg(long, value_name = "TARGET:PORT")]
    srv_record: Option<String>,
}

/// Runs the command; returns the process exit code.
pub async fn run(args: CheckAccessArgs) -> anyhow::Result<i32> {
    impersync_exchange::install_default_provider();
    let network = network(&args)?;
    let transport = network.transport(args.tls.clone());
    let credentials = credentials(&args, &transport).await?;
    let url_policy = UrlPolicy {
        allow_insecure_http: args.allow_insecure_http,
    };
    if args.users.is_some() || args.retry_failed.is_some() {
        return bulk::run(&args, credentials, transport, url_policy).await;
    }
    let target = args.target.clone().context("--target is required")?;
    let source = source(&args, &target, &network, url_policy)?;
    let impersonated = args.impersonate.clone().unwrap_or_else(|| target.clone());
    let folders = if args.all_folders {
        SYNCED_FOLDERS.iter().map(|f| f.to_string()).collect()
    } else {
        vec![args.folder.clone()]
    };
    // X-AnchorMailbox names a mailbox by address: a SID or UPN id anchors on the target.
    let anchor_mailbox = match args.id_type {
        IdType::SmtpAddress | IdType::PrimarySmtpAddress => impersonated.clone(),
        IdType::PrincipalName | IdType::Sid => target.clone(),
    };
    let options = CheckOptions {
        impersonate: Impersonate {
            id_type: args.id_type,
            id: impersonated,
            anchor_mailbox,
        },
        target,
        folders,
        credentials,
        source,
        url_policy,
        transport,
        governor: governor(&args),
        probe_throttling: args.probe_throttling,
    };
    let report = check_access(options).await;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", render::report(&report, render::Style::detect()));
    }
    Ok(report.verdict.class.exit_code())
}

fn governor(args: &CheckAccessArgs) -> GovernorConfig {
    GovernorConfig {
        max_concurrency: args.concurrency,
        server_max_concurrency: args.server_max_concurrency,
        ..GovernorConfig::default()
    }
}

/// The network the command reaches Exchange through: `--resolve`, `--ca-file`, the
/// Autodiscover ports and `--srv-record`.
fn network(args: &CheckAccessArgs) -> anyhow::Result<Network> {
    let mut network = Network {
        autodiscover_https_port: args.autodiscover_https_port,
        autodiscover_http_port: args.autodiscover_http_port,
        ..Network::default()
    };
    for entry in &args.resolve {
        network
            .add_override(entry)
            .with_context(|| format!("--resolve {entry}"))?;
    }
    if let Some(path) = &args.ca_file {
        crate::network::add_ca_file(&mut network, path)?;
    }
    if let Some(record) = &args.srv_record {
        network.srv = fixed_srv(record)?;
    }
    Ok(network)
}

async fn credentials(
    args: &CheckAccessArgs,
    transport: &TransportConfig,
) -> anyhow::Result<Credentials> {
    if let Some(var) = &args.bearer_token_env {
        let token = std::env::var(var).with_context(|| {
            format!("the environment variable {var} (from --bearer-token-env) is not set")
        })?;
        return Ok(Credentials::Bearer {
            token: Secret::new(token),
        });
    }
    if args.oauth_client_credentials {
        let var = args.client_secret_env.as_deref().unwrap_or_default();
        let secret = std::env::var(var).with_context(|| {
            format!("the environment variable {var} (from --client-secret-env) is not set")
        })?;
        let policy = UrlPolicy {
            allow_insecure_http: args.allow_insecure_http,
        };
        let grant = ClientCredentials {
            token_url: GuardedUrl::new(args.token_url.as_deref().unwrap_or_default(), policy)?,
            client_id: args.client_id.clone().unwrap_or_default(),
            client_secret: Secret::new(secret),
            scope: args.scope.clone(),
        };
        let token = client_credentials_token(&grant, transport)
            .await
            .context("getting an OAuth token with the client-credentials grant")?;
        return Ok(Credentials::Bearer { token });
    }
    let raw = args
        .service_account
        .as_deref()
        .context("--service-account is required")?;
    let account: AccountName = raw.parse()?;
    let password = password::read(
        args.password_env.as_deref(),
        args.password_file.as_deref(),
        raw,
    )?;
    Ok(match args.auth {
        AuthKind::Basic => Credentials::Basic { account, password },
        AuthKind::Ntlm => Credentials::Ntlm { account, password },
    })
}

fn source(
    args: &CheckAccessArgs,
    target: &str,
    network: &Network,
    policy: UrlPolicy,
) -> anyhow::Result<EwsSource> {
    if let Some(url) = &args.ews_url {
        return Ok(EwsSource::Url(GuardedUrl::new(url, policy)?));
    }
    if !args.autodiscover {
        bail!("give the EWS URL with --ews-url, or ask for --autodiscover");
    }
    Ok(EwsSource::Autodiscover(
        network.autodiscover(target, policy),
    ))
}

fn fixed_srv(record: &str) -> anyhow::Result<Arc<dyn SrvResolver>> {
    if record == "none" {
        return Ok(Arc::new(NoSrv));
    }
    let (target, port) = record
        .rsplit_once(':')
        .context("--srv-record: write it as TARGET:PORT")?;
    let port: u16 = port
        .parse()
        .context("--srv-record: the port is not a number")?;
    Ok(Arc::new(StaticSrv(vec![SrvRecord {
        target: target.to_string(),
        port,
    }])))
}
