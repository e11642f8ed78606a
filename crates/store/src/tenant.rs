//! Tenant isolation by type: who is calling ([`Principal`]) and the per-organisation handle
//! ([`OrgStore`]) through which every per-organisation repository call goes.
//!
//! An `OrgStore` can only be had from [`Store::org`], which checks the caller's role. Every
//! repository it hands out binds its organisation id into each query, so no call can
//! forget the `WHERE org_id = ...`. Asking for an organisation the caller may not see
//! gives [`StoreError::NotFound`], exactly as for one that does not exist.

use serde::{Deserialize, Serialize};

use crate::audit::OrgAudit;
use crate::change_feed::ChangeFeed;
use crate::check_runs::CheckRuns;
use crate::email_config::EmailConfigs;
use crate::error::StoreError;
use crate::ids::{AdminId, OrgId};
use crate::items::Items;
use crate::mailboxes::Mailboxes;
use crate::orgs::{Organisation, OrganisationUpdate};
use crate::rooms::Rooms;
use crate::store::Store;
use crate::users::Users;
use crate::webhooks::Webhooks;

/// What an admin may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "role", content = "org_id", rename_all = "snake_case")]
pub enum Role {
    /// Every organisation, and the admin accounts.
    Operator,
    /// One organisation only.
    OrgAdmin(OrgId),
}

impl Role {
    /// The stored name: `operator` or `org_admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Operator => "operator",
            Self::OrgAdmin(_) => "org_admin",
        }
    }

    /// The organisation of an org admin.
    pub fn org(self) -> Option<OrgId> {
        match self {
            Self::Operator => None,
            Self::OrgAdmin(org) => Some(org),
        }
    }

    pub(crate) fn from_stored(role: &str, org: Option<i64>) -> Result<Self, StoreError> {
        match (role, org) {
            ("operator", None) => Ok(Self::Operator),
            ("org_admin", Some(org)) => Ok(Self::OrgAdmin(OrgId::from_raw(org))),
            _ => Err(StoreError::Corrupt {
                what: "admins.role",
                value: format!("{role} / {org:?}"),
            }),
        }
    }
}

/// Who acts: an admin, or a part of Impersync itself (the engine, a CLI command).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    /// A signed-in admin (or one of their API tokens).
    Admin(AdminId),
    /// Impersync itself, e.g. `engine` or `cli rotate-key`.
    System(String),
}

/// The caller of a store method: who they are and what they may see.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Principal {
    /// Who acts (recorded in the audit log).
    pub actor: Actor,
    /// What they may do.
    pub role: Role,
}

impl Principal {
    /// An admin with a role.
    pub fn admin(admin: AdminId, role: Role) -> Self {
        Self {
            actor: Actor::Admin(admin),
            role,
        }
    }

    /// Impersync itself, with the operator role (the engine, CLI commands).
    pub fn system(name: &str) -> Self {
        Self {
            actor: Actor::System(name.to_string()),
            role: Role::Operator,
        }
    }

    /// Whether this principal may see the organisation.
    pub fn can_access(&self, org: OrgId) -> bool {
        match self.role {
            Role::Operator => true,
            Role::OrgAdmin(own) => own == org,
        }
    }

    /// Whether this principal is an operator.
    pub fn is_operator(&self) -> bool {
        self.role == Role::Operator
    }

    /// The admin acting, if an admin acts.
    pub fn admin_id(&self) -> Option<AdminId> {
        match self.actor {
            Actor::Admin(id) => Some(id),
            Actor::System(_) => None,
        }
    }

    /// How the audit log names the actor.
    pub(crate) fn label(&self) -> String {
        match &self.actor {
            Actor::Admin(id) => format!("admin:{id}"),
            Actor::System(name) => format!("system:{name}"),
        }
    }

    pub(crate) fn require_operator(&self, what: &'static str) -> Result<(), StoreError> {
        if self.is_operator() {
            Ok(())
        } else {
            Err(StoreError::Forbidden(what))
        }
    }
}

/// What a per-organisation repository needs: the store, the organisation, the caller.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scope<'a> {
    pub(crate) store: &'a Store,
    pub(crate) org: OrgId,
    pub(crate) principal: &'a Principal,
}

/// One organisation, as seen by one caller. All per-organisation repositories come from here.
#[derive(Debug, Clone)]
pub struct OrgStore<'s> {
    store: &'s Store,
    org: OrgId,
    principal: Principal,
}

impl<'s> OrgStore<'s> {
    pub(crate) fn new(store: &'s Store, org: OrgId, principal: Principal) -> Self {
        Self {
            store,
            org,
            principal,
        }
    }

    pub(crate) fn scope(&self) -> Scope<'_> {
        Scope {
            store: self.store,
            org: self.org,
            principal: &self.principal,
        }
    }

    /// The organisation's id.
    pub fn id(&self) -> OrgId {
        self.org
    }

    /// The caller.
    pub fn principal(&self) -> &Principal {
        &self.principal
    }

    /// The organisation's users.
    pub fn users(&self) -> Users<'_> {
        Users::new(self.scope())
    }

    /// The organisation's email configuration.
    pub fn email_config(&self) -> EmailConfigs<'_> {
        EmailConfigs::new(self.scope())
    }

    /// The organisation's bulk access-check runs and their results.
    pub fn check_runs(&self) -> CheckRuns<'_> {
        CheckRuns::new(self.scope())
    }

    /// The sync status of the organisation's mailboxes ("sync now").
    pub fn mailboxes(&self) -> Mailboxes<'_> {
        Mailboxes::new(self.scope())
    }

    /// The items synced from the organisation's mailboxes.
    pub fn items(&self) -> Items<'_> {
        Items::new(self.scope())
    }

    /// The organisation's change feed.
    pub fn change_feed(&self) -> ChangeFeed<'_> {
        ChangeFeed::new(self.scope())
    }

    /// The organisation's webhooks (receivers of its change feed).
    pub fn webhooks(&self) -> Webhooks<'_> {
        Webhooks::new(self.scope())
    }

    /// The organisation's room directory.
    pub fn rooms(&self) -> Rooms<'_> {
        Rooms::new(self.scope())
    }

    /// The organisation's audit log.
    pub fn audit(&self) -> OrgAudit<'_> {
        OrgAudit::new(self.scope())
    }

    /// The organisation itself.
    pub async fn get(&self) -> Result<Organisation, StoreError> {
        crate::orgs::get(self.scope()).await
    }

    /// Renames the organisation or changes its domains.
    pub async fn update(&self, update: OrganisationUpdate) -> Result<Organisation, StoreError> {
        crate::orgs::update(self.scope(), update).await
    }

    /// Deletes the organisation with its users, configuration, runs and sync states
    /// (the audit log keeps its entries). Operators only.
    pub async fn delete(self) -> Result<(), StoreError> {
        crate::orgs::delete(self.scope()).await
    }
}
