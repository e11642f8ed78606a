//! The serde model of a scenario file.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

fn yes() -> bool {
    true
}

/// A whole simulated organisation.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// The accepted domain, e.g. `contoso.test`.
    pub domain: String,
    /// The NetBIOS domain name, e.g. `CONTOSO`.
    pub netbios: String,
    /// Seed for generated ids and items.
    #[serde(default)]
    pub seed: u64,
    /// Users, with or without mailboxes.
    #[serde(default)]
    pub users: Vec<UserSpec>,
    /// Generated users in bulk.
    #[serde(default)]
    pub user_sets: Vec<UserSetSpec>,
    /// Distribution and security groups.
    #[serde(default)]
    pub groups: Vec<GroupSpec>,
    /// Management scopes.
    #[serde(default)]
    pub scopes: Vec<ScopeSpec>,
    /// Role groups.
    #[serde(default)]
    pub role_groups: Vec<RoleGroupSpec>,
    /// Direct role assignments to users.
    #[serde(default)]
    pub role_assignments: Vec<RoleAssignmentSpec>,
    /// Room lists and their rooms.
    #[serde(default)]
    pub room_lists: Vec<RoomListSpec>,
    /// The throttling policy.
    #[serde(default)]
    pub throttling: ThrottlingSpec,
    /// Faults active from the start.
    #[serde(default)]
    pub faults: FaultSpec,
    /// OAuth applications registered with the simulator's authority.
    #[serde(default)]
    pub oauth_clients: Vec<OAuthClientSpec>,
}

/// One user account.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserSpec {
    /// User principal name.
    pub upn: String,
    /// Primary SMTP address; defaults to the UPN.
    #[serde(default)]
    pub primary_smtp: Option<String>,
    /// Further SMTP addresses.
    #[serde(default)]
    pub proxy_addresses: Vec<String>,
    /// Security identifier; generated when absent.
    #[serde(default)]
    pub sid: Option<String>,
    /// Display name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Password for Basic, NTLM and OAuth sign-in.
    pub password: String,
    /// Whether the account may sign in.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Whether the user has a mailbox.
    #[serde(default = "yes")]
    pub mailbox: bool,
    /// Whether EWS is enabled for the user (`Set-CASMailbox -EwsEnabled`).
    #[serde(default = "yes")]
    pub ews_enabled: bool,
    /// `Department`, usable in scope filters.
    #[serde(default)]
    pub department: Option<String>,
    /// `CustomAttribute1`..`15`, by number.
    #[serde(default)]
    pub custom_attributes: BTreeMap<u8, String>,
    /// Generated items per distinguished folder name.
    #[serde(default)]
    pub items: BTreeMap<String, u32>,
}

/// Many generated users: `{prefix}{n:05}@domain`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserSetSpec {
    /// Name prefix, e.g. `user`.
    pub prefix: String,
    /// How many users.
    pub count: u32,
    /// Their common password.
    pub password: String,
    /// Groups they are direct members of.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Generated items per distinguished folder name, for each user.
    #[serde(default)]
    pub items: BTreeMap<String, u32>,
}

/// A distribution or mail-enabled security group.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupSpec {
    /// Name.
    pub name: String,
    /// Alias; defaults to the name.
    #[serde(default)]
    pub alias: Option<String>,
    /// Distinguished name; defaults to `CN=name,OU=Groups,DC=..`.
    #[serde(default)]
    pub dn: Option<String>,
    /// `distribution` or `security`.
    #[serde(default)]
    pub kind: GroupKind,
    /// Owners (managed by), as addresses.
    #[serde(default)]
    pub owners: Vec<String>,
    /// Members: user addresses or group names.
    #[serde(default)]
    pub members: Vec<String>,
}

/// The kind of a group.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupKind {
    /// A distribution group.
    #[default]
    Distribution,
    /// A mail-enabled security group.
    Security,
}

/// A management scope.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopeSpec {
    /// Name.
    pub name: String,
    /// The OPATH `RecipientRestrictionFilter`.
    pub recipient_restriction_filter: String,
}

/// A role group: members receive its roles within its write scope.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleGroupSpec {
    /// Name.
    pub name: String,
    /// Roles, e.g. `ApplicationImpersonation`.
    pub roles: Vec<String>,
    /// Member addresses.
    #[serde(default)]
    pub members: Vec<String>,
    /// Custom recipient write scope; none means the whole organisation.
    #[serde(default)]
    pub write_scope: Option<String>,
}

/// A role assigned directly to a user.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleAssignmentSpec {
    /// Name.
    pub name: String,
    /// The role.
    pub role: String,
    /// The assignee's address.
    pub user: String,
    /// Custom recipient write scope; none means the whole organisation.
    #[serde(default)]
    pub write_scope: Option<String>,
}

/// A room list.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoomListSpec {
    /// The list's address.
    pub address: String,
    /// Display name.
    pub name: String,
    /// Its rooms.
    #[serde(default)]
    pub rooms: Vec<RoomSpec>,
}

/// A room mailbox.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoomSpec {
    /// Address.
    pub address: String,
    /// Display name.
    pub name: String,
}

/// EWS throttling policy.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThrottlingSpec {
    /// `EWSMaxConcurrency`: concurrent requests per caller.
    #[serde(default = "default_concurrency")]
    pub ews_max_concurrency: u32,
    /// Sustained requests per second per caller; 0 means no budget limit.
    #[serde(default)]
    pub budget_per_second: u32,
    /// Burst size of the budget.
    #[serde(default = "default_burst")]
    pub budget_burst: u32,
}

fn default_concurrency() -> u32 {
    27
}

fn default_burst() -> u32 {
    100
}

impl Default for ThrottlingSpec {
    fn default() -> Self {
        Self {
            ews_max_concurrency: default_concurrency(),
            budget_per_second: 0,
            budget_burst: default_burst(),
        }
    }
}

/// Injected faults; counts apply to the next N EWS requests.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    /// Added latency on every EWS request, in milliseconds.
    #[serde(default)]
    pub latency_ms: u64,
    /// Answer ErrorServerBusy with a back-off.
    #[serde(default)]
    pub server_busy: Option<ServerBusyFault>,
    /// Answer HTTP 503 with `Retry-After`.
    #[serde(default)]
    pub http_503: Option<Http503Fault>,
    /// Close the connection without answering.
    #[serde(default)]
    pub reset: Option<CountFault>,
    /// Send only part of the response body.
    #[serde(default)]
    pub truncate: Option<CountFault>,
    /// When above 1, only every n-th EWS request takes one of the faults above (e.g. 10:
    /// one request in ten) and the others are served normally; 0 or 1: every request.
    #[serde(default)]
    pub every_nth: u32,
}

/// ErrorServerBusy for the next `count` requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerBusyFault {
    /// How many requests.
    pub count: u32,
    /// `BackOffMilliseconds`.
    pub back_off_ms: u64,
    /// Send it as a response message instead of a SOAP fault.
    #[serde(default)]
    pub as_response_message: bool,
}

/// HTTP 503 for the next `count` requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Http503Fault {
    /// How many requests.
    pub count: u32,
    /// `Retry-After` in seconds.
    pub retry_after_s: u64,
}

/// A fault for the next `count` requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountFault {
    /// How many requests.
    pub count: u32,
}

/// An OAuth application registration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuthClientSpec {
    /// `client_id`.
    pub client_id: String,
    /// `client_secret`, for confidential clients.
    #[serde(default)]
    pub client_secret: Option<String>,
    /// Allowed redirect URIs.
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// The account client-credentials tokens act as.
    #[serde(default)]
    pub service_account: Option<String>,
}
