//! `impersync demo`: the simulator with the demo organisation, and the admin panel on
//! SQLite with "Contoso (demo)" already configured for its service account.

use anyhow::Context;
use impersync_exchange_sim::tls::SimTls;
use impersync_exchange_sim::{Scenario, Sim};
use impersync_store::{
    AccessType, EmailSettings, ExchangeAuth, ImportRow, NewOrganisation, Principal, SecretString,
    SecretUpdate, Store,
};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::net::TcpListener;

use crate::config::{Config, NetworkSettings};
use crate::serve_cmd::AdminServer;
use crate::sim_cmd::certificate_names;

/// The demo organisation's name in the panel.
pub const DEMO_ORG: &str = "Contoso (demo)";

/// The demo service account's logon and password (fixtures of the built-in scenario).
const LOGON: &str = "CONTOSO\\MasterImpersonation";
const PASSWORD: &str = "Demo-Impersonation-1";

/// The demo's users, as an admin would import them.
const USERS: [(&str, &str); 6] = [
    ("alice@contoso.test", "Alice Archer"),
    ("bob@contoso.test", "Bob Baker"),
    ("carol@contoso.test", "Carol Chen"),
    ("dave@contoso.test", "Dave Dunn"),
    ("erin@contoso.test", "Erin Evans"),
    ("frank@contoso.test", "Frank Fischer"),
];

/// Arguments of `impersync demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Address of the admin panel; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Address of the simulator (HTTP); port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    sim_listen: SocketAddr,
    /// Keep the database here (default: a temporary folder removed on exit).
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

/// Runs the demo until Ctrl-C.
pub async fn demo(args: DemoArgs) -> anyhow::Result<()> {
    let scenario = Scenario::demo();
    let domain = scenario.domain.clone();
    let sim = Arc::new(Sim::new(scenario).context("building the simulated organisation")?);
    let http = bind(args.sim_listen, "--sim-listen").await?;
    let https = bind(SocketAddr::new(args.sim_listen.ip(), 0), "--sim-listen").await?;
    let (http_addr, https_addr) = (http.local_addr()?, https.local_addr()?);
    sim.set_https_port(https_addr.port());
    let tls = SimTls::generate(&certificate_names(&domain))?;
    let ca_pem = tls.ca_pem.clone().context("the generated CA certificate")?;

    let (data_dir, temp) = match &args.data_dir {
        Some(dir) => (dir.clone(), None),
        None => {
            let temp = tempfile::Builder::new()
                .prefix("impersync-demo-")
                .tempdir()
                .context("creating a temporary data folder")?;
            (temp.path().to_path_buf(), Some(temp))
        }
    };
    std::fs::create_dir_all(&data_dir)
        .with_context(|| format!("cannot create {}", data_dir.display()))?;
    let ca_file = data_dir.join("demo-ca.pem");
    std::fs::write(&ca_file, &ca_pem)
        .with_context(|| format!("cannot write {}", ca_file.display()))?;
    let loopback = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let config = Config {
        listen: args.listen,
        data_dir: data_dir.clone(),
        insecure_cookies: true,
        network: NetworkSettings {
            resolve: certificate_names(&domain)
                .into_iter()
                .filter(|n| n.ends_with(&domain))
                .map(|n| (n, loopback))
                .collect(),
            autodiscover_https_port: https_addr.port(),
            autodiscover_http_port: http_addr.port(),
            ca_file: Some(ca_file),
        },
        ..Config::default()
    };
    let server = AdminServer::start(&config).await?;
    let ews_url = format!(
        "https://mail.{domain}:{}/EWS/Exchange.asmx",
        https_addr.port()
    );
    let created = prepare_org(server.state.store(), &domain, &ews_url).await?;
    let panel = server.addr()?;

    println!("Impersync demo");
    println!("  Admin panel:  http://{panel}/");
    match &server.generated_password {
        Some(password) => println!("  Sign in as:   admin / {password}  (shown only this once)"),
        None => println!(
            "  Sign in as:   admin, with the password set when it was created (IMPERSYNC_ADMIN_PASSWORD)"
        ),
    }
    if created {
        println!(
            "  Organisation: {DEMO_ORG}: ExchangeImpersonation as {LOGON}, EWS URL {ews_url},"
        );
        println!(
            "                users alice, bob, carol, dave, erin, frank imported, none activated"
        );
    }
    println!("  Simulator:    http://{http_addr}/ and https://{https_addr}/ (control API: /_sim/)");
    println!(
        "  Expect:       alice, bob, carol Ok; dave and erin ImpersonationDenied; frank NoMailbox"
    );
    println!(
        "  Data:         {}",
        match &temp {
            Some(_) => format!(
                "{} (removed on exit; keep it with --data-dir)",
                data_dir.display()
            ),
            None => data_dir.display().to_string(),
        }
    );
    println!("Press Ctrl-C to stop.");

    let (stop, _) = tokio::sync::watch::channel(false);
    let until = |stop: &tokio::sync::watch::Sender<bool>| {
        let mut rx = stop.subscribe();
        async move {
            let _ = rx.changed().await;
        }
    };
    let sims = [
        tokio::spawn(impersync_exchange_sim::run(
            http,
            Arc::clone(&sim),
            until(&stop),
        )),
        tokio::spawn(impersync_exchange_sim::run_tls(
            https,
            Arc::clone(&sim),
            tls.config,
            until(&stop),
        )),
    ];
    let served = server.run().await;
    let _ = stop.send(true);
    for task in sims {
        let _ = task.await;
    }
    served
}

async fn bind(addr: SocketAddr, flag: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}; pick another with {flag}"))
}

/// Creates "Contoso (demo)" with its configuration and users, unless it exists already.
/// Returns whether it was created.
async fn prepare_org(store: &Store, domain: &str, ews_url: &str) -> anyhow::Result<bool> {
    let system = Principal::system("demo");
    let orgs = store.organisations(&system);
    if orgs.find_by_name(DEMO_ORG).await?.is_some() {
        return Ok(false);
    }
    let org = orgs
        .create(NewOrganisation {
            name: DEMO_ORG.into(),
            domains: vec![domain.into()],
        })
        .await?;
    let contoso = store.org(&system, org.id).await?;
    contoso
        .email_config()
        .save(EmailSettings {
            access: AccessType::ExchangeImpersonation {
                logon: LOGON.into(),
                auth: ExchangeAuth::Ntlm,
                password: SecretUpdate::Set(SecretString::new(PASSWORD.to_string())),
            },
            ews_url: Some(ews_url.into()),
            autodiscover: false,
            tls_policy: "verify".into(),
            id_type: "SmtpAddress".into(),
            folders: vec![
                "inbox".into(),
                "sentitems".into(),
                "calendar".into(),
                "contacts".into(),
            ],
            poll_interval_secs: 300,
            lab: false,
            saved: true,
        })
        .await
        .context("saving the demo's email configuration")?;
    let rows = USERS
        .iter()
        .enumerate()
        .map(|(i, (email, name))| ImportRow {
            line: i + 2,
            email: (*email).into(),
            display_name: (*name).into(),
            sync_enabled: false,
        })
        .collect();
    contoso
        .users()
        .import(rows)
        .await
        .context("importing the demo users")?;
    Ok(true)
}
