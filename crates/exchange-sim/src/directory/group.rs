//! Groups, scopes, role groups and role assignments.

use super::user::{GroupNo, UserNo};
use crate::scenario::GroupKind;
use crate::scope_filter::ScopeFilter;

/// A group member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Member {
    /// A user.
    User(UserNo),
    /// A nested group.
    Group(GroupNo),
}

/// A distribution or mail-enabled security group.
#[derive(Debug, Clone)]
pub struct Group {
    /// Name.
    pub name: String,
    /// Alias.
    pub alias: String,
    /// Distinguished name.
    pub dn: String,
    /// Primary SMTP address.
    pub smtp: String,
    /// Distribution or security.
    pub kind: GroupKind,
    /// Owners (`ManagedBy`).
    pub owners: Vec<UserNo>,
    /// Direct members.
    pub members: Vec<Member>,
    /// `MemberJoinRestriction`: `Open`, `Closed` or `ApprovalRequired`.
    pub join_restriction: String,
    /// `MemberDepartRestriction`: `Open` or `Closed`.
    pub depart_restriction: String,
}

/// A management scope.
#[derive(Debug, Clone)]
pub struct Scope {
    /// Name.
    pub name: String,
    /// The parsed filter.
    pub filter: ScopeFilter,
}

/// A role group.
#[derive(Debug, Clone)]
pub struct RoleGroup {
    /// Name.
    pub name: String,
    /// Members.
    pub members: Vec<UserNo>,
}

/// Who holds a role assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assignee {
    /// A user directly.
    User(UserNo),
    /// Every member of a role group (by index).
    RoleGroup(usize),
}

/// A management role assignment.
#[derive(Debug, Clone)]
pub struct RoleAssignment {
    /// Name.
    pub name: String,
    /// The role, e.g. `ApplicationImpersonation`.
    pub role: String,
    /// Who holds it.
    pub assignee: Assignee,
    /// Custom recipient write scope name; `None` is the whole organisation.
    pub write_scope: Option<String>,
}
