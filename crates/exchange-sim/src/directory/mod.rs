//! The simulated Active Directory and Exchange RBAC: users, groups, scopes and roles.

mod build;
mod group;
mod rbac;
mod user;

pub use group::{Assignee, Group, Member, RoleAssignment, RoleGroup, Scope};
pub use rbac::ImpersonationRefusal;
pub use user::{GroupNo, Recipient, User, UserNo};

use crate::scenario::RoomListSpec;
use std::collections::HashMap;

/// The organisation's directory and role model.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    /// Accepted domain.
    pub domain: String,
    /// NetBIOS domain name.
    pub netbios: String,
    /// Seed for generated content.
    pub seed: u64,
    /// Users by number.
    pub users: Vec<User>,
    /// Groups by number.
    pub groups: Vec<Group>,
    /// Management scopes.
    pub scopes: Vec<Scope>,
    /// Role groups.
    pub role_groups: Vec<RoleGroup>,
    /// Role assignments (direct and through role groups).
    pub assignments: Vec<RoleAssignment>,
    /// Room lists.
    pub room_lists: Vec<RoomListSpec>,
    user_index: HashMap<String, UserNo>,
    group_index: HashMap<String, GroupNo>,
}

/// Why a directory change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DirectoryError {
    /// No user or group has this identity.
    #[error("couldn't find object \"{0}\"; check that it exists and is spelled correctly")]
    NotFound(String),
    /// The name is taken.
    #[error("the name \"{0}\" is already used in this organisation")]
    Duplicate(String),
    /// A value is not acceptable.
    #[error("{0}")]
    Invalid(String),
}

impl Directory {
    /// Finds a user by UPN, SMTP address (primary or proxy), SID, `DOMAIN\sam` or sam name.
    pub fn find_user(&self, identity: &str) -> Option<UserNo> {
        let key = identity.trim().to_lowercase();
        let key = key.strip_prefix("smtp:").unwrap_or(&key);
        self.user_index.get(key).copied()
    }

    /// Finds a group by name, alias, DN or SMTP address.
    pub fn find_group(&self, identity: &str) -> Option<GroupNo> {
        self.group_index
            .get(&identity.trim().to_lowercase())
            .copied()
    }

    /// The user with this number.
    pub fn user(&self, no: UserNo) -> &User {
        &self.users[no.0 as usize]
    }

    /// The user with this number, mutably.
    pub fn user_mut(&mut self, no: UserNo) -> &mut User {
        &mut self.users[no.0 as usize]
    }

    /// The group with this number.
    pub fn group(&self, no: GroupNo) -> &Group {
        &self.groups[no.0 as usize]
    }

    /// A scope by name (case-insensitive).
    pub fn scope(&self, name: &str) -> Option<&Scope> {
        self.scopes
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(name))
    }

    /// Adds a user and indexes all its names.
    pub fn add_user(&mut self, user: User) -> Result<UserNo, DirectoryError> {
        let no = UserNo(self.users.len() as u32);
        let keys = Self::user_keys(&self.netbios, &user);
        if let Some(taken) = keys.iter().find(|k| self.user_index.contains_key(*k)) {
            return Err(DirectoryError::Duplicate(taken.clone()));
        }
        for k in keys {
            self.user_index.insert(k, no);
        }
        self.users.push(user);
        Ok(no)
    }

    fn user_keys(netbios: &str, u: &User) -> Vec<String> {
        let mut keys = vec![
            u.upn.to_lowercase(),
            u.primary_smtp.to_lowercase(),
            u.sid.to_lowercase(),
            format!("{}\\{}", netbios, u.sam_account_name()).to_lowercase(),
            u.sam_account_name().to_lowercase(),
        ];
        keys.extend(u.proxy_addresses.iter().map(|a| a.to_lowercase()));
        keys.sort();
        keys.dedup();
        keys
    }

    /// Adds a group and indexes its names.
    pub fn add_group(&mut self, group: Group) -> Result<GroupNo, DirectoryError> {
        let no = GroupNo(self.groups.len() as u32);
        let keys = [&group.name, &group.alias, &group.dn, &group.smtp].map(|k| k.to_lowercase());
        if let Some(taken) = keys.iter().find(|k| self.group_index.contains_key(*k)) {
            return Err(DirectoryError::Duplicate(taken.clone()));
        }
        for k in keys {
            self.group_index.insert(k, no);
        }
        self.groups.push(group);
        Ok(no)
    }

    /// Resolves a member reference: a user identity or a group identity.
    pub fn find_member(&self, identity: &str) -> Result<Member, DirectoryError> {
        self.find_user(identity)
            .map(Member::User)
            .or_else(|| self.find_group(identity).map(Member::Group))
            .ok_or_else(|| DirectoryError::NotFound(identity.to_string()))
    }

    /// Adds a direct member to a group (idempotent).
    pub fn add_member(&mut self, group: GroupNo, member: Member) {
        let g = &mut self.groups[group.0 as usize];
        if g.members.contains(&member) {
            return;
        }
        g.members.push(member);
        if let Member::User(u) = member {
            self.users[u.0 as usize].member_of.push(group);
        }
    }

    /// Removes a direct member from a group; returns whether it was a member.
    pub fn remove_member(&mut self, group: GroupNo, member: Member) -> bool {
        let g = &mut self.groups[group.0 as usize];
        let before = g.members.len();
        g.members.retain(|m| *m != member);
        if let Member::User(u) = member {
            self.users[u.0 as usize].member_of.retain(|x| *x != group);
        }
        g.members.len() != before
    }

    /// A user as a scope-filter subject.
    pub fn recipient(&self, no: UserNo) -> Recipient<'_> {
        let user = self.user(no);
        Recipient {
            user,
            group_dns: user
                .member_of
                .iter()
                .map(|g| self.group(*g).dn.clone())
                .collect(),
        }
    }
}
