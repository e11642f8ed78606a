//! `impersync setup-script`: the Exchange setup script of Stage I.

use anyhow::Context;
use impersync_exchange::setup_script::{GroupKind, SetupOptions, Target, generate, read_members};
use std::path::PathBuf;

/// Arguments of `impersync setup-script`.
#[derive(Debug, clap::Args)]
pub struct SetupScriptArgs {
    /// The organisation's domain, e.g. contoso.com.
    #[arg(long)]
    domain: String,
    /// on-premises (ApplicationImpersonation) or exchange-online (RBAC for Applications).
    #[arg(long, default_value = "on-premises")]
    target: Target,
    /// The service account's name (its UPN is NAME@DOMAIN).
    #[arg(long, default_value = impersync_exchange::setup_script::DEFAULT_SERVICE_ACCOUNT)]
    service_account: String,
    /// The group whose direct members may be impersonated.
    #[arg(long, default_value = impersync_exchange::setup_script::DEFAULT_GROUP_NAME)]
    group_name: String,
    /// The group's alias (default RIAG, or RISG for a security group).
    #[arg(long)]
    group_alias: Option<String>,
    /// distribution (closed join and leave) or security (owner approval).
    #[arg(long, default_value = "distribution")]
    group_kind: GroupKind,
    /// The group's organizational unit DN (default OU=Groups,DC=...; required for exchange-online).
    #[arg(long)]
    organizational_unit: Option<String>,
    /// The management scope's name.
    #[arg(long, default_value = impersync_exchange::setup_script::DEFAULT_SCOPE_NAME)]
    scope_name: String,
    /// The role group's name.
    #[arg(long, default_value = impersync_exchange::setup_script::DEFAULT_ROLE_GROUP)]
    role_group: String,
    /// A group owner's address (repeatable).
    #[arg(long = "owner", value_name = "ADDRESS")]
    owners: Vec<String>,
    /// The members: one address a line, or CSV with an `email` column.
    #[arg(long, value_name = "FILE")]
    members: Option<PathBuf>,
    /// Exchange Online: the Entra app's application (client) id.
    #[arg(long)]
    app_id: Option<String>,
    /// Exchange Online: the object id of the app's service principal (Enterprise application).
    #[arg(long)]
    object_id: Option<String>,
    /// Exchange Online: the service principal's display name.
    #[arg(long, default_value = impersync_exchange::setup_script::DEFAULT_APP_DISPLAY_NAME)]
    app_name: String,
    /// Exchange Online: grant Graph Mail/Calendars/Contacts.Read instead of EWS.AccessAsApp.
    #[arg(long)]
    graph: bool,
    /// Labs only: write the password in this environment variable into the script.
    #[arg(long, value_name = "VAR")]
    lab_password_env: Option<String>,
    /// Write the script to this file instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
}

/// Writes the script.
pub fn run(args: SetupScriptArgs) -> anyhow::Result<()> {
    let mut options = SetupOptions::new(args.domain);
    options.target = args.target;
    options.service_account = args.service_account;
    options.group_name = args.group_name;
    options.group_alias = args.group_alias;
    options.group_kind = args.group_kind;
    options.organizational_unit = args.organizational_unit;
    options.scope_name = args.scope_name;
    options.role_group = args.role_group;
    options.owners = args.owners;
    options.app_id = args.app_id;
    options.object_id = args.object_id;
    options.app_display_name = args.app_name;
    options.graph = args.graph;
    if let Some(path) = &args.members {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the members file {}", path.display()))?;
        options.members = read_members(&text)
            .with_context(|| format!("in the members file {}", path.display()))?;
    }
    if let Some(var) = &args.lab_password_env {
        options.lab_password = Some(std::env::var(var).with_context(|| {
            format!("the environment variable {var} (from --lab-password-env) is not set")
        })?);
    }
    let script = generate(&options)?;
    match &args.output {
        Some(path) => std::fs::write(path, script)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => print!("{script}"),
    }
    Ok(())
}
