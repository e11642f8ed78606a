//! [`SetupOptions`]: what the generated script sets up, with the setup guide's defaults.

use std::fmt;
use std::str::FromStr;

use super::error::SetupScriptError;

/// The setup guide's service account name.
pub const DEFAULT_SERVICE_ACCOUNT: &str = "MasterImpersonation";
/// The setup guide's group name.
pub const DEFAULT_GROUP_NAME: &str = "RIapplicationGroup";
/// The setup guide's management scope name.
pub const DEFAULT_SCOPE_NAME: &str = "RIusersScope";
/// The setup guide's role group name.
pub const DEFAULT_ROLE_GROUP: &str = "RIImpersonation";
/// The display name the Exchange Online service principal gets by default.
pub const DEFAULT_APP_DISPLAY_NAME: &str = "Impersync";

/// Which Exchange the script is for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Target {
    /// Exchange Server, run in the Exchange Management Shell: `ApplicationImpersonation`.
    #[default]
    OnPremises,
    /// Exchange Online, run after `Connect-ExchangeOnline`: RBAC for Applications.
    ExchangeOnline,
}

impl Target {
    /// The name used on the command line: `on-premises` or `exchange-online`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OnPremises => "on-premises",
            Self::ExchangeOnline => "exchange-online",
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Target {
    type Err = SetupScriptError;

    /// Accepts `on-premises` (or `on-prem`, `onprem`) and `exchange-online` (or `exo`,
    /// `online`), ignoring case.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "on-premises" | "onpremises" | "on-prem" | "onprem" => Ok(Self::OnPremises),
            "exchange-online" | "exchangeonline" | "exo" | "online" => Ok(Self::ExchangeOnline),
            _ => Err(SetupScriptError::UnknownTarget(text.to_owned())),
        }
    }
}

/// The kind of group whose direct members are in scope.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum GroupKind {
    /// A distribution group with closed join and leave rules (the guide's default).
    #[default]
    Distribution,
    /// A mail-enabled security group whose owners approve new members.
    Security,
}

impl GroupKind {
    /// The name used on the command line: `distribution` or `security`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Distribution => "distribution",
            Self::Security => "security",
        }
    }

    /// The setup guide's alias for this kind of group: `RIAG` or `RISG`.
    pub fn default_alias(self) -> &'static str {
        match self {
            Self::Distribution => "RIAG",
            Self::Security => "RISG",
        }
    }
}

impl fmt::Display for GroupKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for GroupKind {
    type Err = SetupScriptError;

    /// Accepts `distribution` and `security`, ignoring case.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "distribution" => Ok(Self::Distribution),
            "security" => Ok(Self::Security),
            _ => Err(SetupScriptError::UnknownGroupKind(text.to_owned())),
        }
    }
}

/// Everything the setup script needs; [`SetupOptions::new`] fills in the guide's names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupOptions {
    /// Which Exchange the script is for.
    pub target: Target,
    /// The organisation's domain, e.g. `contoso.com`: it gives the service account's
    /// UPN and the default organizational unit's `DC=` parts.
    pub domain: String,
    /// The service account's name (on-premises); its UPN is `name@domain`.
    pub service_account: String,
    /// The group's name; it is also the `CN=` of the group's distinguished name.
    pub group_name: String,
    /// The group's alias; `None` uses `RIAG` (distribution) or `RISG` (security).
    pub group_alias: Option<String>,
    /// Distribution group or mail-enabled security group.
    pub group_kind: GroupKind,
    /// The distinguished name of the group's organizational unit. On-premises it
    /// defaults to `OU=Groups,DC=..` from the domain and must exist. Exchange Online
    /// needs it: the part after `CN=name,` of any recipient's `DistinguishedName`.
    pub organizational_unit: Option<String>,
    /// The management scope's name.
    pub scope_name: String,
    /// The role group's name (on-premises).
    pub role_group: String,
    /// The group's owners (`-ManagedBy`), as addresses; empty leaves Exchange's
    /// default, the administrator running the script.
    pub owners: Vec<String>,
    /// The group's members, as addresses: the mailboxes that may be impersonated.
    pub members: Vec<String>,
    /// The application (client) id of the Entra app (Exchange Online).
    pub app_id: Option<String>,
    /// The object id of the app's service principal, the Enterprise application, in
    /// Entra ID; not the app registration's object id (Exchange Online).
    pub object_id: Option<String>,
    /// The service principal's display name in Exchange Online.
    pub app_display_name: String,
    /// Grant Microsoft Graph mail, calendar and contacts read roles instead of EWS
    /// (Exchange Online).
    pub graph: bool,
    /// Lab and simulator round trips only: write this password into the script in plain
    /// text instead of prompting for it. Never use it for a real organisation.
    pub lab_password: Option<String>,
}

impl SetupOptions {
    /// Options for `domain` with the setup guide's names, an on-premises target, a
    /// distribution group, and no members yet.
    pub fn new(domain: impl Into<String>) -> Self {
        Self {
            target: Target::OnPremises,
            domain: domain.into(),
            service_account: DEFAULT_SERVICE_ACCOUNT.to_owned(),
            group_name: DEFAULT_GROUP_NAME.to_owned(),
            group_alias: None,
            group_kind: GroupKind::Distribution,
            organizational_unit: None,
            scope_name: DEFAULT_SCOPE_NAME.to_owned(),
            role_group: DEFAULT_ROLE_GROUP.to_owned(),
            owners: Vec::new(),
            members: Vec::new(),
            app_id: None,
            object_id: None,
            app_display_name: DEFAULT_APP_DISPLAY_NAME.to_owned(),
            graph: false,
            lab_password: None,
        }
    }
}
